// First complete view of a sandbox with 2,000 topics (issue 3: "attached to a sandbox with 2k
// topics: first complete view < 2 s"). Starts the in-process sandbox the way the GUI does
// (SandboxController, 3 brokers), fills it, then measures from attach (creating the
// ClusterSession) to the first complete view:
//   - session: the first snapshot with topics, partitions, watermarks, sizes, groups and lag all
//     filled, plus the item models built from it (what every view shows);
//   - window: the real MainWindow (offscreen) until the topics view has every topic and the
//     overview shows the totals, plus one render of the window.
// Each attach is fresh (new session, new connections); the figure is the median of --runs.
// Also prints a steady refresh (refreshNow on an attached session, then the models' diff).
//
//   cmake --build build/<dir> --target bench_first_view
//   build/<dir>/tests/bench/bench_first_view [--topics N] [--groups N] [--runs N] [--no-window]
//       [--data-dir DIR] [--max-partitions N] [--rf1-every N]
// --data-dir keeps the sandbox between invocations (filling 2,000 topics takes minutes). The
// mix shrinks its partitions per topic when the open-file limit cannot hold it (a '#' line says
// so); --max-partitions / --rf1-every set it by hand. tests/bench/README.md has the details.
//
// A figure line reads `name: value unit target=... PASS|MISS`; everything else starts with '#'.
#include "models/broker_table_model.h"
#include "models/cluster_session.h"
#include "models/group_offset_table_model.h"
#include "models/group_table_model.h"
#include "models/kafka_client.h"
#include "models/partition_table_model.h"
#include "models/sandbox_controller.h"
#include "models/topic_filter_proxy_model.h"
#include "models/topic_table_model.h"
#include "ui/main_window.h"
#include "ui/overview_view.h"
#include "ui/topics_view.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QLocale>
#include <QPixmap>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <librdkafka/rdkafka.h>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <vector>

using namespace faultline;
using models::SnapshotPtr;

namespace {

constexpr double kTargetMs = 2000.0;
constexpr int kRecordsPerPartition = 50;
constexpr int kCommittedOffset = 20; // every committed partition lags by 30
constexpr int kTopicsPerGroup = 3;

// The topic mix (see planTopics).
struct Mix {
    int maxPartitions = 12;
    int rf1Every = 10;
};

struct Shape {
    int topics = 2000;
    int groups = 50;
    int runs = 5;
    bool window = true;
    QString dataDir; // kept between invocations when given
    Mix mix;
    bool mixGiven = false; // --max-partitions / --rf1-every: no fitting to the file limit
};

// The mix: most topics 3-6 partitions at RF 3, every 10th at RF 1, every 100th with 12
// partitions, each capped at maxPartitions; every 8th topic gets data (kRecordsPerPartition
// records in each partition).
struct TopicPlan {
    QString name;
    int partitions = 0;
    int replicationFactor = 3;
    bool sampled = false;
};

std::vector<TopicPlan> planTopics(int count, const Mix& mix) {
    std::vector<TopicPlan> plan;
    plan.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        TopicPlan t;
        t.name = QStringLiteral("bench-%1").arg(i, 5, 10, QChar('0'));
        t.partitions = std::min(mix.maxPartitions, i % 100 == 0 ? 12 : 3 + i % 4);
        t.replicationFactor = i % mix.rf1Every == 0 ? 1 : 3;
        t.sampled = i % 8 == 0;
        plan.push_back(t);
    }
    return plan;
}

// The sandbox runs every broker in this process, and the engine keeps one file open per replica
// (its active segment's .log) plus at most 256 older segments' files (the engine's segment-file
// pool): the mix must fit RLIMIT_NOFILE. __consumer_offsets adds 50 partitions at RF 3; sockets
// and libraries get a margin.
long long filesNeeded(const std::vector<TopicPlan>& plan) {
    long long replicas = 50 * 3;
    for (const TopicPlan& t : plan)
        replicas += static_cast<long long>(t.partitions) * t.replicationFactor;
    return replicas + 256 + 512;
}

