// The engine at scale, in-process: the controller's metadata persisted as a change log over a
// snapshot (restart after many changes, a crash, a torn last record, an old metadata.json), the
// clean-shutdown marker that spares cleanly closed logs their recovery scan, one file
// descriptor per replica (plus a bounded pool) with a clean failure at the descriptor limit, and
// __consumer_offsets compacted while groups keep committing.
#include "engine/broker/cluster.h"
#include "engine/broker/engine.h"
#include "engine/broker/group_coordinator.h"
#include "engine/broker/metadata_log.h"
#include "engine/broker/partition.h"
#include "engine/protocol/record_batch.h"
#include "engine/protocol/records.h"
#include "engine/storage/log.h"

#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

using namespace faultline;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<broker::Engine> startEngine(const fs::path& dir, int brokers = 3,
                                            std::size_t segmentFiles = 256) {
    broker::EngineOptions options;
    options.brokers = brokers;
    options.basePort = 0;
    options.dataDir = dir;
    options.segmentFiles = segmentFiles;
    auto engine = broker::Engine::start(options);
    if (!engine) {
        qWarning("%s", engine.error().c_str());
        return nullptr;
    }
    return std::move(*engine);
}

// Everything the controller persists, as text: cluster id, broker configs, topics with ids,
// configs and every partition's replicas, ISR, leader and epochs.
std::string describe(broker::Engine& engine) {
    std::ostringstream out;
    engine.inspect([&](broker::Cluster& c) {
        out << "cluster " << c.clusterId() << "\n";
        for (const auto& [k, v] : c.brokerConfigs()) {
            out << "config " << k << "=" << v << "\n";
        }
        for (const auto& [name, t] : c.topics()) {
            out << "topic " << name << " internal=" << t.internal << " id=";
            for (auto b : t.id) {
                out << static_cast<int>(b) << ".";
            }
            out << "\n";
            for (const auto& [k, v] : t.configs) {
                out << "  config " << k << "=" << v << "\n";
            }
            for (const auto& p : t.partitions) {
                out << "  p" << p.partition << " leader=" << p.leader << " epoch=" << p.leaderEpoch
                    << " pepoch=" << p.partitionEpoch << " replicas=";
                for (auto r : p.replicas) {
                    out << r << ",";
                }
                out << " isr=";
                for (auto r : p.isr) {
                    out << r << ",";
                }
                out << "\n";
            }
        }
    });
    return out.str();
}

// What a kill -9 leaves: the files as they are while the engine runs.
void crashCopy(const fs::path& from, const fs::path& to) {
    fs::remove_all(to);
    fs::copy(from, to, fs::copy_options::recursive);
}

std::vector<std::uint8_t> makeBatch(int records, int seed) {
    std::vector<protocol::Record> rs(static_cast<std::size_t>(records));
    for (int i = 0; i < records; ++i) {
        auto& r = rs[static_cast<std::size_t>(i)];
        r.timestamp = 1000 + i;
        r.value = std::vector<std::uint8_t>(100, static_cast<std::uint8_t>(seed + i));
    }
    auto batch = protocol::buildBatch(rs, {});
    return batch ? *batch : std::vector<std::uint8_t>{};
}

int openDescriptors() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

