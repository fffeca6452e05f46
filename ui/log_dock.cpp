#include "ui/log_dock.h"

#include "ui/display_format.h"
#include "ui/qt_log_sink.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

namespace faultline::ui {

LogDock::LogDock(QWidget* parent)
    : QDockWidget(tr("Log"), parent)
{
    setObjectName(QStringLiteral("logDock"));
    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Level:"), body));
    m_level = new QComboBox(body);
    m_level->addItems({tr("trace"), tr("debug"), tr("info"), tr("warning"), tr("error")});
    m_level->setCurrentIndex(2);
    bar->addWidget(m_level);
    bar->addStretch();
    auto* clear = new QPushButton(tr("Clear"), body);
    bar->addWidget(clear);
    layout->addLayout(bar);
    m_text = new QPlainTextEdit(body);
    m_text->setReadOnly(true);
    m_text->setMaximumBlockCount(5000);
    m_text->setFont(monospaceFont());
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    layout->addWidget(m_text);
    setWidget(body);
    connect(clear, &QPushButton::clicked, m_text, &QPlainTextEdit::clear);

    // Keep the previous default logger's sinks (console) and add ours; the previous logger stays
    // alive so a thread still holding its raw pointer is safe.
    m_sink = std::make_shared<QtLogSink>();
    connect(m_sink->relay(), &LogRelay::lineLogged, this, &LogDock::appendLine, Qt::QueuedConnection);
    m_previous = spdlog::default_logger();
    std::vector<spdlog::sink_ptr> sinks;
    if (m_previous)
        sinks = m_previous->sinks();
    sinks.push_back(m_sink);
    m_logger = std::make_shared<spdlog::logger>("faultline", sinks.begin(), sinks.end());
    m_logger->set_level(m_previous ? m_previous->level() : spdlog::level::info);
    spdlog::set_default_logger(m_logger);
}

LogDock::~LogDock()
{
    if (spdlog::default_logger() == m_logger && m_previous)
        spdlog::set_default_logger(m_previous);
}

QString LogDock::text() const
{
    return m_text->toPlainText();
}

void LogDock::appendLine(int level, const QString& line)
{
    // combo index: 0 trace, 1 debug, 2 info, 3 warn, 4 error (spdlog: err=4, critical=5)
    if (level < m_level->currentIndex())
        return;
    QString color = palette().color(QPalette::Text).name();
    if (level >= 4)
        color = StatusColors::error().name();
    else if (level == 3)
        color = StatusColors::warning().name();
    m_text->appendHtml(QStringLiteral("<span style='white-space:pre; color:%1'>%2</span>")
                           .arg(color, line.trimmed().toHtmlEscaped()));
}

} // namespace faultline::ui
