// FramePool: request buffers are recycled by size class, within the byte budget, from any thread,
// and buffers that outlive the pool are freed.
#include "engine/broker/network/frame_pool.h"

#include <QtTest>

#include <thread>
#include <vector>

using faultline::broker::FramePool;

class TestFramePool : public QObject {
    Q_OBJECT
private slots:
    void smallFramesAreNotPooled();
    void releasedBufferIsReusedForTheSameClass();
    void otherClassesGetTheirOwnBuffers();
    void aLargerKeptBufferServesASmallerFrame();
    void theMostRecentlyFreedAreKept();
    void budgetBoundsWhatIsKept();
    void buffersOutliveThePool();
    void concurrentAcquireAndRelease();
};

void TestFramePool::smallFramesAreNotPooled() {
    auto pool = FramePool::create();
    {
        auto small = pool->acquire(FramePool::kMinPooled - 1);
        QVERIFY(small);
        small[FramePool::kMinPooled - 2] = 7; // the whole size is usable
    }
    const auto stats = pool->stats();
    QCOMPARE(stats.cachedBytes, std::size_t{0});
    QCOMPARE(stats.allocated, std::uint64_t{0});
    QCOMPARE(stats.reused, std::uint64_t{0});
}

void TestFramePool::releasedBufferIsReusedForTheSameClass() {
    auto pool = FramePool::create();
    std::uint8_t* first = nullptr;
    {
        auto frame = pool->acquire(1000000); // class 1 MiB
        first = frame.get();
        frame[999999] = 1;
    }
    QCOMPARE(pool->stats().cachedBytes, std::size_t{1} << 20);
    auto again = pool->acquire(600000); // same class
    QCOMPARE(again.get(), first);
    again[(std::size_t{1} << 20) - 1] = 2; // the class's whole size is there
    const auto stats = pool->stats();
    QCOMPARE(stats.reused, std::uint64_t{1});
    QCOMPARE(stats.allocated, std::uint64_t{1});
    QCOMPARE(stats.cachedBytes, std::size_t{0});
}

void TestFramePool::otherClassesGetTheirOwnBuffers() {
    auto pool = FramePool::create();
    { auto frame = pool->acquire(100000); } // class 128 KiB
    auto bigger = pool->acquire(300000);    // class 512 KiB: the kept one is too small
    QCOMPARE(pool->stats().allocated, std::uint64_t{2});
    QCOMPARE(pool->stats().reused, std::uint64_t{0});
    QCOMPARE(pool->stats().cachedBytes, std::size_t{128} * 1024);
}

void TestFramePool::aLargerKeptBufferServesASmallerFrame() {
    auto pool = FramePool::create();
    std::uint8_t* big = nullptr;
    {
        auto a = pool->acquire(std::size_t{1} << 20);
        auto b = pool->acquire(200000); // class 256 KiB
        big = a.get();
    }
    auto frame = pool->acquire(100000); // the 256 KiB one: the smallest that fits
    QVERIFY(frame.get() != big);
    auto next = pool->acquire(300000); // only the 1 MiB one fits
    QCOMPARE(next.get(), big);
    QCOMPARE(pool->stats().reused, std::uint64_t{2});
    QCOMPARE(pool->stats().cachedBytes, std::size_t{0});
}

void TestFramePool::theMostRecentlyFreedAreKept() {
    auto pool = FramePool::create(std::size_t{1} << 20);
    auto older = pool->acquire(400000); // class 512 KiB
    auto newer = pool->acquire(900000); // class 1 MiB
    std::uint8_t* newest = newer.get();
    older.reset();
    newer.reset(); // over budget: the older one goes
    QCOMPARE(pool->stats().cachedBytes, std::size_t{1} << 20);
    auto frame = pool->acquire(400000);
    QCOMPARE(frame.get(), newest);
}

void TestFramePool::budgetBoundsWhatIsKept() {
    auto pool = FramePool::create(3 * (std::size_t{1} << 20));
    {
        std::vector<std::shared_ptr<std::uint8_t[]>> frames;
        for (int i = 0; i < 5; ++i) {
            frames.push_back(pool->acquire(std::size_t{1} << 20));
        }
    } // five released, three kept
    QCOMPARE(pool->stats().cachedBytes, 3 * (std::size_t{1} << 20));
    std::vector<std::shared_ptr<std::uint8_t[]>> again;
    for (int i = 0; i < 5; ++i) {
        again.push_back(pool->acquire(std::size_t{1} << 20));
    }
    QCOMPARE(pool->stats().reused, std::uint64_t{3});
    QCOMPARE(pool->stats().allocated, std::uint64_t{7});
}

void TestFramePool::buffersOutliveThePool() {
    auto pool = FramePool::create();
    auto frame = pool->acquire(200000);
    std::weak_ptr<FramePool> weak = pool;
    pool.reset();
    QVERIFY(weak.expired());
    frame[199999] = 3; // still valid
    frame.reset();     // freed, not returned (the sanitizer build checks the memory)
}

void TestFramePool::concurrentAcquireAndRelease() {
    auto pool = FramePool::create(8 * (std::size_t{1} << 20));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([pool, t] {
            for (int i = 0; i < 2000; ++i) {
                const std::size_t size = FramePool::kMinPooled + static_cast<std::size_t>((i * 7919 + t) % 400000);
                auto frame = pool->acquire(size);
                frame[0] = static_cast<std::uint8_t>(i);
                frame[size - 1] = static_cast<std::uint8_t>(t);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const auto stats = pool->stats();
    QCOMPARE(stats.reused + stats.allocated, std::uint64_t{8000});
    QVERIFY(stats.reused > stats.allocated); // recycling happened
    QVERIFY(stats.cachedBytes <= 8 * (std::size_t{1} << 20));
}

QTEST_APPLESS_MAIN(TestFramePool)
#include "test_frame_pool.moc"
