// faultline-ctl: the console's cluster views for scripts and terminals, from the same models code.
//   faultline-ctl --bootstrap HOST:PORT[,...] [--command-config FILE] [--json] [--timeout S] COMMAND
//   COMMAND: cluster describe | topics list | groups lag [--group G]
// A ClusterSession runs in this event loop; the first snapshot is printed (aligned tables, or JSON
// with stable keys) and the tool exits 0. Failure: exit non-zero with one line on stderr.
#include "models/cluster_session.h"
#include "models/cluster_snapshot.h"
#include "models/connection_profile.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTimer>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <expected>
#include <memory>
#include <optional>

namespace {

using faultline::models::BrokerStatus;
using faultline::models::ClusterSession;
using faultline::models::ClusterSnapshot;
using faultline::models::ConnectionProfile;
using faultline::models::ConnectionState;
using faultline::models::GroupRow;
using faultline::models::SecurityProtocol;
using faultline::models::SnapshotPtr;

enum ExitCode : int { ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitTimeout = 3 };

enum class Command { ClusterDescribe, TopicsList, GroupsLag };

struct Options {
    Command command = Command::ClusterDescribe;
    bool json = false;
    int timeoutMs = 10000;
    QString group;
    ConnectionProfile profile;
    QString password;
};

void writeOut(const QString& text) {
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

// One line on stderr: the reason, with newlines folded so scripts can read it as one line.
void writeError(QString reason) {
    reason.replace(QRegularExpression(QStringLiteral("\\s*[\\r\\n]+\\s*")), QStringLiteral("; "));
    const QByteArray bytes = (QStringLiteral("faultline-ctl: ") + reason + QLatin1Char('\n')).toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stderr);
    std::fflush(stderr);
}

// ---- --command-config: Kafka client properties, as Kafka's own tools read them -----------------

// java.util.Properties' line format: '#' or '!' comments, key and value separated by '=', ':' or
// whitespace, a trailing backslash continues the line.
std::expected<QMap<QString, QString>, QString> readProperties(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return std::unexpected(QStringLiteral("cannot read command config %1: %2")
                                   .arg(path, file.errorString()));
    }
    QMap<QString, QString> result;
    QString pending;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        QString line = lines[i];
        if (line.endsWith(QLatin1Char('\r'))) line.chop(1);
        line = pending.isEmpty() ? line.trimmed() : pending + line.trimmed();
        pending.clear();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || line.startsWith(QLatin1Char('!')))
            continue;
        if (line.endsWith(QLatin1Char('\\')) && !line.endsWith(QLatin1String("\\\\"))) {
            line.chop(1);
            pending = line;
            if (i + 1 < lines.size()) continue;
            line = pending;
        }
        qsizetype cut = -1;
        for (qsizetype c = 0; c < line.size(); ++c) {
            const QChar ch = line[c];
            if (ch == QLatin1Char('=') || ch == QLatin1Char(':') || ch.isSpace()) {
                cut = c;
                break;
            }
        }
        QString key = cut < 0 ? line : line.left(cut).trimmed();
        QString value;
        if (cut >= 0) {
            value = line.mid(cut + 1).trimmed();
            if (line[cut].isSpace() && (value.startsWith(QLatin1Char('=')) ||
                                        value.startsWith(QLatin1Char(':')))) {
                value = value.mid(1).trimmed();
            }
        }
        if (key.isEmpty()) {
            return std::unexpected(
                QStringLiteral("%1 line %2: a property without a name").arg(path).arg(i + 1));
        }
        result.insert(key, value);
    }
    return result;
}

// username="..." password="..." out of a sasl.jaas.config (PlainLoginModule, ScramLoginModule).
QString jaasOption(const QString& jaas, const QString& name) {
    const QRegularExpression re(QStringLiteral("\\b%1\\s*=\\s*\"([^\"]*)\"").arg(name));
    const auto match = re.match(jaas);
    return match.hasMatch() ? match.captured(1) : QString();
}

