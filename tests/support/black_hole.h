// A listener on 127.0.0.1 that accepts connections, reads whatever arrives and never answers: a
// request sent to it waits out its timeout. It counts connections and bytes received and notices
// a peer closing its socket. It works through the test thread's event loop (QTRY_*, qWait).
#pragma once

#include <QHostAddress>
#include <QString>
#include <QTcpServer>
#include <QTcpSocket>

namespace faultline::testsupport {

class BlackHole {
public:
    BlackHole() {
        QObject::connect(&m_server, &QTcpServer::newConnection, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) { // owned by m_server
                ++m_connections;
                QObject::connect(socket, &QTcpSocket::readyRead, socket,
                                 [this, socket] { m_received += socket->readAll().size(); });
                QObject::connect(socket, &QTcpSocket::disconnected, socket,
                                 [this] { m_peerClosed = true; });
            }
        });
    }
    BlackHole(const BlackHole&) = delete;
    BlackHole& operator=(const BlackHole&) = delete;

    [[nodiscard]] bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    [[nodiscard]] QString address() const {
        return QStringLiteral("127.0.0.1:%1").arg(m_server.serverPort());
    }
    [[nodiscard]] int connections() const { return m_connections; }
    [[nodiscard]] qint64 received() const { return m_received; }
    [[nodiscard]] bool peerClosed() const { return m_peerClosed; }

private:
    // Declared before the server: its sockets may still report while it is destroyed.
    int m_connections = 0;
    qint64 m_received = 0;
    bool m_peerClosed = false;
    QTcpServer m_server;
};

} // namespace faultline::testsupport
