// The worker half of a ClusterSession: lives on the session's thread, owns the KafkaClient, polls
// the cluster on a timer, builds ClusterSnapshots and runs Jobs in FIFO order.
#pragma once

#include "models/cluster_session.h"
#include "models/cluster_snapshot.h"
#include "models/connection_profile.h"
#include "models/job.h"
#include "models/kafka_client.h"

#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>
#include <mutex>

namespace faultline::models {

class SessionWorker : public QObject {
    Q_OBJECT
public:
    // password: for the client's SASL login (unused without SASL).
    explicit SessionWorker(ConnectionProfile profile, QString password = {},
                           QObject* parent = nullptr);
    ~SessionWorker() override;

    // All of these run on the worker thread (call through queued invocations).
    void start(quint64 generation);  // first refresh now, then every interval
    void restart(quint64 generation); // drop connections, new generation, refresh now
    void refresh();
    void setInterval(int ms);
    void runJob(JobId id, std::shared_ptr<Job> job, std::shared_ptr<std::atomic<bool>> cancelled);
    // Timeouts and client id of the admin client (replaces the current client, if any).
    void setClientOptions(const KafkaClient::Options& options);

    // Any thread: the session is going away. The call in flight returns at once (its sockets are
    // shut down), nothing more is refreshed or run, and no result is emitted any more.
    void abort();

    // Builds one snapshot with the client (exposed for tests and tools; worker thread only).
    [[nodiscard]] static ClientResult<std::shared_ptr<ClusterSnapshot>>
    buildSnapshot(KafkaClient& client, const ConnectionProfile& profile);

signals:
    void snapshotBuilt(faultline::models::SnapshotPtr snapshot);
    void stateChanged(faultline::models::ConnectionState state, const QString& message);
    void jobStarted(faultline::models::JobId id, const QString& title);
    void jobProgress(faultline::models::JobId id, int percent, const QString& message);
    void jobFinished(faultline::models::JobId id, const faultline::models::JobResult& result);

private:
    void ensureObjects();

    ConnectionProfile m_profile;
    QString m_password;
    KafkaClient::Options m_clientOptions;
    std::mutex m_clientMutex; // abort() (any thread) against creating / replacing m_client
    std::unique_ptr<KafkaClient> m_client;
    std::atomic<bool> m_aborted{false};
    QTimer* m_timer = nullptr;
    int m_interval = 5000;
    quint64 m_generation = 0;
    quint64 m_sequence = 0;
    bool m_refreshQueued = false;
    ConnectionState m_state = ConnectionState::Connecting;
    QString m_lastMessage;
};

} // namespace faultline::models
