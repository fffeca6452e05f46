// Carries log lines from any thread to the UI thread: QtLogSink emits, LogDock receives queued.
#pragma once

#include <QObject>
#include <QString>

namespace faultline::ui {

class LogRelay : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

signals:
    // level: spdlog::level::level_enum as int (0 trace .. 5 critical)
    void lineLogged(int level, const QString& line);
};

} // namespace faultline::ui
