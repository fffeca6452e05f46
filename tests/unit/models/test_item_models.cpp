// The snapshot table models: every model under QAbstractItemModelTester, refreshes diffed into
// minimal signals (QSignalSpy), selection and proxy sort surviving a refresh, formatting and
// highlighting, and the generic keyed diff against a reference.
#include "models/broker_table_model.h"
#include "models/group_offset_table_model.h"
#include "models/group_table_model.h"
#include "models/partition_table_model.h"
#include "models/snapshot_diff.h"
#include "models/topic_filter_proxy_model.h"
#include "models/topic_table_model.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

#include <memory>
#include <vector>

using namespace faultline::models;

Q_DECLARE_METATYPE(faultline::models::PartitionRow)

namespace {

using MutableSnapshot = std::shared_ptr<ClusterSnapshot>;

PartitionRow makePartition(std::int32_t id, std::int32_t leader, QVector<std::int32_t> replicas,
                           QVector<std::int32_t> isr, qint64 start, qint64 end, qint64 size)
{
    PartitionRow p;
    p.partition = id;
    p.leader = leader;
    p.leaderEpoch = 3;
    p.replicas = std::move(replicas);
    p.isr = std::move(isr);
    p.logStartOffset = start;
    p.logEndOffset = end;
    if (size >= 0) {
        for (const std::int32_t broker : p.replicas) {
            p.replicaSizeBytes.insert(broker, size);
        }
    }
    return p;
}

// A healthy topic: `count` partitions over brokers 1..3, RF 3, leader rotating.
TopicRow makeTopic(const QString& name, int count, qint64 sizePerPartition = 1024,
                   qint64 messagesPerPartition = 100)
{
    TopicRow t;
    t.name = name;
    for (int i = 0; i < count; ++i) {
        const QVector<std::int32_t> replicas{1 + i % 3, 1 + (i + 1) % 3, 1 + (i + 2) % 3};
        t.partitions.push_back(makePartition(i, replicas.front(), replicas, replicas, 0,
                                             messagesPerPartition, sizePerPartition));
    }
    return t;
}

GroupRow makeGroup(const QString& id, const QStringList& topics, qint64 lagPerPartition)
{
    GroupRow g;
    g.groupId = id;
    g.state = QStringLiteral("Stable");
    g.protocolType = QStringLiteral("consumer");
    g.protocol = QStringLiteral("range");
    g.coordinator = 2;
    GroupMemberRow member;
    member.memberId = QStringLiteral("%1-member-1").arg(id);
    member.clientId = QStringLiteral("client-1");
    member.host = QStringLiteral("/127.0.0.1");
    g.members.push_back(member);
    for (const QString& topic : topics) {
        for (int p = 0; p < 3; ++p) {
            GroupOffsetRow o;
            o.topic = topic;
            o.partition = p;
            o.endOffset = 100;
            o.committedOffset = 100 - lagPerPartition;
            o.memberId = member.memberId;
            g.offsets.push_back(o);
        }
    }
    return g;
}

MutableSnapshot baseSnapshot()
{
    auto s = std::make_shared<ClusterSnapshot>();
    s->generation = 1;
    s->sequence = 1;
    s->clusterId = QStringLiteral("test-cluster");
    s->controllerId = 1;
    for (int id = 1; id <= 3; ++id) {
        BrokerRow b;
        b.id = id;
        b.host = QStringLiteral("127.0.0.1");
        b.port = 9090 + id;
        b.rack = QStringLiteral("FD%1UD%2").arg(id - 1).arg(id % 2);
        b.faultDomain = id - 1;
        b.updateDomain = id % 2;
        b.controller = id == 1;
        b.leaderCount = 4;
        b.replicaCount = 12;
        b.diskBytes = 3 * 1024 * 1024;
        s->brokers.push_back(b);
    }
    s->topics = {makeTopic(QStringLiteral("billing"), 3), makeTopic(QStringLiteral("orders"), 3),
                 makeTopic(QStringLiteral("payments"), 3), makeTopic(QStringLiteral("users"), 3)};
    s->groups = {makeGroup(QStringLiteral("g-billing"), {QStringLiteral("billing")}, 5),
                 makeGroup(QStringLiteral("g-orders"),
                           {QStringLiteral("orders"), QStringLiteral("payments")}, 10)};
    return s;
}

MutableSnapshot next(const SnapshotPtr& previous)
{
    auto s = std::make_shared<ClusterSnapshot>(*previous);
    ++s->sequence;
    return s;
}

TopicRow& topicNamed(ClusterSnapshot& s, const QString& name)
{
    for (TopicRow& t : s.topics) {
        if (t.name == name) {
            return t;
        }
    }
    qFatal("no topic %s", qPrintable(name));
}

// Non-const lookups: they detach the snapshot's vectors, so rows shared with the previous snapshot
// (which a model may still hold) are never written through.
TopicRow* findTopic(ClusterSnapshot& s, const QString& name)
{
    for (TopicRow& t : s.topics) {
        if (t.name == name) {
            return &t;
        }
    }
    return nullptr;
}

GroupRow* findGroup(ClusterSnapshot& s, const QString& id)
{
    for (GroupRow& g : s.groups) {
        if (g.groupId == id) {
            return &g;
        }
    }
    return nullptr;
}

void insertSorted(ClusterSnapshot& s, TopicRow topic)
{
    auto it = std::lower_bound(s.topics.begin(), s.topics.end(), topic.name,
                               [](const TopicRow& t, const QString& n) { return t.name < n; });
    s.topics.insert(it, std::move(topic));
}

void removeTopic(ClusterSnapshot& s, const QString& name)
{
    s.topics.removeIf([&](const TopicRow& t) { return t.name == name; });
}

struct Spies {
    explicit Spies(QAbstractItemModel* model)
        : dataChanged(model, &QAbstractItemModel::dataChanged),
          rowsInserted(model, &QAbstractItemModel::rowsInserted),
          rowsRemoved(model, &QAbstractItemModel::rowsRemoved),
          modelReset(model, &QAbstractItemModel::modelReset),
          layoutChanged(model, &QAbstractItemModel::layoutChanged)
    {
    }
    QSignalSpy dataChanged;
    QSignalSpy rowsInserted;
    QSignalSpy rowsRemoved;
    QSignalSpy modelReset;
    QSignalSpy layoutChanged;
};

QStringList columnTexts(const QAbstractItemModel& model, int column, int role = Qt::DisplayRole)
{
    QStringList texts;
    for (int row = 0; row < model.rowCount(); ++row) {
        texts << model.data(model.index(row, column), role).toString();
    }
    return texts;
}

} // namespace

