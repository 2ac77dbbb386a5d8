#pragma once
/// \file
/// Recursion policies (spec §2 step 4 and §5) and the annealing schedules they use.
/// Policies are small value types: `aida::gumbel_argmin{.temperature = 0.5}`.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <utility>

#include "aida/core/bounded_vector.hpp"
#include "aida/core/concepts.hpp"

namespace aida {

// ---------------------------------------------------------------------------------------
// Schedules: a value as a function of the training step.

/// The same value at every step.
struct constant_schedule {
  double value = 0;  ///< the value
  /// `value`, whatever the step.
  [[nodiscard]] constexpr double operator()(std::size_t) const noexcept { return value; }
};

/// `during` for the first `warmup` steps, then `after`: H′'s threshold with a warm-up in
/// which H is consulted everywhere (`during` = +∞) while the adversary learns.
struct warmup_schedule {
  std::size_t warmup = 0;  ///< number of warm-up steps
  double during = 0;       ///< the value during the warm-up
  double after = 0;        ///< the value after it
  /// The value at training step `step`.
  [[nodiscard]] constexpr double operator()(std::size_t step) const noexcept { return step < warmup ? during : after; }
};

/// From `from` to `to` linearly over `steps` steps, then `to`.
struct linear_schedule {
  double from = 0;        ///< the value at step 0
  double to = 0;          ///< the value from step `steps` on
  std::size_t steps = 1;  ///< length of the ramp (0: `to` from the start)
  /// The value at training step `step`.
  [[nodiscard]] constexpr double operator()(std::size_t step) const noexcept {
    if (steps == 0 || step >= steps) return to;
    return from + (to - from) * (static_cast<double>(step) / static_cast<double>(steps));
  }
};

/// `to + (from - to) · decay^step`: geometric approach from `from` to `to`.
struct exponential_schedule {
  double from = 0;      ///< the value at step 0
  double to = 0;        ///< the limit
  double decay = 0.99;  ///< the factor by which the distance to `to` shrinks per step
  /// The value at training step `step`.
  [[nodiscard]] double operator()(std::size_t step) const noexcept {
    return to + (from - to) * std::pow(decay, static_cast<double>(step));
  }
};

/// A schedule is anything callable with the step that returns a double.
template <class F>
concept Schedule = std::copy_constructible<F> && requires(const F& f, std::size_t n) {
  { f(n) } -> std::convertible_to<double>;
};

// ---------------------------------------------------------------------------------------
// Policies.

namespace detail {

/// The selection of the `m` entries of `keys` with the lowest values (ties: the earlier
/// entry), all of them when m ≥ keys.size().
inline selection lowest_m(std::span<const double> keys, std::size_t m) {
  selection_words<> r;
  const std::size_t k = std::min(keys.size(), max_subquestions);
  for (std::size_t j = 0; j < m && j < k; ++j) {
    std::size_t best = k;
    for (std::size_t i = 0; i < k; ++i)
      if (!r.test(i) && (best == k || keys[i] < keys[best])) best = i;
    r.set(best);
  }
  return r.get();
}

/// The keys of a Gumbel arg-min: `S_i − τ·ε_i`, k standard Gumbel draws (none at τ = 0). With
/// the noise subtracted, the arg-min is a draw from softmax(−S/τ) and the m lowest keys a draw
/// of m without replacement (the Gumbel-max trick on −S/τ); the post's `S_i + τ·ε_i` has that
/// law only for k = 2, where the difference of two Gumbels is symmetric. The draws are given to
/// the subquestions in reverse order (subquestion i gets the (k−i)-th draw), which for k = 2
/// makes the same choice as the post's form on the same draws: `S_2 − τ·ε_1 < S_1 − τ·ε_2` iff
/// `S_2 + τ·ε_2 < S_1 + τ·ε_1`, so splits of two keep their episodes.
template <Sampler S>
bounded_vector<double, max_subquestions> gumbel_keys(std::span<const double> scores, double temperature, S& rng) {
  bounded_vector<double, max_subquestions> keys;
  for (double s : scores) keys.push_back(s);
  if (temperature > 0) {
    const std::size_t k = keys.size();
    double noise[max_subquestions];
    for (std::size_t i = 0; i < k; ++i) noise[i] = rng.gumbel();
    for (std::size_t i = 0; i < k; ++i) keys[i] -= temperature * noise[k - 1 - i];
  }
  return keys;
}

/// The selection of every one of the first k subquestions.
inline selection first_k(std::size_t k) noexcept {
  selection_words<> r;
  for (std::size_t i = 0; i < k && i < max_subquestions; ++i) r.set(i);
  return r.get();
}

}  // namespace detail

/// The post's policy (spec §2 step 4): recurse on exactly one subquestion,
/// `argmin_i (S_i − τ·ε_i)`, the one the adversary thinks ML answers worst, with Boltzmann
/// exploration (the choice frequencies are softmax(−S/τ); for two subquestions this is the
/// post's `argmin_i (S_i + τ·ε_i)`, on the same draws, see `detail::gumbel_keys`). τ = 0 is
/// the deterministic arg-min (ties go to the first). `gumbel_top_m` with m = 1, named for the post.
struct gumbel_argmin {
  /// τ; 0.3 by default, the experiment's (examples/experiment.cpp, docs/results/archive/), which
  /// explores less than the τ = 1 of the post's softmax.
  double temperature = 0.3;