// Raises the soft limit on open files to the hard one; returns the limit now in force.
long long raiseFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<long long>::max()
                                           : static_cast<long long>(limit.rlim_cur);
}

// Runs the event loop until `done` holds or the timeout passes. The loop sleeps until an event
// arrives (a snapshot is a queued call from the session's thread); a coarse timer only bounds the
// wait. No busy loop: the machine's cores belong to the engine and the session under measurement.
bool waitUntil(const std::function<bool()>& done, int timeoutMs) {
    QElapsedTimer timer;
    timer.start();
    QTimer wake;
    wake.start(50);
    while (!done()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

double msSince(const QElapsedTimer& timer) {
    return static_cast<double>(timer.nsecsElapsed()) / 1e6;
}

double median(std::vector<double> values) {
    if (values.empty())
        return -1;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

QString listOf(const std::vector<double>& values) {
    QStringList parts;
    for (double v : values)
        parts << QString::number(v, 'f', 0);
    return parts.join(QLatin1Char(' '));
}

void report(const char* name, double ms, double targetMs) {
    std::printf("%s: %.0f ms target=<%.0fms %s\n", name, ms, targetMs,
                ms >= 0 && ms < targetMs ? "PASS" : "MISS");
}

models::ConnectionProfile profileFor(const QString& bootstrap) {
    models::ConnectionProfile profile;
    profile.name = QStringLiteral("Local sandbox");
    profile.bootstrapServers = bootstrap;
    profile.sandbox = true;
    profile.refreshIntervalMs = 60000; // refreshes only when asked: the runs stay apart
    return profile;
}

// ---- filling the sandbox (not timed)

// Creates the planned topics the cluster lacks (a kept --data-dir has them already); returns
// their names in `created`.
bool createTopics(models::KafkaClient& admin, const std::vector<TopicPlan>& plan,
                  QSet<QString>* created, QString* error) {
    auto metadata = admin.metadata(std::nullopt);
    if (!metadata) {
        *error = QStringLiteral("Metadata: %1").arg(metadata.error().message);
        return false;
    }
    QSet<QString> existing;
    for (const auto& t : metadata->topics)
        if (t.name)
            existing.insert(QString::fromStdString(*t.name));
    std::vector<const TopicPlan*> missing;
    for (const TopicPlan& t : plan)
        if (!existing.contains(t.name))
            missing.push_back(&t);
    constexpr std::size_t batch = 20; // the engine creates a topic in about 0.1 s on a busy machine
    for (std::size_t first = 0; first < missing.size(); first += batch) {
        protocol::CreateTopicsRequest request;
        request.timeoutMs = 60000;
        for (std::size_t i = first; i < std::min(missing.size(), first + batch); ++i) {
            protocol::CreateTopicsRequest::CreatableTopic topic;
            topic.name = missing[i]->name.toStdString();
            topic.numPartitions = missing[i]->partitions;
            topic.replicationFactor = static_cast<std::int16_t>(missing[i]->replicationFactor);
            request.topics.push_back(topic);
            created->insert(missing[i]->name);
        }
        auto created = admin.createTopics(request);
        if (!created) {
            *error = QStringLiteral("CreateTopics: %1 (%2)")
                         .arg(created.error().message, created.error().errorName);
            return false;
        }
    }
    return true;
}

// Every planned topic is in Metadata with every partition led.
bool topicsLed(models::KafkaClient& admin, const std::vector<TopicPlan>& plan) {
    auto metadata = admin.metadata(std::nullopt);
    if (!metadata)
        return false;
    std::map<std::string, int> led;
    for (const auto& t : metadata->topics) {
        if (!t.name)
            continue;
        led[*t.name] =
            static_cast<int>(std::count_if(t.partitions.begin(), t.partitions.end(),
                                           [](const auto& p) { return p.leaderId >= 0; }));
    }
    return std::all_of(plan.begin(), plan.end(), [&](const TopicPlan& t) {
        auto it = led.find(t.name.toStdString());
        return it != led.end() && it->second == t.partitions;
    });
}

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR)
        ++*static_cast<int*>(opaque);
}

// Fills the sampled topics among `created` (those of a kept --data-dir have their data).
bool produceSample(const QString& bootstrap, const std::vector<TopicPlan>& plan,
                   const QSet<QString>& created, long long* records, QString* error) {
    char errstr[512];
    int failures = 0;
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.toUtf8().constData(), errstr,
                      sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "acks", "all", errstr, sizeof errstr);
    rd_kafka_conf_set_opaque(conf, &failures);
    rd_kafka_conf_set_dr_msg_cb(conf, onDelivery);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        *error = QString::fromUtf8(errstr);
        return false;
    }
    const std::string value(100, 'v');
    *records = 0;
    for (const TopicPlan& t : plan) {
        if (!t.sampled || !created.contains(t.name))
            continue;
        const QByteArray topic = t.name.toUtf8();
        for (int p = 0; p < t.partitions; ++p)
            for (int r = 0; r < kRecordsPerPartition; ++r) {
                for (;;) {
                    const rd_kafka_resp_err_t err = rd_kafka_producev(
                        rk, RD_KAFKA_V_TOPIC(topic.constData()), RD_KAFKA_V_PARTITION(p),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                        rd_kafka_poll(rk, 50);
                        continue;
                    }
                    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                        *error = QStringLiteral("produce to %1: %2")
                                     .arg(t.name, QString::fromUtf8(rd_kafka_err2name(err)));
                        rd_kafka_destroy(rk);
                        return false;
                    }
                    ++*records;
                    break;
                }
            }
        rd_kafka_poll(rk, 0);
    }
    const rd_kafka_resp_err_t flushed = rd_kafka_flush(rk, 60000);
    rd_kafka_destroy(rk);
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR || failures > 0) {
        *error = QStringLiteral("produce: %1 failed deliveries, flush %2")
                     .arg(failures)
                     .arg(QString::fromUtf8(rd_kafka_err2name(flushed)));
        return false;
    }
    return true;
}

