// Offscreen walk of the main window attached to the in-process sandbox (3 brokers on ephemeral
// ports, data in a QTemporaryDir): every view shows data, a topic created through the TopicsView's
// dialog appears, a message produced through the MessagesView is browsed back, a consumer group's
// offsets show and its reset preview works, partitions added and a config applied through their
// dialogs reach the cluster, F5 refreshes and Ctrl+F finds; an unreachable or silent bootstrap
// shows an error.
#include "models/cluster_session.h"
#include "models/group_offset_table_model.h"
#include "models/message_producer.h"
#include "models/partition_table_model.h"
#include "models/snapshot_diff.h"
#include "models/topic_table_model.h"
#include "ui/brokers_view.h"
#include "ui/create_topic_dialog.h"
#include "ui/delete_topic_dialog.h"
#include "ui/groups_view.h"
#include "ui/jobs_dock.h"
#include "ui/log_dock.h"
#include "ui/main_window.h"
#include "ui/messages_view.h"
#include "ui/overview_view.h"
#include "ui/produce_dialog.h"
#include "ui/reset_offsets_dialog.h"
#include "ui/sandbox_panel.h"
#include "ui/snapshot_table_view.h"
#include "ui/topic_config_dialog.h"
#include "ui/topic_detail_view.h"
#include "ui/topics_view.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QInputDialog>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <memory>

using namespace faultline;
using ui::MainWindow;

namespace {

constexpr auto kTopic = "gui-orders";
constexpr auto kGroup = "gui-readers";

// Commits offsets for a group that never joins (so it stays Empty), the way a tool would.
bool commitGroupOffsets(const QString& bootstrap, const QString& group, const QString& topic, int partitions,
    qint64 offset, QString* error)
{
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.toUtf8().constData(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", group.toUtf8().constData(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        *error = QString::fromUtf8(errstr);
        return false;
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p)
        rd_kafka_topic_partition_list_add(list, topic.toUtf8().constData(), p)->offset = offset;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 0; attempt < 10; ++attempt) { // the coordinator may still be loading
        err = rd_kafka_commit(rk, list, 0);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        QTest::qWait(500);
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        *error = QString::fromUtf8(rd_kafka_err2name(err));
    return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void overviewShowsTheCluster();
    void brokersViewListsEveryBroker();
    void createTopicThroughTopicsView();
    void topicFilterNarrowsTheTable();
    void produceAndBrowseThroughMessagesView();
    void binaryValuesShowAsHexOrEscapes();
    void topicDetailShowsPartitions();
    void groupsViewShowsOffsetsAndPreviewsAReset();
    void walkEveryView_data();
    void walkEveryView();
    void topicConfigsDialogLoads();
    void deleteNeedsTheTypedName();
    void jobsDockShowsResults();
    void sandboxPanelShowsBootstrap();
    void logDockReceivesSpdlog();
    void f5Refreshes();
    void ctrlFFocusesTheTopicFilter();
    void configApplyReachesTheCluster();
    void addPartitionsThroughTheDialog();
    void badBootstrapShowsAnError_data();
    void badBootstrapShowsAnError();

private:
    [[nodiscard]] bool hasTopic(const QString& name) const
    {
        const auto s = m_window->latestSnapshot();
        return s && s->topic(name);
    }

    QTemporaryDir m_dataDir;
    std::unique_ptr<MainWindow> m_window;
    std::vector<std::unique_ptr<QAbstractItemModelTester>> m_testers;
};

void TestMainWindow::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("FaultlineTest"));
    QCoreApplication::setApplicationName(QStringLiteral("test_main_window"));
    QVERIFY(m_dataDir.isValid());
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1400, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));

    // Every model the views show runs under the tester for the whole test.
    for (QAbstractItemModel* model : {m_window->brokersView()->table()->model(),
             m_window->topicsView()->table()->model(), m_window->topicDetailView()->table()->model(),
             m_window->groupsView()->groupsTable()->model(), m_window->groupsView()->offsetsTable()->model()})
        m_testers.push_back(std::make_unique<QAbstractItemModelTester>(
            model, QAbstractItemModelTester::FailureReportingMode::QtTest));

    QSignalSpy first(m_window.get(), &MainWindow::firstSnapshotReceived);
    m_window->sandboxPanel()->setBasePort(0);
    m_window->sandboxPanel()->setDataDir(m_dataDir.path());
    m_window->startSandbox();
    QVERIFY2(first.wait(30000), qPrintable(m_window->bannerText()));
    QVERIFY(m_window->session());
    QVERIFY(m_window->latestSnapshot());
    QCOMPARE(int(m_window->latestSnapshot()->brokers.size()), 3);
}

