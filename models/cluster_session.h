// One attached cluster: a worker thread that polls metadata, offsets, groups, configs and log dirs
// on a timer and on demand, publishes immutable snapshots, and runs Jobs. The UI thread never
// waits, not even when the session goes away (see ~ClusterSession).
#pragma once

#include "models/cluster_snapshot.h"
#include "models/connection_profile.h"
#include "models/job.h"
#include "models/kafka_client.h"

#include <QHash>
#include <QObject>

#include <atomic>
#include <memory>

class QThread;

namespace faultline::models {

enum class ConnectionState { Connecting, Connected, Failed };

class SessionWorker;

class ClusterSession : public QObject {
    Q_OBJECT
public:
    explicit ClusterSession(ConnectionProfile profile, QString password = {}, QObject* parent = nullptr);
    // Returns at once, whatever the worker is doing: its request in flight is abandoned (the
    // sockets are shut down), running jobs are cancelled, no signal reaches this session any more,
    // and the worker thread ends and deletes itself (and the worker) on its own. Threads still
    // ending when the application exits are waited for then (finishingThreadCount()).
    ~ClusterSession() override;

    void start();                         // connect and poll every profile.refreshIntervalMs
    void refreshNow();                    // an extra refresh as soon as possible
    void setRefreshInterval(int ms);
    [[nodiscard]] SnapshotPtr latest() const; // last published snapshot (UI thread), may be null
    [[nodiscard]] const ConnectionProfile& profile() const { return m_profile; }
    [[nodiscard]] quint64 generation() const { return m_generation; }
    [[nodiscard]] const QString& password() const { return m_password; } // kept in memory only

    // Timeouts of the session's admin client (default: KafkaClient::Options{}). Before or after
    // start(); applies from the next request.
    void setClientOptions(const KafkaClient::Options& options);

    // Worker threads of destroyed sessions that have not ended yet (UI thread).
    [[nodiscard]] static int finishingThreadCount();

    JobId submit(std::shared_ptr<Job> job); // queued on the worker
    void cancel(JobId id);

    // Drops every connection, bumps the generation and refreshes: snapshots still in flight from
    // the previous generation are dropped.
    void reconnect();
    // Called (UI thread) for each snapshot the worker built: publishes it (latest() and
    // snapshotReady) unless its generation is stale. Returns whether it was published.
    bool acceptSnapshot(faultline::models::SnapshotPtr snapshot);

signals:
    void snapshotReady(faultline::models::SnapshotPtr snapshot);
    void stateChanged(faultline::models::ConnectionState state, const QString& message);
    void jobStarted(faultline::models::JobId id, const QString& title);
    void jobProgress(faultline::models::JobId id, int percent, const QString& message);
    void jobFinished(faultline::models::JobId id, const faultline::models::JobResult& result);

private:
    ConnectionProfile m_profile;
    QString m_password;
    QThread* m_thread = nullptr;       // deletes itself once finished (never waited for here)
    SessionWorker* m_worker = nullptr; // lives on m_thread, deleted there when it finishes
    SnapshotPtr m_latest;
    quint64 m_generation = 1;
    JobId m_nextJob = 1;
    QHash<JobId, std::shared_ptr<std::atomic<bool>>> m_cancelFlags;
    bool m_started = false;
};

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::ConnectionState)