class TestItemModels : public QObject {
    Q_OBJECT
private slots:
    void everyModelPassesTheTesterThroughRefreshes();
    void isrChangeEmitsOneDataChanged();
    void newTopicInsertsOneRow_data();
    void newTopicInsertsOneRow();
    void deletedTopicRemovesOneRow_data();
    void deletedTopicRemovesOneRow();
    void contiguousChangesAreOneSignal();
    void unchangedRefreshIsSilent();
    void loadAndClearAreRowSignals();
    void selectionSurvivesRefresh();
    void proxySortSurvivesRefresh();
    void filter_data();
    void filter();
    void formatBytes_data();
    void formatBytes();
    void partitionCells_data();
    void partitionCells();
    void highlighting_data();
    void highlighting();
    void healthColors();
    void brokerCells();
    void groupAndOffsetRefresh();
    void switchingTopicResets();
    void keyedDiffMatchesReference();
};

void TestItemModels::everyModelPassesTheTesterThroughRefreshes()
{
    BrokerTableModel brokers;
    TopicTableModel topics;
    PartitionTableModel partitions;
    GroupTableModel groups;
    GroupOffsetTableModel offsets;
    TopicFilterProxyModel proxy;
    proxy.setSourceModel(&topics);
    proxy.sort(TopicTableModel::SizeColumn, Qt::DescendingOrder);
    const auto mode = QAbstractItemModelTester::FailureReportingMode::Fatal;
    QAbstractItemModelTester t1(&brokers, mode);
    QAbstractItemModelTester t2(&topics, mode);
    QAbstractItemModelTester t3(&partitions, mode);
    QAbstractItemModelTester t4(&groups, mode);
    QAbstractItemModelTester t5(&offsets, mode);
    QAbstractItemModelTester t6(&proxy, mode);
    partitions.setTopic(QStringLiteral("orders"));
    offsets.setGroup(QStringLiteral("g-orders"));

    auto feed = [&](const SnapshotPtr& s) {
        brokers.setSnapshot(s);
        topics.setSnapshot(s);
        partitions.setSnapshot(s);
        groups.setSnapshot(s);
        offsets.setSnapshot(s);
    };

    SnapshotPtr current = baseSnapshot();
    feed(current);
    QCOMPARE(brokers.rowCount(), 3);
    QCOMPARE(topics.rowCount(), 4);
    QCOMPARE(partitions.rowCount(), 3);
    QCOMPARE(groups.rowCount(), 2);
    QCOMPARE(offsets.rowCount(), 6);

    // A long random walk of refreshes: topics, partitions, brokers, groups, offsets come and go.
    QRandomGenerator random(42);
    for (int step = 0; step < 60; ++step) {
        auto s = next(current);
        const int op = random.bounded(8);
        if (op == 0) {
            insertSorted(*s, makeTopic(QStringLiteral("t%1").arg(random.bounded(40)), 1 + random.bounded(4)));
        } else if (op == 1 && s->topics.size() > 1) {
            s->topics.removeAt(random.bounded(static_cast<int>(s->topics.size())));
        } else if (op == 2) {
            if (TopicRow* orders = findTopic(*s, QStringLiteral("orders"))) {
                PartitionRow& p = orders->partitions[random.bounded(static_cast<int>(orders->partitions.size()))];
                p.isr.resize(1 + random.bounded(static_cast<int>(p.replicas.size())));
                p.leader = random.bounded(4) == 0 ? -1 : p.isr.front();
            } else {
                insertSorted(*s, makeTopic(QStringLiteral("orders"), 3));
            }
        } else if (op == 3) {
            if (TopicRow* orders = findTopic(*s, QStringLiteral("orders"))) {
                if (random.bounded(2) == 0 && orders->partitions.size() > 1) {
                    orders->partitions.removeAt(random.bounded(static_cast<int>(orders->partitions.size())));
                } else {
                    const int id = static_cast<int>(orders->partitions.back().partition) + 1;
                    orders->partitions.push_back(makePartition(id, 1, {1, 2}, {1, 2}, 0, 5, 10));
                }
            }
        } else if (op == 4) {
            s->brokers[random.bounded(static_cast<int>(s->brokers.size()))].status =
                random.bounded(2) == 0 ? BrokerStatus::Down : BrokerStatus::Up;
            if (random.bounded(3) == 0 && s->brokers.size() > 1) {
                s->brokers.removeLast();
            } else if (s->brokers.back().id < 9) {
                BrokerRow b = s->brokers.back();
                b.id += 1;
                s->brokers.push_back(b);
            }
        } else if (op == 5) {
            for (GroupRow& g : s->groups) {
                for (GroupOffsetRow& o : g.offsets) {
                    o.committedOffset = random.bounded(101);
                }
            }
        } else if (op == 6) {
            if (GroupRow* g = findGroup(*s, QStringLiteral("g-orders"))) {
                if (!g->offsets.isEmpty() && random.bounded(2) == 0) {
                    g->offsets.removeAt(random.bounded(static_cast<int>(g->offsets.size())));
                } else {
                    GroupOffsetRow o;
                    o.topic = QStringLiteral("t%1").arg(random.bounded(10));
                    o.partition = random.bounded(4);
                    auto pos = std::lower_bound(g->offsets.begin(), g->offsets.end(), o,
                                                [](const GroupOffsetRow& a, const GroupOffsetRow& b) {
                                                    return std::pair(a.topic, a.partition) < std::pair(b.topic, b.partition);
                                                });
                    if (pos == g->offsets.end() || pos->topic != o.topic || pos->partition != o.partition) {
                        g->offsets.insert(pos, o);
                    }
                }
            } else {
                s->groups.push_back(makeGroup(QStringLiteral("g-orders"), {QStringLiteral("orders")}, 1));
            }
        } else {
            if (random.bounded(2) == 0 && !s->groups.isEmpty()) {
                s->groups.removeAt(random.bounded(static_cast<int>(s->groups.size())));
            } else {
                const QString id = QStringLiteral("g%1").arg(random.bounded(20));
                if (s->group(id) == nullptr) {
                    auto pos = std::lower_bound(s->groups.begin(), s->groups.end(), id,
                                                [](const GroupRow& g, const QString& n) { return g.groupId < n; });
                    s->groups.insert(pos, makeGroup(id, {QStringLiteral("users")}, 2));
                }
            }
        }
        current = s;
        feed(current);
        // The models show exactly the snapshot, in key order.
        QCOMPARE(topics.rowCount(), static_cast<int>(current->topics.size()));
        for (int row = 0; row < topics.rowCount(); ++row) {
            QCOMPARE(topics.data(topics.index(row, 0), KeyRole).toString(), current->topics[row].name);
        }
        QCOMPARE(brokers.rowCount(), static_cast<int>(current->brokers.size()));
        QCOMPARE(groups.rowCount(), static_cast<int>(current->groups.size()));
        const TopicRow* orders = current->topic(QStringLiteral("orders"));
        QCOMPARE(partitions.rowCount(), orders ? static_cast<int>(orders->partitions.size()) : 0);
        const GroupRow* gOrders = current->group(QStringLiteral("g-orders"));
        QCOMPARE(offsets.rowCount(), gOrders ? static_cast<int>(gOrders->offsets.size()) : 0);
    }
    feed(nullptr);
    QCOMPARE(topics.rowCount(), 0);
    QCOMPARE(offsets.rowCount(), 0);
}

