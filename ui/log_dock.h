// The log dock: everything logged through spdlog (the engine, the sessions) shown in the UI,
// delivered by queued signal; a level filter and a bounded buffer.
#pragma once

#include <QDockWidget>

#include <memory>

class QComboBox;
class QPlainTextEdit;

namespace spdlog {
class logger;
}

namespace faultline::ui {

class QtLogSink;

class LogDock : public QDockWidget {
    Q_OBJECT
public:
    explicit LogDock(QWidget* parent = nullptr);
    ~LogDock() override;

    [[nodiscard]] QString text() const;
    void appendLine(int level, const QString& line);

private:
    QPlainTextEdit* m_text = nullptr;
    QComboBox* m_level = nullptr;
    std::shared_ptr<QtLogSink> m_sink;
    std::shared_ptr<spdlog::logger> m_previous;
    std::shared_ptr<spdlog::logger> m_logger;
};

} // namespace faultline::ui