  /// Which subquestions to recurse on, given the adversary's scores of the k subquestions
  /// (the `RecursionPolicy` concept).
  template <Sampler S>
  selection select(std::span<const double> scores, S& rng) const {
    // detail::gumbel_keys and lowest_m with m = 1, without their copies: the post's policy runs
    // at every round.
    const std::size_t k = std::min(scores.size(), max_subquestions);
    if (k == 0) return selection{};
    double noise[max_subquestions] = {};
    if (temperature > 0)
      for (std::size_t i = 0; i < k; ++i) noise[i] = temperature * rng.gumbel();
    std::size_t best = 0;
    double best_key = scores[0] - noise[k - 1];
    for (std::size_t i = 1; i < k; ++i)
      if (const double key = scores[i] - noise[k - 1 - i]; key < best_key) best = i, best_key = key;
    detail::selection_words<> r;
    r.set(best);
    return r.get();
  }
};

/// Gumbel-top-m: recurse on the m subquestions with the lowest `S_i − τ·ε_i`, which draws m of
/// the k without replacement from softmax(−S/τ) (the first from softmax over all k, the next
/// from softmax over the rest, ...). m = 1 is `gumbel_argmin`; m ≥ k recurses on all.
struct gumbel_top_m {
  std::size_t m = 1;        ///< how many subquestions to recurse on (at least 1)
  double temperature = 0.3; ///< τ; 0: the m lowest scores (ties to the earlier)

  /// Which subquestions to recurse on (the `RecursionPolicy` concept).
  template <Sampler S>
  selection select(std::span<const double> scores, S& rng) const {
    const auto keys = detail::gumbel_keys(scores, temperature, rng);
    return detail::lowest_m({keys.data(), keys.size()}, m);
  }
};

/// The default coin function of `bernoulli_coins`: recursion probability
/// `1 / (1 + exp((S − centre) / scale))`, high when the predicted loss is high.
struct logistic_coin {
  double centre = -1.0;  ///< the score at which the probability is ½
  double scale = 0.5;    ///< how gradually the probability falls as the score rises
  /// The recursion probability for the adversary's score `score`.
  [[nodiscard]] double operator()(double score) const noexcept {
    return 1.0 / (1.0 + std::exp((score - centre) / scale));
  }
};

/// Spec §5 (Rohin Shah's variant), first form: recurse on each subquestion independently
/// with probability `f(S_i)`. Zero to k recursions per round.
template <class F = logistic_coin>
struct bernoulli_coins {
  F f{};  ///< the coin function: a score's recursion probability (clamped to [0, 1])

  /// Which subquestions to recurse on, given the adversary's scores of the k subquestions
  /// (the `RecursionPolicy` concept): one uniform draw per subquestion, in order.
  template <Sampler S>
  selection select(std::span<const double> scores, S& rng) const {
    detail::selection_words<> r;
    for (std::size_t i = 0; i < scores.size() && i < max_subquestions; ++i)
      r.set(i, rng.uniform() < std::clamp(static_cast<double>(f(scores[i])), 0.0, 1.0));
    return r.get();
  }
};
/// \cond
bernoulli_coins() -> bernoulli_coins<logistic_coin>;
template <class F> bernoulli_coins(F) -> bernoulli_coins<F>;
/// \endcond

/// Spec §5, second form: recurse on subquestion i iff `S_i + τ·ε < α + τ·ε′`, a confidence
/// threshold α with Boltzmann exploration. α follows a schedule of the training step, since
/// the adversary starts out poor; the trainer advances `step`.
template <Schedule Sched = constant_schedule>
struct gumbel_threshold {
  Sched alpha{};              ///< the threshold α, as a schedule of `step`
  double temperature = 1.0;   ///< τ; 0: no exploration
  std::size_t step = 0;       ///< the training step, advanced by the trainer

