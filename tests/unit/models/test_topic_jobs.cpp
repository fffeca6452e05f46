// Topic jobs (create, describe config, alter config, add partitions, delete) against an
// in-process three-broker engine, through librdkafka's admin API.
#include "models/rdkafka_handle.h"
#include "models/topic_jobs.h"
#include "tests/support/test_engine.h"

#include <QtTest>

using namespace faultline;
using namespace faultline::models;

using ConfigMap = QMap<QString, QString>;

namespace {

class TestContext : public JobContext {
public:
    KafkaClient& client() override { qFatal("topic jobs must not use the session's KafkaClient"); }
    [[nodiscard]] bool cancelled() const override { return m_cancelled; }
    void progress(int percent, const QString&) override { m_percents.append(percent); }
    bool m_cancelled = false;
    QList<int> m_percents;
};

} // namespace

class TestTopicJobs : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void createTopic_data();
    void createTopic();
    void createTopicFailures_data();
    void createTopicFailures();
    void alterConfigKeepsOtherOverrides();
    void addPartitions();
    void deleteTopic();
    void cancelledJobStops();
    void unreachableClusterFails();

private:
    [[nodiscard]] JobResult run(Job& job);
    [[nodiscard]] QList<ConfigEntryRow> describe(const QString& topic);
    [[nodiscard]] int partitionCount(const QString& topic, QString* errorName = nullptr);

    testsupport::TestEngine m_engine;
    ConnectionProfile m_profile;
};

JobResult TestTopicJobs::run(Job& job) {
    TestContext context;
    JobResult result = job.run(context);
    if (result.ok) {
        // A successful job reports progress and ends at 100.
        if (context.m_percents.isEmpty() || context.m_percents.back() != 100)
            qWarning() << "progress did not end at 100 for" << job.title();
    }
    return result;
}

QList<ConfigEntryRow> TestTopicJobs::describe(const QString& topic) {
    DescribeTopicConfigJob job(m_profile, {}, topic);
    const JobResult result = run(job);
    if (!result.ok)
        qWarning() << result.summary << result.detail;
    return result.value.value<QList<ConfigEntryRow>>();
}

int TestTopicJobs::partitionCount(const QString& topic, QString* errorName) {
    auto handle = RdKafkaHandle::create(RD_KAFKA_PRODUCER, m_profile, {},
                                        {{"allow.auto.create.topics", "false"}});
    if (!handle)
        return -1;
    auto metadata = (*handle)->topicMetadata(topic, 10000);
    if (!metadata) {
        if (errorName)
            *errorName = metadata.error().name;
        return -1;
    }
    return (*metadata)->topics[0].partition_cnt;
}

void TestTopicJobs::initTestCase() {
    const auto started = m_engine.start();
    QVERIFY2(started, qPrintable(started ? QString() : started.error()));
    m_profile.name = QStringLiteral("sandbox");
    m_profile.bootstrapServers = m_engine.bootstrap();
}

void TestTopicJobs::cleanupTestCase() {
    m_engine.stop();
}

void TestTopicJobs::createTopic_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("partitions");
    QTest::addColumn<int>("rf");
    QTest::addColumn<ConfigMap>("configs");
    QTest::newRow("plain") << "plain" << 3 << 3 << ConfigMap{};
    QTest::newRow("one replica") << "single" << 1 << 1 << ConfigMap{};
    QTest::newRow("with configs") << "configured" << 2 << 2
                                  << ConfigMap{{"retention.ms", "3600000"},
                                               {"cleanup.policy", "compact"}};
}

