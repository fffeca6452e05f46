#include "engine/broker/cluster.h"

#include "engine/broker/group_coordinator.h"
#include "engine/broker/metadata_log.h"
#include "engine/broker/partition.h"
#include "engine/broker/partition_state.h"
#include "engine/broker/placement.h"
#include "engine/broker/topic_config.h"
#include "engine/protocol/record_batch.h"
#include "engine/storage/file_util.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <optional>
#include <random>
#include <thread>

namespace faultline::broker {

using protocol::ErrorCode;
using protocol::makeError;
namespace fs = std::filesystem;

const char* brokerStateName(BrokerState state) {
    switch (state) {
    case BrokerState::Running:
        return "running";
    case BrokerState::Stopped:
        return "stopped";
    }
    return "unknown";
}

namespace {
constexpr const char* kOffsetsTopic = "__consumer_offsets";

protocol::Uuid randomUuid() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    protocol::Uuid id{};
    do {
        for (auto& b : id) {
            b = static_cast<std::uint8_t>(rng());
        }
    } while (std::all_of(id.begin(), id.end(), [](auto b) { return b == 0; }));
    return id;
}

std::string uuidToBase64(const protocol::Uuid& id) {
    // Kafka prints ids (cluster id, topic id) as URL-safe base64 without padding: 22 characters.
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (auto b : id) {
        acc = (acc << 8) | b;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) {
        out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
    }
    return out;
}

std::string uuidHex(const protocol::Uuid& id) {
    std::string out;
    for (auto b : id) {
        out += fmt::format("{:02x}", b);
    }
    return out;
}

protocol::Uuid uuidFromHex(const std::string& hex) {
    protocol::Uuid id{};
    for (std::size_t i = 0; i < id.size() && 2 * i + 1 < hex.size(); ++i) {
        id[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
    return id;
}

bool contains(const std::vector<std::int32_t>& v, std::int32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

using ReplicaKey = std::pair<std::string, std::int32_t>;

// Kafka's name for the marker a log dir gets when every log in it was closed cleanly.
constexpr const char* kCleanShutdownFile = ".kafka_cleanshutdown";
} // namespace

struct Cluster::Impl {
    // Sealed segments' .log files of every replica, opened on demand (--segment-files). First:
    // the replicas' segments let go of it when they are destroyed.
    std::unique_ptr<storage::FilePool> filePool;
    // broker id -> the thread writing its follower replicas' data (declared before `replicas`:
    // logs wait for their writes when they close, so the writers must outlive them)
    std::map<std::int32_t, std::unique_ptr<storage::LogWriter>> writers;
    // broker id -> (topic, partition) -> replica
    std::map<std::int32_t, std::map<ReplicaKey, std::unique_ptr<Partition>, std::less<>>> replicas;
    std::map<std::uint64_t, std::shared_ptr<asio::steady_timer>> timers;
    std::uint64_t nextTimerId = 1;
    std::int64_t nextProducerId = 1000;
    std::unique_ptr<GroupCoordinator> groups;
    std::shared_ptr<asio::steady_timer> isrTimer;
    std::shared_ptr<std::function<void()>> isrTick;
    std::int64_t lastRetentionCheckMs = 0;
    std::unique_ptr<MetadataLog> metadataLog;
    bool opened = false; // open() completed: close() may mark the logs clean
    bool closed = false;
};

struct ClusterAccess {
    // ---- metadata persistence (metadata_log.h): a snapshot plus one change record per change
    static nlohmann::json snapshotJson(const Cluster& c);
    static nlohmann::json topicJson(const TopicMeta& t);
    static nlohmann::json partitionJson(const PartitionMeta& p);
    static TopicMeta parseTopic(const nlohmann::json& jt);
    static PartitionMeta parsePartition(const nlohmann::json& jp);
    static void loadMetadata(Cluster& c, const nlohmann::json& j);
    static void applyChange(Cluster& c, const nlohmann::json& change);
    static void recordChange(Cluster& c, const nlohmann::json& change);
    static void writeSnapshot(Cluster& c);
    static void recordTopic(Cluster& c, const TopicMeta& t);
    static void recordPartition(Cluster& c, const std::string& topic, const PartitionMeta& p);
    static void recordTopicDeleted(Cluster& c, const std::string& topic, const protocol::Uuid& id);
    static void recordBrokerConfigs(Cluster& c);
    // Stored broker configs: the dynamic set ("dynamicBrokerConfigs"), or from data written
    // before it was kept apart, the effective set ("brokerConfigs"), in which the startup values
    // of that run cannot be told from dynamic ones: then the keys given at startup now are
    // taken as static (those values won at load before).
    static void loadBrokerConfigs(Cluster& c, const nlohmann::json& j, const char* legacyKey);
    // Sets the dynamic broker configs; the effective set is them over the startup ones.
    static void setDynamicBrokerConfigs(Cluster& c, std::map<std::string, std::string> configs);
    static void recordProducerId(Cluster& c);

    static std::expected<void, protocol::Error> openReplica(Cluster& c, std::int32_t brokerId,
                                                            const TopicMeta& topic,
                                                            const PartitionMeta& meta);
    static void addReplica(Cluster& c, std::int32_t brokerId, const TopicMeta& topic,
                           const PartitionMeta& meta, std::unique_ptr<storage::Log> log);
    // Opens every hosted replica's log on num.recovery.threads.per.data.dir threads per broker.
    static std::expected<void, protocol::Error> openAllReplicas(Cluster& c);
    static fs::path cleanShutdownMarker(const Cluster& c, std::int32_t brokerId) {
        return c.m_dataDir / fmt::format("broker-{}", brokerId) / kCleanShutdownFile;
    }
    static void applyLeadership(Cluster& c, const std::string& topic, PartitionMeta& meta);
    // Closes and deletes the replicas of `topic` with partition >= fromPartition on every broker.
    static void removeReplicas(Cluster& c, const std::string& topic, std::int32_t fromPartition = 0);
    // The directory a replica that failed to open left (Log::open creates it first).
    static void removeReplicaDir(Cluster& c, std::int32_t brokerId, const std::string& topic,
                                 std::int32_t partition) {
        const fs::path dir = replicaDir(c, brokerId, topic, partition);
        std::error_code ec;
        if (fs::is_directory(dir, ec)) {
            (void)storage::Log::removeDir(dir);
        }
    }
    static void replicate(Cluster& c, Partition& leader, std::span<const std::uint8_t> bytes,
                          std::int64_t previousEnd, const std::shared_ptr<const void>& owner);
    static storage::LogWriter* writerFor(Cluster& c, std::int32_t brokerId);
    static void catchUp(Cluster& c, Partition& leader, Partition& follower);
    static std::expected<void, protocol::Error>
    appendFollowerBatches(Partition& follower, std::span<const std::uint8_t> bytes,
                          protocol::BatchTrust trust, std::shared_ptr<const void> owner);
    static void updateHighWatermark(Cluster& c, Partition& leader, PartitionMeta& meta);
    static void checkIsr(Cluster& c);
    static void maintainLogs(Cluster& c);
    static storage::LogConfig logConfigFor(const Cluster& c, const TopicMeta& topic);
    static std::vector<BrokerSlot> slots(const Cluster& c);
    static PartitionMeta* mutableMeta(Cluster& c, std::string_view topic, std::int32_t partition);
    static fs::path replicaDir(const Cluster& c, std::int32_t brokerId, const std::string& topic,
                               std::int32_t partition) {
        return c.m_dataDir / fmt::format("broker-{}", brokerId) / fmt::format("{}-{}", topic, partition);
    }
};

Cluster::Cluster(asio::io_context& io, EngineOptions options)
    : m_io(io), m_strand(asio::make_strand(io)), m_options(std::move(options)),
      m_impl(std::make_unique<Impl>()) {
    const int f = std::max(1, m_options.faultDomains);
    const int u = std::max(1, m_options.updateDomains);
    const int cells = std::lcm(f, u);
    for (int i = 0; i < m_options.brokers; ++i) {
        BrokerInfo b;
        b.id = i + 1;
        b.host = m_options.listenAddress;
        b.faultDomain = i % f;
        // Diagonal walk over the FD x UD grid, shifted after each pass, so that consecutive brokers
        // land in distinct FDs and distinct UDs and a full grid is covered (3x3: 9 distinct cells).
        b.updateDomain = (i % u + i / cells) % u;
        b.rack = fmt::format("FD{}UD{}", b.faultDomain, b.updateDomain);
        m_brokers.push_back(b);
    }
    m_controllerId = m_brokers.empty() ? -1 : m_brokers.front().id;
    m_brokerConfigs = m_options.brokerConfigs;
    m_impl->filePool =
        std::make_unique<storage::FilePool>(std::max<std::size_t>(m_options.segmentFiles, 1));
    m_impl->groups = std::make_unique<GroupCoordinator>(*this);
}

Cluster::~Cluster() { close(); }

std::int64_t Cluster::nowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::uint64_t Cluster::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
    const std::uint64_t id = m_impl->nextTimerId++;
    auto timer = std::make_shared<asio::steady_timer>(m_strand, delay);
    m_impl->timers.emplace(id, timer);
    timer->async_wait([this, id, fn = std::move(fn)](std::error_code ec) {
        if (ec) {
            return;
        }
        if (m_impl->timers.erase(id) == 0) {
            return; // cancelled
        }
        fn();
    });
    return id;
}

void Cluster::cancelTimer(std::uint64_t id) {
    auto it = m_impl->timers.find(id);
    if (it != m_impl->timers.end()) {
        it->second->cancel();
        m_impl->timers.erase(it);
    }
}

const BrokerInfo* Cluster::broker(std::int32_t id) const {
    for (const auto& b : m_brokers) {
        if (b.id == id) {
            return &b;
        }
    }
    return nullptr;
}

bool Cluster::isRunning(std::int32_t id) const {
    const BrokerInfo* b = broker(id);
    return b != nullptr && b->state == BrokerState::Running;
}

void Cluster::setBrokerPort(std::int32_t id, std::uint16_t port) {
    for (auto& b : m_brokers) {
        if (b.id == id) {
            b.port = port;
        }
    }
}

std::string Cluster::brokerConfig(std::string_view name) const {
    if (auto it = m_brokerConfigs.find(std::string(name)); it != m_brokerConfigs.end()) {
        return it->second;
    }
    if (const ConfigDef* def = findBrokerConfig(name)) {
        return def->defaultValue;
    }
    return {};
}

std::int64_t Cluster::brokerConfigInt(std::string_view name) const {
    const std::string value = brokerConfig(name);
    try {
        return value.empty() ? 0 : std::stoll(value);
    } catch (...) {
        spdlog::error("broker config {}='{}' is not a number", name, value);
        return 0;
    }
}

bool Cluster::brokerConfigBool(std::string_view name) const {
    return brokerConfig(name) == "true";
}

const TopicMeta* Cluster::topic(std::string_view name) const {
    auto it = m_topics.find(name);
    return it == m_topics.end() ? nullptr : &it->second;
}

const TopicMeta* Cluster::topicById(const protocol::Uuid& id) const {
    for (const auto& [name, t] : m_topics) {
        if (t.id == id) {
            return &t;
        }
    }
    return nullptr;
}

const PartitionMeta* Cluster::partitionMeta(std::string_view topicName, std::int32_t partition) const {
    const TopicMeta* t = topic(topicName);
    if (t == nullptr || partition < 0 || partition >= static_cast<std::int32_t>(t->partitions.size())) {
        return nullptr;
    }
    return &t->partitions[static_cast<std::size_t>(partition)];
}

PartitionMeta* ClusterAccess::mutableMeta(Cluster& c, std::string_view topicName, std::int32_t partition) {
    auto it = c.m_topics.find(topicName);
    if (it == c.m_topics.end() || partition < 0 ||
        partition >= static_cast<std::int32_t>(it->second.partitions.size())) {
        return nullptr;
    }
    return &it->second.partitions[static_cast<std::size_t>(partition)];
}

Partition* Cluster::partition(std::int32_t brokerId, std::string_view topicName, std::int32_t index) {
    if (!isRunning(brokerId)) {
        return nullptr;
    }
    auto bit = m_impl->replicas.find(brokerId);
    if (bit == m_impl->replicas.end()) {
        return nullptr;
    }
    auto it = bit->second.find(ReplicaKey{std::string(topicName), index});
    return it == bit->second.end() ? nullptr : it->second.get();
}

protocol::ErrorCode Cluster::deleteRecordsBefore(std::string_view topicName, std::int32_t index,
                                                 std::int64_t offset, std::int32_t reportBroker) {
    const PartitionMeta* meta = partitionMeta(topicName, index);
    if (meta == nullptr) {
        return protocol::ErrorCode::UnknownTopicOrPartition;
    }
    protocol::ErrorCode reported = protocol::ErrorCode::None;
    for (auto b : meta->replicas) {
        Partition* replica = partition(b, topicName, index);
        if (replica == nullptr || offset <= replica->logStartOffset() ||
            offset > replica->logEndOffset()) {
            continue;
        }
        if (auto moved = replica->log().deleteRecordsBefore(offset); !moved) {
            spdlog::warn("{}-{} on broker {}: delete records before {}: {}", topicName, index, b,
                         offset, moved.error().message);
            if (b == reportBroker) {
                reported = moved.error().code;
            }
        }
    }
    return reported;
}

std::int64_t Cluster::allocateProducerId() {
    const std::int64_t id = m_impl->nextProducerId++;
    ClusterAccess::recordProducerId(*this);
    return id;
}

GroupCoordinator& Cluster::groups() { return *m_impl->groups; }

// ---------------------------------------------------------------- persistence

nlohmann::json ClusterAccess::partitionJson(const PartitionMeta& p) {
    return {{"partition", p.partition},
            {"replicas", p.replicas},
            {"isr", p.isr},
            {"leader", p.leader},
            {"leaderEpoch", p.leaderEpoch},
            {"partitionEpoch", p.partitionEpoch}};
}

nlohmann::json ClusterAccess::topicJson(const TopicMeta& t) {
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& p : t.partitions) {
        parts.push_back(partitionJson(p));
    }
    return {{"name", t.name},
            {"id", uuidHex(t.id)},
            {"internal", t.internal},
            {"configs", t.configs},
            {"partitions", parts}};
}

// The snapshot: the format of the metadata.json that earlier versions rewrote on every change.
nlohmann::json ClusterAccess::snapshotJson(const Cluster& c) {
    nlohmann::json j;
    j["version"] = 1;
    j["clusterId"] = c.m_clusterId;
    j["nextProducerId"] = c.m_impl->nextProducerId;
    j["dynamicBrokerConfigs"] = c.m_dynamicBrokerConfigs;
    j["brokerConfigs"] = c.m_brokerConfigs; // the effective set, as earlier versions read it
    nlohmann::json brokers = nlohmann::json::array();
    for (const auto& b : c.m_brokers) {
        brokers.push_back({{"id", b.id}, {"fd", b.faultDomain}, {"ud", b.updateDomain}, {"rack", b.rack}});
    }
    j["brokers"] = brokers;
    nlohmann::json topics = nlohmann::json::array();
    for (const auto& [name, t] : c.m_topics) {
        topics.push_back(topicJson(t));
    }
    j["topics"] = topics;
    return j;
}

PartitionMeta ClusterAccess::parsePartition(const nlohmann::json& jp) {
    PartitionMeta p;
    p.partition = jp.at("partition").get<std::int32_t>();
    p.replicas = jp.at("replicas").get<std::vector<std::int32_t>>();
    p.isr = jp.at("isr").get<std::vector<std::int32_t>>();
    p.leader = jp.at("leader").get<std::int32_t>();
    p.leaderEpoch = jp.at("leaderEpoch").get<std::int32_t>();
    p.partitionEpoch = jp.value("partitionEpoch", 0);
    return p;
}

TopicMeta ClusterAccess::parseTopic(const nlohmann::json& jt) {
    TopicMeta t;
    t.name = jt.at("name").get<std::string>();
    t.id = uuidFromHex(jt.at("id").get<std::string>());
    t.internal = jt.value("internal", false);
    t.configs = jt.value("configs", std::map<std::string, std::string>{});
    for (const auto& jp : jt.at("partitions")) {
        t.partitions.push_back(parsePartition(jp));
    }
    return t;
}

void ClusterAccess::loadMetadata(Cluster& c, const nlohmann::json& j) {
    c.m_clusterId = j.value("clusterId", c.m_clusterId);
    c.m_impl->nextProducerId = j.value("nextProducerId", c.m_impl->nextProducerId);
    loadBrokerConfigs(c, j, "brokerConfigs");
    for (const auto& jt : j.value("topics", nlohmann::json::array())) {
        TopicMeta t = parseTopic(jt);
        c.m_topics.insert_or_assign(t.name, std::move(t));
    }
}

// One change record, replayed over the snapshot in order. Every record is an absolute value
// (the whole topic, the whole partition, the whole broker config set), so replaying records the
// snapshot already holds changes nothing.
void ClusterAccess::applyChange(Cluster& c, const nlohmann::json& change) {
    const std::string op = change.at("op").get<std::string>();
    if (op == "topic") {
        TopicMeta t = parseTopic(change.at("topic"));
        c.m_topics.insert_or_assign(t.name, std::move(t));
    } else if (op == "partition") {
        auto it = c.m_topics.find(change.at("topic").get<std::string>());
        PartitionMeta p = parsePartition(change.at("partition"));
        if (it != c.m_topics.end() &&
            uuidHex(it->second.id) == change.at("id").get<std::string>() && p.partition >= 0 &&
            p.partition < static_cast<std::int32_t>(it->second.partitions.size())) {
            it->second.partitions[static_cast<std::size_t>(p.partition)] = std::move(p);
        }
    } else if (op == "deleteTopic") {
        auto it = c.m_topics.find(change.at("topic").get<std::string>());
        if (it != c.m_topics.end() &&
            uuidHex(it->second.id) == change.at("id").get<std::string>()) {
            c.m_topics.erase(it);
        }
    } else if (op == "brokerConfigs") {
        loadBrokerConfigs(c, change, "configs");
    } else if (op == "producerId") {
        c.m_impl->nextProducerId =
            std::max(c.m_impl->nextProducerId, change.at("next").get<std::int64_t>());
    } else {
        throw std::runtime_error("unknown change '" + op + "'");
    }
}

void ClusterAccess::writeSnapshot(Cluster& c) {
    if (!c.m_impl->metadataLog) {
        return;
    }
    if (auto r = c.m_impl->metadataLog->writeSnapshot(snapshotJson(c).dump(1)); !r) {
        spdlog::error("cannot write the cluster metadata snapshot: {}", r.error().message);
    }
}

void ClusterAccess::recordChange(Cluster& c, const nlohmann::json& change) {
    MetadataLog* log = c.m_impl->metadataLog.get();
    if (log == nullptr) {
        return;
    }
    if (auto r = log->append(change.dump()); !r) {
        // The change stays in memory; a snapshot (if it can be written) persists it.
        spdlog::error("cannot append to the metadata change log: {}", r.error().message);
        writeSnapshot(c);
        return;
    }
    if (log->compactionDue()) {
        writeSnapshot(c);
    }
}

void ClusterAccess::recordTopic(Cluster& c, const TopicMeta& t) {
    recordChange(c, {{"op", "topic"}, {"topic", topicJson(t)}});
}

void ClusterAccess::recordPartition(Cluster& c, const std::string& topic, const PartitionMeta& p) {
    const TopicMeta* t = c.topic(topic);
    if (t == nullptr) {
        return;
    }
    recordChange(c, {{"op", "partition"},
                     {"topic", topic},
                     {"id", uuidHex(t->id)},
                     {"partition", partitionJson(p)}});
}

void ClusterAccess::recordTopicDeleted(Cluster& c, const std::string& topic,
                                       const protocol::Uuid& id) {
    recordChange(c, {{"op", "deleteTopic"}, {"topic", topic}, {"id", uuidHex(id)}});
}

void ClusterAccess::recordBrokerConfigs(Cluster& c) {
    recordChange(c, {{"op", "brokerConfigs"},
                     {"dynamicBrokerConfigs", c.m_dynamicBrokerConfigs},
                     {"configs", c.m_brokerConfigs}}); // the effective set, for earlier versions
}

void ClusterAccess::loadBrokerConfigs(Cluster& c, const nlohmann::json& j, const char* legacyKey) {
    std::map<std::string, std::string> dynamic;
    if (j.contains("dynamicBrokerConfigs")) {
        for (const auto& [k, v] : j["dynamicBrokerConfigs"].items()) {
            dynamic.emplace(k, v.get<std::string>());
        }
    } else if (j.contains(legacyKey)) {
        for (const auto& [k, v] : j[legacyKey].items()) {
            if (!c.m_options.brokerConfigs.contains(k)) {
                dynamic.emplace(k, v.get<std::string>());
            }
        }
    } else {
        return;
    }
    setDynamicBrokerConfigs(c, std::move(dynamic));
}

void ClusterAccess::setDynamicBrokerConfigs(Cluster& c,
                                            std::map<std::string, std::string> configs) {
    c.m_dynamicBrokerConfigs = std::move(configs);
    c.m_brokerConfigs = c.m_dynamicBrokerConfigs;
    for (const auto& [name, value] : c.m_options.brokerConfigs) {
        c.m_brokerConfigs.try_emplace(name, value); // a dynamic value wins, as in Kafka
    }
}

void ClusterAccess::recordProducerId(Cluster& c) {
    recordChange(c, {{"op", "producerId"}, {"next", c.m_impl->nextProducerId}});
}

std::expected<void, protocol::Error> Cluster::open() {
    std::error_code ec;
    m_dataDir = m_options.dataDir;
    fs::create_directories(m_dataDir, ec);
    if (ec) {
        return std::unexpected(makeError(ErrorCode::KafkaStorageError,
                                         "cannot create data dir " + m_dataDir.string() + ": " + ec.message()));
    }
    // The snapshot (metadata.json, also what earlier versions wrote) and the change log after it.
    const fs::path metaDir = m_dataDir / "cluster";
    MetadataLog::Contents stored;
    auto metadataLog = MetadataLog::open(metaDir, stored);
    if (!metadataLog) {
        return std::unexpected(metadataLog.error());
    }
    if (!stored.snapshot.empty()) {
        try {
            ClusterAccess::loadMetadata(*this, nlohmann::json::parse(stored.snapshot));
        } catch (const std::exception& e) {
            return std::unexpected(makeError(
                ErrorCode::KafkaStorageError,
                "cannot read " + MetadataLog::snapshotPath(metaDir).string() + ": " + e.what()));
        }
    }
    for (std::size_t i = 0; i < stored.records.size(); ++i) {
        try {
            ClusterAccess::applyChange(*this, nlohmann::json::parse(stored.records[i]));
        } catch (const std::exception& e) {
            return std::unexpected(
                makeError(ErrorCode::KafkaStorageError,
                          fmt::format("cannot apply record {} of {}: {}", i + 1,
                                      MetadataLog::logPath(metaDir).string(), e.what())));
        }
    }
    if (!stored.snapshot.empty() || !stored.records.empty()) {
        spdlog::info("loaded cluster {} with {} topics from {} ({} change records)", m_clusterId,
                     m_topics.size(), m_dataDir.string(), stored.records.size());
    }
    m_impl->metadataLog = std::move(*metadataLog);
    if (m_clusterId.empty()) {
        m_clusterId = uuidToBase64(randomUuid());
    }
    if (!m_impl->metadataLog->hasSnapshot()) {
        ClusterAccess::writeSnapshot(*this); // a new data dir: its cluster id and brokers
    }
    if (auto r = ClusterAccess::openAllReplicas(*this); !r) {
        return std::unexpected(r.error());
    }
    for (auto& [name, t] : m_topics) {
        for (auto& p : t.partitions) {
            const PartitionMeta before = p;
            p.isr.erase(std::remove_if(p.isr.begin(), p.isr.end(),
                                       [&](std::int32_t b) { return !isRunning(b); }),
                        p.isr.end());
            if (p.leader < 0 || !isRunning(p.leader)) {
                p.leader = -1;
                for (auto b : p.replicas) {
                    if (isRunning(b) && (p.isr.empty() || contains(p.isr, b))) {
                        p.leader = b;
                        break;
                    }
                }
                if (p.leader != before.leader) {
                    ++p.leaderEpoch; // an offline partition that stays offline keeps its epoch
                }
            }
            if (p.isr != before.isr || p.leader != before.leader ||
                p.leaderEpoch != before.leaderEpoch) {
                ClusterAccess::recordPartition(*this, name, p);
            }
            ClusterAccess::applyLeadership(*this, name, p);
        }
    }
    m_impl->opened = true;
    if (const TopicMeta* offsets = topic(kOffsetsTopic)) {
        for (const auto& p : offsets->partitions) {
            if (Partition* leader = partition(p.leader, kOffsetsTopic, p.partition)) {
                m_impl->groups->loadPartition(*leader);
            }
        }
    }
    // ISR maintenance: replicas that fall behind for replica.lag.time.max.ms leave the ISR.
    m_impl->isrTimer = std::make_shared<asio::steady_timer>(m_strand);
    auto tick = std::make_shared<std::function<void()>>();
    *tick = [this, weakTick = std::weak_ptr<std::function<void()>>(tick)] {
        if (m_impl->closed) {
            return;
        }
        ClusterAccess::checkIsr(*this);
        ClusterAccess::maintainLogs(*this);
        m_impl->isrTimer->expires_after(std::chrono::milliseconds(500));
        m_impl->isrTimer->async_wait([weakTick](std::error_code ec) {
            if (auto t = weakTick.lock(); t && !ec) {
                (*t)();
            }
        });
    };
    m_impl->isrTick = tick;
    asio::post(m_strand, [tick] { (*tick)(); });
    return {};
}

void Cluster::close() {
    if (!m_impl || m_impl->closed) {
        return;
    }
    m_impl->closed = true;
    if (m_impl->groups) {
        m_impl->groups->shutdown();
    }
    for (auto& [id, timer] : m_impl->timers) {
        timer->cancel();
    }
    m_impl->timers.clear();
    if (m_impl->isrTimer) {
        m_impl->isrTimer->cancel();
    }
    m_impl->isrTick.reset();
    if (m_impl->metadataLog && m_impl->metadataLog->records() > 0) {
        ClusterAccess::writeSnapshot(*this); // the next start reads one file
    }
    for (auto& [b, replicas] : m_impl->replicas) {
        for (auto& [key, p] : replicas) {
            p->log().close();
        }
    }
    m_impl->replicas.clear();
    if (!m_impl->opened) {
        return; // logs that were never opened may still need recovery
    }
    // Every log of every broker is flushed and closed: the next start trusts them.
    for (const auto& b : m_brokers) {
        const fs::path marker = ClusterAccess::cleanShutdownMarker(*this, b.id);
        std::error_code ec;
        fs::create_directories(marker.parent_path(), ec);
        if (auto written = storage::detail::writeFileAtomic(marker, ""); !written) {
            spdlog::error("cannot write {}: {}", marker.string(), written.error().message);
        }
        storage::detail::fsyncDir(marker.parent_path());
    }
}

storage::LogConfig ClusterAccess::logConfigFor(const Cluster& c, const TopicMeta& topic) {
    return toLogConfig(topic.configs, c.m_brokerConfigs);
}

void ClusterAccess::removeReplicas(Cluster& c, const std::string& topic, std::int32_t fromPartition) {
    for (auto& [b, replicas] : c.m_impl->replicas) {
        for (auto rit = replicas.begin(); rit != replicas.end();) {
            if (rit->first.first == topic && rit->first.second >= fromPartition) {
                const fs::path dir = rit->second->log().dir();
                rit->second->log().close();
                rit = replicas.erase(rit);
                if (auto r = storage::Log::removeDir(dir); !r) {
                    spdlog::warn("cannot remove {}: {}", dir.string(), r.error().message);
                }
            } else {
                ++rit;
            }
        }
    }
}

std::expected<void, protocol::Error> ClusterAccess::openReplica(Cluster& c, std::int32_t brokerId,
                                                                const TopicMeta& topic,
                                                                const PartitionMeta& meta) {
    auto log = storage::Log::open(replicaDir(c, brokerId, topic.name, meta.partition),
                                  logConfigFor(c, topic), {.pool = c.m_impl->filePool.get()});
    if (!log) {
        return std::unexpected(log.error());
    }
    addReplica(c, brokerId, topic, meta, std::move(*log));
    return {};
}

std::expected<void, protocol::Error> ClusterAccess::openAllReplicas(Cluster& c) {
    // A replica on a broker that no longer exists (fewer brokers than last time) is dropped from
    // the replica set's live view, not deleted.
    struct Job {
        std::int32_t brokerId;
        const TopicMeta* topic;
        const PartitionMeta* meta;
        std::size_t config;
        std::optional<std::expected<std::unique_ptr<storage::Log>, protocol::Error>> log;
    };
    std::vector<storage::LogConfig> configs;
    std::vector<Job> jobs;
    for (const auto& [name, t] : c.m_topics) {
        configs.push_back(logConfigFor(c, t));
        for (const auto& p : t.partitions) {
            for (auto b : p.replicas) {
                if (c.broker(b) != nullptr) {
                    jobs.push_back(Job{b, &t, &p, configs.size() - 1, std::nullopt});
                }
            }
        }
    }
    std::map<std::int32_t, bool> clean;
    for (const auto& b : c.m_brokers) {
        std::error_code ec;
        clean[b.id] = fs::exists(cleanShutdownMarker(c, b.id), ec);
    }
    // Kafka's num.recovery.threads.per.data.dir, for each broker's dir.
    const auto perBroker =
        std::max<std::int64_t>(1, c.brokerConfigInt("num.recovery.threads.per.data.dir"));
    const std::size_t threads =
        std::min<std::size_t>(jobs.size(), static_cast<std::size_t>(perBroker) *
                                               std::max<std::size_t>(c.m_brokers.size(), 1));
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();) {
            Job& job = jobs[i];
            job.log = storage::Log::open(
                replicaDir(c, job.brokerId, job.topic->name, job.meta->partition),
                configs[job.config],
                {.pool = c.m_impl->filePool.get(), .cleanShutdown = clean.at(job.brokerId)});
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < threads; ++i) {
        pool.emplace_back(work);
    }
    work();
    for (auto& t : pool) {
        t.join();
    }
    std::size_t cleanLogs = 0;
    for (auto& job : jobs) {
        if (!*job.log) {
            return std::unexpected(job.log->error());
        }
        cleanLogs += clean.at(job.brokerId) ? 1 : 0;
        addReplica(c, job.brokerId, *job.topic, *job.meta, std::move(**job.log));
    }
    if (!jobs.empty()) {
        spdlog::info("opened {} logs on {} threads ({} after a clean shutdown)", jobs.size(),
                     std::max<std::size_t>(threads, 1), cleanLogs);
    }
    // The logs are open (and recovered): from now on a crash needs recovery again.
    for (const auto& b : c.m_brokers) {
        std::error_code ec;
        if (fs::remove(cleanShutdownMarker(c, b.id), ec)) {
            storage::detail::fsyncDir(cleanShutdownMarker(c, b.id).parent_path());
        }
    }
    return {};
}

