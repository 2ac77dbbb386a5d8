#pragma once
/// \file
/// The concepts that aida's procedures are written against: Codec, Overseer, Model,
/// TrainableModel, Adversary, TrainableAdversary, Restorable, SnapshotInto, RecursionPolicy, QuestionSource
/// (and Sampler, in sampler.hpp). Each concept is documented with its minimal complete
/// definition, semantic requirements, models and rationale; each procedure checks them at
/// its entry with `static_assert`s that name the missing member (see `static_checks.hpp`).

#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "aida/core/episode.hpp"
#include "aida/core/error.hpp"
#include "aida/core/move.hpp"
#include "aida/core/sampler.hpp"

namespace aida {

/// \concept Codec
/// The fixed *transformation* of spec §1 that turns ML into ML_fan_out and ML_fan_in (and
/// Adv into Adv_fan_out, Adv_fan_in): structured queries become questions, moves become
/// answers.
///
/// **Minimal complete definition:** member types `question_type` (regular: default
/// constructible, copyable, equality comparable) and `answer_type` (semiregular);
/// `c.fan_out_question(q) -> Q`; `c.fan_in_question(q, subs) -> Q` with `subs` a
/// `std::span<const Subanswer<Q, A>>` (k of them, one per subquestion); `c.encode(m) -> A`
/// for a `Move<Q, A>`; `c.decode(a) -> std::optional<Move<Q, A>>`. A codec written for splits
/// of two may have `c.fan_in_question(q, s1, s2)` instead: the procedures then use it for
/// rounds of two subquestions and throw `aida::error` on a round of more.
///
/// **Semantic requirements (laws):**
/// - round trip: `decode(encode(m))` holds `m`, up to the order of a split's subquestions
///   (for the splits the codec can write: `aida::string_codec` takes up to its `max_split()`);
/// - symmetry: `fan_in_question(q, subs)` is the same for every permutation of `subs`, and
///   `encode(split(...))` for every permutation of the subquestions (a canonical order), so
///   that ML_fan_in and ML_fan_out are symmetric under interchange of the subquestions by
///   construction;
/// - totality: `decode` of any value returns a move or `std::nullopt` ("malformed"); it
///   never throws and never has undefined behaviour.
///
/// **Models:** `aida::string_codec`.
///
/// **Rationale:** the post uses one model for three jobs; the codec is the only place that
/// knows how the jobs are told apart, so models stay oblivious of moves.
template <class C>
concept Codec = requires { typename C::question_type; typename C::answer_type; } &&
    (requires(const C& c, const typename C::question_type& q,
              std::span<const Subanswer<typename C::question_type, typename C::answer_type>> subs) {
       { c.fan_in_question(q, subs) } -> std::convertible_to<typename C::question_type>;
     } ||
     requires(const C& c, const typename C::question_type& q,
              const Subanswer<typename C::question_type, typename C::answer_type>& s) {
       { c.fan_in_question(q, s, s) } -> std::convertible_to<typename C::question_type>;
     }) &&
    // The procedures store questions and answers in the episode's tree (default-constructed,
    // copied) and compare questions to detect repeating splits (spec §8).
    std::regular<typename C::question_type> && std::semiregular<typename C::answer_type> &&
    requires(const C& c, const typename C::question_type& q,
             const Subanswer<typename C::question_type, typename C::answer_type>& s,
             const Move<typename C::question_type, typename C::answer_type>& m,
             const typename C::answer_type& a) {
      { c.fan_out_question(q) } -> std::convertible_to<typename C::question_type>;
      { c.encode(m) } -> std::convertible_to<typename C::answer_type>;
      { c.decode(a) } -> std::convertible_to<
          std::optional<Move<typename C::question_type, typename C::answer_type>>>;
    };

/// The question type of codec `C`.
template <Codec C> using codec_question_t = typename C::question_type;
/// The answer type of codec `C`.
template <Codec C> using codec_answer_t = typename C::answer_type;

/// A codec may also write a move relative to the question it answers: the optional members
/// `c.encode(q, m) -> A` and `c.decode(q, a) -> std::optional<Move<Q, A>>`, with the round
/// trip `decode(q, encode(q, m))` holding `m` (up to a split's order) and the same
/// symmetry and totality as the plain pair (`aida::string_codec::with_context` uses them to
/// leave out a context that subquestions share with `q`). The procedures call them through
/// `encode_move` and `decode_move`, which fall back to `encode(m)` and `decode(a)`.
template <Codec C>
[[nodiscard]] codec_answer_t<C> encode_move(const C& c, const codec_question_t<C>& q,
                                            const Move<codec_question_t<C>, codec_answer_t<C>>& m) {
  if constexpr (requires { { c.encode(q, m) } -> std::convertible_to<codec_answer_t<C>>; })
    return c.encode(q, m);
  else
    return c.encode(m);
}

/// See `encode_move`.
template <Codec C>
[[nodiscard]] std::optional<Move<codec_question_t<C>, codec_answer_t<C>>> decode_move(const C& c,
                                                                                      const codec_question_t<C>& q,
                                                                                      const codec_answer_t<C>& a) {
  using M = std::optional<Move<codec_question_t<C>, codec_answer_t<C>>>;
  if constexpr (requires { { c.decode(q, a) } -> std::convertible_to<M>; })
    return c.decode(q, a);
  else
    return c.decode(a);
}

namespace detail {

/// Throws `aida::error` unless a round of `k` subquestions can go to a member written for splits
/// of two (`k == 2`): `who` and `binary` name the member, `span` the form to give instead.
[[noreturn]] [[gnu::noinline]] [[gnu::cold]] inline void round_not_of_two(std::size_t k, const char* who,
                                                                         const char* binary, const char* span) {
  throw error(std::string("aida: ") + who + " takes two (" + binary + ") and the round has " + std::to_string(k) +
              ": give it " + span);
}
inline void require_round_of_two(std::size_t k, const char* who, const char* binary, const char* span) {
  if (k != 2) [[unlikely]]
    round_not_of_two(k, who, binary, span);
}

}  // namespace detail

/// The fan-in question of `q` with the subanswers `subs` (one per subquestion of the round):
/// the codec's `fan_in_question(q, subs)`, or for a codec written for splits of two its
/// `fan_in_question(q, s1, s2)` (and `aida::error` for a round of another size).
template <Codec C>
[[nodiscard]] codec_question_t<C> fan_in_question_of(
    const C& c, const codec_question_t<C>& q,
    std::span<const Subanswer<codec_question_t<C>, codec_answer_t<C>>> subs) {
  if constexpr (requires { { c.fan_in_question(q, subs) } -> std::convertible_to<codec_question_t<C>>; }) {
    return c.fan_in_question(q, subs);
  } else {
    detail::require_round_of_two(subs.size(), "the codec's fan_in_question", "fan_in_question(q, s1, s2)",
                                 "fan_in_question(q, std::span<const Subanswer<Q, A>>)");
    return c.fan_in_question(q, subs[0], subs[1]);
  }
}

/// \concept Overseer
/// The overseer H of spec §1: a human, or a program standing in for one, who can answer,
/// decompose (fan out) and combine (fan in).
///
/// **Minimal complete definition:** `h.answer(q) -> A` (H), `h.fan_out(q) -> Move<Q, A>`
/// (H_fan_out), `h.fan_in(q, subs) -> Move<Q, A>` (H_fan_in) with `subs` a
/// `std::span<const Subanswer<Q, A>>`, one subanswer per subquestion of the round, in the
/// order of the split. An overseer that only ever splits in two may have
/// `h.fan_in(q, s1, s2)` instead (the form of the post); a procedure then calls it for
/// rounds of two and treats a split of another size as an error of the overseer
/// (`overseer_error`) or a malformed move of ML.
///
/// **Optional:** the same three members with a trailing `overseer_context<S>&`. A procedure
/// calls these when present, passing the episode's sampler and counts, and an overseer that
/// deferred to a model sets `ctx.by = producer::model` so that the call is not counted as an
/// overseer call (this is how the primed overseer H′ of spec §4 reports). And
/// `h.well_formed(q) -> bool`: whether H can read a question at all; the primed overseer
/// treats a model's split into a question H cannot read as a malformed move.
///
/// **Semantic requirements:** a split never repeats the question it splits or one of its
/// ancestors (a procedure throws `overseer_error` if it does); exceptions thrown by an
/// overseer propagate out of the procedures unchanged.
///
/// **Models:** the task overseers in `aida/tasks/`, `aida::primed_overseer`.
template <class H, class Q, class A>
concept Overseer = requires(H& h, const Q& q) {
  { h.answer(q) } -> std::convertible_to<A>;
  { h.fan_out(q) } -> std::convertible_to<Move<Q, A>>;
} && (requires(H& h, const Q& q, std::span<const Subanswer<Q, A>> subs) {
  { h.fan_in(q, subs) } -> std::convertible_to<Move<Q, A>>;
} || requires(H& h, const Q& q, const Subanswer<Q, A>& s) {
  { h.fan_in(q, s, s) } -> std::convertible_to<Move<Q, A>>;
});

/// Whether overseer `H` takes fan-in rounds of any size (`h.fan_in(q, subs)`, with or without
/// a context) rather than only of two (`h.fan_in(q, s1, s2)`).
template <class H, class Q, class A>
constexpr bool any_arity_fan_in = requires(H& h, const Q& q, std::span<const Subanswer<Q, A>> subs) {
  { h.fan_in(q, subs) };
};

/// What a procedure passes to an overseer's optional context-taking members.
template <Sampler S>
struct overseer_context {
  S& rng;                             ///< the episode's random stream
  episode_counts& counts;             ///< for model and adversary calls the overseer makes
  producer by = producer::overseer;   ///< set to `producer::model` when the overseer deferred
  /// Set by an overseer that answered from a cache of H's earlier answers (with `by` left at
  /// `producer::overseer`): the decision is H's, but it is counted in `episode_counts::cached`
  /// rather than as an overseer call.
  bool from_cache = false;
  /// In a fan-in call: who produced each subanswer (`producer::recursion` for H's own
  /// amplification of the subquestion, `producer::model` for a draw from ML), in the order of
  /// the subanswers; for an overseer that shows them (`aida::console_overseer`).
  std::array<producer, max_subquestions> subanswer_by = detail::filled(producer::model);
};

/// Where a decision an overseer returned through `ctx` is counted: `cached` for a cache hit,
/// `overseer` for a call that reached H, `deferred` for H′'s deferral to ML.
template <Sampler S>
overseer_calls& tally_of(overseer_context<S>& ctx) noexcept {
  if (ctx.by != producer::overseer) return ctx.counts.deferred;
  return ctx.from_cache ? ctx.counts.cached : ctx.counts.overseer;
}

/// The output type of model `M` for questions `Q`: its embedding, representing Δ(A).
template <class M, class Q>
using model_output_t = std::remove_cvref_t<decltype(std::declval<M&>().predict(std::declval<const Q&>()))>;

/// \concept Model
/// ML of spec §1: a map from questions to a distribution over answers, represented by an
/// output (an embedding vector in the reference backend) from which the answer
/// distribution is read.
///
/// **Minimal complete definition:** `m.predict(q) -> O` (O copyable);
/// `m.log_prob(o, a) -> double` (log ML(a | q) when `o == predict(q)`);
/// `m.sample(o, s) -> A` (a draw from the distribution, using sampler `s`);
/// `m.greedy(o) -> A` (the most likely answer, or an approximation of it).
///
/// **Optional:** `m.predict_batch(std::span<const Q>) -> std::vector<O>`, used by the
/// procedures where they ask about several questions at once.
///
/// **Semantic requirements:** `predict` is deterministic for fixed parameters;
/// `log_prob(o, a) <= 0`; `sample` draws with the probabilities `exp(log_prob)` and is a
/// function of the sampler's stream only; `greedy` does not draw.
///
/// **Models:** `aida::nn::char_model`; the lookup-table model of `examples/custom_backend.cpp`.
template <class M, class Q, class A, class S = sampler>
concept Model = Sampler<S> && requires(M& m, const Q& q) {
  { m.predict(q) };
} && std::copyable<model_output_t<M, Q>> &&
    requires(M& m, const model_output_t<M, Q>& o, const A& a, S& s) {
      { m.log_prob(o, a) } -> std::convertible_to<double>;
      { m.sample(o, s) } -> std::convertible_to<A>;
      { m.greedy(o) } -> std::convertible_to<A>;
    };

/// \concept TrainableModel
/// A Model with a batched training step on the targets the procedures produce.
///
/// **Minimal complete definition:** `m.train_step(std::span<const model_target<Q, A>>) -> double`,
/// one optimiser step on the mean −log-likelihood of the targets, returning that mean
/// (before the step).
///
/// **Semantic requirements:** an empty span is a no-op returning 0; a step that meets a
/// non-finite loss throws and leaves the parameters unchanged (so it never returns a
/// non-finite value: `aida::train` treats one as a failed step and throws
/// `aida::non_finite_error`); a step that throws leaves the parameters unchanged.
template <class M, class Q, class A, class S = sampler>
concept TrainableModel = Model<M, Q, A, S> &&
    requires(M& m, std::span<const model_target<Q, A>> batch) {
      { m.train_step(batch) } -> std::convertible_to<double>;
    };

/// \concept Adversary
/// Adv of spec §1: predicts how good ML's answer to a question is, as the **negated** loss
/// −L (higher is better).
///
/// **Minimal complete definition:** `adv.score(q, o) -> double` for ML's output `o`.
///
/// **Semantic requirements:** deterministic for fixed parameters; must not modify ML.
template <class V, class Q, class O>
concept Adversary = requires(V& v, const Q& q, const O& o) {
  { v.score(q, o) } -> std::convertible_to<double>;
};

/// \concept TrainableAdversary
/// An Adversary with a batched regression step.
///
/// **Minimal complete definition:**
/// `adv.train_step(std::span<const adversary_target<Q, O>>) -> double`, one optimiser step
/// on the mean error between score and target, returning that mean (before the step). The
/// error is each target's `form`: squared (the default) or absolute
/// (`amplify_options::adversary_loss_form`); an adversary that knows only one form ignores
/// the option.
///
/// **Semantic requirements:** as `TrainableModel`'s: an empty span is a no-op returning 0,
/// and a step that throws (as it must on a non-finite loss) leaves the parameters unchanged.
template <class V, class Q, class O>
concept TrainableAdversary = Adversary<V, Q, O> &&
    requires(V& v, std::span<const adversary_target<Q, O>> batch) {
      { v.train_step(batch) } -> std::convertible_to<double>;
    };

/// \concept Restorable
/// A learner (a `TrainableModel` or `TrainableAdversary`) whose trainable state can be taken
/// and put back. `aida::train` uses it, when a learner offers it, to make each training step
/// all or nothing: a step makes several updates (ML's, one per replay batch, then Adv's), and
/// when a later one fails only a snapshot can undo the earlier ones.
///
/// **Minimal complete definition:** `m.snapshot() -> T`, with `T` movable: a value that owns
/// a copy of everything `train_step` changes (parameters, optimiser state, step counts);
/// `m.restore(T&&)`: puts that state back.
///
/// **Semantic requirements:** after `auto s = m.snapshot();`, any calls to `train_step` and
/// `m.restore(std::move(s))`, `m` is bit for bit as it was when the snapshot was taken (its
/// outputs, and the steps it will take next, are the same); `restore` does not throw (make
/// it `noexcept`: it runs while an exception is in flight, and `aida::train` ends the
/// program with `std::terminate` if it throws); a snapshot is a copy, not a view
/// of `m` (a model that holds a handle to state elsewhere must copy that state).
///
/// **Models:** the reference backend's `char_model`, `adversary_model`, `transformer_model`
/// and `transformer_adversary`.
///
/// **Rationale:** optional, because a copy of the parameters costs memory and time that a
/// user may not want to pay, and because only the model's author knows what its state is
/// (copying the object would be wrong for a model that holds a handle). Detected, not
/// demanded: write `static_assert(aida::Restorable<my_model>)` next to a model that should
/// have it, so that a misspelt member is not silently ignored.
template <class M>
concept Restorable = requires(M& m) {
  m.snapshot();
  requires std::movable<std::remove_cvref_t<decltype(m.snapshot())>>;
  m.restore(m.snapshot());
};

/// \concept SnapshotInto
/// A `Restorable` learner that can also take its snapshot into an earlier one, `s`, reusing
/// the storage `s` holds: `m.snapshot_into(s)` leaves `s` as `s = m.snapshot()` would,
/// without allocating when nothing changed shape. `aida::train` then keeps one snapshot of
/// the learner from step to step instead of allocating and freeing a copy of the model every
/// step. If it throws, `s` may be left part-copied (`train` then takes a new one).
/// **Models:** the four reference learners (`aida::nn::learner_snapshot::copy_from`).
template <class M>
concept SnapshotInto = Restorable<M> && requires(M& m, std::remove_cvref_t<decltype(std::declval<M&>().snapshot())>& s) {
  m.snapshot_into(s);
};

/// Whether overseer `H` may be called from several threads at once: true when it declares
/// `static constexpr bool concurrent_calls = true` (the task overseers of `aida/tasks/` do:
/// they are stateless). `aida::train` with `train_options::threads` > 1 calls an overseer
/// that does not declare it under a mutex, one call at a time.
template <class H>
constexpr bool concurrent_calls = [] {
  using T = std::remove_cvref_t<H>;
  if constexpr (requires { T::concurrent_calls; }) return static_cast<bool>(T::concurrent_calls);
  else return false;
}();

/// Whether the inference members of a model or adversary (`predict`, `predict_batch`,
/// `log_prob`, `sample`, `greedy`; `score`) may be called from several threads at once while
/// nothing trains it: true when it declares `static constexpr bool concurrent_inference = true`
/// (the reference backend's four models do). Opt-in, because a model that caches or keeps
/// scratch space in its members would race silently. `aida::train` with
/// `train_options::threads` > 1 calls a learner that does not declare it under a mutex (one
/// mutex shared by every learner that does not declare it), one call at a time.
template <class M>
constexpr bool concurrent_inference = [] {
  using T = std::remove_cvref_t<M>;
  if constexpr (requires { T::concurrent_inference; }) return static_cast<bool>(T::concurrent_inference);
  else return false;
}();

/// Which subquestions of a round to recurse on (spec §2 step 4, §5): `recurse[i]` for the
/// i-th subquestion of the split (entries past the round's k are ignored).
struct selection {
  bool recurse[max_subquestions] = {};  ///< whether to recurse on each subquestion
  /// Number of subquestions to recurse on.
  [[nodiscard]] int count() const noexcept {
    int n = 0;
    for (bool r : recurse) n += r ? 1 : 0;
    return n;
  }
  /// Member-wise equality.
  friend bool operator==(const selection&, const selection&) = default;
};

namespace detail {

/// Builds a `selection` in whole words (16, 32 or 64 bits), one byte per flag, and turns them into the
/// selection at once. A policy that sets a flag of its result with a one-byte store and
/// returns the selection in a register makes the return's 8-byte load wait for the store to
/// reach the cache (a failed store-to-load forward, about a dozen cycles each round; it made
/// `gumbel_argmin` rounds 20% slower on an AVX-512 build, benchmarks/README.md). Where the
/// words do not cover the selection exactly (a `max_subquestions` not a multiple of 8, or a
/// big-endian machine), the flags are set one by one; `Whole` = false asks for that anyway.
template <bool Whole = true>
class selection_words {
  // One byte per flag, in words as wide as the selection where one word can be (2, 4 or 8
  // flags), else in 64-bit words.
  using word = std::conditional_t<max_subquestions == 2, std::uint16_t,
                                  std::conditional_t<max_subquestions == 4, std::uint32_t, std::uint64_t>>;
  static constexpr std::size_t per_word = sizeof(word);

