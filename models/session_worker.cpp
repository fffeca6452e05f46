#include "models/session_worker.h"

#include "models/rack_pattern.h"

#include <QElapsedTimer>
#include <QSet>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

namespace faultline::models {

namespace {

// Kafka's base64 of a topic id; empty for the zero id.
QString topicIdText(const protocol::Uuid& id) {
    if (std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; }))
        return {};
    const QByteArray bytes(reinterpret_cast<const char*>(id.data()),
                           static_cast<qsizetype>(id.size()));
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

// This thread's CPU time in microseconds.
qint64 threadCpuUs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<qint64>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Records the refresh's steps into ClusterSnapshot::phases: requests sent, wall and CPU time.
class PhaseClock {
public:
    explicit PhaseClock(ClusterSnapshot& snapshot)
        : m_snapshot(snapshot), m_cpuStart(threadCpuUs()) {
        m_timer.start();
    }
    void sent(int requests = 1) { m_requests += requests; }
    void end(const QString& name) {
        const qint64 cpu = threadCpuUs();
        m_snapshot.phases.push_back(
            RefreshPhase{name, m_requests, m_timer.nsecsElapsed() / 1000, cpu - m_cpuStart});
        m_requests = 0;
        m_timer.restart();
        m_cpuStart = cpu;
    }

private:
    ClusterSnapshot& m_snapshot;
    QElapsedTimer m_timer;
    qint64 m_cpuStart = 0;
    int m_requests = 0;
};

// Topics per DescribeConfigs and groups per DescribeConsumerGroups; admin calls in flight at once.
constexpr std::size_t kConfigTopicsPerRequest = 1000;
constexpr qsizetype kGroupsPerDescribe = 100;
constexpr int kMaxAdminInFlight = 16;
constexpr const char* kMinInsyncReplicas = "min.insync.replicas";

bool isUnsupported(rd_kafka_resp_err_t code) {
    return code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
           code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION;
}

// A snapshot warning for a failed request: "<what>: <message>", or, when the broker lacks the
// API (or the version librdkafka needs), "<what>: the broker does not support <api>".
QString warningText(const QString& what, const QString& api, const RdKafkaError& error) {
    if (isUnsupported(error.code))
        return QStringLiteral("%1: the broker does not support %2 (%3)").arg(what, api, error.name);
    return QStringLiteral("%1: %2").arg(what, error.message);
}

RdKafkaError fromError(const rd_kafka_error_t* error) {
    return RdKafkaError::from(rd_kafka_error_code(error), rd_kafka_error_string(error));
}

// The admin requests of one refresh on the session's librdkafka handle, in flight together: at
// most kMaxAdminInFlight are out, the rest wait their turn in order. Each result goes to the
// handler it was issued with, recognised by the request's opaque: a tag unique in this process,
// so a late answer to an earlier refresh that stopped waiting is recognised and dropped.
class AdminRequests {
public:
    using Result = std::expected<rd_kafka_event_t*, RdKafkaError>;
    using Send = std::function<void(const rd_kafka_AdminOptions_t*)>;
    using Handler = std::function<void(const Result&)>;

    AdminRequests(const RdKafkaHandle& handle, int timeoutMs, std::function<bool()> cancelled)
        : m_handle(handle), m_timeoutMs(timeoutMs), m_cancelled(std::move(cancelled)) {}
    AdminRequests(const AdminRequests&) = delete;
    AdminRequests& operator=(const AdminRequests&) = delete;

    // Queues one request: `send` issues it with options for `op` (request timeout and tag set);
    // `done` gets its result event, or the error when the request failed as a whole (the event's
    // error, or _TIMED_OUT when no answer came in time). Handlers may issue more requests.
    void issue(rd_kafka_admin_op_t op, Send send, Handler done) {
        m_waiting.push_back({op, std::move(send), std::move(done)});
    }

    // Issues what the bound allows and hands every result already there to its handler.
    void pump() { (void)serve(0); }

    // Serves results until `satisfied()` holds or nothing is left to wait for (true), or the
    // refresh is cancelled (false; the handlers of what is still out are never called).
    [[nodiscard]] bool waitUntil(const std::function<bool()>& satisfied) {
        constexpr int sliceMs = 100;
        while (!satisfied() && !(m_waiting.empty() && m_out.empty())) {
            if (m_cancelled && m_cancelled())
                return false;
            if (!serve(sliceMs))
                return false;
        }
        return true;
    }

private:
    struct Waiting {
        rd_kafka_admin_op_t op;
        Send send;
        Handler done;
    };
    struct Out {
        Handler done;
        std::chrono::steady_clock::time_point deadline;
    };

