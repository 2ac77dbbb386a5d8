#pragma once
/// \file
/// Question sources (spec §6): the training distribution, and the adversarial source that
/// asks about what ML is predicted to get wrong.

#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"

namespace aida {

/// Spec §6's adversarial source: draws `k` candidates from `source` and returns the one with
/// the lowest noisy score `Adv(Q, ML(Q)) − τ·ε`, ε ~ Gumbel(0, 1) (active learning: ask about
/// what ML is predicted to get wrong). With k = 1 it is `source` itself.
///
/// The noise is subtracted: the arg-min of `S − τε` is the Gumbel-max trick applied to −S,
/// so candidate i is chosen with probability softmax(−S/τ)_i for every k — the Boltzmann
/// exploration of spec §1. (Adding the noise gives the same law for k = 2, since the
/// difference of two Gumbels is symmetric, but not for k > 2.)
///
/// Holds references; counts the model and adversary calls it makes.
template <class Src, class M, class V>
class adversarial_source {
 public:
  /// Draws from `source`, scored by `ml` and `adv` (all three held by reference), `k`
  /// candidates per question, noise scale τ = `temperature` (0: the plain arg-min).
  /// Throws `invalid_options` when `k` is 0.
  adversarial_source(Src& source, M& ml, V& adv, std::size_t k = 4, double temperature = 1.0)
      : source_(source), ml_(ml), adv_(adv), k_(k), temperature_(temperature) {
    if (k == 0) throw invalid_options("aida::adversarial_source: k (candidates per question) must be at least 1");
  }

  /// The next question. If the source, the model or the adversary throws, the exception
  /// propagates and `rng` and the call counts are as they were at entry.
  template <Sampler S>
  auto next(S& rng) {
    using Q = std::remove_cvref_t<decltype(source_.next(rng))>;
    if (k_ == 1) return Q(source_.next(rng));
    const S saved = rng;
    try {
      std::optional<Q> best;
      double best_key = 0;
      for (std::size_t i = 0; i < k_; ++i) {
        Q q = source_.next(rng);
        const auto o = ml_.predict(q);
        double key = static_cast<double>(adv_.score(q, o));
        if (temperature_ > 0) key -= temperature_ * rng.gumbel();
        if (!best || key < best_key) best.emplace(std::move(q)), best_key = key;
      }
      model_calls_ += k_;  // counted on success only, so a throw leaves the counts unchanged
      adversary_calls_ += k_;
      return std::move(*best);
    } catch (...) {
      rng = saved;
      throw;
    }
  }

  /// `predict` calls made so far (`k` per question when `k` > 1, none when `k` = 1).
  [[nodiscard]] std::size_t model_calls() const noexcept { return model_calls_; }
  /// `score` calls made so far (`k` per question when `k` > 1, none when `k` = 1).
  [[nodiscard]] std::size_t adversary_calls() const noexcept { return adversary_calls_; }

 private:
  Src& source_;
  M& ml_;
  V& adv_;
  std::size_t k_;
  double temperature_;
  std::size_t model_calls_ = 0;
  std::size_t adversary_calls_ = 0;
};

}  // namespace aida