// Group g commits kCommittedOffset on every partition of kTopicsPerGroup sampled topics.
bool commitGroups(models::KafkaClient& admin, const std::vector<TopicPlan>& plan, int groups,
                  long long* committed, QString* error) {
    std::vector<const TopicPlan*> sampled;
    for (const TopicPlan& t : plan)
        if (t.sampled)
            sampled.push_back(&t);
    *committed = 0;
    for (int g = 0; g < groups; ++g) {
        const QString group = QStringLiteral("bench-group-%1").arg(g, 3, 10, QChar('0'));
        QVector<models::TopicPartitionOffset> offsets;
        for (int k = 0; k < kTopicsPerGroup && !sampled.empty(); ++k) {
            const TopicPlan& t =
                *sampled[static_cast<std::size_t>(g * kTopicsPerGroup + k) % sampled.size()];
            for (int p = 0; p < t.partitions; ++p)
                offsets.push_back({t.name, p, kCommittedOffset, QString()});
        }
        // The coordinator may still be loading __consumer_offsets: retry for a while.
        std::optional<models::ClientError> last;
        for (int attempt = 0; attempt < 50; ++attempt) {
            auto coordinator = admin.findCoordinator(group);
            if (coordinator) {
                auto done = admin.offsetCommit(*coordinator, group, offsets);
                if (done) {
                    last.reset();
                    break;
                }
                last = done.error();
            } else {
                last = coordinator.error();
            }
            QThread::msleep(200);
        }
        if (last) {
            *error =
                QStringLiteral("commit for %1: %2 (%3)").arg(group, last->message, last->errorName);
            return false;
        }
        *committed += offsets.size();
    }
    return true;
}

// ---- what "complete" means

struct Expected {
    int topics = 0;     // user topics
    int partitions = 0; // of the user topics
    int groups = 0;
    long long committed = 0; // committed partitions over all groups
    long long records = 0;
};

