#pragma once
/// \file
/// Data-parallel training over MPI (component `aida::mpi`, Open MPI in Debian): an
/// `aida::Communicator` on an MPI communicator, and the MPI environment's lifetime.
///
///     int main(int argc, char** argv) {
///       aida::mpi::environment mpi(argc, argv);   // MPI_Init_thread ... MPI_Finalize
///       aida::mpi::communicator world;            // a duplicate of MPI_COMM_WORLD
///       ...
///       aida::train(world, questions, h, ml, adv, codec, policy, evaluator, rng, options);
///     }
///
/// and `mpirun -np 4 ./program`. docs/scaling.md says what is exact and what to expect.
/// Only the calling thread of `aida::train` makes MPI calls (MPI_THREAD_FUNNELED is enough,
/// also with `train_options::threads` > 1).

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "aida/core/communicator.hpp"
#include "aida/core/error.hpp"

namespace aida::mpi {

namespace detail {

inline std::string error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

inline void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw error(std::string("aida::mpi: ") + what + " failed: " + error_text(code));
}

inline bool initialized() {
  int flag = 0, done = 0;
  MPI_Initialized(&flag);
  MPI_Finalized(&done);
  return flag != 0 && done == 0;
}

/// Calls `f(data, count)` on chunks of at most INT_MAX elements (MPI counts are ints).
template <class T, class F>
void in_chunks(std::span<T> x, F&& f) {
  constexpr std::size_t most = INT_MAX;
  for (std::size_t at = 0; at < x.size(); at += most)
    f(x.data() + at, static_cast<int>(std::min(most, x.size() - at)));
}

}  // namespace detail

/// MPI's lifetime: `MPI_Init_thread` (asking for MPI_THREAD_FUNNELED) on construction,
/// `MPI_Finalize` on destruction. Make one at the start of `main`, before any communicator,
/// and only one; throws `aida::error` when MPI is already initialised or cannot start.
class environment {
 public:
  /// Initialises MPI with the program's arguments (mpirun may pass some).
  environment(int& argc, char**& argv) { init(&argc, &argv); }
  /// Initialises MPI without arguments.
  environment() { init(nullptr, nullptr); }
  environment(const environment&) = delete;
  environment& operator=(const environment&) = delete;
  /// Finalises MPI (every communicator should be gone by then).
  ~environment() {
    if (detail::initialized()) MPI_Finalize();
  }

  /// The thread support MPI gave (MPI_THREAD_FUNNELED or more, or the constructor threw).
  [[nodiscard]] int thread_support() const noexcept { return provided_; }

 private:
  void init(int* argc, char*** argv) {
    int flag = 0;
    MPI_Initialized(&flag);
    if (flag != 0) throw error("aida::mpi::environment: MPI is already initialised (make one environment, in main)");
    detail::check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided_), "MPI_Init_thread");
    if (provided_ < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw error("aida::mpi::environment: this MPI gives no thread support (MPI_THREAD_FUNNELED is needed)");
    }
  }
  int provided_ = 0;
};

/// An `aida::Communicator` over MPI: a duplicate of an MPI communicator (MPI_COMM_WORLD by
/// default), so that aida's collectives never meet a program's own messages, with errors
/// returned rather than fatal: each failing call throws `aida::error` naming it and MPI's
/// reason. `all_reduce_sum` is `MPI_Allreduce` with MPI_SUM in place, `broadcast` is
/// `MPI_Bcast`. Open MPI's reduction algorithms give every rank the same bits (the component's
/// test checks the parameters' hash on every rank after every step).
class communicator {
 public:
  /// A duplicate of `base`; throws `aida::error` when MPI is not initialised (make an
  /// `aida::mpi::environment` first) or the duplication fails.
  explicit communicator(MPI_Comm base = MPI_COMM_WORLD) {
    if (!detail::initialized())
      throw error("aida::mpi::communicator: MPI is not initialised (make an aida::mpi::environment first)");
    detail::check(MPI_Comm_dup(base, &comm_), "MPI_Comm_dup");
    detail::check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    detail::check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  communicator(const communicator&) = delete;
  communicator& operator=(const communicator&) = delete;
  /// Takes `o`'s MPI communicator.
  communicator(communicator&& o) noexcept
      : comm_(std::exchange(o.comm_, MPI_COMM_NULL)), rank_(o.rank_), size_(o.size_) {}
  /// Frees this one's and takes `o`'s.
  communicator& operator=(communicator&& o) noexcept {
    if (this != &o) {
      release();
      comm_ = std::exchange(o.comm_, MPI_COMM_NULL);
      rank_ = o.rank_, size_ = o.size_;
    }
    return *this;
  }
  /// Frees the duplicate (if MPI is still running).
  ~communicator() { release(); }

  /// This process's rank.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// The number of processes.
  [[nodiscard]] int size() const noexcept { return size_; }
  /// The MPI communicator (the duplicate), for a program's own calls.
  [[nodiscard]] MPI_Comm native() const noexcept { return comm_; }

  /// Replaces `x` by its element-wise sum over the ranks.
  void all_reduce_sum(std::span<float> x) { reduce(x, MPI_FLOAT); }
  /// Replaces `x` by its element-wise sum over the ranks.
  void all_reduce_sum(std::span<double> x) { reduce(x, MPI_DOUBLE); }
  /// Replaces `x` by rank `root`'s bytes.
  void broadcast(std::span<std::byte> x, int root) {
    if (root < 0 || root >= size_)
      throw error("aida::mpi::communicator::broadcast: root " + std::to_string(root) + " is not a rank (there are " +
                  std::to_string(size_) + ")");
    detail::in_chunks(x, [&](std::byte* p, int n) { detail::check(MPI_Bcast(p, n, MPI_BYTE, root, comm_), "MPI_Bcast"); });
  }

 private:
  template <class T>
  void reduce(std::span<T> x, MPI_Datatype type) {
    detail::in_chunks(x, [&](T* p, int n) {
      detail::check(MPI_Allreduce(MPI_IN_PLACE, p, n, type, MPI_SUM, comm_), "MPI_Allreduce");
    });
  }
  void release() noexcept {
    if (comm_ != MPI_COMM_NULL && detail::initialized()) MPI_Comm_free(&comm_);
    comm_ = MPI_COMM_NULL;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};
static_assert(Communicator<communicator>);

}  // namespace aida::mpi
