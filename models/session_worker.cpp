#include "models/session_worker.h"

#include "models/rack_pattern.h"

#include <QElapsedTimer>
#include <QSet>

#include <ctime>
#include <functional>
#include <tuple>

#include <algorithm>
#include <map>

namespace faultline::models {

namespace {

// Kafka's base64 of a topic id; empty for the zero id.
QString topicIdText(const protocol::Uuid& id) {
    if (std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; }))
        return {};
    const QByteArray bytes(reinterpret_cast<const char*>(id.data()), static_cast<qsizetype>(id.size()));
    return QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

// The consumer protocol's assignment: version int16, [topic string, [partition int32]], userData.
QVector<QPair<QString, std::int32_t>> decodeAssignment(const std::vector<std::uint8_t>& bytes) {
    QVector<QPair<QString, std::int32_t>> result;
    if (bytes.size() < 2)
        return result;
    protocol::Reader r(std::span<const std::uint8_t>(bytes.data(), bytes.size()));
    (void)r.readInt16();
    const std::int32_t topics = r.readArrayLength(false);
    for (std::int32_t t = 0; t < topics && r.ok(); ++t) {
        const QString topic = QString::fromStdString(r.readString(false));
        const std::int32_t partitions = r.readArrayLength(false);
        for (std::int32_t p = 0; p < partitions && r.ok(); ++p) {
            const std::int32_t partition = r.readInt32();
            if (r.ok())
                result.push_back({topic, partition});
        }
    }
    if (!r.ok())
        return {};
    std::sort(result.begin(), result.end());
    return result;
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
    explicit PhaseClock(ClusterSnapshot& snapshot) : m_snapshot(snapshot), m_cpuStart(threadCpuUs()) {
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

class WorkerJobContext final : public JobContext {
public:
    WorkerJobContext(KafkaClient& client, std::atomic<bool>& cancelled, JobId id,
                     std::function<void(JobId, int, const QString&)> progress)
        : m_client(client), m_cancelled(cancelled), m_id(id),
          m_progress(std::move(progress)) {}
    KafkaClient& client() override { return m_client; }
    bool cancelled() const override { return m_cancelled.load(); }
    void progress(int percent, const QString& message) override { m_progress(m_id, percent, message); }

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
    start(generation);
}

void SessionWorker::setInterval(int ms) {
    m_interval = std::max(100, ms);
    if (m_timer)
        m_timer->setInterval(m_interval);
}

void SessionWorker::setClientOptions(const KafkaClient::Options& options) {
    const std::lock_guard lock(m_clientMutex);
    m_clientOptions = options;
    m_client.reset(); // the next call builds a client with these options
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
    auto built = buildSnapshot(*m_client, m_profile);
    if (m_aborted.load())
        return; // torn down meanwhile: nobody is listening
    if (!built) {
        m_client->disconnectAll();
        const QString message = built.error().message.isEmpty()
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
        emit stateChanged(ConnectionState::Connected,
                          QStringLiteral("Connected to %1 (%2 brokers)")
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
SessionWorker::buildSnapshot(KafkaClient& client, const ConnectionProfile& profile) {
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
            row.offlineReplicas = QVector<std::int32_t>(p.offlineReplicas.begin(), p.offlineReplicas.end());
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
        std::sort(topic.partitions.begin(), topic.partitions.end(),
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
        auto p = std::lower_bound(parts.begin(), parts.end(), partition,
                                  [](const PartitionRow& r, std::int32_t id) { return r.partition < id; });
        return p != parts.end() && p->partition == partition ? &*p : nullptr;
    };
    const auto findPartition = [&](const QString& topic, std::int32_t partition) -> PartitionRow* {
        auto it = topics.find(topic);
        return partitionOf(it == topics.end() ? nullptr : &it->second, partition);
    };

    clock.end(QStringLiteral("metadata"));

    // ---- offsets: ListOffsets earliest and latest, batched per leader
    std::map<std::int32_t, QVector<QPair<QString, std::int32_t>>> byLeader;
    for (const auto& [name, topic] : topics)
        for (const auto& p : topic.partitions)
            if (p.leader >= 0 && brokers.contains(p.leader) && brokers[p.leader].status == BrokerStatus::Up)
                byLeader[p.leader].push_back({name, p.partition});
    for (const auto& [leader, partitions] : byLeader) {
        for (qint64 timestamp : {qint64(-2), qint64(-1)}) {
            clock.sent();
            auto offsets = client.listOffsets(leader, partitions, timestamp);
            if (!offsets) {
                snapshot->warnings.push_back(QStringLiteral("ListOffsets on broker %1: %2")
                                                 .arg(leader)
                                                 .arg(offsets.error().message));
                break;
            }
            for (const auto& t : offsets->topics) {
                TopicRow* topic = findTopic(t.name);
                for (const auto& p : t.partitions) {
                    if (p.errorCode != 0)
                        continue;
                    if (auto* row = partitionOf(topic, p.partitionIndex)) {
                        if (timestamp == -2)
                            row->logStartOffset = p.offset;
                        else
                            row->logEndOffset = p.offset;
                    }
                }
            }
        }
    }

    clock.end(QStringLiteral("list_offsets"));

    // ---- disk: DescribeLogDirs per live broker
    for (auto& [id, broker] : brokers) {
        if (broker.status != BrokerStatus::Up)
            continue;
        clock.sent();
        auto dirs = client.describeLogDirs(id);
        if (!dirs) {
            snapshot->warnings.push_back(
                dirs.error().errorName == QLatin1String("UNSUPPORTED_VERSION")
                    ? QStringLiteral("DescribeLogDirs unsupported by broker %1").arg(id)
                    : QStringLiteral("DescribeLogDirs on broker %1: %2").arg(id).arg(dirs.error().message));
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
    }
    clock.end(QStringLiteral("log_dirs"));

    // ---- min.insync.replicas: one DescribeConfigs for all topics, when cheap
    if (!topics.empty() && topics.size() <= 5000) {
        protocol::DescribeConfigsRequest request;
        for (const auto& [name, topic] : topics) {
            protocol::DescribeConfigsRequest::DescribeConfigsResource resource;
            resource.resourceType = 2; // TOPIC
            resource.resourceName = name.toStdString();
            resource.configurationKeys = std::vector<std::string>{"min.insync.replicas"};
            request.resources.push_back(std::move(resource));
        }
        clock.sent();
        auto configs = client.describeConfigs(request);
        if (configs) {
            for (const auto& r : configs->results) {
                if (r.errorCode != 0)
                    continue;
                auto it = topics.find(QString::fromStdString(r.resourceName));
                if (it == topics.end())
                    continue;
                for (const auto& c : r.configs)
                    if (c.name == "min.insync.replicas" && c.value) {
                        bool ok = false;
                        const int v = QString::fromStdString(*c.value).toInt(&ok);
                        if (ok)
                            it->second.minInsyncReplicas = v;
                    }
            }
        } else {
            snapshot->warnings.push_back(
                QStringLiteral("DescribeConfigs: %1").arg(configs.error().message));
        }
    }

    clock.end(QStringLiteral("configs"));

    // ---- groups: ListGroups on every broker, DescribeGroups at each coordinator
    std::map<QString, GroupRow> groups;
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
        if (listed->groups.empty())
            continue;
        QStringList ids;
        for (const auto& g : listed->groups) {
            GroupRow row;
            row.groupId = QString::fromStdString(g.groupId);
            row.protocolType = QString::fromStdString(g.protocolType);
            row.state = QString::fromStdString(g.groupState);
            row.coordinator = id;
            ids.push_back(row.groupId);
            groups[row.groupId] = row;
        }
        clock.sent();
        auto described = client.describeGroups(id, ids);
        if (!described) {
            snapshot->warnings.push_back(
                QStringLiteral("DescribeGroups on broker %1: %2").arg(id).arg(described.error().message));
        } else {
            for (const auto& g : described->groups) {
                auto it = groups.find(QString::fromStdString(g.groupId));
                if (it == groups.end() || g.errorCode != 0)
                    continue;
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
                    if (row.protocolType == QLatin1String("consumer") || row.protocolType.isEmpty())
                        member.assignment = decodeAssignment(m.memberAssignment);
                    row.members.push_back(std::move(member));
                }
                std::sort(row.members.begin(), row.members.end(),
                          [](const GroupMemberRow& a, const GroupMemberRow& b) { return a.memberId < b.memberId; });
            }
        }
    }
    clock.end(QStringLiteral("groups"));

    // ---- committed offsets: OffsetFetch per group at its coordinator
    for (auto& [groupId, row] : groups) {
        clock.sent();
        auto fetched = client.offsetFetch(row.coordinator, groupId);
        if (!fetched) {
            snapshot->warnings.push_back(
                QStringLiteral("OffsetFetch for group %1: %2").arg(groupId, fetched.error().message));
            continue;
        }
        QHash<QPair<QString, std::int32_t>, QString> owner;
        for (const auto& m : row.members)
            for (const auto& tp : m.assignment)
                owner.insert(tp, m.memberId);
        QSet<QPair<QString, std::int32_t>> seen;
        for (const auto& t : fetched->topics)
            for (const auto& p : t.partitions) {
                if (p.errorCode != 0)
                    continue;
                GroupOffsetRow offset;
                offset.topic = QString::fromStdString(t.name);
                offset.partition = p.partitionIndex;
                offset.committedOffset = p.committedOffset;
                offset.metadata = QString::fromStdString(p.metadata.value_or(""));
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
        std::sort(row.offsets.begin(), row.offsets.end(), [](const GroupOffsetRow& a, const GroupOffsetRow& b) {
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
        if (auto manual = profile.brokerPlacement.constFind(id); manual != profile.brokerPlacement.constEnd()) {
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
