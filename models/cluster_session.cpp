#include "models/cluster_session.h"

#include "models/session_worker.h"
#include "models/worker_thread.h"

#include <QMetaObject>
#include <QThread>

namespace faultline::models {

namespace {

void registerMetaTypes() {
    static const bool done = [] {
        qRegisterMetaType<faultline::models::SnapshotPtr>("faultline::models::SnapshotPtr");
        qRegisterMetaType<faultline::models::ConnectionState>("faultline::models::ConnectionState");
        qRegisterMetaType<faultline::models::JobResult>("faultline::models::JobResult");
        qRegisterMetaType<faultline::models::JobId>("faultline::models::JobId");
        return true;
    }();
    (void)done;
}

} // namespace

ClusterSession::ClusterSession(ConnectionProfile profile, QString password, QObject* parent)
    : QObject(parent), m_profile(std::move(profile)), m_password(std::move(password)) {
    registerMetaTypes();
    m_worker = new SessionWorker(m_profile, m_password);
    connect(m_worker, &SessionWorker::snapshotBuilt, this,
            [this](const SnapshotPtr& snapshot) { acceptSnapshot(snapshot); });
    connect(m_worker, &SessionWorker::stateChanged, this, &ClusterSession::stateChanged);
    connect(m_worker, &SessionWorker::jobStarted, this, &ClusterSession::jobStarted);
    connect(m_worker, &SessionWorker::jobProgress, this, &ClusterSession::jobProgress);
    connect(m_worker, &SessionWorker::jobFinished, this,
            [this](JobId id, const JobResult& result) {
                m_cancelFlags.remove(id);
                emit jobFinished(id, result);
            });
    // It outlives this session when a request is in flight (see the destructor).
    m_thread = startWorkerThread(m_worker, QStringLiteral("session:%1").arg(m_profile.name));
}

ClusterSession::~ClusterSession() {
    // Nothing the worker emits from now on reaches this session (queued ones already posted are
    // dropped with it), so a late snapshot or job result can never touch a destroyed object.
    disconnect(m_worker, nullptr, this, nullptr);
    for (auto& flag : m_cancelFlags)
        flag->store(true);
    m_worker->abort(); // thread-safe: the request in flight fails at once, nothing more runs
    retireWorkerThread(m_thread); // its event loop ends as soon as that request has returned
}

int ClusterSession::finishingThreadCount() {
    return finishingWorkerThreads();
}

void ClusterSession::setClientOptions(const KafkaClient::Options& options) {
    SessionWorker* worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, options] { worker->setClientOptions(options); }, Qt::QueuedConnection);
}

void ClusterSession::start() {
    ++m_generation;
    m_started = true;
    SessionWorker* worker = m_worker;
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(worker, [worker, generation] { worker->start(generation); },
                              Qt::QueuedConnection);
}

void ClusterSession::reconnect() {
    ++m_generation;
    SessionWorker* worker = m_worker;
    const quint64 generation = m_generation;
    QMetaObject::invokeMethod(worker, [worker, generation] { worker->restart(generation); },
                              Qt::QueuedConnection);
}

void ClusterSession::refreshNow() {
    SessionWorker* worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker] { worker->refresh(); }, Qt::QueuedConnection);
}

void ClusterSession::setRefreshInterval(int ms) {
    m_profile.refreshIntervalMs = ms;
    SessionWorker* worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker, ms] { worker->setInterval(ms); }, Qt::QueuedConnection);
}

SnapshotPtr ClusterSession::latest() const { return m_latest; }

bool ClusterSession::acceptSnapshot(SnapshotPtr snapshot) {
    if (!snapshot || snapshot->generation != m_generation)
        return false;
    if (m_latest && m_latest->generation == snapshot->generation &&
        m_latest->sequence > snapshot->sequence)
        return false;
    m_latest = snapshot;
    emit snapshotReady(std::move(snapshot));
    return true;
}

JobId ClusterSession::submit(std::shared_ptr<Job> job) {
    const JobId id = m_nextJob++;
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_cancelFlags.insert(id, flag);
    SessionWorker* worker = m_worker;
    QMetaObject::invokeMethod(
        worker, [worker, id, job = std::move(job), flag] { worker->runJob(id, job, flag); },
        Qt::QueuedConnection);
    return id;
}

void ClusterSession::cancel(JobId id) {
    if (auto it = m_cancelFlags.find(id); it != m_cancelFlags.end())
        it.value()->store(true);
}

} // namespace faultline::models
