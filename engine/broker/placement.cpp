// Replica placement for new partitions (PLACEMENT.md rules 1-3) with replicas and preferred leaders
// spread evenly. Three phases, all deterministic:
//  1. per partition, the rule-valid replica set with the smallest sum of current replica counts
//     (branch and bound over the live brokers, candidates ordered by count, then by a rotation that
//     moves with the partition id so consecutive partitions start on different brokers);
//  2. single-replica moves that keep every rule and narrow the spread of replica counts;
//  3. preferred leaders: one per partition, chosen greedily, then shifted along alternating paths
//     (partition led by a -> another replica b of it) until no broker leads two more than another
//     broker reachable that way. Reordering replicas copies no data, so this never breaks phase
//     1-2.
#include "engine/broker/placement.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <tuple>

namespace faultline::broker {

namespace {

using protocol::ErrorCode;
using protocol::makeError;

struct Node {
    std::int32_t id;
    int fd; // dense index 0..F-1
    int ud; // dense index 0..U-1
    int replicas;
    int leaders;
};

struct Rules {
    int rf = 0;
    int fdCount = 0; // F
    int udCount = 0; // U
    int fdCap = 0;   // most replicas allowed in one FD
    int fdFloor = 0; // fewest replicas each FD must hold
    int udCap = 0;
    int udFloor = 0;
};

Rules makeRules(int rf, int fdCount, int udCount) {
    Rules r;
    r.rf = rf;
    r.fdCount = fdCount;
    r.udCount = udCount;
    r.fdCap = rf <= fdCount ? 1 : (rf + fdCount - 1) / fdCount;
    r.fdFloor = rf <= fdCount ? 0 : rf / fdCount;
    r.udCap = rf <= udCount ? 1 : (rf + udCount - 1) / udCount;
    r.udFloor = rf <= udCount ? 0 : rf / udCount;
    return r;
}

// How far a replica set (indexes into nodes) is from the rules: 0 when it meets all of them.
int violation(const std::vector<Node>& nodes, const std::vector<int>& set, const Rules& rules) {
    std::vector<int> fd(static_cast<std::size_t>(rules.fdCount), 0);
    std::vector<int> ud(static_cast<std::size_t>(rules.udCount), 0);
    for (int i : set) {
        ++fd[static_cast<std::size_t>(nodes[static_cast<std::size_t>(i)].fd)];
        ++ud[static_cast<std::size_t>(nodes[static_cast<std::size_t>(i)].ud)];
    }
    int bad = 0;
    const int wantFd = std::min(rules.fdCount, rules.rf);
    const int wantUd = std::min(rules.udCount, rules.rf);
    const auto covered = [](const std::vector<int>& v) {
        return static_cast<int>(std::ranges::count_if(v, [](int c) { return c > 0; }));
    };
    bad += 100 * std::max(0, wantFd - covered(fd));
    bad += 100 * std::max(0, wantUd - covered(ud));
    for (int c : fd) {
        bad += std::max(0, c - rules.fdCap) + std::max(0, rules.fdFloor - c);
    }
    for (int c : ud) {
        bad += std::max(0, c - rules.udCap) + std::max(0, rules.udFloor - c);
    }
    return bad;
}

class SetSearch {
public:
    SetSearch(const std::vector<Node>& nodes, const Rules& rules, std::vector<int> order,
              bool strict)
        : m_nodes(nodes), m_rules(rules), m_order(std::move(order)), m_strict(strict),
          m_fd(static_cast<std::size_t>(rules.fdCount), 0),
          m_ud(static_cast<std::size_t>(rules.udCount), 0) {}

    // The best set found, empty if none.
    std::vector<int> run() {
        m_minCount = std::numeric_limits<int>::max();
        for (int i : m_order) {
            m_minCount = std::min(m_minCount, m_nodes[static_cast<std::size_t>(i)].replicas);
        }
        dfs(0);
        return m_best;
    }

private:
    static constexpr long kNodeLimit = 200'000;

    const Node& node(int i) const { return m_nodes[static_cast<std::size_t>(i)]; }

