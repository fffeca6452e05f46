#include "ui/qt_log_sink.h"

#include <spdlog/pattern_formatter.h>

namespace faultline::ui {

QtLogSink::QtLogSink()
    : m_relay(std::make_unique<LogRelay>())
{
    set_formatter(std::make_unique<spdlog::pattern_formatter>("%H:%M:%S.%e %-8l %v",
        spdlog::pattern_time_type::local, std::string{}));
}

void QtLogSink::sink_it_(const spdlog::details::log_msg& message)
{
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    emit m_relay->lineLogged(static_cast<int>(message.level),
        QString::fromUtf8(formatted.data(), static_cast<qsizetype>(formatted.size())));
}

} // namespace faultline::ui
