#pragma once
/// \file
/// The one place where training targets and the loss values of spec §2 are recorded,
/// shared by amplify and distill.

#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"

namespace aida::detail {

/// −log-likelihood of `target` under `o`, checked to be a usable number.
template <class M, class O, class Q, class A>
double nll(M& ml, const O& o, const Q& query, const A& target) {
  const double lp = static_cast<double>(ml.log_prob(o, target));
  if (!std::isfinite(lp) || lp > 1e-9)
    throw error("aida: the model's log_prob returned " + std::to_string(lp) + " for question " +
                describe(query) + " and answer " + describe(target) +
                " (it must be a finite log-probability, <= 0)");
  return -lp;
}

/// The adversary loss of spec §2: Adv predicts −L, so its error is `Adv + L`.
inline double adversary_error(double score, double loss, adversary_loss form) noexcept {
  const double e = score + loss;
  return form == adversary_loss::squared ? e * e : std::abs(e);
}

/// Records one model target and its adversary target: `O ← ML(query)`,
/// `L = −log ML(target | query)`, `S = Adv(query, O)`, targets `(query, target)` and
/// `(query, O, −L)` (carrying the loss `form`), and the loss values `L` and `(S + L)²` (or
/// `|S + L|`). When the caller already has
/// `O` (and perhaps `S`) for this query, from spec §2 step 3 one level up, it passes them
/// in `known` / `known_score` (NaN: unknown) and they are not computed again.
template <class Ep, class M, class V, class Q, class A, class O = typename Ep::output_type>
void record_target(Ep& ep, M& ml, V& adv, const Q& query, const A& target, target_kind kind,
                   adversary_loss form, std::optional<O>&& known = std::nullopt,
                   double known_score = std::numeric_limits<double>::quiet_NaN()) {
  if (!known) {
    known.emplace(ml.predict(query));
    ++ep.counts.model_calls;
    known_score = std::numeric_limits<double>::quiet_NaN();
  }
  O& o = *known;
  const double loss = nll(ml, o, query, target);
  double score = known_score;
  if (std::isnan(score)) {
    score = static_cast<double>(adv.score(query, o));
    ++ep.counts.adversary_calls;
  }
  if (!std::isfinite(score))
    throw error("aida: the adversary's score is " + std::to_string(score) + " for question " +
                describe(query));
  const auto k = static_cast<std::size_t>(kind);
  ep.losses.ml[k] += loss;
  ep.losses.adv[k] += adversary_error(score, loss, form);
  ++ep.losses.count[k];
  ep.model_targets.push_back({query, target, kind, loss});
  ep.adversary_targets.push_back({query, std::move(o), -loss, score, kind, form});
}

/// Calls H, H_fan_out or H_fan_in with the context when the overseer takes one
/// (the optional members of the Overseer concept), without it otherwise.
template <class H, class Q, class Ctx>
decltype(auto) call_answer(H& h, const Q& q, Ctx& ctx) {
  if constexpr (requires { h.answer(q, ctx); }) return h.answer(q, ctx);
  else return h.answer(q);
}
template <class H, class Q, class Ctx>
decltype(auto) call_fan_out(H& h, const Q& q, Ctx& ctx) {
  if constexpr (requires { h.fan_out(q, ctx); }) return h.fan_out(q, ctx);
  else return h.fan_out(q);
}
/// The context of `plain_fan_in`: none (no overseer member takes it).
struct no_context {};

/// H_fan_in with the round's subanswers `subs`: `h.fan_in(q, subs[, ctx])`, or for an
/// overseer written for splits of two `h.fan_in(q, s1, s2[, ctx])` (`aida::error` for a round
/// of another size; `amplify` checks a split's size before it gets here).
template <class H, class Q, class A, class Ctx>
decltype(auto) call_fan_in(H& h, const Q& q, std::span<const Subanswer<Q, A>> subs, Ctx& ctx) {
  if constexpr (requires { h.fan_in(q, subs, ctx); }) {
    return h.fan_in(q, subs, ctx);
  } else if constexpr (requires { h.fan_in(q, subs); }) {
    return h.fan_in(q, subs);
  } else {
    require_round_of_two(subs.size(), "the overseer's fan_in", "fan_in(q, s1, s2)",
                         "fan_in(q, std::span<const Subanswer<Q, A>>)");
    if constexpr (requires { h.fan_in(q, subs[0], subs[1], ctx); }) return h.fan_in(q, subs[0], subs[1], ctx);
    else return h.fan_in(q, subs[0], subs[1]);
  }
}

/// H_fan_in without a context: `h.fan_in(q, subs)`, or `h.fan_in(q, s1, s2)` for an overseer
/// written for splits of two (`aida::error` for a round of another size).
template <class H, class Q, class A>
decltype(auto) plain_fan_in(H& h, const Q& q, std::span<const Subanswer<Q, A>> subs) {
  no_context none;
  return call_fan_in(h, q, subs, none);
}

/// Whether overseer `H`, called with contexts of type `Ctx`, can fan in a round of `k`
/// subquestions: any k with `fan_in(q, subs[, ctx])`, only 2 when written for splits of two.
template <class H, class Q, class A, class Ctx>
constexpr bool fan_in_takes(std::size_t k) noexcept {
  return requires(H& h, const Q& q, std::span<const Subanswer<Q, A>> subs, Ctx& ctx) { h.fan_in(q, subs, ctx); } ||
         any_arity_fan_in<H, Q, A> || k == 2;
}

/// Whether codec C can write the fan-in question of a round of `k` subquestions: any k with
/// `fan_in_question(q, subs)`, only 2 when written for splits of two.
template <class C>
constexpr bool codec_takes(std::size_t k) noexcept {
  using Q = codec_question_t<C>;
  using A = codec_answer_t<C>;
  return requires(const C& c, const Q& q, std::span<const Subanswer<Q, A>> subs) { c.fan_in_question(q, subs); } ||
         k == 2;
}

}  // namespace aida::detail
