#pragma once
/// \file
/// Readable compile-time checks of the concepts, one sentence per missing member, used at
/// the entry of every procedure (after ensmallen's function/static_checks.hpp).

#include <concepts>
#include <cstdint>
#include <span>

#include "aida/core/concepts.hpp"

namespace aida::checks {

template <class C>
constexpr void codec() {
  static_assert(requires { typename C::question_type; },
                "aida: the codec must declare `using question_type = ...;`");
  static_assert(requires { typename C::answer_type; },
                "aida: the codec must declare `using answer_type = ...;`");
  if constexpr (requires { typename C::question_type; typename C::answer_type; }) {
    using Q = typename C::question_type;
    using A = typename C::answer_type;
    static_assert(std::regular<Q>,
                  "aida: the codec's question_type must be default constructible, copyable and equality comparable");
    static_assert(std::semiregular<A>,
                  "aida: the codec's answer_type must be default constructible and copyable");
    static_assert(requires(const C& c, const Q& q) { c.fan_out_question(q); },
                  "aida: the codec has no `fan_out_question(const Q&) const` returning a question");
    static_assert(requires(const C& c, const Q& q, const Subanswer<Q, A>& s) { c.fan_in_question(q, s, s); },
                  "aida: the codec has no `fan_in_question(const Q&, const Subanswer<Q,A>&, const Subanswer<Q,A>&) const`");
    static_assert(requires(const C& c, const Move<Q, A>& m) { c.encode(m); },
                  "aida: the codec has no `encode(const Move<Q,A>&) const` returning an answer");
    static_assert(requires(const C& c, const A& a) { c.decode(a); },
                  "aida: the codec has no `decode(const A&) const` returning std::optional<Move<Q,A>>");
    static_assert(Codec<C>, "aida: the codec's members have the wrong return types (see the Codec concept)");
  }
}

template <class H, class Q, class A>
constexpr void overseer() {
  static_assert(requires(H& h, const Q& q) { { h.answer(q) } -> std::convertible_to<A>; },
                "aida: the overseer has no `answer(const Q&)` returning an answer (H of spec §1)");
  static_assert(requires(H& h, const Q& q) { { h.fan_out(q) } -> std::convertible_to<Move<Q, A>>; },
                "aida: the overseer has no `fan_out(const Q&)` returning a Move<Q,A> (H_fan_out of spec §1)");
  static_assert(requires(H& h, const Q& q, const Subanswer<Q, A>& s) {
                  { h.fan_in(q, s, s) } -> std::convertible_to<Move<Q, A>>;
                }, "aida: the overseer has no `fan_in(const Q&, const Subanswer<Q,A>&, const Subanswer<Q,A>&)` returning a Move<Q,A> (H_fan_in of spec §1)");
}

template <class M, class Q, class A, class S>
constexpr void model() {
  static_assert(requires(M& m, const Q& q) { m.predict(q); },
                "aida: the model has no `predict(const Q&)` returning its output (ML of spec §1)");
  if constexpr (requires(M& m, const Q& q) { m.predict(q); }) {
    using O = model_output_t<M, Q>;
    static_assert(std::copyable<O>, "aida: the model's output type (what predict returns) must be copyable");
    static_assert(requires(M& m, const O& o, const A& a) { { m.log_prob(o, a) } -> std::convertible_to<double>; },
                  "aida: the model has no `log_prob(const Output&, const A&)` returning a double");
    static_assert(requires(M& m, const O& o, S& s) { { m.sample(o, s) } -> std::convertible_to<A>; },
                  "aida: the model has no `sample(const Output&, Sampler&)` returning an answer");
    static_assert(requires(M& m, const O& o) { { m.greedy(o) } -> std::convertible_to<A>; },
                  "aida: the model has no `greedy(const Output&)` returning an answer");
  }
}

template <class M, class Q, class A, class S>
constexpr void trainable_model() {
  model<M, Q, A, S>();
  static_assert(requires(M& m, std::span<const model_target<Q, A>> b) { { m.train_step(b) } -> std::convertible_to<double>; },
                "aida: the model has no `train_step(std::span<const model_target<Q,A>>)` returning the mean loss");
}

template <class V, class Q, class O>
constexpr void adversary() {
  static_assert(requires(V& v, const Q& q, const O& o) { { v.score(q, o) } -> std::convertible_to<double>; },
                "aida: the adversary has no `score(const Q&, const Output&)` returning a double (Adv of spec §1)");
}

template <class V, class Q, class O>
constexpr void trainable_adversary() {
  adversary<V, Q, O>();
  static_assert(requires(V& v, std::span<const adversary_target<Q, O>> b) { { v.train_step(b) } -> std::convertible_to<double>; },
                "aida: the adversary has no `train_step(std::span<const adversary_target<Q,Output>>)` returning the mean loss");
}

template <class P, class S>
constexpr void recursion_policy() {
  static_assert(requires(const P& p, S& s) { { p.select(0.0, 0.0, s) } -> std::same_as<selection>; },
                "aida: the recursion policy has no `select(double, double, Sampler&) const` returning aida::selection");
}

template <class S>
constexpr void sampler() {
  static_assert(std::copyable<S>, "aida: the sampler must be copyable (copies are snapshots)");
  static_assert(requires(S& s) { { s.next() } -> std::same_as<std::uint64_t>; },
                "aida: the sampler has no `next()` returning std::uint64_t");
  static_assert(requires(S& s) { { s.uniform() } -> std::convertible_to<double>; },
                "aida: the sampler has no `uniform()` returning a double in [0,1)");
  static_assert(requires(S& s) { { s.gumbel() } -> std::convertible_to<double>; },
                "aida: the sampler has no `gumbel()` returning a Gumbel(0,1) draw");
  static_assert(requires(S& s) { { s.split() } -> std::same_as<S>; },
                "aida: the sampler has no `split()` returning a new sampler of the same type");
}

}  // namespace aida::checks
