// Conformance: clients this project did not write (kcat, librdkafka C++, confluent-kafka-python,
// kafka-python) against a fresh 3-broker faultline-engine per test function. Each client check is a
// separate program that prints a JSON summary on its last stdout line; this runner starts the
// engine, runs the check, compares the summary's counts and stops the engine (exit code 0).
#include "tests/conformance/engine_process.h"

#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QUrl>
#include <QtEndian>
#include <QtTest>

#include <memory>
#include <optional>

#ifndef FAULTLINE_CONFORMANCE_DIR
#define FAULTLINE_CONFORMANCE_DIR ""
#endif
#ifndef FAULTLINE_RDKAFKA_ACKS_ALL_PATH
#define FAULTLINE_RDKAFKA_ACKS_ALL_PATH ""
#endif

using faultline::conformance::EngineProcess;

namespace {

constexpr int kClientTimeoutMs = 180'000;
const QString kPython = QStringLiteral("/usr/bin/python3");

// One finished (or timed out) client program.
struct ClientRun {
    QString command;
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject summary; // the last stdout line, when it is a JSON object

    bool ok() const { return finished && exitCode == 0; }

    QString describe() const
    {
        QString text = QStringLiteral("%1\n  %2, exit code %3\n  reason: %4\n--- stdout (tail):\n%5"
                                      "\n--- stderr (tail):\n%6")
                           .arg(command)
                           .arg(finished ? QStringLiteral("finished") : QStringLiteral("TIMED OUT"))
                           .arg(exitCode)
                           .arg(summary.value(QLatin1String("reason")).toString())
                           .arg(QString::fromUtf8(out.right(3000)))
                           .arg(QString::fromUtf8(err.right(6000)));
        return text;
    }
};

// Runs a program with an event loop spinning (so the engine's pipes keep being served), feeding
// input on stdin, bounded by timeoutMs.
ClientRun runClient(const QString& program, const QStringList& arguments,
                    const QByteArray& input = {}, int timeoutMs = kClientTimeoutMs)
{
    ClientRun run;
    run.command = program + QLatin1Char(' ') + arguments.join(QLatin1Char(' '));
    QProcess process;
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&process, &QProcess::finished, &loop, &QEventLoop::quit);
    QObject::connect(&process, &QProcess::errorOccurred, &loop, [&loop, &process] {
        if (process.state() == QProcess::NotRunning) {
            loop.quit();
        }
    });
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    process.start(program, arguments);
    if (!process.waitForStarted(10000)) {
        run.err = process.errorString().toUtf8();
        return run;
    }
    if (!input.isEmpty()) {
        process.write(input);
    }
    process.closeWriteChannel();
    timer.start(timeoutMs);
    if (process.state() != QProcess::NotRunning) {
        loop.exec();
    }
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished(5000);
    } else {
        run.finished = process.exitStatus() == QProcess::NormalExit;
        run.exitCode = process.exitCode();
    }
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    const QList<QByteArray> lines = run.out.trimmed().split('\n');
    if (!lines.isEmpty()) {
        const QJsonDocument document = QJsonDocument::fromJson(lines.last().trimmed());
        run.summary = document.object();
    }
    return run;
}

// QVERIFY2 evaluates its message even when the check passes: never call error() on a value.
QString errorOf(const std::expected<void, QString>& result)
{
    return result ? QString() : result.error();
}

QString conformanceDir()
{
    const QString sourceDir = qEnvironmentVariable("FAULTLINE_SOURCE_DIR");
    if (!sourceDir.isEmpty()) {
        return QDir(sourceDir).filePath(QStringLiteral("tests/conformance"));
    }
    return QStringLiteral(FAULTLINE_CONFORMANCE_DIR);
}

// Empty when every module imports with the Debian python; else what to install.
QString missingPythonModules(const QStringList& modules)
{
    if (!QFileInfo(kPython).isExecutable()) {
        return QStringLiteral("%1 not found: install the Debian package python3").arg(kPython);
    }
    QStringList missing;
    for (const QString& module : modules) {
        const ClientRun run =
            runClient(kPython, {QStringLiteral("-c"), QStringLiteral("import ") + module}, {},
                      30000);
        if (!run.ok()) {
            missing << module;
        }
    }
    if (missing.isEmpty()) {
        return {};
    }
    return QStringLiteral("python modules %1 missing for %2: apt-get install "
                          "python3-confluent-kafka python3-kafka")
        .arg(missing.join(QStringLiteral(", ")), kPython);
}

