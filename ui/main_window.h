// The main window wires the views, docks and actions together; it holds the attached cluster's
// ClusterSession and forwards its snapshots to the views. No view logic lives here.
#pragma once

#include "models/cluster_session.h"
#include "models/connection_profile.h"

#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <memory>

class QAction;
class QLabel;
class QPushButton;
class QTabWidget;
class QFrame;

namespace faultline::models {
class ProfileStore;
class SecretStore;
} // namespace faultline::models

namespace faultline::ui {

class BrokersView;
class GroupsView;
class JobsDock;
class LogDock;
class MessagesView;
class OverviewView;
class SandboxPanel;
class SessionPasswords;
class TopicDetailView;
class TopicsView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum View { OverviewPage, BrokersPage, TopicsPage, TopicDetailPage, GroupsPage, MessagesPage, PageCount };

    explicit MainWindow(QWidget* parent = nullptr); // the system keychain
    // With another SecretStore (tests stand in for the keychain); the window takes ownership.
    MainWindow(models::SecretStore* secrets, QWidget* parent);
    ~MainWindow() override;

    // Attach to a cluster (replaces the current session). Asynchronous: snapshots or an error follow.
    void attach(const models::ConnectionProfile& profile, const QString& password = {});
    // Attach to a profile, finding its password first when it needs one (this session's, the
    // keychain's, or asked for with a dialog that says why).
    void connectProfile(const models::ConnectionProfile& profile);
    void attachBootstrap(const QString& bootstrapServers); // an ad-hoc PLAINTEXT profile
    void startSandbox();                                   // start the engine, then attach to it
    void openConnectionDialog();
    // No argument given: the last profile, or the first-run offer when there are no profiles.
    void restoreLastSession();
    void refresh();
    void showView(View view);
    [[nodiscard]] View currentView() const;

    [[nodiscard]] models::ClusterSession* session() const { return m_session.get(); }
    [[nodiscard]] models::SnapshotPtr latestSnapshot() const { return m_latest; }
    [[nodiscard]] QString bannerText() const;
    [[nodiscard]] bool bannerVisible() const;
    [[nodiscard]] QString connectionStatusText() const;

    [[nodiscard]] OverviewView* overviewView() const { return m_overview; }
    [[nodiscard]] BrokersView* brokersView() const { return m_brokers; }
    [[nodiscard]] TopicsView* topicsView() const { return m_topics; }
    [[nodiscard]] TopicDetailView* topicDetailView() const { return m_topicDetail; }
    [[nodiscard]] GroupsView* groupsView() const { return m_groups; }
    [[nodiscard]] MessagesView* messagesView() const { return m_messages; }
    [[nodiscard]] SandboxPanel* sandboxPanel() const { return m_sandbox; }
    [[nodiscard]] LogDock* logDock() const { return m_log; }
    [[nodiscard]] JobsDock* jobsDock() const { return m_jobs; }
    [[nodiscard]] SessionPasswords* passwords() const { return m_passwords; }

    // Seconds without an answer after attach before the banner says the cluster does not answer.
    void setNoAnswerTimeoutMs(int ms) { m_noAnswerTimer.setInterval(ms); }

signals:
    void snapshotReceived(faultline::models::SnapshotPtr snapshot);
    void firstSnapshotReceived();
    void connectionFailed(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createDocks();
    void onSnapshot(models::SnapshotPtr snapshot);
    void onStateChanged(models::ConnectionState state, const QString& message);
    void showBanner(const QString& text, bool error, bool offerRetry, bool offerSandbox);
    void hideBanner();
    void saveWindowState();
    void restoreWindowState();
    void updateTitle();

    std::unique_ptr<models::ClusterSession> m_session;
    std::unique_ptr<models::ProfileStore> m_profiles;
    models::SecretStore* m_secrets = nullptr;
    SessionPasswords* m_passwords = nullptr;
    models::ConnectionProfile m_profile;
    QString m_password;
    models::SnapshotPtr m_latest;
    bool m_firstSnapshot = false;
    bool m_sandboxAttachPending = false;

    QTabWidget* m_tabs = nullptr;
    QFrame* m_banner = nullptr;
    QLabel* m_bannerText = nullptr;
    QPushButton* m_retry = nullptr;
    QPushButton* m_bannerSandbox = nullptr;
    QPushButton* m_bannerConnect = nullptr;
    QLabel* m_stateLabel = nullptr;
    QLabel* m_refreshLabel = nullptr;
    QTimer m_noAnswerTimer;

    OverviewView* m_overview = nullptr;
    BrokersView* m_brokers = nullptr;
    TopicsView* m_topics = nullptr;
    TopicDetailView* m_topicDetail = nullptr;
    GroupsView* m_groups = nullptr;
    MessagesView* m_messages = nullptr;
    SandboxPanel* m_sandbox = nullptr;
    LogDock* m_log = nullptr;
    JobsDock* m_jobs = nullptr;
    QAction* m_refreshAction = nullptr;
};

} // namespace faultline::ui
