#include "models/cluster_snapshot.h"

#include <algorithm>

namespace faultline::models {

int TopicRow::underReplicatedCount() const {
    return static_cast<int>(std::count_if(partitions.begin(), partitions.end(),
                                          [](const PartitionRow& p) { return p.underReplicated(); }));
}

int TopicRow::offlineCount() const {
    return static_cast<int>(std::count_if(partitions.begin(), partitions.end(),
                                          [](const PartitionRow& p) { return p.offline(); }));
}

int TopicRow::underMinIsrCount() const {
    const int minIsr = minInsyncReplicas;
    return static_cast<int>(std::count_if(partitions.begin(), partitions.end(), [minIsr](const PartitionRow& p) {
        return p.underMinIsr(minIsr);
    }));
}

qint64 TopicRow::sizeBytes() const {
    qint64 total = 0;
    bool known = false;
    for (const auto& p : partitions) {
        const auto it = p.replicaSizeBytes.constFind(p.leader);
        if (it != p.replicaSizeBytes.constEnd()) {
            total += it.value();
            known = true;
        } else if (!p.replicaSizeBytes.isEmpty()) {
            // Leader offline or not reported: take the largest replica.
            total += *std::max_element(p.replicaSizeBytes.begin(), p.replicaSizeBytes.end());
            known = true;
        }
    }
    return known ? total : -1;
}

qint64 TopicRow::messageCount() const {
    qint64 total = 0;
    bool known = false;
    for (const auto& p : partitions) {
        const qint64 n = p.messageCount();
        if (n >= 0) {
            total += n;
            known = true;
        }
    }
    return known ? total : -1;
}

qint64 GroupRow::totalLag() const {
    qint64 total = 0;
    bool known = false;
    for (const auto& o : offsets) {
        const qint64 lag = o.lag();
        if (lag >= 0) {
            total += lag;
            known = true;
        }
    }
    return known ? total : -1;
}

const TopicRow* ClusterSnapshot::topic(const QString& name) const {
    const auto it = std::lower_bound(topics.begin(), topics.end(), name,
                                     [](const TopicRow& t, const QString& n) { return t.name < n; });
    return it != topics.end() && it->name == name ? &*it : nullptr;
}

const BrokerRow* ClusterSnapshot::broker(std::int32_t id) const {
    const auto it = std::lower_bound(brokers.begin(), brokers.end(), id,
                                     [](const BrokerRow& b, std::int32_t i) { return b.id < i; });
    return it != brokers.end() && it->id == id ? &*it : nullptr;
}

const GroupRow* ClusterSnapshot::group(const QString& id) const {
    const auto it = std::lower_bound(groups.begin(), groups.end(), id,
                                     [](const GroupRow& g, const QString& n) { return g.groupId < n; });
    return it != groups.end() && it->groupId == id ? &*it : nullptr;
}

int ClusterSnapshot::partitionCount() const {
    int n = 0;
    for (const auto& t : topics)
        n += static_cast<int>(t.partitions.size());
    return n;
}

int ClusterSnapshot::underReplicatedCount() const {
    int n = 0;
    for (const auto& t : topics)
        n += t.underReplicatedCount();
    return n;
}

int ClusterSnapshot::offlineCount() const {
    int n = 0;
    for (const auto& t : topics)
        n += t.offlineCount();
    return n;
}

int ClusterSnapshot::underMinIsrCount() const {
    int n = 0;
    for (const auto& t : topics)
        n += t.underMinIsrCount();
    return n;
}

qint64 ClusterSnapshot::totalDiskBytes() const {
    qint64 total = 0;
    bool known = false;
    for (const auto& b : brokers) {
        if (b.diskBytes >= 0) {
            total += b.diskBytes;
            known = true;
        }
    }
    return known ? total : -1;
}

const RefreshPhase* ClusterSnapshot::phase(const QString& name) const {
    const auto it = std::find_if(phases.begin(), phases.end(),
                                 [&](const RefreshPhase& p) { return p.name == name; });
    return it != phases.end() ? &*it : nullptr;
}

} // namespace faultline::models