    // Issues waiting requests up to the bound, then takes results for up to `waitMs` (first
    // poll) and without waiting after that; fails the requests whose answer is overdue.
    bool serve(int waitMs) {
        launch();
        for (int wait = waitMs;; wait = 0) {
            if (m_cancelled && m_cancelled())
                return false;
            RdKafkaEventPtr event(rd_kafka_queue_poll(m_handle.resultQueue(), wait));
            if (!event)
                break;
            const auto tag = reinterpret_cast<std::uintptr_t>(rd_kafka_event_opaque(event.get()));
            auto it = m_out.find(tag);
            if (it == m_out.end())
                continue; // an answer to an earlier refresh, or not an admin result
            Handler done = std::move(it->second.done);
            m_out.erase(it);
            if (const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get()))
                done(std::unexpected(
                    RdKafkaError::from(err, rd_kafka_event_error_string(event.get()))));
            else
                done(event.get());
            launch(); // a handler may have queued more, and a place is free
        }
        // librdkafka answers every request by its timeout; this guards against one that does not.
        const auto now = std::chrono::steady_clock::now();
        for (auto it = m_out.begin(); it != m_out.end();) {
            if (it->second.deadline > now) {
                ++it;
                continue;
            }
            Handler done = std::move(it->second.done);
            it = m_out.erase(it);
            done(std::unexpected(
                RdKafkaError::from(RD_KAFKA_RESP_ERR__TIMED_OUT,
                                   QStringLiteral("No answer from the cluster within %1 s")
                                       .arg(m_timeoutMs / 1000)
                                       .toUtf8()
                                       .constData())));
        }
        launch();
        return true;
    }

    void launch() {
        static std::atomic<std::uintptr_t> nextTag{1};
        while (!m_waiting.empty() && static_cast<int>(m_out.size()) < kMaxAdminInFlight) {
            Waiting request = std::move(m_waiting.front());
            m_waiting.pop_front();
            const std::uintptr_t tag = nextTag.fetch_add(1);
            RdKafkaOptionsPtr options = m_handle.adminOptions(request.op, m_timeoutMs);
            rd_kafka_AdminOptions_set_opaque(options.get(), reinterpret_cast<void*>(tag));
            m_out[tag] = Out{std::move(request.done),
                             std::chrono::steady_clock::now() +
                                 std::chrono::milliseconds(m_timeoutMs + kOverdueSlackMs)};
            request.send(options.get());
        }
    }

    static constexpr int kOverdueSlackMs = 5000;
    const RdKafkaHandle& m_handle;
    int m_timeoutMs;
    std::function<bool()> m_cancelled;
    std::deque<Waiting> m_waiting;
    std::map<std::uintptr_t, Out> m_out;
};

// Partitions per rd_kafka_offsets_for_times call, and calls at once. The call's cost grows with
// the square of its list (librdkafka 2.0.2 looks each answered partition up in the list, one by
// one: 4,000 partitions cost 80 ms of CPU, 500 cost 2), so a large cluster is asked in chunks,
// several at once from helper threads so that round trips to a remote cluster overlap.
constexpr int kWatermarkChunk = 500;
constexpr std::size_t kWatermarkThreads = 4;

// One chunk of partitions: the same list asked for the earliest (-2) and the latest (-1) offset;
// after queryWatermarks each holds librdkafka's answers, and its error for the call as a whole.
struct WatermarkChunk {
    RdKafkaPartitionListPtr earliest;
    RdKafkaPartitionListPtr latest;
    rd_kafka_resp_err_t earliestError = RD_KAFKA_RESP_ERR__TIMED_OUT; // until asked
    rd_kafka_resp_err_t latestError = RD_KAFKA_RESP_ERR__TIMED_OUT;
};

// Asks every chunk's two lists, up to kWatermarkThreads calls at once (this thread makes one of
// them). All calls together end within timeoutMs: a list not asked by then keeps _TIMED_OUT. Stops
// asking when `cancelled` says so (it is called from the helper threads too).
void queryWatermarks(rd_kafka_t* rk, std::vector<WatermarkChunk>& chunks, int timeoutMs,
                     const std::function<bool()>& cancelled) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    const auto remainingMs = [deadline] {
        return static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    };
    // Work items: the earliest and the latest list of every chunk, each its own call.
    const std::size_t items = 2 * chunks.size();
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t i = next++; i < items; i = next++) {
            if (cancelled && cancelled())
                return;
            const int left = remainingMs();
            if (left <= 0)
                return; // the rest keep _TIMED_OUT
            // Every earliest list first: by the time a chunk's latest list is asked, librdkafka
            // has usually learnt its topics' leaders already (one Metadata per chunk, not two).
            if (i < chunks.size()) {
                WatermarkChunk& chunk = chunks[i];
                chunk.earliestError = rd_kafka_offsets_for_times(rk, chunk.earliest.get(), left);
            } else {
                WatermarkChunk& chunk = chunks[i - chunks.size()];
                chunk.latestError = rd_kafka_offsets_for_times(rk, chunk.latest.get(), left);
            }
        }
    };
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < std::min(kWatermarkThreads, items); ++t)
        helpers.emplace_back(work);
    work();
} // the helpers are joined here

ClientError abortedError() {
    return ClientError{QStringLiteral("ABORTED"),
                       QStringLiteral("the refresh was abandoned: the session is closing")};
}

