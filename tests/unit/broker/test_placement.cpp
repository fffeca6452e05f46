// Replica placement for new partitions: PLACEMENT.md rules 1-3, balance of replicas and preferred
// leaders, determinism, load awareness, and explicit assignment validation. The checker below is
// written independently of the code under test (brute force where a question needs it).
#include "engine/broker/placement.h"

#include <QObject>
#include <QString>
#include <QTest>
#include <algorithm>
#include <functional>
#include <map>
#include <ranges>
#include <set>
#include <vector>

using namespace faultline::broker;
using faultline::protocol::ErrorCode;

using Brokers = std::vector<BrokerSlot>;
using Assignment = std::vector<std::vector<std::int32_t>>;
using AssignmentMap = std::map<std::int32_t, std::vector<std::int32_t>>;
Q_DECLARE_METATYPE(Brokers)
Q_DECLARE_METATYPE(AssignmentMap)
Q_DECLARE_METATYPE(ErrorCode)

namespace {

// Broker ids start at 1 so that ids and indexes differ. The sandbox gives broker i FD i%F, UD i%U.
Brokers sandbox(int count, int fds, int uds, std::set<int> down = {}) {
    Brokers out;
    for (int i = 0; i < count; ++i) {
        out.push_back({i + 1, i % fds, i % uds, !down.contains(i + 1)});
    }
    return out;
}

// Every FD x UD cell filled row by row: broker i at FD i%F, UD (i/F)%U.
Brokers grid(int count, int fds, int uds, std::set<int> down = {}) {
    Brokers out;
    for (int i = 0; i < count; ++i) {
        out.push_back({i + 1, i % fds, (i / fds) % uds, !down.contains(i + 1)});
    }
    return out;
}

struct Facts {
    std::map<std::int32_t, const BrokerSlot*> live;
    std::set<int> fds;
    std::set<int> uds;
};

Facts factsOf(const Brokers& brokers) {
    Facts f;
    for (const auto& b : brokers) {
        if (b.live) {
            f.live[b.id] = &b;
            f.fds.insert(b.faultDomain);
            f.uds.insert(b.updateDomain);
        }
    }
    return f;
}

// Rules 1-3 for one replica set; an empty string when it meets them, else what is wrong.
QString ruleProblem(const Facts& facts, const std::vector<std::int32_t>& replicas, int rf) {
    std::set<std::int32_t> distinct(replicas.begin(), replicas.end());
    if (distinct.size() != replicas.size()) {
        return "duplicate broker";
    }
    std::map<int, int> perFd;
    std::map<int, int> perUd;
    for (int fd : facts.fds) {
        perFd[fd] = 0;
    }
    for (int ud : facts.uds) {
        perUd[ud] = 0;
    }
    for (auto id : replicas) {
        const auto it = facts.live.find(id);
        if (it == facts.live.end()) {
            return QString("broker %1 not live or unknown").arg(id);
        }
        ++perFd[it->second->faultDomain];
        ++perUd[it->second->updateDomain];
    }
    const auto check = [rf](const std::map<int, int>& counts, const char* what) -> QString {
        const int domains = static_cast<int>(counts.size());
        const int covered = static_cast<int>(
            std::ranges::count_if(counts, [](const auto& kv) { return kv.second > 0; }));
        if (covered != std::min(domains, rf)) {
            return QString("%1 coverage %2 of %3")
                .arg(what)
                .arg(covered)
                .arg(std::min(domains, rf));
        }
        if (rf > domains) {
            int lo = rf;
            int hi = 0;
            for (const auto& [domain, c] : counts) {
                lo = std::min(lo, c);
                hi = std::max(hi, c);
            }
            if (hi - lo > 1) {
                return QString("%1 counts unbalanced %2..%3").arg(what).arg(lo).arg(hi);
            }
        }
        return {};
    };
    if (auto p = check(perFd, "FD"); !p.isEmpty()) {
        return p;
    }
    return check(perUd, "UD");
}

// Brute force: can any set of rf live brokers meet rules 1-3?
bool rulesFeasible(const Facts& facts, int rf) {
    std::vector<std::int32_t> ids;
    for (const auto& [id, slot] : facts.live) {
        ids.push_back(id);
    }
    std::vector<std::int32_t> chosen;
    std::function<bool(std::size_t)> rec = [&](std::size_t start) {
        if (static_cast<int>(chosen.size()) == rf) {
            return ruleProblem(facts, chosen, rf).isEmpty();
        }
        for (std::size_t i = start; i < ids.size(); ++i) {
            chosen.push_back(ids[i]);
            if (rec(i + 1)) {
                return true;
            }
            chosen.pop_back();
        }
        return false;
    };
    return rec(0);
}

template <typename Key> int spread(const std::map<Key, int>& counts) {
    if (counts.empty()) {
        return 0;
    }
    const auto [lo, hi] =
        std::ranges::minmax_element(counts, {}, [](const auto& kv) { return kv.second; });
    return hi->second - lo->second;
}

} // namespace

