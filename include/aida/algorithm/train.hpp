#pragma once
/// \file
/// `aida::train`: the training loop of adversarial IDA. Each step samples questions (from
/// the training distribution or the adversarial source of spec §6), amplifies them with H or
/// the primed H′ (spec §2, §4), optionally distills (spec §3), trains ML and Adv on the
/// episodes' targets, anneals the thresholds and, every so often, evaluates on a held-out
/// set. Callbacks, in the manner of ensmallen, observe and may stop the run.

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

#include "aida/algorithm/amplify.hpp"
#include "aida/algorithm/detail/parallel.hpp"
#include "aida/algorithm/distill.hpp"
#include "aida/algorithm/iterate.hpp"
#include "aida/algorithm/options.hpp"
#include "aida/core/communicator.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/policies.hpp"
#include "aida/core/question_source.hpp"
#include "aida/core/static_checks.hpp"

namespace aida {

/// A replay memory: the most recent `capacity` items, overwritten oldest first, from which
/// batches are drawn uniformly with replacement. `aida::train` keeps ML's targets in one;
/// a loop of your own (a supervised baseline, say) can use it the same way.
template <class T>
class replay_memory {
 public:
  /// A memory of `capacity` items (0: holds nothing).
  explicit replay_memory(std::size_t capacity) : capacity_(capacity) { items_.reserve(capacity); }

  /// Stores `item`, in place of the oldest one when full; a memory of capacity 0 drops it.
  void add(T item) {
    if (capacity_ == 0) return;
    if (items_.size() < capacity_) items_.push_back(std::move(item));
    else items_[next_] = std::move(item);
    next_ = (next_ + 1) % capacity_;
  }

  /// Replaces the contents of `out` by `n` items drawn uniformly with replacement, one
  /// `rng.next()` each (none when the memory is empty).
  template <Sampler S>
  void draw(std::vector<T>& out, std::size_t n, S& rng) const {
    out.clear();
    // `next() % size` rather than `draw_below`: as close to uniform, but other indices, and
    // every recorded training run (docs/results/) drew its replay batches this way.
    for (std::size_t i = 0; i < n && !items_.empty(); ++i)
      out.push_back(items_[static_cast<std::size_t>(rng.next() % items_.size())]);
  }

  /// Number of items stored (at most the capacity).
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  /// True when nothing is stored.
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }

 private:
  std::size_t capacity_;
  std::size_t next_ = 0;
  std::vector<T> items_;
};

/// What the trainer knows at any moment; callbacks read it and may set `stop`.
struct train_state {
  std::size_t step = 0;   ///< steps completed
  std::size_t steps = 0;  ///< steps planned
  std::size_t episodes = 0;          ///< amplification episodes run, cumulative
  std::size_t distill_episodes = 0;  ///< distillation episodes run, cumulative
  overseer_calls overseer;          ///< cumulative calls that reached H
  overseer_calls deferred;          ///< cumulative decisions H′ left to ML (spec §4)
  overseer_calls cached;            ///< cumulative decisions of H taken from a cache (not calls)
  std::size_t model_calls = 0;      ///< cumulative, in episodes
  std::size_t adversary_calls = 0;  ///< cumulative, in episodes
  fallback_counts fallbacks;        ///< cumulative
  std::size_t targets = 0;          ///< model targets trained on, cumulative
  double model_loss = std::numeric_limits<double>::quiet_NaN();      ///< last step's mean
  double adversary_loss = std::numeric_limits<double>::quiet_NaN();  ///< last step's mean
  double accuracy = std::numeric_limits<double>::quiet_NaN();        ///< last held-out accuracy
  std::size_t evaluations = 0;   ///< held-out evaluations done
  double threshold = 0;          ///< H′'s confidence threshold c in force
  std::size_t difficulty = 0;    ///< for curricula; set by the curriculum callback
  double seconds = 0;            ///< wall time since the start
  bool stop = false;             ///< set by a callback to end the run after this step
  /// This process's rank in data-parallel training (`train` with a `Communicator`); 0 alone.
  /// The counts above are over every rank; the library's logging and checkpoint callbacks
  /// act on rank 0 only.
  std::size_t rank = 0;
  std::size_t ranks = 1;         ///< the number of ranks training together; 1 alone
  std::string stop_reason;       ///< the reason given to the first `request_stop`

  /// Sets `stop` with the reason `why`; a second request keeps the first reason.
  void request_stop(std::string why) {
    if (!stop) stop = true, stop_reason = std::move(why);
  }
};