 public:
  /// Sets the flag of subquestion i when `on` (i < max_subquestions); a flag once set stays set.
  void set(std::size_t i, bool on = true) noexcept {
    words_[i / per_word] |= static_cast<word>(static_cast<word>(on) << (8 * (i % per_word)));
  }
  /// Whether the flag of subquestion i is set.
  [[nodiscard]] bool test(std::size_t i) const noexcept {
    return ((words_[i / per_word] >> (8 * (i % per_word))) & 1) != 0;
  }
  /// The selection with the flags set so far.
  [[nodiscard]] selection get() const noexcept {
    selection r;
    if constexpr (whole) {
      std::memcpy(r.recurse, words_.data(), sizeof r.recurse);  // a move between registers once inlined
    } else {
      for (std::size_t i = 0; i < max_subquestions; ++i) r.recurse[i] = test(i);
    }
    return r;
  }

 private:
  std::array<word, (max_subquestions + per_word - 1) / per_word> words_{};
  static constexpr bool whole = Whole && sizeof(selection::recurse) == sizeof(words_) &&
                                std::endian::native == std::endian::little && std::bit_cast<bool>(std::uint8_t{1});
};

}  // namespace detail

/// \concept RecursionPolicy
/// Decides, from the adversary's scores of a round's k subquestions and the sampler, which
/// subquestions to recurse on.
///
/// **Minimal complete definition:** `p.select(scores, rng) -> selection` (const), `scores`
/// a `std::span<const double>` of the k scores in the order of the split. A policy written for
/// splits of two may have `p.select(s1, s2, rng)` instead; the procedures then use it for
/// rounds of two and throw `aida::error` on a round of more.
///
/// **Semantic requirements:** a function of the scores and the sampler's stream only; it
/// selects none of the entries past k.
///
/// **Models:** `gumbel_argmin`, `gumbel_top_m`, `bernoulli_coins`, `gumbel_threshold`,
/// `uniform_one`, `uniform_m`, `recurse_all`, `recurse_none`.
template <class P, class S = sampler>
concept RecursionPolicy = Sampler<S> && (requires(const P& p, std::span<const double> x, S& s) {
  { p.select(x, s) } -> std::same_as<selection>;
} || requires(const P& p, double x, S& s) {
  { p.select(x, x, s) } -> std::same_as<selection>;
});

/// Policy `p`'s selection for the round whose subquestions have the adversary's `scores`:
/// `p.select(scores, rng)`, or for a policy written for splits of two `p.select(s1, s2, rng)`
/// (`aida::error` for a round of another size).
template <class P, Sampler S>
  requires RecursionPolicy<P, S>
[[nodiscard]] selection select_subquestions(const P& p, std::span<const double> scores, S& rng) {
  if constexpr (requires { { p.select(scores, rng) } -> std::same_as<selection>; }) {
    return p.select(scores, rng);
  } else {
    detail::require_round_of_two(scores.size(), "the recursion policy", "select(s1, s2, rng)",
                                 "select(std::span<const double>, Sampler&)");
    return p.select(scores[0], scores[1], rng);
  }
}

/// Policy `p`'s selection for a round of two subquestions with the adversary's scores `s1`, `s2`.
template <class P, Sampler S>
  requires RecursionPolicy<P, S>
[[nodiscard]] selection select_subquestions(const P& p, double s1, double s2, S& rng) {
  const double scores[2] = {s1, s2};
  return select_subquestions(p, std::span<const double>(scores, 2), rng);
}

/// \concept QuestionSource
/// Where the questions of episodes come from (spec §6).
///
/// **Minimal complete definition:** `src.next(rng) -> Q`.
///
/// **Models:** each task's generator; `aida::adversarial_source`.
template <class G, class Q, class S = sampler>
concept QuestionSource = Sampler<S> && requires(G& g, S& s) {
  { g.next(s) } -> std::convertible_to<Q>;
};

}  // namespace aida