ClientRun runPython(const QString& script, QStringList arguments)
{
    arguments.prepend(QDir(conformanceDir()).filePath(script));
    return runClient(kPython, arguments);
}

QString kcatPath()
{
    return QStandardPaths::findExecutable(QStringLiteral("kcat"));
}

QString uniqueTopic(const char* prefix)
{
    return QStringLiteral("%1-%2").arg(QLatin1String(prefix)).arg(
        QDateTime::currentMSecsSinceEpoch() % 100000000);
}

// --- hand-encoded Kafka frames -------------------------------------------------------------------

void appendInt16(QByteArray& bytes, qint16 value)
{
    const auto big = qToBigEndian(value);
    bytes.append(reinterpret_cast<const char*>(&big), sizeof big);
}

void appendInt32(QByteArray& bytes, qint32 value)
{
    const auto big = qToBigEndian(value);
    bytes.append(reinterpret_cast<const char*>(&big), sizeof big);
}

QByteArray framed(const QByteArray& payload)
{
    QByteArray frame;
    appendInt32(frame, qint32(payload.size()));
    return frame + payload;
}

// ApiVersions v0 request: header v1 (api key 18, version 0, correlation id, client id), no body.
QByteArray apiVersionsV0Request(qint32 correlationId)
{
    QByteArray payload;
    appendInt16(payload, 18);
    appendInt16(payload, 0);
    appendInt32(payload, correlationId);
    const QByteArray clientId = QByteArrayLiteral("faultline-conformance");
    appendInt16(payload, qint16(clientId.size()));
    payload += clientId;
    return framed(payload);
}

qint16 int16At(const QByteArray& bytes, qsizetype at)
{
    return qFromBigEndian<qint16>(bytes.constData() + at);
}

qint32 int32At(const QByteArray& bytes, qsizetype at)
{
    return qFromBigEndian<qint32>(bytes.constData() + at);
}

struct ApiRange {
    qint16 key = -1;
    qint16 minVersion = -1;
    qint16 maxVersion = -1;
};

// Reads one response frame (size-prefixed) from the socket within timeoutMs.
std::optional<QByteArray> readFrame(QTcpSocket& socket, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QByteArray buffer;
    while (!deadline.hasExpired()) {
        buffer += socket.readAll();
        if (buffer.size() >= 4) {
            const qint32 size = int32At(buffer, 0);
            if (size < 0 || size > 1 << 20) {
                return std::nullopt;
            }
            if (buffer.size() >= 4 + size) {
                return buffer.mid(4, size);
            }
        }
        if (socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0) {
            return std::nullopt;
        }
        socket.waitForReadyRead(int(qMin<qint64>(deadline.remainingTime(), 200)));
    }
    return std::nullopt;
}

} // namespace

class TstConformance : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void kcatMetadata();
    void kcatProduceConsume();
    void confluentProduceConsume();
    void confluentGroupRebalance();
    void kafkaPythonClient();
    void confluentAdmin();
    void kafkaPythonAdmin();
    void rdkafkaAcksAll();
    void restartKeepsData();
    void controlEndpoint();
    void malformedFrameKeepsServing_data();
    void malformedFrameKeepsServing();

private:
    std::unique_ptr<QTemporaryDir> m_dataDir;
    std::unique_ptr<EngineProcess> m_engine;
};

void TstConformance::init()
{
    m_dataDir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dataDir->isValid(), qPrintable(m_dataDir->errorString()));
    m_engine = std::make_unique<EngineProcess>(m_dataDir->path());
    const auto started = m_engine->start();
    if (!started) {
        m_engine->dumpToTestLog("start failed");
    }
    QVERIFY2(started, qPrintable(errorOf(started)));
    qInfo().noquote() << "engine up:" << m_engine->bootstrap() << m_engine->controlUrl();
}

void TstConformance::cleanup()
{
    if (!m_engine) {
        return;
    }
    // Also reports an engine that died during the test (or that never started).
    const std::expected<void, QString> stopped = m_engine->stop();
    if (QTest::currentTestFailed() || !stopped) {
        m_engine->dumpToTestLog(stopped ? "test failed" : "stop failed");
    }
    const bool wasStarted = !m_engine->bootstrap().isEmpty();
    m_engine.reset();
    m_dataDir.reset();
    if (wasStarted) {
        QVERIFY2(stopped, qPrintable(QStringLiteral("engine did not stop cleanly: ")
                                     + errorOf(stopped)));
    }
}