/// Options of `aida::train`.
struct train_options {
  std::size_t steps = 1000;                   ///< training steps
  std::size_t episodes_per_step = 8;          ///< amplification episodes per step
  std::size_t distill_episodes_per_step = 0;  ///< distillation episodes per step (spec §3)
  /// Train the adversary on the distillation episodes' targets too (spec §3). Their losses
  /// measure ML against its own composed answers, not against anything H said; false keeps
  /// them out of the adversary's batch (ML still trains on the episodes' model targets), an
  /// ablation of the spec's distillation.
  bool distill_adversary_targets = true;
  /// The first step (counted from 0) that runs the distillation episodes: before it a step
  /// runs `episodes_per_step` amplification episodes only, and draws no question for
  /// distillation. Distillation trains ML on its own fan-out and fan-in (spec §3), which
  /// teaches it its own mistakes while those are poor; a later start waits for them.
  std::size_t distill_from_step = 0;
  std::size_t eval_every = 50;                ///< evaluate every N steps (and at the end)
  /// Amplify with the primed overseer H′ (spec §4) instead of H itself.
  bool iterate = true;
  /// H′'s threshold c as a function of the step. The adversary starts out poor: start high
  /// (consult H nearly always) and lower it. By default the earlier experiment's (docs/results/archive/):
  /// +∞ (H everywhere) for 100 warm-up steps, then c = −0.03 nats. (A constant +∞ would make
  /// H′ never defer while paying a model and an adversary call per decision.)
  std::function<double(std::size_t)> threshold =
      warmup_schedule{.warmup = 100, .during = std::numeric_limits<double>::infinity(), .after = -0.03};
  double prime_noise = 0.1;                   ///< scale of H′'s Gumbel noise (the experiment's)
  /// Which of H′'s decisions may be deferred to ML (all three by default, spec §4; see
  /// `aida::deferrable_kinds`).
  deferrable_kinds prime_deferrable{};
  std::size_t adversarial_candidates = 1;     ///< k of spec §6's adversarial source (1: off)
  double adversarial_temperature = 1.0;       ///< τ of the adversarial source
  /// ML's replay memory: the most recent `replay_capacity` model targets. 0 trains ML on each
  /// step's new targets only. With a memory, each step makes `updates_per_step` updates on
  /// `replay_batch` targets drawn uniformly from it, so that each overseer call teaches
  /// more than once. The adversary always trains on the step's fresh targets: it must
  /// track the current ML, whose losses the old targets no longer measure.
  std::size_t replay_capacity = 0;
  std::size_t updates_per_step = 1;  ///< ML's updates per step, with a replay memory
  std::size_t replay_batch = 32;     ///< targets per replayed update
  amplify_options amplify{};         ///< options of the amplification episodes
  distill_options distill{};         ///< options of the distillation episodes
  /// Threads that collect a step's episodes, the calling thread included (1: it alone). The
  /// results do not depend on it, bit for bit: episode i of a step draws from its own stream,
  /// the i-th `split()` of the run's sampler at the start of the step, whichever thread runs
  /// it. An overseer that does not declare `concurrent_calls`, and a learner that does not
  /// declare `concurrent_inference`, are called under a mutex (see docs/concepts.md).
  std::size_t threads = 1;
  /// The largest `threads` that `validate` accepts.
  static constexpr std::size_t max_threads = 1024;

  /// Throws `invalid_options` naming the field when the options cannot work (including the
  /// nested `amplify` and `distill`).
  void validate() const {
    if (episodes_per_step == 0) throw invalid_options("aida::train_options::episodes_per_step must be at least 1");
    if (eval_every == 0) throw invalid_options("aida::train_options::eval_every must be at least 1");
    if (!threshold) throw invalid_options("aida::train_options::threshold must be set (a schedule of the step)");
    if (updates_per_step == 0) throw invalid_options("aida::train_options::updates_per_step must be at least 1");
    if (replay_capacity > 0 && replay_batch == 0)
      throw invalid_options("aida::train_options::replay_batch must be at least 1 when replay_capacity is set");
    // A NaN or negative scale would silently act as 0 (no noise) where it is compared.
    if (!(std::isfinite(prime_noise) && prime_noise >= 0))
      throw invalid_options("aida::train_options::prime_noise = " + std::to_string(prime_noise) +
                            " (must be finite and >= 0)");
    if (!(std::isfinite(adversarial_temperature) && adversarial_temperature >= 0))
      throw invalid_options("aida::train_options::adversarial_temperature = " +
                            std::to_string(adversarial_temperature) + " (must be finite and >= 0)");
    if (threads == 0 || threads > max_threads)
      throw invalid_options("aida::train_options::threads = " + std::to_string(threads) + " (must be in 1.." +
                            std::to_string(max_threads) + ")");
    amplify.validate();
    distill.validate();
  }
};

/// \concept Evaluator
/// Holds a held-out set and its ground truth; given a way to answer a question, returns the
/// accuracy. The trainer sees only that number: ground truth stays inside the evaluator.
template <class E, class Q, class A>
concept Evaluator = requires(E& e, std::function<A(const Q&)> answer) {
  { e.accuracy(answer) } -> std::convertible_to<double>;
};