void TestTopicJobs::createTopic() {
    QFETCH(QString, name);
    QFETCH(int, partitions);
    QFETCH(int, rf);
    QFETCH(ConfigMap, configs);

    CreateTopicJob job(m_profile, {}, name, partitions, rf, configs);
    QCOMPARE(job.title(), QStringLiteral("Create topic %1").arg(name));
    const JobResult result = run(job);
    QVERIFY2(result.ok, qPrintable(result.summary + " / " + result.detail));
    QVERIFY(result.summary.contains(name));
    QVERIFY(result.errorName.isEmpty());
    QCOMPARE(partitionCount(name), partitions);

    const QList<ConfigEntryRow> rows = describe(name);
    QVERIFY(rows.size() > 5);
    QVERIFY(std::is_sorted(rows.cbegin(), rows.cend(),
                           [](const auto& a, const auto& b) { return a.name < b.name; }));
    for (const ConfigEntryRow& row : rows) {
        if (configs.contains(row.name)) {
            QCOMPARE(row.value, configs.value(row.name));
            QVERIFY(!row.isDefault);
            QCOMPARE(row.source, QStringLiteral("DYNAMIC_TOPIC_CONFIG"));
        } else if (row.name == QLatin1String("retention.ms") ||
                   row.name == QLatin1String("cleanup.policy")) {
            QVERIFY2(row.source != QLatin1String("DYNAMIC_TOPIC_CONFIG"), qPrintable(row.name));
        }
    }
    const auto names = [&rows] {
        QStringList list;
        for (const auto& row : rows)
            list.append(row.name);
        return list;
    }();
    QVERIFY(names.contains("retention.ms"));
    QVERIFY(names.contains("min.insync.replicas"));
}

void TestTopicJobs::createTopicFailures_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("partitions");
    QTest::addColumn<int>("rf");
    QTest::addColumn<QString>("errorName");
    QTest::newRow("exists") << "dup" << 1 << 1 << "TOPIC_ALREADY_EXISTS";
    QTest::newRow("rf above broker count") << "toowide" << 1 << 5 << "INVALID_REPLICATION_FACTOR";
    QTest::newRow("bad name") << "no/slash" << 1 << 1 << "INVALID_TOPIC_EXCEPTION";
}

void TestTopicJobs::createTopicFailures() {
    QFETCH(QString, name);
    QFETCH(int, partitions);
    QFETCH(int, rf);
    QFETCH(QString, errorName);
    if (errorName == QLatin1String("TOPIC_ALREADY_EXISTS")) {
        CreateTopicJob first(m_profile, {}, name, partitions, rf);
        QVERIFY(run(first).ok);
    }
    CreateTopicJob job(m_profile, {}, name, partitions, rf);
    const JobResult result = run(job);
    QVERIFY(!result.ok);
    QCOMPARE(result.errorName, errorName);
    QVERIFY(!result.detail.isEmpty());
    QVERIFY(result.summary.contains(errorName));
}

void TestTopicJobs::alterConfigKeepsOtherOverrides() {
    CreateTopicJob create(m_profile, {}, "altered", 1, 3, {{"retention.ms", "1000000"}});
    QVERIFY(run(create).ok);

    AlterTopicConfigJob set(m_profile, {}, "altered", {{"segment.bytes", "1048576"}});
    const JobResult setResult = run(set);
    QVERIFY2(setResult.ok, qPrintable(setResult.summary + " / " + setResult.detail));
    QVERIFY(setResult.summary.contains("AlterConfigs"));
    QVERIFY(setResult.summary.contains("IncrementalAlterConfigs"));
    const auto sent = setResult.value.value<QMap<QString, QString>>();
    QCOMPARE(sent,
             (QMap<QString, QString>{{"retention.ms", "1000000"}, {"segment.bytes", "1048576"}}));

    auto valueOf = [](const QList<ConfigEntryRow>& rows, const QString& name) {
        for (const auto& row : rows)
            if (row.name == name)
                return row;
        return ConfigEntryRow{};
    };
    QList<ConfigEntryRow> rows = describe("altered");
    QCOMPARE(valueOf(rows, "segment.bytes").value, QStringLiteral("1048576"));
    QCOMPARE(valueOf(rows, "retention.ms").value, QStringLiteral("1000000")); // kept
    QCOMPARE(valueOf(rows, "retention.ms").source, QStringLiteral("DYNAMIC_TOPIC_CONFIG"));

    AlterTopicConfigJob remove(m_profile, {}, "altered", {}, {"retention.ms"});
    const JobResult removeResult = run(remove);
    QVERIFY2(removeResult.ok, qPrintable(removeResult.summary + " / " + removeResult.detail));
    rows = describe("altered");
    QVERIFY(valueOf(rows, "retention.ms").source != QLatin1String("DYNAMIC_TOPIC_CONFIG"));
    QVERIFY(valueOf(rows, "retention.ms").isDefault ||
            valueOf(rows, "retention.ms").source != QLatin1String("DYNAMIC_TOPIC_CONFIG"));
    QCOMPARE(valueOf(rows, "segment.bytes").value, QStringLiteral("1048576"));

    AlterTopicConfigJob bad(m_profile, {}, "altered", {{"no.such.config", "1"}});
    const JobResult badResult = run(bad);
    QVERIFY(!badResult.ok);
    QCOMPARE(badResult.errorName, QStringLiteral("INVALID_CONFIG"));

    AlterTopicConfigJob missing(m_profile, {}, "nonexistent", {{"retention.ms", "1"}});
    const JobResult missingResult = run(missing);
    QVERIFY(!missingResult.ok);
    QCOMPARE(missingResult.errorName, QStringLiteral("UNKNOWN_TOPIC_OR_PARTITION"));
}

