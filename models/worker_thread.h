// Worker threads that never make their owner wait. An owner (a ClusterSession, the message
// browser, the producer) gives its worker object a thread with startWorkerThread(); when the owner
// goes, retireWorkerThread() asks the thread to end and returns at once. The worker is deleted on
// its own thread as the thread finishes, the thread object afterwards on the UI thread. Threads
// still ending when the application exits are waited for by a post routine (each owner first makes
// its worker's blocking call return: aborted sockets, cancelled polls), so no thread outlives the
// application and none is destroyed while running. UI thread only.
#pragma once

#include <QObject>
#include <QString>

#include <mutex>

class QThread;

namespace faultline::models {

// A new thread named `name` running `worker` (which must have no parent); started.
[[nodiscard]] QThread* startWorkerThread(QObject* worker, const QString& name);

// Ends the thread's event loop once the call it is in returns; never blocks.
void retireWorkerThread(QThread* thread);

// Retired threads that have not finished yet (for tests).
[[nodiscard]] int finishingWorkerThreads();

// A worker's way back to its owner (a QObject on the UI thread): results are posted to the owner
// while it is linked. The owner's destructor unlinks it before retiring the thread; a result
// already posted to the owner is dropped with it by Qt. Any thread.
template <typename Owner> class OwnerLink {
public:
    explicit OwnerLink(Owner* owner) : m_owner(owner) {}

    void unlink() {
        const std::lock_guard lock(m_mutex);
        m_owner = nullptr;
    }

    // Runs `emitter(owner)` on the owner's thread if the owner is still linked now.
    template <typename Emitter> void post(Emitter emitter) {
        const std::lock_guard lock(m_mutex);
        if (!m_owner)
            return;
        Owner* owner = m_owner;
        QMetaObject::invokeMethod(
            owner, [owner, emitter = std::move(emitter)] { emitter(owner); },
            Qt::QueuedConnection);
    }

private:
    std::mutex m_mutex;
    Owner* m_owner;
};

} // namespace faultline::models