void ClusterAccess::addReplica(Cluster& c, std::int32_t brokerId, const TopicMeta& topic,
                               const PartitionMeta& meta, std::unique_ptr<storage::Log> log) {
    log->setWriter(writerFor(c, brokerId));
    auto replica =
        std::make_unique<Partition>(topic.name, meta.partition, brokerId, std::move(log));
    PartitionAccess::state(*replica).onAppend = [&c](Partition& leader, std::span<const std::uint8_t> bytes,
                                                     std::int64_t previousEnd,
                                                     const std::shared_ptr<const void>& owner) {
        replicate(c, leader, bytes, previousEnd, owner);
    };
    c.m_impl->replicas[brokerId][ReplicaKey{topic.name, meta.partition}] = std::move(replica);
}

// Makes every hosted replica of `meta` agree with the controller's view: the leader knows it leads
// (and starts the epoch in its epoch cache), followers truncate to the leader and catch up.
void ClusterAccess::applyLeadership(Cluster& c, const std::string& topicName, PartitionMeta& meta) {
    Partition* leader = meta.leader >= 0 ? c.partition(meta.leader, topicName, meta.partition) : nullptr;
    for (auto b : meta.replicas) {
        Partition* replica = c.partition(b, topicName, meta.partition);
        if (replica == nullptr) {
            continue;
        }
        const bool isLeader = b == meta.leader;
        const bool wasLeader = replica->isLeader() && replica->leaderEpoch() == meta.leaderEpoch;
        PartitionAccess::setLeader(*replica, isLeader, meta.leaderEpoch);
        if (isLeader && !wasLeader && replica->log().latestEpoch() < meta.leaderEpoch) {
            replica->log().assignEpoch(meta.leaderEpoch, replica->logEndOffset());
        }
    }
    if (leader == nullptr) {
        return;
    }
    auto& state = PartitionAccess::state(*leader);
    state.followers.clear();
    const std::int64_t now = c.nowMs();
    for (auto b : meta.replicas) {
        if (b == meta.leader) {
            continue;
        }
        Partition* follower = c.partition(b, topicName, meta.partition);
        FollowerProgress progress;
        progress.lastCaughtUpMs = now;
        if (follower != nullptr) {
            catchUp(c, *leader, *follower);
            progress.logEndOffset = follower->logEndOffset();
        } else {
            progress.lastCaughtUpMs = 0; // down: it will leave the ISR
        }
        state.followers[b] = progress;
    }
    updateHighWatermark(c, *leader, meta);
}