void TestMainWindow::cleanupTestCase()
{
    m_testers.clear();
    if (m_window) {
        QSignalSpy stopped(m_window->sandboxPanel(), &ui::SandboxPanel::stopped);
        m_window->sandboxPanel()->stopSandbox();
        QVERIFY(stopped.count() > 0 || stopped.wait(20000));
    }
    m_window.reset();
}

void TestMainWindow::overviewShowsTheCluster()
{
    m_window->showView(MainWindow::OverviewPage);
    auto* overview = m_window->overviewView();
    QTRY_COMPARE_WITH_TIMEOUT(overview->tileValue(QStringLiteral("brokers")), QStringLiteral("3 / 3"), 10000);
    for (const auto& key : overview->tileKeys()) {
        QVERIFY2(!overview->tileValue(key).isEmpty(), qPrintable(key));
        if (key != QLatin1String("disk")) // DescribeLogDirs may be unknown: "—" is the honest answer
            QVERIFY2(overview->tileValue(key) != QStringLiteral("—"), qPrintable(key));
    }
    QVERIFY(overview->health() != ui::OverviewView::Health::Unknown);
    QVERIFY(!overview->healthText().isEmpty());
    QVERIFY(!m_window->bannerVisible());
    QVERIFY(m_window->connectionStatusText().contains(QStringLiteral("Connected")));
}

void TestMainWindow::brokersViewListsEveryBroker()
{
    m_window->showView(MainWindow::BrokersPage);
    auto* table = m_window->brokersView()->table();
    QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), 3, 10000);
    for (int row = 0; row < 3; ++row) {
        for (int column = 0; column < table->model()->columnCount(); ++column) {
            const auto text = table->model()->index(row, column).data().toString();
            QVERIFY2(column == 5 || !text.isEmpty(), qPrintable(QStringLiteral("row %1 column %2").arg(row).arg(column)));
        }
    }
    // Sorted by id by default; click-sorting by a numeric column keeps 3 rows.
    table->sortByColumn(0, Qt::DescendingOrder);
    QVERIFY(table->model()->index(0, 0).data(Qt::DisplayRole).toInt() >
            table->model()->index(2, 0).data(Qt::DisplayRole).toInt());
    table->sortByColumn(0, Qt::AscendingOrder);
}

