#include "ui/messages_view.h"

#include "models/message_producer.h"
#include "ui/display_format.h"
#include "ui/produce_dialog.h"

#include <QComboBox>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace faultline::ui {

using models::BrowseFrom;
using models::BrowseOrder;
using models::MessageBrowser;

namespace {

// Hex for Hex, and for Auto when the bytes are not text.
bool showsAsHex(const QByteArray& bytes, MessagesView::ValueFormat format)
{
    return format == MessagesView::ValueFormat::Hex ||
           (format == MessagesView::ValueFormat::Auto && !bytes.isNull() && !MessageBrowser::isText(bytes));
}

// One table cell's text.
QString preview(const QByteArray& bytes, bool hex)
{
    if (bytes.isNull())
        return QStringLiteral("(null)");
    if (hex)
        return QString::fromLatin1(bytes.left(48).toHex(' ')) + (bytes.size() > 48 ? QStringLiteral(" …") : QString());
    QString text = MessageBrowser::asUtf8(bytes.left(400));
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return text;
}

} // namespace

MessagesView::MessagesView(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("messagesView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Topic:"), this));
    m_topic = new QComboBox(this);
    m_topic->setMinimumContentsLength(18);
    m_topic->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    bar->addWidget(m_topic);
    bar->addWidget(new QLabel(tr("Partition:"), this));
    m_partition = new QSpinBox(this);
    m_partition->setRange(0, 0);
    bar->addWidget(m_partition);
    bar->addWidget(new QLabel(tr("From:"), this));
    m_from = new QComboBox(this);
    m_from->addItem(tr("Oldest"), static_cast<int>(BrowseFrom::Oldest));
    m_from->addItem(tr("Newest"), static_cast<int>(BrowseFrom::Newest));
    m_from->addItem(tr("Offset"), static_cast<int>(BrowseFrom::Offset));
    m_from->addItem(tr("Timestamp"), static_cast<int>(BrowseFrom::Timestamp));
    bar->addWidget(m_from);
    m_offset = new QLineEdit(QStringLiteral("0"), this);
    m_offset->setFont(monospaceFont());
    m_offset->setFixedWidth(110);
    m_offset->setValidator(nullptr);
    bar->addWidget(m_offset);
    m_timestamp = new QDateTimeEdit(QDateTime::currentDateTime().addSecs(-3600), this);
    m_timestamp->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    m_timestamp->setCalendarPopup(true);
    bar->addWidget(m_timestamp);
    bar->addWidget(new QLabel(tr("Limit:"), this));
    m_limit = new QSpinBox(this);
    m_limit->setRange(1, 10000);
    m_limit->setValue(100);
    bar->addWidget(m_limit);
    m_order = new QComboBox(this);
    m_order->addItem(tr("Oldest first"), static_cast<int>(BrowseOrder::OldestFirst));
    m_order->addItem(tr("Newest first"), static_cast<int>(BrowseOrder::NewestFirst));
    bar->addWidget(m_order);
    m_browse = new QPushButton(tr("Browse"), this);
    m_browse->setDefault(true);
    bar->addWidget(m_browse);
    bar->addStretch();
    m_produce = new QPushButton(tr("Produce…"), this);
    bar->addWidget(m_produce);
    layout->addLayout(bar);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_table = new QTableWidget(0, 6, splitter);
    m_table->setObjectName(QStringLiteral("messagesTable"));
    m_table->setHorizontalHeaderLabels({tr("P"), tr("Offset"), tr("Timestamp"), tr("Key"), tr("Value"), tr("Headers")});
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setColumnWidth(PartitionColumn, 40);
    m_table->setColumnWidth(OffsetColumn, 100);
    m_table->setColumnWidth(TimestampColumn, 190);
    m_table->setColumnWidth(KeyColumn, 160);
    m_table->setColumnWidth(ValueColumn, 480);
    m_table->horizontalHeader()->setStretchLastSection(true);
    auto* detailBox = new QWidget(splitter);
    auto* detailLayout = new QVBoxLayout(detailBox);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    auto* detailBar = new QHBoxLayout;
    detailBar->addWidget(new QLabel(tr("Value as:"), detailBox));
    m_format = new QComboBox(detailBox);
    m_format->addItem(tr("Auto"), static_cast<int>(ValueFormat::Auto));
    m_format->setItemData(0, tr("Pretty JSON for JSON, text for UTF-8 text, a hex dump for anything else"),
                          Qt::ToolTipRole);
    m_format->addItem(tr("UTF-8"), static_cast<int>(ValueFormat::Utf8));
    m_format->addItem(tr("Pretty JSON"), static_cast<int>(ValueFormat::Json));
    m_format->addItem(tr("Hex"), static_cast<int>(ValueFormat::Hex));
    detailBar->addWidget(m_format);
    detailBar->addStretch();
    detailLayout->addLayout(detailBar);
    m_detail = new QPlainTextEdit(detailBox);
    m_detail->setReadOnly(true);
    m_detail->setFont(monospaceFont());
    m_detail->setPlaceholderText(tr("Select a message to see its value"));
    detailLayout->addWidget(m_detail);
    splitter->addWidget(m_table);
    splitter->addWidget(detailBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);
    m_status = new QLabel(tr("Choose a topic and partition, then Browse."), this);
    layout->addWidget(m_status);

    connect(m_browse, &QPushButton::clicked, this, &MessagesView::browse);
    connect(m_produce, &QPushButton::clicked, this, [this] { openProduceDialog(); });
    connect(m_from, &QComboBox::currentIndexChanged, this, &MessagesView::updateFromControls);
    connect(m_topic, &QComboBox::currentTextChanged, this, [this] {
        const auto* topic = m_snapshot ? m_snapshot->topic(m_topic->currentText()) : nullptr;
        m_partition->setMaximum(topic ? std::max(0, static_cast<int>(topic->partitions.size()) - 1) : 0);
    });
    connect(m_format, &QComboBox::currentIndexChanged, this, [this] {
        fillTable();
        showDetail();
    });
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &MessagesView::showDetail);
    updateFromControls();
    m_browse->setEnabled(false);
    m_produce->setEnabled(false);
}

