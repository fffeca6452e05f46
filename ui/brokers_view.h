// Brokers: id, host:port, rack, FD, UD, controller, leader count, replica count, disk used, state.
#pragma once

#include "models/cluster_snapshot.h"

#include <QWidget>

namespace faultline::models {
class BrokerTableModel;
}

namespace faultline::ui {

class SnapshotTableView;

class BrokersView : public QWidget {
    Q_OBJECT
public:
    explicit BrokersView(QWidget* parent = nullptr);
    void setSnapshot(models::SnapshotPtr snapshot);
    [[nodiscard]] SnapshotTableView* table() const { return m_table; }
    [[nodiscard]] models::BrokerTableModel* model() const { return m_model; }

private:
    models::BrokerTableModel* m_model = nullptr;
    SnapshotTableView* m_table = nullptr;
};

} // namespace faultline::ui