// The byte offset where the change log's last record starts.
std::uintmax_t lastRecordStart(const fs::path& log) {
    std::ifstream in(log, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::size_t pos = 0;
    std::size_t last = 0;
    while (pos + 8 <= bytes.size()) {
        const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + pos);
        const std::size_t length =
            (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
        last = pos;
        pos += 8 + length;
    }
    return last;
}

// Group ids that all map to one __consumer_offsets partition.
std::vector<std::string> groupsSharingAPartition(broker::GroupCoordinator& groups, std::size_t count) {
    std::vector<std::string> out;
    const std::int32_t target = groups.partitionFor("g-0");
    for (int i = 0; out.size() < count; ++i) {
        std::string id = "g-" + std::to_string(i);
        if (groups.partitionFor(id) == target) {
            out.push_back(std::move(id));
        }
    }
    return out;
}

// Every committed offset of `groups` on `topic` partitions 0 and 1, with its epoch, metadata and
// timestamp; "-" for none.
std::string committedState(broker::GroupCoordinator& coordinator, const std::vector<std::string>& groups,
                           const std::string& topic) {
    std::ostringstream out;
    for (const auto& g : groups) {
        out << g << ":";
        for (std::int32_t p = 0; p < 2; ++p) {
            const auto c = coordinator.committed(g, topic, p);
            if (c) {
                out << " " << p << "=" << c->offset << "/" << c->leaderEpoch << "/" << c->metadata
                    << "/" << c->commitTimestamp;
            } else {
                out << " " << p << "=-";
            }
        }
        out << "\n";
    }
    return out.str();
}

// A group's stored metadata as the coordinator holds it: generation, protocol, leader, members.
std::string groupState(broker::GroupCoordinator& coordinator, const std::string& groupId) {
    const broker::Group* g = coordinator.groups().find(groupId);
    if (g == nullptr) {
        return groupId + " unknown\n";
    }
    std::string out = groupId + " generation " + std::to_string(g->generationId) + " " +
                      g->protocolType + " " + g->protocolName.value_or("-") + " leader " + g->leaderId +
                      " members";
    for (const auto& [id, member] : g->members) {
        out += " " + id;
    }
    return out + "\n";
}

// Runs `done` on the core strand until it holds (QTRY_* polls it).
bool waitFor(broker::Engine& engine, const std::function<bool()>& done) {
    bool result = false;
    engine.inspect([&](broker::Cluster&) { result = done(); });
    return result;
}

// The log start and log end offsets of every replica of a __consumer_offsets partition.
std::vector<std::pair<std::int64_t, std::int64_t>> offsetsLogBounds(broker::Cluster& c,
                                                                    std::int32_t partition) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    const auto* meta = c.partitionMeta("__consumer_offsets", partition);
    if (meta == nullptr) {
        return out;
    }
    for (auto b : meta->replicas) {
        if (const auto* r = c.partition(b, "__consumer_offsets", partition)) {
            out.emplace_back(r->logStartOffset(), r->logEndOffset());
        }
    }
    return out;
}

} // namespace

