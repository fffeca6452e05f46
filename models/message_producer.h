// Produces single messages for the Messages view (acks=all) on its own thread and reports each
// one's delivery: produced(partition, offset) or failed(message), on the owner's thread.
#pragma once

#include "models/connection_profile.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>
#include <memory>

class QThread;

namespace faultline::models {

class ProduceWorker;

class MessageProducer : public QObject {
    Q_OBJECT
public:
    explicit MessageProducer(ConnectionProfile profile, QString password = {},
                             QObject* parent = nullptr);
    // Never waits: a message still in flight gets 2 s more for its delivery on the producer's own
    // thread, which then ends by itself (models/worker_thread.h).
    ~MessageProducer() override;

    // Non-blocking. partition -1: the partitioner chooses. A null key or value is sent as null.
    void produce(const QString& topic, int partition, const QByteArray& key,
                 const QByteArray& value, const QList<QPair<QString, QByteArray>>& headers = {});

signals:
    void produced(int partition, qint64 offset);
    void failed(const QString& message);

private:
    QThread* m_thread = nullptr;       // ends by itself once this producer is gone
    ProduceWorker* m_worker = nullptr; // lives on m_thread, owns the librdkafka producer
};

} // namespace faultline::models