void TstConformance::kcatMetadata()
{
    const QString kcat = kcatPath();
    QVERIFY2(!kcat.isEmpty(), "kcat not found on PATH: apt-get install kcat");
    const ClientRun run = runClient(
        kcat, {QStringLiteral("-b"), m_engine->bootstrap(), QStringLiteral("-L"),
               QStringLiteral("-J"), QStringLiteral("-m"), QStringLiteral("15")}, {}, 60000);
    QVERIFY2(run.ok(), qPrintable(run.describe()));
    const QJsonObject metadata = QJsonDocument::fromJson(run.out.trimmed()).object();
    QVERIFY2(!metadata.isEmpty(), qPrintable(run.describe()));
    const QJsonArray brokers = metadata.value(QLatin1String("brokers")).toArray();
    QCOMPARE(brokers.size(), 3);
    const QStringList expected = m_engine->brokerAddresses();
    QSet<int> ids;
    QSet<QString> addresses;
    for (const QJsonValue& broker : brokers) {
        ids.insert(broker.toObject().value(QLatin1String("id")).toInt(-1));
        addresses.insert(broker.toObject().value(QLatin1String("name")).toString());
    }
    QCOMPARE(ids.size(), 3);
    QVERIFY2(!ids.contains(-1), "a broker without id");
    QCOMPARE(addresses, QSet<QString>(expected.begin(), expected.end()));
    const int controller = metadata.value(QLatin1String("controllerid")).toInt(-1);
    QVERIFY2(ids.contains(controller),
             qPrintable(QStringLiteral("controller id %1 is not a broker").arg(controller)));
}

void TstConformance::kcatProduceConsume()
{
    const QString kcat = kcatPath();
    QVERIFY2(!kcat.isEmpty(), "kcat not found on PATH: apt-get install kcat");
    const QString topic = uniqueTopic("kcat");
    QStringList sent;
    QByteArray input;
    for (int i = 0; i < 100; ++i) {
        const QString line = QStringLiteral("key-%1:value %2 of the kcat check").arg(i % 10).arg(i);
        sent << line;
        input += line.toUtf8() + '\n';
    }
    const ClientRun produced =
        runClient(kcat, {QStringLiteral("-P"), QStringLiteral("-b"), m_engine->bootstrap(),
                         QStringLiteral("-t"), topic, QStringLiteral("-K:")},
                  input, 90000);
    QVERIFY2(produced.ok(), qPrintable(produced.describe()));
    QVERIFY2(!produced.err.contains("Delivery failed"), qPrintable(produced.describe()));

    const ClientRun consumed =
        runClient(kcat, {QStringLiteral("-C"), QStringLiteral("-b"), m_engine->bootstrap(),
                         QStringLiteral("-t"), topic, QStringLiteral("-e"), QStringLiteral("-o"),
                         QStringLiteral("beginning"), QStringLiteral("-f"),
                         QStringLiteral("%k:%s\\n")},
                  {}, 90000);
    QVERIFY2(consumed.ok(), qPrintable(consumed.describe()));
    QStringList received = QString::fromUtf8(consumed.out).split(QLatin1Char('\n'),
                                                                 Qt::SkipEmptyParts);
    QCOMPARE(received.size(), sent.size());
    // Partitions interleave in any order; within a key (one partition) the order must hold.
    for (int key = 0; key < 10; ++key) {
        const QString prefix = QStringLiteral("key-%1:").arg(key);
        QCOMPARE(received.filter(prefix), sent.filter(prefix));
    }
    received.sort();
    sent.sort();
    QCOMPARE(received, sent);

    // From an offset past the log end: the Fetch answers OFFSET_OUT_OF_RANGE and librdkafka
    // resets (here to the earliest offset) and reads the partition from its start. It can only
    // when the answer's record set is empty rather than null; with a null one it logged
    // "invalid MessageSetSize -1" in a loop and never reached the end.
    auto partitionZero = [&](const QString& from) {
        return runClient(kcat,
                         {QStringLiteral("-C"), QStringLiteral("-b"), m_engine->bootstrap(),
                          QStringLiteral("-t"), topic, QStringLiteral("-p"), QStringLiteral("0"),
                          QStringLiteral("-e"), QStringLiteral("-o"), from, QStringLiteral("-X"),
                          QStringLiteral("auto.offset.reset=earliest"), QStringLiteral("-f"),
                          QStringLiteral("%o %k:%s\\n")},
                         {}, 30000);
    };
    const ClientRun fromStart = partitionZero(QStringLiteral("beginning"));
    QVERIFY2(fromStart.ok(), qPrintable(fromStart.describe()));
    QVERIFY(!fromStart.out.isEmpty());
    const ClientRun reset = partitionZero(QStringLiteral("1000000"));
    QVERIFY2(reset.ok(), qPrintable(reset.describe()));
    QVERIFY2(!reset.err.contains("MessageSetSize"), qPrintable(reset.describe()));
    QVERIFY2(reset.err.contains("Offset out of range"), qPrintable(reset.describe()));
    QCOMPARE(reset.out, fromStart.out);
}