void TestItemModels::isrChangeEmitsOneDataChanged()
{
    TopicTableModel topics;
    PartitionTableModel partitions;
    QAbstractItemModelTester t1(&topics, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t2(&partitions, QAbstractItemModelTester::FailureReportingMode::Fatal);
    partitions.setTopic(QStringLiteral("orders"));
    SnapshotPtr first = baseSnapshot();
    topics.setSnapshot(first);
    partitions.setSnapshot(first);

    Spies topicSpies(&topics);
    Spies partitionSpies(&partitions);
    auto second = next(first);
    topicNamed(*second, QStringLiteral("orders")).partitions[1].isr = {2}; // replicas {2, 3, 1}
    topics.setSnapshot(second);
    partitions.setSnapshot(second);

    QCOMPARE(partitionSpies.dataChanged.count(), 1);
    QCOMPARE(topicSpies.dataChanged.count(), 1);
    for (Spies* spies : {&topicSpies, &partitionSpies}) {
        QCOMPARE(spies->modelReset.count(), 0);
        QCOMPARE(spies->rowsInserted.count(), 0);
        QCOMPARE(spies->rowsRemoved.count(), 0);
        QCOMPARE(spies->layoutChanged.count(), 0);
    }
    const auto partitionArgs = partitionSpies.dataChanged.first();
    QCOMPARE(partitionArgs.at(0).toModelIndex().row(), 1);
    QCOMPARE(partitionArgs.at(1).toModelIndex().row(), 1);
    const auto topicArgs = topicSpies.dataChanged.first();
    QCOMPARE(topicArgs.at(0).toModelIndex().row(), topics.rowForTopic(QStringLiteral("orders")));
    QCOMPARE(topicArgs.at(1).toModelIndex().row(), topics.rowForTopic(QStringLiteral("orders")));
    // The row became under-replicated: its highlight changed, so the whole row is signalled.
    QCOMPARE(topicArgs.at(0).toModelIndex().column(), 0);
    QCOMPARE(topicArgs.at(1).toModelIndex().column(), TopicTableModel::ColumnCount - 1);
    QCOMPARE(partitions.data(partitions.index(1, PartitionTableModel::IsrColumn)).toString(),
             QStringLiteral("2"));
    QCOMPARE(topics.data(topics.index(1, TopicTableModel::UnderReplicatedColumn)).toString(),
             QStringLiteral("1"));

    // A second ISR change in the same (already under-replicated) partition: highlight unchanged,
    // only the ISR column of that one row.
    partitionSpies.dataChanged.clear();
    topicSpies.dataChanged.clear();
    auto third = next(second);
    topicNamed(*third, QStringLiteral("orders")).partitions[1].isr = {2, 3};
    topics.setSnapshot(third);
    partitions.setSnapshot(third);
    QCOMPARE(partitionSpies.dataChanged.count(), 1);
    QCOMPARE(partitionSpies.dataChanged.first().at(0).toModelIndex(),
             partitions.index(1, PartitionTableModel::IsrColumn));
    QCOMPARE(partitionSpies.dataChanged.first().at(1).toModelIndex(),
             partitions.index(1, PartitionTableModel::IsrColumn));
    QCOMPARE(topicSpies.dataChanged.count(), 0); // still one under-replicated partition
}

void TestItemModels::newTopicInsertsOneRow_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("expectedRow");
    QTest::newRow("first") << QStringLiteral("accounts") << 0;
    QTest::newRow("middle") << QStringLiteral("invoices") << 1;
    QTest::newRow("after orders") << QStringLiteral("orders-dlq") << 2;
    QTest::newRow("last") << QStringLiteral("zeta") << 4;
}

void TestItemModels::newTopicInsertsOneRow()
{
    QFETCH(QString, name);
    QFETCH(int, expectedRow);
    TopicTableModel topics;
    QAbstractItemModelTester tester(&topics, QAbstractItemModelTester::FailureReportingMode::Fatal);
    SnapshotPtr first = baseSnapshot();
    topics.setSnapshot(first);
    Spies spies(&topics);
    auto second = next(first);
    insertSorted(*second, makeTopic(name, 2));
    topics.setSnapshot(second);
    QCOMPARE(spies.rowsInserted.count(), 1);
    QCOMPARE(spies.rowsInserted.first().at(1).toInt(), expectedRow);
    QCOMPARE(spies.rowsInserted.first().at(2).toInt(), expectedRow);
    QCOMPARE(spies.rowsRemoved.count(), 0);
    QCOMPARE(spies.dataChanged.count(), 0);
    QCOMPARE(spies.modelReset.count(), 0);
    QCOMPARE(topics.data(topics.index(expectedRow, 0)).toString(), name);
    QCOMPARE(topics.rowCount(), 5);
}

