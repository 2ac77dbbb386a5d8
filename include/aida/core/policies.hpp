#pragma once
/// \file
/// Recursion policies (spec §2 step 4 and §5) and the annealing schedules they use.
/// Policies are small value types: `aida::gumbel_argmin{.temperature = 0.5}`.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>

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

/// The post's policy (spec §2 step 4): recurse on exactly one subquestion,
/// `argmin_i (S_i + τ·ε_i)`, the one the adversary thinks ML answers worst, with Boltzmann
/// exploration (for two subquestions the choice frequencies are softmax(−S/τ)).
/// τ = 0 is the deterministic arg-min (ties go to the first).
struct gumbel_argmin {
  /// τ; 0.3 by default, the experiment's (examples/experiment.cpp, docs/results/archive/), which
  /// explores less than the τ = 1 of the post's softmax.
  double temperature = 0.3;

  /// Which subquestions to recurse on, given the adversary's scores `s1`, `s2` of the two
  /// (the `RecursionPolicy` concept).
  template <Sampler S>
  selection select(double s1, double s2, S& rng) const {
    double a = s1, b = s2;
    if (temperature > 0) {
      a += temperature * rng.gumbel();
      b += temperature * rng.gumbel();
    }
    selection r;
    r.recurse[b < a ? 1 : 0] = true;
    return r;
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
/// with probability `f(S_i)`. Zero, one or two recursions per round.
template <class F = logistic_coin>
struct bernoulli_coins {
  F f{};  ///< the coin function: a score's recursion probability (clamped to [0, 1])

  /// Which subquestions to recurse on, given the adversary's scores `s1`, `s2` of the two
  /// (the `RecursionPolicy` concept).
  template <Sampler S>
  selection select(double s1, double s2, S& rng) const {
    selection r;
    const double p1 = std::clamp(static_cast<double>(f(s1)), 0.0, 1.0);
    const double p2 = std::clamp(static_cast<double>(f(s2)), 0.0, 1.0);
    r.recurse[0] = rng.uniform() < p1;
    r.recurse[1] = rng.uniform() < p2;
    return r;
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

  /// Which subquestions to recurse on, given the adversary's scores `s1`, `s2` of the two
  /// (the `RecursionPolicy` concept).
  template <Sampler S>
  selection select(double s1, double s2, S& rng) const {
    const double a = threshold();
    selection r;
    const double scores[2] = {s1, s2};
    for (int i = 0; i < 2; ++i) {
      double lhs = scores[i], rhs = a;
      if (temperature > 0) {
        lhs += temperature * rng.gumbel();
        rhs += temperature * rng.gumbel();
      }
      r.recurse[i] = lhs < rhs;
    }
    return r;
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
  /// Which subquestions to recurse on (the `RecursionPolicy` concept); the scores are unused.
  template <Sampler S>
  selection select(double, double, S& rng) const {
    selection r;
    r.recurse[draw_below(rng, 2)] = true;  // the top bit of one next(), as it always was
    return r;
  }
};

/// The full HCH tree: recurse on both subquestions.
struct recurse_all {
  static constexpr bool uses_scores = false;  ///< the procedures need not ask the adversary
  /// Which subquestions to recurse on (the `RecursionPolicy` concept); the scores are unused.
  template <Sampler S>
  selection select(double, double, S&) const {
    return selection{{true, true}};
  }
};

/// Recurse on neither: ML answers both subquestions (distillation at this node).
struct recurse_none {
  static constexpr bool uses_scores = false;  ///< the procedures need not ask the adversary
  /// Which subquestions to recurse on (the `RecursionPolicy` concept); the scores are unused.
  template <Sampler S>
  selection select(double, double, S&) const {
    return selection{};
  }
};

static_assert(RecursionPolicy<gumbel_argmin>);
static_assert(RecursionPolicy<bernoulli_coins<>>);
static_assert(RecursionPolicy<gumbel_threshold<>>);
static_assert(RecursionPolicy<uniform_one>);
static_assert(RecursionPolicy<recurse_all>);
static_assert(RecursionPolicy<recurse_none>);

}  // namespace aida