// Fills a consumer group's row from librdkafka's description of it, or records its error.
void applyDescription(const rd_kafka_ConsumerGroupDescription_t* description,
                      std::map<QString, GroupRow>& groups, QStringList& warnings) {
    const QString id = QString::fromUtf8(rd_kafka_ConsumerGroupDescription_group_id(description));
    auto it = groups.find(id);
    if (it == groups.end())
        return;
    if (const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(description)) {
        warnings.push_back(warningText(QStringLiteral("DescribeGroups for group %1").arg(id),
                                       QStringLiteral("DescribeGroups"), fromError(error)));
        return;
    }
    GroupRow& row = it->second;
    row.state = QString::fromUtf8(
        rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(description)));
    // A simple group (offsets committed by hand, no members) has the empty protocol type.
    row.protocolType = rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(description)
                           ? QString()
                           : QStringLiteral("consumer");
    const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(description);
    row.protocol = assignor ? QString::fromUtf8(assignor) : QString();
    if (const rd_kafka_Node_t* node = rd_kafka_ConsumerGroupDescription_coordinator(description))
        row.coordinator = rd_kafka_Node_id(node);
    row.members.clear();
    const size_t count = rd_kafka_ConsumerGroupDescription_member_count(description);
    for (size_t i = 0; i < count; ++i) {
        const rd_kafka_MemberDescription_t* m =
            rd_kafka_ConsumerGroupDescription_member(description, i);
        GroupMemberRow member;
        member.memberId = QString::fromUtf8(rd_kafka_MemberDescription_consumer_id(m));
        const char* instance = rd_kafka_MemberDescription_group_instance_id(m);
        member.groupInstanceId = instance ? QString::fromUtf8(instance) : QString();
        member.clientId = QString::fromUtf8(rd_kafka_MemberDescription_client_id(m));
        member.host = QString::fromUtf8(rd_kafka_MemberDescription_host(m));
        if (const rd_kafka_MemberAssignment_t* assignment =
                rd_kafka_MemberDescription_assignment(m))
            if (const rd_kafka_topic_partition_list_t* parts =
                    rd_kafka_MemberAssignment_partitions(assignment))
                for (int p = 0; p < parts->cnt; ++p)
                    member.assignment.push_back(
                        {QString::fromUtf8(parts->elems[p].topic), parts->elems[p].partition});
        std::sort(member.assignment.begin(), member.assignment.end());
        row.members.push_back(std::move(member));
    }
    std::sort(
        row.members.begin(), row.members.end(),
        [](const GroupMemberRow& a, const GroupMemberRow& b) { return a.memberId < b.memberId; });
}

class WorkerJobContext final : public JobContext {
public:
    WorkerJobContext(KafkaClient& client, std::atomic<bool>& cancelled, JobId id,
                     std::function<void(JobId, int, const QString&)> progress)
        : m_client(client), m_cancelled(cancelled), m_id(id), m_progress(std::move(progress)) {}
    KafkaClient& client() override { return m_client; }
    bool cancelled() const override { return m_cancelled.load(); }
    void progress(int percent, const QString& message) override {
        m_progress(m_id, percent, message);
    }

private:
    KafkaClient& m_client;
    std::atomic<bool>& m_cancelled;
    JobId m_id;
    std::function<void(JobId, int, const QString&)> m_progress;
};

} // namespace

SessionWorker::SessionWorker(ConnectionProfile profile, QString password, QObject* parent)
    : QObject(parent), m_profile(std::move(profile)), m_password(std::move(password)),
      m_interval(m_profile.refreshIntervalMs > 0 ? m_profile.refreshIntervalMs : 5000) {}

SessionWorker::~SessionWorker() = default;

void SessionWorker::ensureObjects() {
    if (!m_client) {
        const std::lock_guard lock(m_clientMutex);
        m_client = std::make_unique<KafkaClient>(m_profile, m_password, m_clientOptions);
        if (m_aborted.load())
            m_client->abort();
    }
    if (!m_timer) {
        m_timer = new QTimer(this);
        m_timer->setInterval(m_interval);
        connect(m_timer, &QTimer::timeout, this, &SessionWorker::refresh);
    }
}

void SessionWorker::start(quint64 generation) {
    ensureObjects();
    m_generation = generation;
    m_state = ConnectionState::Connecting;
    emit stateChanged(ConnectionState::Connecting,
                      QStringLiteral("Connecting to %1").arg(m_profile.bootstrapServers));
    m_timer->start();
    refresh();
}

void SessionWorker::restart(quint64 generation) {
    ensureObjects();
    m_client->disconnectAll();
    m_rdkafka.reset(); // the next refresh that reaches the cluster creates a new one
    start(generation);
}

void SessionWorker::setInterval(int ms) {
    m_interval = std::max(100, ms);
    if (m_timer)
        m_timer->setInterval(m_interval);
}

void SessionWorker::setClientOptions(const KafkaClient::Options& options) {
    {
        const std::lock_guard lock(m_clientMutex);
        m_clientOptions = options;
        m_client.reset(); // the next call builds a client with these options
    }
    // And the next refresh a librdkafka handle with its client id. Outside the lock: abort()
    // (from the UI thread) never waits for librdkafka's threads to end.
    m_rdkafka.reset();
}

void SessionWorker::abort() {
    const std::lock_guard lock(m_clientMutex);
    m_aborted.store(true);
    if (m_client)
        m_client->abort();
}