storage::LogWriter* ClusterAccess::writerFor(Cluster& c, std::int32_t brokerId) {
    auto& writer = c.m_impl->writers[brokerId];
    if (!writer) {
        writer = std::make_unique<storage::LogWriter>("fl-replica-" + std::to_string(brokerId));
    }
    return writer.get();
}

std::expected<void, protocol::Error>
ClusterAccess::appendFollowerBatches(Partition& follower, std::span<const std::uint8_t> bytes,
                                     protocol::BatchTrust trust, std::shared_ptr<const void> owner) {
    auto info = follower.log().appendAsFollower(bytes, trust, std::move(owner));
    if (!info) {
        return std::unexpected(info.error());
    }
    for (const auto& batch : protocol::splitBatches(bytes)) {
        if (batch.header.partitionLeaderEpoch > follower.log().latestEpoch()) {
            follower.log().assignEpoch(batch.header.partitionLeaderEpoch, batch.header.baseOffset);
        }
        PartitionAccess::recordProducerBatch(follower, batch.header, batch.header.baseOffset);
    }
    return {};
}

void ClusterAccess::catchUp(Cluster& c, Partition& leader, Partition& follower) {
    storage::Log& from = leader.log();
    storage::Log& to = follower.log();
    // Divergence: a follower whose log runs past what the leader has for its last epoch truncates
    // (Kafka's OffsetForLeaderEpoch step), then copies.
    if (to.latestEpoch() >= 0) {
        auto [epoch, endOffset] = from.endOffsetForEpoch(to.latestEpoch());
        (void)epoch;
        if (endOffset >= 0 && endOffset < to.logEndOffset()) {
            to.truncateTo(endOffset);
        }
    }
    if (to.logEndOffset() > from.logEndOffset()) {
        to.truncateTo(from.logEndOffset());
    }
    if (to.logEndOffset() < from.logStartOffset()) {
        to.truncateFullyAndStartAt(from.logStartOffset());
    }
    while (to.logEndOffset() < from.logEndOffset()) {
        auto chunk = from.read(to.logEndOffset(), 1 << 20, from.logEndOffset(), true);
        if (!chunk || !chunk->bytes || chunk->bytes->empty()) {
            spdlog::error("replication of {}-{} to broker {} stalled at {}: {}", leader.topic(),
                          leader.index(), follower.brokerId(), to.logEndOffset(),
                          chunk ? std::string("empty read") : chunk.error().message);
            return;
        }
        if (auto r = appendFollowerBatches(follower, *chunk->bytes, protocol::BatchTrust::Untrusted,
                                           nullptr);
            !r) {
            spdlog::error("replication of {}-{} to broker {} failed: {}", leader.topic(),
                          leader.index(), follower.brokerId(), r.error().message);
            return;
        }
    }
    (void)c;
}

