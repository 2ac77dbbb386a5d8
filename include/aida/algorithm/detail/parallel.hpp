#pragma once
/// \file
/// What `aida::train` needs to collect a step's episodes on several threads: a small pool of
/// worker threads, and wrappers that put the calls to an overseer or a learner that did not
/// declare itself safe to share (`aida::concurrent_calls`, `aida::concurrent_inference`)
/// under a mutex.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "aida/algorithm/detail/forwarding_overseer.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"

namespace aida::detail {

/// Locks `m` for its lifetime, when `m` is not null (null: no lock, nothing to pay).
class optional_lock {
 public:
  explicit optional_lock(std::mutex* m) : m_(m) {
    if (m_) m_->lock();
  }
  ~optional_lock() {
    if (m_) m_->unlock();
  }
  optional_lock(const optional_lock&) = delete;
  optional_lock& operator=(const optional_lock&) = delete;

 private:
  std::mutex* m_;
};

/// Overseer `H` (held by reference) whose calls, including `well_formed`, are made under
/// `lock` when it is not null. It forwards the context-taking members only when `H` has them,
/// so that the procedures see the same overseer.
template <class H>
class guarded_overseer : public forwarding_overseer<guarded_overseer<H>, H> {
 public:
  guarded_overseer(H& h, std::mutex* lock) : h_(h), lock_(lock) {}

  /// `f(h)` under the lock.
  template <class F>
  auto with(F&& f) {
    optional_lock l(lock_);
    return f(h_);
  }

 private:
  H& h_;
  std::mutex* lock_;
};

/// Model `M` (held by reference) whose inference members are called under `lock` when it
/// is not null. `predict_batch` is forwarded only when `M` has it.
template <class M>
class guarded_model {
 public:
  guarded_model(M& m, std::mutex* lock) : m_(m), lock_(lock) {}

  template <class Q>
  auto predict(const Q& q) {
    optional_lock l(lock_);
    return m_.predict(q);
  }
  template <class Q>
    requires requires(M& m, std::span<const Q> qs) { m.predict_batch(qs); }
  auto predict_batch(std::span<const Q> qs) {
    optional_lock l(lock_);
    return m_.predict_batch(qs);
  }
  template <class O, class A>
  auto log_prob(const O& o, const A& a) {
    optional_lock l(lock_);
    return m_.log_prob(o, a);
  }
  template <class O, class S>
  auto sample(const O& o, S& rng) {
    optional_lock l(lock_);
    return m_.sample(o, rng);
  }
  template <class O>
  auto greedy(const O& o) {
    optional_lock l(lock_);
    return m_.greedy(o);
  }

 private:
  M& m_;
  std::mutex* lock_;
};

/// Adversary `V` (held by reference) whose `score` is called under `lock` when it is not null.
template <class V>
class guarded_adversary {
 public:
  guarded_adversary(V& v, std::mutex* lock) : v_(v), lock_(lock) {}

  template <class Q, class O>
  auto score(const Q& q, const O& o) {
    optional_lock l(lock_);
    return v_.score(q, o);
  }

 private:
  V& v_;
  std::mutex* lock_;
};

/// `threads` − 1 worker threads that, with the calling thread, run the calls `task(i)` for
/// i in [0, n) of `run`, each index once, claimed in increasing order. Created once per
/// `train` call (so that a worker's thread-local scratch, such as the reference models'
/// tape, is kept from step to step) and joined by the destructor. With `threads` = 1 there
/// are no workers: `run` is a plain loop on the calling thread.
class worker_pool {
 public:
  /// Starts `threads` − 1 workers. Throws `aida::error` if the system cannot start them
  /// (the ones already started are joined first).
  explicit worker_pool(std::size_t threads) {
    try {
      for (std::size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
    } catch (const std::system_error& e) {
      stop();
      throw error("aida::train: could not start " + std::to_string(threads - 1) +
                  " worker threads (train_options::threads = " + std::to_string(threads) + "): " + e.what());
    }
  }
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  ~worker_pool() { stop(); }

  /// Calls `task(i)` for every i in [0, n), on the workers and the calling thread, and
  /// returns once every call has returned. `task` must not throw.
  template <class F>
  void run(std::size_t n, F& task) {
    if (workers_.empty()) {
      for (std::size_t i = 0; i < n; ++i) task(i);
      return;
    }
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = [](void* f, std::size_t i) { (*static_cast<F*>(f))(i); };
      arg_ = &task;
      n_ = n;
      next_.store(0, std::memory_order_relaxed);
      busy_ = workers_.size();
      ++generation_;
    }
    start_.notify_all();
    drain();
    std::unique_lock<std::mutex> l(m_);
    done_.wait(l, [&] { return busy_ == 0; });
  }

 private:
  void drain() {
    for (std::size_t i; (i = next_.fetch_add(1, std::memory_order_relaxed)) < n_;) job_(arg_, i);
  }

  void work() {
    std::size_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(m_);
        start_.wait(l, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      drain();
      std::lock_guard<std::mutex> l(m_);
      if (--busy_ == 0) done_.notify_one();
    }
  }

  void stop() noexcept {
    {
      std::lock_guard<std::mutex> l(m_);
      stopping_ = true;
    }
    start_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::mutex m_;
  std::condition_variable start_, done_;
  std::vector<std::thread> workers_;
  void (*job_)(void*, std::size_t) = nullptr;
  void* arg_ = nullptr;
  std::size_t n_ = 0;
  std::atomic<std::size_t> next_{0};
  std::size_t busy_ = 0;
  std::size_t generation_ = 0;
  bool stopping_ = false;
};

}  // namespace aida::detail