void TestItemModels::deletedTopicRemovesOneRow_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("expectedRow");
    QTest::newRow("first") << QStringLiteral("billing") << 0;
    QTest::newRow("middle") << QStringLiteral("payments") << 2;
    QTest::newRow("last") << QStringLiteral("users") << 3;
}

void TestItemModels::deletedTopicRemovesOneRow()
{
    QFETCH(QString, name);
    QFETCH(int, expectedRow);
    TopicTableModel topics;
    QAbstractItemModelTester tester(&topics, QAbstractItemModelTester::FailureReportingMode::Fatal);
    SnapshotPtr first = baseSnapshot();
    topics.setSnapshot(first);
    Spies spies(&topics);
    auto second = next(first);
    removeTopic(*second, name);
    topics.setSnapshot(second);
    QCOMPARE(spies.rowsRemoved.count(), 1);
    QCOMPARE(spies.rowsRemoved.first().at(1).toInt(), expectedRow);
    QCOMPARE(spies.rowsRemoved.first().at(2).toInt(), expectedRow);
    QCOMPARE(spies.rowsInserted.count(), 0);
    QCOMPARE(spies.dataChanged.count(), 0);
    QCOMPARE(spies.modelReset.count(), 0);
    QCOMPARE(topics.rowCount(), 3);
    QCOMPARE(topics.rowForTopic(name), -1);
}

void TestItemModels::contiguousChangesAreOneSignal()
{
    TopicTableModel topics;
    QAbstractItemModelTester tester(&topics, QAbstractItemModelTester::FailureReportingMode::Fatal);
    SnapshotPtr first = baseSnapshot();
    topics.setSnapshot(first);
    Spies spies(&topics);
    auto second = next(first);
    // billing and orders (rows 0, 1) grow; users (row 3) too; payments (row 2) unchanged.
    for (const char* name : {"billing", "orders", "users"}) {
        topicNamed(*second, QLatin1String(name)).partitions[0].logEndOffset += 50;
    }
    // Two new topics next to each other, and one removed: one signal per contiguous range.
    insertSorted(*second, makeTopic(QStringLiteral("p1"), 1));
    insertSorted(*second, makeTopic(QStringLiteral("p2"), 1));
    removeTopic(*second, QStringLiteral("payments"));
    topics.setSnapshot(second);
    QCOMPARE(spies.rowsRemoved.count(), 1);
    QCOMPARE(spies.rowsInserted.count(), 1);
    QCOMPARE(spies.rowsInserted.first().at(1).toInt(), 2);
    QCOMPARE(spies.rowsInserted.first().at(2).toInt(), 3);
    QCOMPARE(spies.dataChanged.count(), 2);
    const auto a = spies.dataChanged.at(0);
    QCOMPARE(a.at(0).toModelIndex(), topics.index(0, TopicTableModel::MessagesColumn));
    QCOMPARE(a.at(1).toModelIndex(), topics.index(1, TopicTableModel::MessagesColumn));
    const auto b = spies.dataChanged.at(1);
    QCOMPARE(b.at(0).toModelIndex(), topics.index(4, TopicTableModel::MessagesColumn));
    QCOMPARE(b.at(1).toModelIndex(), topics.index(4, TopicTableModel::MessagesColumn));
    QCOMPARE(columnTexts(topics, TopicTableModel::NameColumn),
             QStringList({"billing", "orders", "p1", "p2", "users"}));
    QCOMPARE(columnTexts(topics, TopicTableModel::MessagesColumn),
             QStringList({"350", "350", "100", "100", "350"}));
    QCOMPARE(spies.modelReset.count(), 0);
}

void TestItemModels::unchangedRefreshIsSilent()
{
    BrokerTableModel brokers;
    TopicTableModel topics;
    GroupTableModel groups;
    SnapshotPtr first = baseSnapshot();
    brokers.setSnapshot(first);
    topics.setSnapshot(first);
    groups.setSnapshot(first);
    // A deep copy (no shared storage): equal values must still be silent.
    auto copy = std::make_shared<ClusterSnapshot>(*baseSnapshot());
    copy->sequence = 2;
    Spies b(&brokers);
    Spies t(&topics);
    Spies g(&groups);
    brokers.setSnapshot(copy);
    topics.setSnapshot(copy);
    groups.setSnapshot(copy);
    for (Spies* spies : {&b, &t, &g}) {
        QCOMPARE(spies->dataChanged.count(), 0);
        QCOMPARE(spies->rowsInserted.count(), 0);
        QCOMPARE(spies->rowsRemoved.count(), 0);
        QCOMPARE(spies->modelReset.count(), 0);
    }
    first.reset(); // the models hold the new snapshot only: their rows must point into it
    QCOMPARE(topics.snapshot().get(), copy.get());
    QCOMPARE(topics.topicAt(0), &std::as_const(copy->topics)[0]);
    QCOMPARE(topics.data(topics.index(3, 0)).toString(), QStringLiteral("users"));
}

void TestItemModels::loadAndClearAreRowSignals()
{
    TopicTableModel topics;
    QAbstractItemModelTester tester(&topics, QAbstractItemModelTester::FailureReportingMode::Fatal);
    Spies spies(&topics);
    topics.setSnapshot(baseSnapshot());
    QCOMPARE(spies.rowsInserted.count(), 1);
    QCOMPARE(spies.rowsInserted.first().at(1).toInt(), 0);
    QCOMPARE(spies.rowsInserted.first().at(2).toInt(), 3);
    topics.setSnapshot(nullptr);
    QCOMPARE(spies.rowsRemoved.count(), 1);
    QCOMPARE(spies.rowsRemoved.first().at(2).toInt(), 3);
    QCOMPARE(topics.rowCount(), 0);
    topics.setSnapshot(baseSnapshot());
    QCOMPARE(spies.rowsInserted.count(), 2);
    QCOMPARE(spies.modelReset.count(), 0);
    QCOMPARE(spies.dataChanged.count(), 0);
}

