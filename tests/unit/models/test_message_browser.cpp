// MessageBrowser and MessageProducer against an in-process three-broker engine, plus the value
// rendering helpers.
#include "models/message_browser.h"
#include "models/message_producer.h"
#include "models/rdkafka_handle.h"
#include "models/topic_jobs.h"
#include "models/worker_thread.h"
#include "tests/support/black_hole.h"
#include "tests/support/test_engine.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QtTest>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

using namespace faultline;
using namespace faultline::models;

using Headers = QList<QPair<QString, QByteArray>>;

namespace {

class TestContext : public JobContext {
public:
    KafkaClient& client() override { qFatal("not used"); }
    [[nodiscard]] bool cancelled() const override { return false; }
    void progress(int, const QString&) override {}
};

constexpr int kMessages = 20;

} // namespace

class TestMessageBrowser : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void browse_data();
    void browse();
    void rowsCarryKeyValueAndTimestamp();
    void producedHeadersAreBrowsed();
    void produceToMissingPartitionFails();
    void unknownTopicFails();
    void newerBrowseSupersedesOlder();
    void destroyingTheBrowserMidBrowseDoesNotWait();
    void destroyingTheProducerMidDeliveryDoesNotWait();
    void librdkafkaLogsReachSpdlog();
    void asUtf8_data();
    void asUtf8();
    void isText_data();
    void isText();
    void asPrettyJson_data();
    void asPrettyJson();
    void asHex_data();
    void asHex();

private:
    [[nodiscard]] QList<MessageRow> browseRows(const BrowseRequest& request);
    [[nodiscard]] bool createTopic(const QString& name, int partitions);

    testsupport::TestEngine m_engine;
    ConnectionProfile m_profile;
    qint64 m_secondHalfFrom = 0; // messages 10.. of "events" were produced at or after this
};

bool TestMessageBrowser::createTopic(const QString& name, int partitions) {
    CreateTopicJob job(m_profile, {}, name, partitions, 3);
    TestContext context;
    const JobResult result = job.run(context);
    if (!result.ok)
        qWarning() << result.summary << result.detail;
    return result.ok;
}

QList<MessageRow> TestMessageBrowser::browseRows(const BrowseRequest& request) {
    MessageBrowser browser(m_profile);
    QSignalSpy ready(&browser, &MessageBrowser::messagesReady);
    QSignalSpy failed(&browser, &MessageBrowser::failed);
    browser.browse(request);
    if (!QTest::qWaitFor([&] { return !ready.isEmpty() || !failed.isEmpty(); }, 30000)) {
        qWarning() << "browse timed out";
        return {};
    }
    if (!failed.isEmpty()) {
        qWarning() << "browse failed" << failed.front().front().toString();
        return {};
    }
    return ready.front().front().value<QList<MessageRow>>();
}

void TestMessageBrowser::initTestCase() {
    const auto started = m_engine.start();
    QVERIFY2(started, qPrintable(started ? QString() : started.error()));
    m_profile.bootstrapServers = m_engine.bootstrap();
    QVERIFY(createTopic("events", 1));

    MessageProducer producer(m_profile);
    QSignalSpy produced(&producer, &MessageProducer::produced);
    QSignalSpy failed(&producer, &MessageProducer::failed);
    for (int i = 0; i < kMessages; ++i) {
        if (i == kMessages / 2) {
            QTRY_COMPARE_WITH_TIMEOUT(produced.size(), i, 30000);
            QTest::qWait(5);
            m_secondHalfFrom = QDateTime::currentMSecsSinceEpoch();
        }
        producer.produce("events", 0, "k" + QByteArray::number(i), "m" + QByteArray::number(i));
    }
    QTRY_COMPARE_WITH_TIMEOUT(produced.size(), kMessages, 30000);
    QVERIFY(failed.isEmpty());
    for (int i = 0; i < kMessages; ++i) {
        QCOMPARE(produced[i][0].toInt(), 0);
        QCOMPARE(produced[i][1].toLongLong(), i); // one at a time, in order
    }
}

void TestMessageBrowser::cleanupTestCase() {
    m_engine.stop();
}