namespace detail {

template <class Cb>
void notify_begin(Cb& cb, train_state& s) {
  if constexpr (requires { cb.on_begin(s); }) cb.on_begin(s);
}
template <class Cb>
void notify_step(Cb& cb, train_state& s) {
  if constexpr (requires { cb.on_step(s); }) cb.on_step(s);
}
template <class Cb>
void notify_evaluate(Cb& cb, train_state& s) {
  if constexpr (requires { cb.on_evaluate(s); }) cb.on_evaluate(s);
}
template <class Cb>
void notify_end(Cb& cb, train_state& s) {
  if constexpr (requires { cb.on_end(s); }) cb.on_end(s);
}

inline void accumulate(train_state& s, const episode_counts& c) {
  s.overseer += c.overseer;
  s.deferred += c.deferred;
  s.cached += c.cached;
  s.model_calls += c.model_calls;
  s.adversary_calls += c.adversary_calls;
  s.fallbacks.depth_limit += c.fallbacks.depth_limit;
  s.fallbacks.round_limit += c.fallbacks.round_limit;
  s.fallbacks.overseer_budget += c.fallbacks.overseer_budget;
  s.fallbacks.malformed_moves += c.fallbacks.malformed_moves;
}

/// The counts of a step that data-parallel ranks sum (`tally`): episodes, calls, fallbacks
/// and targets, in a fixed order, as doubles (exact below 2^53).
constexpr std::size_t tally_size = 18;

inline void tally_to(const train_state& d, double* out) {
  const std::size_t v[tally_size] = {d.episodes, d.distill_episodes, d.overseer.answer, d.overseer.fan_out,
                                     d.overseer.fan_in, d.deferred.answer, d.deferred.fan_out, d.deferred.fan_in,
                                     d.cached.answer, d.cached.fan_out, d.cached.fan_in, d.model_calls,
                                     d.adversary_calls, d.fallbacks.depth_limit, d.fallbacks.round_limit,
                                     d.fallbacks.overseer_budget, d.fallbacks.malformed_moves, d.targets};
  for (std::size_t i = 0; i < tally_size; ++i) out[i] = static_cast<double>(v[i]);
}

inline void tally_from(const double* in, train_state& d) {
  std::size_t* v[tally_size] = {&d.episodes, &d.distill_episodes, &d.overseer.answer, &d.overseer.fan_out,
                                &d.overseer.fan_in, &d.deferred.answer, &d.deferred.fan_out, &d.deferred.fan_in,
                                &d.cached.answer, &d.cached.fan_out, &d.cached.fan_in, &d.model_calls,
                                &d.adversary_calls, &d.fallbacks.depth_limit, &d.fallbacks.round_limit,
                                &d.fallbacks.overseer_budget, &d.fallbacks.malformed_moves, &d.targets};
  for (std::size_t i = 0; i < tally_size; ++i) *v[i] = static_cast<std::size_t>(in[i]);
}

/// Adds the counts of `d` (a step's) to `s`.
inline void add_counts(train_state& s, const train_state& d) {
  double a[tally_size], b[tally_size];
  tally_to(s, a);
  tally_to(d, b);
  for (std::size_t i = 0; i < tally_size; ++i) a[i] += b[i];
  tally_from(a, s);
}

/// A fingerprint of the options every rank must share (they decide how many collective calls
/// a step makes and what the ranks draw).
inline std::uint64_t shared_options_fingerprint(const train_options& o) {
  std::uint64_t h = 1469598103934665603ULL;
  const auto mix = [&](std::uint64_t x) {
    for (int i = 0; i < 8; ++i) h = (h ^ ((x >> (8 * i)) & 0xff)) * 1099511628211ULL;
  };
  for (std::uint64_t x : {std::uint64_t{o.steps}, std::uint64_t{o.episodes_per_step},
                          std::uint64_t{o.distill_episodes_per_step}, std::uint64_t{o.eval_every},
                          std::uint64_t{o.iterate}, std::uint64_t{o.distill_adversary_targets},
                          std::uint64_t{o.distill_from_step},
                          std::uint64_t{o.prime_deferrable.answer} | std::uint64_t{o.prime_deferrable.fan_out} << 1 |
                              std::uint64_t{o.prime_deferrable.fan_in} << 2,
                          std::uint64_t{o.adversarial_candidates},
                          std::uint64_t{o.replay_capacity}, std::uint64_t{o.updates_per_step},
                          std::uint64_t{o.replay_batch}, std::bit_cast<std::uint64_t>(o.prime_noise),
                          std::bit_cast<std::uint64_t>(o.adversarial_temperature)})
    mix(x);
  return h;
}

/// What a learner's state is put back from when a step fails: its snapshot when it is
/// `Restorable`, nothing otherwise. Kept from step to step: a learner that is `SnapshotInto`
/// takes each step's snapshot into the storage of the last (no allocation), another a new
/// snapshot each step, made after the last one is freed.
struct no_snapshot {};

template <class L, bool = Restorable<L>>
struct snapshot_type_of {
  using type = no_snapshot;
};
template <class L>
struct snapshot_type_of<L, true> {
  using type = std::remove_cvref_t<decltype(std::declval<L&>().snapshot())>;
};

template <class L>
class kept_snapshot {
 public:
  /// Takes `learner`'s snapshot (before a step's updates).
  void take([[maybe_unused]] L& learner) {
    if constexpr (Restorable<L>) {
      if constexpr (SnapshotInto<L>) {
        if (saved_) {
          try {
            learner.snapshot_into(*saved_);
          } catch (...) {
            saved_.reset();  // part-copied
            throw;
          }
          return;
        }
      }
      saved_.reset();
      saved_.emplace(learner.snapshot());
    }
  }
  /// Puts `learner` back to the snapshot `take` took; the next `take` makes a new one.
  void restore([[maybe_unused]] L& learner) noexcept {
    if constexpr (Restorable<L>) {
      learner.restore(std::move(*saved_));
      saved_.reset();
    }
  }