    bool canStillMeetFloors(int remaining) const {
        int needFd = 0;
        for (int c : m_fd) {
            needFd += std::max(0, m_rules.fdFloor - c);
        }
        int needUd = 0;
        for (int c : m_ud) {
            needUd += std::max(0, m_rules.udFloor - c);
        }
        return needFd <= remaining && needUd <= remaining;
    }

    void consider() {
        const int bad = m_strict ? 0 : violation(m_nodes, m_current, m_rules);
        if (m_best.empty() || bad < m_bestViolation ||
            (bad == m_bestViolation && m_sum < m_bestSum)) {
            m_best = m_current;
            m_bestSum = m_sum;
            m_bestViolation = bad;
        }
    }

    void dfs(std::size_t start) {
        if (++m_visited > kNodeLimit && !m_best.empty()) {
            return;
        }
        const int remaining = m_rules.rf - static_cast<int>(m_current.size());
        if (remaining == 0) {
            consider();
            return;
        }
        if (m_order.size() - start < static_cast<std::size_t>(remaining)) {
            return;
        }
        if (!m_best.empty() && m_bestViolation == 0 &&
            m_sum + remaining * m_minCount >= m_bestSum) {
            return;
        }
        for (std::size_t k = start; k < m_order.size(); ++k) {
            const int i = m_order[k];
            const Node& n = node(i);
            auto& fd = m_fd[static_cast<std::size_t>(n.fd)];
            auto& ud = m_ud[static_cast<std::size_t>(n.ud)];
            if (m_strict && (fd >= m_rules.fdCap || ud >= m_rules.udCap)) {
                continue;
            }
            ++fd;
            ++ud;
            m_current.push_back(i);
            m_sum += n.replicas;
            if (!m_strict || canStillMeetFloors(remaining - 1)) {
                dfs(k + 1);
            }
            m_sum -= n.replicas;
            m_current.pop_back();
            --fd;
            --ud;
        }
    }