std::expected<void, QString> applyCommandConfig(const QMap<QString, QString>& properties,
                                                Options& options) {
    ConnectionProfile& p = options.profile;
    for (auto it = properties.cbegin(); it != properties.cend(); ++it) {
        const QString& key = it.key();
        const QString& value = it.value();
        if (key == QLatin1String("security.protocol")) {
            const QString upper = value.toUpper();
            if (upper == QLatin1String("PLAINTEXT")) p.security = SecurityProtocol::Plaintext;
            else if (upper == QLatin1String("SSL")) p.security = SecurityProtocol::Ssl;
            else if (upper == QLatin1String("SASL_PLAINTEXT")) p.security = SecurityProtocol::SaslPlaintext;
            else if (upper == QLatin1String("SASL_SSL")) p.security = SecurityProtocol::SaslSsl;
            else return std::unexpected(QStringLiteral("unknown security.protocol '%1'").arg(value));
        } else if (key == QLatin1String("sasl.mechanism") || key == QLatin1String("sasl.mechanisms")) {
            p.saslMechanism = value;
        } else if (key == QLatin1String("sasl.username")) {
            p.username = value;
        } else if (key == QLatin1String("sasl.password")) {
            options.password = value;
        } else if (key == QLatin1String("sasl.jaas.config")) {
            p.username = jaasOption(value, QStringLiteral("username"));
            options.password = jaasOption(value, QStringLiteral("password"));
            if (p.username.isEmpty()) {
                return std::unexpected(
                    QStringLiteral("sasl.jaas.config has no username=\"...\" (only the PLAIN and "
                                   "SCRAM login modules are understood)"));
            }
        } else if (key == QLatin1String("ssl.ca.location")) {
            p.caFile = value;
        } else if (key == QLatin1String("ssl.certificate.location")) {
            p.certFile = value;
        } else if (key == QLatin1String("ssl.key.location")) {
            p.keyFile = value;
        } else if (key == QLatin1String("bootstrap.servers")) {
            if (p.bootstrapServers.isEmpty()) p.bootstrapServers = value;
        } else if (key.startsWith(QLatin1String("ssl.truststore.")) ||
                   key.startsWith(QLatin1String("ssl.keystore.type")) ||
                   key == QLatin1String("ssl.keystore.location")) {
            return std::unexpected(
                QStringLiteral("%1: Java key stores are not supported; use ssl.ca.location, "
                               "ssl.certificate.location and ssl.key.location (PEM files)")
                    .arg(key));
        } else {
            // librdkafka names, passed through as is; the built-in client reads ssl.key.password,
            // ssl.endpoint.identification.algorithm and enable.ssl.certificate.verification here.
            p.extraProperties.insert(key, value);
        }
    }
    return {};
}

// ---- output ---------------------------------------------------------------------------------------

// Columns padded to their widest cell; numbers right-aligned.
class Table {
public:
    explicit Table(QStringList headers, QVector<bool> rightAligned)
        : m_headers(std::move(headers)), m_right(std::move(rightAligned)) {}
    void addRow(QStringList cells) { m_rows.push_back(std::move(cells)); }
    [[nodiscard]] QString render() const {
        QVector<qsizetype> widths(m_headers.size(), 0);
        auto measure = [&](const QStringList& row) {
            for (qsizetype c = 0; c < row.size() && c < widths.size(); ++c)
                widths[c] = std::max(widths[c], row[c].size());
        };
        measure(m_headers);
        for (const auto& row : m_rows) measure(row);
        QString out;
        auto line = [&](const QStringList& row) {
            QString text;
            for (qsizetype c = 0; c < widths.size(); ++c) {
                const QString cell = c < row.size() ? row[c] : QString();
                if (c > 0) text += QStringLiteral("  ");
                const bool last = c + 1 == widths.size();
                if (c < m_right.size() && m_right[c]) {
                    text += cell.rightJustified(widths[c]);
                } else {
                    text += last ? cell : cell.leftJustified(widths[c]);
                }
            }
            while (text.endsWith(QLatin1Char(' '))) text.chop(1);
            out += text + QLatin1Char('\n');
        };
        line(m_headers);
        for (const auto& row : m_rows) line(row);
        return out;
    }

private:
    QStringList m_headers;
    QVector<bool> m_right;
    QVector<QStringList> m_rows;
};