MessagesView::~MessagesView() = default;

void MessagesView::setConnection(const models::ConnectionProfile& profile, const QString& password)
{
    m_profile = profile;
    m_password = password;
    m_connected = true;
    m_autoBrowsed = false;
    m_browser = std::make_unique<MessageBrowser>(profile, password);
    connect(m_browser.get(), &MessageBrowser::messagesReady, this, &MessagesView::onMessages);
    connect(m_browser.get(), &MessageBrowser::failed, this, &MessagesView::onFailed);
    delete m_producer;
    m_producer = new models::MessageProducer(profile, password, this);
    connect(m_producer, &models::MessageProducer::produced, this,
        [this](int partition, qint64 offset) {
            setStatus(tr("Produced to partition %1 at offset %2").arg(partition).arg(offset));
            emit produced(true, m_status->text());
        });
    connect(m_producer, &models::MessageProducer::failed, this, [this](const QString& message) {
        setStatus(tr("Produce failed: %1").arg(message), true);
        emit produced(false, message);
    });
    m_browse->setEnabled(true);
    m_produce->setEnabled(true);
}

void MessagesView::setSnapshot(models::SnapshotPtr snapshot)
{
    m_snapshot = std::move(snapshot);
    if (!m_snapshot)
        return;
    QStringList names;
    names.reserve(m_snapshot->topics.size());
    for (const auto& t : m_snapshot->topics)
        names << t.name;
    QStringList current;
    for (int i = 0; i < m_topic->count(); ++i)
        current << m_topic->itemText(i);
    if (names != current) {
        const auto selected = m_topic->currentText();
        m_topic->blockSignals(true);
        m_topic->clear();
        m_topic->addItems(names);
        // Prefer a user topic over an internal one (__consumer_offsets) as the default choice.
        int index = names.indexOf(selected);
        for (int i = 0; i < m_snapshot->topics.size() && index < 0; ++i) {
            const auto& t = m_snapshot->topics[i];
            if (!t.internal && !t.partitions.isEmpty() && t.partitions.front().messageCount() > 0)
                index = i;
        }
        for (int i = 0; i < m_snapshot->topics.size() && index < 0; ++i)
            index = m_snapshot->topics[i].internal ? -1 : i;
        m_topic->setCurrentIndex(std::max(0, index));
        m_topic->blockSignals(false);
    }
    const auto* topic = m_snapshot->topic(m_topic->currentText());
    m_partition->setMaximum(topic ? std::max(0, static_cast<int>(topic->partitions.size()) - 1) : 0);
    if (isVisible() && !m_autoBrowsed && m_browser && topic) {
        m_autoBrowsed = true;
        browse();
    }
}