void SessionWorker::refresh() {
    if (m_aborted.load())
        return;
    ensureObjects();
    auto built = buildSnapshot(*m_client, m_rdkafka, m_profile, m_password,
                               [this] { return m_aborted.load(); });
    if (m_aborted.load())
        return; // torn down meanwhile: nobody is listening
    if (!built) {
        m_client->disconnectAll();
        const QString message =
            built.error().message.isEmpty()
                ? built.error().errorName
                : QStringLiteral("%1 (%2)").arg(built.error().message, built.error().errorName);
        if (m_state != ConnectionState::Failed || m_lastMessage != message) {
            m_state = ConnectionState::Failed;
            m_lastMessage = message;
            emit stateChanged(ConnectionState::Failed, message);
        }
        return;
    }
    auto snapshot = *built;
    snapshot->generation = m_generation;
    snapshot->sequence = ++m_sequence;
    if (m_state != ConnectionState::Connected) {
        m_state = ConnectionState::Connected;
        m_lastMessage.clear();
        emit stateChanged(ConnectionState::Connected, QStringLiteral("Connected to %1 (%2 brokers)")
                                                          .arg(m_profile.bootstrapServers)
                                                          .arg(snapshot->brokers.size()));
    }
    emit snapshotBuilt(std::move(snapshot));
}

void SessionWorker::runJob(JobId id, std::shared_ptr<Job> job,
                           std::shared_ptr<std::atomic<bool>> cancelled) {
    if (m_aborted.load())
        return;
    ensureObjects();
    emit jobStarted(id, job->title());
    JobResult result;
    if (cancelled->load()) {
        result.ok = false;
        result.summary = QStringLiteral("%1: cancelled").arg(job->title());
        result.errorName = QStringLiteral("CANCELLED");
    } else {
        WorkerJobContext context(*m_client, *cancelled, id,
                                 [this](JobId jobId, int percent, const QString& message) {
                                     emit jobProgress(jobId, percent, message);
                                 });
        result = job->run(context);
    }
    emit jobFinished(id, result);
    refresh(); // the cluster changed (or may have)
}