void TestMainWindow::createTopicThroughTopicsView()
{
    m_window->showView(MainWindow::TopicsPage);
    auto* topics = m_window->topicsView();
    QVERIFY(topics->createAction()->isEnabled());
    auto* dialog = topics->openCreateDialog();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    dialog->setTopicName(QStringLiteral("bad name!"));
    dialog->accept();
    QVERIFY2(dialog->isVisible(), "an illegal name must keep the dialog open");
    dialog->setTopicName(QString::fromLatin1(kTopic));
    dialog->setPartitions(4);
    dialog->setReplicationFactor(3);
    dialog->setConfigText(QStringLiteral("retention.ms=3600000"));
    dialog->accept();
    QTRY_VERIFY_WITH_TIMEOUT(hasTopic(QString::fromLatin1(kTopic)), 20000);
    const auto* t = m_window->latestSnapshot()->topic(QString::fromLatin1(kTopic));
    QCOMPARE(int(t->partitions.size()), 4);
    QCOMPARE(t->replicationFactor(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(topics->model()->rowForTopic(QString::fromLatin1(kTopic)) >= 0, 5000);
}

void TestMainWindow::topicFilterNarrowsTheTable()
{
    auto* topics = m_window->topicsView();
    QVERIFY(topics->visibleRowCount() >= 1);
    QTest::keyClicks(topics->filterEdit(), QStringLiteral("gui-ord"));
    QCOMPARE(topics->visibleRowCount(), 1);
    topics->setFilterText(QStringLiteral("no-such-topic-xyz"));
    QCOMPARE(topics->visibleRowCount(), 0);
    topics->setFilterText(QString());
    QVERIFY(topics->visibleRowCount() >= 1);
}

void TestMainWindow::produceAndBrowseThroughMessagesView()
{
    m_window->showView(MainWindow::MessagesPage);
    auto* messages = m_window->messagesView();
    QSignalSpy produced(messages, &ui::MessagesView::produced);
    for (int i = 0; i < 3; ++i) {
        auto* dialog = messages->openProduceDialog();
        QVERIFY(dialog);
        dialog->setTopic(QString::fromLatin1(kTopic));
        dialog->setPartition(0);
        dialog->setKey(QStringLiteral("order-%1").arg(i));
        dialog->setValue(QStringLiteral("{\"id\":%1,\"item\":\"widget\"}").arg(i));
        dialog->setHeadersText(QStringLiteral("source=gui-test"));
        dialog->accept();
        QVERIFY(produced.wait(20000));
        QVERIFY2(produced.last().at(0).toBool(), qPrintable(produced.last().at(1).toString()));
    }

    QSignalSpy browsed(messages, &ui::MessagesView::browsed);
    messages->setTopic(QString::fromLatin1(kTopic));
    messages->setPartition(0);
    messages->setFrom(models::BrowseFrom::Oldest);
    messages->setOrder(models::BrowseOrder::NewestFirst);
    messages->browse();
    // (Showing the view browsed once by itself; wait for the answer to this request.)
    QTRY_VERIFY_WITH_TIMEOUT(!browsed.isEmpty() && browsed.last().at(0).toInt() == 3, 20000);
    QCOMPARE(messages->messageCount(), 3);
    auto* table = messages->table();
    QCOMPARE(table->item(0, ui::MessagesView::OffsetColumn)->text(), QStringLiteral("2")); // newest first
    QCOMPARE(table->item(2, ui::MessagesView::OffsetColumn)->text(), QStringLiteral("0"));
    QCOMPARE(table->item(0, ui::MessagesView::KeyColumn)->text(), QStringLiteral("order-2"));
    QVERIFY(table->item(0, ui::MessagesView::HeadersColumn)->text().contains(QStringLiteral("source=gui-test")));

    messages->setValueFormat(ui::MessagesView::ValueFormat::Json);
    QVERIFY2(messages->detailText().contains(QStringLiteral("\"item\": \"widget\"")), qPrintable(messages->detailText()));
    messages->setValueFormat(ui::MessagesView::ValueFormat::Hex);
    QVERIFY2(messages->detailText().contains(QStringLiteral("7b22")) ||
                 messages->detailText().contains(QStringLiteral("7b 22")),
        qPrintable(messages->detailText()));
    messages->setValueFormat(ui::MessagesView::ValueFormat::Utf8);
    QVERIFY(messages->detailText().contains(QStringLiteral("{\"id\":2,\"item\":\"widget\"}")));
}

// A value that is not text (a NUL, control bytes) shows as hex in Auto, the default, with the
// escapes of its bytes in UTF-8 and as a hex dump in the detail; switching the format redraws
// the table.
void TestMainWindow::binaryValuesShowAsHexOrEscapes()
{
    auto* messages = m_window->messagesView();
    models::ConnectionProfile profile;
    profile.name = QStringLiteral("binary-producer");
    profile.bootstrapServers = m_window->sandboxPanel()->bootstrap();
    models::MessageProducer producer(profile);
    QSignalSpy producedSpy(&producer, &models::MessageProducer::produced);
    QSignalSpy failedSpy(&producer, &models::MessageProducer::failed);
    producer.produce(QString::fromLatin1(kTopic), 1, QByteArray("k\x01", 2), QByteArray("\x00\x01" "binary\x07", 9));
    QTRY_VERIFY_WITH_TIMEOUT(!producedSpy.isEmpty() || !failedSpy.isEmpty(), 20000);
    QVERIFY2(failedSpy.isEmpty(), qPrintable(failedSpy.isEmpty() ? QString() : failedSpy.first().at(0).toString()));

    messages->setValueFormat(ui::MessagesView::ValueFormat::Auto);
    QSignalSpy browsed(messages, &ui::MessagesView::browsed);
    messages->setTopic(QString::fromLatin1(kTopic));
    messages->setPartition(1);
    messages->setFrom(models::BrowseFrom::Oldest);
    messages->browse();
    QTRY_VERIFY_WITH_TIMEOUT(!browsed.isEmpty() && browsed.last().at(0).toInt() == 1, 20000);
    auto* table = messages->table();
    QCOMPARE(table->item(0, ui::MessagesView::ValueColumn)->text(), QStringLiteral("00 01 62 69 6e 61 72 79 07"));
    QCOMPARE(table->item(0, ui::MessagesView::KeyColumn)->text(), QStringLiteral("6b 01"));
    QVERIFY2(messages->detailText().contains(QStringLiteral("00000000  00 01 62 69 6e 61 72 79  07")),
        qPrintable(messages->detailText()));

    messages->setValueFormat(ui::MessagesView::ValueFormat::Utf8);
    QCOMPARE(table->item(0, ui::MessagesView::ValueColumn)->text(), QStringLiteral("\\x00\\x01binary\\x07"));
    QVERIFY2(messages->detailText().contains(QStringLiteral("\\x00\\x01binary\\x07")), qPrintable(messages->detailText()));
    messages->setValueFormat(ui::MessagesView::ValueFormat::Auto);
}

void TestMainWindow::topicDetailShowsPartitions()
{
    m_window->showView(MainWindow::TopicDetailPage);
    auto* detail = m_window->topicDetailView();
    detail->setTopic(QString::fromLatin1(kTopic));
    auto* model = detail->table()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 4, 10000);
    QVERIFY(!detail->summaryText().isEmpty());
    QVERIFY(detail->summaryText().contains(QStringLiteral("4 partitions")));
    for (int row = 0; row < 4; ++row) {
        const auto replicas = model->index(row, models::PartitionTableModel::ReplicasColumn).data().toString();
        QVERIFY2(replicas.contains(QStringLiteral("(L)")), qPrintable(replicas));
        QVERIFY(!model->index(row, models::PartitionTableModel::IsrColumn).data().toString().isEmpty());
    }
    // The produced messages show up in partition 0's end offset after a refresh.
    m_window->refresh();
    auto partitionZeroEnd = [model] {
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, 0).data(models::KeyRole).toInt() == 0)
                return model->index(row, models::PartitionTableModel::LogEndColumn).data().toString();
        }
        return QString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(partitionZeroEnd(), QStringLiteral("3"), 10000);
}