void TestItemModels::selectionSurvivesRefresh()
{
    TopicTableModel topics;
    QItemSelectionModel selection(&topics);
    SnapshotPtr first = baseSnapshot();
    topics.setSnapshot(first);
    const int ordersRow = topics.rowForTopic(QStringLiteral("orders"));
    selection.select(topics.index(ordersRow, 0),
                     QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    selection.setCurrentIndex(topics.index(ordersRow, 0), QItemSelectionModel::NoUpdate);

    auto second = next(first);
    insertSorted(*second, makeTopic(QStringLiteral("aardvark"), 1)); // before orders
    removeTopic(*second, QStringLiteral("billing"));                 // before orders
    removeTopic(*second, QStringLiteral("users"));                   // after orders
    topicNamed(*second, QStringLiteral("orders")).partitions[0].logEndOffset = 1000;
    topics.setSnapshot(second);

    const QModelIndexList rows = selection.selectedRows();
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().data().toString(), QStringLiteral("orders"));
    QCOMPARE(rows.first().row(), topics.rowForTopic(QStringLiteral("orders")));
    QCOMPARE(selection.currentIndex().data().toString(), QStringLiteral("orders"));
    QCOMPARE(selection.selectedIndexes().size(), static_cast<int>(TopicTableModel::ColumnCount));
}

void TestItemModels::proxySortSurvivesRefresh()
{
    TopicTableModel topics;
    TopicFilterProxyModel proxy;
    proxy.setSourceModel(&topics);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    auto first = baseSnapshot();
    // Sizes chosen so that text order differs from numeric order: 900 B < 10 KiB < 2 MiB < 3 GiB.
    topicNamed(*first, QStringLiteral("billing")) = makeTopic(QStringLiteral("billing"), 3, 300);
    topicNamed(*first, QStringLiteral("orders")) =
        makeTopic(QStringLiteral("orders"), 3, 10 * 1024 / 3 + 1);
    topicNamed(*first, QStringLiteral("payments")) =
        makeTopic(QStringLiteral("payments"), 2, 1024 * 1024);
    topicNamed(*first, QStringLiteral("users")) =
        makeTopic(QStringLiteral("users"), 3, 1024LL * 1024 * 1024);
    topics.setSnapshot(first);
    proxy.sort(TopicTableModel::SizeColumn, Qt::DescendingOrder);
    QCOMPARE(columnTexts(proxy, TopicTableModel::NameColumn),
             QStringList({"users", "payments", "orders", "billing"}));
    QCOMPARE(columnTexts(proxy, TopicTableModel::SizeColumn),
             QStringList({"3.0 GiB", "2.0 MiB", "10.0 KiB", "900 B"}));

    QItemSelectionModel selection(&proxy);
    selection.select(proxy.index(1, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

    Spies spies(&topics);
    auto second = next(first);
    // billing grows past payments; a new mid-sized topic appears; users disappears.
    for (PartitionRow& p : topicNamed(*second, QStringLiteral("billing")).partitions) {
        p.replicaSizeBytes[p.leader] = 5LL * 1024 * 1024;
    }
    insertSorted(*second, makeTopic(QStringLiteral("audit"), 1, 50 * 1024));
    removeTopic(*second, QStringLiteral("users"));
    topics.setSnapshot(second);
    QCOMPARE(spies.modelReset.count(), 0);
    QCOMPARE(proxy.sortColumn(), static_cast<int>(TopicTableModel::SizeColumn));
    QCOMPARE(proxy.sortOrder(), Qt::DescendingOrder);
    QCOMPARE(columnTexts(proxy, TopicTableModel::NameColumn),
             QStringList({"billing", "payments", "audit", "orders"}));
    const QModelIndexList selected = selection.selectedRows();
    QCOMPARE(selected.size(), 1);
    QCOMPARE(selected.first().data().toString(), QStringLiteral("payments"));
}

void TestItemModels::filter_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<bool>("valid");
    QTest::newRow("empty") << QString() << QStringList({"billing", "orders", "payments", "users"}) << true;
    QTest::newRow("substring") << QStringLiteral("ers") << QStringList({"orders", "users"}) << true;
    QTest::newRow("case-insensitive") << QStringLiteral("ORD") << QStringList({"orders"}) << true;
    QTest::newRow("no match") << QStringLiteral("xyz") << QStringList() << true;
    QTest::newRow("dot is literal") << QStringLiteral(".") << QStringList() << true;
    QTest::newRow("regex anchor") << QStringLiteral("/^[bp]") << QStringList({"billing", "payments"}) << true;
    QTest::newRow("regex case-insensitive") << QStringLiteral("/S$") << QStringList({"orders", "payments", "users"}) << true;
    QTest::newRow("invalid regex shows all") << QStringLiteral("/(") << QStringList({"billing", "orders", "payments", "users"}) << false;
}

void TestItemModels::filter()
{
    QFETCH(QString, text);
    QFETCH(QStringList, expected);
    QFETCH(bool, valid);
    TopicTableModel topics;
    TopicFilterProxyModel proxy;
    proxy.setSourceModel(&topics);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::Fatal);
    topics.setSnapshot(baseSnapshot());
    proxy.setFilterText(QStringLiteral("/S$")); // a regex first, so switching back is exercised
    proxy.setFilterText(text);
    proxy.sort(TopicTableModel::NameColumn);
    QCOMPARE(columnTexts(proxy, TopicTableModel::NameColumn), expected);
    QCOMPARE(proxy.filterValid(), valid);
    QCOMPARE(proxy.filterError().isEmpty(), valid);
}

void TestItemModels::formatBytes_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("unknown") << qint64(-1) << QStringLiteral("\u2014");
    QTest::newRow("zero") << qint64(0) << QStringLiteral("0 B");
    QTest::newRow("bytes") << qint64(1023) << QStringLiteral("1023 B");
    QTest::newRow("1 KiB") << qint64(1024) << QStringLiteral("1.0 KiB");
    QTest::newRow("1.5 KiB") << qint64(1536) << QStringLiteral("1.5 KiB");
    QTest::newRow("MiB") << qint64(5 * 1024 * 1024 + 512 * 1024) << QStringLiteral("5.5 MiB");
    QTest::newRow("GiB") << qint64(3) * 1024 * 1024 * 1024 << QStringLiteral("3.0 GiB");
    QTest::newRow("TiB") << qint64(2) * 1024 * 1024 * 1024 * 1024 << QStringLiteral("2.0 TiB");
}

