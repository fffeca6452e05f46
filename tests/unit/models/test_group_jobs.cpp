// ResetOffsetsJob against an in-process three-broker engine: preview and apply on an Empty group
// whose offsets a librdkafka consumer committed, and refusal while a consumer is active.
#include "models/group_jobs.h"
#include "models/rdkafka_handle.h"
#include "models/topic_jobs.h"
#include "tests/support/test_engine.h"

#include <QtTest>

using namespace faultline;
using namespace faultline::models;

using OffsetMap = QHash<QPair<QString, int>, qint64>;
using ExpectedRows = QList<QList<qint64>>; // {partition, current, new}

namespace {

class TestContext : public JobContext {
public:
    KafkaClient& client() override { qFatal("group jobs must not use the session's KafkaClient"); }
    [[nodiscard]] bool cancelled() const override { return false; }
    void progress(int, const QString&) override {}
};

constexpr int kPerPartition = 10;

} // namespace

class TestGroupJobs : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void preview_data();
    void preview();
    void applyThenReadBack();
    void refusesActiveGroup();
    void unknownTopicFails();

private:
    [[nodiscard]] JobResult reset(const QString& group, OffsetResetTarget target, bool preview,
                                  QStringList topics = {"orders"});
    [[nodiscard]] std::unique_ptr<RdKafkaHandle> consumer(const QString& group);

    testsupport::TestEngine m_engine;
    ConnectionProfile m_profile;
    qint64 m_midTimestamp = 0; // messages 5.. of each partition have timestamps at or after it
};

JobResult TestGroupJobs::reset(const QString& group, OffsetResetTarget target, bool preview,
                               QStringList topics) {
    ResetOffsetsJob job(m_profile, {}, group, std::move(topics), std::move(target), preview);
    TestContext context;
    return job.run(context);
}

std::unique_ptr<RdKafkaHandle> TestGroupJobs::consumer(const QString& group) {
    auto handle = RdKafkaHandle::create(RD_KAFKA_CONSUMER, m_profile, {},
                                        {{"group.id", group},
                                         {"enable.auto.commit", "false"},
                                         {"auto.offset.reset", "earliest"},
                                         {"session.timeout.ms", "10000"}});
    if (!handle)
        return nullptr;
    return std::move(*handle);
}