void TestMainWindow::groupsViewShowsOffsetsAndPreviewsAReset()
{
    QString error;
    const auto bootstrap = m_window->sandboxPanel()->bootstrap();
    QVERIFY2(commitGroupOffsets(bootstrap, QString::fromLatin1(kGroup), QString::fromLatin1(kTopic), 4, 1, &error),
        qPrintable(error));
    m_window->showView(MainWindow::GroupsPage);
    m_window->refresh();
    auto* groups = m_window->groupsView();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->latestSnapshot()->group(QString::fromLatin1(kGroup)), 20000);
    groups->selectGroup(QString::fromLatin1(kGroup));
    QCOMPARE(groups->selectedGroup(), QString::fromLatin1(kGroup));
    QTRY_VERIFY_WITH_TIMEOUT(groups->offsetsTable()->model()->rowCount() == 4, 10000);
    QVERIFY(groups->detailText().contains(QString::fromLatin1(kGroup)));
    // Partition 0 has 3 messages, committed 1: lag 2.
    auto* offsets = groups->offsetsTable()->model();
    bool foundLag = false;
    for (int row = 0; row < offsets->rowCount(); ++row) {
        if (offsets->index(row, models::GroupOffsetTableModel::PartitionColumn).data().toInt() == 0)
            foundLag = offsets->index(row, models::GroupOffsetTableModel::LagColumn).data().toString() == QStringLiteral("2");
    }
    QVERIFY(foundLag);

    QVERIFY(groups->canReset()); // never joined: Empty
    auto* dialog = groups->openResetDialog();
    QVERIFY(dialog);
    QVERIFY(!dialog->canApply()); // no preview yet
    dialog->setMode(models::ResetMode::Earliest);
    dialog->requestPreview();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->previewRowCount() == 4, 20000);
    QVERIFY(dialog->canApply());
    dialog->setMode(models::ResetMode::Latest); // a new choice needs a new preview
    QVERIFY(!dialog->canApply());
    dialog->requestPreview();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->canApply(), 20000);
    dialog->requestApply();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->statusText().contains(QStringLiteral("eset")) && !dialog->canApply(), 20000);
    dialog->close();
    m_window->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->latestSnapshot()->group(QString::fromLatin1(kGroup))->totalLag() == 0, 20000);
}