// In-process replication: each follower takes the leader's validated bytes as they are (its data
// write runs on its broker's LogWriter thread when the bytes have an owner).
void ClusterAccess::replicate(Cluster& c, Partition& leader, std::span<const std::uint8_t> bytes,
                              std::int64_t previousEnd, const std::shared_ptr<const void>& owner) {
    PartitionMeta* meta = mutableMeta(c, leader.topic(), leader.index());
    if (meta == nullptr) {
        return;
    }
    auto& state = PartitionAccess::state(leader);
    const std::int64_t now = c.nowMs();
    for (auto& [b, progress] : state.followers) {
        Partition* follower = c.partition(b, leader.topic(), leader.index());
        if (follower == nullptr) {
            continue; // broker down: it falls behind
        }
        if (follower->logEndOffset() == previousEnd) {
            if (auto r = appendFollowerBatches(*follower, bytes, protocol::BatchTrust::Validated, owner);
                !r) {
                spdlog::error("replication of {}-{} to broker {} failed: {}", leader.topic(),
                              leader.index(), b, r.error().message);
                continue;
            }
        } else {
            catchUp(c, leader, *follower);
        }
        progress.logEndOffset = follower->logEndOffset();
        if (progress.logEndOffset >= leader.logEndOffset()) {
            progress.lastCaughtUpMs = now;
        }
    }
    updateHighWatermark(c, leader, *meta);
}

