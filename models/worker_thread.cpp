#include "models/worker_thread.h"

#include <QCoreApplication>
#include <QObject>
#include <QSet>
#include <QThread>

namespace faultline::models {

namespace {

// Retired threads that are still ending. A thread leaves the set when it is deleted.
QSet<QThread*>& finishingThreads() {
    static QSet<QThread*> threads;
    return threads;
}

void waitForFinishingThreads() {
    const QSet<QThread*> threads = finishingThreads();
    for (QThread* thread : threads) {
        thread->wait();
        delete thread; // also takes it out of the set (destroyed)
    }
}

} // namespace

QThread* startWorkerThread(QObject* worker, const QString& name) {
    auto* thread = new QThread; // no parent: it may outlive its owner
    thread->setObjectName(name);
    worker->moveToThread(thread);
    // Both end on their own: the worker on its thread (deferred deletes run as the thread
    // finishes), the thread object on the UI thread.
    QObject::connect(thread, &QThread::finished, worker, &QObject::deleteLater);
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
    return thread;
}

void retireWorkerThread(QThread* thread) {
    static const bool hooked = [] {
        qAddPostRoutine(&waitForFinishingThreads);
        return true;
    }();
    (void)hooked;
    thread->quit();
    finishingThreads().insert(thread);
    QObject::connect(thread, &QObject::destroyed, [thread] { finishingThreads().remove(thread); });
}

int finishingWorkerThreads() {
    return static_cast<int>(finishingThreads().size());
}

} // namespace faultline::models
