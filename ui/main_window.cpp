#include "ui/main_window.h"

#include "models/profile_store.h"
#include "models/secret_store.h"
#include "ui/app_icon.h"
#include "ui/brokers_view.h"
#include "ui/connection_dialog.h"
#include "ui/display_format.h"
#include "ui/groups_view.h"
#include "ui/jobs_dock.h"
#include "ui/log_dock.h"
#include "ui/messages_view.h"
#include "ui/overview_view.h"
#include "ui/sandbox_panel.h"
#include "ui/session_passwords.h"
#include "ui/topic_detail_view.h"
#include "ui/topics_view.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

namespace faultline::ui {

using models::ConnectionState;

MainWindow::MainWindow(QWidget* parent)
    : MainWindow(new models::SecretStore, parent)
{
}

MainWindow::MainWindow(models::SecretStore* secrets, QWidget* parent)
    : QMainWindow(parent)
    , m_profiles(std::make_unique<models::ProfileStore>())
    , m_secrets(secrets)
{
    m_secrets->setParent(this);
    m_passwords = new SessionPasswords(m_secrets, this);
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(appIcon());
    setDockNestingEnabled(true);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    m_banner = new QFrame(central);
    m_banner->setObjectName(QStringLiteral("banner"));
    auto* bannerLayout = new QHBoxLayout(m_banner);
    bannerLayout->setContentsMargins(12, 6, 12, 6);
    m_bannerText = new QLabel(m_banner);
    m_bannerText->setObjectName(QStringLiteral("bannerText"));
    m_bannerText->setWordWrap(true);
    m_bannerText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bannerLayout->addWidget(m_bannerText, 1);
    m_bannerSandbox = new QPushButton(tr("Start local sandbox"), m_banner);
    m_bannerConnect = new QPushButton(tr("Connect…"), m_banner);
    m_retry = new QPushButton(tr("Retry"), m_banner);
    bannerLayout->addWidget(m_bannerSandbox);
    bannerLayout->addWidget(m_bannerConnect);
    bannerLayout->addWidget(m_retry);
    m_banner->setVisible(false);
    layout->addWidget(m_banner);

    m_tabs = new QTabWidget(central);
    m_tabs->setDocumentMode(true);
    m_overview = new OverviewView(m_tabs);
    m_brokers = new BrokersView(m_tabs);
    m_topics = new TopicsView(m_tabs);
    m_topicDetail = new TopicDetailView(m_tabs);
    m_groups = new GroupsView(m_tabs);
    m_messages = new MessagesView(m_tabs);
    m_tabs->addTab(m_overview, tr("&Overview"));
    m_tabs->addTab(m_brokers, tr("&Brokers"));
    m_tabs->addTab(m_topics, tr("&Topics"));
    m_tabs->addTab(m_topicDetail, tr("Topic &detail"));
    m_tabs->addTab(m_groups, tr("Consumer &groups"));
    m_tabs->addTab(m_messages, tr("&Messages"));
    for (int i = 0; i < PageCount; ++i)
        m_tabs->setTabToolTip(i, tr("Ctrl+%1").arg(i + 1));
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);

