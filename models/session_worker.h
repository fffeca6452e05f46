// The worker half of a ClusterSession: lives on the session's thread, owns the KafkaClient and the
// session's librdkafka handle, polls the cluster on a timer, builds ClusterSnapshots and runs Jobs
// in FIFO order.
#pragma once

#include "models/cluster_session.h"
#include "models/cluster_snapshot.h"
#include "models/connection_profile.h"
#include "models/job.h"
#include "models/kafka_client.h"
#include "models/rdkafka_handle.h"

#include <QObject>
#include <QTimer>
#include <atomic>
#include <functional>
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
    void start(quint64 generation);   // first refresh now, then every interval
    void restart(quint64 generation); // drop connections (and the librdkafka handle), refresh now
    void refresh();
    void setInterval(int ms);
    void runJob(JobId id, std::shared_ptr<Job> job, std::shared_ptr<std::atomic<bool>> cancelled);
    // Timeouts and client id of the admin client (replaces the current client, if any).
    void setClientOptions(const KafkaClient::Options& options);

    // Any thread: the session is going away. The call in flight returns at once (the own
    // client's sockets are shut down; a wait on librdkafka's result queue notices within 100 ms,
    // a watermark query within its timeout), nothing more is refreshed or run, and no result is
    // emitted any more.
    void abort();

    // Builds one snapshot (exposed for tests and tools; worker thread only). The own client reads
    // what librdkafka 2.0.2 cannot: Metadata with racks, leader epochs, offline replicas, topic
    // ids and the controller (its first call also classifies an unreachable, TLS or login
    // failure), DescribeLogDirs, ListGroups (librdkafka's ListConsumerGroups leaves out groups of
    // other protocols than "consumer") and DescribeGroups of those other groups. `rdkafka` reads
    // the rest, several requests in flight at once: watermarks, min.insync.replicas, consumer
    // group descriptions and committed offsets. When null it is created from the profile and
    // `password` after a successful Metadata, and kept there for the next refresh. `cancelled`
    // (any thread may make it true; it is also called from the watermark query's helper threads)
    // ends the waits on librdkafka early with ABORTED.
    [[nodiscard]] static ClientResult<std::shared_ptr<ClusterSnapshot>>
    buildSnapshot(KafkaClient& client, std::unique_ptr<RdKafkaHandle>& rdkafka,
                  const ConnectionProfile& profile, const QString& password = {},
                  const std::function<bool()>& cancelled = {});

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
    // Created by the first refresh that reached the cluster, rebuilt by restart(), destroyed on
    // the worker thread with the worker (rd_kafka_destroy joins librdkafka's threads there).
    std::unique_ptr<RdKafkaHandle> m_rdkafka;
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