void ClusterAccess::updateHighWatermark(Cluster& c, Partition& leader, PartitionMeta& meta) {
    auto& state = PartitionAccess::state(leader);
    bool isrChanged = false;
    // ISR expansion: a follower that caught up with the high watermark joins.
    for (const auto& [b, progress] : state.followers) {
        if (!contains(meta.isr, b) && c.isRunning(b) && progress.logEndOffset >= leader.highWatermark() &&
            progress.logEndOffset >= leader.logEndOffset()) {
            meta.isr.push_back(b);
            isrChanged = true;
            spdlog::info("{}-{}: broker {} joined the ISR", leader.topic(), leader.index(), b);
        }
    }
    std::int64_t hw = leader.logEndOffset();
    for (auto b : meta.isr) {
        if (b == leader.brokerId()) {
            continue;
        }
        auto it = state.followers.find(b);
        if (it != state.followers.end()) {
            hw = std::min(hw, it->second.logEndOffset);
        }
    }
    hw = std::max(hw, leader.highWatermark());
    if (isrChanged) {
        ++meta.partitionEpoch;
        recordPartition(c, leader.topic(), meta);
    }
    PartitionAccess::setHighWatermark(leader, hw);
    for (const auto& [b, progress] : state.followers) {
        if (Partition* follower = c.partition(b, leader.topic(), leader.index())) {
            PartitionAccess::setHighWatermark(*follower, std::min(hw, follower->logEndOffset()));
        }
    }
}

