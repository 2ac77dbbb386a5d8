#pragma once
/// \file
/// Iteration (spec §4): the primed overseer H′, which consults H only where the adversary
/// is not confident that ML is good, and otherwise defers to ML.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "aida/algorithm/detail/record.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/static_checks.hpp"

namespace aida {

/// Which of its three decisions the primed overseer H′ may defer to ML (spec §4 defers all
/// three). A decision of a kind that may not be deferred goes to H without asking ML or the
/// adversary: with `fan_out = false`, say, H′ keeps H's decompositions (a task whose split is a
/// fixed rule, where ML's deferred splits save calls but teach ML less) and defers only
/// answers and fan-ins.
struct deferrable_kinds {
  bool answer = true;   ///< `H′(Q)` may be a draw from ML
  bool fan_out = true;  ///< `H′_fan_out(Q)` may be ML's move
  bool fan_in = true;   ///< `H′_fan_in(Q, ...)` may be ML's move
  /// Equal when every flag is.
  friend bool operator==(const deferrable_kinds&, const deferrable_kinds&) = default;
};

/// The primed overseer H′ of spec §4 (threshold form **reconstructed**):
/// - `H′(Q) = H(Q)` if `Adv(Q, ML(Q)) + ε < c`, else a draw from `ML(Q)`;
/// - `H′_fan_out(Q) = H_fan_out(Q)` if `Adv_fan_out(Q, ML_fan_out(Q)) + ε < c`, else a
///   decoded draw from `ML_fan_out(Q)`;
/// - `H′_fan_in` likewise through the codec.
///
/// It satisfies `Overseer`, so `amplify` runs with it unchanged. Called by a procedure (the
/// context-taking members, for any sampler type), it draws ε from the episode's sampler, counts its model and
/// adversary calls into the episode, and reports deferrals with `ctx.by = producer::model`,
/// so that only calls that reach H count as overseer calls. Called directly (the plain
/// members), it uses its own sampler and keeps its own counts in `usage()`.
///
/// A deferred move that does not decode, or a split into a question that H cannot read
/// (when H has the optional `well_formed(q)` member), is counted as malformed, and H is
/// consulted instead.
/// The wrapped objects are held by reference and must outlive the primed overseer.
template <class H, class M, class V, Codec C, Sampler S = sampler>
class primed_overseer {
 public:
  using question_type = codec_question_t<C>;  ///< the codec's question type
  using answer_type = codec_answer_t<C>;      ///< the codec's answer type
  using Q = question_type;                    ///< short for `question_type`
  using A = answer_type;                      ///< short for `answer_type`
  using move_type = Move<Q, A>;               ///< the moves it returns

  /// Confidence threshold c: H is consulted when the noisy score is below it.
  double threshold = 0;
  /// Scale of the Gumbel noise ε (1 in the spec; 0 makes the decision deterministic). The
  /// default 0.1 is what every experiment and example uses: at scale 1 the noise (standard
  /// deviation 1.3 nats) swamps thresholds of a few tenths of a nat.
  double noise_scale = 0.1;
  /// Which decisions may be deferred to ML (all three by default, as in spec §4); the others
  /// always go to H, without asking ML or the adversary.
  deferrable_kinds deferrable;

  /// H′ from H = `h`, ML = `ml`, Adv = `adv` (held by reference) and a copy of `codec`, with
  /// threshold `c`, noise scale `noise`, and `rng` as the sampler of the plain calls.
  primed_overseer(H& h, M& ml, V& adv, C codec, double c, double noise = 0.1, S rng = S{})
      : threshold(c), noise_scale(noise), h_(h), ml_(ml), adv_(adv), codec_(std::move(codec)), rng_(rng) {
    checks::overseer<H, Q, A>();
    checks::model<M, Q, A, S>();
    checks::adversary<V, Q, model_output_t<M, Q>>();
  }

  /// `H′(q)`, within a procedure's episode.
  template <Sampler R>
  A answer(const Q& q, overseer_context<R>& ctx) {
    if (!deferrable.answer) return defer_to_h(ctx, [&] { return A(detail::call_answer(h_, q, ctx)); });
    auto o = ml_.predict(q);
    ++ctx.counts.model_calls;
    if (consult(q, o, ctx)) return defer_to_h(ctx, [&] { return A(detail::call_answer(h_, q, ctx)); });
    ctx.by = producer::model;
    return A(ml_.sample(o, ctx.rng));
  }

  /// `H′_fan_out(q)`, within a procedure's episode.
  template <Sampler R>
  move_type fan_out(const Q& q, overseer_context<R>& ctx) {
    auto call_h = [&] { return move_type(detail::call_fan_out(h_, q, ctx)); };
    if (!deferrable.fan_out) return defer_to_h(ctx, call_h);
    return move_through_codec(q, codec_.fan_out_question(q), ctx, call_h);
  }

  /// `H′_fan_in(q, subs)`, within a procedure's episode.
  template <Sampler R>
  move_type fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs, overseer_context<R>& ctx) {
    auto call_h = [&] { return move_type(detail::call_fan_in(h_, q, subs, ctx)); };
    if (!deferrable.fan_in) return defer_to_h(ctx, call_h);
    return move_through_codec(q, fan_in_question_of(codec_, q, subs), ctx, call_h);
  }