class TestClusterPersistence : public QObject {
    Q_OBJECT

private slots:
    // Creates, deletes, added partitions, altered topic and broker configs, producer ids, then a
    // crash: the copy's state is read back from the snapshot and the change log. Then a restart
    // with one broker fewer shrinks every ISR (ISR and leader change records), crashes again and
    // comes back the same.
    void restartAfterManyChangesGivesTheSameState() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        std::string before;
        std::int64_t lastProducerId = -1;
        {
            auto engine = startEngine(root / "live");
            QVERIFY(engine);
            int failures = 0;
            engine->inspect([&](broker::Cluster& c) {
                for (int i = 0; i < 40; ++i) {
                    broker::NewTopic t{.name = "m-" + std::to_string(i),
                                       .numPartitions = 1 + i % 3,
                                       .replicationFactor = static_cast<std::int16_t>(1 + i % 3)};
                    if (i % 4 == 0) {
                        t.configs = {{"retention.ms", std::to_string(100000 + i)}};
                    }
                    failures += c.createTopic(t, false) ? 0 : 1;
                }
                for (int i = 0; i < 40; i += 5) {
                    failures += c.deleteTopic("m-" + std::to_string(i)) ? 0 : 1;
                }
                for (int i = 1; i < 40; i += 7) { // 15 and 35 are deleted
                    if (i % 5 == 0) {
                        continue;
                    }
                    const auto* t = c.topic("m-" + std::to_string(i));
                    const auto count = static_cast<std::int32_t>(t->partitions.size());
                    failures += c.createPartitions(t->name, count + 2, nullptr, false) ? 0 : 1;
                }
                for (int i = 2; i < 40; i += 9) { // 20 is deleted
                    if (i % 5 == 0) {
                        continue;
                    }
                    failures += c.alterTopicConfigs("m-" + std::to_string(i),
                                                    {{"cleanup.policy", "compact"}}, false)
                                    ? 0
                                    : 1;
                }
                failures +=
                    c.alterBrokerConfigs({{"log.retention.check.interval.ms", "12345"}}, false) ? 0
                                                                                                : 1;
                // A name used again after its deletion gets a new id.
                broker::NewTopic again;
                again.name = "m-5";
                again.numPartitions = 2;
                again.replicationFactor = 2;
                failures += c.createTopic(again, false) ? 0 : 1;
                for (int i = 0; i < 3; ++i) {
                    lastProducerId = c.allocateProducerId();
                }
            });
            QCOMPARE(failures, 0);
            // The changes are records in the change log; the snapshot was written once.
            const fs::path metaDir = root / "live" / "cluster";
            QVERIFY(fs::file_size(broker::MetadataLog::logPath(metaDir)) > 0);
            before = describe(*engine);
            QVERIFY(before.find("topic m-39 ") != std::string::npos);
            QVERIFY(before.find("topic m-10 ") == std::string::npos);
            crashCopy(root / "live", root / "crashed");
        }
        std::string shrunk;
        {
            auto engine = startEngine(root / "crashed");
            QVERIFY(engine);
            QCOMPARE(describe(*engine), before);
            std::int64_t next = -1;
            engine->inspect([&](broker::Cluster& c) { next = c.allocateProducerId(); });
            QCOMPARE(next, lastProducerId + 1);
        }
        {
            // Broker 3 is gone: it leaves every ISR and no longer leads.
            auto engine = startEngine(root / "crashed", 2);
            QVERIFY(engine);
            shrunk = describe(*engine);
            QVERIFY(shrunk != before);
            QVERIFY(shrunk.find("isr=1,2,3,") == std::string::npos);
            QVERIFY(shrunk.find("leader=3 ") == std::string::npos);
            crashCopy(root / "crashed", root / "crashed-again");
        }
        auto engine = startEngine(root / "crashed-again", 2);
        QVERIFY(engine);
        QCOMPARE(describe(*engine), shrunk);
    }

    // Five groups share one __consumer_offsets partition: one commits 1,500 times, one twice, one
    // is deleted, one has an offset deleted, one has members (its metadata is stored when its
    // first rebalance completes). Once the partition holds 1,000 dead records the coordinator
    // writes the live values again and moves every replica's log start past the old records. The
    // committed offsets and the group's metadata are the same before, after a clean restart
    // (whose replay reads only what follows the log start) and after a crash copy.
    void consumerOffsetsAreCompacted() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const std::string topic = "orders";
        std::vector<std::string> groups;
        std::int32_t partition = -1;
        std::string state;
        auto commit = [&](broker::GroupCoordinator& coordinator, const std::string& group,
                          std::int32_t p, std::int64_t offset) {
            const broker::OffsetToCommit o{
                topic, p, {offset, 3, "m" + std::to_string(offset), 1700000000000 + offset}};
            return coordinator.commitOffsets(group, {o}).has_value();
        };
        // After a start: load the partition as a coordinator does, then read the state back.
        auto readBack = [&](broker::Engine& engine, std::string& out,
                            std::vector<std::pair<std::int64_t, std::int64_t>>& bounds) {
            engine.inspect([&](broker::Cluster& c) {
                auto& coordinator = c.groups();
                const std::int32_t broker = coordinator.coordinatorFor(groups[0]);
                if (coordinator.checkCoordinator(groups[0], broker) == protocol::ErrorCode::None) {
                    out = committedState(coordinator, groups, topic) + groupState(coordinator, groups[4]);
                }
                bounds = offsetsLogBounds(c, partition);
            });
        };
        {
            auto engine = startEngine(root / "live");
            QVERIFY(engine);
            int failures = 0;
            std::vector<std::pair<std::int64_t, std::int64_t>> bounds;
            // The fifth group: one member joins and, as the leader, syncs its assignment.
            std::optional<broker::JoinResult> joined;
            std::optional<broker::SyncResult> synced;
            engine->inspect([&](broker::Cluster& c) {
                failures += c.alterBrokerConfigs({{"group.initial.rebalance.delay.ms", "0"}}, false) ? 0 : 1;
                auto& coordinator = c.groups();
                groups = groupsSharingAPartition(coordinator, 5);
                failures += coordinator.coordinatorFor(groups[4]) >= 0 ? 0 : 1; // creates the topic
                broker::JoinParams join;
                join.clientId = "member-client";
                join.clientHost = "/127.0.0.1";
                join.protocolType = "consumer";
                join.protocols = {{"range", {1, 2, 3}}};
                coordinator.groups().join(groups[4], join, [&](broker::JoinResult r) { joined = r; });
            });
            QTRY_VERIFY_WITH_TIMEOUT(waitFor(*engine, [&] { return joined.has_value(); }), 5000);
            QCOMPARE(joined->error, protocol::ErrorCode::None);
            QCOMPARE(joined->leaderId, joined->memberId);
            engine->inspect([&](broker::Cluster& c) {
                broker::SyncParams sync;
                sync.memberId = joined->memberId;
                sync.generationId = joined->generationId;
                sync.assignments = {{joined->memberId, {9, 8, 7}}};
                c.groups().groups().sync(groups[4], sync, [&](broker::SyncResult r) { synced = r; });
            });
            QTRY_VERIFY_WITH_TIMEOUT(waitFor(*engine, [&] { return synced.has_value(); }), 5000);
            QCOMPARE(synced->error, protocol::ErrorCode::None);
            engine->inspect([&](broker::Cluster& c) {
                auto& coordinator = c.groups();
                partition = coordinator.partitionFor(groups[0]);
                const std::string& busy = groups[0];
                const std::string& quiet = groups[1];
                const std::string& gone = groups[2];
                const std::string& trimmed = groups[3];
                failures += coordinator.coordinatorFor(busy) >= 0 ? 0 : 1; // creates the topic
                failures += commit(coordinator, quiet, 0, 77) && commit(coordinator, quiet, 1, 78) ? 0 : 1;
                failures += commit(coordinator, gone, 0, 5) ? 0 : 1;
                failures += coordinator.deleteGroup(gone) == protocol::ErrorCode::None ? 0 : 1;
                failures += commit(coordinator, trimmed, 0, 10) && commit(coordinator, trimmed, 1, 11) ? 0 : 1;
                failures += coordinator.deleteOffsets(trimmed, {{topic, 1}}) ? 0 : 1;
                for (std::int64_t i = 0; i < 1500; ++i) {
                    failures += commit(coordinator, busy, static_cast<std::int32_t>(i % 2), i) ? 0 : 1;
                }
                state = committedState(coordinator, groups, topic) + groupState(coordinator, groups[4]);
                bounds = offsetsLogBounds(c, partition);
            });
            QCOMPARE(failures, 0);
            const std::string expected = groups[0] + ": 0=1498/3/m1498/1700000001498 1=1499/3/m1499/1700000001499\n" +
                                         groups[1] + ": 0=77/3/m77/1700000000077 1=78/3/m78/1700000000078\n" +
                                         groups[2] + ": 0=- 1=-\n" +
                                         groups[3] + ": 0=10/3/m10/1700000000010 1=-\n" +
                                         groups[4] + ": 0=- 1=-\n" + groups[4] +
                                         " generation 1 consumer range leader " + joined->memberId +
                                         " members " + joined->memberId + "\n";
            QCOMPARE(state, expected);
            // 1,508 records were written; the old ones are below every replica's log start.
            QCOMPARE(bounds.size(), std::size_t{3});
            for (const auto& [start, end] : bounds) {
                QCOMPARE(start, bounds.front().first);
                QCOMPARE(end, bounds.front().second);
                QVERIFY2(start >= 1000, qPrintable(QString("log start %1").arg(start)));
                QVERIFY2(end - start < 1000, qPrintable(QString("%1 records after the log start").arg(end - start)));
            }
            // The old records' segments are gone on every broker: the first segment file left
            // starts at the log start.
            int replicaDirs = 0;
            for (const auto& broker : fs::directory_iterator(root / "live")) {
                const fs::path dir = broker.path() / ("__consumer_offsets-" + std::to_string(partition));
                if (!fs::is_directory(dir)) {
                    continue;
                }
                ++replicaDirs;
                std::int64_t first = INT64_MAX;
                for (const auto& file : fs::directory_iterator(dir)) {
                    if (file.path().extension() == ".log") {
                        first = std::min<std::int64_t>(first, std::stoll(file.path().stem().string()));
                    }
                }
                QCOMPARE(first, bounds.front().first);
            }
            QCOMPARE(replicaDirs, 3);
            crashCopy(root / "live", root / "crashed");
        }
        for (const char* dir : {"live", "crashed"}) {
            auto engine = startEngine(root / dir);
            QVERIFY(engine);
            std::string again;
            std::vector<std::pair<std::int64_t, std::int64_t>> bounds;
            readBack(*engine, again, bounds);
            QCOMPARE(again, state);
            QVERIFY(!bounds.empty());
            QVERIFY2(bounds.front().first >= 1000, dir);
            QVERIFY2(bounds.front().second - bounds.front().first < 1000, dir);
        }
    }

    // KIP-345: a static member restarting while its group is Stable takes its old member id's
    // place without a rebalance. The group is stored again then, naming the new id with the
    // member's assignment, so a clean restart and a crash copy both bring it back that way.
    void staticMemberRejoinIsPersisted() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const std::string group = "static-group";
        broker::JoinParams join;
        join.groupInstanceId = "i1";
        join.clientId = "member-client";
        join.clientHost = "/127.0.0.1";
        join.protocolType = "consumer";
        join.protocols = {{"range", {1, 2, 3}}};
        // Generation, leader and each member with its instance id and assignment.
        auto stored = [&](broker::Cluster& c) {
            auto& coordinator = c.groups();
            const std::int32_t broker = coordinator.coordinatorFor(group);
            if (coordinator.checkCoordinator(group, broker) != protocol::ErrorCode::None) {
                return std::string("not coordinator");
            }
            std::string out = groupState(coordinator, group);
            if (const broker::Group* g = coordinator.groups().find(group)) {
                out += broker::groupPhaseName(g->phase);
                for (const auto& [id, m] : g->members) {
                    out += " " + id + "=" + m.groupInstanceId.value_or("-") + ":";
                    for (auto b : m.assignment) {
                        out += std::to_string(b) + ".";
                    }
                }
            }
            return out;
        };
        std::optional<broker::JoinResult> first;
        std::optional<broker::SyncResult> synced;
        std::optional<broker::JoinResult> restarted;
        std::string state;
        {
            auto engine = startEngine(root / "live");
            QVERIFY(engine);
            engine->inspect([&](broker::Cluster& c) {
                QVERIFY(c.alterBrokerConfigs({{"group.initial.rebalance.delay.ms", "0"}}, false));
                QVERIFY(c.groups().coordinatorFor(group) >= 0); // creates the topic
                c.groups().groups().join(group, join, [&](broker::JoinResult r) { first = r; });
            });
            QTRY_VERIFY_WITH_TIMEOUT(waitFor(*engine, [&] { return first.has_value(); }), 5000);
            QCOMPARE(first->error, protocol::ErrorCode::None);
            engine->inspect([&](broker::Cluster& c) {
                broker::SyncParams sync;
                sync.memberId = first->memberId;
                sync.groupInstanceId = "i1";
                sync.generationId = first->generationId;
                sync.assignments = {{first->memberId, {9, 8, 7}}};
                c.groups().groups().sync(group, sync, [&](broker::SyncResult r) { synced = r; });
            });
            QTRY_VERIFY_WITH_TIMEOUT(waitFor(*engine, [&] { return synced.has_value(); }), 5000);
            QCOMPARE(synced->error, protocol::ErrorCode::None);
            engine->inspect([&](broker::Cluster& c) {
                c.groups().groups().join(group, join, [&](broker::JoinResult r) { restarted = r; });
            });
            QTRY_VERIFY_WITH_TIMEOUT(waitFor(*engine, [&] { return restarted.has_value(); }), 5000);
            QCOMPARE(restarted->error, protocol::ErrorCode::None);
            QCOMPARE(restarted->generationId, 1);
            QCOMPARE(restarted->leaderId, first->memberId);
            QVERIFY(restarted->memberId != first->memberId);
            engine->inspect([&](broker::Cluster& c) { state = stored(c); });
            const std::string expected = group + " generation 1 consumer range leader " +
                                         restarted->memberId + " members " + restarted->memberId +
                                         "\nStable " + restarted->memberId + "=i1:9.8.7.";
            QCOMPARE(state, expected);
            crashCopy(root / "live", root / "crashed");
        }
        for (const char* dir : {"live", "crashed"}) {
            auto engine = startEngine(root / dir);
            QVERIFY(engine);
            std::string again;
            engine->inspect([&](broker::Cluster& c) { again = stored(c); });
            QCOMPARE(again, state);
        }
    }

    // A crash in the middle of the last change's record: the engine starts with the state from
    // before that change, whatever byte the record was cut at.
    void changeLogCutInItsLastRecordGivesThePreviousState() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        std::string previous;
        std::string after;
        {
            auto engine = startEngine(root / "live");
            QVERIFY(engine);
            engine->inspect([&](broker::Cluster& c) {
                (void)c.createTopic({.name = "cut", .numPartitions = 1, .replicationFactor = 1},
                                    false);
            });
            previous = describe(*engine);
            engine->inspect([&](broker::Cluster& c) {
                (void)c.alterTopicConfigs("cut", {{"retention.ms", "7777"}}, false);
            });
            after = describe(*engine);
            QVERIFY(after != previous);
            crashCopy(root / "live", root / "base");
        }
        const fs::path log = broker::MetadataLog::logPath(root / "base" / "cluster");
        const std::uintmax_t size = fs::file_size(log);
        const std::uintmax_t start = lastRecordStart(log);
        QVERIFY(size - start > 8);
        for (std::uintmax_t keep = start; keep <= size; ++keep) {
            crashCopy(root / "base", root / "work");
            fs::resize_file(broker::MetadataLog::logPath(root / "work" / "cluster"), keep);
            auto engine = startEngine(root / "work");
            QVERIFY(engine);
            const std::string state = describe(*engine);
            QVERIFY2(state == (keep == size ? after : previous),
                     ("kept " + std::to_string(keep - start) + " of " +
                      std::to_string(size - start) + " bytes of the last record")
                         .c_str());
        }
    }

    // A data dir written by an earlier version: only cluster/metadata.json, rewritten on every
    // change. It opens as it is (it is the snapshot) and changes go to the change log after it.
    void oldMetadataJsonOpens() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        fs::create_directories(dir / "cluster");
        std::ofstream(dir / "cluster" / "metadata.json") << R"({
 "brokerConfigs": {"log.retention.check.interval.ms": "4242"},
 "brokers": [{"fd": 0, "id": 1, "rack": "FD0UD0", "ud": 0}, {"fd": 1, "id": 2, "rack": "FD1UD1", "ud": 1},
             {"fd": 2, "id": 3, "rack": "FD2UD2", "ud": 2}],
 "clusterId": "LegacyClusterId0000000",
 "nextProducerId": 5000,
 "topics": [{"configs": {"retention.ms": "5000"}, "id": "00112233445566778899aabbccddeeff",
             "internal": false, "name": "legacy",
             "partitions": [{"isr": [2, 3, 1], "leader": 2, "leaderEpoch": 4, "partition": 0,
                             "partitionEpoch": 7, "replicas": [2, 3, 1]}]}],
 "version": 1
})";
        std::string first;
        {
            auto engine = startEngine(dir);
            QVERIFY(engine);
            first = describe(*engine);
            QVERIFY2(first.find("cluster LegacyClusterId0000000\n") != std::string::npos,
                     first.c_str());
            QVERIFY(first.find("config log.retention.check.interval.ms=4242\n") !=
                    std::string::npos);
            QVERIFY(
                first.find("topic legacy internal=0 id=0.17.34.51.68.85.102.119.136.153.170.187."
                           "204.221.238.255.\n  config retention.ms=5000\n  p0 leader=2 epoch=4 "
                           "pepoch=7 replicas=2,3,1, isr=2,3,1,\n") != std::string::npos);
            std::int64_t pid = -1;
            engine->inspect([&](broker::Cluster& c) {
                pid = c.allocateProducerId();
                (void)c.alterTopicConfigs("legacy", {{"retention.ms", "6000"}}, false);
            });
            QCOMPARE(pid, 5000);
            first = describe(*engine);
            QVERIFY(fs::is_directory(dir / "broker-2" / "legacy-0"));
        }
        auto engine = startEngine(dir);
        QVERIFY(engine);
        QCOMPARE(describe(*engine), first);
    }

    // A clean stop leaves a marker in every broker dir; the next start trusts those logs and
    // scans nothing, removes the markers, and a crash (no markers) has every active segment
    // CRC-checked again.
    void cleanShutdownMarkerSkipsTheRecoveryScan() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const fs::path live = root / "live";
        auto recovered = [](broker::Engine& engine) {
            std::int64_t bytes = 0;
            engine.inspect([&](broker::Cluster& c) {
                for (int b = 1; b <= 3; ++b) {
                    if (auto* p = c.partition(b, "data", 0)) {
                        bytes += p->log().recoveredBytes();
                    }
                }
            });
            return bytes;
        };
        std::int64_t written = 0;
        {
            auto engine = startEngine(live);
            QVERIFY(engine);
            engine->inspect([&](broker::Cluster& c) {
                (void)c.createTopic({.name = "data", .numPartitions = 1, .replicationFactor = 3},
                                    false);
                const auto* meta = c.partitionMeta("data", 0);
                broker::Partition* leader = c.partition(meta->leader, "data", 0);
                for (int i = 0; i < 5; ++i) {
                    auto batch = makeBatch(3, i);
                    written += static_cast<std::int64_t>(batch.size());
                    (void)leader->appendInternal(batch, c.nowMs());
                }
            });
            for (int b = 1; b <= 3; ++b) {
                QVERIFY(
                    !fs::exists(live / ("broker-" + std::to_string(b)) / ".kafka_cleanshutdown"));
            }
            crashCopy(live, root / "crashed");
        }
        for (int b = 1; b <= 3; ++b) {
            QVERIFY(fs::exists(live / ("broker-" + std::to_string(b)) / ".kafka_cleanshutdown"));
        }
        {
            auto engine = startEngine(live);
            QVERIFY(engine);
            QCOMPARE(recovered(*engine), 0);
            for (int b = 1; b <= 3; ++b) {
                QVERIFY(
                    !fs::exists(live / ("broker-" + std::to_string(b)) / ".kafka_cleanshutdown"));
            }
        }
        auto engine = startEngine(root / "crashed");
        QVERIFY(engine);
        QCOMPARE(recovered(*engine), 3 * written); // every replica holds the same batches
    }

    // Two engines on one data dir would each recover, retain and mark as cleanly shut down the
    // other's live logs. The second is refused before it reads or writes anything, with the
    // holder's pid; once the first stops, the dir opens again.
    void secondEngineOnTheSameDataDirIsRefused() {
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "data";
        auto first = startEngine(dir);
        QVERIFY(first);
        first->inspect([&](broker::Cluster& c) {
            (void)c.createTopic({.name = "kept", .numPartitions = 2, .replicationFactor = 3},
                                false);
            broker::Partition* leader = c.partition(c.partitionMeta("kept", 0)->leader, "kept", 0);
            auto batch = makeBatch(4, 0);
            (void)leader->appendInternal(batch, c.nowMs());
        });
        const std::string before = describe(*first);
        auto listing = [&] {
            std::vector<std::string> files;
            for (const auto& entry : fs::recursive_directory_iterator(dir)) {
                files.push_back(entry.path().string() + " " +
                                std::to_string(entry.is_regular_file() ? entry.file_size() : 0));
            }
            std::sort(files.begin(), files.end());
            return files;
        };
        const auto filesBefore = listing();

        broker::EngineOptions options;
        options.basePort = 0;
        options.dataDir = dir;
        auto second = broker::Engine::start(options);
        QVERIFY(!second);
        qInfo("%s", second.error().c_str());
        QVERIFY2(second.error().find("in use by another engine (pid " + std::to_string(::getpid()) +
                                     ")") != std::string::npos,
                 second.error().c_str());
        QCOMPARE(listing(), filesBefore); // no marker, no recovery, nothing touched
        QCOMPARE(describe(*first), before);

        first.reset();
        auto third = startEngine(dir);
        QVERIFY(third);
        QCOMPARE(describe(*third), before);
        std::int64_t end = -1;
        third->inspect([&](broker::Cluster& c) {
            end = c.partition(c.partitionMeta("kept", 0)->leader, "kept", 0)->logEndOffset();
        });
        QCOMPARE(end, std::int64_t{4});
    }

    // 90 replicas hold one descriptor each, whatever their segments; at a lowered descriptor
    // limit CreateTopics fails with KAFKA_STORAGE_ERROR, leaves nothing behind, and the engine
    // goes on serving (a topic is created once the limit is back).
    void oneDescriptorPerReplicaAndACleanFailureAtTheLimit() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        auto engine = startEngine(dir, 3, 8);
        QVERIFY(engine);
        const int before = openDescriptors();
        int failures = 0;
        engine->inspect([&](broker::Cluster& c) {
            for (int i = 0; i < 10; ++i) {
                const broker::NewTopic t{.name = "fd-" + std::to_string(i),
                                         .numPartitions = 3,
                                         .replicationFactor = 3,
                                         .configs = {{"segment.bytes", "1024"}}};
                failures += c.createTopic(t, false) ? 0 : 1;
            }
            // Several segments per replica (segment.bytes 1024).
            for (int i = 0; i < 10; ++i) {
                for (int p = 0; p < 3; ++p) {
                    const std::string name = "fd-" + std::to_string(i);
                    broker::Partition* leader =
                        c.partition(c.partitionMeta(name, p)->leader, name, p);
                    for (int n = 0; n < 4; ++n) {
                        auto batch = makeBatch(5, n);
                        failures += leader->appendInternal(batch, c.nowMs()) ? 0 : 1;
                    }
                }
            }
        });
        QCOMPARE(failures, 0);
        std::size_t segments = 0;
        engine->inspect([&](broker::Cluster& c) {
            for (int i = 0; i < 10; ++i) {
                for (int b = 1; b <= 3; ++b) {
                    for (int p = 0; p < 3; ++p) {
                        segments +=
                            c.partition(b, "fd-" + std::to_string(i), p)->log().segmentCount();
                    }
                }
            }
        });
        QVERIFY(segments >= 90 * 3);
        // One per replica (90) and at most the pool's 8; before: 3 per segment.
        const int used = openDescriptors() - before;
        QVERIFY2(used >= 90 && used <= 90 + 8, std::to_string(used).c_str());

        rlimit saved{};
        QVERIFY(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
        rlimit lowered = saved;
        lowered.rlim_cur = static_cast<rlim_t>(openDescriptors() + 20);
        QVERIFY(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
        std::optional<protocol::Error> error;
        int created = 0;
        engine->inspect([&](broker::Cluster& c) {
            for (int i = 0; i < 20 && !error; ++i) {
                const broker::NewTopic t{.name = "over-" + std::to_string(i),
                                         .numPartitions = 3,
                                         .replicationFactor = 3};
                if (auto r = c.createTopic(t, false); !r) {
                    error = r.error();
                } else {
                    ++created;
                }
            }
        });
        (void)::setrlimit(RLIMIT_NOFILE, &saved);
        QVERIFY(error.has_value());
        QCOMPARE(error->code, protocol::ErrorCode::KafkaStorageError);
        QVERIFY(created >= 1); // about 20 replicas fit: the limit was reached by descriptors
        const std::string failed = "over-" + std::to_string(created);
        bool present = true;
        engine->inspect([&](broker::Cluster& c) { present = c.topic(failed) != nullptr; });
        QVERIFY(!present);
        for (int b = 1; b <= 3; ++b) {
            for (int p = 0; p < 3; ++p) {
                QVERIFY(!fs::exists(dir / ("broker-" + std::to_string(b)) /
                                    (failed + "-" + std::to_string(p))));
            }
        }
        // Still serving: old segments read through the pool, a new topic can be created.
        bool readOk = true;
        engine->inspect([&](broker::Cluster& c) {
            auto* p = c.partition(c.partitionMeta("fd-0", 0)->leader, "fd-0", 0);
            auto r = p->log().read(0, 1 << 20, p->log().logEndOffset(), true);
            readOk = r && r->bytes && !r->bytes->empty();
            readOk =
                readOk &&
                c.createTopic({.name = failed, .numPartitions = 3, .replicationFactor = 3}, false)
                    .has_value();
        });
        QVERIFY(readOk);
    }
};

QTEST_GUILESS_MAIN(TestClusterPersistence)
#include "test_cluster_persistence.moc"