void ClusterAccess::checkIsr(Cluster& c) {
    const std::int64_t now = c.nowMs();
    const std::int64_t maxLag = c.brokerConfigInt("replica.lag.time.max.ms");
    for (auto& [name, t] : c.m_topics) {
        for (auto& meta : t.partitions) {
            Partition* leader = meta.leader >= 0 ? c.partition(meta.leader, name, meta.partition) : nullptr;
            if (leader == nullptr) {
                continue;
            }
            auto& state = PartitionAccess::state(*leader);
            bool changed = false;
            for (auto& [b, progress] : state.followers) {
                if (Partition* follower = c.partition(b, name, meta.partition);
                    follower != nullptr && follower->logEndOffset() < leader->logEndOffset()) {
                    catchUp(c, *leader, *follower); // a follower that was down catches up
                    progress.logEndOffset = follower->logEndOffset();
                }
                if (c.isRunning(b) && progress.logEndOffset >= leader->logEndOffset()) {
                    progress.lastCaughtUpMs = now;
                }
                if (contains(meta.isr, b) && now - progress.lastCaughtUpMs > maxLag) {
                    meta.isr.erase(std::remove(meta.isr.begin(), meta.isr.end(), b), meta.isr.end());
                    changed = true;
                    spdlog::warn("{}-{}: broker {} left the ISR (behind for over {} ms)", name,
                                 meta.partition, b, maxLag);
                }
            }
            if (changed) {
                ++meta.partitionEpoch;
                recordPartition(c, name, meta);
            }
            updateHighWatermark(c, *leader, meta);
        }
    }
}

