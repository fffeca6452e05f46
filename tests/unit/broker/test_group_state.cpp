// The consumer group state machine, driven by a fake clock: joins, syncs, heartbeats, leaves,
// session and rebalance timeouts, the MEMBER_ID_REQUIRED handshake and static members.
#include "engine/broker/group_state.h"

#include <QtTest/QtTest>

#include <map>
#include <optional>

using namespace faultline::broker;
using faultline::protocol::ErrorCode;

Q_DECLARE_METATYPE(ErrorCode)

namespace {

class FakeTimers : public GroupTimers {
public:
    std::int64_t nowMs() const override { return m_now; }
    std::uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn) override {
        const auto id = m_next++;
        m_timers.emplace(id, Timer{m_now + delay.count(), std::move(fn)});
        return id;
    }
    void cancel(std::uint64_t id) override { m_timers.erase(id); }
    // Runs due timers in order of due time, then id.
    void advance(std::int64_t ms) {
        const std::int64_t target = m_now + ms;
        for (;;) {
            auto next = m_timers.end();
            for (auto it = m_timers.begin(); it != m_timers.end(); ++it) {
                if (it->second.due <= target &&
                    (next == m_timers.end() || it->second.due < next->second.due)) {
                    next = it;
                }
            }
            if (next == m_timers.end()) {
                break;
            }
            m_now = next->second.due;
            auto fn = std::move(next->second.fn);
            m_timers.erase(next);
            fn();
        }
        m_now = target;
    }
    [[nodiscard]] std::size_t pending() const { return m_timers.size(); }

private:
    struct Timer {
        std::int64_t due;
        std::function<void()> fn;
    };
    std::int64_t m_now = 1000;
    std::uint64_t m_next = 1;
    std::map<std::uint64_t, Timer> m_timers;
};

// Captures one asynchronous answer.
template <typename Result> struct Slot {
    std::optional<Result> value;
    int calls = 0;
    std::function<void(Result)> callback() {
        return [this](Result r) {
            value = std::move(r);
            ++calls;
        };
    }
    bool ready() const { return value.has_value(); }
};
using JoinSlot = Slot<JoinResult>;
using SyncSlot = Slot<SyncResult>;

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

JoinParams params(std::string memberId = {}, std::string clientId = "client",
                  std::vector<std::string> protocols = {"range"}) {
    JoinParams p;
    p.memberId = std::move(memberId);
    p.clientId = std::move(clientId);
    p.clientHost = "/127.0.0.1";
    p.sessionTimeoutMs = 10000;
    p.rebalanceTimeoutMs = 30000;
    p.protocolType = "consumer";
    for (const auto& name : protocols) {
        p.protocols.push_back(GroupProtocol{name, bytes("meta-" + name + "-" + p.clientId)});
    }
    return p;
}

GroupConfig noDelay() {
    GroupConfig c;
    c.initialRebalanceDelayMs = 0;
    return c;
}

} // namespace

class TestGroupState : public QObject {
    Q_OBJECT

private:
    // Joins one new member into an empty group (no delay) and syncs it: returns its member id.
    static std::string joinAlone(GroupManager& groups, const std::string& group) {
        JoinSlot join;
        groups.join(group, params(), join.callback());
        if (!join.ready() || join.value->error != ErrorCode::None) {
            return {};
        }
        SyncSlot sync;
        SyncParams sp;
        sp.memberId = join.value->memberId;
        sp.generationId = join.value->generationId;
        sp.assignments = {{join.value->memberId, bytes("all")}};
        groups.sync(group, sp, sync.callback());
        return join.value->memberId;
    }

    // Two members in generation 1, Stable. Uses an initial delay of 100 ms.
    struct Pair {
        std::string leader;
        std::string follower;
        std::int32_t generation = 0;
    };
    static Pair stablePair(GroupManager& groups, FakeTimers& timers) {
        JoinSlot a;
        JoinSlot b;
        groups.join("g", params({}, "a"), a.callback());
        groups.join("g", params({}, "b"), b.callback());
        timers.advance(1000);
        Pair p;
        if (!a.ready() || !b.ready()) {
            return p;
        }
        p.leader = a.value->leaderId;
        p.follower = a.value->memberId == p.leader ? b.value->memberId : a.value->memberId;
        p.generation = a.value->generationId;
        SyncSlot sl;
        SyncSlot sf;
        SyncParams leader;
        leader.memberId = p.leader;
        leader.generationId = p.generation;
        leader.assignments = {{p.leader, bytes("L")}, {p.follower, bytes("F")}};
        SyncParams follower;
        follower.memberId = p.follower;
        follower.generationId = p.generation;
        groups.sync("g", follower, sf.callback());
        groups.sync("g", leader, sl.callback());
        return p;
    }