// Empty when the snapshot is complete; else what is missing.
QString missing(const models::ClusterSnapshot& s, const std::vector<TopicPlan>& plan,
                const Expected& e) {
    if (!s.warnings.isEmpty())
        return QStringLiteral("warnings: %1").arg(s.warnings.join(QLatin1String("; ")));
    if (s.brokers.size() != 3)
        return QStringLiteral("%1 brokers").arg(s.brokers.size());
    for (const auto& b : s.brokers)
        if (b.diskBytes < 0)
            return QStringLiteral("broker %1 without disk bytes").arg(b.id);
    int topics = 0;
    int partitions = 0;
    for (const TopicPlan& t : plan) {
        const models::TopicRow* row = s.topic(t.name);
        if (!row)
            return QStringLiteral("topic %1 absent").arg(t.name);
        ++topics;
        partitions += static_cast<int>(row->partitions.size());
        for (const auto& p : row->partitions) {
            if (p.leader < 0 || p.logStartOffset < 0 || p.logEndOffset < 0)
                return QStringLiteral("%1-%2 without leader or watermarks")
                    .arg(t.name)
                    .arg(p.partition);
            if (p.replicaSizeBytes.size() != row->replicationFactor())
                return QStringLiteral("%1-%2 with %3 replica sizes")
                    .arg(t.name)
                    .arg(p.partition)
                    .arg(p.replicaSizeBytes.size());
            if (t.sampled && p.logEndOffset != kRecordsPerPartition)
                return QStringLiteral("%1-%2 ends at %3")
                    .arg(t.name)
                    .arg(p.partition)
                    .arg(p.logEndOffset);
        }
        if (t.sampled && row->sizeBytes() <= 0)
            return QStringLiteral("%1 without a size").arg(t.name);
    }
    if (topics != e.topics || partitions != e.partitions)
        return QStringLiteral("%1 topics / %2 partitions").arg(topics).arg(partitions);
    int groups = 0;
    long long committed = 0;
    for (const auto& g : s.groups) {
        if (!g.groupId.startsWith(QLatin1String("bench-group-")))
            continue;
        ++groups;
        for (const auto& o : g.offsets) {
            if (o.lag() != kRecordsPerPartition - kCommittedOffset)
                return QStringLiteral("group %1 %2-%3 lag %4")
                    .arg(g.groupId, o.topic)
                    .arg(o.partition)
                    .arg(o.lag());
            ++committed;
        }
    }
    if (groups != e.groups || committed != e.committed)
        return QStringLiteral("%1 groups / %2 committed partitions").arg(groups).arg(committed);
    return {};
}

// ---- the item models every view shows

struct Models {
    models::BrokerTableModel brokers;
    models::TopicTableModel topics;
    models::TopicFilterProxyModel proxy;
    models::PartitionTableModel partitions;
    models::GroupTableModel groups;
    models::GroupOffsetTableModel offsets;
    Models() {
        proxy.setSourceModel(&topics);
        proxy.sort(models::TopicTableModel::NameColumn, Qt::AscendingOrder);
    }
    // The detail models show the last topic and the first group, as if the user had picked them.
    void pick(const SnapshotPtr& s) {
        if (!s->topics.isEmpty())
            partitions.setTopic(s->topics.back().name);
        if (!s->groups.isEmpty())
            offsets.setGroup(s->groups.front().groupId);
    }
    void set(const SnapshotPtr& s) {
        brokers.setSnapshot(s);
        topics.setSnapshot(s);
        partitions.setSnapshot(s);
        groups.setSnapshot(s);
        offsets.setSnapshot(s);
    }
};

const QStringList kPhases = {QStringLiteral("metadata"), QStringLiteral("list_offsets"),
                             QStringLiteral("log_dirs"), QStringLiteral("configs"),
                             QStringLiteral("groups"),   QStringLiteral("offset_fetch")};

struct SessionRun {
    double snapshotMs = -1; // attach -> first snapshot on this thread
    double modelsMs = -1;   // building every item model from it
    double refreshMs = -1;  // refreshNow -> next snapshot on this thread
    double refreshModelsMs = -1;
    std::map<QString, double> phaseMs;    // the first refresh's worker phases
    std::map<QString, double> phaseCpuMs; // the worker's CPU time in each
    std::map<QString, int> phaseRequests;
    double workerMs = 0; // their sum
    double workerCpuMs = 0;
    double steadyWorkerMs = 0;
    QString incomplete;
};