// segment.ms rolls and flush.ms fsyncs without waiting for the next append; retention
// (retention.ms / retention.bytes) every log.retention.check.interval.ms, as Kafka's log cleaner
// thread does for the delete policy.
void ClusterAccess::maintainLogs(Cluster& c) {
    const std::int64_t now = c.nowMs();
    const bool retention =
        now - c.m_impl->lastRetentionCheckMs >= c.brokerConfigInt("log.retention.check.interval.ms");
    if (retention) {
        c.m_impl->lastRetentionCheckMs = now;
    }
    for (auto& [b, replicas] : c.m_impl->replicas) {
        if (!c.isRunning(b)) {
            continue;
        }
        for (auto& [key, p] : replicas) {
            storage::Log& log = p->log();
            log.maybeRoll(now);
            log.maybeFlush(now);
            // Only the delete policy removes old segments; compacted topics (__consumer_offsets)
            // keep theirs until a cleaner compacts them. Each replica against its own high
            // watermark, as Kafka's followers run retention on their own logs: only committed
            // data goes, the active segment too when all is due.
            if (retention && log.config().cleanupDelete) {
                if (const std::int64_t freed = log.applyRetention(now, p->highWatermark());
                    freed > 0) {
                    spdlog::info("{}-{} on broker {}: retention deleted {} bytes, log start now {}",
                                 key.first, key.second, b, freed, log.logStartOffset());
                }
            }
        }
    }
    if (!retention) {
        return;
    }
    // Followers take the leader's log start (Kafka's fetch response carries it), so retention on
    // the leader, or a DeleteRecords a stopped follower missed, moves every replica's log start.
    for (const auto& [name, t] : c.m_topics) {
        for (const auto& meta : t.partitions) {
            if (Partition* leader =
                    meta.leader >= 0 ? c.partition(meta.leader, name, meta.partition) : nullptr) {
                (void)c.deleteRecordsBefore(name, meta.partition, leader->logStartOffset(), -1);
            }
        }
    }
}

std::vector<BrokerSlot> ClusterAccess::slots(const Cluster& c) {
    std::vector<BrokerSlot> out;
    for (const auto& b : c.m_brokers) {
        out.push_back(BrokerSlot{b.id, b.faultDomain, b.updateDomain, b.state == BrokerState::Running});
    }
    return out;
}

// ---------------------------------------------------------------- controller operations

std::expected<const TopicMeta*, protocol::Error> Cluster::createTopic(const NewTopic& request,
                                                                     bool validateOnly) {
    if (auto valid = validateTopicName(request.name); !valid) {
        return std::unexpected(valid.error());
    }
    if (topic(request.name) != nullptr) {
        return std::unexpected(makeError(ErrorCode::TopicAlreadyExists,
                                         fmt::format("Topic '{}' already exists.", request.name)));
    }
    // Kafka refuses names that collide once '.' and '_' are treated alike (metric names).
    auto normalise = [](std::string s) {
        std::replace(s.begin(), s.end(), '.', '_');
        return s;
    };
    for (const auto& [name, t] : m_topics) {
        if (normalise(name) == normalise(request.name)) {
            return std::unexpected(makeError(
                ErrorCode::InvalidTopicException,
                fmt::format("Topic '{}' collides with existing topic '{}'.", request.name, name)));
        }
    }
    if (auto valid = validateTopicConfigs(request.configs); !valid) {
        return std::unexpected(valid.error());
    }
    const auto slots = ClusterAccess::slots(*this);
    std::vector<std::vector<std::int32_t>> assignment;
    if (!request.assignments.empty()) {
        if (request.numPartitions != -1 || request.replicationFactor != -1) {
            return std::unexpected(makeError(
                ErrorCode::InvalidRequest,
                "Both numPartitions or replicationFactor and replicasAssignments were set."));
        }
        if (auto valid = validateAssignment(slots, request.assignments); !valid) {
            return std::unexpected(valid.error());
        }
        std::int32_t expected = 0;
        for (const auto& [p, replicas] : request.assignments) {
            if (p != expected++) {
                return std::unexpected(makeError(ErrorCode::InvalidReplicaAssignment,
                                                 "partitions must be numbered 0..n-1 without gaps"));
            }
            assignment.push_back(replicas);
        }
    } else {
        const std::int32_t partitions =
            request.numPartitions == -1 ? static_cast<std::int32_t>(brokerConfigInt("num.partitions"))
                                        : request.numPartitions;
        std::int32_t rf = request.replicationFactor;
        if (rf == -1) {
            rf = static_cast<std::int32_t>(brokerConfigInt("default.replication.factor"));
        }
        if (partitions <= 0) {
            return std::unexpected(makeError(ErrorCode::InvalidPartitions,
                                             "Number of partitions must be larger than 0."));
        }
        if (rf <= 0) {
            return std::unexpected(makeError(ErrorCode::InvalidReplicationFactor,
                                             "Replication factor must be larger than 0."));
        }
        PlacementLoad load;
        for (const auto& [name, t] : m_topics) {
            for (const auto& p : t.partitions) {
                for (auto b : p.replicas) {
                    ++load.replicas[b];
                }
                if (!p.replicas.empty()) {
                    ++load.leaders[p.replicas.front()];
                }
            }
        }
        auto placed = assignReplicas(slots, partitions, rf, 0, load);
        if (!placed) {
            return std::unexpected(placed.error());
        }
        assignment = std::move(*placed);
    }
    TopicMeta t;
    t.name = request.name;
    t.id = randomUuid();
    t.internal = request.name == kOffsetsTopic;
    t.configs = request.configs;
    for (std::size_t i = 0; i < assignment.size(); ++i) {
        PartitionMeta p;
        p.partition = static_cast<std::int32_t>(i);
        p.replicas = assignment[i];
        for (auto b : p.replicas) {
            if (isRunning(b)) {
                p.isr.push_back(b);
            }
        }
        p.leader = p.isr.empty() ? -1 : p.isr.front();
        t.partitions.push_back(std::move(p));
    }
    if (validateOnly) {
        return topic(request.name); // nullptr: nothing created
    }
    auto [it, inserted] = m_topics.emplace(t.name, std::move(t));
    TopicMeta& created = it->second;
    // Every replica or none: a topic whose logs cannot be created (out of file descriptors, disk
    // full) is not reported as created.
    for (auto& p : created.partitions) {
        for (auto b : p.replicas) {
            if (auto r = ClusterAccess::openReplica(*this, b, created, p); !r) {
                auto error = makeError(ErrorCode::KafkaStorageError,
                                       fmt::format("cannot create replica {}-{} on broker {}: {}",
                                                   created.name, p.partition, b, r.error().message));
                spdlog::error("{}", error.message);
                const std::string name = created.name;
                ClusterAccess::removeReplicas(*this, name);
                ClusterAccess::removeReplicaDir(*this, b, name, p.partition);
                m_topics.erase(name);
                return std::unexpected(std::move(error));
            }
        }
    }
    // The topic's record first: ISR records of its partitions (applyLeadership) follow it.
    ClusterAccess::recordTopic(*this, created);
    for (auto& p : created.partitions) {
        ClusterAccess::applyLeadership(*this, created.name, p);
    }
    spdlog::info("created topic {} ({} partitions, RF {})", created.name, created.partitions.size(),
                 created.partitions.empty() ? 0 : created.partitions.front().replicas.size());
    return &created;
}

std::expected<void, protocol::Error> Cluster::deleteTopic(std::string_view name) {
    auto it = m_topics.find(name);
    if (it == m_topics.end()) {
        return std::unexpected(makeError(ErrorCode::UnknownTopicOrPartition,
                                         fmt::format("Topic '{}' does not exist.", name)));
    }
    if (!brokerConfigBool("delete.topic.enable")) {
        return std::unexpected(makeError(ErrorCode::TopicDeletionDisabled, "delete.topic.enable is false"));
    }
    const std::string topicName = it->first;
    const protocol::Uuid id = it->second.id;
    ClusterAccess::removeReplicas(*this, topicName);
    m_topics.erase(it);
    ClusterAccess::recordTopicDeleted(*this, topicName, id);
    spdlog::info("deleted topic {}", topicName);
    return {};
}