 private:
  std::optional<typename snapshot_type_of<L>::type> saved_;
};

/// The end of the message of a non-finite loss: what `train` put back.
template <class M, class V>
constexpr const char* rollback_note() {
  if constexpr (Restorable<M> && Restorable<V>)
    return "ML and the adversary are put back as they were before the step";
  else if constexpr (Restorable<M>)
    return "ML is put back as it was before the step; the adversary has no snapshot()/restore() (aida::Restorable) "
           "and is as its own train_step left it";
  else if constexpr (Restorable<V>)
    return "the adversary is put back as it was before the step; ML has no snapshot()/restore() (aida::Restorable) "
           "and keeps the updates it made";
  else
    return "ML and the adversary have no snapshot()/restore() (aida::Restorable) and keep the updates they made";
}

/// The loss a learner's `train_step` returned, checked finite (a `TrainableModel` throws
/// rather than return a non-finite loss; one that does has met NaN and carried on).
inline double finite_loss(double loss, const char* who, std::size_t step, std::size_t steps, const char* note) {
  if (std::isfinite(loss)) return loss;
  throw non_finite_error(std::string("aida::train: ") + who + " returned a loss of " + std::to_string(loss) +
                         " in step " + std::to_string(step + 1) + " of " + std::to_string(steps) + "; " + note);
}

/// Whether the arguments of `train` model their concepts; each one that does not is named by
/// a static_assert (`aida/core/static_checks.hpp`).
template <class Src, class H, class M, class V, class C, class P, class E, class S>
constexpr bool train_arguments() {
  if constexpr (!checks::codec_and_sampler<C, S>()) {
    return false;
  } else {
    using Q = codec_question_t<C>;
    using A = codec_answer_t<C>;
    constexpr bool questions_ok = QuestionSource<Src, Q, S>, evaluator_ok = Evaluator<E, Q, A>;
    static_assert(questions_ok,
                  "aida::train: the `questions` argument has no `next(Sampler&)` returning a question (are two arguments swapped?)");
    constexpr bool h_ok = checks::overseer<H, Q, A>();
    constexpr bool learners_ok = checks::model_and_adversary<M, V, Q, A, S, /*Trainable=*/true>();
    constexpr bool policy_ok = checks::recursion_policy<P, S>();
    static_assert(evaluator_ok,
                  "aida::train: the `evaluator` argument has no `accuracy(std::function<A(const Q&)>)` returning a double (are two arguments swapped?)");
    return questions_ok && h_ok && learners_ok && policy_ok && evaluator_ok;
  }
}

/// Sets this rank's failure flag at `buffer[offset + rank]` (the caller sized `buffer` and zeroed
/// the flags), sums `buffer` over the ranks of `comm`, and returns the first failing rank (size
/// when none).
template <class Comm>
int sum_with_failure_flags(Comm& comm, std::vector<double>& buffer, std::size_t offset, bool failed) {
  buffer[offset + static_cast<std::size_t>(comm.rank())] = failed ? 1.0 : 0.0;
  comm.all_reduce_sum(std::span<double>(buffer));
  const int ranks = comm.size();
  for (int r = 0; r < ranks; ++r)
    if (buffer[offset + static_cast<std::size_t>(r)] != 0) return r;
  return ranks;
}

/// Sums over the ranks of `comm` a step's counts `delta` and each rank's failure flag;
/// returns the rank of the first failing rank (size when none).
template <class Comm>
int exchange_tally(Comm& comm, train_state& delta, bool failed, std::vector<double>& buffer) {
  buffer.assign(tally_size + static_cast<std::size_t>(comm.size()), 0.0);
  tally_to(delta, buffer.data());
  const int first = sum_with_failure_flags(comm, buffer, tally_size, failed);
  tally_from(buffer.data(), delta);
  return first;
}

/// Tells every rank of `comm` which ranks failed; returns the first (size when none).
template <class Comm>
int first_failed_rank(Comm& comm, bool failed, std::vector<double>& buffer) {
  buffer.assign(static_cast<std::size_t>(comm.size()), 0.0);
  return sum_with_failure_flags(comm, buffer, 0, failed);
}

/// Broadcasts from rank 0 a value of trivially copyable type.
template <class Comm, class T>
void broadcast_value(Comm& comm, T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  comm.broadcast(std::as_writable_bytes(std::span<T>(&value, 1)), 0);
}

/// Every rank takes rank 0's `stop` and `stop_reason`.
template <class Comm>
void agree_on_stop(Comm& comm, train_state& state) {
  std::uint64_t length = state.stop ? state.stop_reason.size() + 1 : 0;
  broadcast_value(comm, length);
  state.stop = length > 0;
  if (length == 0) return;
  state.stop_reason.resize(length - 1);
  comm.broadcast(std::as_writable_bytes(std::span<char>(state.stop_reason.data(), length - 1)), 0);
}

/// Checks, on every rank together, that the ranks share rank 0's options, and makes their
/// learners and sampler rank 0's.
template <class Comm, class M, class V, class S>
void start_ranks(Comm& comm, M& ml, V& adv, S& rng, const train_options& options) {
  const std::uint64_t mine = shared_options_fingerprint(options);
  std::uint64_t root = mine;
  broadcast_value(comm, root);
  double differ[1] = {root == mine ? 0.0 : 1.0};
  comm.all_reduce_sum(std::span<double>(differ));
  if (differ[0] > 0)
    throw invalid_options("aida::train: the train_options of " + std::to_string(static_cast<int>(differ[0])) +
                          " rank(s) differ from rank 0's in steps, episodes, evaluation, the adversarial source, "
                          "H′'s noise or the replay memory: every rank must pass the same options");
  gradient_exchange ex(comm);
  ml.synchronize(ex, 0);
  adv.synchronize(ex, 0);
  static_assert(std::is_trivially_copyable_v<S>,
                "aida::train with a Communicator: the sampler must be trivially copyable, so that rank 0's can be "
                "broadcast");
  broadcast_value(comm, rng);
}

/// The loop of `train`, once its arguments are known to model their concepts. With a
/// communicator of one rank it is the loop of one process, bit for bit.
template <class Comm, class Src, class H, class M, class V, class C, class P, class E, class S, class... Callbacks>
train_state train_loop(Comm& comm, Src& questions, H& h, M& ml, V& adv, const C& codec, P policy, E& evaluator,
                       S& rng, const train_options& options, Callbacks&&... callbacks) {
  using Q = codec_question_t<C>;
  using A = codec_answer_t<C>;
  using O = model_output_t<M, Q>;
  options.validate();
  const int ranks = comm.size(), rank = comm.rank();
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw invalid_options("aida::train: the communicator gives rank " + std::to_string(rank) + " of " +
                          std::to_string(ranks) + " (a rank must be in [0, size), size at least 1)");
  const bool distributed = ranks > 1;
  constexpr bool one_process = std::is_same_v<Comm, single_process>;
  if constexpr (!one_process)
    if (distributed) start_ranks(comm, ml, adv, rng, options);

  const auto start = std::chrono::steady_clock::now();
  train_state state;
  state.steps = options.steps;
  state.threshold = options.threshold(0);
  state.rank = static_cast<std::size_t>(rank);
  state.ranks = static_cast<std::size_t>(ranks);
  // The episodes see H, ML and Adv through wrappers that take a mutex around each call of
  // one that has not declared it may be called concurrently (no mutex with one thread).
  const bool parallel = options.threads > 1;
  std::mutex overseer_mutex, learner_mutex;
  guarded_overseer<H> h_shared(h, parallel && !concurrent_calls<H> ? &overseer_mutex : nullptr);
  guarded_model<M> ml_shared(ml, parallel && !concurrent_inference<M> ? &learner_mutex : nullptr);
  guarded_adversary<V> adv_shared(adv, parallel && !concurrent_inference<V> ? &learner_mutex : nullptr);
  auto primed = prime<S>(h_shared, ml_shared, adv_shared, codec, state.threshold, options.prime_noise, rng.split());
  primed.deferrable = options.prime_deferrable;
  adversarial_source<Src, M, V> adversarial(questions, ml, adv, options.adversarial_candidates,
                                            options.adversarial_temperature);
  worker_pool pool(options.threads);
  std::vector<episode_for<C, M>> episodes(options.episodes_per_step + options.distill_episodes_per_step);
  std::vector<S> streams;
  std::vector<Q> step_questions;
  std::vector<std::exception_ptr> failures;
  streams.reserve(episodes.size());
  step_questions.reserve(episodes.size());
  std::vector<model_target<Q, A>> model_batch;
  std::vector<adversary_target<Q, O>> adversary_batch;
  // With several ranks, each keeps its own targets: its share of the memory.
  replay_memory<model_target<Q, A>> memory(distributed ? (options.replay_capacity + static_cast<std::size_t>(ranks) - 1) /
                                                             static_cast<std::size_t>(ranks)
                                                       : options.replay_capacity);
  std::vector<model_target<Q, A>> replay;
  std::vector<double> tally_buffer;
  train_state delta;

  // With several ranks, an exception from a callback or the evaluator on one rank must not
  // leave the others waiting in a collective: each rank keeps its own (and calls none of its
  // callbacks after it) while every rank makes the same collectives, and at the next
  // `agree_on_callbacks` every rank throws, the failing one its own exception.
  std::exception_ptr callback_failure;
  const auto guarded = [&](auto&& call) {
    if (!distributed) {
      call();
    } else if (!callback_failure) {
      try {
        call();
      } catch (...) {
        callback_failure = std::current_exception();
      }
    }
  };
  [[maybe_unused]] const auto agree_on_callbacks = [&](const std::string& when) {
    if constexpr (!one_process) {
      if (!distributed) return;
      const int failed = first_failed_rank(comm, callback_failure != nullptr, tally_buffer);
      if (callback_failure) std::rethrow_exception(callback_failure);
      if (failed < ranks)
        throw error("aida::train: a callback or the evaluator threw on rank " + std::to_string(failed) + " " + when +
                    " (see its error); this rank's learners and sampler are as that step left them");
    }
  };
  auto evaluate = [&] {
    // Rank 0 evaluates and tells the others the accuracy, or that its evaluator threw.
    // Two doubles: no padding bytes, so that every byte broadcast is initialised.
    struct shared_accuracy {
      double accuracy;
      double failed;  // 1 when rank 0's evaluator threw
    } shared{state.accuracy, 0.0};
    if (rank == 0)
      guarded([&] {
        shared.accuracy = static_cast<double>(evaluator.accuracy(std::function<A(const Q&)>(
            [&](const Q& q) { return A(ml.greedy(ml.predict(q))); })));
      });
    if constexpr (!one_process)
      if (distributed) {
        shared.failed = callback_failure != nullptr ? 1.0 : 0.0;
        broadcast_value(comm, shared);
      }
    state.accuracy = shared.accuracy;
    ++state.evaluations;
    state.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (shared.failed != 0) return;  // the other ranks' callbacks are not told of an evaluation that failed
    guarded([&] { (detail::notify_evaluate(callbacks, state), ...); });
  };
  // Episode i of a step is this rank's when i % ranks == rank (every episode, alone).
  const auto mine = [&](std::size_t i) { return static_cast<int>(i % static_cast<std::size_t>(ranks)) == rank; };

  // The episodes of a step (spec §2, §3, §4): their targets go to the two batches, in
  // episode order. Episode i draws from streams[i], the i-th split of `rng` (amplification
  // episodes first, then distillation episodes): its question on this thread, in order, then
  // its tree on whichever thread of the pool takes it, while ML and Adv only answer. So the
  // episodes, and everything after them, are the same for any number of threads. With
  // several ranks each rank draws every question (so that a question source with a state
  // stays the same on every rank) and builds the trees of its own episodes.
  const std::size_t amplified = options.episodes_per_step;
  auto run_episodes = [&] {
    const std::size_t n = state.step < options.distill_from_step ? amplified : episodes.size();
    streams.clear();
    step_questions.clear();
    for (std::size_t i = 0; i < n; ++i) streams.push_back(rng.split());
    for (std::size_t i = 0; i < amplified; ++i) step_questions.push_back(Q(adversarial.next(streams[i])));
    for (std::size_t i = amplified; i < n; ++i) step_questions.push_back(Q(questions.next(streams[i])));
    failures.assign(n, nullptr);
    // The first episode (in episode order) that failed; an episode after it is skipped, one
    // before it still runs, so that the exception rethrown is always the same one.
    std::atomic<std::size_t> first_failure{n};
    auto episode = [&](std::size_t i) noexcept {
      if (i > first_failure.load() || !mine(i)) return;
      try {
        if (i >= amplified)
          distill_into(episodes[i], step_questions[i], ml_shared, adv_shared, codec, streams[i], options.distill);
        else if (options.iterate)
          amplify_into(episodes[i], step_questions[i], primed, ml_shared, adv_shared, codec, policy, streams[i],
                       options.amplify);
        else
          amplify_into(episodes[i], step_questions[i], h_shared, ml_shared, adv_shared, codec, policy, streams[i],
                       options.amplify);
      } catch (...) {
        failures[i] = std::current_exception();
        for (std::size_t f = first_failure.load(); i < f && !first_failure.compare_exchange_weak(f, i);) {
        }
      }
    };
    pool.run(n, episode);
    if (const std::size_t f = first_failure.load(); f < n) std::rethrow_exception(failures[f]);
    model_batch.clear();
    adversary_batch.clear();
    for (std::size_t i = 0; i < n; ++i) {
      if (!mine(i)) continue;
      const auto& ep = episodes[i];
      ++(i < amplified ? delta.episodes : delta.distill_episodes);
      detail::accumulate(delta, ep.counts);
      model_batch.insert(model_batch.end(), ep.model_targets.begin(), ep.model_targets.end());
      if (i < amplified || options.distill_adversary_targets)
        adversary_batch.insert(adversary_batch.end(), ep.adversary_targets.begin(), ep.adversary_targets.end());
    }
    delta.targets += model_batch.size();
  };
  // With several ranks: the step's counts summed over them, and if a rank failed, every
  // rank throws (the failing one its own exception).
  auto run_distributed_episodes = [&] {
    std::exception_ptr failure;
    try {
      run_episodes();
    } catch (...) {
      failure = std::current_exception();
    }
    const int failed = exchange_tally(comm, delta, failure != nullptr, tally_buffer);
    if (failure) std::rethrow_exception(failure);
    if (failed < ranks)
      throw error("aida::train: step " + std::to_string(state.step + 1) + " of " + std::to_string(options.steps) +
                  " failed on rank " + std::to_string(failed) + " (see its error); this rank's learners and sampler are "
                  "as they were before the step");
  };
  kept_snapshot<M> ml_before;
  kept_snapshot<V> adv_before;
  // The updates of a step; returns ML's mean loss and the adversary's. The episodes do not
  // change the learners, so their state on entry is their state before the step: a learner
  // that is Restorable is put back to it if an update throws or returns a non-finite loss.
  // With several ranks every update is data-parallel: each rank trains on its own targets
  // and the gradients are averaged over the ranks' targets.
  auto update = [&]() -> std::pair<double, double> {
    ml_before.take(ml);
    adv_before.take(adv);
    constexpr const char* note = detail::rollback_note<M, V>();
    const auto checked = [&](auto loss, const char* who) {
      return detail::finite_loss(static_cast<double>(loss), who, state.step, options.steps, note);
    };
    [[maybe_unused]] gradient_exchange ex(comm);
    const auto ml_step = [&](const std::vector<model_target<Q, A>>& batch) {
      const std::span<const model_target<Q, A>> b(batch);
      if constexpr (!one_process)
        if (distributed) return checked(ml.train_step(b, ex), "ML's train_step");
      return checked(ml.train_step(b), "ML's train_step");
    };
    try {
      double model_loss = 0;
      if (options.replay_capacity == 0) {
        model_loss = ml_step(model_batch);
      } else {
        for (auto& t : model_batch) memory.add(std::move(t));
        for (std::size_t u = 0; u < options.updates_per_step; ++u) {
          if (!distributed) {
            memory.draw(replay, options.replay_batch, rng);
          } else {
            // Each rank draws its share of the batch from its own memory, on its own stream.
            S draws = rng.split();
            for (int r = 0; r < rank; ++r) (void)draws.split();
            S own = draws.split();
            const std::size_t n = static_cast<std::size_t>(ranks);
            memory.draw(replay, options.replay_batch / n + (static_cast<std::size_t>(rank) < options.replay_batch % n),
                        own);
          }
          model_loss += ml_step(replay);
        }
        model_loss /= static_cast<double>(options.updates_per_step);
      }
      const std::span<const adversary_target<Q, O>> ab(adversary_batch);
      double adversary_loss = 0;
      if constexpr (!one_process)
        if (distributed) adversary_loss = checked(adv.train_step(ab, ex), "the adversary's train_step");
      if (!distributed) adversary_loss = checked(adv.train_step(ab), "the adversary's train_step");
      return {model_loss, adversary_loss};
    } catch (...) {
      ml_before.restore(ml);
      adv_before.restore(adv);
      throw;
    }
  };

  guarded([&] { (detail::notify_begin(callbacks, state), ...); });
  agree_on_callbacks("before the first step");
  bool evaluated_last = false;
  while (state.step < options.steps && !state.stop) {
    state.threshold = options.threshold(state.step);
    // H′ compares with c: a NaN would make it defer every decision to ML, silently.
    if (std::isnan(state.threshold))
      throw invalid_options("aida::train_options::threshold(" + std::to_string(state.step) + ") returned NaN");
    primed.threshold = state.threshold;
    if constexpr (requires { policy.step = state.step; }) policy.step = state.step;
    // A step is all or nothing (see `train`): on any exception in its episodes or updates the
    // sampler is put back to here, and the learners by `update`.
    const S rng_at_step = rng;
    std::pair<double, double> losses;
    delta = train_state{};
    try {
      if constexpr (!one_process) {
        if (distributed) run_distributed_episodes();
        else run_episodes();
      } else {
        run_episodes();
      }
      losses = update();
    } catch (...) {
      rng = rng_at_step;
      throw;
    }
    detail::add_counts(state, delta);
    state.model_loss = losses.first;
    state.adversary_loss = losses.second;
    ++state.step;
    state.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    guarded([&] { (detail::notify_step(callbacks, state), ...); });
    evaluated_last = state.step % options.eval_every == 0;
    if (evaluated_last) evaluate();
    if constexpr (!one_process)
      if (distributed) {
        agree_on_callbacks("after step " + std::to_string(state.step) + " of " + std::to_string(options.steps));
        agree_on_stop(comm, state);
      }
  }
  if (!evaluated_last) evaluate();
  agree_on_callbacks("at the final evaluation, after step " + std::to_string(state.step));
  // After the last collective: an exception here is this rank's alone.
  (detail::notify_end(callbacks, state), ...);
  return state;
}

}  // namespace detail

