// faultline-ctl end to end: an in-process engine (3 brokers, racks FD<f>UD<u>) with a topic and a
// committed group offset made by librdkafka; the tool runs through QProcess for every command in
// table and JSON form; failures (unreachable, silent port, bad usage) end non-zero with one line.
#include "tests/support/test_engine.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <memory>

namespace {

const QString kTopic = QStringLiteral("orders");
const QString kGroup = QStringLiteral("billing");
constexpr int kPartitions = 3;
constexpr int kMessagesPerPartition = 10;
// Committed: p0 at 4 (lag 6), p1 at 10 (lag 0), p2 at 7 (lag 3).
constexpr qint64 kCommitted[kPartitions] = {4, 10, 7};
constexpr qint64 kTotalLag = 6 + 0 + 3;

struct RunResult {
    int exitCode = -1;
    bool finished = false;
    QString out;
    QString err;
};

RunResult runCtl(const QStringList& arguments, int waitMs = 60000) {
    QProcess process;
    process.start(QStringLiteral(FAULTLINE_CTL_PATH), arguments);
    RunResult result;
    if (!process.waitForStarted(10000)) return result;
    result.finished = process.waitForFinished(waitMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

using KafkaPtr = std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)>;

KafkaPtr makeClient(rd_kafka_type_t type, const std::string& bootstrap,
                    const std::vector<std::pair<std::string, std::string>>& extra, QString& error) {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& k, const std::string& v) {
        return rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) == RD_KAFKA_CONF_OK;
    };
    bool ok = set("bootstrap.servers", bootstrap);
    for (const auto& [k, v] : extra) ok = ok && set(k, v);
    if (!ok) {
        error = QString::fromUtf8(errstr);
        rd_kafka_conf_destroy(conf);
        return KafkaPtr(nullptr, &rd_kafka_destroy);
    }
    rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk == nullptr) error = QString::fromUtf8(errstr);
    return KafkaPtr(rk, &rd_kafka_destroy);
}

// A broker table row from the human output: the line whose first column is the broker id.
QStringList brokerRow(const QString& table, int brokerId) {
    for (const QString& line : table.split(QLatin1Char('\n'))) {
        const QStringList cells = line.split(QRegularExpression(QStringLiteral("\\s+")),
                                             Qt::SkipEmptyParts);
        if (cells.size() >= 6 && cells[0] == QString::number(brokerId) &&
            cells[1].contains(QLatin1Char(':')))
            return cells;
    }
    return {};
}

QStringList rowStartingWith(const QString& table, const QString& first) {
    for (const QString& line : table.split(QLatin1Char('\n'))) {
        const QStringList cells = line.split(QRegularExpression(QStringLiteral("\\s+")),
                                             Qt::SkipEmptyParts);
        if (!cells.isEmpty() && cells[0] == first) return cells;
    }
    return {};
}

QJsonObject parseJson(const QString& text) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError) {
        qWarning("not JSON (%s): %s", qPrintable(error.errorString()), qPrintable(text));
    }
    return doc.object();
}

