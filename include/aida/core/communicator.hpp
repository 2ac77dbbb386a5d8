#pragma once
/// \file
/// Data-parallel training (docs/scaling.md): the `Communicator` concept, through which
/// `aida::train` spreads a step's episodes over ranks and averages the learners' gradients;
/// `aida::single_process`, the default; `aida::gradient_exchange`, the view of a communicator
/// a learner's data-parallel `train_step` sees; `aida::exchange_mean`, the arithmetic such a
/// step shares; and the `DataParallelModel` / `DataParallelAdversary` concepts. The MPI
/// communicator is `aida::mpi::communicator` (`aida/ext/mpi.hpp`, component `aida::mpi`).

#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "aida/core/concepts.hpp"
#include "aida/core/episode.hpp"
#include "aida/core/error.hpp"

namespace aida {

/// \concept Communicator
/// A group of `size()` processes (ranks) that train one model together: the collective
/// operations `aida::train` needs for data-parallel training. Every rank calls each
/// collective in the same order with spans of the same length.
///
/// **Minimal complete definition:** `c.rank()` and `c.size()` (convertible to int, const);
/// `c.all_reduce_sum(std::span<float>)` and `c.all_reduce_sum(std::span<double>)`: every
/// rank's span is replaced by the element-wise sum over the ranks; `c.broadcast(std::span<std::byte>, int root)`:
/// every rank's bytes are replaced by those of rank `root`.
///
/// **Semantic requirements:** after `all_reduce_sum`, **every rank holds the same bits**
/// (the order of summation may differ from a sum on one process, but not between ranks: this
/// is what keeps the ranks' parameters identical); a failure throws `aida::error` on the rank
/// where it is seen. A single process is a group of one (`aida::single_process`).
///
/// **Models:** `aida::single_process`; `aida::mpi::communicator` (`aida/ext/mpi.hpp`). NCCL or
/// Gloo can be wrapped the same way.
template <class C>
concept Communicator = requires(C& c, const C& cc, std::span<float> f, std::span<double> d, std::span<std::byte> b,
                                int root) {
  { cc.rank() } -> std::convertible_to<int>;
  { cc.size() } -> std::convertible_to<int>;
  c.all_reduce_sum(f);
  c.all_reduce_sum(d);
  c.broadcast(b, root);
};

/// The group of one process: every collective leaves its data as it is.
struct single_process {
  /// 0.
  [[nodiscard]] static constexpr int rank() noexcept { return 0; }
  /// 1.
  [[nodiscard]] static constexpr int size() noexcept { return 1; }
  /// The sum over one rank: `x` itself.
  static constexpr void all_reduce_sum(std::span<float>) noexcept {}
  /// The sum over one rank: `x` itself.
  static constexpr void all_reduce_sum(std::span<double>) noexcept {}
  /// Rank `root`'s bytes: these.
  static constexpr void broadcast(std::span<std::byte>, int) noexcept {}
};
static_assert(Communicator<single_process>);

/// A communicator as a learner's data-parallel `train_step` sees it: one concrete type, so
/// that a learner need not be a template over communicators. It refers to the communicator it
/// was made from, which must outlive it.
class gradient_exchange {
 public:
  /// A view of `c`.
  template <Communicator C>
  explicit gradient_exchange(C& c) noexcept
      : comm_(&c),
        rank_(static_cast<int>(std::as_const(c).rank())),
        size_(static_cast<int>(std::as_const(c).size())),
        floats_([](void* p, std::span<float> x) { static_cast<C*>(p)->all_reduce_sum(x); }),
        doubles_([](void* p, std::span<double> x) { static_cast<C*>(p)->all_reduce_sum(x); }),
        bytes_([](void* p, std::span<std::byte> x, int root) { static_cast<C*>(p)->broadcast(x, root); }) {}

  /// This process's rank, in [0, size()).
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// The number of ranks.
  [[nodiscard]] int size() const noexcept { return size_; }
  /// Replaces `x` by its sum over the ranks (the same bits on every rank).
  void all_reduce_sum(std::span<float> x) { floats_(comm_, x); }
  /// Replaces `x` by its sum over the ranks (the same bits on every rank).
  void all_reduce_sum(std::span<double> x) { doubles_(comm_, x); }
  /// Replaces `x` by rank `root`'s bytes.
  void broadcast(std::span<std::byte> x, int root) { bytes_(comm_, x, root); }

