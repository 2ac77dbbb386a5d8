#pragma once
/// \file
/// Readable compile-time checks of the concepts, used at the entry of every procedure
/// (after ensmallen's function/static_checks.hpp).
///
/// Each check first asserts one sentence that names the argument, by the name the procedures
/// give it (`codec`, `h`, `ml`, `adv`, `policy`, `rng`, ...), and the concept it does not
/// model; then one sentence per missing member. So the first error a compiler prints says
/// which argument is wrong, and two swapped arguments show up as two sentences naming them.
/// Each check returns whether the argument models its concept, and the procedures check in an
/// order in which nothing is checked against a type that failed: the codec and the sampler
/// first (`codec_and_sampler`: the others are checked against the codec's question and answer
/// types), the model before the adversary (`model_and_adversary`: the adversary is checked
/// against the model's output type). A procedure instantiates its body only when every
/// check passed (`if constexpr`), so that the sentences are not buried under the errors that
/// would follow from them.

#include <concepts>
#include <cstdint>
#include <span>
#include <type_traits>

#include "aida/core/concepts.hpp"

namespace aida::checks {

template <class C>
constexpr bool codec() {
  constexpr bool models = Codec<C>;
  static_assert(models, "aida: the `codec` argument does not model aida::Codec (are two arguments swapped?)");
  if constexpr (!models) {
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
      static_assert(requires(const C& c, const Q& q) { { c.fan_out_question(q) } -> std::convertible_to<Q>; },
                    "aida: the codec has no `fan_out_question(const Q&) const` returning a question");
      static_assert(requires(const C& c, const Q& q, std::span<const Subanswer<Q, A>> subs) {
                      { c.fan_in_question(q, subs) } -> std::convertible_to<Q>;
                    } || requires(const C& c, const Q& q, const Subanswer<Q, A>& s) {
                      { c.fan_in_question(q, s, s) } -> std::convertible_to<Q>;
                    }, "aida: the codec has no `fan_in_question(const Q&, std::span<const Subanswer<Q,A>>) const` returning a question (or, for splits of two only, `fan_in_question(const Q&, const Subanswer<Q,A>&, const Subanswer<Q,A>&) const`)");
      static_assert(requires(const C& c, const Move<Q, A>& m) { { c.encode(m) } -> std::convertible_to<A>; },
                    "aida: the codec has no `encode(const Move<Q,A>&) const` returning an answer");
      static_assert(requires(const C& c, const A& a) { { c.decode(a) } -> std::convertible_to<std::optional<Move<Q, A>>>; },
                    "aida: the codec has no `decode(const A&) const` returning std::optional<Move<Q,A>>");
    }
  }
  return models;
}

template <class H, class Q, class A>
constexpr bool overseer() {
  constexpr bool models = Overseer<H, Q, A>;
  static_assert(models,
                "aida: the `h` argument does not model aida::Overseer for the codec's questions and answers (are two arguments swapped?)");
  static_assert(requires(H& h, const Q& q) { { h.answer(q) } -> std::convertible_to<A>; },
                "aida: the overseer has no `answer(const Q&)` returning an answer (H of spec §1)");
  static_assert(requires(H& h, const Q& q) { { h.fan_out(q) } -> std::convertible_to<Move<Q, A>>; },
                "aida: the overseer has no `fan_out(const Q&)` returning a Move<Q,A> (H_fan_out of spec §1)");
  static_assert(requires(H& h, const Q& q, std::span<const Subanswer<Q, A>> subs) {
                  { h.fan_in(q, subs) } -> std::convertible_to<Move<Q, A>>;
                } || requires(H& h, const Q& q, const Subanswer<Q, A>& s) {
                  { h.fan_in(q, s, s) } -> std::convertible_to<Move<Q, A>>;
                }, "aida: the overseer has no `fan_in(const Q&, std::span<const Subanswer<Q,A>>)` returning a Move<Q,A> (H_fan_in of spec §1; or, for splits of two only, `fan_in(const Q&, const Subanswer<Q,A>&, const Subanswer<Q,A>&)`)");
  return models;
}