void TestTopicJobs::addPartitions() {
    CreateTopicJob create(m_profile, {}, "growing", 2, 2);
    QVERIFY(run(create).ok);
    CreatePartitionsJob grow(m_profile, {}, "growing", 5);
    const JobResult result = run(grow);
    QVERIFY2(result.ok, qPrintable(result.summary + " / " + result.detail));
    QCOMPARE(result.summary, QStringLiteral("Topic growing now has 5 partitions"));
    QTRY_COMPARE_WITH_TIMEOUT(partitionCount("growing"), 5, 10000);

    CreatePartitionsJob shrink(m_profile, {}, "growing", 3);
    const JobResult shrinkResult = run(shrink);
    QVERIFY(!shrinkResult.ok);
    QCOMPARE(shrinkResult.errorName, QStringLiteral("INVALID_PARTITIONS"));
}

void TestTopicJobs::deleteTopic() {
    CreateTopicJob create(m_profile, {}, "doomed", 2, 3);
    QVERIFY(run(create).ok);
    QCOMPARE(partitionCount("doomed"), 2);
    DeleteTopicJob job(m_profile, {}, "doomed");
    const JobResult result = run(job);
    QVERIFY2(result.ok, qPrintable(result.summary + " / " + result.detail));
    QCOMPARE(result.summary, QStringLiteral("Deleted topic doomed"));
    QString errorName;
    QTRY_COMPARE_WITH_TIMEOUT(partitionCount("doomed", &errorName), -1, 10000);
    QCOMPARE(errorName, QStringLiteral("UNKNOWN_TOPIC_OR_PARTITION"));

    DeleteTopicJob again(m_profile, {}, "doomed");
    const JobResult againResult = run(again);
    QVERIFY(!againResult.ok);
    QCOMPARE(againResult.errorName, QStringLiteral("UNKNOWN_TOPIC_OR_PARTITION"));
}

void TestTopicJobs::cancelledJobStops() {
    DescribeTopicConfigJob job(m_profile, {}, "plain");
    TestContext context;
    context.m_cancelled = true;
    const JobResult result = job.run(context);
    QVERIFY(!result.ok);
    QCOMPARE(result.errorName, QStringLiteral("_INTR"));
    QVERIFY(result.detail.contains("Cancelled"));
}

void TestTopicJobs::unreachableClusterFails() {
    ConnectionProfile nowhere;
    nowhere.bootstrapServers = QStringLiteral("127.0.0.1:1");
    CreateTopicJob job(nowhere, {}, "never", 1, 1);
    job.setTimeoutMs(2000);
    const JobResult result = run(job);
    QVERIFY(!result.ok);
    QVERIFY(!result.errorName.isEmpty());
    QVERIFY(!result.detail.isEmpty());
}

QTEST_GUILESS_MAIN(TestTopicJobs)
#include "test_topic_jobs.moc"