 private:
  void* comm_;
  int rank_, size_;
  void (*floats_)(void*, std::span<float>);
  void (*doubles_)(void*, std::span<double>);
  void (*bytes_)(void*, std::span<std::byte>, int);
};
static_assert(Communicator<gradient_exchange>);

/// What `exchange_mean` found over the ranks.
struct exchange_result {
  double count = 0;  ///< targets over all ranks
  double loss = 0;   ///< the mean loss over all of them (0 when there are none)
  int failed = 0;    ///< ranks whose own step failed before the exchange
};

/// The arithmetic of a data-parallel step, shared by the reference learners. On each rank
/// `local_gradient` holds the gradient of `local_mean_loss`, the mean loss over the rank's
/// `local_count` targets (anything when `local_ok` is false: the rank's step failed, and it
/// still takes part so that no rank waits for it). First the losses, counts and failures are
/// summed over the ranks; unless a rank failed, the total count is 0 or the loss is not
/// finite (then the gradients are not exchanged, on any rank, and the caller throws),
/// `local_gradient` is replaced by the gradient of the mean loss over all ranks' targets,
/// Σ_r n_r ĝ_r / Σ_r n_r: the same bits on every rank.
inline exchange_result exchange_mean(gradient_exchange& ex, std::span<float> local_gradient, double local_mean_loss,
                                     std::size_t local_count, bool local_ok) {
  const auto n = static_cast<double>(local_count);
  double sums[3] = {local_ok && local_count > 0 ? local_mean_loss * n : 0.0, local_ok ? n : 0.0, local_ok ? 0.0 : 1.0};
  ex.all_reduce_sum(std::span<double>(sums));
  exchange_result r{sums[1], sums[1] > 0 ? sums[0] / sums[1] : 0.0, static_cast<int>(sums[2])};
  if (r.failed > 0 || r.count == 0 || !std::isfinite(r.loss)) return r;
  const auto weight = static_cast<float>(local_ok ? n : 0.0);
  for (float& g : local_gradient) g *= weight;
  ex.all_reduce_sum(local_gradient);
  const auto inverse = static_cast<float>(1.0 / r.count);
  for (float& g : local_gradient) g *= inverse;
  return r;
}

/// \concept DataParallelModel
/// A TrainableModel that can train on one rank's share of a step (`aida::train` with a
/// `Communicator` of more than one rank).
///
/// **Minimal complete definition:** `m.train_step(batch, gradient_exchange&) -> double`: one
/// optimiser step on the mean loss over the union of every rank's `batch` (each rank passes
/// its own, possibly empty), returning that mean, the same on every rank; and
/// `m.synchronize(gradient_exchange&, int root)`: makes the parameters and optimiser state
/// those of rank `root`.
///
/// **Semantic requirements:** every rank calls both the same number of times, in the same
/// order, even when its own batch is empty or its own loss fails (`aida::exchange_mean` does
/// the arithmetic and keeps the ranks in step); a step that fails on any rank throws on every
/// rank and changes nothing; after a step the parameters are the same bits on every rank.
///
/// **Models:** the reference backend's `char_model` and `transformer_model`.
template <class M, class Q, class A, class S = sampler>
concept DataParallelModel = TrainableModel<M, Q, A, S> &&
    requires(M& m, std::span<const model_target<Q, A>> batch, gradient_exchange& ex, int root) {
      { m.train_step(batch, ex) } -> std::convertible_to<double>;
      m.synchronize(ex, root);
    };

/// \concept DataParallelAdversary
/// A TrainableAdversary that can train on one rank's share of a step; as `DataParallelModel`.
///
/// **Models:** the reference backend's `adversary_model` and `transformer_adversary`.
template <class V, class Q, class O>
concept DataParallelAdversary = TrainableAdversary<V, Q, O> &&
    requires(V& v, std::span<const adversary_target<Q, O>> batch, gradient_exchange& ex, int root) {
      { v.train_step(batch, ex) } -> std::convertible_to<double>;
      v.synchronize(ex, root);
    };

}  // namespace aida