void MessagesView::setTopic(const QString& topic)
{
    if (m_topic->findText(topic) < 0)
        m_topic->addItem(topic);
    m_topic->setCurrentText(topic);
}

void MessagesView::setPartition(int partition)
{
    m_partition->setMaximum(std::max(m_partition->maximum(), partition));
    m_partition->setValue(partition);
}

void MessagesView::setFrom(BrowseFrom from)
{
    m_from->setCurrentIndex(m_from->findData(static_cast<int>(from)));
}

void MessagesView::setOrder(BrowseOrder order)
{
    m_order->setCurrentIndex(m_order->findData(static_cast<int>(order)));
}

void MessagesView::setValueFormat(ValueFormat format)
{
    m_format->setCurrentIndex(m_format->findData(static_cast<int>(format)));
}

void MessagesView::updateFromControls()
{
    const auto from = static_cast<BrowseFrom>(m_from->currentData().toInt());
    m_offset->setVisible(from == BrowseFrom::Offset);
    m_timestamp->setVisible(from == BrowseFrom::Timestamp);
}

void MessagesView::browse()
{
    m_autoBrowsed = true;
    if (!m_browser || m_topic->currentText().isEmpty()) {
        setStatus(tr("Not attached or no topic chosen."), true);
        return;
    }
    models::BrowseRequest request;
    request.topic = m_topic->currentText();
    request.partition = m_partition->value();
    request.from = static_cast<BrowseFrom>(m_from->currentData().toInt());
    if (request.from == BrowseFrom::Offset)
        request.position = m_offset->text().trimmed().toLongLong();
    else if (request.from == BrowseFrom::Timestamp)
        request.position = m_timestamp->dateTime().toMSecsSinceEpoch();
    request.limit = m_limit->value();
    request.order = static_cast<BrowseOrder>(m_order->currentData().toInt());
    setStatus(tr("Reading %1 [%2]…").arg(request.topic).arg(request.partition));
    m_browser->browse(request);
}

void MessagesView::onMessages(const QList<models::MessageRow>& rows)
{
    m_rows = rows;
    fillTable();
    setStatus(tr("%1 messages from %2 [%3]").arg(rows.size()).arg(m_topic->currentText()).arg(m_partition->value()));
    if (!rows.isEmpty())
        m_table->selectRow(0);
    showDetail();
    emit browsed(static_cast<int>(rows.size()));
}