    m_stateLabel = new QLabel(tr("Not attached"), this);
    m_stateLabel->setObjectName(QStringLiteral("connectionState"));
    m_refreshLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_refreshLabel);
    statusBar()->addPermanentWidget(m_stateLabel);

    createDocks();
    createActions();

    connect(m_retry, &QPushButton::clicked, this, [this] {
        if (m_session) {
            showBanner(tr("Reconnecting to %1…").arg(m_profile.bootstrapServers), false, false, false);
            m_noAnswerTimer.start();
            m_session->reconnect();
        }
    });
    connect(m_bannerSandbox, &QPushButton::clicked, this, &MainWindow::startSandbox);
    connect(m_bannerConnect, &QPushButton::clicked, this, &MainWindow::openConnectionDialog);
    connect(m_topics, &TopicsView::topicActivated, this, [this](const QString& topic) {
        m_topicDetail->setTopic(topic);
        showView(TopicDetailPage);
    });
    connect(m_topics, &TopicsView::statusMessage, this, [this](const QString& m) { statusBar()->showMessage(m, 8000); });
    connect(m_topicDetail, &TopicDetailView::browseRequested, this, [this](const QString& topic, int partition) {
        m_messages->setTopic(topic);
        m_messages->setPartition(partition);
        showView(MessagesPage);
        m_messages->browse();
    });
    connect(m_jobs, &JobsDock::jobFailed, this, [this](const QString& m) { statusBar()->showMessage(m, 15000); });

    m_noAnswerTimer.setSingleShot(true);
    m_noAnswerTimer.setInterval(8000);
    connect(&m_noAnswerTimer, &QTimer::timeout, this, [this] {
        if (!m_session)
            return;
        const auto message = tr("No answer from %1 after %2 s: the servers are unreachable, not Kafka, "
                                "or refuse the security settings. Still trying.")
                                 .arg(m_profile.bootstrapServers)
                                 .arg(m_noAnswerTimer.interval() / 1000);
        showBanner(message, true, true, false);
        m_stateLabel->setText(tr("● No answer"));
        m_stateLabel->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
        emit connectionFailed(message);
    });

    connect(m_sandbox, &SandboxPanel::started, this, [this](const QString& bootstrap) {
        models::ConnectionProfile profile;
        profile.name = tr("Local sandbox");
        profile.bootstrapServers = bootstrap;
        profile.sandbox = true;
        profile.refreshIntervalMs = 2000;
        m_sandboxAttachPending = false;
        attach(profile);
    });
    connect(m_sandbox, &SandboxPanel::failed, this, [this](const QString& message) {
        m_sandboxAttachPending = false;
        showBanner(tr("The local sandbox did not start: %1").arg(message), true, false, true);
    });
    connect(m_sandbox, &SandboxPanel::stopped, this, [this] {
        if (m_profile.sandbox) {
            m_session.reset();
            m_stateLabel->setText(tr("Sandbox stopped"));
            showBanner(tr("The local sandbox is stopped."), false, false, true);
        }
    });

    connect(m_passwords, &SessionPasswords::passwordReady, this,
        [this](const models::ConnectionProfile& profile, const QString& password) {
            attach(profile, password);
        });
    connect(m_passwords, &SessionPasswords::cancelled, this, [this](const QString& profile) {
        if (!m_session)
            showBanner(tr("Not connected to %1: no password given.").arg(profile), false, false,
                true);
    });
    connect(m_passwords, &SessionPasswords::notice, this,
        [this](const QString& m) { statusBar()->showMessage(m, 10000); });

    m_secrets->probe();
    resize(1400, 900);
    restoreWindowState();
    updateTitle();
}

MainWindow::~MainWindow()
{
    m_session.reset(); // the worker thread stops before the views go away
}

void MainWindow::createDocks()
{
    m_sandbox = new SandboxPanel(this);
    m_log = new LogDock(this);
    m_jobs = new JobsDock(this);
    addDockWidget(Qt::RightDockWidgetArea, m_sandbox);
    addDockWidget(Qt::BottomDockWidgetArea, m_jobs);
    addDockWidget(Qt::BottomDockWidgetArea, m_log);
    tabifyDockWidget(m_jobs, m_log);
    m_jobs->raise();
    resizeDocks({m_sandbox}, {300}, Qt::Horizontal);
    resizeDocks({m_jobs}, {190}, Qt::Vertical);
}

void MainWindow::createActions()
{
    auto* fileMenu = menuBar()->addMenu(tr("&Cluster"));
    auto* connectAction = fileMenu->addAction(tr("&Connect…"), this, &MainWindow::openConnectionDialog);
    connectAction->setShortcut(QKeySequence::Open);
    auto* sandboxAction = fileMenu->addAction(tr("Start local &sandbox"), this, &MainWindow::startSandbox);
    m_refreshAction = fileMenu->addAction(tr("&Refresh"), this, &MainWindow::refresh);
    // F5 plus the platform's refresh keys, each once: the platform list holds F5 too on most
    // desktops, and a key bound twice to one action is ambiguous and triggers nothing.
    QList<QKeySequence> refreshKeys{QKeySequence(Qt::Key_F5)};
    for (const auto& key : QKeySequence::keyBindings(QKeySequence::Refresh)) {
        if (!refreshKeys.contains(key))
            refreshKeys << key;
    }
    m_refreshAction->setShortcuts(refreshKeys);
    fileMenu->addSeparator();
    auto* quit = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* viewMenu = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < PageCount; ++i) {
        auto* action = viewMenu->addAction(m_tabs->tabText(i).remove(QLatin1Char('&')));
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)));
        connect(action, &QAction::triggered, this, [this, i] { showView(static_cast<View>(i)); });
    }
    viewMenu->addSeparator();
    auto* find = viewMenu->addAction(tr("&Find topic"));
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, this, [this] {
        showView(TopicsPage);
        m_topics->focusFilter();
    });
    viewMenu->addSeparator();
    viewMenu->addAction(m_sandbox->toggleViewAction());
    viewMenu->addAction(m_jobs->toggleViewAction());
    viewMenu->addAction(m_log->toggleViewAction());

    auto* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setMovable(false);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    toolbar->addAction(connectAction);
    toolbar->addAction(sandboxAction);
    toolbar->addAction(m_refreshAction);
}

