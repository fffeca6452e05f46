// The sandbox's state: brokers, the controller's metadata, every broker's replicas, groups.
// Thread rule: everything here runs on the core strand (strand()); handlers are called on it.
#pragma once

#include "engine/broker/metadata_image.h"
#include "engine/protocol/error_code.h"

#include <asio.hpp>

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::broker {

class Partition;
class GroupCoordinator;

struct EngineOptions {
    int brokers = 3;
    int faultDomains = 3;
    int updateDomains = 3;
    std::filesystem::path dataDir; // empty: a temporary dir removed at exit
    std::string listenAddress = "127.0.0.1";
    std::uint16_t basePort = 9092; // broker i (0-based) listens on basePort + i; 0 = ephemeral
    int ioThreads = 2;
    std::map<std::string, std::string> brokerConfigs; // broker config overrides (num.partitions ...)
    // Open .log files of sealed segments kept by the whole engine (storage::FilePool); only
    // each replica's active segment holds its own descriptor besides these.
    std::size_t segmentFiles = 256;
};

struct NewTopic {
    std::string name;
    std::int32_t numPartitions = -1;     // -1: num.partitions
    std::int16_t replicationFactor = -1; // -1: default.replication.factor
    std::map<std::int32_t, std::vector<std::int32_t>> assignments; // explicit; then the two above are -1
    std::map<std::string, std::string> configs;
};

using Strand = asio::strand<asio::io_context::executor_type>;

class Cluster {
public:
    Cluster(asio::io_context& io, EngineOptions options);
    ~Cluster();
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    // Loads or creates the data dir (metadata, logs); brokers' ports are set by the engine after bind.
    [[nodiscard]] std::expected<void, protocol::Error> open();
    void close(); // flush logs, persist metadata

    // ---- executor and time
    [[nodiscard]] Strand& strand() { return m_strand; }
    [[nodiscard]] std::int64_t nowMs() const;
    // One-shot timer on the core strand; cancelTimer before it fires drops it.
    std::uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn);
    void cancelTimer(std::uint64_t id);

    // ---- brokers
    [[nodiscard]] const std::vector<BrokerInfo>& brokers() const { return m_brokers; }
    [[nodiscard]] const BrokerInfo* broker(std::int32_t id) const;
    [[nodiscard]] bool isRunning(std::int32_t id) const;
    void setBrokerPort(std::int32_t id, std::uint16_t port);
    [[nodiscard]] std::int32_t controllerId() const { return m_controllerId; }
    [[nodiscard]] const std::string& clusterId() const { return m_clusterId; }
    [[nodiscard]] const std::filesystem::path& dataDir() const { return m_dataDir; }
    // Broker-level config overrides (cluster-wide in the sandbox) and typed lookups with defaults.
    // brokerConfigs() is the effective set: the dynamic ones (AlterConfigs and
    // IncrementalAlterConfigs on a broker resource, kept in the metadata) over the startup ones
    // (EngineOptions::brokerConfigs, `--config`), as Kafka layers its dynamic configs over
    // server.properties. DescribeConfigs reports them as sources 3 and 4.
    [[nodiscard]] const std::map<std::string, std::string>& brokerConfigs() const { return m_brokerConfigs; }
    [[nodiscard]] const std::map<std::string, std::string>& dynamicBrokerConfigs() const {
        return m_dynamicBrokerConfigs;
    }
    [[nodiscard]] const std::map<std::string, std::string>& staticBrokerConfigs() const {
        return m_options.brokerConfigs;
    }
    [[nodiscard]] std::string brokerConfig(std::string_view name) const;
    [[nodiscard]] std::int64_t brokerConfigInt(std::string_view name) const;
    [[nodiscard]] bool brokerConfigBool(std::string_view name) const;

    // ---- metadata
    [[nodiscard]] const std::map<std::string, TopicMeta, std::less<>>& topics() const { return m_topics; }
    [[nodiscard]] const TopicMeta* topic(std::string_view name) const;
    [[nodiscard]] const TopicMeta* topicById(const protocol::Uuid& id) const;
    [[nodiscard]] const PartitionMeta* partitionMeta(std::string_view topic, std::int32_t partition) const;

    // ---- controller operations (validate, apply to every broker's replicas, persist)
    [[nodiscard]] std::expected<const TopicMeta*, protocol::Error> createTopic(const NewTopic& topic, bool validateOnly);
    [[nodiscard]] std::expected<void, protocol::Error> deleteTopic(std::string_view name);
    [[nodiscard]] std::expected<void, protocol::Error>
    createPartitions(std::string_view topic, std::int32_t totalCount,
                     const std::vector<std::vector<std::int32_t>>* assignments, bool validateOnly);
    // Replaces the topic's whole override set (AlterConfigs); IncrementalAlterConfigs computes the set first.
    [[nodiscard]] std::expected<void, protocol::Error>
    alterTopicConfigs(std::string_view topic, std::map<std::string, std::string> overrides, bool validateOnly);
    // Replaces the whole dynamic broker config set (the startup values stay under it).
    [[nodiscard]] std::expected<void, protocol::Error>
    alterBrokerConfigs(std::map<std::string, std::string> overrides, bool validateOnly);
    // Auto-creation (auto.create.topics.enable): creates `name` with the defaults; true if it exists now.
    bool maybeAutoCreate(std::string_view name);

    // ---- replicas
    // The replica of topic/partition hosted by `brokerId`, nullptr if that broker hosts none (or is down).
    [[nodiscard]] Partition* partition(std::int32_t brokerId, std::string_view topic, std::int32_t partition);
    // DeleteRecords on every running replica: moves its log start to `offset` where that lies in
    // (log start, log end]; a replica behind catches up from the leader's log start later. The
    // caller keeps `offset` at or below the high watermark. Failures are logged; returns the one
    // on `reportBroker`'s replica (None otherwise).
    [[nodiscard]] protocol::ErrorCode deleteRecordsBefore(std::string_view topic, std::int32_t partition,
                                                          std::int64_t offset, std::int32_t reportBroker);

    // ---- producers and groups
    [[nodiscard]] std::int64_t allocateProducerId();
    [[nodiscard]] GroupCoordinator& groups();

private:
    struct Impl;
    asio::io_context& m_io;
    Strand m_strand;
    EngineOptions m_options;
    std::filesystem::path m_dataDir;
    std::vector<BrokerInfo> m_brokers;
    std::int32_t m_controllerId = -1;
    std::string m_clusterId;
    std::map<std::string, std::string> m_brokerConfigs;        // effective: dynamic over static
    std::map<std::string, std::string> m_dynamicBrokerConfigs; // AlterConfigs on a broker
    std::map<std::string, TopicMeta, std::less<>> m_topics;
    std::unique_ptr<Impl> m_impl;
    friend struct ClusterAccess;
};

} // namespace faultline::broker