// Waits for the next snapshot `session` publishes after `after` (its sequence).
SnapshotPtr nextSnapshot(models::ClusterSession& session, quint64 after, int timeoutMs) {
    SnapshotPtr got;
    waitUntil(
        [&] {
            const SnapshotPtr latest = session.latest();
            if (latest && latest->sequence > after)
                got = latest;
            return got != nullptr;
        },
        timeoutMs);
    return got;
}

double sumPhases(const models::ClusterSnapshot& s) {
    double total = 0;
    for (const auto& p : s.phases)
        total += static_cast<double>(p.elapsedUs) / 1e3;
    return total;
}

SessionRun runSession(const QString& bootstrap, const std::vector<TopicPlan>& plan,
                      const Expected& e) {
    SessionRun run;
    QElapsedTimer timer;
    timer.start();
    auto session = std::make_unique<models::ClusterSession>(profileFor(bootstrap));
    session->start();
    const SnapshotPtr first = nextSnapshot(*session, 0, 120000);
    run.snapshotMs = msSince(timer);
    if (!first) {
        run.incomplete = QStringLiteral("no snapshot within 120 s");
        return run;
    }
    run.incomplete = missing(*first, plan, e);
    for (const auto& p : first->phases) {
        run.phaseMs[p.name] = static_cast<double>(p.elapsedUs) / 1e3;
        run.phaseCpuMs[p.name] = static_cast<double>(p.cpuUs) / 1e3;
        run.phaseRequests[p.name] = p.requests;
        run.workerCpuMs += static_cast<double>(p.cpuUs) / 1e3;
    }
    run.workerMs = sumPhases(*first);
    Models built;
    timer.restart();
    built.pick(first);
    built.set(first);
    run.modelsMs = msSince(timer);
    if (built.proxy.rowCount() != first->topics.size())
        run.incomplete = QStringLiteral("topic model has %1 rows").arg(built.proxy.rowCount());

    timer.restart();
    session->refreshNow();
    const SnapshotPtr second = nextSnapshot(*session, first->sequence, 120000);
    run.refreshMs = msSince(timer);
    if (second) {
        run.steadyWorkerMs = sumPhases(*second);
        timer.restart();
        built.set(second);
        run.refreshModelsMs = msSince(timer);
    }
    return run;
}

struct WindowRun {
    double viewMs = -1;   // attach -> topics view and overview filled
    double paintMs = -1;  // one render of the window after that
    double workerMs = -1; // the snapshot's refresh on the session's thread (its phases)
    QString incomplete;
};

WindowRun runWindow(const QString& bootstrap, const std::vector<TopicPlan>& plan,
                    const Expected& e) {
    WindowRun run;
    ui::MainWindow window;
    window.resize(1400, 900);
    window.show();
    waitUntil([] { return false; }, 200); // let the window settle (not measured)
    const QLocale english(QLocale::English);
    bool done = false;
    QElapsedTimer timer;
    QObject::connect(
        &window, &ui::MainWindow::snapshotReceived, &window, [&](const SnapshotPtr& s) {
            if (done)
                return;
            const QString topics = english.toString(static_cast<qlonglong>(s->topics.size()));
            const QString partitions = english.toString(s->partitionCount());
            if (window.topicsView()->visibleRowCount() == s->topics.size() &&
                window.overviewView()->tileValue(QStringLiteral("topics")) == topics &&
                window.overviewView()->tileValue(QStringLiteral("partitions")) == partitions) {
                run.viewMs = msSince(timer);
                run.workerMs = sumPhases(*s);
                run.incomplete = missing(*s, plan, e);
                done = true;
            }
        });
    timer.start();
    window.attach(profileFor(bootstrap));
    if (!waitUntil([&] { return done; }, 120000)) {
        run.incomplete = QStringLiteral("the views did not fill within 120 s");
        return run;
    }
    window.showView(ui::MainWindow::TopicsPage);
    timer.restart();
    const QPixmap pixmap = window.grab();
    run.paintMs = pixmap.isNull() ? -1 : msSince(timer);
    return run;
}