void MainWindow::attach(const models::ConnectionProfile& profile, const QString& password)
{
    m_session.reset();
    m_latest.reset();
    m_firstSnapshot = false;
    m_profile = profile;
    m_password = password;
    spdlog::info("attaching to {} ({})", profile.name.toStdString(), profile.bootstrapServers.toStdString());
    m_session = std::make_unique<models::ClusterSession>(profile, password);
    auto* session = m_session.get();
    connect(session, &models::ClusterSession::snapshotReady, this, &MainWindow::onSnapshot);
    connect(session, &models::ClusterSession::stateChanged, this, &MainWindow::onStateChanged);
    m_topics->setSession(session, password);
    m_groups->setSession(session, password);
    m_jobs->setSession(session);
    m_messages->setConnection(profile, password);
    showBanner(tr("Connecting to %1…").arg(profile.bootstrapServers), false, false, false);
    m_stateLabel->setText(tr("● Connecting"));
    m_stateLabel->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::warning().name()));
    if (!profile.sandbox)
        m_profiles->setLastUsed(profile.name);
    updateTitle();
    m_noAnswerTimer.start();
    session->start();
}

void MainWindow::attachBootstrap(const QString& bootstrapServers)
{
    models::ConnectionProfile profile;
    profile.name = bootstrapServers;
    profile.bootstrapServers = bootstrapServers;
    attach(profile);
}

void MainWindow::connectProfile(const models::ConnectionProfile& profile)
{
    if (profile.needsPassword())
        m_passwords->request(profile);
    else
        attach(profile);
}

void MainWindow::startSandbox()
{
    if (m_sandbox->running()) {
        if (!m_profile.sandbox || !m_session) {
            models::ConnectionProfile profile;
            profile.name = tr("Local sandbox");
            profile.bootstrapServers = m_sandbox->bootstrap();
            profile.sandbox = true;
            profile.refreshIntervalMs = 2000;
            attach(profile);
        }
        return;
    }
    m_sandbox->show();
    m_sandbox->raise();
    m_sandboxAttachPending = true;
    showBanner(tr("Starting the local sandbox…"), false, false, false);
    m_sandbox->startSandbox();
}

void MainWindow::openConnectionDialog()
{
    auto* dialog = new ConnectionDialog(m_profiles->list(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (const auto last = m_profiles->load(m_profiles->lastUsed()))
        dialog->setProfile(*last);
    if (m_secrets->availability() == models::SecretStore::Availability::Unavailable)
        dialog->setPasswordHint(
            tr("No system keychain: %1. The password is kept for this session only.")
                .arg(m_secrets->unavailableReason()));
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (dialog->sandboxChosen()) {
            startSandbox();
            return;
        }
        const auto profile = dialog->profile();
        if (dialog->saveProfile()) {
            if (auto saved = m_profiles->save(profile); !saved)
                statusBar()->showMessage(tr("Profile not saved: %1")
                                             .arg(QString::fromStdString(saved.error().message)),
                    10000);
        }
        const QString password = dialog->password();
        if (!profile.needsPassword() || password.isEmpty()) {
            connectProfile(profile); // the session's, the keychain's, or asked for
            return;
        }
        m_passwords->remember(profile.name, password);
        if (dialog->saveProfile() && m_secrets->available())
            m_secrets->writePassword(profile.name, password);
        attach(profile, password);
    });
    dialog->open();
}

void MainWindow::restoreLastSession()
{
    const auto last = m_profiles->lastUsed();
    const auto profile = last.isEmpty() ? std::nullopt : m_profiles->load(last);
    if (!profile) {
        if (m_profiles->names().isEmpty())
            showBanner(tr("Welcome to Faultline. No cluster profiles yet: start a local multi-broker sandbox "
                          "in this process, or connect to a cluster."),
                false, false, true);
        else
            showBanner(tr("Not attached. Choose a profile to connect."), false, false, true);
        return;
    }
    connectProfile(*profile);
}