void TstConformance::confluentProduceConsume()
{
    const QString missing = missingPythonModules({QStringLiteral("confluent_kafka")});
    QVERIFY2(missing.isEmpty(), qPrintable(missing));
    const ClientRun run = runPython(QStringLiteral("ck_produce_consume.py"),
                                    {QStringLiteral("--bootstrap"), m_engine->bootstrap()});
    QVERIFY2(run.ok(), qPrintable(run.describe()));
    const QJsonObject& s = run.summary;
    QVERIFY2(s.value(QLatin1String("ok")).toBool(), qPrintable(run.describe()));
    QCOMPARE(s.value(QLatin1String("produced")).toInt(), 2000);
    QCOMPARE(s.value(QLatin1String("consumed")).toInt(), 2000);
    QCOMPARE(s.value(QLatin1String("consumed_main")).toInt(), 1000);
    const QJsonObject codecs = s.value(QLatin1String("codecs")).toObject();
    for (const char* codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
        QCOMPARE(codecs.value(QLatin1String(codec)).toInt(), 200);
    }
    QCOMPARE(s.value(QLatin1String("partitions_used")).toInt(), 3);
    QVERIFY(!s.value(QLatin1String("retention_ms")).toString().isEmpty());
    QCOMPARE(s.value(QLatin1String("deleted")).toInt(), 6);
}

void TstConformance::confluentGroupRebalance()
{
    const QString missing = missingPythonModules({QStringLiteral("confluent_kafka")});
    QVERIFY2(missing.isEmpty(), qPrintable(missing));
    const ClientRun run = runPython(QStringLiteral("ck_group_rebalance.py"),
                                    {QStringLiteral("--bootstrap"), m_engine->bootstrap()});
    QVERIFY2(run.ok(), qPrintable(run.describe()));
    const QJsonObject& s = run.summary;
    QCOMPARE(s.value(QLatin1String("produced")).toInt(), 600);
    QCOMPARE(s.value(QLatin1String("consumed")).toInt(), 600);
    QCOMPARE(s.value(QLatin1String("consumed_c1")).toInt()
                 + s.value(QLatin1String("consumed_c2")).toInt(),
             600);
    QVERIFY(s.value(QLatin1String("c2_after_leave")).toInt() > 0);
    QCOMPARE(s.value(QLatin1String("assign_initial")).toArray(), QJsonArray({3, 3}));
    QCOMPARE(s.value(QLatin1String("assign_final")).toInt(), 6);
    QCOMPARE(s.value(QLatin1String("committed_total")).toInt(), 600);
}

void TstConformance::kafkaPythonClient()
{
    const QString missing = missingPythonModules({QStringLiteral("kafka")});
    QVERIFY2(missing.isEmpty(), qPrintable(missing));
    const ClientRun run = runPython(QStringLiteral("kp_client.py"),
                                    {QStringLiteral("--bootstrap"), m_engine->bootstrap()});
    QVERIFY2(run.ok(), qPrintable(run.describe()));
    const QJsonObject& s = run.summary;
    QCOMPARE(s.value(QLatin1String("produced")).toInt(), 500);
    QCOMPARE(s.value(QLatin1String("consumed")).toInt(), 500);
    QCOMPARE(s.value(QLatin1String("committed_total")).toInt(), 500);
    QCOMPARE(s.value(QLatin1String("reread")).toInt(-1), 0);
    QVERIFY(!s.value(QLatin1String("retention_ms")).toString().isEmpty());
    QCOMPARE(s.value(QLatin1String("deleted")).toInt(), 1);
}

