// An spdlog sink that forwards formatted lines to a LogRelay (queued to the UI thread).
#pragma once

#include "ui/log_relay.h"

#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <mutex>

namespace faultline::ui {

class QtLogSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    QtLogSink();
    [[nodiscard]] LogRelay* relay() const { return m_relay.get(); }

protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override {}

private:
    std::unique_ptr<LogRelay> m_relay; // no parent: lives as long as the sink, emits from any thread
};

} // namespace faultline::ui