void TestMessageBrowser::browse_data() {
    QTest::addColumn<int>("from");
    QTest::addColumn<qint64>("position");
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("order");
    QTest::addColumn<QList<qint64>>("offsets");
    const int oldestFirst = int(BrowseOrder::OldestFirst);
    const int newestFirst = int(BrowseOrder::NewestFirst);
    QTest::newRow("oldest 5, oldest first")
        << int(BrowseFrom::Oldest) << qint64(0) << 5 << oldestFirst << QList<qint64>{0, 1, 2, 3, 4};
    QTest::newRow("oldest 3, newest first")
        << int(BrowseFrom::Oldest) << qint64(0) << 3 << newestFirst << QList<qint64>{2, 1, 0};
    QTest::newRow("newest 4, newest first") << int(BrowseFrom::Newest) << qint64(0) << 4
                                            << newestFirst << QList<qint64>{19, 18, 17, 16};
    QTest::newRow("newest 3, oldest first")
        << int(BrowseFrom::Newest) << qint64(0) << 3 << oldestFirst << QList<qint64>{17, 18, 19};
    QTest::newRow("newest more than there are")
        << int(BrowseFrom::Newest) << qint64(0) << 100 << oldestFirst << [] {
               QList<qint64> all;
               for (int i = 0; i < kMessages; ++i)
                   all.append(i);
               return all;
           }();
    QTest::newRow("from offset 7, 3")
        << int(BrowseFrom::Offset) << qint64(7) << 3 << oldestFirst << QList<qint64>{7, 8, 9};
    QTest::newRow("from offset near the end")
        << int(BrowseFrom::Offset) << qint64(18) << 10 << oldestFirst << QList<qint64>{18, 19};
    QTest::newRow("from the end: nothing")
        << int(BrowseFrom::Offset) << qint64(20) << 10 << oldestFirst << QList<qint64>{};
    QTest::newRow("from timestamp")
        << int(BrowseFrom::Timestamp) << qint64(-1) << 100 << oldestFirst
        << QList<qint64>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    QTest::newRow("from timestamp, 2 newest first")
        << int(BrowseFrom::Timestamp) << qint64(-1) << 2 << newestFirst << QList<qint64>{11, 10};
    QTest::newRow("from a future timestamp")
        << int(BrowseFrom::Timestamp) << qint64(-2) << 10 << oldestFirst << QList<qint64>{};
}

void TestMessageBrowser::browse() {
    QFETCH(int, from);
    QFETCH(qint64, position);
    QFETCH(int, limit);
    QFETCH(int, order);
    QFETCH(QList<qint64>, offsets);
    if (position == -1)
        position = m_secondHalfFrom;
    else if (position == -2)
        position = QDateTime::currentMSecsSinceEpoch() + 3600000;
    BrowseRequest request;
    request.topic = "events";
    request.partition = 0;
    request.from = static_cast<BrowseFrom>(from);
    request.position = position;
    request.limit = limit;
    request.order = static_cast<BrowseOrder>(order);
    const QList<MessageRow> rows = browseRows(request);
    QList<qint64> got;
    for (const MessageRow& row : rows)
        got.append(row.offset);
    QCOMPARE(got, offsets);
}

void TestMessageBrowser::rowsCarryKeyValueAndTimestamp() {
    BrowseRequest request;
    request.topic = "events";
    request.from = BrowseFrom::Offset;
    request.position = 12;
    request.limit = 1;
    const QList<MessageRow> rows = browseRows(request);
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows[0].partition, 0);
    QCOMPARE(rows[0].key, QByteArray("k12"));
    QCOMPARE(rows[0].value, QByteArray("m12"));
    QCOMPARE(rows[0].timestampType, TimestampType::CreateTime);
    QVERIFY(rows[0].timestamp >= m_secondHalfFrom);
    QVERIFY(rows[0].timestamp <= QDateTime::currentMSecsSinceEpoch());
    QVERIFY(rows[0].headers.isEmpty());
}

void TestMessageBrowser::producedHeadersAreBrowsed() {
    QVERIFY(createTopic("with-headers", 2));
    const Headers headers{
        {"trace-id", "abc-123"}, {"binary", QByteArray("\x00\x01\xff", 3)}, {"trace-id", "second"}};
    MessageProducer producer(m_profile);
    QSignalSpy produced(&producer, &MessageProducer::produced);
    QSignalSpy failed(&producer, &MessageProducer::failed);
    producer.produce("with-headers", 1, "key", "{\"a\":1}", headers);
    producer.produce("with-headers", 1, QByteArray(), QByteArray()); // null key and value
    QTRY_COMPARE_WITH_TIMEOUT(produced.size(), 2, 30000);
    QVERIFY(failed.isEmpty());
    QCOMPARE(produced[0][0].toInt(), 1);
    QCOMPARE(produced[0][1].toLongLong(), 0);
    QCOMPARE(produced[1][1].toLongLong(), 1);

    BrowseRequest request;
    request.topic = "with-headers";
    request.partition = 1;
    request.from = BrowseFrom::Newest;
    request.limit = 10;
    request.order = BrowseOrder::NewestFirst;
    const QList<MessageRow> rows = browseRows(request);
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[0].offset, 1);
    QVERIFY(rows[0].key.isNull());
    QVERIFY(rows[0].value.isNull());
    QCOMPARE(rows[1].offset, 0);
    QCOMPARE(rows[1].key, QByteArray("key"));
    QCOMPARE(rows[1].headers, headers);
    QCOMPARE(MessageBrowser::asPrettyJson(rows[1].value), QStringLiteral("{\n    \"a\": 1\n}"));

    request.partition = 0; // the other partition is empty
    QVERIFY(browseRows(request).isEmpty());
}

