#include "common/fresh_read.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace plumbline {
namespace {

using namespace std::chrono_literals;

// A "database" counter that callers bump before they ask: a read that
// started before the bump would miss it.
TEST(FreshReadTest, AnswersOnlyFromAReadThatStartedAfterTheCallAndSharesReads) {
  std::atomic<int64_t> db{0};
  FreshRead<int64_t, std::function<int64_t()>> fresh([&] {
    const int64_t seen = db.load();
    std::this_thread::sleep_for(300us);  // the round trip
    return seen;
  });
  constexpr int kThreads = 8, kCalls = 150;
  std::atomic<int> stale{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        const int64_t committed = ++db;
        if (fresh.Get() < committed) ++stale;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(stale.load(), 0);
  // Callers that arrive while a read runs share the next one.
  const uint64_t calls = kThreads * kCalls;
  EXPECT_LT(fresh.reads(), calls * 3 / 4) << fresh.reads() << " reads for " << calls << " calls";
  EXPECT_GE(fresh.reads(), 1u);
}

TEST(FreshReadTest, AFailedReadAnswersItsCallersAndTheNextCallReadsAgain) {
  std::atomic<int> reads{0};
  std::atomic<bool> fail{true};
  FreshRead<Result<int64_t>, std::function<Result<int64_t>()>> fresh([&]() -> Result<int64_t> {
    ++reads;
    if (fail) return Unavailable("database down");
    return int64_t{7};
  });
  auto failed = fresh.Get();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "database down");
  fail = false;
  auto ok = fresh.Get();
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 7);
  EXPECT_EQ(reads.load(), 2);
}

TEST(FreshReadTest, AReadThatThrowsReachesItsCallerAndDoesNotBlockTheNext) {
  int n = 0;
  FreshRead<int, std::function<int()>> fresh([&] {
    if (++n == 1) throw std::runtime_error("lost connection");
    return n;
  });
  EXPECT_THROW(fresh.Get(), std::runtime_error);
  EXPECT_EQ(fresh.Get(), 2);
  EXPECT_EQ(fresh.Get(), 3);  // every call reads: none was waiting to share
}

}  // namespace
}  // namespace plumbline