ClientResult<std::shared_ptr<ClusterSnapshot>>
SessionWorker::buildSnapshot(KafkaClient& client, std::unique_ptr<RdKafkaHandle>& rdkafka,
                             const ConnectionProfile& profile, const QString& password,
                             const std::function<bool()>& cancelled) {
    auto snapshot = std::make_shared<ClusterSnapshot>();
    PhaseClock clock(*snapshot);
    auto metadata = client.metadata(std::nullopt);
    if (!metadata)
        return std::unexpected(metadata.error());
    clock.sent();

    snapshot->takenAt = QDateTime::currentDateTimeUtc();
    snapshot->clusterId = QString::fromStdString(metadata->clusterId.value_or(""));
    snapshot->controllerId = metadata->controllerId;

    // ---- brokers
    std::map<std::int32_t, BrokerRow> brokers;
    for (const auto& b : metadata->brokers) {
        BrokerRow row;
        row.id = b.nodeId;
        row.host = QString::fromStdString(b.host);
        row.port = b.port;
        row.rack = b.rack ? QString::fromStdString(*b.rack) : QString();
        row.controller = b.nodeId == metadata->controllerId;
        brokers[b.nodeId] = row;
    }

    // ---- topics and partitions
    std::map<QString, TopicRow> topics;
    for (const auto& t : metadata->topics) {
        if (!t.name)
            continue;
        const QString name = QString::fromStdString(*t.name);
        if (t.errorCode != 0 && t.partitions.empty()) {
            snapshot->warnings.push_back(
                QStringLiteral("topic %1: %2").arg(name, kafkaErrorName(t.errorCode)));
            continue;
        }
        TopicRow topic;
        topic.name = name;
        topic.topicId = topicIdText(t.topicId);
        topic.internal = t.isInternal;
        for (const auto& p : t.partitions) {
            PartitionRow row;
            row.partition = p.partitionIndex;
            row.leader = p.leaderId;
            row.leaderEpoch = p.leaderEpoch;
            row.replicas = QVector<std::int32_t>(p.replicaNodes.begin(), p.replicaNodes.end());
            row.isr = QVector<std::int32_t>(p.isrNodes.begin(), p.isrNodes.end());
            row.offlineReplicas =
                QVector<std::int32_t>(p.offlineReplicas.begin(), p.offlineReplicas.end());
            for (auto r : p.replicaNodes) {
                if (!brokers.contains(r)) {
                    BrokerRow down;
                    down.id = r;
                    down.status = BrokerStatus::Down;
                    brokers[r] = down;
                }
                ++brokers[r].replicaCount;
            }
            if (row.leader >= 0 && brokers.contains(row.leader))
                ++brokers[row.leader].leaderCount;
            topic.partitions.push_back(std::move(row));
        }
        std::sort(
            topic.partitions.begin(), topic.partitions.end(),
            [](const PartitionRow& a, const PartitionRow& b) { return a.partition < b.partition; });
        topics[name] = std::move(topic);
    }

    // Answers list partitions topic by topic: the topic is looked up once per answer topic, and a
    // partition by its index (ids are dense and sorted), falling back to a search.
    const auto findTopic = [&](const std::string& name) -> TopicRow* {
        auto it = topics.find(QString::fromStdString(name));
        return it == topics.end() ? nullptr : &it->second;
    };
    const auto partitionOf = [](TopicRow* topic, std::int32_t partition) -> PartitionRow* {
        if (!topic || partition < 0)
            return nullptr;
        auto& parts = topic->partitions;
        if (partition < parts.size() && parts[partition].partition == partition)
            return &parts[partition];
        auto p = std::lower_bound(
            parts.begin(), parts.end(), partition,
            [](const PartitionRow& r, std::int32_t id) { return r.partition < id; });
        return p != parts.end() && p->partition == partition ? &*p : nullptr;
    };
    const auto findPartition = [&](const QString& topic, std::int32_t partition) -> PartitionRow* {
        auto it = topics.find(topic);
        return partitionOf(it == topics.end() ? nullptr : &it->second, partition);
    };

    // The cluster answered: the librdkafka handle reads the rest (created once per session). A
    // consumer instance, never subscribed and without a group, since isolation.level is a
    // consumer property; the admin API works on any instance.
    const int timeoutMs = static_cast<int>(client.options().requestTimeout.count());
    if (!rdkafka) {
        auto created = RdKafkaHandle::create(
            RD_KAFKA_CONSUMER, profile, password,
            {{QStringLiteral("client.id"), client.options().clientId},
             // Watermarks as consumers that see every record do: the end offset is the high
             // watermark, not the last stable offset (librdkafka's default is read_committed).
             {QStringLiteral("isolation.level"), QStringLiteral("read_uncommitted")},
             {QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")}});
        if (created)
            rdkafka = std::move(*created);
        else
            snapshot->warnings.push_back(QStringLiteral("librdkafka: %1 (%2)")
                                             .arg(created.error().message, created.error().name));
    }
    clock.end(QStringLiteral("metadata"));

    // ---- admin requests: the DescribeConfigs are issued now and collected in the configs
    // phase, so they run on librdkafka's threads while this one waits for the watermarks and
    // the log dirs; the group requests are issued once ListGroups has named the groups.
    std::optional<AdminRequests> admin;
    if (rdkafka)
        admin.emplace(*rdkafka, timeoutMs, cancelled);

    // min.insync.replicas of every topic, kConfigTopicsPerRequest topics per DescribeConfigs.
    int configRequests = 0;
    int configsDue = 0;
    if (admin) {
        std::vector<QByteArray> names;
        names.reserve(topics.size());
        for (const auto& [name, topic] : topics)
            names.push_back(name.toUtf8());
        for (std::size_t first = 0; first < names.size(); first += kConfigTopicsPerRequest) {
            std::vector<QByteArray> chunk(
                names.begin() + static_cast<std::ptrdiff_t>(first),
                names.begin() + static_cast<std::ptrdiff_t>(
                                    std::min(names.size(), first + kConfigTopicsPerRequest)));
            ++configRequests;
            ++configsDue;
            rd_kafka_t* rk = rdkafka->get();
            rd_kafka_queue_t* queue = rdkafka->resultQueue();
            admin->issue(
                RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
                [rk, queue, chunk = std::move(chunk)](const rd_kafka_AdminOptions_t* options) {
                    std::vector<rd_kafka_ConfigResource_t*> resources;
                    resources.reserve(chunk.size());
                    for (const QByteArray& name : chunk) {
                        rd_kafka_ConfigResource_t* resource =
                            rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.constData());
                        // Only this key: the answer stays small whatever the topic count
                        // (DescribeConfigs sends the names of the entries, not their values;
                        // librdkafka refuses a null value, so the entry gets an empty one).
                        const rd_kafka_resp_err_t named =
                            rd_kafka_ConfigResource_set_config(resource, kMinInsyncReplicas, "");
                        Q_ASSERT(named == RD_KAFKA_RESP_ERR_NO_ERROR);
                        (void)named;
                        resources.push_back(resource);
                    }
                    rd_kafka_DescribeConfigs(rk, resources.data(), resources.size(), options,
                                             queue);
                    rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
                },
                [&](const AdminRequests::Result& result) {
                    --configsDue;
                    if (!result) {
                        snapshot->warnings.push_back(warningText(QStringLiteral("DescribeConfigs"),
                                                                 QStringLiteral("DescribeConfigs"),
                                                                 result.error()));
                        return;
                    }
                    size_t count = 0;
                    const rd_kafka_ConfigResource_t** resources =
                        rd_kafka_DescribeConfigs_result_resources(
                            rd_kafka_event_DescribeConfigs_result(*result), &count);
                    for (size_t i = 0; i < count; ++i) {
                        const QString name =
                            QString::fromUtf8(rd_kafka_ConfigResource_name(resources[i]));
                        if (const rd_kafka_resp_err_t err =
                                rd_kafka_ConfigResource_error(resources[i])) {
                            snapshot->warnings.push_back(warningText(
                                QStringLiteral("DescribeConfigs for topic %1").arg(name),
                                QStringLiteral("DescribeConfigs"),
                                RdKafkaError::from(
                                    err, rd_kafka_ConfigResource_error_string(resources[i]))));
                            continue;
                        }
                        auto it = topics.find(name);
                        if (it == topics.end())
                            continue;
                        size_t entries = 0;
                        const rd_kafka_ConfigEntry_t** configs =
                            rd_kafka_ConfigResource_configs(resources[i], &entries);
                        for (size_t e = 0; e < entries; ++e) {
                            const char* value = rd_kafka_ConfigEntry_value(configs[e]);
                            if (!value || std::strcmp(rd_kafka_ConfigEntry_name(configs[e]),
                                                      kMinInsyncReplicas) != 0)
                                continue;
                            bool ok = false;
                            const int v = QString::fromUtf8(value).toInt(&ok);
                            if (ok)
                                it->second.minInsyncReplicas = v;
                        }
                    }
                });
        }
    }

    // ---- offsets: log start and end of every partition with a live leader.
    // librdkafka 2.0.2 has no asynchronous ListOffsets admin call; rd_kafka_offsets_for_times
    // is the one that batches (one ListOffsets per leader, all leaders at once) and takes the
    // special timestamps -2 (earliest: log start) and -1 (latest: end offset, read_uncommitted
    // above). It blocks its caller, so the calls are bounded by the request timeout (all of
    // them together) and abort() waits at most that long for them; the admin requests issued
    // above progress meanwhile. See queryWatermarks for the chunks and threads.
    int offsetRequests = 0;
    if (rdkafka) {
        std::vector<WatermarkChunk> chunks;
        QSet<std::int32_t> leaders;
        for (const auto& [name, topic] : topics) {
            const QByteArray topicName = name.toUtf8();
            for (const auto& p : topic.partitions) {
                auto leader = brokers.find(p.leader);
                if (leader == brokers.end() || leader->second.status != BrokerStatus::Up)
                    continue;
                if (chunks.empty() || chunks.back().earliest->cnt >= kWatermarkChunk) {
                    chunks.emplace_back();
                    chunks.back().earliest.reset(
                        rd_kafka_topic_partition_list_new(kWatermarkChunk));
                }
                leaders.insert(p.leader);
                rd_kafka_topic_partition_list_add(chunks.back().earliest.get(),
                                                  topicName.constData(), p.partition)
                    ->offset = -2;
            }
        }
        for (WatermarkChunk& chunk : chunks) {
            chunk.latest.reset(rd_kafka_topic_partition_list_copy(chunk.earliest.get()));
            for (int i = 0; i < chunk.latest->cnt; ++i)
                chunk.latest->elems[i].offset = -1;
        }
        queryWatermarks(rdkafka->get(), chunks, timeoutMs, cancelled);
        if (cancelled && cancelled())
            return std::unexpected(abortedError());

        // Each call sends one ListOffsets per leader of its partitions (counted as all leaders).
        offsetRequests = 2 * static_cast<int>(chunks.size()) * static_cast<int>(leaders.size());
        int failed = 0;
        QString firstFailure;
        const auto apply = [&](const rd_kafka_topic_partition_list_t* list, rd_kafka_resp_err_t err,
                               bool start) {
            const QString which = start ? QStringLiteral("log start") : QStringLiteral("end");
            if (err) {
                failed += list->cnt;
                if (firstFailure.isEmpty())
                    firstFailure = QStringLiteral("%1 offsets: %2 (%3)")
                                       .arg(which, RdKafkaError::from(err).message,
                                            RdKafkaError::from(err).name);
                return;
            }
            TopicRow* topic = nullptr;
            const char* topicName = nullptr;
            for (int i = 0; i < list->cnt; ++i) {
                const rd_kafka_topic_partition_t& p = list->elems[i];
                if (p.err || p.offset < 0) {
                    if (failed++ == 0)
                        firstFailure = QStringLiteral("%1 offset of %2[%3]: %4")
                                           .arg(which, QString::fromUtf8(p.topic))
                                           .arg(p.partition)
                                           .arg(RdKafkaError::from(p.err).name);
                    continue;
                }
                if (topicName != p.topic) { // the list is grouped by topic
                    topicName = p.topic;
                    topic = findTopic(p.topic);
                }
                if (auto* row = partitionOf(topic, p.partition)) {
                    if (start)
                        row->logStartOffset = p.offset;
                    else
                        row->logEndOffset = p.offset;
                }
            }
        };
        for (const WatermarkChunk& chunk : chunks) {
            apply(chunk.earliest.get(), chunk.earliestError, true);
            apply(chunk.latest.get(), chunk.latestError, false);
        }
        if (failed > 0)
            snapshot->warnings.push_back(
                failed == 1 ? QStringLiteral("ListOffsets: %1").arg(firstFailure)
                            : QStringLiteral("ListOffsets: %1 offsets unanswered, first the %2")
                                  .arg(failed)
                                  .arg(firstFailure));
    }
    clock.sent(offsetRequests);
    if (admin)
        admin->pump();
    clock.end(QStringLiteral("list_offsets"));

    // ---- disk: DescribeLogDirs per live broker (own client: replica sizes per log dir)
    for (auto& [id, broker] : brokers) {
        if (broker.status != BrokerStatus::Up)
            continue;
        clock.sent();
        auto dirs = client.describeLogDirs(id);
        if (!dirs) {
            snapshot->warnings.push_back(
                dirs.error().errorName == QLatin1String("UNSUPPORTED_VERSION")
                    ? QStringLiteral("DescribeLogDirs unsupported by broker %1").arg(id)
                    : QStringLiteral("DescribeLogDirs on broker %1: %2")
                          .arg(id)
                          .arg(dirs.error().message));
            continue;
        }
        qint64 total = 0;
        for (const auto& dir : dirs->results) {
            if (dir.errorCode != 0)
                continue;
            for (const auto& t : dir.topics) {
                TopicRow* topic = findTopic(t.name);
                for (const auto& p : t.partitions) {
                    if (p.isFutureKey)
                        continue;
                    total += p.partitionSize;
                    if (auto* row = partitionOf(topic, p.partitionIndex))
                        row->replicaSizeBytes[id] += p.partitionSize;
                }
            }
        }
        broker.diskBytes = total;
        if (admin)
            admin->pump();
    }
    clock.end(QStringLiteral("log_dirs"));

    // ---- min.insync.replicas: the DescribeConfigs issued above
    if (admin && !admin->waitUntil([&] { return configsDue == 0; }))
        return std::unexpected(abortedError());
    clock.sent(configRequests);
    clock.end(QStringLiteral("configs"));

    // ---- groups: ListGroups on every live broker with the own client, since librdkafka
    // 2.0.2's ListConsumerGroups leaves out every group whose protocol type is neither
    // "consumer" nor empty (a Connect cluster's, a schema registry's). Consumer groups are then
    // described with DescribeConsumerGroups; the others, which it refuses ("not a consumer
    // group"), with the own client's DescribeGroups at their coordinator. Committed offsets of
    // every group: one ListConsumerGroupOffsets each, issued together with the descriptions.
    std::map<QString, GroupRow> groups;
    std::map<std::int32_t, QStringList> otherGroups; // coordinator -> non-consumer groups
    QStringList consumerGroups;
    for (const auto& [id, broker] : brokers) {
        if (broker.status != BrokerStatus::Up)
            continue;
        clock.sent();
        auto listed = client.listGroups(id);
        if (!listed) {
            snapshot->warnings.push_back(
                QStringLiteral("ListGroups on broker %1: %2").arg(id).arg(listed.error().message));
            continue;
        }
        for (const auto& g : listed->groups) {
            GroupRow row;
            row.groupId = QString::fromStdString(g.groupId);
            row.protocolType = QString::fromStdString(g.protocolType);
            row.state = QString::fromStdString(g.groupState);
            row.coordinator = id;
            if (row.protocolType.isEmpty() || row.protocolType == QLatin1String("consumer"))
                consumerGroups.push_back(row.groupId);
            else
                otherGroups[id].push_back(row.groupId);
            groups[row.groupId] = std::move(row);
        }
    }
    if (admin)
        admin->pump();

    int describesDue = 0;
    int offsetFetchesDue = 0;
    int fetchRequests = 0;
    // Committed offsets as answered, per group; turned into offset rows once every answer is in.
    std::map<QString, QVector<GroupOffsetRow>> committed;
    if (admin) {
        rd_kafka_t* rk = rdkafka->get();
        rd_kafka_queue_t* queue = rdkafka->resultQueue();
        for (qsizetype first = 0; first < consumerGroups.size(); first += kGroupsPerDescribe) {
            std::vector<QByteArray> ids;
            for (const QString& id : consumerGroups.mid(first, kGroupsPerDescribe))
                ids.push_back(id.toUtf8());
            clock.sent();
            ++describesDue;
            admin->issue(
                RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                [rk, queue, ids = std::move(ids)](const rd_kafka_AdminOptions_t* options) {
                    std::vector<const char*> names;
                    names.reserve(ids.size());
                    for (const QByteArray& id : ids)
                        names.push_back(id.constData());
                    rd_kafka_DescribeConsumerGroups(rk, names.data(), names.size(), options, queue);
                },
                [&](const AdminRequests::Result& result) {
                    --describesDue;
                    if (!result) {
                        snapshot->warnings.push_back(warningText(QStringLiteral("DescribeGroups"),
                                                                 QStringLiteral("DescribeGroups"),
                                                                 result.error()));
                        return;
                    }
                    size_t count = 0;
                    const rd_kafka_ConsumerGroupDescription_t** described =
                        rd_kafka_DescribeConsumerGroups_result_groups(
                            rd_kafka_event_DescribeConsumerGroups_result(*result), &count);
                    for (size_t i = 0; i < count; ++i)
                        applyDescription(described[i], groups, snapshot->warnings);
                });
        }
        for (const auto& [groupId, row] : groups) {
            ++fetchRequests;
            ++offsetFetchesDue;
            const QByteArray id = groupId.toUtf8();
            admin->issue(
                RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                [rk, queue, id](const rd_kafka_AdminOptions_t* options) {
                    // No partitions: every partition the group has committed.
                    rd_kafka_ListConsumerGroupOffsets_t* request =
                        rd_kafka_ListConsumerGroupOffsets_new(id.constData(), nullptr);
                    rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, options, queue);
                    rd_kafka_ListConsumerGroupOffsets_destroy(request);
                },
                [&, groupId](const AdminRequests::Result& result) {
                    --offsetFetchesDue;
                    const QString what = QStringLiteral("OffsetFetch for group %1").arg(groupId);
                    if (!result) {
                        snapshot->warnings.push_back(
                            warningText(what, QStringLiteral("OffsetFetch"), result.error()));
                        return;
                    }
                    size_t count = 0;
                    const rd_kafka_group_result_t** answered =
                        rd_kafka_ListConsumerGroupOffsets_result_groups(
                            rd_kafka_event_ListConsumerGroupOffsets_result(*result), &count);
                    if (count < 1) {
                        snapshot->warnings.push_back(
                            QStringLiteral("%1: the answer names no group").arg(what));
                        return;
                    }
                    if (const rd_kafka_error_t* error = rd_kafka_group_result_error(answered[0])) {
                        snapshot->warnings.push_back(
                            warningText(what, QStringLiteral("OffsetFetch"), fromError(error)));
                        return;
                    }
                    auto& rows = committed[groupId];
                    const rd_kafka_topic_partition_list_t* parts =
                        rd_kafka_group_result_partitions(answered[0]);
                    for (int i = 0; parts && i < parts->cnt; ++i) {
                        const rd_kafka_topic_partition_t& p = parts->elems[i];
                        if (p.err || p.offset < 0)
                            continue; // nothing committed there
                        GroupOffsetRow offset;
                        offset.topic = QString::fromUtf8(p.topic);
                        offset.partition = p.partition;
                        offset.committedOffset = p.offset;
                        if (p.metadata && p.metadata_size > 0)
                            offset.metadata =
                                QString::fromUtf8(static_cast<const char*>(p.metadata),
                                                  static_cast<qsizetype>(p.metadata_size));
                        rows.push_back(std::move(offset));
                    }
                });
        }
    }
    // Groups of other protocols: DescribeGroups at their coordinator with the own client while
    // librdkafka works on the rest. Their assignments are not the consumer protocol's: no
    // partitions are decoded from them.
    for (const auto& [coordinator, ids] : otherGroups) {
        clock.sent();
        auto described = client.describeGroups(coordinator, ids);
        if (!described) {
            snapshot->warnings.push_back(QStringLiteral("DescribeGroups on broker %1: %2")
                                             .arg(coordinator)
                                             .arg(described.error().message));
            continue;
        }
        for (const auto& g : described->groups) {
            auto it = groups.find(QString::fromStdString(g.groupId));
            if (it == groups.end())
                continue;
            if (g.errorCode != 0) {
                snapshot->warnings.push_back(QStringLiteral("DescribeGroups for group %1: %2")
                                                 .arg(it->first, kafkaErrorName(g.errorCode)));
                continue;
            }
            GroupRow& row = it->second;
            row.state = QString::fromStdString(g.groupState);
            row.protocolType = QString::fromStdString(g.protocolType);
            row.protocol = QString::fromStdString(g.protocolData);
            for (const auto& m : g.members) {
                GroupMemberRow member;
                member.memberId = QString::fromStdString(m.memberId);
                member.groupInstanceId = QString::fromStdString(m.groupInstanceId.value_or(""));
                member.clientId = QString::fromStdString(m.clientId);
                member.host = QString::fromStdString(m.clientHost);
                row.members.push_back(std::move(member));
            }
            std::sort(row.members.begin(), row.members.end(),
                      [](const GroupMemberRow& a, const GroupMemberRow& b) {
                          return a.memberId < b.memberId;
                      });
        }
        if (admin)
            admin->pump();
    }
    if (admin && !admin->waitUntil([&] { return describesDue == 0; }))
        return std::unexpected(abortedError());
    clock.end(QStringLiteral("groups"));

    // ---- committed offsets: the ListConsumerGroupOffsets issued above
    if (admin && !admin->waitUntil([&] { return offsetFetchesDue == 0; }))
        return std::unexpected(abortedError());
    clock.sent(fetchRequests);
    for (auto& [groupId, row] : groups) {
        auto answered = committed.find(groupId);
        if (answered == committed.end())
            continue; // its OffsetFetch failed (a warning says so) or was never sent
        QHash<QPair<QString, std::int32_t>, QString> owner;
        for (const auto& m : row.members)
            for (const auto& tp : m.assignment)
                owner.insert(tp, m.memberId);
        QSet<QPair<QString, std::int32_t>> seen;
        for (GroupOffsetRow& offset : answered->second) {
            if (const auto* part = findPartition(offset.topic, offset.partition))
                offset.endOffset = part->logEndOffset;
            offset.memberId = owner.value({offset.topic, offset.partition});
            seen.insert({offset.topic, offset.partition});
            row.offsets.push_back(std::move(offset));
        }
        // Assigned partitions without a commit still show (committed -1).
        for (auto it = owner.begin(); it != owner.end(); ++it) {
            if (seen.contains(it.key()))
                continue;
            GroupOffsetRow offset;
            offset.topic = it.key().first;
            offset.partition = it.key().second;
            if (const auto* part = findPartition(offset.topic, offset.partition))
                offset.endOffset = part->logEndOffset;
            offset.memberId = it.value();
            row.offsets.push_back(std::move(offset));
        }
        std::sort(row.offsets.begin(), row.offsets.end(),
                  [](const GroupOffsetRow& a, const GroupOffsetRow& b) {
                      return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
                  });
    }
    clock.end(QStringLiteral("offset_fetch"));

    // ---- placement (FD/UD): by hand first, then the rack pattern
    QHash<std::int32_t, QString> racks;
    for (const auto& [id, broker] : brokers)
        racks.insert(id, broker.rack);
    const RackPattern pattern(profile.rackPattern);
    const auto placement = pattern.assign(racks);
    for (auto& [id, broker] : brokers) {
        if (auto manual = profile.brokerPlacement.constFind(id);
            manual != profile.brokerPlacement.constEnd()) {
            broker.faultDomain = manual->first;
            broker.updateDomain = manual->second;
        } else {
            const auto p = placement.value(id);
            broker.faultDomain = p.faultDomain;
            broker.updateDomain = p.updateDomain;
        }
    }

    for (auto& [id, broker] : brokers)
        snapshot->brokers.push_back(std::move(broker));
    for (auto& [name, topic] : topics)
        snapshot->topics.push_back(std::move(topic));
    for (auto& [id, group] : groups)
        snapshot->groups.push_back(std::move(group));
    return snapshot;
}

} // namespace faultline::models