/// Trains `ml` and `adv` by adversarial IDA on questions from `questions`, with overseer
/// `h`, recursion `policy` and the `codec`; evaluates greedy answers with `evaluator`.
///
/// A step: `episodes_per_step` questions (through spec §6's adversarial source when
/// `adversarial_candidates > 1`) are amplified with H′ (or H when `iterate` is false), plus
/// `distill_episodes_per_step` distillation episodes; then ML trains on the step's model
/// targets (one `train_step` on all of them, or, with a replay memory, `updates_per_step`
/// steps on batches drawn from it) and Adv on the step's adversary targets (one
/// `train_step`). The policy's `step` member, if it has one, and H′'s threshold follow the
/// step. Returns the final state. docs/training.md describes the options and what worked.
///
/// **Threads.** With `options.threads` = N > 1 a step's episodes run on N threads (the
/// calling one and N − 1 workers started once per call) while ML and Adv only answer; their
/// targets are merged in episode order and the updates are made once, on the calling thread,
/// as with one thread. Episode i of a step draws from the i-th `split()` of `rng` made at the
/// start of the step, so the run is bit for bit the same for every N. The question source
/// (and the adversarial source's scoring), the evaluator and the callbacks are called on the
/// calling thread only; the overseer, ML and Adv from any of the N, concurrently only when
/// they declare it (`aida::concurrent_calls`, `aida::concurrent_inference`), else under a
/// mutex. When episodes throw, every worker finishes its episode and the exception of the
/// first failing episode, in episode order, is rethrown (as below).
///
/// **A step is all or nothing.** If anything in a step throws (the overseer, the question
/// source, a model, the adversary, a codec check) or a `train_step` returns a non-finite loss
/// (then `aida::non_finite_error`, naming the learner and the step), `train` rethrows with
/// the sampler `rng` as it was at the start of the step, and ML and the adversary as they
/// were at the end of the previous step, provided they are `aida::Restorable`: `train` takes
/// a snapshot of each Restorable learner before the step's updates and restores it on failure.
/// The reference models are Restorable. For a learner of your own without `snapshot()` and
/// `restore()`, `train` relies on `train_step`'s own law (a step that throws changes
/// nothing), which covers only its own call: ML trains first (`updates_per_step` calls with a
/// replay memory, else one), then the adversary, so an ML that is not Restorable keeps the
/// updates it made when a later call fails. What is never undone: calls made to the overseer
/// and the question source, and what callbacks saw of earlier steps. The callbacks' own
/// exceptions, and the evaluator's, come after the step they follow, which is then complete.
///
/// The parameters are unconstrained so that a misplaced argument is named by the first error
/// the compiler prints (see `aida/core/static_checks.hpp`).
template <class Src, class H, class M, class V, class C, class P, class E, class S, class... Callbacks>
train_state train(Src& questions, H& h, M& ml, V& adv, const C& codec, P policy, E& evaluator, S& rng,
                  const train_options& options, Callbacks&&... callbacks) {
  if constexpr (detail::train_arguments<Src, H, M, V, C, P, E, S>()) {
    single_process alone;
    return detail::train_loop(alone, questions, h, ml, adv, codec, std::move(policy), evaluator, rng, options,
                              std::forward<Callbacks>(callbacks)...);
  } else {
    return {};
  }
}