void TestItemModels::formatBytes()
{
    QFETCH(qint64, bytes);
    QFETCH(QString, text);
    QCOMPARE(faultline::models::formatBytes(bytes), text);
}

void TestItemModels::partitionCells_data()
{
    QTest::addColumn<PartitionRow>("row");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("display");
    QTest::addColumn<QVariant>("sort");
    const PartitionRow healthy = makePartition(0, 2, {2, 3, 1}, {2, 3, 1}, 10, 110, 2048);
    PartitionRow offline = makePartition(0, -1, {2, 3}, {}, -1, -1, -1);
    offline.offlineReplicas = {2, 3};
    QTest::newRow("partition") << healthy << int(PartitionTableModel::PartitionColumn) << "0" << QVariant(0);
    QTest::newRow("leader") << healthy << int(PartitionTableModel::LeaderColumn) << "2" << QVariant(2);
    QTest::newRow("replicas mark leader") << healthy << int(PartitionTableModel::ReplicasColumn)
                                          << "2 (L), 3, 1" << QVariant(3);
    QTest::newRow("isr") << healthy << int(PartitionTableModel::IsrColumn) << "2, 3, 1" << QVariant(3);
    QTest::newRow("no offline replicas") << healthy << int(PartitionTableModel::OfflineReplicasColumn) << "" << QVariant(0);
    QTest::newRow("log start") << healthy << int(PartitionTableModel::LogStartColumn) << "10" << QVariant(qint64(10));
    QTest::newRow("log end") << healthy << int(PartitionTableModel::LogEndColumn) << "110" << QVariant(qint64(110));
    QTest::newRow("messages") << healthy << int(PartitionTableModel::MessagesColumn) << "100" << QVariant(qint64(100));
    QTest::newRow("size per replica") << healthy << int(PartitionTableModel::ReplicaSizeColumn)
                                      << "2: 2.0 KiB, 3: 2.0 KiB, 1: 2.0 KiB" << QVariant(qint64(2048));
    QTest::newRow("offline leader") << offline << int(PartitionTableModel::LeaderColumn) << "\u2014" << QVariant(-1);
    QTest::newRow("offline no (L)") << offline << int(PartitionTableModel::ReplicasColumn) << "2, 3" << QVariant(2);
    QTest::newRow("empty isr") << offline << int(PartitionTableModel::IsrColumn) << "\u2014" << QVariant(0);
    QTest::newRow("offline replicas") << offline << int(PartitionTableModel::OfflineReplicasColumn) << "2, 3" << QVariant(2);
    QTest::newRow("unknown start") << offline << int(PartitionTableModel::LogStartColumn) << "\u2014" << QVariant(qint64(-1));
    QTest::newRow("unknown messages") << offline << int(PartitionTableModel::MessagesColumn) << "\u2014" << QVariant(qint64(-1));
    QTest::newRow("unknown size") << offline << int(PartitionTableModel::ReplicaSizeColumn) << "\u2014" << QVariant(qint64(-1));
}

void TestItemModels::partitionCells()
{
    QFETCH(PartitionRow, row);
    QFETCH(int, column);
    QFETCH(QString, display);
    QFETCH(QVariant, sort);
    auto s = baseSnapshot();
    topicNamed(*s, QStringLiteral("orders")).partitions = {row};
    PartitionTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setTopic(QStringLiteral("orders"));
    model.setSnapshot(s);
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex index = model.index(0, column);
    QCOMPARE(model.data(index).toString(), display);
    QCOMPARE(model.data(index, SortRole), sort);
    QCOMPARE(model.data(index, KeyRole), QVariant(row.partition));
    QVERIFY(!model.headerData(column, Qt::Horizontal).toString().isEmpty());
}

void TestItemModels::highlighting_data()
{
    QTest::addColumn<PartitionRow>("row");
    QTest::addColumn<int>("health"); // RowHealth of the partition row and of its topic's row
    QTest::newRow("healthy") << makePartition(0, 1, {1, 2}, {1, 2}, 0, 1, 1) << int(RowHealth::Normal);
    QTest::newRow("under-replicated") << makePartition(0, 1, {1, 2}, {1}, 0, 1, 1)
                                      << int(RowHealth::UnderReplicated);
    QTest::newRow("offline") << makePartition(0, -1, {1, 2}, {}, 0, 1, 1) << int(RowHealth::Offline);
    QTest::newRow("offline wins") << makePartition(0, -1, {1, 2}, {1}, 0, 1, 1) << int(RowHealth::Offline);
}

void TestItemModels::highlighting()
{
    QFETCH(PartitionRow, row);
    QFETCH(int, health);
    auto s = baseSnapshot();
    topicNamed(*s, QStringLiteral("orders")).partitions.push_back(row);
    topicNamed(*s, QStringLiteral("orders")).partitions.back().partition = 3;
    PartitionTableModel partitions;
    TopicTableModel topics;
    partitions.setTopic(QStringLiteral("orders"));
    partitions.setSnapshot(s);
    topics.setSnapshot(s);
    const auto expected = static_cast<RowHealth>(health);
    for (int column = 0; column < PartitionTableModel::ColumnCount; ++column) {
        const QModelIndex flagged = partitions.index(3, column);
        QCOMPARE(partitions.data(flagged, HealthRole).toInt(), health);
        QCOMPARE(partitions.data(flagged, Qt::BackgroundRole), healthBackground(expected));
        QCOMPARE(partitions.data(flagged, Qt::ForegroundRole), healthForeground(expected));
        QCOMPARE(partitions.data(partitions.index(0, column), HealthRole).toInt(), int(RowHealth::Normal));
        QCOMPARE(partitions.data(partitions.index(0, column), Qt::BackgroundRole), QVariant());
    }
    const int ordersRow = topics.rowForTopic(QStringLiteral("orders"));
    QCOMPARE(topics.data(topics.index(ordersRow, TopicTableModel::SizeColumn), HealthRole).toInt(), health);
    QCOMPARE(topics.data(topics.index(ordersRow, TopicTableModel::SizeColumn), Qt::BackgroundRole),
             healthBackground(expected));
    QCOMPARE(topics.data(topics.index(0, TopicTableModel::SizeColumn), HealthRole).toInt(), int(RowHealth::Normal));
    QCOMPARE(topics.data(topics.index(0, TopicTableModel::SizeColumn), Qt::BackgroundRole), QVariant());
}

