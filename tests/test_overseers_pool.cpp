// aida::overseer_pool: copies of an overseer that may not be shared, as one that may.
// - Under aida::train with 2 threads, no copy is ever called by two threads at once (an
//   in-flight counter per copy), the copies share the calls between them, and the run is bit
//   for bit the run of one plain overseer on one thread.
// - A copy whose call throws is given back: the pool still has every copy idle after.
// - A size of 0 is refused; an exception from the factory reaches the caller.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"
#include "aida/overseers/pool.hpp"
#include "support/rank_runs.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"

namespace {

using S = std::string;
using namespace aida_test::ranks;

// The sum overseer, not declared shareable, counting its calls and the most it ever had in
// flight at once.
struct watched_overseer : aida::tasks::sum_overseer {
  static constexpr bool concurrent_calls = false;  // the sum overseer declares it; this one not
  std::size_t calls = 0;
  std::shared_ptr<std::atomic<int>> now = std::make_shared<std::atomic<int>>(0);
  int peak = 0;
  bool throw_next = false;
  template <class F>
  auto watched(F&& f) {
    const int n = ++*now;
    peak = std::max(peak, n);
    ++calls;
    std::this_thread::sleep_for(std::chrono::microseconds(20));  // so that calls would overlap
    struct done {
      std::atomic<int>* c;
      ~done() { --*c; }
    } d{now.get()};
    if (throw_next) {
      throw_next = false;
      throw std::runtime_error("this copy fails once");
    }
    return f();
  }
  move_type fan_out(const S& q) {
    return watched([&] { return aida::tasks::sum_overseer::fan_out(q); });
  }
  move_type fan_in(const S& q, const subanswer_type& a, const subanswer_type& b) {
    return watched([&] { return aida::tasks::sum_overseer::fan_in(q, a, b); });
  }
};
static_assert(!aida::concurrent_calls<watched_overseer>);
static_assert(aida::concurrent_calls<aida::overseer_pool<watched_overseer>>);

template <class H>
run_record train_with(H& h, std::size_t threads) {
  const setup su;
  tiny_run t(su);
  aida::train_options opt = options_of(su);
  opt.threads = threads;
  t.train(h, opt, su.rng_seed);
  return t.record;
}

TEST(OverseerPool, TwoThreadsShareTwoCopiesOneCallEachAndGiveOnePlainOverseersRun) {
  aida::overseer_pool<watched_overseer> pool(2, [] { return watched_overseer{}; });
  const run_record pooled = train_with(pool, 2);
  watched_overseer alone;
  const run_record plain = train_with(alone, 1);
  EXPECT_EQ(pool.at(0).peak, 1);
  EXPECT_EQ(pool.at(1).peak, 1);
  EXPECT_EQ(pool.at(0).calls + pool.at(1).calls, alone.calls);
  EXPECT_EQ(pooled.final_state.overseer.total(), alone.calls);
  ASSERT_EQ(pooled.steps.size(), plain.steps.size());
  for (std::size_t s = 0; s < plain.steps.size(); ++s) {
    expect_same_counts(pooled.steps[s], plain.steps[s], "step " + std::to_string(s + 1));
    EXPECT_TRUE(aida_test::same_bits(pooled.ml_after[s], plain.ml_after[s])) << s;
    EXPECT_TRUE(aida_test::same_bits(pooled.adv_after[s], plain.adv_after[s])) << s;
  }
}

TEST(OverseerPool, ACopyWhoseCallThrowsIsGivenBack) {
  aida::overseer_pool<watched_overseer> pool(1, [] { return watched_overseer{}; });
  pool.at(0).throw_next = true;
  EXPECT_THROW((void)pool.fan_out(S("12")), std::runtime_error);
  // With one copy, a copy not given back would make this call wait for ever.
  const auto m = pool.fan_out(S("12"));
  EXPECT_EQ(pool.at(0).calls, 2u);
  EXPECT_EQ(m, aida::tasks::sum_overseer{}.fan_out(S("12")));
}

TEST(OverseerPool, ASizeOfZeroIsRefusedAndTheFactorysErrorReachesTheCaller) {
  EXPECT_THROW(aida::overseer_pool<watched_overseer>(0, [] { return watched_overseer{}; }), aida::invalid_options);
  int made = 0;
  EXPECT_THROW(aida::overseer_pool<watched_overseer>(3,
                                                     [&] {
                                                       if (++made == 2) throw std::runtime_error("cannot start");
                                                       return watched_overseer{};
                                                     }),
               std::runtime_error);
  EXPECT_EQ(made, 2);
}

}  // namespace