class TestPlacement : public QObject {
    Q_OBJECT

private slots:
    void grids_data() {
        QTest::addColumn<Brokers>("brokers");
        QTest::addColumn<int>("rf");
        QTest::addColumn<int>("count");
        QTest::addColumn<bool>("balanced"); // the layout is symmetric: global balance within 1
        struct Layout {
            const char* name;
            Brokers brokers;
            bool balanced;
        };
        const std::vector<Layout> layouts{
            {"sandbox3 3x3 diagonal", sandbox(3, 3, 3), true},
            {"sandbox9 3x3", sandbox(9, 3, 3), true},
            {"grid9 3x3", grid(9, 3, 3), true},
            {"sandbox6 2x3", sandbox(6, 2, 3), true},
            {"sandbox12 2x3", sandbox(12, 2, 3), true},
            {"1FD 4UD 4", sandbox(4, 1, 4), true},
            {"grid25 5x5", grid(25, 5, 5), true},
            {"sandbox24 2x3", sandbox(24, 2, 3), true},
            {"1FD 1UD 5", sandbox(5, 1, 1), true},
            {"sandbox7 3x3 uneven", sandbox(7, 3, 3), false},
            {"sandbox5 2x3 uneven", sandbox(5, 2, 3), false},
            {"sandbox8 2x3 uneven", sandbox(8, 2, 3), false},
            {"grid9 3x3 two down", grid(9, 3, 3, {5, 9}), false},
            {"sandbox12 2x3 one down", sandbox(12, 2, 3, {3}), false},
            {"sandbox6 2x3 FD1 down", sandbox(6, 2, 3, {2, 4, 6}), false},
        };
        for (const auto& layout : layouts) {
            for (int rf = 1; rf <= 4; ++rf) {
                for (int count : {1, 3, 7, 24, 200}) {
                    QTest::addRow("%s rf%d p%d", layout.name, rf, count)
                        << layout.brokers << rf << count << layout.balanced;
                }
            }
        }
    }
    void grids() {
        QFETCH(Brokers, brokers);
        QFETCH(int, rf);
        QFETCH(int, count);
        QFETCH(bool, balanced);
        const Facts facts = factsOf(brokers);
        const auto result = assignReplicas(brokers, count, rf, 0);
        if (rf > static_cast<int>(facts.live.size())) {
            QVERIFY(!result.has_value());
            QCOMPARE(result.error().code, ErrorCode::InvalidReplicationFactor);
            QVERIFY(QString::fromStdString(result.error().message)
                        .contains("larger than available brokers"));
            return;
        }
        QVERIFY2(result.has_value(), result ? "" : result.error().message.c_str());
        const Assignment& a = *result;
        QCOMPARE(static_cast<int>(a.size()), count);

        const bool feasible = rulesFeasible(facts, rf);
        std::map<std::int32_t, int> replicas;
        std::map<std::int32_t, int> leaders;
        std::map<int, int> fdLeaders;
        for (const auto& [id, slot] : facts.live) {
            replicas[id] = 0;
            leaders[id] = 0;
            fdLeaders[slot->faultDomain] = 0;
        }
        for (std::size_t p = 0; p < a.size(); ++p) {
            QCOMPARE(static_cast<int>(a[p].size()), rf);
            std::set<std::int32_t> distinct(a[p].begin(), a[p].end());
            QCOMPARE(distinct.size(), a[p].size()); // rule 1, always
            for (auto id : a[p]) {
                QVERIFY2(facts.live.contains(id),
                         qPrintable(QString("broker %1").arg(id))); // rule 4
                ++replicas[id];
            }
            ++leaders[a[p][0]];
            ++fdLeaders[facts.live.at(a[p][0])->faultDomain];
            if (feasible) {
                const QString problem = ruleProblem(facts, a[p], rf);
                QVERIFY2(problem.isEmpty(),
                         qPrintable(QString("partition %1: %2").arg(p).arg(problem)));
            }
        }
        // the first partitions start on different brokers (consecutive partitions rotate)
        for (std::size_t p = 1; p < std::min(a.size(), facts.live.size()); ++p) {
            QVERIFY2(a[p][0] != a[p - 1][0], qPrintable(QString("partition %1").arg(p)));
        }
        if (balanced) {
            QVERIFY2(spread(replicas) <= 1,
                     qPrintable(QString("replica spread %1").arg(spread(replicas))));
            QVERIFY2(spread(leaders) <= 1,
                     qPrintable(QString("leader spread %1").arg(spread(leaders))));
            // FDs of equal size lead equally (within one)
            QVERIFY2(spread(fdLeaders) <= 1,
                     qPrintable(QString("FD leader spread %1").arg(spread(fdLeaders))));
        } else {
            // brokers that are interchangeable (same FD and UD) are used evenly
            std::map<std::pair<int, int>, std::map<std::int32_t, int>> cellReplicas;
            std::map<std::pair<int, int>, std::map<std::int32_t, int>> cellLeaders;
            for (const auto& [id, slot] : facts.live) {
                cellReplicas[{slot->faultDomain, slot->updateDomain}][id] = replicas[id];
                cellLeaders[{slot->faultDomain, slot->updateDomain}][id] = leaders[id];
            }
            for (const auto& [cell, counts] : cellReplicas) {
                QVERIFY(spread(counts) <= 1);
            }
            for (const auto& [cell, counts] : cellLeaders) {
                QVERIFY(spread(counts) <= 1);
            }
            // leaders go to every live broker before any leads twice
            const int most = std::ranges::max(leaders | std::views::values);
            const int least = std::ranges::min(leaders | std::views::values);
            QVERIFY(least >= std::min(1, count / static_cast<int>(facts.live.size())));
            QVERIFY(most <= (count + static_cast<int>(facts.live.size()) - 1) /
                                    static_cast<int>(facts.live.size()) +
                                1);
        }
        // deterministic
        const auto again = assignReplicas(brokers, count, rf, 0);
        QVERIFY(again.has_value());
        QVERIFY(*again == a);
    }