void TestItemModels::healthColors()
{
    // Normal rows are never coloured; the three states get three distinct colours.
    QCOMPARE(healthBackground(RowHealth::Normal), QVariant());
    QCOMPARE(healthForeground(RowHealth::Normal), QVariant());
    const QVariant red = healthBackground(RowHealth::Offline);
    const QVariant amber = healthBackground(RowHealth::UnderReplicated);
    const QVariant grey = healthBackground(RowHealth::Down);
    for (const QVariant& colour : {red, amber, grey}) {
        QVERIFY(colour.isValid());
        QCOMPARE(colour.metaType().id(), int(QMetaType::QColor));
    }
    QVERIFY(red != amber);
    QVERIFY(amber != grey);
}

void TestItemModels::brokerCells()
{
    auto s = baseSnapshot();
    s->brokers[1].status = BrokerStatus::Down;
    s->brokers[2].faultDomain = -1;
    s->brokers[2].rack.clear();
    s->brokers[2].diskBytes = -1;
    BrokerTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setSnapshot(s);
    QCOMPARE(columnTexts(model, BrokerTableModel::IdColumn), QStringList({"1", "2", "3"}));
    QCOMPARE(columnTexts(model, BrokerTableModel::AddressColumn),
             QStringList({"127.0.0.1:9091", "127.0.0.1:9092", "127.0.0.1:9093"}));
    QCOMPARE(columnTexts(model, BrokerTableModel::RackColumn), QStringList({"FD0UD1", "FD1UD0", "\u2014"}));
    QCOMPARE(columnTexts(model, BrokerTableModel::FaultDomainColumn), QStringList({"0", "1", "\u2014"}));
    QCOMPARE(columnTexts(model, BrokerTableModel::ControllerColumn), QStringList({"Yes", "", ""}));
    QCOMPARE(columnTexts(model, BrokerTableModel::DiskColumn), QStringList({"3.0 MiB", "3.0 MiB", "\u2014"}));
    QCOMPARE(columnTexts(model, BrokerTableModel::StateColumn), QStringList({"Up", "Down", "Up"}));
    QCOMPARE(model.data(model.index(2, BrokerTableModel::DiskColumn), SortRole), QVariant(qint64(-1)));
    QCOMPARE(model.data(model.index(1, BrokerTableModel::IdColumn), KeyRole), QVariant(2));
    QCOMPARE(model.data(model.index(1, BrokerTableModel::IdColumn), HealthRole).toInt(), int(RowHealth::Down));
    QCOMPARE(model.data(model.index(1, BrokerTableModel::IdColumn), Qt::ForegroundRole),
             healthForeground(RowHealth::Down));
    QCOMPARE(model.data(model.index(0, BrokerTableModel::IdColumn), HealthRole).toInt(), int(RowHealth::Normal));
    QCOMPARE(model.data(model.index(0, BrokerTableModel::IdColumn), Qt::ForegroundRole), QVariant());
    QCOMPARE(model.headerData(BrokerTableModel::FaultDomainColumn, Qt::Horizontal).toString(), QStringLiteral("FD"));

    // A broker going down changes its highlight: the whole row is signalled, once.
    Spies spies(&model);
    auto second = next(s);
    second->brokers[0].status = BrokerStatus::Down;
    model.setSnapshot(second);
    QCOMPARE(spies.dataChanged.count(), 1);
    QCOMPARE(spies.dataChanged.first().at(0).toModelIndex(), model.index(0, 0));
    QCOMPARE(spies.dataChanged.first().at(1).toModelIndex(), model.index(0, BrokerTableModel::ColumnCount - 1));
}