// Writes a client.properties file with `content` into `dir`; its path, empty on failure.
QString writeProperties(const QTemporaryDir& dir, const QByteArray& content) {
    if (!dir.isValid())
        return {};
    const QString path = dir.filePath(QStringLiteral("client.properties"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        return {};
    return path;
}

} // namespace

class TestFaultlineCtl : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        const auto started = m_engine.start();
        QVERIFY2(started, qPrintable(started ? QString() : started.error()));
        m_bootstrap = m_engine.bootstrap();

        createTopic();
        produce();
        commitOffsets();
    }

    void cleanupTestCase() {
        m_engine.stop();
    }

    void clusterDescribeTable() {
        const RunResult r = runCtl({QStringLiteral("--bootstrap"), m_bootstrap,
                                    QStringLiteral("cluster"), QStringLiteral("describe")});
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.err.isEmpty());
        const auto view = m_engine.engine().view();
        QVERIFY(r.out.contains(QString::fromStdString(view.clusterId)));
        QCOMPARE(rowStartingWith(r.out, QStringLiteral("Controller")).value(1),
                 QString::number(view.controllerId));
        QCOMPARE(view.brokers.size(), std::size_t{3});
        int leaders = 0;
        int replicas = 0;
        for (const auto& broker : view.brokers) {
            const QStringList row = brokerRow(r.out, broker.id);
            QVERIFY2(!row.isEmpty(), qPrintable(r.out));
            QCOMPARE(row[1], QStringLiteral("%1:%2")
                                 .arg(QString::fromStdString(broker.host))
                                 .arg(broker.port));
            QCOMPARE(row[2], QString::fromStdString(broker.rack));
            QCOMPARE(row[2], QStringLiteral("FD%1UD%2").arg(broker.faultDomain).arg(broker.updateDomain));
            QCOMPARE(row[3], QString::number(broker.faultDomain));
            QCOMPARE(row[4], QString::number(broker.updateDomain));
            QCOMPARE(row.contains(QStringLiteral("yes")), broker.id == view.controllerId);
            const int leaderColumn = row.contains(QStringLiteral("yes")) ? 6 : 5;
            leaders += row[leaderColumn].toInt();
            replicas += row[leaderColumn + 1].toInt();
            QCOMPARE(row.last(), QStringLiteral("up"));
        }
        // The 3 partitions of orders (RF 3) plus whatever internal topics exist.
        const int partitions = rowStartingWith(r.out, QStringLiteral("Partitions")).value(1).toInt();
        QVERIFY(partitions >= kPartitions);
        QCOMPARE(leaders, partitions);
        QVERIFY(replicas >= kPartitions * 3);
        QCOMPARE(rowStartingWith(r.out, QStringLiteral("Offline")).value(1), QStringLiteral("0"));
        QCOMPARE(rowStartingWith(r.out, QStringLiteral("Brokers")).value(1), QStringLiteral("3"));
    }

    void clusterDescribeJson() {
        const RunResult r = runCtl({QStringLiteral("--bootstrap"), m_bootstrap, QStringLiteral("--json"),
                                    QStringLiteral("cluster"), QStringLiteral("describe")});
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.err));
        const QJsonObject root = parseJson(r.out);
        const auto view = m_engine.engine().view();
        QCOMPARE(root.value(QStringLiteral("clusterId")).toString(), QString::fromStdString(view.clusterId));
        QCOMPARE(root.value(QStringLiteral("controllerId")).toInt(), view.controllerId);
        const QJsonArray brokers = root.value(QStringLiteral("brokers")).toArray();
        QCOMPARE(brokers.size(), 3);
        for (const auto& broker : view.brokers) {
            const auto it = std::find_if(brokers.begin(), brokers.end(), [&](const QJsonValue& v) {
                return v.toObject().value(QStringLiteral("id")).toInt() == broker.id;
            });
            QVERIFY(it != brokers.end());
            const QJsonObject b = it->toObject();
            QCOMPARE(b.value(QStringLiteral("host")).toString(), QString::fromStdString(broker.host));
            QCOMPARE(b.value(QStringLiteral("port")).toInt(), int(broker.port));
            QCOMPARE(b.value(QStringLiteral("rack")).toString(), QString::fromStdString(broker.rack));
            QCOMPARE(b.value(QStringLiteral("faultDomain")).toInt(), broker.faultDomain);
            QCOMPARE(b.value(QStringLiteral("updateDomain")).toInt(), broker.updateDomain);
            QCOMPARE(b.value(QStringLiteral("controller")).toBool(), broker.id == view.controllerId);
            QCOMPARE(b.value(QStringLiteral("status")).toString(), QStringLiteral("up"));
            QVERIFY(b.value(QStringLiteral("replicaCount")).toInt() >= kPartitions);
        }
        const QJsonObject totals = root.value(QStringLiteral("totals")).toObject();
        QCOMPARE(totals.value(QStringLiteral("brokers")).toInt(), 3);
        QVERIFY(totals.value(QStringLiteral("topics")).toInt() >= 1);
        QVERIFY(totals.value(QStringLiteral("partitions")).toInt() >= kPartitions);
        QCOMPARE(totals.value(QStringLiteral("underReplicated")).toInt(), 0);
        QCOMPARE(totals.value(QStringLiteral("offline")).toInt(), 0);
    }

    void topicsList() {
        const RunResult table = runCtl({QStringLiteral("-b"), m_bootstrap, QStringLiteral("topics"),
                                        QStringLiteral("list")});
        QVERIFY2(table.finished && table.exitCode == 0, qPrintable(table.err));
        QVERIFY(table.out.startsWith(QStringLiteral("TOPIC")));
        const QStringList row = rowStartingWith(table.out, kTopic);
        QVERIFY2(!row.isEmpty(), qPrintable(table.out));
        // TOPIC PARTITIONS RF UNDER-REPLICATED OFFLINE SIZE(n unit) MESSAGES
        QCOMPARE(row.value(1), QString::number(kPartitions));
        QCOMPARE(row.value(2), QStringLiteral("3"));
        QCOMPARE(row.value(3), QStringLiteral("0"));
        QCOMPARE(row.value(4), QStringLiteral("0"));
        QCOMPARE(row.last(), QString::number(kPartitions * kMessagesPerPartition));

        const RunResult json = runCtl({QStringLiteral("--bootstrap"), m_bootstrap,
                                       QStringLiteral("topics"), QStringLiteral("list"),
                                       QStringLiteral("--json")});
        QVERIFY2(json.finished && json.exitCode == 0, qPrintable(json.err));
        const QJsonArray topics = parseJson(json.out).value(QStringLiteral("topics")).toArray();
        bool found = false;
        for (const auto& value : topics) {
            const QJsonObject t = value.toObject();
            if (t.value(QStringLiteral("name")).toString() != kTopic) continue;
            found = true;
            QCOMPARE(t.value(QStringLiteral("partitions")).toInt(), kPartitions);
            QCOMPARE(t.value(QStringLiteral("replicationFactor")).toInt(), 3);
            QCOMPARE(t.value(QStringLiteral("underReplicated")).toInt(), 0);
            QCOMPARE(t.value(QStringLiteral("internal")).toBool(), false);
            QCOMPARE(t.value(QStringLiteral("messages")).toInteger(), kPartitions * kMessagesPerPartition);
            const QJsonValue size = t.value(QStringLiteral("sizeBytes"));
            QVERIFY(size.isNull() || size.toInteger() > 0);
        }
        QVERIFY2(found, qPrintable(json.out));
    }

    void groupsLagSummary() {
        const RunResult table = runCtl({QStringLiteral("--bootstrap"), m_bootstrap,
                                        QStringLiteral("groups"), QStringLiteral("lag")});
        QVERIFY2(table.finished && table.exitCode == 0, qPrintable(table.err));
        const QStringList row = rowStartingWith(table.out, kGroup);
        QVERIFY2(!row.isEmpty(), qPrintable(table.out));
        // GROUP STATE MEMBERS TOTAL-LAG
        QCOMPARE(row.value(1), QStringLiteral("Empty"));
        QCOMPARE(row.value(2), QStringLiteral("0"));
        QCOMPARE(row.value(3), QString::number(kTotalLag));

        const RunResult json = runCtl({QStringLiteral("--json"), QStringLiteral("--bootstrap"),
                                       m_bootstrap, QStringLiteral("groups"), QStringLiteral("lag")});
        QVERIFY2(json.finished && json.exitCode == 0, qPrintable(json.err));
        const QJsonArray groups = parseJson(json.out).value(QStringLiteral("groups")).toArray();
        const auto it = std::find_if(groups.begin(), groups.end(), [](const QJsonValue& v) {
            return v.toObject().value(QStringLiteral("groupId")).toString() == kGroup;
        });
        QVERIFY2(it != groups.end(), qPrintable(json.out));
        QCOMPARE(it->toObject().value(QStringLiteral("state")).toString(), QStringLiteral("Empty"));
        QCOMPARE(it->toObject().value(QStringLiteral("members")).toInt(), 0);
        QCOMPARE(it->toObject().value(QStringLiteral("totalLag")).toInteger(), kTotalLag);
    }

    void groupsLagOneGroup() {
        const RunResult table = runCtl({QStringLiteral("--bootstrap"), m_bootstrap,
                                        QStringLiteral("groups"), QStringLiteral("lag"),
                                        QStringLiteral("--group"), kGroup});
        QVERIFY2(table.finished && table.exitCode == 0, qPrintable(table.err));
        QVERIFY(table.out.contains(QStringLiteral("total lag %1").arg(kTotalLag)));
        int rows = 0;
        for (const QString& line : table.out.split(QLatin1Char('\n'))) {
            const QStringList cells =
                line.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
            if (cells.size() != 6 || cells[0] != kTopic) continue;
            const int p = cells[1].toInt();
            QVERIFY(p >= 0 && p < kPartitions);
            QCOMPARE(cells[2], QString::number(kCommitted[p]));
            QCOMPARE(cells[3], QString::number(kMessagesPerPartition));
            QCOMPARE(cells[4], QString::number(kMessagesPerPartition - kCommitted[p]));
            QCOMPARE(cells[5], QStringLiteral("-")); // nobody is assigned: the group is empty
            ++rows;
        }
        QCOMPARE(rows, kPartitions);

        const RunResult json = runCtl({QStringLiteral("--bootstrap"), m_bootstrap, QStringLiteral("--json"),
                                       QStringLiteral("groups"), QStringLiteral("lag"),
                                       QStringLiteral("--group"), kGroup});
        QVERIFY2(json.finished && json.exitCode == 0, qPrintable(json.err));
        const QJsonObject g = parseJson(json.out);
        QCOMPARE(g.value(QStringLiteral("groupId")).toString(), kGroup);
        QCOMPARE(g.value(QStringLiteral("state")).toString(), QStringLiteral("Empty"));
        QCOMPARE(g.value(QStringLiteral("totalLag")).toInteger(), kTotalLag);
        const QJsonArray partitions = g.value(QStringLiteral("partitions")).toArray();
        QCOMPARE(partitions.size(), kPartitions);
        for (const auto& value : partitions) {
            const QJsonObject o = value.toObject();
            QCOMPARE(o.value(QStringLiteral("topic")).toString(), kTopic);
            const int p = o.value(QStringLiteral("partition")).toInt();
            QVERIFY(p >= 0 && p < kPartitions);
            QCOMPARE(o.value(QStringLiteral("committedOffset")).toInteger(), kCommitted[p]);
            QCOMPARE(o.value(QStringLiteral("endOffset")).toInteger(), kMessagesPerPartition);
            QCOMPARE(o.value(QStringLiteral("lag")).toInteger(), kMessagesPerPartition - kCommitted[p]);
            QVERIFY(o.value(QStringLiteral("memberId")).isNull());
        }
    }

    void commandConfig() {
        QTemporaryDir dir;
        const QString path = writeProperties(
            dir, "# Kafka tool style\nsecurity.protocol=PLAINTEXT\nclient.id : faultline-ctl-test\n"
                 "! another comment\n\n");
        QVERIFY(!path.isEmpty());
        const RunResult r = runCtl({QStringLiteral("--bootstrap"), m_bootstrap,
                                    QStringLiteral("--command-config"), path, QStringLiteral("--json"),
                                    QStringLiteral("topics"), QStringLiteral("list")});
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(kTopic));
    }

    // librdkafka warns about a producer property given to the session's consumer: the warning
    // goes to stderr, and stdout stays pure JSON.
    void librdkafkaWarningsStayOffStdout() {
        QTemporaryDir dir;
        const QString path = writeProperties(dir, "acks=all\n");
        QVERIFY(!path.isEmpty());
        const RunResult r = runCtl({QStringLiteral("--bootstrap"), m_bootstrap,
                                    QStringLiteral("--command-config"), path, QStringLiteral("--json"),
                                    QStringLiteral("cluster"), QStringLiteral("describe")});
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.err));
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(r.out));
        QVERIFY(doc.isObject());
        QVERIFY2(r.err.contains(QStringLiteral("acks")), qPrintable(r.err));
    }

    // Every failure: non-zero exit, exactly one line on stderr, nothing on stdout, no hang.
    void failures_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("reasonPart");
        const QString closed = QStringLiteral("127.0.0.1:%1").arg(closedPort());
        QTest::newRow("refused port")
            << QStringList{QStringLiteral("--bootstrap"), closed, QStringLiteral("--timeout"),
                           QStringLiteral("5"), QStringLiteral("cluster"), QStringLiteral("describe")}
            << closed;
        QTest::newRow("unknown command")
            << QStringList{QStringLiteral("--bootstrap"), m_bootstrap, QStringLiteral("brokers"),
                           QStringLiteral("dance")}
            << QStringLiteral("unknown command");
        QTest::newRow("no bootstrap")
            << QStringList{QStringLiteral("topics"), QStringLiteral("list")}
            << QStringLiteral("--bootstrap");
        QTest::newRow("group with wrong command")
            << QStringList{QStringLiteral("--bootstrap"), m_bootstrap, QStringLiteral("topics"),
                           QStringLiteral("list"), QStringLiteral("--group"), kGroup}
            << QStringLiteral("--group");
        QTest::newRow("unknown group")
            << QStringList{QStringLiteral("--bootstrap"), m_bootstrap, QStringLiteral("groups"),
                           QStringLiteral("lag"), QStringLiteral("--group"), QStringLiteral("nobody")}
            << QStringLiteral("'nobody' not found");
        QTest::newRow("bad timeout")
            << QStringList{QStringLiteral("--bootstrap"), m_bootstrap, QStringLiteral("--timeout"),
                           QStringLiteral("soon"), QStringLiteral("topics"), QStringLiteral("list")}
            << QStringLiteral("--timeout");
        QTest::newRow("missing command config")
            << QStringList{QStringLiteral("--bootstrap"), m_bootstrap, QStringLiteral("--command-config"),
                           QStringLiteral("/nonexistent/client.properties"), QStringLiteral("topics"),
                           QStringLiteral("list")}
            << QStringLiteral("/nonexistent/client.properties");
    }

    void failures() {
        QFETCH(QStringList, arguments);
        QFETCH(QString, reasonPart);
        const RunResult r = runCtl(arguments, 30000);
        QVERIFY2(r.finished, "faultline-ctl did not finish");
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
        QVERIFY(r.err.endsWith(QLatin1Char('\n')));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.startsWith(QStringLiteral("faultline-ctl: ")), qPrintable(r.err));
        QVERIFY2(r.err.contains(reasonPart), qPrintable(r.err));
    }

    // A port that accepts connections and never answers: the tool gives up at --timeout.
    void silentPortTimesOut() {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        const QString bootstrap = QStringLiteral("127.0.0.1:%1").arg(silent.serverPort());
        QElapsedTimer clock;
        clock.start();
        const RunResult r = runCtl({QStringLiteral("--bootstrap"), bootstrap, QStringLiteral("--timeout"),
                                    QStringLiteral("2"), QStringLiteral("topics"), QStringLiteral("list")},
                                   30000);
        QVERIFY2(r.finished, "faultline-ctl did not give up");
        QVERIFY(r.exitCode != 0);
        QVERIFY(r.out.isEmpty());
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.contains(bootstrap), qPrintable(r.err));
    }

