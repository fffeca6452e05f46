// The engine at scale, in-process: the controller's metadata persisted as a change log over a
// snapshot (restart after many changes, a crash, a torn last record, an old metadata.json), the
// clean-shutdown marker that spares cleanly closed logs their recovery scan, and one file
// descriptor per replica (plus a bounded pool) with a clean failure at the descriptor limit.
#include "engine/broker/cluster.h"
#include "engine/broker/engine.h"
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