void TestMainWindow::walkEveryView_data()
{
    QTest::addColumn<int>("view");
    QTest::newRow("overview") << int(MainWindow::OverviewPage);
    QTest::newRow("brokers") << int(MainWindow::BrokersPage);
    QTest::newRow("topics") << int(MainWindow::TopicsPage);
    QTest::newRow("topic detail") << int(MainWindow::TopicDetailPage);
    QTest::newRow("groups") << int(MainWindow::GroupsPage);
    QTest::newRow("messages") << int(MainWindow::MessagesPage);
}

void TestMainWindow::walkEveryView()
{
    QFETCH(int, view);
    // Ctrl+1..6 switch views (window shortcuts need the active window).
    m_window->activateWindow();
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(m_window.get(), static_cast<Qt::Key>(Qt::Key_1 + view), Qt::ControlModifier);
    QCOMPARE(int(m_window->currentView()), view);
    const QList<QAbstractItemView*> tables = [&]() -> QList<QAbstractItemView*> {
        switch (static_cast<MainWindow::View>(view)) {
        case MainWindow::BrokersPage:
            return {m_window->brokersView()->table()};
        case MainWindow::TopicsPage:
            return {m_window->topicsView()->table()};
        case MainWindow::TopicDetailPage:
            return {m_window->topicDetailView()->table()};
        case MainWindow::GroupsPage:
            return {m_window->groupsView()->groupsTable(), m_window->groupsView()->offsetsTable()};
        case MainWindow::MessagesPage:
            return {m_window->messagesView()->table()};
        default:
            return {};
        }
    }();
    for (auto* table : tables) {
        QVERIFY2(table->isVisible(), qPrintable(table->objectName()));
        QVERIFY2(table->model()->rowCount() > 0, qPrintable(table->objectName()));
        QVERIFY(!table->model()->index(0, 0).data().toString().isEmpty());
    }
    if (view == MainWindow::OverviewPage) {
        QVERIFY(m_window->overviewView()->isVisible());
        QCOMPARE(m_window->overviewView()->tileValue(QStringLiteral("controller")).isEmpty(), false);
    }
}

