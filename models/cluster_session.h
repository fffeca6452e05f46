// One attached cluster: a worker thread that polls metadata, offsets, groups, configs and log dirs
// on a timer and on demand, publishes immutable snapshots, and runs Jobs. The UI thread never waits.
#pragma once

#include "models/cluster_snapshot.h"
#include "models/connection_profile.h"
#include "models/job.h"

#include <QHash>
#include <QObject>
#include <QThread>

#include <atomic>
#include <memory>

namespace faultline::models {

enum class ConnectionState { Connecting, Connected, Failed };

class SessionWorker;

class ClusterSession : public QObject {
    Q_OBJECT
public:
    explicit ClusterSession(ConnectionProfile profile, QString password = {}, QObject* parent = nullptr);
    ~ClusterSession() override; // stops the worker: quit() + wait()

    void start();                         // connect and poll every profile.refreshIntervalMs
    void refreshNow();                    // an extra refresh as soon as possible
    void setRefreshInterval(int ms);
    [[nodiscard]] SnapshotPtr latest() const; // last published snapshot (UI thread), may be null
    [[nodiscard]] const ConnectionProfile& profile() const { return m_profile; }
    [[nodiscard]] quint64 generation() const { return m_generation; }

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
    QThread m_thread;
    SessionWorker* m_worker = nullptr; // lives on m_thread
    SnapshotPtr m_latest;
    quint64 m_generation = 1;
    JobId m_nextJob = 1;
    QHash<JobId, std::shared_ptr<std::atomic<bool>>> m_cancelFlags;
    bool m_started = false;
};

} // namespace faultline::models

Q_DECLARE_METATYPE(faultline::models::ConnectionState)