    // Static members "instance-a" (joins first: the leader) and "instance-b" in generation 1,
    // assigned "A" and "B" and Stable; with `sync` false they stay in CompletingRebalance.
    struct StaticPair {
        std::string a;
        std::string b;
    };
    static JoinParams staticParams(const std::string& instance, const std::string& client,
                                   std::vector<std::string> protocols = {"range"}) {
        auto p = params({}, client, std::move(protocols));
        p.groupInstanceId = instance;
        return p;
    }
    static StaticPair staticPair(GroupManager& groups, FakeTimers& timers, const JoinParams& pa,
                                 const JoinParams& pb, bool sync = true) {
        JoinSlot a;
        JoinSlot b;
        groups.join("g", pa, a.callback());
        groups.join("g", pb, b.callback());
        timers.advance(1000);
        StaticPair p;
        if (!a.ready() || !b.ready() || a.value->leaderId != a.value->memberId) {
            return p;
        }
        p.a = a.value->memberId;
        p.b = b.value->memberId;
        if (sync) {
            SyncSlot sa;
            SyncSlot sb;
            SyncParams leader;
            leader.memberId = p.a;
            leader.groupInstanceId = pa.groupInstanceId;
            leader.generationId = 1;
            leader.assignments = {{p.a, bytes("A")}, {p.b, bytes("B")}};
            SyncParams follower;
            follower.memberId = p.b;
            follower.groupInstanceId = pb.groupInstanceId;
            follower.generationId = 1;
            groups.sync("g", follower, sb.callback());
            groups.sync("g", leader, sa.callback());
        }
        return p;
    }
    static std::optional<SyncResult> syncAs(GroupManager& groups, const std::string& memberId,
                                            const std::string& instance, std::int32_t generation) {
        SyncSlot slot;
        SyncParams sp;
        sp.memberId = memberId;
        sp.groupInstanceId = instance;
        sp.generationId = generation;
        groups.sync("g", sp, slot.callback());
        return slot.value;
    }

private slots:
    void singleMemberJoinSyncHeartbeat() {
        FakeTimers timers;
        GroupManager groups(timers, noDelay());
        int stores = 0;
        groups.onStore = [&](const Group&) { ++stores; };

        JoinSlot join;
        groups.join("g", params(), join.callback());
        QVERIFY(join.ready());
        QCOMPARE(join.value->error, ErrorCode::None);
        QCOMPARE(join.value->generationId, 1);
        QCOMPARE(join.value->protocolName.value_or(""), std::string("range"));
        QCOMPARE(join.value->protocolType.value_or(""), std::string("consumer"));
        QCOMPARE(join.value->leaderId, join.value->memberId);
        QVERIFY(join.value->memberId.starts_with("client-"));
        QCOMPARE(join.value->members.size(), std::size_t(1));
        QCOMPARE(join.value->members[0].metadata, bytes("meta-range-client"));
        QCOMPARE(groups.find("g")->phase, GroupPhase::CompletingRebalance);

        const auto id = join.value->memberId;
        QCOMPARE(groups.heartbeat("g", id, std::nullopt, 1), ErrorCode::None);

        SyncSlot sync;
        SyncParams sp;
        sp.memberId = id;
        sp.generationId = 1;
        sp.assignments = {{id, bytes("assignment")}};
        groups.sync("g", sp, sync.callback());
        QVERIFY(sync.ready());
        QCOMPARE(sync.value->error, ErrorCode::None);
        QCOMPARE(sync.value->assignment, bytes("assignment"));
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        QCOMPARE(stores, 1);

        // Heartbeats within the session timeout keep it alive well past one session timeout.
        for (int i = 0; i < 10; ++i) {
            timers.advance(5000);
            QCOMPARE(groups.heartbeat("g", id, std::nullopt, 1), ErrorCode::None);
        }
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        QCOMPARE(groups.find("g")->members.size(), std::size_t(1));
    }

