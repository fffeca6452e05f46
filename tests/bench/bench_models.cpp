// Item model benchmark: a synthetic snapshot of 10k topics / 200k partitions / 2k groups.
// Prints `name: value unit target=... PASS|MISS` lines:
//   models_build[_cpu]  first setSnapshot of every table model (+ a sorted filter proxy)  < 2 s
//   models_refresh_1pct[_cpu]  a refresh where 1% of the partitions changed, this thread  < 50 ms
//   peak_rss            VmHWM of the process (both snapshots alive)                       < 1 GB
// Wall time (best of 7 refreshes) and this thread's CPU time are both printed: on a shared,
// oversubscribed machine the wall figure mostly measures waiting for a core.
//
//   cmake --build build/<dir> --target bench_models && build/<dir>/tests/bench/bench_models
//   [--topics N] [--partitions-per-topic N] [--groups N]
#include "models/broker_table_model.h"
#include "models/group_offset_table_model.h"
#include "models/group_table_model.h"
#include "models/partition_table_model.h"
#include "models/topic_filter_proxy_model.h"
#include "models/topic_table_model.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <vector>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

using namespace faultline::models;

namespace {

struct Shape {
    int topics = 10'000;
    int partitionsPerTopic = 20;
    int groups = 2'000;
    int brokers = 30;
    int topicsPerGroup = 5;
};

// Builds a fresh snapshot (no storage shared with any other): the worst case for the diff, as a
// real session builds every snapshot from scratch. With `changed`, 1% of the partitions differ:
// every 100th partition moved its log end, and every 1000th lost an ISR member.
SnapshotPtr makeSnapshot(const Shape& shape, bool changed, quint64 sequence)
{
    auto s = std::make_shared<ClusterSnapshot>();
    s->generation = 1;
    s->sequence = sequence;
    s->clusterId = QStringLiteral("bench");
    s->controllerId = 1;
    s->brokers.reserve(shape.brokers);
    for (int id = 1; id <= shape.brokers; ++id) {
        BrokerRow b;
        b.id = id;
        b.host = QStringLiteral("broker-%1.example.net").arg(id);
        b.port = 9092;
        b.rack = QStringLiteral("FD%1UD%2").arg(id % 3).arg(id % 5);
        b.faultDomain = id % 3;
        b.updateDomain = id % 5;
        b.controller = id == 1;
        s->brokers.push_back(b);
    }
    s->topics.reserve(shape.topics);
    int global = 0;
    for (int t = 0; t < shape.topics; ++t) {
        TopicRow topic;
        topic.name = QStringLiteral("topic-%1").arg(t, 6, 10, QChar('0'));
        topic.partitions.reserve(shape.partitionsPerTopic);
        for (int p = 0; p < shape.partitionsPerTopic; ++p, ++global) {
            PartitionRow row;
            row.partition = p;
            const int first = (t + p) % shape.brokers;
            row.replicas = {1 + first, 1 + (first + 1) % shape.brokers,
                            1 + (first + 2) % shape.brokers};
            row.isr = row.replicas;
            row.leader = row.replicas.front();
            row.leaderEpoch = 1;
            row.logStartOffset = 0;
            row.logEndOffset = 1000 + global % 977;
            for (const std::int32_t broker : row.replicas) {
                row.replicaSizeBytes.insert(broker, 4096LL * row.logEndOffset);
            }
            if (changed && global % 100 == 0) {
                row.logEndOffset += 17;
            }
            if (changed && global % 1000 == 0) {
                row.isr.removeLast();
            }
            s->brokers[row.leader - 1].leaderCount += 1;
            for (const std::int32_t broker : row.replicas) {
                s->brokers[broker - 1].replicaCount += 1;
                s->brokers[broker - 1].diskBytes += row.replicaSizeBytes.value(broker);
            }
            topic.partitions.push_back(std::move(row));
        }
        s->topics.push_back(std::move(topic));
    }
    s->groups.reserve(shape.groups);
    for (int g = 0; g < shape.groups; ++g) {
        GroupRow group;
        group.groupId = QStringLiteral("group-%1").arg(g, 5, 10, QChar('0'));
        group.state = QStringLiteral("Stable");
        group.protocolType = QStringLiteral("consumer");
        group.protocol = QStringLiteral("range");
        group.coordinator = 1 + g % shape.brokers;
        GroupMemberRow member;
        member.memberId = group.groupId + QStringLiteral("-member");
        member.clientId = QStringLiteral("client");
        member.host = QStringLiteral("/10.0.0.1");
        group.members.push_back(member);
        for (int k = 0; k < shape.topicsPerGroup; ++k) {
            const TopicRow& topic = s->topics[(g * shape.topicsPerGroup + k) % shape.topics];
            for (const PartitionRow& p : topic.partitions) {
                GroupOffsetRow o;
                o.topic = topic.name;
                o.partition = p.partition;
                o.endOffset = p.logEndOffset;
                o.committedOffset = std::max<qint64>(0, p.logEndOffset - 10);
                o.memberId = member.memberId;
                group.offsets.push_back(std::move(o));
            }
        }
        s->groups.push_back(std::move(group));
    }
    return s;
}

// CPU time of this thread: on a shared, oversubscribed machine wall time mostly measures the wait
// for a core; both are printed.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

qint64 peakRssKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:")) {
            return line.mid(6).trimmed().split(' ').front().toLongLong();
        }
    }
    return -1;
}