void TestMainWindow::topicConfigsDialogLoads()
{
    m_window->showView(MainWindow::TopicsPage);
    auto* topics = m_window->topicsView();
    topics->selectTopic(QString::fromLatin1(kTopic));
    QCOMPARE(topics->selectedTopic(), QString::fromLatin1(kTopic));
    QVERIFY(topics->configsAction()->isEnabled());
    auto* dialog = topics->openConfigDialog();
    QVERIFY(dialog);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->entryCount() > 0, 20000);
    dialog->setValue(QStringLiteral("retention.ms"), QStringLiteral("7200000"));
    QCOMPARE(dialog->changedValues().value(QStringLiteral("retention.ms")), QStringLiteral("7200000"));
    dialog->close();
}

void TestMainWindow::deleteNeedsTheTypedName()
{
    auto* topics = m_window->topicsView();
    topics->selectTopic(QString::fromLatin1(kTopic));
    auto* dialog = topics->openDeleteDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->topic(), QString::fromLatin1(kTopic));
    QVERIFY(!dialog->confirmed());
    dialog->setTypedName(QStringLiteral("gui-order"));
    dialog->accept();
    QVERIFY2(dialog->isVisible(), "a wrong name must not delete");
    dialog->setTypedName(QString::fromLatin1(kTopic));
    QVERIFY(dialog->confirmed());
    dialog->reject();
    QVERIFY(hasTopic(QString::fromLatin1(kTopic)));
}

void TestMainWindow::jobsDockShowsResults()
{
    auto* jobs = m_window->jobsDock();
    QVERIFY(jobs->jobCount() >= 3); // create topic, describe configs, reset previews and apply
    QCOMPARE(jobs->statusText(1), QStringLiteral("Done"));
    QVERIFY(!jobs->resultText(1).isEmpty());
}

void TestMainWindow::sandboxPanelShowsBootstrap()
{
    auto* panel = m_window->sandboxPanel();
    QVERIFY(panel->running());
    QCOMPARE(int(panel->bootstrap().split(QLatin1Char(',')).size()), 3);
    QVERIFY(panel->bootstrap().startsWith(QStringLiteral("127.0.0.1:")));
    QVERIFY(panel->statusText().contains(QStringLiteral("Running")));
}

void TestMainWindow::logDockReceivesSpdlog()
{
    // The engine logged "listening on" through spdlog at start; the dock got it by queued signal.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->logDock()->text().contains(QStringLiteral("listening")), 5000);
}

void TestMainWindow::f5Refreshes()
{
    auto* session = m_window->session();
    QVERIFY(session);
    QSignalSpy snapshots(m_window.get(), &MainWindow::snapshotReceived);
    // No timer refresh for ten minutes: once the refresh queued after that change is in (and a
    // timer refresh that may have been running before it), a snapshot can only come from F5.
    session->setRefreshInterval(600000);
    m_window->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!snapshots.isEmpty(), 20000);
    while (snapshots.wait(2000)) {
    }
    const quint64 before = m_window->latestSnapshot()->sequence;
    snapshots.clear();

    m_window->activateWindow();
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTest::keyClick(m_window.get(), Qt::Key_F5);
    QVERIFY(snapshots.wait(20000));
    const auto fresh = snapshots.last().at(0).value<models::SnapshotPtr>();
    QVERIFY(fresh->sequence > before);
    QCOMPARE(fresh->generation, session->generation());
    session->setRefreshInterval(2000);
}

void TestMainWindow::ctrlFFocusesTheTopicFilter()
{
    m_window->showView(MainWindow::OverviewPage);
    m_window->activateWindow();
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QVERIFY(QApplication::focusWidget() != m_window->topicsView()->filterEdit());
    QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
    QCOMPARE(m_window->currentView(), MainWindow::TopicsPage);
    QWidget* filter = m_window->topicsView()->filterEdit();
    QTRY_COMPARE(QApplication::focusWidget(), filter);
    // Typing now filters the topics.
    QTest::keyClicks(QApplication::focusWidget(), QStringLiteral("gui-ord"));
    QCOMPARE(m_window->topicsView()->visibleRowCount(), 1);
    m_window->topicsView()->setFilterText(QString());
}