// The table from m_rows in the current format (keys and values); the selection stays.
void MessagesView::fillTable()
{
    const QSignalBlocker blocker(m_table);
    const int currentRow = m_table->currentRow();
    const auto format = static_cast<ValueFormat>(m_format->currentData().toInt());
    m_table->setRowCount(static_cast<int>(m_rows.size()));
    const QFont mono = monospaceFont();
    for (int r = 0; r < m_rows.size(); ++r) {
        const auto& m = m_rows[r];
        auto set = [&](int column, const QString& text, bool monospace) {
            auto* item = new QTableWidgetItem(text);
            if (monospace)
                item->setFont(mono);
            m_table->setItem(r, column, item);
        };
        set(PartitionColumn, QString::number(m.partition), true);
        set(OffsetColumn, QString::number(m.offset), true);
        set(TimestampColumn,
            m.timestamp >= 0 ? QDateTime::fromMSecsSinceEpoch(m.timestamp).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))
                             : QStringLiteral("—"),
            true);
        const auto cell = [&](int column, const QByteArray& bytes) {
            const bool hex = showsAsHex(bytes, format);
            set(column, preview(bytes, hex), hex);
        };
        cell(KeyColumn, m.key);
        cell(ValueColumn, m.value);
        QStringList headers;
        for (const auto& h : m.headers)
            headers << h.first + QLatin1Char('=') + MessageBrowser::asUtf8(h.second);
        set(HeadersColumn, headers.join(QStringLiteral(", ")), false);
    }
    if (currentRow >= 0 && currentRow < m_rows.size())
        m_table->selectRow(currentRow);
}

void MessagesView::onFailed(const QString& message)
{
    setStatus(tr("Browse failed: %1").arg(message), true);
    emit browsed(-1);
}

QString MessagesView::render(const QByteArray& bytes, ValueFormat format)
{
    if (bytes.isNull())
        return QStringLiteral("(null)");
    switch (format) {
    case ValueFormat::Hex:
        return MessageBrowser::asHex(bytes);
    case ValueFormat::Json: {
        const auto json = MessageBrowser::asPrettyJson(bytes);
        return json.isEmpty() ? tr("(not JSON)\n") + MessageBrowser::asUtf8(bytes) : json;
    }
    case ValueFormat::Auto: {
        const auto json = MessageBrowser::asPrettyJson(bytes);
        if (!json.isEmpty())
            return json;
        return MessageBrowser::isText(bytes) ? MessageBrowser::asUtf8(bytes) : MessageBrowser::asHex(bytes);
    }
    case ValueFormat::Utf8:
        break;
    }
    return MessageBrowser::asUtf8(bytes);
}

void MessagesView::showDetail()
{
    const int row = m_table->currentRow();
    if (row < 0 || row >= m_rows.size()) {
        m_detail->clear();
        return;
    }
    const auto format = static_cast<ValueFormat>(m_format->currentData().toInt());
    const auto& m = m_rows[row];
    QString text = tr("key: %1\n\n").arg(m.key.isNull() ? QStringLiteral("(null)") : MessageBrowser::asUtf8(m.key));
    text += render(m.value, format);
    m_detail->setPlainText(text);
}

ProduceDialog* MessagesView::openProduceDialog()
{
    QStringList topics;
    for (int i = 0; i < m_topic->count(); ++i)
        topics << m_topic->itemText(i);
    const auto* topic = m_snapshot ? m_snapshot->topic(m_topic->currentText()) : nullptr;
    auto* dialog = new ProduceDialog(topics, m_topic->currentText(),
        topic ? static_cast<int>(topic->partitions.size()) : 1, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        if (!m_producer) {
            setStatus(tr("Not attached."), true);
            return;
        }
        setStatus(tr("Producing to %1…").arg(dialog->topic()));
        m_producer->produce(dialog->topic(), dialog->partition(), dialog->key(), dialog->value(), dialog->headers());
    });
    dialog->open();
    return dialog;
}

void MessagesView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    // The first time the view is shown with a topic at hand, show its messages at once.
    if (!m_autoBrowsed && m_browser && !m_topic->currentText().isEmpty()) {
        m_autoBrowsed = true;
        browse();
    }
}

int MessagesView::messageCount() const
{
    return m_table->rowCount();
}

QString MessagesView::detailText() const
{
    return m_detail->toPlainText();
}

QString MessagesView::statusText() const
{
    return m_status->text();
}

void MessagesView::setStatus(const QString& text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: %1;").arg(StatusColors::error().name()) : QString());
}

} // namespace faultline::ui