QString number(qint64 value) {
    return value < 0 ? QStringLiteral("-") : QString::number(value);
}

QString bytes(qint64 value) {
    if (value < 0) return QStringLiteral("-");
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = static_cast<double>(value);
    int unit = 0;
    while (v >= 1024.0 && unit < 5) {
        v /= 1024.0;
        ++unit;
    }
    return unit == 0 ? QStringLiteral("%1 B").arg(value)
                     : QStringLiteral("%1 %2").arg(v, 0, 'f', 1).arg(QLatin1String(units[unit]));
}

QString domain(int value) { return value < 0 ? QStringLiteral("-") : QString::number(value); }

QString jsonText(const QJsonObject& object) {
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Indented));
}

QJsonValue jsonNumber(qint64 value) { return value < 0 ? QJsonValue() : QJsonValue(value); }

QString brokerStatus(BrokerStatus status) {
    return status == BrokerStatus::Up ? QStringLiteral("up") : QStringLiteral("down");
}

QString clusterDescribe(const ClusterSnapshot& s, bool json) {
    int up = 0;
    for (const auto& b : s.brokers) up += b.status == BrokerStatus::Up ? 1 : 0;
    if (json) {
        QJsonArray brokers;
        for (const auto& b : s.brokers) {
            brokers.append(QJsonObject{
                {QStringLiteral("id"), b.id},
                {QStringLiteral("host"), b.host},
                {QStringLiteral("port"), b.port},
                {QStringLiteral("rack"), b.rack.isEmpty() ? QJsonValue() : QJsonValue(b.rack)},
                {QStringLiteral("faultDomain"), b.faultDomain < 0 ? QJsonValue() : QJsonValue(b.faultDomain)},
                {QStringLiteral("updateDomain"), b.updateDomain < 0 ? QJsonValue() : QJsonValue(b.updateDomain)},
                {QStringLiteral("controller"), b.controller},
                {QStringLiteral("status"), brokerStatus(b.status)},
                {QStringLiteral("leaderCount"), b.leaderCount},
                {QStringLiteral("replicaCount"), b.replicaCount},
                {QStringLiteral("diskBytes"), jsonNumber(b.diskBytes)},
            });
        }
        QJsonObject totals{
            {QStringLiteral("brokers"), static_cast<int>(s.brokers.size())},
            {QStringLiteral("brokersUp"), up},
            {QStringLiteral("topics"), static_cast<int>(s.topics.size())},
            {QStringLiteral("partitions"), s.partitionCount()},
            {QStringLiteral("underReplicated"), s.underReplicatedCount()},
            {QStringLiteral("offline"), s.offlineCount()},
            {QStringLiteral("underMinIsr"), s.underMinIsrCount()},
            {QStringLiteral("diskBytes"), jsonNumber(s.totalDiskBytes())},
        };
        return jsonText(QJsonObject{
            {QStringLiteral("clusterId"), s.clusterId},
            {QStringLiteral("controllerId"), s.controllerId},
            {QStringLiteral("brokers"), brokers},
            {QStringLiteral("totals"), totals},
            {QStringLiteral("warnings"), QJsonArray::fromStringList(s.warnings)},
        });
    }
    QString out;
    Table summary({QStringLiteral("CLUSTER"), QString()}, {false, false});
    summary.addRow({QStringLiteral("Cluster id"), s.clusterId.isEmpty() ? QStringLiteral("-") : s.clusterId});
    summary.addRow({QStringLiteral("Controller"), number(s.controllerId)});
    summary.addRow({QStringLiteral("Brokers"), QStringLiteral("%1 (%2 up)").arg(s.brokers.size()).arg(up)});
    summary.addRow({QStringLiteral("Topics"), QString::number(s.topics.size())});
    summary.addRow({QStringLiteral("Partitions"), QString::number(s.partitionCount())});
    summary.addRow({QStringLiteral("Under-replicated"), QString::number(s.underReplicatedCount())});
    summary.addRow({QStringLiteral("Offline"), QString::number(s.offlineCount())});
    summary.addRow({QStringLiteral("Under min ISR"), QString::number(s.underMinIsrCount())});
    summary.addRow({QStringLiteral("Disk"), bytes(s.totalDiskBytes())});
    out += summary.render().section(QLatin1Char('\n'), 1); // no header line for the summary
    out += QLatin1Char('\n');
    Table brokers({QStringLiteral("ID"), QStringLiteral("HOST:PORT"), QStringLiteral("RACK"),
                   QStringLiteral("FD"), QStringLiteral("UD"), QStringLiteral("CONTROLLER"),
                   QStringLiteral("LEADERS"), QStringLiteral("REPLICAS"), QStringLiteral("DISK"),
                   QStringLiteral("STATUS")},
                  {true, false, false, true, true, false, true, true, true, false});
    for (const auto& b : s.brokers) {
        brokers.addRow({QString::number(b.id), QStringLiteral("%1:%2").arg(b.host).arg(b.port),
                        b.rack.isEmpty() ? QStringLiteral("-") : b.rack, domain(b.faultDomain),
                        domain(b.updateDomain), b.controller ? QStringLiteral("yes") : QString(),
                        QString::number(b.leaderCount), QString::number(b.replicaCount),
                        bytes(b.diskBytes), brokerStatus(b.status)});
    }
    out += brokers.render();
    for (const QString& warning : s.warnings) out += QStringLiteral("warning: %1\n").arg(warning);
    return out;
}