    void infeasibleGridsKeepCoverage() {
        // FD0 holds one broker, FD1 three: RF 4 cannot be 2+2, but the FDs are still both covered.
        const Brokers brokers{{1, 0, 0, true}, {2, 1, 0, true}, {3, 1, 1, true}, {4, 1, 2, true}};
        QVERIFY(!rulesFeasible(factsOf(brokers), 4));
        const auto a = assignReplicas(brokers, 5, 4, 0);
        QVERIFY(a.has_value());
        for (const auto& replicas : *a) {
            QCOMPARE(std::set<std::int32_t>(replicas.begin(), replicas.end()).size(),
                     std::size_t(4));
        }
        // RF 2: one replica per FD is possible, so broker 1 is in every partition
        const auto b = assignReplicas(brokers, 6, 2, 0);
        QVERIFY(b.has_value());
        for (const auto& replicas : *b) {
            QVERIFY(std::ranges::find(replicas, 1) != replicas.end());
            QVERIFY(ruleProblem(factsOf(brokers), replicas, 2).isEmpty());
        }
    }

    void errors_data() {
        QTest::addColumn<Brokers>("brokers");
        QTest::addColumn<int>("rf");
        QTest::addColumn<int>("count");
        QTest::addColumn<ErrorCode>("code");
        QTest::newRow("rf 0") << sandbox(3, 3, 3) << 0 << 3 << ErrorCode::InvalidReplicationFactor;
        QTest::newRow("rf -1") << sandbox(3, 3, 3) << -1 << 3
                               << ErrorCode::InvalidReplicationFactor;
        QTest::newRow("rf 4 on 3")
            << sandbox(3, 3, 3) << 4 << 3 << ErrorCode::InvalidReplicationFactor;
        QTest::newRow("rf 3 on 2 live")
            << sandbox(3, 3, 3, {2}) << 3 << 3 << ErrorCode::InvalidReplicationFactor;
        QTest::newRow("no brokers") << Brokers{} << 1 << 1 << ErrorCode::InvalidReplicationFactor;
        QTest::newRow("negative count")
            << sandbox(3, 3, 3) << 1 << -1 << ErrorCode::InvalidPartitions;
        QTest::newRow("zero count") << sandbox(3, 3, 3) << 1 << 0 << ErrorCode::None;
    }
    void errors() {
        QFETCH(Brokers, brokers);
        QFETCH(int, rf);
        QFETCH(int, count);
        QFETCH(ErrorCode, code);
        const auto result = assignReplicas(brokers, count, rf, 0);
        QCOMPARE(result.has_value(), code == ErrorCode::None);
        if (result) {
            QCOMPARE(static_cast<int>(result->size()), count);
        } else {
            QCOMPARE(result.error().code, code);
            QVERIFY(!result.error().message.empty());
        }
    }