double loadAverage() {
    double load[1] = {-1};
    return getloadavg(load, 1) == 1 ? load[0] : -1;
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    spdlog::set_level(spdlog::level::warn);   // the engine logs every topic it creates
    QStandardPaths::setTestModeEnabled(true); // the window's settings stay out of the user's
    QCoreApplication::setOrganizationName(QStringLiteral("FaultlineBench"));
    QCoreApplication::setApplicationName(QStringLiteral("bench_first_view"));

    Shape shape;
    for (int i = 1; i < argc; ++i) {
        const bool hasValue = i + 1 < argc;
        if (std::strcmp(argv[i], "--no-window") == 0) {
            shape.window = false;
        } else if (std::strcmp(argv[i], "--topics") == 0 && hasValue) {
            shape.topics = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--groups") == 0 && hasValue) {
            shape.groups = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--runs") == 0 && hasValue) {
            shape.runs = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--max-partitions") == 0 && hasValue) {
            shape.mix.maxPartitions = std::atoi(argv[++i]);
            shape.mixGiven = true;
        } else if (std::strcmp(argv[i], "--rf1-every") == 0 && hasValue) {
            shape.mix.rf1Every = std::atoi(argv[++i]);
            shape.mixGiven = true;
        } else if (std::strcmp(argv[i], "--data-dir") == 0 && hasValue) {
            shape.dataDir = QString::fromLocal8Bit(argv[++i]);
        } else {
            std::fprintf(
                stderr,
                "usage: %s [--topics N] [--groups N] [--runs N] [--no-window] [--data-dir DIR]\n"
                "          [--max-partitions N] [--rf1-every N]\n",
                argv[0]);
            return 2;
        }
    }
    if (shape.topics < 1 || shape.groups < 0 || shape.runs < 1 || shape.mix.maxPartitions < 1 ||
        shape.mix.rf1Every < 1) {
        std::fprintf(stderr,
                     "--topics, --runs, --max-partitions and --rf1-every need a positive number, "
                     "--groups a non-negative one\n");
        return 2;
    }

    // ---- the mix, fitted to the open-file limit unless given
    const long long fileLimit = raiseFileLimit();
    std::vector<TopicPlan> plan = planTopics(shape.topics, shape.mix);
    const long long fullNeed = filesNeeded(plan);
    if (!shape.mixGiven)
        while (filesNeeded(plan) > fileLimit && shape.mix.maxPartitions > 1) {
            shape.mix.maxPartitions = std::min(shape.mix.maxPartitions, 7) - 1;
            plan = planTopics(shape.topics, shape.mix);
        }
    if (filesNeeded(plan) > fileLimit) {
        std::fprintf(stderr,
                     "the sandbox would need about %lld open files (3 per replica) and "
                     "RLIMIT_NOFILE is %lld: "
                     "lower --topics, --max-partitions, or raise the limit\n",
                     filesNeeded(plan), fileLimit);
        return 2;
    }
    if (filesNeeded(plan) < fullNeed)
        std::printf("# MIX REDUCED: the full mix needs about %lld open files (3 per replica, every "
                    "broker in "
                    "this process) and RLIMIT_NOFILE is %lld: partitions per topic capped at %d\n",
                    fullNeed, fileLimit, shape.mix.maxPartitions);

    // ---- the sandbox, started like the GUI starts it
    QTemporaryDir dataDir;
    if (!dataDir.isValid()) {
        std::fprintf(stderr, "cannot create a temporary directory\n");
        return 1;
    }
    models::SandboxController sandbox;
    QString bootstrap;
    QString failure;
    QObject::connect(&sandbox, &models::SandboxController::started,
                     [&](const QString& b) { bootstrap = b; });
    QObject::connect(&sandbox, &models::SandboxController::failed,
                     [&](const QString& m) { failure = m; });
    models::SandboxOptions options;
    options.brokers = 3;
    options.basePort = 0;
    options.dataDir =
        shape.dataDir.isEmpty() ? dataDir.path() + QStringLiteral("/sandbox") : shape.dataDir;
    QElapsedTimer setup;
    setup.start();
    sandbox.start(options);
    if (!waitUntil([&] { return !bootstrap.isEmpty() || !failure.isEmpty(); }, 900000) ||
        bootstrap.isEmpty()) {
        std::fprintf(stderr, "the sandbox did not start: %s\n",
                     failure.isEmpty() ? "no answer within 900 s" : qPrintable(failure));
        return 1;
    }
    std::printf("# sandbox started in %lld ms (%s data dir)\n",
                static_cast<long long>(setup.elapsed()),
                shape.dataDir.isEmpty() ? "a fresh" : "a kept");

    // ---- filled: topics, data in a sample, groups with committed offsets
    Expected expected;
    expected.topics = shape.topics;
    expected.groups = shape.groups;
    int rf1 = 0;
    int replicas = 0;
    int sampled = 0;
    int sampledPartitions = 0;
    for (const TopicPlan& t : plan) {
        expected.partitions += t.partitions;
        rf1 += t.replicationFactor == 1;
        replicas += t.partitions * t.replicationFactor;
        expected.records +=
            t.sampled ? static_cast<long long>(t.partitions) * kRecordsPerPartition : 0;
        sampled += t.sampled;
        sampledPartitions += t.sampled ? t.partitions : 0;
    }
    models::KafkaClient admin(profileFor(bootstrap));
    admin.setRequestTimeout(std::chrono::milliseconds(120000));
    QString error;
    long long records = 0;
    QSet<QString> created;
    if (!createTopics(admin, plan, &created, &error) ||
        !waitUntil([&] { return topicsLed(admin, plan); }, 120000) ||
        !produceSample(bootstrap, plan, created, &records, &error) ||
        !commitGroups(admin, plan, shape.groups, &expected.committed, &error)) {
        std::fprintf(
            stderr, "filling the sandbox failed: %s\n",
            qPrintable(error.isEmpty() ? QStringLiteral("topics not led within 120 s") : error));
        return 1;
    }
    admin.disconnectAll();
    std::printf("# sandbox: 3 brokers in-process (SandboxController), bootstrap %s\n",
                qPrintable(bootstrap));
    std::printf("# shape: %d topics (%d at RF 1, the rest RF 3; 3-6 partitions, every 100th 12, at "
                "most %d), "
                "%d partitions, %d replicas; %lld records (%d partitions of %d topics hold %d "
                "each); %d groups "
                "with %lld committed partitions (lag %d each)\n",
                shape.topics, rf1, shape.mix.maxPartitions, expected.partitions, replicas,
                expected.records, sampledPartitions, sampled, kRecordsPerPartition, shape.groups,
                expected.committed, kRecordsPerPartition - kCommittedOffset);
    std::printf("# filled in %lld ms (not measured): %d topics created, %lld records produced\n",
                static_cast<long long>(setup.elapsed()), static_cast<int>(created.size()), records);
    std::printf("# load average before the runs: %.2f\n", loadAverage());

    // ---- session runs
    std::vector<SessionRun> sessions;
    bool complete = true;
    for (int r = 0; r < shape.runs; ++r) {
        sessions.push_back(runSession(bootstrap, plan, expected));
        const SessionRun& run = sessions.back();
        QString phases;
        for (const QString& name : kPhases)
            phases += QStringLiteral(" %1=%2").arg(name).arg(
                run.phaseMs.count(name) ? run.phaseMs.at(name) : -1.0, 0, 'f', 0);
        std::printf(
            "# session run %d: snapshot %.0f ms (worker%s) models %.0f ms; steady refresh %.0f ms "
            "(worker %.0f) + models %.0f ms%s\n",
            r + 1, run.snapshotMs, qPrintable(phases), run.modelsMs, run.refreshMs,
            run.steadyWorkerMs, run.refreshModelsMs,
            run.incomplete.isEmpty()
                ? ""
                : qPrintable(QStringLiteral("; INCOMPLETE: ") + run.incomplete));
        complete = complete && run.incomplete.isEmpty();
    }
    const auto column = [&](auto member) {
        std::vector<double> values;
        for (const SessionRun& run : sessions)
            values.push_back(run.*member);
        return values;
    };
    std::printf("# phases of the first refresh, median of %d: wall time on the session's thread, "
                "its CPU time (the rest is waiting for the brokers), requests sent\n",
                shape.runs);
    const auto valueOf = [](const std::map<QString, double>& values, const QString& name) {
        const auto it = values.find(name);
        return it == values.end() ? -1.0 : it->second;
    };
    for (const QString& name : kPhases) {
        std::vector<double> wall;
        std::vector<double> cpu;
        int requests = 0;
        for (const SessionRun& run : sessions) {
            wall.push_back(valueOf(run.phaseMs, name));
            cpu.push_back(valueOf(run.phaseCpuMs, name));
            requests = run.phaseRequests.count(name) ? run.phaseRequests.at(name) : 0;
        }
        std::printf("#   %-13s %6.0f ms  cpu %5.1f ms  %3d requests   runs: %s\n", qPrintable(name),
                    median(wall), median(cpu), requests, qPrintable(listOf(wall)));
    }
    std::printf(
        "#   describe_cluster   not sent: Metadata v12 carries cluster id, controller and racks\n");
    const double worker = median(column(&SessionRun::workerMs));
    const double snapshot = median(column(&SessionRun::snapshotMs));
    const double modelBuild = median(column(&SessionRun::modelsMs));
    std::printf(
        "#   worker total  %6.0f ms  cpu %5.1f ms; attach to snapshot on this thread %.0f ms "
        "(thread start and queued delivery %.0f ms)\n",
        worker, median(column(&SessionRun::workerCpuMs)), snapshot, snapshot - worker);
    std::printf("#   model build   %6.0f ms   runs: %s\n", modelBuild,
                qPrintable(listOf(column(&SessionRun::modelsMs))));
    std::vector<double> firstView;
    for (const SessionRun& run : sessions)
        firstView.push_back(run.snapshotMs + run.modelsMs);
    report("first_view_session", complete ? median(firstView) : -1, kTargetMs);
    std::vector<double> steady;
    for (const SessionRun& run : sessions)
        steady.push_back(run.refreshMs + run.refreshModelsMs);
    std::printf("# steady refresh: worker %.0f ms, models diff %.0f ms   runs: %s\n",
                median(column(&SessionRun::steadyWorkerMs)),
                median(column(&SessionRun::refreshModelsMs)), qPrintable(listOf(steady)));
    std::printf("steady_refresh: %.0f ms target=none (refresh interval 5000 ms)\n", median(steady));

    // ---- window runs
    if (shape.window) {
        std::vector<double> views;
        std::vector<double> paints;
        bool windowComplete = true;
        for (int r = 0; r < shape.runs; ++r) {
            const WindowRun run = runWindow(bootstrap, plan, expected);
            std::printf("# window run %d: view %.0f ms (worker %.0f, UI thread and delivery %.0f), "
                        "render %.0f ms%s\n",
                        r + 1, run.viewMs, run.workerMs, run.viewMs - run.workerMs, run.paintMs,
                        run.incomplete.isEmpty()
                            ? ""
                            : qPrintable(QStringLiteral("; INCOMPLETE: ") + run.incomplete));
            views.push_back(run.viewMs);
            paints.push_back(run.paintMs);
            windowComplete = windowComplete && run.incomplete.isEmpty();
        }
        std::printf("# window: render of the topics page after the view filled: median %.0f ms\n",
                    median(paints));
        report("first_view_window", windowComplete ? median(views) : -1, kTargetMs);
        complete = complete && windowComplete;
    }
    std::printf("# load average after the runs: %.2f\n", loadAverage());

    sandbox.stop();
    waitUntil([&] { return !sandbox.isRunning() && !sandbox.isBusy(); }, 60000);
    return complete ? 0 : 1;
}