void TstConformance::confluentAdmin()
{
    const QString missing = missingPythonModules({QStringLiteral("confluent_kafka")});
    QVERIFY2(missing.isEmpty(), qPrintable(missing));
    const ClientRun run = runPython(QStringLiteral("ck_admin.py"),
                                    {QStringLiteral("--bootstrap"), m_engine->bootstrap()});
    QVERIFY2(run.ok(), qPrintable(run.describe()));
    const QJsonObject& s = run.summary;
    QVERIFY2(s.value(QLatin1String("ok")).toBool(), qPrintable(run.describe()));
    QCOMPARE(s.value(QLatin1String("validate_only_created")).toBool(true), false);
    QCOMPARE(s.value(QLatin1String("rf_error")).toString(),
             QStringLiteral("INVALID_REPLICATION_FACTOR"));
    QVERIFY(!s.value(QLatin1String("invalid_name_error")).toString().isEmpty());
    QVERIFY(s.value(QLatin1String("assignment_honoured")).toBool());
    QCOMPARE(s.value(QLatin1String("partitions_after")).toInt(), 6);
    QCOMPARE(s.value(QLatin1String("retention_ms")).toString(), QStringLiteral("3600000"));
    QCOMPARE(s.value(QLatin1String("retention_source")).toString(),
             QStringLiteral("DYNAMIC_TOPIC_CONFIG"));
    QVERIFY(s.value(QLatin1String("topic_configs")).toInt() > 10);
    QVERIFY(s.value(QLatin1String("broker_configs")).toInt() > 10);
    QVERIFY(s.value(QLatin1String("broker_has_num_partitions")).toBool());
    QCOMPARE(s.value(QLatin1String("deleted")).toInt(), 1);
}

void TstConformance::kafkaPythonAdmin()
{
    const QString missing = missingPythonModules({QStringLiteral("kafka")});
    QVERIFY2(missing.isEmpty(), qPrintable(missing));
    const ClientRun run = runPython(QStringLiteral("kp_admin.py"),
                                    {QStringLiteral("--bootstrap"), m_engine->bootstrap()});
    QVERIFY2(run.ok(), qPrintable(run.describe()));
    const QJsonObject& s = run.summary;
    QVERIFY2(s.value(QLatin1String("ok")).toBool(), qPrintable(run.describe()));
    QCOMPARE(s.value(QLatin1String("partitions")).toInt(), 5);
    QCOMPARE(s.value(QLatin1String("retention_ms")).toString(), QStringLiteral("7200000"));
    QCOMPARE(s.value(QLatin1String("produced")).toInt(), 60);
    QCOMPARE(s.value(QLatin1String("consumed")).toInt(), 60);
    QVERIFY(s.value(QLatin1String("listed")).toBool());
    QCOMPARE(s.value(QLatin1String("group_state")).toString(), QStringLiteral("Empty"));
    QCOMPARE(s.value(QLatin1String("committed_total")).toInt(), 60);
    QCOMPARE(s.value(QLatin1String("deleted")).toInt(), 1);
}

void TstConformance::rdkafkaAcksAll()
{
    const QString program = QStringLiteral(FAULTLINE_RDKAFKA_ACKS_ALL_PATH);
    QVERIFY2(QFileInfo(program).isExecutable(),
             qPrintable(QStringLiteral("%1 missing: build the conformance_rdkafka_acks_all "
                                       "target").arg(program)));
    const ClientRun run = runClient(
        program, {QStringLiteral("--bootstrap"), m_engine->bootstrap(), QStringLiteral("--topic"),
                  uniqueTopic("rdkafka-acks-all"), QStringLiteral("--count"),
                  QStringLiteral("2000"), QStringLiteral("--timeout"), QStringLiteral("90")});
    QVERIFY2(run.ok(), qPrintable(run.describe()));
    const QJsonObject& s = run.summary;
    QCOMPARE(s.value(QLatin1String("produced")).toInt(), 2000);
    QCOMPARE(s.value(QLatin1String("delivered")).toInt(), 2000);
    QCOMPARE(s.value(QLatin1String("consumed")).toInt(), 2000);
    QCOMPARE(s.value(QLatin1String("partitions")).toInt(), 3); // auto-created: num.partitions 3
}