  /// The threshold in force at the current step.
  [[nodiscard]] double threshold() const { return static_cast<double>(alpha(step)); }

  /// Which subquestions to recurse on, given the adversary's scores of the k subquestions
  /// (the `RecursionPolicy` concept): two Gumbel draws per subquestion, in order.
  template <Sampler S>
  selection select(std::span<const double> scores, S& rng) const {
    const double a = threshold();
    detail::selection_words<> r;
    for (std::size_t i = 0; i < scores.size() && i < max_subquestions; ++i) {
      double lhs = scores[i], rhs = a;
      if (temperature > 0) {
        lhs += temperature * rng.gumbel();
        rhs += temperature * rng.gumbel();
      }
      r.set(i, lhs < rhs);
    }
    return r.get();
  }
};
/// \cond
gumbel_threshold() -> gumbel_threshold<constant_schedule>;
template <class F> gumbel_threshold(F) -> gumbel_threshold<F>;
template <class F> gumbel_threshold(F, double) -> gumbel_threshold<F>;
template <class F> gumbel_threshold(F, double, std::size_t) -> gumbel_threshold<F>;
/// \endcond

/// Plain IDA's baseline: recurse on one subquestion chosen uniformly, ignoring the scores.
struct uniform_one {
  static constexpr bool uses_scores = false;  ///< the procedures need not ask the adversary
  /// Which subquestions to recurse on (the `RecursionPolicy` concept); the scores are unused
  /// but for their number k.
  template <Sampler S>
  selection select(std::span<const double> scores, S& rng) const {
    detail::selection_words<> r;
    r.set(static_cast<std::size_t>(draw_below(rng, scores.size())));  // k = 2: the top bit of one next(), as it always was
    return r.get();
  }
};

/// Uniform choice of m of the k subquestions (without replacement), ignoring the scores: the
/// baseline of `gumbel_top_m`. m = 1 draws as `uniform_one` does; m ≥ k recurses on all.
struct uniform_m {
  static constexpr bool uses_scores = false;  ///< the procedures need not ask the adversary
  std::size_t m = 1;                          ///< how many subquestions to recurse on
  /// Which subquestions to recurse on (the `RecursionPolicy` concept): the first m of a
  /// partial Fisher–Yates shuffle, one `draw_below` per pick.
  template <Sampler S>
  selection select(std::span<const double> scores, S& rng) const {
    const std::size_t k = std::min(scores.size(), max_subquestions);
    if (m >= k) return detail::first_k(k);
    std::size_t order[max_subquestions];
    for (std::size_t i = 0; i < k; ++i) order[i] = i;
    detail::selection_words<> r;
    for (std::size_t j = 0; j < m; ++j) {
      const std::size_t pick = j + static_cast<std::size_t>(draw_below(rng, k - j));
      std::swap(order[j], order[pick]);
      r.set(order[j]);
    }
    return r.get();
  }
};

/// The full HCH tree: recurse on every subquestion.
struct recurse_all {
  static constexpr bool uses_scores = false;  ///< the procedures need not ask the adversary
  /// Which subquestions to recurse on (the `RecursionPolicy` concept): all k.
  template <Sampler S>
  selection select(std::span<const double> scores, S&) const {
    return detail::first_k(scores.size());
  }
};

/// Recurse on none: ML answers every subquestion (distillation at this node).
struct recurse_none {
  static constexpr bool uses_scores = false;  ///< the procedures need not ask the adversary
  /// Which subquestions to recurse on (the `RecursionPolicy` concept): none.
  template <Sampler S>
  selection select(std::span<const double>, S&) const {
    return selection{};
  }
};

static_assert(RecursionPolicy<gumbel_argmin>);
static_assert(RecursionPolicy<gumbel_top_m>);
static_assert(RecursionPolicy<uniform_m>);
static_assert(RecursionPolicy<bernoulli_coins<>>);
static_assert(RecursionPolicy<gumbel_threshold<>>);
static_assert(RecursionPolicy<uniform_one>);
static_assert(RecursionPolicy<recurse_all>);
static_assert(RecursionPolicy<recurse_none>);

}  // namespace aida
