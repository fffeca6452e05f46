#include "ui/brokers_view.h"

#include "models/broker_table_model.h"
#include "ui/snapshot_table_view.h"

#include <QVBoxLayout>

namespace faultline::ui {

using models::BrokerTableModel;

BrokersView::BrokersView(QWidget* parent)
    : QWidget(parent)
    , m_model(new BrokerTableModel(this))
{
    setObjectName(QStringLiteral("brokersView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_table = new SnapshotTableView(this);
    m_table->setObjectName(QStringLiteral("brokersTable"));
    m_table->setSourceModel(m_model);
    m_table->setColumnWidths({60, 180, 110, 50, 50, 90, 80, 80, 100, 80});
    m_table->setMonospaceColumns({BrokerTableModel::AddressColumn, BrokerTableModel::DiskColumn});
    layout->addWidget(m_table);
}

void BrokersView::setSnapshot(models::SnapshotPtr snapshot)
{
    m_model->setSnapshot(std::move(snapshot));
}

} // namespace faultline::ui