  /// `H′(q)`, called directly: its own sampler, counted in `usage()`.
  A answer(const Q& q) {
    return plain([&](auto& ctx) { return answer(q, ctx); }, &overseer_calls::answer);
  }
  /// `H′_fan_out(q)`, called directly: its own sampler, counted in `usage()`.
  move_type fan_out(const Q& q) {
    return plain([&](auto& ctx) { return fan_out(q, ctx); }, &overseer_calls::fan_out);
  }
  /// `H′_fan_in(q, subs)`, called directly: its own sampler, counted in `usage()`.
  move_type fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs) {
    return plain([&](auto& ctx) { return fan_in(q, subs, ctx); }, &overseer_calls::fan_in);
  }
  /// `H′_fan_in(q, s1, s2)` of a split of two, called directly.
  move_type fan_in(const Q& q, const Subanswer<Q, A>& s1, const Subanswer<Q, A>& s2) {
    const Subanswer<Q, A> both[2] = {s1, s2};
    return fan_in(q, std::span<const Subanswer<Q, A>>(both, 2));
  }

  /// Counts of the plain (context-free) calls: calls that reached H, model and adversary calls.
  [[nodiscard]] const episode_counts& usage() const noexcept { return usage_; }

 private:
  /// Spec §4: consult H iff `Adv(q, o) + ε < c`.
  template <class O, Sampler R>
  bool consult(const Q& q, const O& o, overseer_context<R>& ctx) {
    const double s = static_cast<double>(adv_.score(q, o));
    ++ctx.counts.adversary_calls;
    if (!std::isfinite(s))
      throw error("aida: the adversary's score is " + std::to_string(s) + " for question " + detail::describe(q));
    const double eps = noise_scale > 0 ? noise_scale * ctx.rng.gumbel() : 0.0;
    return s + eps < threshold;
  }

  template <Sampler R, class F>
  auto defer_to_h(overseer_context<R>& ctx, F&& call_h) {
    ctx.by = producer::overseer;
    ctx.from_cache = false;  // H's own context-taking member sets it when H has a cache
    return call_h();
  }

  template <Sampler R, class F>
  move_type move_through_codec(const Q& q, const Q& coded, overseer_context<R>& ctx, F&& call_h) {
    auto o = ml_.predict(coded);
    ++ctx.counts.model_calls;
    if (consult(coded, o, ctx)) return defer_to_h(ctx, call_h);
    std::optional<move_type> m = decode_move(codec_, q, A(ml_.sample(o, ctx.rng)));
    if (m && m->is_split() && !readable(m->get_split(), ctx)) m.reset();
    if (!m) {  // ML's move is malformed: ask H after all
      ++ctx.counts.fallbacks.malformed_moves;
      return defer_to_h(ctx, call_h);
    }
    ctx.by = producer::model;
    return std::move(*m);
  }

  /// Whether H can take a split ML proposed: H fans in rounds of its size (an overseer written
  /// for splits of two takes only those) and reads every subquestion, asked through the
  /// overseer's optional `well_formed(q)` (an overseer without it reads every question).
  template <Sampler R>
  bool readable(const Split<Q>& s, const overseer_context<R>&) const {
    if (s.size() < 2 || !detail::fan_in_takes<H, Q, A, overseer_context<R>>(s.size())) return false;
    if constexpr (requires(const Q& q) { { h_.well_formed(q) } -> std::convertible_to<bool>; })
      return std::all_of(s.begin(), s.end(), [&](const Q& q) { return static_cast<bool>(h_.well_formed(q)); });
    else
      return true;
  }

  /// A plain call: the primed overseer's own sampler and counts, updated only on success.
  template <class F>
  auto plain(F&& f, std::size_t overseer_calls::*kind) {
    S rng = rng_;
    episode_counts counts = usage_;
    overseer_context<S> ctx{rng, counts};
    auto result = f(ctx);
    ++(tally_of(ctx).*kind);
    rng_ = rng;
    usage_ = counts;
    return result;
  }

  H& h_;
  M& ml_;
  V& adv_;
  C codec_;
  S rng_;
  episode_counts usage_;
};

namespace detail {

/// Whether the arguments of `prime` model their concepts; each one that does not is named by
/// a static_assert.
template <class H, class M, class V, class C, class S>
constexpr bool prime_arguments() {
  if constexpr (!checks::codec_and_sampler<C, S>()) {
    return false;
  } else {
    using Q = codec_question_t<C>;
    using A = codec_answer_t<C>;
    constexpr bool h_ok = checks::overseer<H, Q, A>();
    return checks::model_and_adversary<M, V, Q, A, S>() && h_ok;
  }
}

}  // namespace detail

/// Makes the primed overseer H′, a `primed_overseer<H, M, V, C, S>`, from H, ML, Adv, the
/// codec and the threshold c (spec §4), with Gumbel noise of scale `noise` (0.1 by default,
/// see `primed_overseer::noise_scale`). The parameters are unconstrained so that a misplaced
/// argument is named by the first error the compiler prints (see `aida/core/static_checks.hpp`).
template <class S = sampler, class H, class M, class V, class C>
auto prime(H& h, M& ml, V& adv, C codec, double c, double noise = 0.1, S rng = S{}) {
  if constexpr (detail::prime_arguments<H, M, V, C, S>())
    return primed_overseer<H, M, V, C, S>(h, ml, adv, std::move(codec), c, noise, rng);
}

}  // namespace aida