    void initialDelayCollectsMembers() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 3000;
        GroupManager groups(timers, config);
        JoinSlot a;
        JoinSlot b;
        groups.join("g", params({}, "a"), a.callback());
        timers.advance(2000);
        QVERIFY(!a.ready());
        groups.join("g", params({}, "b"), b.callback());
        timers.advance(1500); // first delay expired, but b arrived during it: extended
        QVERIFY(!a.ready());
        timers.advance(3000);
        QVERIFY(a.ready());
        QVERIFY(b.ready());
        QCOMPARE(a.value->generationId, 1);
        QCOMPARE(b.value->generationId, 1);
        QCOMPARE(a.value->leaderId, a.value->memberId);
        QCOMPARE(a.value->members.size(), std::size_t(2));
        QVERIFY(b.value->members.empty());
    }

    void twoMembersOneLeaves() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pair = stablePair(groups, timers);
        QCOMPARE(pair.generation, 1);
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);

        const auto left = groups.leave("g", {LeavingMember{pair.follower, std::nullopt}});
        QCOMPARE(left.error, ErrorCode::None);
        QCOMPARE(left.members.size(), std::size_t(1));
        QCOMPARE(left.members[0], ErrorCode::None);
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        QCOMPARE(groups.heartbeat("g", pair.leader, std::nullopt, 1), ErrorCode::RebalanceInProgress);
        QCOMPARE(groups.heartbeat("g", pair.follower, std::nullopt, 1), ErrorCode::UnknownMemberId);

        JoinSlot rejoin;
        groups.join("g", params(pair.leader, "a"), rejoin.callback());
        QVERIFY(rejoin.ready());
        QCOMPARE(rejoin.value->error, ErrorCode::None);
        QCOMPARE(rejoin.value->generationId, 2);
        QCOMPARE(rejoin.value->leaderId, pair.leader);
        QCOMPARE(rejoin.value->members.size(), std::size_t(1));
    }

    void sessionTimeoutEvicts() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pair = stablePair(groups, timers);
        // Only the leader heartbeats; the follower's 10 s session runs out.
        for (int i = 0; i < 4; ++i) {
            timers.advance(3000);
            QCOMPARE(groups.heartbeat("g", pair.leader, std::nullopt, 1),
                     i < 3 ? ErrorCode::None : ErrorCode::RebalanceInProgress);
        }
        QVERIFY(!groups.find("g")->hasMember(pair.follower));
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        JoinSlot rejoin;
        groups.join("g", params(pair.leader, "a"), rejoin.callback());
        QVERIFY(rejoin.ready());
        QCOMPARE(rejoin.value->generationId, 2);
        QCOMPARE(rejoin.value->members.size(), std::size_t(1));
    }

    void rebalanceTimeoutRemovesMembersThatDidNotRejoin() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pair = stablePair(groups, timers);
        // A third member triggers a rebalance; the follower keeps heartbeating but never rejoins.
        JoinSlot third;
        JoinSlot leader;
        groups.join("g", params({}, "c"), third.callback());
        groups.join("g", params(pair.leader, "a"), leader.callback());
        QVERIFY(!leader.ready());
        for (int i = 0; i < 5; ++i) {
            timers.advance(5000);
            QCOMPARE(groups.heartbeat("g", pair.follower, std::nullopt, 1),
                     ErrorCode::RebalanceInProgress);
        }
        QVERIFY(!leader.ready());
        timers.advance(5000); // 30 s rebalance timeout
        QVERIFY(leader.ready());
        QVERIFY(third.ready());
        QCOMPARE(leader.value->generationId, 2);
        QCOMPARE(leader.value->members.size(), std::size_t(2));
        QCOMPARE(groups.heartbeat("g", pair.follower, std::nullopt, 2), ErrorCode::UnknownMemberId);
    }

    void memberIdRequiredHandshake() {
        FakeTimers timers;
        GroupManager groups(timers, noDelay());
        auto p = params({}, "clientA");
        p.requireKnownMemberId = true;
        JoinSlot first;
        groups.join("g", p, first.callback());
        QVERIFY(first.ready());
        QCOMPARE(first.value->error, ErrorCode::MemberIdRequired);
        QVERIFY(first.value->memberId.starts_with("clientA-"));
        QCOMPARE(first.value->memberId.size(), std::string("clientA-").size() + 36);
        QCOMPARE(groups.find("g")->phase, GroupPhase::Empty);
        QVERIFY(groups.find("g")->members.empty());

        p.memberId = first.value->memberId;
        JoinSlot second;
        groups.join("g", p, second.callback());
        QVERIFY(second.ready());
        QCOMPARE(second.value->error, ErrorCode::None);
        QCOMPARE(second.value->memberId, first.value->memberId);
        QCOMPARE(second.value->generationId, 1);

        // Two handshakes never hand out the same id; an abandoned one expires with its session.
        auto q = params({}, "clientA");
        q.requireKnownMemberId = true;
        JoinSlot other;
        groups.join("g", q, other.callback());
        QCOMPARE(other.value->error, ErrorCode::MemberIdRequired);
        QVERIFY(other.value->memberId != first.value->memberId);
        QCOMPARE(groups.find("g")->pendingMembers.size(), std::size_t(1));
        timers.advance(10001);
        QVERIFY(groups.find("g")->pendingMembers.empty());
        JoinSlot late;
        q.memberId = other.value->memberId;
        groups.join("g", q, late.callback());
        QCOMPARE(late.value->error, ErrorCode::UnknownMemberId);
    }

    void pendingMemberBlocksJoinCompletion() {
        FakeTimers timers;
        GroupManager groups(timers, noDelay());
        const auto a = joinAlone(groups, "g");
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        auto p = params({}, "b");
        p.requireKnownMemberId = true;
        JoinSlot handshake;
        groups.join("g", p, handshake.callback());
        QCOMPARE(handshake.value->error, ErrorCode::MemberIdRequired);
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable); // a pending member alone changes nothing
        JoinSlot b;
        p.memberId = handshake.value->memberId;
        groups.join("g", p, b.callback());
        QVERIFY(!b.ready());
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        JoinSlot rejoinA;
        groups.join("g", params(a, "client"), rejoinA.callback());
        QVERIFY(rejoinA.ready());
        QVERIFY(b.ready());
        QCOMPARE(b.value->generationId, 2);
        QCOMPARE(rejoinA.value->members.size(), std::size_t(2));
    }

    void staticMemberReplacement() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        auto pa = params({}, "a");
        pa.groupInstanceId = "instance-a";
        auto pb = params({}, "b");
        pb.groupInstanceId = "instance-b";
        JoinSlot a;
        JoinSlot b;
        groups.join("g", pa, a.callback());
        groups.join("g", pb, b.callback());
        timers.advance(1000);
        QVERIFY(a.ready() && b.ready());
        QVERIFY(a.value->memberId.starts_with("instance-a-"));
        const auto leader = a.value->leaderId;
        const auto followerOld = b.value->memberId;
        QCOMPARE(leader, a.value->memberId);
        SyncSlot sa;
        SyncSlot sb;
        SyncParams sl;
        sl.memberId = leader;
        sl.groupInstanceId = "instance-a";
        sl.generationId = 1;
        sl.assignments = {{leader, bytes("A")}, {followerOld, bytes("B")}};
        groups.sync("g", sl, sa.callback());
        SyncParams sf;
        sf.memberId = followerOld;
        sf.groupInstanceId = "instance-b";
        sf.generationId = 1;
        groups.sync("g", sf, sb.callback());
        QCOMPARE(sb.value->assignment, bytes("B"));

        // The follower restarts: same instance id, no member id, same subscription. It gets a new
        // member id and the current generation without a rebalance.
        JoinSlot restarted;
        groups.join("g", pb, restarted.callback());
        QVERIFY(restarted.ready());
        QCOMPARE(restarted.value->error, ErrorCode::None);
        const auto followerNew = restarted.value->memberId;
        QVERIFY(followerNew != followerOld);
        QCOMPARE(restarted.value->generationId, 1);
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        QCOMPARE(groups.heartbeat("g", followerOld, std::string("instance-b"), 1),
                 ErrorCode::FencedInstanceId);
        QCOMPARE(groups.heartbeat("g", followerOld, std::nullopt, 1), ErrorCode::UnknownMemberId);
        QCOMPARE(groups.heartbeat("g", followerNew, std::string("instance-b"), 1), ErrorCode::None);
        SyncSlot again;
        sf.memberId = followerNew;
        groups.sync("g", sf, again.callback());
        QCOMPARE(again.value->assignment, bytes("B"));

        // The old incarnation committing or joining is fenced.
        QCOMPARE(groups.validateCommit("g", followerOld, std::string("instance-b"), 1),
                 ErrorCode::FencedInstanceId);
        JoinSlot stale;
        auto stalePb = pb;
        stalePb.memberId = followerOld;
        groups.join("g", stalePb, stale.callback());
        QCOMPARE(stale.value->error, ErrorCode::FencedInstanceId);

        // LeaveGroup v3+ by instance id.
        const auto left = groups.leave("g", {LeavingMember{"", std::string("instance-b")},
                                             LeavingMember{"nobody", std::nullopt}});
        QCOMPARE(left.members.size(), std::size_t(2));
        QCOMPARE(left.members[0], ErrorCode::None);
        QCOMPARE(left.members[1], ErrorCode::UnknownMemberId);
        QVERIFY(!groups.find("g")->staticMembers.contains("instance-b"));
    }

    // KIP-345: a static follower restarting within its session timeout (new incarnation, no
    // member id) takes over its old member id's place without a rebalance, even when its
    // subscription bytes differ, as long as the group would select the same protocol.
    void staticFollowerRejoinWhileStableKeepsTheGeneration() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        std::vector<Group> stored;
        groups.onStore = [&](const Group& g) { stored.push_back(g); };
        const auto pa = staticParams("instance-a", "a");
        const auto pb = staticParams("instance-b", "b");
        const auto pair = staticPair(groups, timers, pa, pb);
        QVERIFY(!pair.a.empty());
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        QCOMPARE(stored.size(), std::size_t(1));

        timers.advance(3000);
        auto restart = staticParams("instance-b", "b2"); // other metadata, same protocol
        restart.sessionTimeoutMs = 20000;
        JoinSlot rejoin;
        groups.join("g", restart, rejoin.callback());
        QVERIFY(rejoin.ready());
        QCOMPARE(rejoin.value->error, ErrorCode::None);
        const auto bNew = rejoin.value->memberId;
        QVERIFY(bNew.starts_with("instance-b-"));
        QVERIFY(bNew != pair.b);
        QCOMPARE(rejoin.value->generationId, 1);
        QCOMPARE(rejoin.value->protocolType.value_or(""), std::string("consumer"));
        QCOMPARE(rejoin.value->protocolName.value_or(""), std::string("range"));
        QCOMPARE(rejoin.value->leaderId, pair.a);
        QVERIFY(rejoin.value->members.empty());

        const Group* g = groups.find("g");
        QCOMPARE(g->phase, GroupPhase::Stable);
        QCOMPARE(g->generationId, 1);
        QCOMPARE(g->leaderId, pair.a);
        QVERIFY(!g->hasMember(pair.b));
        QCOMPARE(g->staticMembers.at("instance-b"), bNew);
        QCOMPARE(g->member(bNew)->assignment, bytes("B"));
        QCOMPARE(g->member(bNew)->sessionTimeoutMs, 20000);
        QCOMPARE(*g->member(bNew)->metadataFor("range"), bytes("meta-range-b2"));
        // Persisted with the new member id and the assignments as they are.
        QCOMPARE(stored.size(), std::size_t(2));
        QVERIFY(!stored.back().hasMember(pair.b));
        QCOMPARE(stored.back().member(bNew)->assignment, bytes("B"));
        QCOMPARE(stored.back().member(pair.a)->assignment, bytes("A"));
        QCOMPARE(stored.back().generationId, 1);

        // The other member sees nothing happen; the new id syncs its stored assignment.
        QCOMPARE(groups.heartbeat("g", pair.a, std::string("instance-a"), 1), ErrorCode::None);
        const auto synced = syncAs(groups, bNew, "instance-b", 1);
        QVERIFY(synced);
        QCOMPARE(synced->error, ErrorCode::None);
        QCOMPARE(synced->assignment, bytes("B"));
        QCOMPARE(groups.heartbeat("g", bNew, std::string("instance-b"), 1), ErrorCode::None);

        // The old incarnation is fenced everywhere.
        QCOMPARE(groups.heartbeat("g", pair.b, std::string("instance-b"), 1),
                 ErrorCode::FencedInstanceId);
        QCOMPARE(syncAs(groups, pair.b, "instance-b", 1)->error, ErrorCode::FencedInstanceId);
        QCOMPARE(groups.validateCommit("g", pair.b, std::string("instance-b"), 1),
                 ErrorCode::FencedInstanceId);
        auto stale = pb;
        stale.memberId = pair.b;
        JoinSlot staleJoin;
        groups.join("g", stale, staleJoin.callback());
        QCOMPARE(staleJoin.value->error, ErrorCode::FencedInstanceId);
        QCOMPARE(groups.validateCommit("g", bNew, std::string("instance-b"), 1), ErrorCode::None);

        // The session runs for the new id: heartbeats keep both past the old id's session end.
        for (int i = 0; i < 6; ++i) {
            timers.advance(5000);
            QCOMPARE(groups.heartbeat("g", pair.a, std::string("instance-a"), 1), ErrorCode::None);
            QCOMPARE(groups.heartbeat("g", bNew, std::string("instance-b"), 1), ErrorCode::None);
        }
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        QCOMPARE(groups.find("g")->members.size(), std::size_t(2));
        QCOMPARE(stored.size(), std::size_t(2));
    }

    // The session runs for the new member id from its rejoin, with the session timeout it asked
    // for: it expires if the new incarnation never heartbeats.
    void staticRejoinSessionRunsForTheNewId() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pa = staticParams("instance-a", "a");
        const auto pb = staticParams("instance-b", "b");
        const auto pair = staticPair(groups, timers, pa, pb);
        QVERIFY(!pair.a.empty());
        auto restart = pb;
        restart.sessionTimeoutMs = 20000;
        JoinSlot rejoin;
        groups.join("g", restart, rejoin.callback());
        QVERIFY(rejoin.ready());
        const auto bNew = rejoin.value->memberId;
        for (int i = 0; i < 3; ++i) {
            timers.advance(5000);
            QCOMPARE(groups.heartbeat("g", pair.a, std::string("instance-a"), 1), ErrorCode::None);
        }
        QVERIFY(groups.find("g")->hasMember(bNew));
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        timers.advance(5001);
        QVERIFY(!groups.find("g")->hasMember(bNew));
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
    }

    // The restarted member is the leader: it is answered the leader id it had before (the old
    // member id), so it performs no assignment, and the group keeps its generation; the group's
    // leader is the new id, so the next rebalance is led by it.
    void staticLeaderRejoinWhileStableKeepsTheGeneration() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pa = staticParams("instance-a", "a");
        const auto pb = staticParams("instance-b", "b");
        const auto pair = staticPair(groups, timers, pa, pb);
        QVERIFY(!pair.a.empty());

        JoinSlot rejoin;
        groups.join("g", pa, rejoin.callback());
        QVERIFY(rejoin.ready());
        QCOMPARE(rejoin.value->error, ErrorCode::None);
        const auto aNew = rejoin.value->memberId;
        QVERIFY(aNew != pair.a);
        QCOMPARE(rejoin.value->generationId, 1);
        QCOMPARE(rejoin.value->leaderId, pair.a);
        QVERIFY(rejoin.value->members.empty());
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        QCOMPARE(groups.find("g")->leaderId, aNew);
        QCOMPARE(groups.heartbeat("g", pair.b, std::string("instance-b"), 1), ErrorCode::None);
        QCOMPARE(syncAs(groups, aNew, "instance-a", 1)->assignment, bytes("A"));
        QCOMPARE(groups.heartbeat("g", pair.a, std::string("instance-a"), 1),
                 ErrorCode::FencedInstanceId);

        // The follower changes its subscription: a rebalance led by the new leader id.
        auto changed = pb;
        changed.memberId = pair.b;
        changed.protocols[0].metadata = bytes("new topics");
        JoinSlot bJoin;
        groups.join("g", changed, bJoin.callback());
        QVERIFY(!bJoin.ready());
        QCOMPARE(groups.heartbeat("g", aNew, std::string("instance-a"), 1),
                 ErrorCode::RebalanceInProgress);
        auto known = pa;
        known.memberId = aNew;
        JoinSlot aJoin;
        groups.join("g", known, aJoin.callback());
        QVERIFY(aJoin.ready() && bJoin.ready());
        QCOMPARE(aJoin.value->generationId, 2);
        QCOMPARE(aJoin.value->leaderId, aNew);
        QCOMPARE(bJoin.value->leaderId, aNew);
        QCOMPARE(aJoin.value->members.size(), std::size_t(2));
        QVERIFY(bJoin.value->members.empty());
    }

    // A restarted static member whose protocols change the protocol the group would select
    // causes a rebalance, which it joins.
    void staticRejoinChangingTheSelectedProtocolRebalances() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pa = staticParams("instance-a", "a", {"range", "roundrobin"});
        const auto pb = staticParams("instance-b", "b", {"range", "roundrobin"});
        const auto pair = staticPair(groups, timers, pa, pb);
        QVERIFY(!pair.a.empty());
        QCOMPARE(groups.find("g")->protocolName.value_or(""), std::string("range"));

        JoinSlot rejoin;
        groups.join("g", staticParams("instance-b", "b", {"roundrobin"}), rejoin.callback());
        QVERIFY(!rejoin.ready());
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        QCOMPARE(groups.heartbeat("g", pair.a, std::string("instance-a"), 1),
                 ErrorCode::RebalanceInProgress);
        QCOMPARE(groups.heartbeat("g", pair.b, std::string("instance-b"), 1),
                 ErrorCode::FencedInstanceId);
        auto known = pa;
        known.memberId = pair.a;
        JoinSlot aJoin;
        groups.join("g", known, aJoin.callback());
        QVERIFY(aJoin.ready() && rejoin.ready());
        QCOMPARE(rejoin.value->error, ErrorCode::None);
        QVERIFY(rejoin.value->memberId != pair.b);
        QCOMPARE(rejoin.value->generationId, 2);
        QCOMPARE(rejoin.value->protocolName.value_or(""), std::string("roundrobin"));
        QCOMPARE(aJoin.value->leaderId, pair.a);
        QCOMPARE(aJoin.value->members.size(), std::size_t(2));
    }

    // While the leader computes the assignment the old member id may already be in it: a static
    // member restarting then fences its old id's pending sync and causes a rebalance.
    void staticRejoinWhileCompletingRebalances() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pa = staticParams("instance-a", "a");
        const auto pb = staticParams("instance-b", "b");
        const auto pair = staticPair(groups, timers, pa, pb, false);
        QVERIFY(!pair.a.empty());
        QCOMPARE(groups.find("g")->phase, GroupPhase::CompletingRebalance);
        SyncSlot oldSync;
        SyncParams sp;
        sp.memberId = pair.b;
        sp.groupInstanceId = "instance-b";
        sp.generationId = 1;
        groups.sync("g", sp, oldSync.callback());
        QVERIFY(!oldSync.ready());

        JoinSlot rejoin;
        groups.join("g", pb, rejoin.callback());
        QVERIFY(oldSync.ready());
        QCOMPARE(oldSync.value->error, ErrorCode::FencedInstanceId);
        QVERIFY(!rejoin.ready());
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        QCOMPARE(groups.heartbeat("g", pair.a, std::string("instance-a"), 1),
                 ErrorCode::RebalanceInProgress);
        auto known = pa;
        known.memberId = pair.a;
        JoinSlot aJoin;
        groups.join("g", known, aJoin.callback());
        QVERIFY(aJoin.ready() && rejoin.ready());
        QCOMPARE(rejoin.value->generationId, 2);
        QCOMPARE(aJoin.value->members.size(), std::size_t(2));
        QVERIFY(groups.find("g")->hasMember(rejoin.value->memberId));
        QVERIFY(!groups.find("g")->hasMember(pair.b));
    }

    // During PreparingRebalance the restarted member simply joins the ongoing rebalance; the old
    // id's pending join is fenced.
    void staticRejoinWhilePreparingJoinsTheRebalance() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pa = staticParams("instance-a", "a");
        const auto pb = staticParams("instance-b", "b");
        const auto pair = staticPair(groups, timers, pa, pb);
        QVERIFY(!pair.a.empty());
        auto oldB = pb;
        oldB.memberId = pair.b;
        oldB.protocols[0].metadata = bytes("new topics");
        JoinSlot oldJoin;
        groups.join("g", oldB, oldJoin.callback());
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        QVERIFY(!oldJoin.ready());

        JoinSlot rejoin;
        groups.join("g", pb, rejoin.callback());
        QVERIFY(oldJoin.ready());
        QCOMPARE(oldJoin.value->error, ErrorCode::FencedInstanceId);
        QVERIFY(!rejoin.ready());
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        auto known = pa;
        known.memberId = pair.a;
        JoinSlot aJoin;
        groups.join("g", known, aJoin.callback());
        QVERIFY(aJoin.ready() && rejoin.ready());
        QCOMPARE(rejoin.value->error, ErrorCode::None);
        QCOMPARE(rejoin.value->generationId, 2);
        QCOMPARE(oldJoin.calls, 1);
        QVERIFY(!groups.find("g")->hasMember(pair.b));
    }

    void followerWaitsForLeader() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        JoinSlot a;
        JoinSlot b;
        groups.join("g", params({}, "a"), a.callback());
        groups.join("g", params({}, "b"), b.callback());
        timers.advance(1000);
        const auto leader = a.value->leaderId;
        const auto follower = b.value->memberId;
        SyncSlot sf;
        SyncParams fp;
        fp.memberId = follower;
        fp.generationId = 1;
        groups.sync("g", fp, sf.callback());
        QVERIFY(!sf.ready());
        // Waiting for the leader longer than a session does not expire the follower.
        for (int i = 0; i < 4; ++i) {
            timers.advance(5000);
            QCOMPARE(groups.heartbeat("g", leader, std::nullopt, 1), ErrorCode::None);
        }
        QVERIFY(!sf.ready());
        QVERIFY(groups.find("g")->hasMember(follower));
        SyncSlot sl;
        SyncParams lp;
        lp.memberId = leader;
        lp.generationId = 1;
        lp.assignments = {{leader, bytes("L")}, {follower, bytes("F")}};
        groups.sync("g", lp, sl.callback());
        QVERIFY(sf.ready() && sl.ready());
        QCOMPARE(sf.value->assignment, bytes("F"));
        QCOMPARE(sl.value->assignment, bytes("L"));
        QCOMPARE(sf.value->protocolName.value_or(""), std::string("range"));
    }

    void lateFollowerSync() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        JoinSlot a;
        JoinSlot b;
        groups.join("g", params({}, "a"), a.callback());
        groups.join("g", params({}, "b"), b.callback());
        timers.advance(1000);
        const auto leader = a.value->leaderId;
        const auto follower = b.value->memberId;
        SyncSlot sl;
        SyncParams lp;
        lp.memberId = leader;
        lp.generationId = 1;
        lp.assignments = {{leader, bytes("L")}, {follower, bytes("F")}};
        groups.sync("g", lp, sl.callback());
        QVERIFY(sl.ready());
        QCOMPARE(groups.find("g")->phase, GroupPhase::Stable);
        timers.advance(2000);
        SyncSlot sf;
        SyncParams fp;
        fp.memberId = follower;
        fp.generationId = 1;
        groups.sync("g", fp, sf.callback());
        QVERIFY(sf.ready());
        QCOMPARE(sf.value->error, ErrorCode::None);
        QCOMPARE(sf.value->assignment, bytes("F"));
    }

    void errors_data() {
        QTest::addColumn<QString>("call");
        QTest::addColumn<QString>("member"); // "leader", "follower", "unknown"
        QTest::addColumn<int>("generationDelta");
        QTest::addColumn<QString>("group");
        QTest::addColumn<ErrorCode>("expected");
        QTest::newRow("heartbeat ok") << "heartbeat" << "follower" << 0 << "g" << ErrorCode::None;
        QTest::newRow("heartbeat old generation")
            << "heartbeat" << "follower" << -1 << "g" << ErrorCode::IllegalGeneration;
        QTest::newRow("heartbeat future generation")
            << "heartbeat" << "leader" << 1 << "g" << ErrorCode::IllegalGeneration;
        QTest::newRow("heartbeat unknown member")
            << "heartbeat" << "unknown" << 0 << "g" << ErrorCode::UnknownMemberId;
        QTest::newRow("heartbeat unknown group")
            << "heartbeat" << "leader" << 0 << "other" << ErrorCode::UnknownMemberId;
        QTest::newRow("sync old generation")
            << "sync" << "follower" << -1 << "g" << ErrorCode::IllegalGeneration;
        QTest::newRow("sync unknown member")
            << "sync" << "unknown" << 0 << "g" << ErrorCode::UnknownMemberId;
        QTest::newRow("sync unknown group")
            << "sync" << "leader" << 0 << "other" << ErrorCode::UnknownMemberId;
        QTest::newRow("commit ok") << "commit" << "leader" << 0 << "g" << ErrorCode::None;
        QTest::newRow("commit old generation")
            << "commit" << "follower" << -1 << "g" << ErrorCode::IllegalGeneration;
        QTest::newRow("commit unknown member")
            << "commit" << "unknown" << 0 << "g" << ErrorCode::UnknownMemberId;
        QTest::newRow("commit unknown group with generation")
            << "commit" << "leader" << 0 << "other" << ErrorCode::IllegalGeneration;
    }

    void errors() {
        QFETCH(QString, call);
        QFETCH(QString, member);
        QFETCH(int, generationDelta);
        QFETCH(QString, group);
        QFETCH(ErrorCode, expected);
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pair = stablePair(groups, timers);
        QCOMPARE(pair.generation, 1);
        const std::string memberId = member == "leader"     ? pair.leader
                                     : member == "follower" ? pair.follower
                                                            : std::string("stranger");
        const std::int32_t generation = pair.generation + generationDelta;
        const std::string groupId = group.toStdString();
        ErrorCode actual = ErrorCode::UnknownServerError;
        if (call == "heartbeat") {
            actual = groups.heartbeat(groupId, memberId, std::nullopt, generation);
        } else if (call == "sync") {
            SyncSlot s;
            SyncParams sp;
            sp.memberId = memberId;
            sp.generationId = generation;
            groups.sync(groupId, sp, s.callback());
            QVERIFY(s.ready());
            actual = s.value->error;
        } else {
            actual = groups.validateCommit(groupId, memberId, std::nullopt, generation);
        }
        QCOMPARE(actual, expected);
    }

    void invalidSessionTimeout_data() {
        QTest::addColumn<int>("sessionTimeoutMs");
        QTest::addColumn<ErrorCode>("expected");
        QTest::newRow("below minimum") << 5999 << ErrorCode::InvalidSessionTimeout;
        QTest::newRow("minimum") << 6000 << ErrorCode::None;
        QTest::newRow("maximum") << 1800000 << ErrorCode::None;
        QTest::newRow("above maximum") << 1800001 << ErrorCode::InvalidSessionTimeout;
    }

    void invalidSessionTimeout() {
        QFETCH(int, sessionTimeoutMs);
        QFETCH(ErrorCode, expected);
        FakeTimers timers;
        GroupManager groups(timers, noDelay());
        auto p = params();
        p.sessionTimeoutMs = sessionTimeoutMs;
        JoinSlot join;
        groups.join("g", p, join.callback());
        QVERIFY(join.ready());
        QCOMPARE(join.value->error, expected);
    }

    void protocolSelection() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        JoinSlot a;
        JoinSlot b;
        JoinSlot c;
        groups.join("g", params({}, "a", {"range", "roundrobin"}), a.callback());
        groups.join("g", params({}, "b", {"roundrobin", "range"}), b.callback());
        groups.join("g", params({}, "c", {"roundrobin", "sticky", "range"}), c.callback());
        // A member whose type or protocols fit nobody is refused.
        auto connect = params({}, "d");
        connect.protocolType = "connect";
        JoinSlot d;
        groups.join("g", connect, d.callback());
        QCOMPARE(d.value->error, ErrorCode::InconsistentGroupProtocol);
        JoinSlot e;
        groups.join("g", params({}, "e", {"sticky"}), e.callback());
        QCOMPARE(e.value->error, ErrorCode::InconsistentGroupProtocol);
        timers.advance(1000);
        QVERIFY(a.ready() && b.ready() && c.ready());
        QCOMPARE(a.value->protocolName.value_or(""), std::string("roundrobin"));
        const auto& leaderView = a.value->leaderId == a.value->memberId ? a : b;
        for (const auto& m : leaderView.value->members) {
            const auto* member = groups.find("g")->member(m.memberId);
            QVERIFY(member != nullptr);
            QCOMPARE(m.metadata, bytes("meta-roundrobin-" + member->clientId));
        }
        // Joining a group with an empty protocol type or list is refused too.
        auto empty = params({}, "x", {});
        JoinSlot f;
        groups.join("fresh", empty, f.callback());
        QCOMPARE(f.value->error, ErrorCode::InconsistentGroupProtocol);
        QVERIFY(groups.find("fresh") == nullptr);
    }

    void concurrentJoinsWhileCompleting() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        JoinSlot a;
        JoinSlot b;
        groups.join("g", params({}, "a"), a.callback());
        groups.join("g", params({}, "b"), b.callback());
        timers.advance(1000);
        const auto leader = a.value->leaderId;
        const auto follower = b.value->memberId;
        QCOMPARE(groups.find("g")->phase, GroupPhase::CompletingRebalance);
        // The follower is waiting for its assignment when a third member arrives.
        SyncSlot followerSync;
        SyncParams fp;
        fp.memberId = follower;
        fp.generationId = 1;
        groups.sync("g", fp, followerSync.callback());
        JoinSlot c;
        groups.join("g", params({}, "c"), c.callback());
        QVERIFY(followerSync.ready());
        QCOMPARE(followerSync.value->error, ErrorCode::RebalanceInProgress);
        QCOMPARE(groups.find("g")->phase, GroupPhase::PreparingRebalance);
        // The leader's late SyncGroup for generation 1 and heartbeats say "rejoin", never
        // UNKNOWN_MEMBER_ID.
        SyncSlot leaderSync;
        SyncParams lp;
        lp.memberId = leader;
        lp.generationId = 1;
        groups.sync("g", lp, leaderSync.callback());
        QCOMPARE(leaderSync.value->error, ErrorCode::RebalanceInProgress);
        QCOMPARE(groups.heartbeat("g", leader, std::nullopt, 1), ErrorCode::RebalanceInProgress);
        QCOMPARE(groups.heartbeat("g", follower, std::nullopt, 1), ErrorCode::RebalanceInProgress);
        JoinSlot a2;
        groups.join("g", params(leader, "a"), a2.callback());
        timers.advance(12000); // longer than a session: members waiting on the join stay
        QCOMPARE(groups.heartbeat("g", follower, std::nullopt, 1), ErrorCode::UnknownMemberId);
        // The follower stopped heartbeating past its session: it was evicted, which completed
        // the join for the two live members.
        QVERIFY(a2.ready());
        QCOMPARE(a2.value->error, ErrorCode::None);
        QCOMPARE(c.value->error, ErrorCode::None);
        QCOMPARE(a2.value->generationId, 2);
        QCOMPARE(a2.value->members.size(), std::size_t(2));
        QVERIFY(a2.value->error != ErrorCode::UnknownMemberId);
    }

    void concurrentRejoinsAllSucceed() {
        FakeTimers timers;
        GroupConfig config;
        config.initialRebalanceDelayMs = 100;
        GroupManager groups(timers, config);
        const auto pair = stablePair(groups, timers);
        JoinSlot c;
        groups.join("g", params({}, "c"), c.callback());
        JoinSlot f;
        JoinSlot l;
        groups.join("g", params(pair.follower, "b"), f.callback());
        QVERIFY(!f.ready());
        // The follower repeats its join (a retry): the first request is answered, not lost.
        JoinSlot f2;
        groups.join("g", params(pair.follower, "b"), f2.callback());
        QVERIFY(f.ready());
        QCOMPARE(f.value->error, ErrorCode::RebalanceInProgress);
        groups.join("g", params(pair.leader, "a"), l.callback());
        QVERIFY(l.ready() && f2.ready() && c.ready());
        for (const auto* r : {&*l.value, &*f2.value, &*c.value}) {
            QCOMPARE(r->error, ErrorCode::None);
            QCOMPARE(r->generationId, 2);
            QCOMPARE(r->leaderId, pair.leader);
        }
        QCOMPARE(l.value->members.size(), std::size_t(3));
    }

    void simpleCommitsAndDeletion() {
        FakeTimers timers;
        GroupManager groups(timers, noDelay());
        QCOMPARE(groups.validateCommit("simple", "", std::nullopt, -1), ErrorCode::None);
        QVERIFY(groups.find("simple") != nullptr);
        QCOMPARE(groups.find("simple")->phase, GroupPhase::Empty);
        const auto id = joinAlone(groups, "active");
        QVERIFY(!id.empty());
        QCOMPARE(groups.validateCommit("active", "", std::nullopt, -1), ErrorCode::UnknownMemberId);
        QCOMPARE(groups.validateCommit("active", id, std::nullopt, 1), ErrorCode::None);
        QCOMPARE(groups.deleteGroup("active"), ErrorCode::NonEmptyGroup);
        QCOMPARE(groups.deleteGroup("simple"), ErrorCode::None);
        QCOMPARE(groups.deleteGroup("simple"), ErrorCode::GroupIdNotFound);
        QCOMPARE(groups.deleteGroup("nothing"), ErrorCode::GroupIdNotFound);
        // The last member leaving empties the group: a new generation, no protocol, deletable.
        const auto left = groups.leave("active", {LeavingMember{id, std::nullopt}});
        QCOMPARE(left.members[0], ErrorCode::None);
        QCOMPARE(groups.find("active")->phase, GroupPhase::Empty);
        QCOMPARE(groups.find("active")->generationId, 2);
        QVERIFY(!groups.find("active")->protocolName.has_value());
        QCOMPARE(groups.validateCommit("active", "", std::nullopt, -1), ErrorCode::None);
        QCOMPARE(groups.deleteGroup("active"), ErrorCode::None);
    }

    void restoreSnapshot() {
        FakeTimers timers;
        GroupManager groups(timers, noDelay());
        GroupSnapshot s;
        s.groupId = "g";
        s.protocolType = "consumer";
        s.generationId = 7;
        s.protocolName = "range";
        s.leaderId = "m1";
        s.members.push_back({"m1", std::nullopt, "c1", "/h", 30000, 10000, bytes("s1"), bytes("a1")});
        s.members.push_back({"m2", std::string("i2"), "c2", "/h", 30000, 10000, bytes("s2"), bytes("a2")});
        groups.restore(s);
        const Group* g = groups.find("g");
        QVERIFY(g != nullptr);
        QCOMPARE(g->phase, GroupPhase::Stable);
        QCOMPARE(g->generationId, 7);
        QCOMPARE(g->staticMembers.at("i2"), std::string("m2"));
        QCOMPARE(groups.heartbeat("g", "m1", std::nullopt, 7), ErrorCode::None);
        SyncSlot sync;
        SyncParams sp;
        sp.memberId = "m2";
        sp.groupInstanceId = "i2";
        sp.generationId = 7;
        groups.sync("g", sp, sync.callback());
        QCOMPARE(sync.value->assignment, bytes("a2"));
        // Nobody heartbeats after the restart: both sessions expire, the group empties.
        timers.advance(40000);
        QCOMPARE(groups.find("g")->phase, GroupPhase::Empty);
        QVERIFY(groups.find("g")->members.empty());
        QCOMPARE(timers.pending(), std::size_t(0));
    }

    void shutdownAnswersWaiters() {
        FakeTimers timers;
        GroupManager groups(timers, GroupConfig{});
        JoinSlot a;
        groups.join("g", params(), a.callback());
        QVERIFY(!a.ready());
        groups.shutdown(ErrorCode::NotCoordinator);
        QVERIFY(a.ready());
        QCOMPARE(a.value->error, ErrorCode::NotCoordinator);
        QCOMPARE(timers.pending(), std::size_t(0));
        QVERIFY(groups.find("g") == nullptr);
    }

    void phaseNames() {
        QCOMPARE(std::string(groupPhaseName(GroupPhase::Empty)), std::string("Empty"));
        QCOMPARE(std::string(groupPhaseName(GroupPhase::PreparingRebalance)),
                 std::string("PreparingRebalance"));
        QCOMPARE(std::string(groupPhaseName(GroupPhase::CompletingRebalance)),
                 std::string("CompletingRebalance"));
        QCOMPARE(std::string(groupPhaseName(GroupPhase::Stable)), std::string("Stable"));
        QCOMPARE(std::string(groupPhaseName(GroupPhase::Dead)), std::string("Dead"));
    }
};

QTEST_GUILESS_MAIN(TestGroupState)
#include "test_group_state.moc"