void TestMessageBrowser::produceToMissingPartitionFails() {
    MessageProducer producer(m_profile);
    QSignalSpy produced(&producer, &MessageProducer::produced);
    QSignalSpy failed(&producer, &MessageProducer::failed);
    producer.produce("events", 7, "k", "v");
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 30000);
    QVERIFY2(failed[0][0].toString().contains("UNKNOWN_PARTITION"),
             qPrintable(failed[0][0].toString()));
    QVERIFY(produced.isEmpty());
}

void TestMessageBrowser::unknownTopicFails() {
    MessageBrowser browser(m_profile);
    QSignalSpy ready(&browser, &MessageBrowser::messagesReady);
    QSignalSpy failed(&browser, &MessageBrowser::failed);
    BrowseRequest request;
    request.topic = "no-such-topic";
    request.timeoutMs = 3000;
    browser.browse(request);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 20000);
    QVERIFY(failed[0][0].toString().contains("no-such-topic"));
    QVERIFY(ready.isEmpty());
}

void TestMessageBrowser::newerBrowseSupersedesOlder() {
    MessageBrowser browser(m_profile);
    QSignalSpy ready(&browser, &MessageBrowser::messagesReady);
    BrowseRequest first;
    first.topic = "events";
    first.from = BrowseFrom::Oldest;
    first.limit = 20;
    BrowseRequest second = first;
    second.limit = 2;
    browser.browse(first);
    browser.browse(second);
    QTRY_COMPARE_WITH_TIMEOUT(ready.size(), 1, 30000);
    QTest::qWait(300);
    QCOMPARE(ready.size(), 1); // the first one's rows were dropped
    QCOMPARE(ready[0][0].value<QList<MessageRow>>().size(), 2);
}

// The browse waits on a broker that never answers (offsets query, up to 10 s): destroying the
// browser returns while its thread still runs (the thread is counted as finishing, so the
// destructor did not wait for it), and the thread ends by itself.
void TestMessageBrowser::destroyingTheBrowserMidBrowseDoesNotWait() {
    testsupport::BlackHole blackHole;
    QVERIFY(blackHole.listen());
    const QString bootstrap = blackHole.address();
    auto browser = std::make_unique<MessageBrowser>(testsupport::plainProfile(bootstrap));
    QSignalSpy failed(browser.get(), &MessageBrowser::failed);
    BrowseRequest request;
    request.topic = "events";
    request.timeoutMs = 10000;
    browser->browse(request);
    QTRY_VERIFY_WITH_TIMEOUT(blackHole.connections() > 0, 10000); // the consumer connected
    QTest::qWait(200); // and its worker waits inside the offsets query
    const int before = finishingWorkerThreads();
    browser.reset();
    QCOMPARE(finishingWorkerThreads(), before + 1);
    QTRY_COMPARE_WITH_TIMEOUT(finishingWorkerThreads(), before, 30000);
}

// The message waits for a delivery report that cannot come (message.timeout.ms is 30 s):
// destroying the producer does not wait for it; the thread gives it a short grace and ends.
void TestMessageBrowser::destroyingTheProducerMidDeliveryDoesNotWait() {
    testsupport::BlackHole blackHole;
    QVERIFY(blackHole.listen());
    const QString bootstrap = blackHole.address();
    auto producer = std::make_unique<MessageProducer>(testsupport::plainProfile(bootstrap));
    QSignalSpy produced(producer.get(), &MessageProducer::produced);
    QSignalSpy failed(producer.get(), &MessageProducer::failed);
    producer->produce(QStringLiteral("events"), 0, QByteArray("k"), QByteArray("v"));
    QTRY_VERIFY_WITH_TIMEOUT(blackHole.connections() > 0, 10000); // the producer connected
    QTest::qWait(200); // and its worker waits for the delivery report
    const int before = finishingWorkerThreads();
    producer.reset();
    QCOMPARE(finishingWorkerThreads(), before + 1);
    QTRY_COMPARE_WITH_TIMEOUT(finishingWorkerThreads(), before, 30000);
    QVERIFY(produced.isEmpty());
    QVERIFY(failed.isEmpty()); // nothing reaches a destroyed producer
}

