#pragma once
// An in-process aida::Communicator for tests: `size` ranks, each a thread holding a
// `thread_rank`. A collective waits until every rank has called it; the last to arrive does
// the work for all (sums in rank order, so every rank gets the same bits) and releases them.
// A collective whose ranks pass spans of different lengths throws on every rank; one that
// waits longer than `timeout` throws on the waiting ranks (a test of a missing call ends
// instead of hanging).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "aida/core/communicator.hpp"
#include "aida/core/error.hpp"

namespace aida_test {

class thread_group {
 public:
  explicit thread_group(int size, std::chrono::seconds timeout = std::chrono::seconds(60))
      : size_(size), timeout_(timeout), posted_(static_cast<std::size_t>(size)) {}

  [[nodiscard]] int size() const noexcept { return size_; }
  /// Collectives completed so far.
  [[nodiscard]] std::size_t collectives() const {
    std::lock_guard lock(m_);
    return generation_;
  }

  /// Rank `rank` posts `data` (`bytes` bytes) and waits for the others; the last to arrive
  /// calls `work(posted)` with every rank's pointer.
  void collective(int rank, void* data, std::size_t bytes, const std::function<void(std::vector<void*>&)>& work) {
    std::unique_lock lock(m_);
    const std::size_t gen = generation_;
    if (arrived_ == 0) bytes_ = bytes, mismatch_ = false;
    if (bytes != bytes_) mismatch_ = true;
    posted_[static_cast<std::size_t>(rank)] = data;
    if (++arrived_ == size_) {
      if (!mismatch_) work(posted_);
      last_mismatch_ = mismatch_;
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
    } else if (!cv_.wait_for(lock, timeout_, [&] { return generation_ != gen; })) {
      throw aida::error("thread_group: rank " + std::to_string(rank) + " waited over " +
                        std::to_string(timeout_.count()) + " s for the other ranks");
    }
    if (last_mismatch_) throw aida::error("thread_group: the ranks passed spans of different lengths");
  }

 private:
  int size_;
  std::chrono::seconds timeout_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<void*> posted_;
  int arrived_ = 0;
  std::size_t bytes_ = 0, generation_ = 0;
  bool mismatch_ = false, last_mismatch_ = false;
};

struct thread_rank {
  thread_group* group;
  int me;

  [[nodiscard]] int rank() const noexcept { return me; }
  [[nodiscard]] int size() const noexcept { return group->size(); }

  template <class T>
  void sum(std::span<T> x) {
    group->collective(me, x.data(), x.size_bytes(), [n = x.size()](std::vector<void*>& all) {
      std::vector<T> total(n, T(0));
      for (void* p : all)
        for (std::size_t i = 0; i < n; ++i) total[i] += static_cast<const T*>(p)[i];
      for (void* p : all) std::memcpy(p, total.data(), n * sizeof(T));
    });
  }
  void all_reduce_sum(std::span<float> x) { sum(x); }
  void all_reduce_sum(std::span<double> x) { sum(x); }
  void broadcast(std::span<std::byte> x, int root) {
    group->collective(me, x.data(), x.size_bytes(), [n = x.size(), root](std::vector<void*>& all) {
      for (std::size_t r = 0; r < all.size(); ++r)
        if (static_cast<int>(r) != root) std::memcpy(all[r], all[static_cast<std::size_t>(root)], n);
    });
  }
};
static_assert(aida::Communicator<thread_rank>);

/// Runs `body(rank)` for every rank of `group` on its own thread (rank 0 on a new thread
/// too) and waits for all; exceptions stay with `body`.
template <class F>
void run_ranks(thread_group& group, F&& body) {
  std::vector<std::thread> threads;
  for (int r = 0; r < group.size(); ++r) threads.emplace_back([&, r] { body(r); });
  for (auto& t : threads) t.join();
}

}  // namespace aida_test
