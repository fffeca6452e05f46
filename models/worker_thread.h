// Worker threads that never make their owner wait. An owner (a ClusterSession, the message
// browser, the producer) gives its worker object a thread with startWorkerThread(); when the owner
// goes, retireWorkerThread() asks the thread to end and returns at once. The worker is deleted on
// its own thread as the thread finishes, the thread object afterwards on the UI thread. Threads
// still ending when the application exits are waited for by a post routine (each owner first makes
// its worker's blocking call return: aborted sockets, cancelled polls), so no thread outlives the
// application and none is destroyed while running. UI thread only.
#pragma once

#include <QString>

class QObject;
class QThread;

namespace faultline::models {

// A new thread named `name` running `worker` (which must have no parent); started.
[[nodiscard]] QThread* startWorkerThread(QObject* worker, const QString& name);

// Ends the thread's event loop once the call it is in returns; never blocks.
void retireWorkerThread(QThread* thread);

// Retired threads that have not finished yet (for tests).
[[nodiscard]] int finishingWorkerThreads();

} // namespace faultline::models