// librdkafka's own log lines (here: it cannot connect to a closed port) arrive through spdlog,
// where the GUI's log dock reads them, not on librdkafka's stderr printer.
void TestMessageBrowser::librdkafkaLogsReachSpdlog() {
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const QString closedPort = QStringLiteral("127.0.0.1:%1").arg(probe.serverPort());
    probe.close(); // nothing listens there now

    auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000);
    const auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", ring));
    const auto lines = [&ring] {
        QStringList out;
        for (const auto& line : ring->last_formatted())
            out << QString::fromStdString(line);
        return out;
    };
    {
        auto handle = RdKafkaHandle::create(RD_KAFKA_PRODUCER, testsupport::plainProfile(closedPort), {});
        QVERIFY(handle.has_value());
        QTRY_VERIFY_WITH_TIMEOUT(lines().join('\n').contains(QStringLiteral("librdkafka")), 15000);
    }
    spdlog::set_default_logger(previous);
    const QString all = lines().join('\n');
    QVERIFY2(all.contains(closedPort.section(':', -1)), qPrintable(all)); // it names the broker
}

void TestMessageBrowser::asUtf8_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("ascii") << QByteArray("hello") << QStringLiteral("hello");
    QTest::newRow("utf8") << QByteArray("gr\xc3\xbc\xc3\x9f") << QString::fromUtf8("grüß");
    QTest::newRow("invalid byte") << QByteArray("a\xff"
                                                "b")
                                  << QStringLiteral("a\\xffb");
    QTest::newRow("control bytes")
        << QByteArray("a\x00\x01\tb\n\x7f", 7) << QStringLiteral("a\\x00\\x01\tb\n\\x7f");
    QTest::newRow("truncated sequence") << QByteArray("x\xc3") << QStringLiteral("x\\xc3");
    QTest::newRow("overlong slash") << QByteArray("\xc0\xaf") << QStringLiteral("\\xc0\\xaf");
    QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << QStringLiteral("\\xed\\xa0\\x80");
    QTest::newRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80")
                                    << QStringLiteral("\\xf4\\x90\\x80\\x80");
    QTest::newRow("four-byte emoji") << QByteArray("\xf0\x9f\x98\x80!") << QString::fromUtf8("\xf0\x9f\x98\x80!");
    QTest::newRow("valid after invalid") << QByteArray("\x80\xc3\xa9") << QString::fromUtf8("\\x80\xc3\xa9");
    QTest::newRow("empty") << QByteArray() << QString();
}

void TestMessageBrowser::asUtf8() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, text);
    QCOMPARE(MessageBrowser::asUtf8(bytes), text);
}

void TestMessageBrowser::isText_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("text");
    QTest::newRow("ascii") << QByteArray("hello world") << true;
    QTest::newRow("lines and tabs") << QByteArray("a\tb\r\nc") << true;
    QTest::newRow("utf8") << QByteArray("gr\xc3\xbc\xc3\x9f \xf0\x9f\x98\x80") << true;
    QTest::newRow("empty") << QByteArray("") << true;
    QTest::newRow("nul byte") << QByteArray("a\x00" "b", 3) << false;
    QTest::newRow("escape byte") << QByteArray("\x1b[31m") << false;
    QTest::newRow("invalid utf8") << QByteArray("caf\xe9") << false;
    QTest::newRow("binary") << QByteArray("\x00\x01" "binary\x07", 9) << false;
}

void TestMessageBrowser::isText() {
    QFETCH(QByteArray, bytes);
    QFETCH(bool, text);
    QCOMPARE(MessageBrowser::isText(bytes), text);
}

void TestMessageBrowser::asPrettyJson_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("pretty");
    QTest::newRow("object")
        << QByteArray(R"({"b":[1,2],"a":"x"})")
        << QStringLiteral("{\n    \"a\": \"x\",\n    \"b\": [\n        1,\n        2\n    ]\n}");
    QTest::newRow("array") << QByteArray("[true,null]")
                           << QStringLiteral("[\n    true,\n    null\n]");
    QTest::newRow("not json") << QByteArray("hello {") << QString();
    QTest::newRow("binary") << QByteArray("\x00\x01", 2) << QString();
    QTest::newRow("empty") << QByteArray() << QString();
}

void TestMessageBrowser::asPrettyJson() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, pretty);
    QCOMPARE(MessageBrowser::asPrettyJson(bytes), pretty);
}

void TestMessageBrowser::asHex_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("hex");
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("short")
        << QByteArray("Hi\n")
        << QStringLiteral("00000000  48 69 0a                                          |Hi.|");
    QTest::newRow("two lines")
        << QByteArray("0123456789abcdefXY")
        << QStringLiteral(
               "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
               "00000010  58 59                                             |XY|");
}

void TestMessageBrowser::asHex() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, hex);
    QCOMPARE(MessageBrowser::asHex(bytes), hex);
}

QTEST_GUILESS_MAIN(TestMessageBrowser)
#include "test_message_browser.moc"
