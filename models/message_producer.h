// Produces single messages for the Messages view (acks=all) on its own thread and reports each
// one's delivery: produced(partition, offset) or failed(message), on the owner's thread.
#pragma once

#include "models/connection_profile.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QString>
#include <QThread>
#include <memory>

namespace faultline::models {

class RdKafkaHandle;

class MessageProducer : public QObject {
    Q_OBJECT
public:
    explicit MessageProducer(ConnectionProfile profile, QString password = {},
                             QObject* parent = nullptr);
    ~MessageProducer() override; // flushes for at most 2 s, then quit() + wait()

    // Non-blocking. partition -1: the partitioner chooses. A null key or value is sent as null.
    void produce(const QString& topic, int partition, const QByteArray& key,
                 const QByteArray& value, const QList<QPair<QString, QByteArray>>& headers = {});

signals:
    void produced(int partition, qint64 offset);
    void failed(const QString& message);

private:
    void runProduce(const QString& topic, int partition, const QByteArray& key,
                    const QByteArray& value, const QList<QPair<QString, QByteArray>>& headers);

    ConnectionProfile m_profile;
    QString m_password;
    QThread m_thread;
    QObject* m_worker = nullptr;               // context object living on m_thread
    std::unique_ptr<RdKafkaHandle> m_producer; // used on m_thread only
};

} // namespace faultline::models