std::expected<void, protocol::Error>
Cluster::createPartitions(std::string_view topicName, std::int32_t totalCount,
                          const std::vector<std::vector<std::int32_t>>* assignments, bool validateOnly) {
    auto it = m_topics.find(topicName);
    if (it == m_topics.end()) {
        return std::unexpected(makeError(ErrorCode::UnknownTopicOrPartition,
                                         fmt::format("Topic '{}' does not exist.", topicName)));
    }
    TopicMeta& t = it->second;
    const auto current = static_cast<std::int32_t>(t.partitions.size());
    if (totalCount <= current) {
        return std::unexpected(makeError(
            ErrorCode::InvalidPartitions,
            fmt::format("Topic currently has {} partitions, which is higher than or equal to the "
                        "requested {}.", current, totalCount)));
    }
    const auto rf = static_cast<std::int32_t>(t.partitions.empty() ? 1 : t.partitions.front().replicas.size());
    const auto slots = ClusterAccess::slots(*this);
    std::vector<std::vector<std::int32_t>> added;
    if (assignments != nullptr) {
        if (static_cast<std::int32_t>(assignments->size()) != totalCount - current) {
            return std::unexpected(makeError(
                ErrorCode::InvalidReplicaAssignment,
                fmt::format("Increasing the number of partitions by {} but {} assignments provided.",
                            totalCount - current, assignments->size())));
        }
        std::map<std::int32_t, std::vector<std::int32_t>> check;
        for (std::size_t i = 0; i < assignments->size(); ++i) {
            if (static_cast<std::int32_t>((*assignments)[i].size()) != rf) {
                return std::unexpected(makeError(
                    ErrorCode::InvalidReplicaAssignment,
                    fmt::format("Partition {}: {} replicas given, the topic's replication factor is {}.",
                                current + static_cast<std::int32_t>(i), (*assignments)[i].size(), rf)));
            }
            check[current + static_cast<std::int32_t>(i)] = (*assignments)[i];
        }
        if (auto valid = validateAssignment(slots, check); !valid) {
            return std::unexpected(valid.error());
        }
        added = *assignments;
    } else {
        PlacementLoad load;
        for (const auto& p : t.partitions) {
            for (auto b : p.replicas) {
                ++load.replicas[b];
            }
            if (!p.replicas.empty()) {
                ++load.leaders[p.replicas.front()];
            }
        }
        auto placed = assignReplicas(slots, totalCount - current, rf, current, load);
        if (!placed) {
            return std::unexpected(placed.error());
        }
        added = std::move(*placed);
    }
    if (validateOnly) {
        return {};
    }
    for (std::size_t i = 0; i < added.size(); ++i) {
        PartitionMeta p;
        p.partition = current + static_cast<std::int32_t>(i);
        p.replicas = added[i];
        for (auto b : p.replicas) {
            if (isRunning(b)) {
                p.isr.push_back(b);
            }
        }
        p.leader = p.isr.empty() ? -1 : p.isr.front();
        t.partitions.push_back(p);
        for (auto b : p.replicas) {
            if (auto r = ClusterAccess::openReplica(*this, b, t, t.partitions.back()); !r) {
                // None of the new partitions then: the topic keeps its `current` partitions.
                auto error = makeError(ErrorCode::KafkaStorageError,
                                       fmt::format("cannot create replica {}-{} on broker {}: {}",
                                                   t.name, p.partition, b, r.error().message));
                spdlog::error("{}", error.message);
                ClusterAccess::removeReplicas(*this, t.name, current);
                ClusterAccess::removeReplicaDir(*this, b, t.name, p.partition);
                t.partitions.resize(static_cast<std::size_t>(current));
                return std::unexpected(std::move(error));
            }
        }
    }
    ClusterAccess::recordTopic(*this, t);
    for (std::size_t i = 0; i < added.size(); ++i) {
        ClusterAccess::applyLeadership(*this, t.name,
                                       t.partitions[static_cast<std::size_t>(current) + i]);
    }
    return {};
}

std::expected<void, protocol::Error>
Cluster::alterTopicConfigs(std::string_view topicName, std::map<std::string, std::string> overrides,
                           bool validateOnly) {
    auto it = m_topics.find(topicName);
    if (it == m_topics.end()) {
        return std::unexpected(makeError(ErrorCode::UnknownTopicOrPartition,
                                         fmt::format("Topic '{}' does not exist.", topicName)));
    }
    if (auto valid = validateTopicConfigs(overrides); !valid) {
        return std::unexpected(valid.error());
    }
    if (validateOnly) {
        return {};
    }
    it->second.configs = std::move(overrides);
    const storage::LogConfig config = ClusterAccess::logConfigFor(*this, it->second);
    for (auto& [b, replicas] : m_impl->replicas) {
        for (auto& [key, p] : replicas) {
            if (key.first == it->first) {
                p->log().setConfig(config);
            }
        }
    }
    ClusterAccess::recordTopic(*this, it->second);
    return {};
}

std::expected<void, protocol::Error>
Cluster::alterBrokerConfigs(std::map<std::string, std::string> overrides, bool validateOnly) {
    for (const auto& [name, value] : overrides) {
        const ConfigDef* def = findBrokerConfig(name);
        if (def == nullptr) {
            return std::unexpected(makeError(ErrorCode::InvalidConfig,
                                             fmt::format("Unknown broker config name: {}", name)));
        }
        if (def->readOnly) {
            return std::unexpected(makeError(
                ErrorCode::InvalidConfig,
                fmt::format("Cannot update the read-only broker config {} dynamically", name)));
        }
    }
    if (validateOnly) {
        return {};
    }
    ClusterAccess::setDynamicBrokerConfigs(*this, std::move(overrides));
    for (auto& [b, replicas] : m_impl->replicas) {
        for (auto& [key, p] : replicas) {
            if (const TopicMeta* t = topic(key.first)) {
                p->log().setConfig(ClusterAccess::logConfigFor(*this, *t));
            }
        }
    }
    ClusterAccess::recordBrokerConfigs(*this);
    return {};
}

bool Cluster::maybeAutoCreate(std::string_view name) {
    if (topic(name) != nullptr) {
        return true;
    }
    if (!brokerConfigBool("auto.create.topics.enable") || !validateTopicName(name)) {
        return false;
    }
    NewTopic request;
    request.name = std::string(name);
    const auto running = static_cast<std::int16_t>(std::count_if(
        m_brokers.begin(), m_brokers.end(), [](const auto& b) { return b.state == BrokerState::Running; }));
    request.replicationFactor = static_cast<std::int16_t>(
        std::min<std::int64_t>(brokerConfigInt("default.replication.factor"), running));
    auto created = createTopic(request, false);
    if (!created) {
        spdlog::warn("auto-creation of topic {} failed: {}", name, created.error().message);
        return false;
    }
    return true;
}

} // namespace faultline::broker