    const std::vector<Node>& m_nodes;
    const Rules& m_rules;
    std::vector<int> m_order;
    bool m_strict;
    std::vector<int> m_fd;
    std::vector<int> m_ud;
    std::vector<int> m_current;
    int m_sum = 0;
    int m_minCount = 0;
    long m_visited = 0;
    std::vector<int> m_best;
    int m_bestSum = 0;
    int m_bestViolation = 0;
};

int rotation(int index, std::int64_t partition, int n) {
    return static_cast<int>(((index - partition) % n + n) % n);
}

// Phase 2: move replicas from fuller to emptier brokers where the rules still hold, along paths
// a -(p1)-> c -(p2)-> b (p1's replica on a moves to c, p2's replica on c moves to b): only a and b
// change their counts. Every step keeps its partition's rule violations from growing.
void narrowReplicaSpread(std::vector<Node>& nodes, std::vector<std::vector<int>>& sets,
                         const Rules& rules) {
    const int n = static_cast<int>(nodes.size());
    std::vector<std::vector<int>> holding(static_cast<std::size_t>(n)); // partitions per broker
    const auto rebuild = [&] {
        for (auto& h : holding) {
            h.clear();
        }
        for (std::size_t p = 0; p < sets.size(); ++p) {
            for (int i : sets[p]) {
                holding[static_cast<std::size_t>(i)].push_back(static_cast<int>(p));
            }
        }
    };
    // Replacing `from` by `to` in set p keeps the rules (no more violations than now)?
    const auto canMove = [&](std::size_t p, int from, int to) {
        auto& set = sets[p];
        if (std::ranges::find(set, to) != set.end()) {
            return false;
        }
        const int before = violation(nodes, set, rules);
        auto it = std::ranges::find(set, from);
        *it = to;
        const bool ok = violation(nodes, set, rules) <= before;
        *it = from;
        return ok;
    };
    rebuild();
    for (int guard = 0; guard < 100'000; ++guard) {
        std::vector<int> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        std::ranges::stable_sort(order, [&](int a, int b) {
            return nodes[static_cast<std::size_t>(a)].replicas >
                   nodes[static_cast<std::size_t>(b)].replicas;
        });
        bool improved = false;
        for (int source : order) {
            const int top = nodes[static_cast<std::size_t>(source)].replicas;
            std::vector<int> via(static_cast<std::size_t>(n), -1);
            std::vector<int> previous(static_cast<std::size_t>(n), -1);
            std::vector<bool> seen(static_cast<std::size_t>(n), false);
            std::deque<int> queue{source};
            seen[static_cast<std::size_t>(source)] = true;
            int target = -1;
            while (!queue.empty() && target < 0) {
                const int u = queue.front();
                queue.pop_front();
                for (int p : holding[static_cast<std::size_t>(u)]) {
                    for (int v = 0; v < n && target < 0; ++v) {
                        if (seen[static_cast<std::size_t>(v)] ||
                            !canMove(static_cast<std::size_t>(p), u, v)) {
                            continue;
                        }
                        seen[static_cast<std::size_t>(v)] = true;
                        previous[static_cast<std::size_t>(v)] = u;
                        via[static_cast<std::size_t>(v)] = p;
                        if (nodes[static_cast<std::size_t>(v)].replicas <= top - 2) {
                            target = v;
                        } else {
                            queue.push_back(v);
                        }
                    }
                    if (target >= 0) {
                        break;
                    }
                }
            }
            if (target < 0) {
                continue;
            }
            // Apply the path from its start; steps were checked on the sets before the move, so
            // check each again and undo everything if one no longer holds (a partition used twice).
            std::vector<std::pair<int, int>> steps; // (partition, to) from the source outward
            for (int v = target; v != source; v = previous[static_cast<std::size_t>(v)]) {
                steps.emplace_back(via[static_cast<std::size_t>(v)], v);
            }
            std::ranges::reverse(steps);
            const auto saved = sets;
            bool ok = true;
            int from = source;
            for (const auto& [p, to] : steps) {
                if (!canMove(static_cast<std::size_t>(p), from, to)) {
                    ok = false;
                    break;
                }
                *std::ranges::find(sets[static_cast<std::size_t>(p)], from) = to;
                from = to;
            }
            if (!ok) {
                sets = saved;
                continue;
            }
            --nodes[static_cast<std::size_t>(source)].replicas;
            ++nodes[static_cast<std::size_t>(target)].replicas;
            rebuild();
            improved = true;
            break;
        }
        if (!improved) {
            break;
        }
    }
}

// Phase 3: choose each partition's preferred leader, then balance leader counts along paths.
std::vector<int> chooseLeaders(std::vector<Node>& nodes, const std::vector<std::vector<int>>& sets,
                               std::int32_t firstPartition, int fdCount) {
    const int n = static_cast<int>(nodes.size());
    std::vector<int> fdLeaders(static_cast<std::size_t>(fdCount), 0);
    for (const auto& node : nodes) {
        fdLeaders[static_cast<std::size_t>(node.fd)] += node.leaders;
    }
    std::vector<int> leader(sets.size(), -1);
    for (std::size_t p = 0; p < sets.size(); ++p) {
        const auto partition =
            static_cast<std::int64_t>(firstPartition) + static_cast<std::int64_t>(p);
        int best = -1;
        for (int i : sets[p]) {
            if (best < 0) {
                best = i;
                continue;
            }
            const Node& a = nodes[static_cast<std::size_t>(i)];
            const Node& b = nodes[static_cast<std::size_t>(best)];
            const auto key = [&](const Node& x, int idx) {
                return std::tuple(x.leaders, fdLeaders[static_cast<std::size_t>(x.fd)],
                                  rotation(idx, partition, n));
            };
            if (key(a, i) < key(b, best)) {
                best = i;
            }
        }
        leader[p] = best;
        ++nodes[static_cast<std::size_t>(best)].leaders;
        ++fdLeaders[static_cast<std::size_t>(nodes[static_cast<std::size_t>(best)].fd)];
    }

    // Shift leadership along a path a -(p1)-> b -(p2)-> c ... (a leads p1, b is a replica of p1 and
    // leads p2, ...): only the two ends change their leader counts.
    const auto node = [&](int i) -> Node& { return nodes[static_cast<std::size_t>(i)]; };
    const auto fdOf = [&](int i) -> int& {
        return fdLeaders[static_cast<std::size_t>(node(i).fd)];
    };
    const auto shiftFrom = [&](int source, const auto& isTarget) {
        std::vector<int> viaPartition(static_cast<std::size_t>(n), -1);
        std::vector<int> previous(static_cast<std::size_t>(n), -1);
        std::vector<bool> seen(static_cast<std::size_t>(n), false);
        std::deque<int> queue{source};
        seen[static_cast<std::size_t>(source)] = true;
        int target = -1;
        while (!queue.empty() && target < 0) {
            const int u = queue.front();
            queue.pop_front();
            for (std::size_t p = 0; p < sets.size() && target < 0; ++p) {
                if (leader[p] != u) {
                    continue;
                }
                for (int v : sets[p]) {
                    if (seen[static_cast<std::size_t>(v)]) {
                        continue;
                    }
                    seen[static_cast<std::size_t>(v)] = true;
                    previous[static_cast<std::size_t>(v)] = u;
                    viaPartition[static_cast<std::size_t>(v)] = static_cast<int>(p);
                    if (isTarget(v)) {
                        target = v;
                        break;
                    }
                    queue.push_back(v);
                }
            }
        }
        if (target < 0) {
            return false;
        }
        for (int v = target; v != source; v = previous[static_cast<std::size_t>(v)]) {
            leader[static_cast<std::size_t>(viaPartition[static_cast<std::size_t>(v)])] = v;
        }
        --node(source).leaders;
        --fdOf(source);
        ++node(target).leaders;
        ++fdOf(target);
        return true;
    };
    const auto sortedBy = [&](const auto& key) {
        std::vector<int> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        std::ranges::stable_sort(order, [&](int a, int b) { return key(a) > key(b); });
        return order;
    };
    // Brokers: from the most loaded to one leading at least two fewer (sum of squares falls).
    for (int guard = 0; guard < 100'000; ++guard) {
        bool improved = false;
        for (int source : sortedBy([&](int i) { return node(i).leaders; })) {
            const int top = node(source).leaders;
            if (shiftFrom(source, [&](int v) { return node(v).leaders <= top - 2; })) {
                improved = true;
                break;
            }
        }
        if (!improved) {
            break;
        }
    }
    // FDs: from a broker in a fuller FD to one in an FD with at least two fewer leaders that leads
    // fewer itself, so broker balance never gets worse while the FD sum of squares falls.
    for (int guard = 0; guard < 100'000; ++guard) {
        bool improved = false;
        for (int source : sortedBy([&](int i) { return std::pair(fdOf(i), node(i).leaders); })) {
            const int fdTop = fdOf(source);
            const int top = node(source).leaders;
            if (shiftFrom(source, [&](int v) {
                    return fdOf(v) <= fdTop - 2 && node(v).leaders <= top - 1;
                })) {
                improved = true;
                break;
            }
        }
        if (!improved) {
            break;
        }
    }
    return leader;
}

} // namespace

std::expected<std::vector<std::vector<std::int32_t>>, protocol::Error>
assignReplicas(const std::vector<BrokerSlot>& brokers, std::int32_t count, std::int32_t rf,
               std::int32_t firstPartition, const PlacementLoad& load) {
    std::vector<BrokerSlot> live;
    std::set<std::int32_t> ids;
    for (const auto& b : brokers) {
        if (b.live && ids.insert(b.id).second) {
            live.push_back(b);
        }
    }
    std::ranges::sort(live, {}, &BrokerSlot::id);
    if (rf < 1 || rf > static_cast<std::int32_t>(live.size())) {
        return std::unexpected(makeError(
            ErrorCode::InvalidReplicationFactor,
            rf < 1 ? "Replication factor must be larger than 0."
                   : "Replication factor: " + std::to_string(rf) +
                         " larger than available brokers: " + std::to_string(live.size()) + "."));
    }
    if (count < 0) {
        return std::unexpected(
            makeError(ErrorCode::InvalidPartitions, "Number of partitions must be larger than 0."));
    }

    std::map<int, int> fdIndex;
    std::map<int, int> udIndex;
    for (const auto& b : live) {
        fdIndex.emplace(b.faultDomain, 0);
        udIndex.emplace(b.updateDomain, 0);
    }
    int k = 0;
    for (auto& [fd, index] : fdIndex) {
        index = k++;
    }
    k = 0;
    for (auto& [ud, index] : udIndex) {
        index = k++;
    }
    std::vector<Node> nodes;
    for (const auto& b : live) {
        const auto r = load.replicas.find(b.id);
        const auto l = load.leaders.find(b.id);
        nodes.push_back({b.id, fdIndex[b.faultDomain], udIndex[b.updateDomain],
                         r == load.replicas.end() ? 0 : r->second,
                         l == load.leaders.end() ? 0 : l->second});
    }
    const Rules rules =
        makeRules(rf, static_cast<int>(fdIndex.size()), static_cast<int>(udIndex.size()));
    const int n = static_cast<int>(nodes.size());

    // Phase 1
    std::vector<std::vector<int>> sets;
    sets.reserve(static_cast<std::size_t>(count));
    for (std::int32_t p = 0; p < count; ++p) {
        const std::int64_t partition = static_cast<std::int64_t>(firstPartition) + p;
        std::vector<int> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        std::ranges::stable_sort(order, [&](int a, int b) {
            const Node& x = nodes[static_cast<std::size_t>(a)];
            const Node& y = nodes[static_cast<std::size_t>(b)];
            return std::tuple(x.replicas, rotation(a, partition, n)) <
                   std::tuple(y.replicas, rotation(b, partition, n));
        });
        auto set = SetSearch(nodes, rules, order, true).run();
        if (set.empty()) {
            // No set meets every rule (an uneven grid): the one closest to them.
            set = SetSearch(nodes, rules, order, false).run();
        }
        for (int i : set) {
            ++nodes[static_cast<std::size_t>(i)].replicas;
        }
        sets.push_back(std::move(set));
    }

    // Phase 2 and 3
    narrowReplicaSpread(nodes, sets, rules);
    const auto leaders = chooseLeaders(nodes, sets, firstPartition, rules.fdCount);

    std::vector<std::vector<std::int32_t>> result;
    result.reserve(sets.size());
    for (std::size_t p = 0; p < sets.size(); ++p) {
        const std::int64_t partition =
            static_cast<std::int64_t>(firstPartition) + static_cast<std::int64_t>(p);
        auto followers = sets[p];
        std::erase(followers, leaders[p]);
        std::ranges::sort(followers, {}, [&](int i) { return rotation(i, partition, n); });
        std::vector<std::int32_t> replicas{nodes[static_cast<std::size_t>(leaders[p])].id};
        for (int i : followers) {
            replicas.push_back(nodes[static_cast<std::size_t>(i)].id);
        }
        result.push_back(std::move(replicas));
    }
    return result;
}

std::expected<void, protocol::Error>
validateAssignment(const std::vector<BrokerSlot>& brokers,
                   const std::map<std::int32_t, std::vector<std::int32_t>>& assignment) {
    std::set<std::int32_t> known;
    for (const auto& b : brokers) {
        known.insert(b.id);
    }
    std::optional<std::pair<std::int32_t, std::size_t>> first;
    for (const auto& [partition, replicas] : assignment) {
        const std::string which = "partition " + std::to_string(partition);
        if (replicas.empty()) {
            return std::unexpected(makeError(ErrorCode::InvalidReplicaAssignment,
                                             "Empty replica list for " + which + "."));
        }
        std::set<std::int32_t> seen;
        for (const auto id : replicas) {
            if (!seen.insert(id).second) {
                return std::unexpected(makeError(ErrorCode::InvalidReplicaAssignment,
                                                 "Duplicate broker " + std::to_string(id) +
                                                     " in the replica assignment of " + which +
                                                     "."));
            }
            if (!known.contains(id)) {
                return std::unexpected(makeError(ErrorCode::InvalidReplicaAssignment,
                                                 "Unknown broker " + std::to_string(id) +
                                                     " in the replica assignment of " + which +
                                                     "."));
            }
        }
        if (!first) {
            first = std::pair(partition, replicas.size());
        } else if (first->second != replicas.size()) {
            return std::unexpected(makeError(
                ErrorCode::InvalidReplicaAssignment,
                "Inconsistent replication factor: " + which + " has " +
                    std::to_string(replicas.size()) + " replicas but partition " +
                    std::to_string(first->first) + " has " + std::to_string(first->second) + "."));
        }
    }
    return {};
}

} // namespace faultline::broker