QString topicsList(const ClusterSnapshot& s, bool json) {
    if (json) {
        QJsonArray topics;
        for (const auto& t : s.topics) {
            topics.append(QJsonObject{
                {QStringLiteral("name"), t.name},
                {QStringLiteral("internal"), t.internal},
                {QStringLiteral("partitions"), static_cast<int>(t.partitions.size())},
                {QStringLiteral("replicationFactor"), t.replicationFactor()},
                {QStringLiteral("underReplicated"), t.underReplicatedCount()},
                {QStringLiteral("offline"), t.offlineCount()},
                {QStringLiteral("sizeBytes"), jsonNumber(t.sizeBytes())},
                {QStringLiteral("messages"), jsonNumber(t.messageCount())},
            });
        }
        return jsonText(QJsonObject{{QStringLiteral("topics"), topics}});
    }
    Table table({QStringLiteral("TOPIC"), QStringLiteral("PARTITIONS"), QStringLiteral("RF"),
                 QStringLiteral("UNDER-REPLICATED"), QStringLiteral("OFFLINE"), QStringLiteral("SIZE"),
                 QStringLiteral("MESSAGES")},
                {false, true, true, true, true, true, true});
    for (const auto& t : s.topics) {
        table.addRow({t.name, QString::number(t.partitions.size()),
                      QString::number(t.replicationFactor()),
                      QString::number(t.underReplicatedCount()), QString::number(t.offlineCount()),
                      bytes(t.sizeBytes()), number(t.messageCount())});
    }
    return table.render();
}