void TestMainWindow::configApplyReachesTheCluster()
{
    m_window->showView(MainWindow::TopicsPage);
    auto* topics = m_window->topicsView();
    topics->selectTopic(QString::fromLatin1(kTopic));
    auto* dialog = topics->openConfigDialog();
    QVERIFY(dialog);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->entryCount() > 0, 20000);
    const auto before = dialog->entry(QStringLiteral("retention.ms"));
    QVERIFY(before);
    QCOMPARE(before->value, QStringLiteral("3600000")); // set at creation
    QVERIFY(!dialog->applyButton()->isEnabled());
    dialog->setValue(QStringLiteral("retention.ms"), QStringLiteral("5400000"));
    QVERIFY(dialog->applyButton()->isEnabled());
    dialog->applyButton()->click();
    // The AlterTopicConfigJob runs, then the dialog describes the topic again.
    auto applied = [dialog] {
        const auto entry = dialog->entry(QStringLiteral("retention.ms"));
        return entry && entry->value == QLatin1String("5400000");
    };
    QTRY_VERIFY2_WITH_TIMEOUT(applied(), qPrintable(dialog->statusText()), 20000);
    const auto after = dialog->entry(QStringLiteral("retention.ms"));
    QCOMPARE(after->source, QStringLiteral("DYNAMIC_TOPIC_CONFIG"));
    QVERIFY(!after->isDefault);
    dialog->close();
}

void TestMainWindow::addPartitionsThroughTheDialog()
{
    // (After the views that expect the topic's 4 partitions.)
    m_window->showView(MainWindow::TopicsPage);
    auto* topics = m_window->topicsView();
    topics->selectTopic(QString::fromLatin1(kTopic));
    QVERIFY(topics->addPartitionsAction()->isEnabled());
    auto* dialog = topics->openAddPartitionsDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->intValue(), 5); // one more than now
    QCOMPARE(dialog->intMinimum(), 5); // Kafka never removes partitions
    dialog->setIntValue(6);
    dialog->accept();
    const auto partitions = [this] {
        return m_window->latestSnapshot()->topic(QString::fromLatin1(kTopic))->partitions.size();
    };
    QTRY_COMPARE_WITH_TIMEOUT(partitions(), qsizetype(6), 20000);
    auto* model = topics->model();
    const int row = model->rowForTopic(QString::fromLatin1(kTopic));
    QVERIFY(row >= 0);
    QCOMPARE(model->index(row, models::TopicTableModel::PartitionsColumn).data().toString(),
        QStringLiteral("6"));
    m_window->topicDetailView()->setTopic(QString::fromLatin1(kTopic));
    QCOMPARE(m_window->topicDetailView()->table()->model()->rowCount(), 6);
}

void TestMainWindow::badBootstrapShowsAnError_data()
{
    QTest::addColumn<bool>("silentServer");
    QTest::newRow("connection refused") << false;
    QTest::newRow("a port that never answers") << true;
}

void TestMainWindow::badBootstrapShowsAnError()
{
    QFETCH(bool, silentServer);
    QTcpServer server; // accepts, then says nothing: not Kafka
    quint16 port = 1;
    if (silentServer) {
        QVERIFY(server.listen(QHostAddress::LocalHost));
        port = server.serverPort();
    } else {
        QVERIFY(server.listen(QHostAddress::LocalHost));
        port = server.serverPort();
        server.close(); // nothing listens there now
    }
    MainWindow window;
    window.show();
    QSignalSpy failed(&window, &MainWindow::connectionFailed);
    window.attachBootstrap(QStringLiteral("127.0.0.1:%1").arg(port));
    // The UI stays responsive: the wait spins the event loop and the window repaints meanwhile.
    QVERIFY(failed.count() > 0 || failed.wait(10000));
    QVERIFY(window.bannerVisible());
    QVERIFY2(window.bannerText().contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(window.bannerText()));
    QVERIFY(!window.latestSnapshot());
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
