// faultline: the desktop console. Thin: parses the command line and wires a MainWindow.
//   faultline                         the last profile, or the first-run offer (sandbox / connect)
//   faultline --sandbox               start the local sandbox in this process and attach to it
//   faultline --bootstrap HOST:PORT   attach to that cluster (PLAINTEXT)
//   --screenshot FILE --quit-after MS grab the window after the first snapshot (or MS) and quit
#include "app/allocator_tuning.h"
#include "ui/app_icon.h"
#include "ui/main_window.h"
#include "ui/sandbox_panel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTimer>

#include <cstdio>

int main(int argc, char* argv[])
{
    faultline::app::tuneAllocatorForEngine(); // the sandbox engine runs in this process
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Faultline"));
    QApplication::setApplicationName(QStringLiteral("faultline"));
    QApplication::setApplicationDisplayName(QStringLiteral("Faultline"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));
    QApplication::setWindowIcon(faultline::ui::appIcon());

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Faultline: a console for Kafka-protocol clusters"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption sandbox(QStringLiteral("sandbox"), QStringLiteral("Start the local sandbox and attach to it."));
    QCommandLineOption sandboxPort(QStringLiteral("sandbox-port"),
        QStringLiteral("Base port of the sandbox brokers (0: any free port)."), QStringLiteral("PORT"));
    QCommandLineOption sandboxDir(QStringLiteral("sandbox-dir"), QStringLiteral("Data dir of the sandbox."),
        QStringLiteral("DIR"));
    QCommandLineOption bootstrap(QStringLiteral("bootstrap"), QStringLiteral("Attach to HOST:PORT[,HOST:PORT...]."),
        QStringLiteral("HOST:PORT"));
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the main window after the first snapshot."), QStringLiteral("FILE"));
    QCommandLineOption quitAfter(QStringLiteral("quit-after"),
        QStringLiteral("Quit after MS milliseconds (with --screenshot: the latest moment to grab)."),
        QStringLiteral("MS"));
    QCommandLineOption screenshotDelay(QStringLiteral("screenshot-delay"),
        QStringLiteral("Milliseconds between the first snapshot and the grab (default 1500)."), QStringLiteral("MS"));
    QCommandLineOption view(QStringLiteral("view"), QStringLiteral("Show view N (1-6) at start."), QStringLiteral("N"));
    parser.addOptions({sandbox, sandboxPort, sandboxDir, bootstrap, screenshot, screenshotDelay, quitAfter, view});
    parser.process(app);

    faultline::ui::MainWindow window;
    window.show();
    if (parser.isSet(view)) {
        const int index = parser.value(view).toInt() - 1;
        if (index >= 0 && index < faultline::ui::MainWindow::PageCount)
            window.showView(static_cast<faultline::ui::MainWindow::View>(index));
    }

    if (parser.isSet(sandbox)) {
        if (parser.isSet(sandboxPort))
            window.sandboxPanel()->setBasePort(parser.value(sandboxPort).toInt());
        if (parser.isSet(sandboxDir))
            window.sandboxPanel()->setDataDir(parser.value(sandboxDir));
        window.startSandbox();
    } else if (parser.isSet(bootstrap)) {
        window.attachBootstrap(parser.value(bootstrap));
    } else {
        window.restoreLastSession();
    }

    const int quitMs = parser.isSet(quitAfter) ? parser.value(quitAfter).toInt() : -1;
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        auto grab = [&window, file] {
            const bool ok = window.grab().save(file);
            std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "screenshot saved to" : "cannot write",
                qPrintable(file));
            QApplication::exit(ok ? 0 : 1);
        };
        // After the first snapshot, give the views one more refresh to settle, then grab.
        const int delay = parser.isSet(screenshotDelay) ? parser.value(screenshotDelay).toInt() : 1500;
        QObject::connect(&window, &faultline::ui::MainWindow::firstSnapshotReceived, &window,
            [grab, delay] { QTimer::singleShot(delay, grab); });
        if (quitMs >= 0)
            QTimer::singleShot(quitMs, &window, grab);
    } else if (quitMs >= 0) {
        QTimer::singleShot(quitMs, &app, &QApplication::quit);
    }
    return QApplication::exec();
}