QString groupsLag(const ClusterSnapshot& s, bool json, const QString& only) {
    if (!only.isEmpty()) {
        const GroupRow* g = s.group(only);
        if (g == nullptr) return {};
        if (json) {
            QJsonArray partitions;
            for (const auto& o : g->offsets) {
                partitions.append(QJsonObject{
                    {QStringLiteral("topic"), o.topic},
                    {QStringLiteral("partition"), o.partition},
                    {QStringLiteral("committedOffset"), jsonNumber(o.committedOffset)},
                    {QStringLiteral("endOffset"), jsonNumber(o.endOffset)},
                    {QStringLiteral("lag"), jsonNumber(o.lag())},
                    {QStringLiteral("memberId"), o.memberId.isEmpty() ? QJsonValue() : QJsonValue(o.memberId)},
                });
            }
            return jsonText(QJsonObject{
                {QStringLiteral("groupId"), g->groupId},
                {QStringLiteral("state"), g->state},
                {QStringLiteral("protocol"), g->protocol},
                {QStringLiteral("coordinator"), g->coordinator},
                {QStringLiteral("members"), static_cast<int>(g->members.size())},
                {QStringLiteral("totalLag"), jsonNumber(g->totalLag())},
                {QStringLiteral("partitions"), partitions},
            });
        }
        QString out = QStringLiteral("Group %1: %2, %3 member(s), total lag %4\n\n")
                          .arg(g->groupId, g->state.isEmpty() ? QStringLiteral("-") : g->state)
                          .arg(g->members.size())
                          .arg(number(g->totalLag()));
        Table table({QStringLiteral("TOPIC"), QStringLiteral("PARTITION"), QStringLiteral("COMMITTED"),
                     QStringLiteral("END"), QStringLiteral("LAG"), QStringLiteral("MEMBER")},
                    {false, true, true, true, true, false});
        for (const auto& o : g->offsets) {
            table.addRow({o.topic, QString::number(o.partition), number(o.committedOffset),
                          number(o.endOffset), number(o.lag()),
                          o.memberId.isEmpty() ? QStringLiteral("-") : o.memberId});
        }
        return out + table.render();
    }
    if (json) {
        QJsonArray groups;
        for (const auto& g : s.groups) {
            groups.append(QJsonObject{
                {QStringLiteral("groupId"), g.groupId},
                {QStringLiteral("state"), g.state},
                {QStringLiteral("protocol"), g.protocol},
                {QStringLiteral("members"), static_cast<int>(g.members.size())},
                {QStringLiteral("totalLag"), jsonNumber(g.totalLag())},
            });
        }
        return jsonText(QJsonObject{{QStringLiteral("groups"), groups}});
    }
    Table table({QStringLiteral("GROUP"), QStringLiteral("STATE"), QStringLiteral("MEMBERS"),
                 QStringLiteral("TOTAL LAG")},
                {false, false, true, true});
    for (const auto& g : s.groups) {
        table.addRow({g.groupId, g.state.isEmpty() ? QStringLiteral("-") : g.state,
                      QString::number(g.members.size()), number(g.totalLag())});
    }
    return table.render();
}

// ---- arguments --------------------------------------------------------------------------------------

std::expected<Options, QString> parseArguments(const QCoreApplication& app, QCommandLineParser& parser) {
    parser.setApplicationDescription(QStringLiteral(
        "Faultline's cluster views on the command line.\n\nCommands:\n"
        "  cluster describe       cluster id, controller, brokers (rack, FD, UD), totals\n"
        "  topics list            topics with partitions, RF, under-replicated, size, messages\n"
        "  groups lag [--group G] consumer groups and their lag; per partition with --group"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption bootstrap(QStringList{QStringLiteral("b"), QStringLiteral("bootstrap")},
                                       QStringLiteral("Bootstrap servers HOST:PORT[,...]."),
                                       QStringLiteral("servers"));
    const QCommandLineOption commandConfig(QStringLiteral("command-config"),
                                           QStringLiteral("Kafka client properties file."),
                                           QStringLiteral("file"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("JSON output."));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
                                     QStringLiteral("Give up after S seconds (default 10)."),
                                     QStringLiteral("S"), QStringLiteral("10"));
    const QCommandLineOption group(QStringList{QStringLiteral("g"), QStringLiteral("group")},
                                   QStringLiteral("One group's partitions (groups lag)."),
                                   QStringLiteral("group"));
    parser.addOptions({bootstrap, commandConfig, json, timeout, group});
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("See above."),
                                 QStringLiteral("COMMAND"));
    if (!parser.parse(app.arguments())) return std::unexpected(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) parser.showHelp(ExitOk);
    if (parser.isSet(QStringLiteral("version"))) parser.showVersion();

    Options options;
    options.json = parser.isSet(json);
    bool ok = false;
    const double seconds = parser.value(timeout).toDouble(&ok);
    if (!ok || seconds <= 0) {
        return std::unexpected(QStringLiteral("--timeout wants a positive number of seconds, not '%1'")
                                   .arg(parser.value(timeout)));
    }
    options.timeoutMs = static_cast<int>(std::min(seconds * 1000.0, 24.0 * 3600 * 1000));

    const QString words = parser.positionalArguments().join(QLatin1Char(' '));
    if (words == QLatin1String("cluster describe")) {
        options.command = Command::ClusterDescribe;
    } else if (words == QLatin1String("topics list")) {
        options.command = Command::TopicsList;
    } else if (words == QLatin1String("groups lag")) {
        options.command = Command::GroupsLag;
    } else if (words.isEmpty()) {
        return std::unexpected(QStringLiteral(
            "no command: use 'cluster describe', 'topics list' or 'groups lag' (see --help)"));
    } else {
        return std::unexpected(QStringLiteral("unknown command '%1': use 'cluster describe', "
                                              "'topics list' or 'groups lag'")
                                   .arg(words));
    }
    if (parser.isSet(group)) {
        if (options.command != Command::GroupsLag)
            return std::unexpected(QStringLiteral("--group only applies to 'groups lag'"));
        options.group = parser.value(group);
        if (options.group.isEmpty()) return std::unexpected(QStringLiteral("--group needs a name"));
    }

    options.profile.name = QStringLiteral("faultline-ctl");
    options.profile.bootstrapServers = parser.value(bootstrap).trimmed();
    options.profile.refreshIntervalMs = 24 * 3600 * 1000; // one snapshot is all we need
    if (parser.isSet(commandConfig)) {
        auto properties = readProperties(parser.value(commandConfig));
        if (!properties) return std::unexpected(properties.error());
        if (auto applied = applyCommandConfig(*properties, options); !applied)
            return std::unexpected(applied.error());
    }
    if (options.profile.bootstrapServers.isEmpty())
        return std::unexpected(QStringLiteral("--bootstrap HOST:PORT[,...] is required"));
    return options;
}

} // namespace