void TestItemModels::groupAndOffsetRefresh()
{
    GroupTableModel groups;
    GroupOffsetTableModel offsets;
    QAbstractItemModelTester t1(&groups, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester t2(&offsets, QAbstractItemModelTester::FailureReportingMode::Fatal);
    offsets.setGroup(QStringLiteral("g-orders"));
    SnapshotPtr first = baseSnapshot();
    groups.setSnapshot(first);
    offsets.setSnapshot(first);
    QCOMPARE(columnTexts(groups, GroupTableModel::GroupColumn), QStringList({"g-billing", "g-orders"}));
    QCOMPARE(columnTexts(groups, GroupTableModel::TotalLagColumn), QStringList({"15", "60"}));
    QCOMPARE(columnTexts(groups, GroupTableModel::ProtocolColumn), QStringList({"range", "range"}));
    QCOMPARE(columnTexts(offsets, GroupOffsetTableModel::TopicColumn),
             QStringList({"orders", "orders", "orders", "payments", "payments", "payments"}));
    QCOMPARE(columnTexts(offsets, GroupOffsetTableModel::LagColumn),
             QStringList({"10", "10", "10", "10", "10", "10"}));
    QCOMPARE(offsets.data(offsets.index(4, 0), KeyRole),
             QVariant(QVariantList{QStringLiteral("payments"), 1}));
    QCOMPARE(offsets.rowFor(QStringLiteral("payments"), 2), 5);

    Spies g(&groups);
    Spies o(&offsets);
    auto second = next(first);
    GroupRow& gOrders = second->groups[1];
    gOrders.offsets[4].committedOffset = 100; // payments-1 caught up
    gOrders.offsets[5].committedOffset = -1;  // payments-2 lost its commit
    groups.setSnapshot(second);
    offsets.setSnapshot(second);
    QCOMPARE(o.dataChanged.count(), 1);
    QCOMPARE(o.dataChanged.first().at(0).toModelIndex(),
             offsets.index(4, GroupOffsetTableModel::CommittedColumn));
    QCOMPARE(o.dataChanged.first().at(1).toModelIndex(),
             offsets.index(5, GroupOffsetTableModel::LagColumn));
    QCOMPARE(columnTexts(offsets, GroupOffsetTableModel::LagColumn),
             QStringList({"10", "10", "10", "10", "0", "\u2014"}));
    QCOMPARE(columnTexts(offsets, GroupOffsetTableModel::CommittedColumn).last(), QStringLiteral("\u2014"));
    QCOMPARE(g.dataChanged.count(), 1);
    QCOMPARE(g.dataChanged.first().at(0).toModelIndex(), groups.index(1, GroupTableModel::TotalLagColumn));
    QCOMPARE(g.dataChanged.first().at(1).toModelIndex(), groups.index(1, GroupTableModel::TotalLagColumn));
    QCOMPARE(groups.data(groups.index(1, GroupTableModel::TotalLagColumn)).toString(), QStringLiteral("40"));
    QCOMPARE(groups.data(groups.index(1, GroupTableModel::TotalLagColumn), SortRole), QVariant(qint64(40)));
    for (Spies* spies : {&g, &o}) {
        QCOMPARE(spies->modelReset.count(), 0);
        QCOMPARE(spies->rowsInserted.count(), 0);
        QCOMPARE(spies->rowsRemoved.count(), 0);
    }

    // The group disappears: its offset rows are removed in one range, not reset.
    auto third = next(second);
    third->groups.removeLast();
    offsets.setSnapshot(third);
    groups.setSnapshot(third);
    QCOMPARE(o.rowsRemoved.count(), 1);
    QCOMPARE(o.modelReset.count(), 0);
    QCOMPARE(offsets.rowCount(), 0);
    QCOMPARE(g.rowsRemoved.count(), 1);
    QCOMPARE(groups.rowCount(), 1);
}

void TestItemModels::switchingTopicResets()
{
    PartitionTableModel partitions;
    QAbstractItemModelTester tester(&partitions, QAbstractItemModelTester::FailureReportingMode::Fatal);
    auto s = baseSnapshot();
    topicNamed(*s, QStringLiteral("users")) = makeTopic(QStringLiteral("users"), 7);
    partitions.setSnapshot(s); // no topic yet: empty
    QCOMPARE(partitions.rowCount(), 0);
    Spies spies(&partitions);
    partitions.setTopic(QStringLiteral("users"));
    QCOMPARE(spies.modelReset.count(), 1);
    QCOMPARE(partitions.rowCount(), 7);
    partitions.setTopic(QStringLiteral("users")); // same topic: nothing
    QCOMPARE(spies.modelReset.count(), 1);
    partitions.setTopic(QStringLiteral("orders"));
    QCOMPARE(spies.modelReset.count(), 2);
    QCOMPARE(partitions.rowCount(), 3);
    QCOMPARE(partitions.topic(), QStringLiteral("orders"));
    partitions.setTopic(QStringLiteral("missing"));
    QCOMPARE(partitions.rowCount(), 0);
}

namespace {

struct RecordingSink {
    std::vector<int>* rows = nullptr;       // the diffed list, to check consistency at each step
    std::vector<int> shadow;                // replay of the signals on the old keys
    const std::vector<int>* next = nullptr; // final keys
    int removeSignals = 0;
    int insertSignals = 0;
    std::vector<IndexSpan> changedRanges;
    int pendingFirst = -1;
    int pendingLast = -1;
    void beginRemove(int first, int last) { pendingFirst = first; pendingLast = last; }
    void endRemove()
    {
        shadow.erase(shadow.begin() + pendingFirst, shadow.begin() + pendingLast + 1);
        ++removeSignals;
        QCOMPARE(*rows, shadow);
    }
    void beginInsert(int first, int last) { pendingFirst = first; pendingLast = last; }
    void endInsert()
    {
        shadow.insert(shadow.begin() + pendingFirst, next->begin() + pendingFirst,
                      next->begin() + pendingLast + 1);
        ++insertSignals;
        QCOMPARE(*rows, shadow);
    }
    void changed(int firstRow, int lastRow, int, int) { changedRanges.push_back({firstRow, lastRow}); }
};

} // namespace

void TestItemModels::keyedDiffMatchesReference()
{
    // Keys are ints; the "value" of a key is its version in a side table: changed keys are those
    // whose version bumped. The replayed signals must turn the old list into the new one.
    QRandomGenerator random(7);
    for (int round = 0; round < 300; ++round) {
        std::vector<int> oldKeys;
        std::vector<int> newKeys;
        std::vector<int> oldVersion(200, 0);
        std::vector<int> newVersion(200, 0);
        for (int key = 0; key < 200; ++key) {
            const int presence = random.bounded(10);
            if (presence < 7 || presence == 7) {
                oldKeys.push_back(key);
            }
            if (presence < 7 || presence == 8) {
                newKeys.push_back(key);
            }
            newVersion[static_cast<std::size_t>(key)] = random.bounded(5) == 0 ? 1 : 0;
        }
        std::vector<int> rows = oldKeys;
        RecordingSink sink;
        sink.rows = &rows;
        sink.shadow = oldKeys;
        sink.next = &newKeys;
        std::vector<int> next = newKeys;
        applyKeyedDiff(
            rows, std::move(next), [](int a, int b) { return compareKeys(a, b); },
            [&](int before, int after) {
                Q_ASSERT(before == after);
                const auto k = static_cast<std::size_t>(before);
                return oldVersion[k] != newVersion[k] ? IndexSpan{0, 0} : IndexSpan{};
            },
            sink);
        QCOMPARE(rows, newKeys);
        // Every changed surviving key is signalled exactly once, in maximal contiguous ranges.
        std::vector<int> expectedChanged;
        for (std::size_t i = 0; i < newKeys.size(); ++i) {
            const auto k = static_cast<std::size_t>(newKeys[i]);
            const bool survived = std::binary_search(oldKeys.begin(), oldKeys.end(), newKeys[i]);
            if (survived && oldVersion[k] != newVersion[k]) {
                expectedChanged.push_back(static_cast<int>(i));
            }
        }
        std::vector<int> signalled;
        for (std::size_t c = 0; c < sink.changedRanges.size(); ++c) {
            for (int r = sink.changedRanges[c].first; r <= sink.changedRanges[c].last; ++r) {
                signalled.push_back(r);
            }
            if (c > 0) {
                QVERIFY(sink.changedRanges[c].first > sink.changedRanges[c - 1].last + 1); // maximal ranges
            }
        }
        QCOMPARE(signalled, expectedChanged);
    }
}

QTEST_MAIN(TestItemModels)
#include "test_item_models.moc"