void report(const char* name, double value, const char* unit, double target, const char* targetText)
{
    std::printf("%s: %.1f %s target=%s %s\n", name, value, unit, targetText,
                value < target ? "PASS" : "MISS");
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    Shape shape;
    for (int i = 1; i + 1 < argc; i += 2) {
        const int value = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--topics") == 0) {
            shape.topics = value;
        } else if (std::strcmp(argv[i], "--partitions-per-topic") == 0) {
            shape.partitionsPerTopic = value;
        } else if (std::strcmp(argv[i], "--groups") == 0) {
            shape.groups = value;
        } else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }

    QElapsedTimer timer;
    timer.start();
    const SnapshotPtr first = makeSnapshot(shape, false, 1);
    const SnapshotPtr second = makeSnapshot(shape, true, 2);
    std::printf("# snapshots: %d topics, %d partitions, %d groups, %lld offset rows each; built in "
                "%lld ms (not measured)\n",
                static_cast<int>(first->topics.size()), first->partitionCount(),
                static_cast<int>(first->groups.size()),
                static_cast<long long>(shape.groups) * shape.topicsPerGroup
                    * shape.partitionsPerTopic,
                static_cast<long long>(timer.elapsed()));

    BrokerTableModel brokers;
    TopicTableModel topics;
    PartitionTableModel partitions;
    GroupTableModel groups;
    GroupOffsetTableModel offsets;
    TopicFilterProxyModel proxy;
    proxy.setSourceModel(&topics);
    proxy.sort(TopicTableModel::SizeColumn, Qt::DescendingOrder);
    partitions.setTopic(first->topics.front().name);
    offsets.setGroup(first->groups.front().groupId);

    timer.restart();
    const double buildCpuStart = threadCpuMs();
    brokers.setSnapshot(first);
    topics.setSnapshot(first);
    partitions.setSnapshot(first);
    groups.setSnapshot(first);
    offsets.setSnapshot(first);
    const double buildMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    const double buildCpuMs = threadCpuMs() - buildCpuStart;

    long long topicChanges = 0;
    long long topicResets = 0;
    QObject::connect(&topics, &QAbstractItemModel::dataChanged, [&] { ++topicChanges; });
    QObject::connect(&topics, &QAbstractItemModel::modelReset, [&] { ++topicResets; });

    // Refreshes alternate between the two snapshots (each direction is a 1% change). The machine
    // may be shared: the figure is the best of the runs, the median is printed too.
    constexpr int runs = 7;
    std::vector<double> refreshRuns;
    std::vector<double> refreshCpuRuns;
    QString breakdown;
    for (int run = 0; run < runs; ++run) {
        const SnapshotPtr& target = run % 2 == 0 ? second : first;
        QElapsedTimer part;
        QString parts;
        auto step = [&](const char* name, auto&& call) {
            part.restart();
            call();
            parts += QStringLiteral(" %1=%2ms").arg(QLatin1String(name)).arg(
                static_cast<double>(part.nsecsElapsed()) / 1e6, 0, 'f', 1);
        };
        timer.restart();
        const double cpuStart = threadCpuMs();
        step("brokers", [&] { brokers.setSnapshot(target); });
        step("topics+proxy", [&] { topics.setSnapshot(target); });
        step("partitions", [&] { partitions.setSnapshot(target); });
        step("groups", [&] { groups.setSnapshot(target); });
        step("offsets", [&] { offsets.setSnapshot(target); });
        refreshRuns.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
        refreshCpuRuns.push_back(threadCpuMs() - cpuStart);
        if (run == 0) {
            breakdown = parts;
        }
    }
    std::vector<double> sorted = refreshRuns;
    std::sort(sorted.begin(), sorted.end());
    const double refreshMs = sorted.front();
    std::sort(refreshCpuRuns.begin(), refreshCpuRuns.end());
    const double refreshCpuMs = refreshCpuRuns.front();
    std::printf("# refresh breakdown (first run):%s\n", qPrintable(breakdown));
    std::printf("# refresh runs: %d, best %.1f ms, median %.1f ms\n", runs, sorted.front(),
                sorted[sorted.size() / 2]);
    std::printf("# refreshes: %lld dataChanged on the topic model (%lld per refresh), %lld "
                "resets; proxy rows %d\n",
                topicChanges, topicChanges / runs, topicResets, proxy.rowCount());

    const double rssMiB = static_cast<double>(peakRssKiB()) / 1024.0;
    report("models_build", buildMs, "ms", 2000.0, "<2000ms");
    report("models_build_cpu", buildCpuMs, "ms", 2000.0, "<2000ms");
    report("models_refresh_1pct", refreshMs, "ms", 50.0, "<50ms");
    report("models_refresh_1pct_cpu", refreshCpuMs, "ms", 50.0, "<50ms");
    report("peak_rss", rssMiB, "MiB", 1024.0, "<1024MiB");
    return 0;
}