/// The members of Model, one sentence each (the argument's sentence is the caller's).
template <class M, class Q, class A, class S>
constexpr void model_members() {
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
constexpr bool model() {
  constexpr bool models = Model<M, Q, A, S>;
  static_assert(models,
                "aida: the `ml` argument does not model aida::Model for the codec's questions and answers (are two arguments swapped?)");
  model_members<M, Q, A, S>();
  return models;
}

template <class M, class Q, class A, class S>
constexpr bool trainable_model() {
  constexpr bool models = TrainableModel<M, Q, A, S>;
  static_assert(models,
                "aida: the `ml` argument does not model aida::TrainableModel for the codec's questions and answers (are two arguments swapped?)");
  model_members<M, Q, A, S>();
  static_assert(requires(M& m, std::span<const model_target<Q, A>> b) { { m.train_step(b) } -> std::convertible_to<double>; },
                "aida: the model has no `train_step(std::span<const model_target<Q,A>>)` returning the mean loss");
  return models;
}

template <class V, class Q, class O>
constexpr bool adversary() {
  constexpr bool models = Adversary<V, Q, O>;
  static_assert(models,
                "aida: the `adv` argument does not model aida::Adversary for the codec's questions and the model's outputs (are two arguments swapped?)");
  static_assert(requires(V& v, const Q& q, const O& o) { { v.score(q, o) } -> std::convertible_to<double>; },
                "aida: the adversary has no `score(const Q&, const Output&)` returning a double (Adv of spec §1)");
  return models;
}

template <class V, class Q, class O>
constexpr bool trainable_adversary() {
  constexpr bool models = TrainableAdversary<V, Q, O>;
  static_assert(models,
                "aida: the `adv` argument does not model aida::TrainableAdversary for the codec's questions and the model's outputs (are two arguments swapped?)");
  static_assert(requires(V& v, const Q& q, const O& o) { { v.score(q, o) } -> std::convertible_to<double>; },
                "aida: the adversary has no `score(const Q&, const Output&)` returning a double (Adv of spec §1)");
  static_assert(requires(V& v, std::span<const adversary_target<Q, O>> b) { { v.train_step(b) } -> std::convertible_to<double>; },
                "aida: the adversary has no `train_step(std::span<const adversary_target<Q,Output>>)` returning the mean loss");
  return models;
}

template <class P, class S>
constexpr bool recursion_policy() {
  constexpr bool models = RecursionPolicy<P, S>;
  static_assert(models,
                "aida: the `policy` argument does not model aida::RecursionPolicy: it needs `select(std::span<const double>, Sampler&) const` returning aida::selection, or for splits of two only `select(double, double, Sampler&) const` (are two arguments swapped?)");
  return models;
}

template <class S>
constexpr bool sampler() {
  constexpr bool models = Sampler<S>;
  static_assert(models, "aida: the `rng` argument does not model aida::Sampler (are two arguments swapped?)");
  static_assert(std::copyable<S>, "aida: the sampler must be copyable (copies are snapshots)");
  static_assert(requires(S& s) { { s.next() } -> std::same_as<std::uint64_t>; },
                "aida: the sampler has no `next()` returning std::uint64_t");
  static_assert(requires(S& s) { { s.uniform() } -> std::convertible_to<double>; },
                "aida: the sampler has no `uniform()` returning a double in [0,1)");
  static_assert(requires(S& s) { { s.gumbel() } -> std::convertible_to<double>; },
                "aida: the sampler has no `gumbel()` returning a Gumbel(0,1) draw");
  static_assert(requires(S& s) { { s.split() } -> std::same_as<S>; },
                "aida: the sampler has no `split()` returning a new sampler of the same type");
  return models;
}

/// The question a procedure starts from: anything that converts to the codec's question type.
template <class Question, class Q>
constexpr bool question() {
  constexpr bool models = std::convertible_to<const Question&, Q>;
  static_assert(models,
                "aida: the `question` argument does not convert to the codec's question_type (are two arguments swapped?)");
  return models;
}

/// The record an `_into` procedure fills: `Out` must be `Expected` (`void`: no such argument).
template <class Out, class Expected>
constexpr bool out() {
  if constexpr (std::is_void_v<Out>) {
    return true;
  } else {
    static_assert(std::same_as<Out, Expected>,
                  "aida: the `out` argument is not the record this procedure fills for this codec and model "
                  "(aida::episode_for<Codec, Model>; aida::unfolded_for<Codec, Model> for unfold_into)");
    return std::same_as<Out, Expected>;
  }
}

/// `model` or `trainable_model`, instantiating only the one asked for (one sentence).
template <bool Trainable, class M, class Q, class A, class S>
constexpr bool model_argument() {
  if constexpr (Trainable) return trainable_model<M, Q, A, S>();
  else return model<M, Q, A, S>();
}

/// The codec and the sampler of a procedure, checked first: the other arguments are checked
/// against the codec's question and answer types and against the sampler. Both sentences
/// when both fail.
template <class C, class S>
constexpr bool codec_and_sampler() {
  constexpr bool codec_ok = codec<C>(), sampler_ok = sampler<S>();
  return codec_ok && sampler_ok;
}

/// ML, then Adv against ML's output type (so Adv only when ML passed), for the codec's
/// question and answer types `Q`, `A`. `Trainable` asks for TrainableModel and
/// TrainableAdversary (for `aida::train`).
template <class M, class V, class Q, class A, class S, bool Trainable = false>
constexpr bool model_and_adversary() {
  if constexpr (!model_argument<Trainable, M, Q, A, S>()) return false;
  else if constexpr (Trainable) return trainable_adversary<V, Q, model_output_t<M, Q>>();
  else return adversary<V, Q, model_output_t<M, Q>>();
}

/// The arguments of a procedure that asks ML and Adv but no overseer (`distill`, `unfold`):
/// `question`, `ml`, `adv`, `codec`, `rng`, and, when `Out` is not `void`, `out`, which must
/// be the procedure's record for the codec and model, `Record<C, M>` (`episode_for`,
/// `unfolded_for`).
template <template <class, class> class Record, class Out, class Question, class M, class V, class C, class S>
constexpr bool model_procedure_arguments() {
  if constexpr (!codec_and_sampler<C, S>()) {
    return false;
  } else {
    using Q = codec_question_t<C>;
    constexpr bool question_ok = question<Question, Q>();
    if constexpr (!model_and_adversary<M, V, Q, codec_answer_t<C>, S>()) return false;
    else return question_ok && out<Out, Record<C, M>>();
  }
}

/// The question type a procedure's `question` argument defaults to, for a braced initialiser
/// (`amplify({...}, ...)`): the codec's, or a placeholder when `C` is not a codec (whose check
/// then names it).
template <class C>
struct question_argument {
  struct not_a_codec {};
  using type = not_a_codec;
};
template <class C>
  requires requires { typename C::question_type; }
struct question_argument<C> {
  using type = typename C::question_type;
};
template <class C>
using question_argument_t = typename question_argument<C>::type;

}  // namespace aida::checks