void TstConformance::restartKeepsData()
{
    const QString missing = missingPythonModules({QStringLiteral("confluent_kafka")});
    QVERIFY2(missing.isEmpty(), qPrintable(missing));
    QTemporaryDir stateDir;
    QVERIFY(stateDir.isValid());
    const QString stateFile = stateDir.filePath(QStringLiteral("restart_state.json"));

    const ClientRun produced = runPython(
        QStringLiteral("verify_after_restart.py"),
        {QStringLiteral("produce"), QStringLiteral("--bootstrap"), m_engine->bootstrap(),
         QStringLiteral("--state"), stateFile, QStringLiteral("--count"), QStringLiteral("300")});
    QVERIFY2(produced.ok(), qPrintable(produced.describe()));
    QCOMPARE(produced.summary.value(QLatin1String("produced")).toInt(), 300);
    QCOMPARE(produced.summary.value(QLatin1String("committed_total")).toInt(), 300);

    const auto stopped = m_engine->stop();
    if (!stopped) {
        m_engine->dumpToTestLog("first engine did not stop cleanly");
    }
    QVERIFY2(stopped, qPrintable(errorOf(stopped)));
    m_engine = std::make_unique<EngineProcess>(m_dataDir->path());
    const auto restarted = m_engine->start();
    QVERIFY2(restarted, qPrintable(QStringLiteral("restart on the same data dir: ")
                                   + errorOf(restarted)));

    const ClientRun verified = runPython(
        QStringLiteral("verify_after_restart.py"),
        {QStringLiteral("verify"), QStringLiteral("--bootstrap"), m_engine->bootstrap(),
         QStringLiteral("--state"), stateFile});
    QVERIFY2(verified.ok(), qPrintable(verified.describe()));
    QCOMPARE(verified.summary.value(QLatin1String("consumed")).toInt(), 300);
    QCOMPARE(verified.summary.value(QLatin1String("committed_total")).toInt(), 300);
}

void TstConformance::controlEndpoint()
{
    QNetworkAccessManager manager;
    const QUrl url(m_engine->controlUrl() + QStringLiteral("/v1/cluster"));
    std::unique_ptr<QNetworkReply> reply(manager.get(QNetworkRequest(url)));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QVERIFY2(reply->error() == QNetworkReply::NoError, qPrintable(reply->errorString()));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const QByteArray body = reply->readAll();
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    QVERIFY2(document.isObject(), qPrintable(parseError.errorString() + QLatin1String(": ")
                                             + QString::fromUtf8(body.left(500))));
    const QJsonObject cluster = document.object();
    const QJsonArray brokers = cluster.value(QLatin1String("brokers")).toArray();
    QCOMPARE(brokers.size(), 3);

    QSet<int> ids;
    QSet<int> faultDomains;
    QSet<QString> placements;
    QSet<QString> addresses;
    for (const QJsonValue& value : brokers) {
        const QJsonObject broker = value.toObject();
        const int id = broker.value(QLatin1String("id")).toInt(-1);
        const int fd = broker.value(QLatin1String("fd")).toInt(-1);
        const int ud = broker.value(QLatin1String("ud")).toInt(-1);
        QVERIFY2(id >= 0, qPrintable(QString::fromUtf8(body)));
        QVERIFY2(fd >= 0 && fd < 3, qPrintable(QStringLiteral("broker %1 fd %2").arg(id).arg(fd)));
        QVERIFY2(ud >= 0 && ud < 3, qPrintable(QStringLiteral("broker %1 ud %2").arg(id).arg(ud)));
        QCOMPARE(broker.value(QLatin1String("rack")).toString(),
                 QStringLiteral("FD%1UD%2").arg(fd).arg(ud));
        QCOMPARE(broker.value(QLatin1String("host")).toString(), QStringLiteral("127.0.0.1"));
        QCOMPARE(broker.value(QLatin1String("state")).toString(), QStringLiteral("running"));
        ids.insert(id);
        faultDomains.insert(fd);
        placements.insert(QStringLiteral("%1/%2").arg(fd).arg(ud));
        addresses.insert(QStringLiteral("127.0.0.1:%1")
                             .arg(broker.value(QLatin1String("port")).toInt()));
    }
    QCOMPARE(ids.size(), 3);
    QCOMPARE(faultDomains.size(), 3); // 3 brokers over 3 fault domains: one each
    QCOMPARE(placements.size(), 3);
    const QStringList bootstrap = m_engine->brokerAddresses();
    QCOMPARE(addresses, QSet<QString>(bootstrap.begin(), bootstrap.end()));
    const int controller = cluster.value(QLatin1String("controller")).toInt(-1);
    QVERIFY2(ids.contains(controller),
             qPrintable(QStringLiteral("controller %1 is not among the brokers").arg(controller)));
}

