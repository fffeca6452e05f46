// The sandbox dock: start and stop the in-process engine (brokers, fault domains, update domains,
// data dir, base port) and show the bootstrap string with a copy button.
#pragma once

#include <QDockWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace faultline::models {
class SandboxController;
}

namespace faultline::ui {

class SandboxPanel : public QDockWidget {
    Q_OBJECT
public:
    explicit SandboxPanel(QWidget* parent = nullptr);
    ~SandboxPanel() override;

    void startSandbox();   // with the panel's settings; asynchronous: started() or failed()
    void stopSandbox();
    [[nodiscard]] bool running() const { return !m_bootstrapText.isEmpty(); }
    [[nodiscard]] QString bootstrap() const { return m_bootstrapText; }
    [[nodiscard]] QString statusText() const;

    void setBrokerCount(int brokers);
    void setBasePort(int port); // 0: ephemeral ports
    void setDataDir(const QString& dir);

signals:
    void started(const QString& bootstrap);
    void stopped();
    void failed(const QString& message);

private:
    void setBusy(bool busy);
    void onStarted(const QString& bootstrap);
    void onStopped();
    void onFailed(const QString& message);

    models::SandboxController* m_controller = nullptr;
    QSpinBox* m_brokers = nullptr;
    QSpinBox* m_faultDomains = nullptr;
    QSpinBox* m_updateDomains = nullptr;
    QSpinBox* m_basePort = nullptr;
    QLineEdit* m_dataDir = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_stop = nullptr;
    QLineEdit* m_bootstrap = nullptr;
    QPushButton* m_copy = nullptr;
    QLabel* m_status = nullptr;
    QString m_bootstrapText;
};

} // namespace faultline::ui