/// Data-parallel `train` (docs/scaling.md): every rank of `comm` calls it with the same
/// options and with learners of the same configuration, and together they train as one
/// process would with the same `episodes_per_step` and `distill_episodes_per_step`.
///
/// At the start, the options are checked to agree (else `aida::invalid_options` on every
/// rank) and ML, Adv and the sampler are made rank 0's. In each step every rank draws every
/// question, as one process would, and builds the trees of the episodes i with
/// i mod size = rank; the counts are summed over the ranks (so `train_state` holds the
/// totals on every rank); then ML and Adv each make their steps with the gradient averaged
/// over the targets of all ranks (`DataParallelModel`, `DataParallelAdversary`), so their
/// parameters stay the same bits on every rank. With a replay memory each rank keeps its
/// own targets (capacity / size of them) and draws its share of each batch. Rank 0
/// evaluates and tells the others the accuracy; the callbacks run on every rank (the
/// library's logging and checkpoint callbacks act on rank 0 only, by `train_state::rank`),
/// and rank 0's `stop` is every rank's.
///
/// What is exact: the episodes of the first step, and every count, are those of one process
/// with the same seed. What is not: the gradient is summed in another order (per rank, then
/// over ranks), so the parameters differ from one process's in the last bits after the first
/// update, and the runs drift apart as a chaotic system does (tests/test_train_ranks.cpp).
/// With one rank it is `train` of one process, bit for bit.
///
/// Failures: an exception in a rank's episodes or updates is rethrown on that rank, and
/// every other rank throws `aida::error` naming it, each with its state as `train`'s
/// all-or-nothing step leaves it. An exception from a callback or the evaluator (rank 0's)
/// ends the run on every rank at the end of the step it follows, which is then complete: the
/// failing rank rethrows it, having called none of its callbacks after it, and every other
/// rank throws `aida::error` naming that rank (their callbacks of that step have run; an
/// evaluation that failed is told to none). An exception from `on_end`, which follows the
/// last collective, ends that rank's call alone.
template <class Comm, class Src, class H, class M, class V, class C, class P, class E, class S, class... Callbacks>
  requires Communicator<Comm>