private:
    static quint16 closedPort() {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost)) return 1;
        const quint16 port = probe.serverPort();
        probe.close(); // nothing listens there any more
        return port;
    }

    void createTopic() {
        QString error;
        auto admin = makeClient(RD_KAFKA_PRODUCER, m_bootstrap.toStdString(), {}, error);
        QVERIFY2(admin, qPrintable(error));
        char errstr[512];
        rd_kafka_NewTopic_t* topic =
            rd_kafka_NewTopic_new(kTopic.toUtf8().constData(), kPartitions, 3, errstr, sizeof errstr);
        QVERIFY2(topic != nullptr, errstr);
        rd_kafka_queue_t* queue = rd_kafka_queue_new(admin.get());
        rd_kafka_CreateTopics(admin.get(), &topic, 1, nullptr, queue);
        rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 20000);
        QVERIFY(event != nullptr);
        QCOMPARE(rd_kafka_event_error(event), RD_KAFKA_RESP_ERR_NO_ERROR);
        const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
        QVERIFY(result != nullptr);
        size_t count = 0;
        const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(result, &count);
        QCOMPARE(count, size_t{1});
        QCOMPARE(rd_kafka_topic_result_error(topics[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_event_destroy(event);
        rd_kafka_queue_destroy(queue);
        rd_kafka_NewTopic_destroy(topic);
    }

    void produce() {
        QString error;
        auto producer = makeClient(RD_KAFKA_PRODUCER, m_bootstrap.toStdString(), {{"acks", "all"}}, error);
        QVERIFY2(producer, qPrintable(error));
        const QByteArray topic = kTopic.toUtf8();
        for (int p = 0; p < kPartitions; ++p) {
            for (int i = 0; i < kMessagesPerPartition; ++i) {
                const QByteArray value = QStringLiteral("order %1-%2").arg(p).arg(i).toUtf8();
                rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
                for (int attempt = 0; attempt < 100; ++attempt) {
                    err = rd_kafka_producev(
                        producer.get(), RD_KAFKA_V_TOPIC(topic.constData()), RD_KAFKA_V_PARTITION(p),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.constData()), size_t(value.size())),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
                    rd_kafka_poll(producer.get(), 10);
                }
                QCOMPARE(err, RD_KAFKA_RESP_ERR_NO_ERROR);
            }
        }
        QCOMPARE(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
        QCOMPARE(rd_kafka_outq_len(producer.get()), 0);
    }

    // An offset commit without joining (generation -1), as tools do: the group exists and is Empty.
    void commitOffsets() {
        QString error;
        auto consumer = makeClient(RD_KAFKA_CONSUMER, m_bootstrap.toStdString(),
                                   {{"group.id", kGroup.toStdString()},
                                    {"enable.auto.commit", "false"}},
                                   error);
        QVERIFY2(consumer, qPrintable(error));
        rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(kPartitions);
        for (int p = 0; p < kPartitions; ++p) {
            rd_kafka_topic_partition_list_add(offsets, kTopic.toUtf8().constData(), p)->offset =
                kCommitted[p];
        }
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int attempt = 0; attempt < 20; ++attempt) { // the coordinator may still be loading
            err = rd_kafka_commit(consumer.get(), offsets, 0);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            QTest::qWait(250);
        }
        QVERIFY2(err == RD_KAFKA_RESP_ERR_NO_ERROR, rd_kafka_err2str(err));
        for (int p = 0; p < offsets->cnt; ++p) QCOMPARE(offsets->elems[p].err, RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_topic_partition_list_destroy(offsets);
        rd_kafka_consumer_close(consumer.get());
    }

    faultline::testsupport::TestEngine m_engine;
    QString m_bootstrap;
};

QTEST_GUILESS_MAIN(TestFaultlineCtl)
#include "test_faultline_ctl.moc"