void TestGroupJobs::initTestCase() {
    const auto started = m_engine.start();
    QVERIFY2(started, qPrintable(started ? QString() : started.error()));
    m_profile.bootstrapServers = m_engine.bootstrap();

    CreateTopicJob create(m_profile, {}, "orders", 3, 3);
    TestContext context;
    const JobResult created = create.run(context);
    QVERIFY2(created.ok, qPrintable(created.summary + " / " + created.detail));

    // Ten messages per partition; the second five are stamped after m_midTimestamp.
    auto producer = RdKafkaHandle::create(RD_KAFKA_PRODUCER, m_profile, {}, {{"acks", "all"}});
    QVERIFY(producer.has_value());
    rd_kafka_t* rk = (*producer)->get();
    const qint64 base = QDateTime::currentMSecsSinceEpoch() - 60000;
    m_midTimestamp = base + 5000;
    for (int p = 0; p < 3; ++p) {
        for (int i = 0; i < kPerPartition; ++i) {
            const QByteArray value = QByteArray("order-") + QByteArray::number(i);
            QCOMPARE(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("orders"), RD_KAFKA_V_PARTITION(p),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                       RD_KAFKA_V_VALUE(const_cast<char*>(value.constData()),
                                                        static_cast<size_t>(value.size())),
                                       RD_KAFKA_V_TIMESTAMP(base + i * 1000), RD_KAFKA_V_END),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
            // One batch per message: the engine answers ListOffsets-by-time per batch (see the
            // report), Kafka per record; single-record batches make both agree.
            QCOMPARE(rd_kafka_flush(rk, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
        }
    }

    // Group "settled" consumes, commits 4 / 5 / 6 and leaves: it is Empty afterwards.
    std::unique_ptr<RdKafkaHandle> c = consumer("settled");
    QVERIFY(c);
    RdKafkaPartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), "orders", RD_KAFKA_PARTITION_UA);
    QCOMPARE(rd_kafka_subscribe(c->get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
    int consumed = 0;
    QElapsedTimer clock;
    clock.start();
    while (consumed < 3 * kPerPartition && clock.elapsed() < 30000) {
        RdKafkaMessagePtr message(rd_kafka_consumer_poll(c->get(), 200));
        if (message && !message->err)
            ++consumed;
    }
    QCOMPARE(consumed, 3 * kPerPartition);
    RdKafkaPartitionListPtr commit(rd_kafka_topic_partition_list_new(3));
    for (int p = 0; p < 3; ++p)
        rd_kafka_topic_partition_list_add(commit.get(), "orders", p)->offset = 4 + p;
    QCOMPARE(rd_kafka_commit(c->get(), commit.get(), 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    c.reset(); // closes: leaves the group
}

void TestGroupJobs::cleanupTestCase() {
    m_engine.stop();
}

void TestGroupJobs::preview_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<qint64>("timestamp");
    QTest::addColumn<OffsetMap>("explicitOffsets");
    QTest::addColumn<ExpectedRows>("expected");
    QTest::newRow("earliest") << int(ResetMode::Earliest) << qint64(0) << OffsetMap{}
                              << ExpectedRows{{0, 4, 0}, {1, 5, 0}, {2, 6, 0}};
    QTest::newRow("latest") << int(ResetMode::Latest) << qint64(0) << OffsetMap{}
                            << ExpectedRows{{0, 4, 10}, {1, 5, 10}, {2, 6, 10}};
    QTest::newRow("timestamp middle") << int(ResetMode::Timestamp) << qint64(-1) << OffsetMap{}
                                      << ExpectedRows{{0, 4, 5}, {1, 5, 5}, {2, 6, 5}};
    QTest::newRow("timestamp future") << int(ResetMode::Timestamp) << qint64(-2) << OffsetMap{}
                                      << ExpectedRows{{0, 4, 10}, {1, 5, 10}, {2, 6, 10}};
    QTest::newRow("explicit one") << int(ResetMode::Explicit) << qint64(0)
                                  << OffsetMap{{{"orders", 1}, 7}} << ExpectedRows{{1, 5, 7}};
    QTest::newRow("explicit clamped") << int(ResetMode::Explicit) << qint64(0)
                                      << OffsetMap{{{"orders", 0}, 99}, {{"orders", 2}, -5}}
                                      << ExpectedRows{{0, 4, 10}, {2, 6, 0}};
}

void TestGroupJobs::preview() {
    QFETCH(int, mode);
    QFETCH(qint64, timestamp);
    QFETCH(OffsetMap, explicitOffsets);
    QFETCH(ExpectedRows, expected);
    if (timestamp == -1)
        timestamp = m_midTimestamp;
    else if (timestamp == -2)
        timestamp = QDateTime::currentMSecsSinceEpoch() + 3600000;
    const OffsetResetTarget target{static_cast<ResetMode>(mode), timestamp, explicitOffsets};

    const JobResult result = reset("settled", target, true);
    QVERIFY2(result.ok, qPrintable(result.summary + " / " + result.detail));
    QVERIFY(result.summary.startsWith("Preview"));
    const auto rows = result.value.value<QList<OffsetResetRow>>();
    QCOMPARE(rows.size(), expected.size());
    for (qsizetype i = 0; i < rows.size(); ++i) {
        QCOMPARE(rows[i].topic, QStringLiteral("orders"));
        QCOMPARE(rows[i].partition, int(expected[i][0]));
        QCOMPARE(rows[i].currentOffset, expected[i][1]);
        QCOMPARE(rows[i].newOffset, expected[i][2]);
    }
}

void TestGroupJobs::applyThenReadBack() {
    // A preview committed nothing: the group still has 4 / 5 / 6.
    JobResult check = reset("settled", OffsetResetTarget::latest(), true);
    QVERIFY(check.ok);
    QCOMPARE(check.value.value<QList<OffsetResetRow>>().front().currentOffset, 4);

    const JobResult applied = reset("settled", OffsetResetTarget::latest(), false);
    QVERIFY2(applied.ok, qPrintable(applied.summary + " / " + applied.detail));
    QCOMPARE(applied.summary, QStringLiteral("Reset offsets of group settled on 3 partitions"));

    check = reset("settled", OffsetResetTarget::earliest(), true);
    QVERIFY(check.ok);
    for (const OffsetResetRow& row : check.value.value<QList<OffsetResetRow>>())
        QCOMPARE(row.currentOffset, 10);

    const JobResult back =
        reset("settled", OffsetResetTarget::explicitOffsets({{{"orders", 2}, 3}}), false);
    QVERIFY2(back.ok, qPrintable(back.summary + " / " + back.detail));
    check = reset("settled", OffsetResetTarget::earliest(), true);
    const auto rows = check.value.value<QList<OffsetResetRow>>();
    QCOMPARE(rows.size(), 3);
    QCOMPARE(rows[0].currentOffset, 10);
    QCOMPARE(rows[2].currentOffset, 3);

    // A group that never existed may be given offsets too (Kafka's tool allows Dead groups).
    const JobResult fresh = reset("brand-new", OffsetResetTarget::earliest(), false);
    QVERIFY2(fresh.ok, qPrintable(fresh.summary + " / " + fresh.detail));
    check = reset("brand-new", OffsetResetTarget::latest(), true);
    QVERIFY(check.ok);
    QCOMPARE(check.value.value<QList<OffsetResetRow>>().front().currentOffset, 0);
}

void TestGroupJobs::refusesActiveGroup() {
    std::unique_ptr<RdKafkaHandle> c = consumer("active");
    QVERIFY(c);
    RdKafkaPartitionListPtr topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), "orders", RD_KAFKA_PARTITION_UA);
    QCOMPARE(rd_kafka_subscribe(c->get(), topics.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
    int consumed = 0;
    QElapsedTimer clock;
    clock.start();
    while (consumed < 3 * kPerPartition && clock.elapsed() < 30000) {
        RdKafkaMessagePtr message(rd_kafka_consumer_poll(c->get(), 200));
        if (message && !message->err)
            ++consumed;
    }
    QCOMPARE(consumed, 3 * kPerPartition); // a member with partitions: the group is Stable

    const JobResult result = reset("active", OffsetResetTarget::earliest(), true);
    QVERIFY(!result.ok);
    QCOMPARE(result.errorName, QStringLiteral("NON_EMPTY_GROUP"));
    QVERIFY2(result.summary.contains("Stable"), qPrintable(result.summary));
    QVERIFY(result.detail.contains("Empty"));
    const JobResult apply = reset("active", OffsetResetTarget::earliest(), false);
    QVERIFY(!apply.ok);
    QCOMPARE(apply.errorName, QStringLiteral("NON_EMPTY_GROUP"));
}

void TestGroupJobs::unknownTopicFails() {
    const JobResult result =
        reset("settled", OffsetResetTarget::earliest(), true, {"no-such-topic"});
    QVERIFY(!result.ok);
    QCOMPARE(result.errorName, QStringLiteral("UNKNOWN_TOPIC_OR_PARTITION"));
}

QTEST_GUILESS_MAIN(TestGroupJobs)
#include "test_group_jobs.moc"