    void loadIsTakenIntoAccount() {
        const Brokers brokers = sandbox(3, 3, 3);
        PlacementLoad load;
        load.replicas = {{1, 10}, {2, 0}, {3, 0}};
        load.leaders = {{1, 10}, {2, 0}, {3, 0}};
        const auto a = assignReplicas(brokers, 6, 1, 0, load);
        QVERIFY(a.has_value());
        std::map<std::int32_t, int> count;
        for (const auto& r : *a) {
            ++count[r[0]];
        }
        QCOMPARE(count[1], 0);
        QCOMPARE(count[2], 3);
        QCOMPARE(count[3], 3);

        // rf 2 over 3 brokers: the loaded broker leads none; it holds replicas only as the rules
        // need (none: any two brokers are valid) -> all 8 new replicas on brokers 2 and 3... which
        // is impossible with two distinct replicas per partition, so each new partition is {2,3}.
        const auto b = assignReplicas(brokers, 4, 2, 0, load);
        QVERIFY(b.has_value());
        for (const auto& r : *b) {
            QVERIFY(std::ranges::find(r, 1) == r.end());
        }
        int leads2 = 0;
        for (const auto& r : *b) {
            leads2 += r[0] == 2 ? 1 : 0;
        }
        QCOMPARE(leads2, 2);

        // a new, empty broker among loaded ones gets the replicas of new partitions first
        const Brokers four = sandbox(4, 2, 2);
        PlacementLoad uneven;
        uneven.replicas = {{1, 6}, {2, 6}, {3, 6}, {4, 0}};
        uneven.leaders = {{1, 2}, {2, 2}, {3, 2}, {4, 0}};
        const auto c = assignReplicas(four, 6, 1, 0, uneven);
        QVERIFY(c.has_value());
        for (const auto& r : *c) {
            QCOMPARE(r[0], 4);
        }
    }

    void firstPartitionRotates() {
        const Brokers brokers = sandbox(3, 3, 3);
        const auto a = assignReplicas(brokers, 1, 3, 0);
        const auto b = assignReplicas(brokers, 1, 3, 1);
        const auto c = assignReplicas(brokers, 1, 3, 2);
        QVERIFY(a && b && c);
        const std::set<std::int32_t> firstLeaders{(*a)[0][0], (*b)[0][0], (*c)[0][0]};
        QCOMPARE(firstLeaders.size(), std::size_t(3));
    }

    void validateAssignment_data() {
        using Map = AssignmentMap;
        QTest::addColumn<Map>("assignment");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("message");
        QTest::newRow("valid") << Map{{0, {1, 2}}, {1, {2, 3}}} << true << "";
        QTest::newRow("empty map") << Map{} << true << "";
        QTest::newRow("dead broker is known") << Map{{0, {4}}} << true << "";
        QTest::newRow("duplicate") << Map{{0, {1, 2}}, {1, {3, 3}}} << false << "partition 1";
        QTest::newRow("unknown") << Map{{0, {1, 9}}} << false << "Unknown broker 9";
        QTest::newRow("empty replicas") << Map{{2, {}}} << false << "partition 2";
        QTest::newRow("inconsistent rf")
            << Map{{0, {1, 2}}, {1, {1}}} << false << "Inconsistent replication factor";
    }
    void validateAssignment() {
        using Map = AssignmentMap;
        QFETCH(Map, assignment);
        QFETCH(bool, ok);
        QFETCH(QString, message);
        Brokers brokers = sandbox(4, 2, 2, {4});
        const auto result = faultline::broker::validateAssignment(brokers, assignment);
        QCOMPARE(result.has_value(), ok);
        if (!ok) {
            QCOMPARE(result.error().code, ErrorCode::InvalidReplicaAssignment);
            QVERIFY2(QString::fromStdString(result.error().message).contains(message),
                     result.error().message.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestPlacement)
#include "test_placement.moc"
