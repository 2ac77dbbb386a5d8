#pragma once
/// \file
/// `aida::overseer_pool`: N copies of an overseer that may not be shared (a process, a
/// console, a service session), offered as one overseer that may be called from N threads at
/// once (`concurrent_calls`): each call takes an idle copy, waits when none is, and gives it
/// back. With `train_options::threads` = N, a slow overseer of one process per thread:
///
///     aida::overseer_pool<aida::process_overseer<std::string, std::string>> pool(2, [] {
///       return aida::process_overseer<std::string, std::string>(options);  // started here
///     });
///     aida::train(questions, pool, ml, adv, codec, policy, evaluator, rng, train_opts);
///
/// Which copy answers a call depends on the timing, so the copies must answer alike (the same
/// program, stateless, or deterministic given the question): then the run does not depend on
/// the number of threads, as with any overseer. A copy that throws is given back all the
/// same, and the exception goes to the caller.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "aida/algorithm/detail/forwarding_overseer.hpp"
#include "aida/core/error.hpp"

namespace aida {

/// N copies of overseer `H`, each called by one thread at a time, as one overseer that
/// declares `concurrent_calls`. The members of `H` that it forwards, each to an idle copy:
/// `answer`, `fan_out`, `fan_in` (with the context argument when `H` takes one) and
/// `well_formed` when `H` has it.
template <class H>
class overseer_pool : public detail::forwarding_overseer<overseer_pool<H>, H> {
 public:
  /// Calls may come from several threads at once: each gets a copy of its own.
  static constexpr bool concurrent_calls = true;

  /// `size` copies, each `make()`, all made here (so that a copy that cannot start, a process
  /// that fails, fails now, not in the middle of training). Throws `aida::invalid_options`
  /// for a size of 0; whatever `make` throws, after destroying the copies already made.
  template <class Make>
    requires std::is_invocable_r_v<H, Make&>
  overseer_pool(std::size_t size, Make make) {
    if (size == 0) throw invalid_options("aida::overseer_pool: the size must be at least 1");
    all_.reserve(size);
    idle_.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
      all_.push_back(std::make_unique<H>(make()));
      idle_.push_back(all_.back().get());
    }
  }
  overseer_pool(const overseer_pool&) = delete;
  overseer_pool& operator=(const overseer_pool&) = delete;

  /// The number of copies.
  [[nodiscard]] std::size_t size() const noexcept { return all_.size(); }
  /// Copy `i` (in the order made), for what the pool does not forward (counters, logs). Not
  /// to be called while the pool is in use.
  [[nodiscard]] H& at(std::size_t i) { return *all_.at(i); }

  /// `f(copy)` with an idle copy, leased for the call (the members forwarded, above, call it).
  template <class F>
  auto with(F&& f) {
    lease l(*this);
    return f(*l.h);
  }

 private:
  /// An idle copy, taken for the lifetime of the lease (waiting for one if none is idle) and
  /// given back at its end, also when the call throws.
  struct lease {
    overseer_pool& pool;
    H* h;
    explicit lease(overseer_pool& p) : pool(p) {
      std::unique_lock lock(pool.m_);
      pool.cv_.wait(lock, [&] { return !pool.idle_.empty(); });
      h = pool.idle_.back();
      pool.idle_.pop_back();
    }
    ~lease() {
      {
        std::lock_guard lock(pool.m_);
        pool.idle_.push_back(h);
      }
      pool.cv_.notify_one();
    }
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
  };

  std::vector<std::unique_ptr<H>> all_;
  std::vector<H*> idle_;
  std::mutex m_;
  std::condition_variable cv_;
};

}  // namespace aida