train_state train(Comm& comm, Src& questions, H& h, M& ml, V& adv, const C& codec, P policy, E& evaluator, S& rng,
                  const train_options& options, Callbacks&&... callbacks) {
  if constexpr (detail::train_arguments<Src, H, M, V, C, P, E, S>()) {
    using Q = codec_question_t<C>;
    using A = codec_answer_t<C>;
    constexpr bool ml_ok = DataParallelModel<M, Q, A, S>;
    constexpr bool adv_ok = DataParallelAdversary<V, Q, model_output_t<M, Q>>;
    static_assert(ml_ok,
                  "aida::train with a Communicator: ML has no data-parallel `train_step(batch, aida::gradient_exchange&)` "
                  "and `synchronize(aida::gradient_exchange&, int)` (aida::DataParallelModel)");
    static_assert(adv_ok,
                  "aida::train with a Communicator: the adversary has no data-parallel `train_step(batch, "
                  "aida::gradient_exchange&)` and `synchronize(aida::gradient_exchange&, int)` (aida::DataParallelAdversary)");
    if constexpr (ml_ok && adv_ok)
      return detail::train_loop(comm, questions, h, ml, adv, codec, std::move(policy), evaluator, rng, options,
                                std::forward<Callbacks>(callbacks)...);
    else
      return {};
  } else {
    return {};
  }
}

}  // namespace aida