void TstConformance::malformedFrameKeepsServing_data()
{
    QTest::addColumn<QByteArray>("bytes");

    QByteArray garbage;
    appendInt32(garbage, 16);
    garbage += QByteArray(16, '\xff'); // api key -1, version -1, correlation -1, ...
    QTest::newRow("garbage unknown api key") << garbage;

    QByteArray truncatedHeader;
    appendInt32(truncatedHeader, 3);
    truncatedHeader += QByteArray("\x00\x12\x00", 3); // a header needs at least 8 bytes
    QTest::newRow("truncated header") << truncatedHeader;

    QByteArray truncatedBody;
    appendInt32(truncatedBody, 14);
    appendInt16(truncatedBody, 3); // Metadata
    appendInt16(truncatedBody, 1); // v1
    appendInt32(truncatedBody, 7); // correlation id
    appendInt16(truncatedBody, -1); // null client id
    appendInt32(truncatedBody, 5); // 5 topics announced, none follow
    QTest::newRow("truncated body") << truncatedBody;

    QByteArray oversize;
    appendInt32(oversize, 0x7fffffff);
    oversize += QByteArray(8, '\0');
    QTest::newRow("oversize length 0x7fffffff") << oversize;

    QByteArray negative;
    appendInt32(negative, -5);
    negative += QByteArray(8, '\0');
    QTest::newRow("negative length") << negative;
}

void TstConformance::malformedFrameKeepsServing()
{
    QFETCH(QByteArray, bytes);
    const QString address = m_engine->brokerAddresses().value(0);
    const QString host = address.section(QLatin1Char(':'), 0, 0);
    const quint16 port = quint16(address.section(QLatin1Char(':'), 1, 1).toUInt());
    QVERIFY2(port != 0, qPrintable(address));

    QTcpSocket bad;
    QTcpSocket good;
    bad.connectToHost(host, port);
    good.connectToHost(host, port);
    QVERIFY2(bad.waitForConnected(5000), qPrintable(bad.errorString()));
    QVERIFY2(good.waitForConnected(5000), qPrintable(good.errorString()));

    bad.write(bytes);
    QVERIFY(bad.waitForBytesWritten(5000));
    if (bad.state() != QAbstractSocket::UnconnectedState) {
        QVERIFY2(bad.waitForDisconnected(10000),
                 "the broker kept a connection open after a malformed frame");
    }

    constexpr qint32 correlationId = 0x5eed1234;
    good.write(apiVersionsV0Request(correlationId));
    QVERIFY(good.waitForBytesWritten(5000));
    const std::optional<QByteArray> response = readFrame(good, 10000);
    QVERIFY2(response, "no ApiVersions answer on the second connection");
    QVERIFY2(response->size() >= 10, qPrintable(response->toHex()));
    QCOMPARE(int32At(*response, 0), correlationId);
    QCOMPARE(int16At(*response, 4), qint16(0));
    const qint32 count = int32At(*response, 6);
    QVERIFY2(count > 0, qPrintable(QStringLiteral("api count %1").arg(count)));
    QCOMPARE(response->size(), 10 + 6 * qsizetype(count)); // v0: no throttle time, no tags
    std::optional<ApiRange> apiVersions;
    for (qint32 i = 0; i < count; ++i) {
        const qsizetype at = 10 + 6 * i;
        const ApiRange range{int16At(*response, at), int16At(*response, at + 2),
                             int16At(*response, at + 4)};
        QVERIFY2(range.minVersion <= range.maxVersion,
                 qPrintable(QStringLiteral("api %1: %2..%3")
                                .arg(range.key).arg(range.minVersion).arg(range.maxVersion)));
        if (range.key == 18) {
            apiVersions = range;
        }
    }
    QVERIFY2(apiVersions, "ApiVersions (key 18) missing from its own answer");
    QCOMPARE(apiVersions->minVersion, qint16(0));
    QVERIFY(m_engine->isRunning());
}

QTEST_GUILESS_MAIN(TstConformance)
#include "tst_conformance.moc"