void MainWindow::refresh()
{
    if (m_session) {
        m_session->refreshNow();
        statusBar()->showMessage(tr("Refreshing…"), 2000);
    }
}

void MainWindow::showView(View view)
{
    m_tabs->setCurrentIndex(static_cast<int>(view));
}

MainWindow::View MainWindow::currentView() const
{
    return static_cast<View>(m_tabs->currentIndex());
}

QString MainWindow::bannerText() const
{
    return m_bannerText->text();
}

bool MainWindow::bannerVisible() const
{
    return !m_banner->isHidden();
}

QString MainWindow::connectionStatusText() const
{
    return m_stateLabel->text();
}

void MainWindow::onSnapshot(models::SnapshotPtr snapshot)
{
    if (!snapshot || !m_session)
        return;
    m_noAnswerTimer.stop();
    m_latest = snapshot;
    m_overview->setSnapshot(snapshot);
    m_brokers->setSnapshot(snapshot);
    m_topics->setSnapshot(snapshot);
    m_topicDetail->setSnapshot(snapshot);
    m_groups->setSnapshot(snapshot);
    m_messages->setSnapshot(snapshot);
    m_refreshLabel->setText(tr("refreshed %1").arg(snapshot->takenAt.isValid()
            ? snapshot->takenAt.toLocalTime().toString(QStringLiteral("HH:mm:ss"))
            : QString()));
    if (bannerVisible() && !m_bannerText->property("error").toBool())
        hideBanner();
    else if (bannerVisible() && m_bannerText->property("error").toBool())
        hideBanner(); // an answer after an error: the cluster is back
    m_stateLabel->setText(tr("● Connected · %1 brokers").arg(snapshot->brokers.size()));
    m_stateLabel->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::ok().name()));
    emit snapshotReceived(snapshot);
    if (!m_firstSnapshot) {
        m_firstSnapshot = true;
        emit firstSnapshotReceived();
    }
}

void MainWindow::onStateChanged(ConnectionState state, const QString& message)
{
    switch (state) {
    case ConnectionState::Connecting:
        m_stateLabel->setText(tr("● Connecting"));
        m_stateLabel->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::warning().name()));
        break;
    case ConnectionState::Connected:
        m_noAnswerTimer.stop();
        m_stateLabel->setText(tr("● Connected"));
        m_stateLabel->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::ok().name()));
        break;
    case ConnectionState::Failed: {
        m_noAnswerTimer.stop();
        const auto text = tr("Cannot reach %1: %2").arg(m_profile.bootstrapServers, message);
        showBanner(text, true, true, false);
        m_stateLabel->setText(tr("● Failed"));
        m_stateLabel->setStyleSheet(QStringLiteral("color: %1;").arg(StatusColors::error().name()));
        spdlog::warn("{}", text.toStdString());
        emit connectionFailed(text);
        break;
    }
    }
}

void MainWindow::showBanner(const QString& text, bool error, bool offerRetry, bool offerSandbox)
{
    m_bannerText->setText(text);
    m_bannerText->setProperty("error", error);
    m_banner->setStyleSheet(error
            ? QStringLiteral("QFrame#banner { background: %1; border-bottom: 1px solid %2; }")
                  .arg(StatusColors::errorBackground().name(), StatusColors::error().name())
            : QStringLiteral("QFrame#banner { background: %1; border-bottom: 1px solid %2; }")
                  .arg(StatusColors::warningBackground().name(), StatusColors::warning().name()));
    m_bannerText->setStyleSheet(QStringLiteral("color: #202020;"));
    m_retry->setVisible(offerRetry);
    m_bannerSandbox->setVisible(offerSandbox);
    m_bannerConnect->setVisible(offerSandbox || offerRetry);
    m_banner->setVisible(true);
}

void MainWindow::hideBanner()
{
    m_banner->setVisible(false);
    m_bannerText->setProperty("error", false);
}

void MainWindow::updateTitle()
{
    setWindowTitle(m_session ? tr("Faultline — %1").arg(m_profile.name) : tr("Faultline"));
}

void MainWindow::saveWindowState()
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/state"), saveState());
    settings.setValue(QStringLiteral("mainWindow/view"), m_tabs->currentIndex());
}

void MainWindow::restoreWindowState()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("mainWindow/state")).toByteArray());
    m_tabs->setCurrentIndex(settings.value(QStringLiteral("mainWindow/view"), 0).toInt());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveWindowState();
    QMainWindow::closeEvent(event);
}

} // namespace faultline::ui