int main(int argc, char** argv) {
    // stdout carries the answer (tables, --json); log lines (librdkafka's warnings among them)
    // go to stderr, warnings and worse only.
    auto logger = spdlog::stderr_color_mt("faultline-ctl");
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("faultline-ctl: %l: %v");

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("faultline-ctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    qRegisterMetaType<SnapshotPtr>();
    qRegisterMetaType<ConnectionState>();

    QCommandLineParser parser;
    auto parsed = parseArguments(app, parser);
    if (!parsed) {
        writeError(parsed.error());
        return ExitUsage;
    }
    const Options options = std::move(*parsed);

    auto session = std::make_unique<ClusterSession>(options.profile, options.password);
    int exitCode = ExitFailed;
    bool done = false;
    auto finish = [&](int code) {
        if (done) return;
        done = true;
        exitCode = code;
        app.exit(code);
    };

    QObject::connect(session.get(), &ClusterSession::snapshotReady, &app,
                     [&](const SnapshotPtr& snapshot) {
                         if (done || !snapshot) return;
                         QString text;
                         switch (options.command) {
                         case Command::ClusterDescribe:
                             text = clusterDescribe(*snapshot, options.json);
                             break;
                         case Command::TopicsList: text = topicsList(*snapshot, options.json); break;
                         case Command::GroupsLag:
                             text = groupsLag(*snapshot, options.json, options.group);
                             if (text.isEmpty()) {
                                 writeError(QStringLiteral("group '%1' not found").arg(options.group));
                                 finish(ExitFailed);
                                 return;
                             }
                             break;
                         }
                         writeOut(text);
                         finish(ExitOk);
                     });
    QObject::connect(session.get(), &ClusterSession::stateChanged, &app,
                     [&](ConnectionState state, const QString& message) {
                         if (done || state != ConnectionState::Failed) return;
                         writeError(QStringLiteral("cannot read the cluster at %1: %2")
                                        .arg(options.profile.bootstrapServers, message));
                         finish(ExitFailed);
                     });
    QTimer::singleShot(options.timeoutMs, &app, [&] {
        if (done) return;
        writeError(QStringLiteral("no answer from %1 within %2 s")
                       .arg(options.profile.bootstrapServers)
                       .arg(options.timeoutMs / 1000.0));
        // The session's worker may sit in a bounded network call; do not wait for it.
        std::fflush(stdout);
        std::_Exit(ExitTimeout);
    });

    session->start();
    app.exec();
    session.reset(); // quit() + wait(): the worker is idle once it has answered
    return exitCode;
}
