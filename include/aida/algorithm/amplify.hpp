#pragma once
/// \file
/// `aida::amplify`: one amplification episode (spec §2) with the budgets of spec §8.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "aida/algorithm/detail/path.hpp"
#include "aida/algorithm/detail/record.hpp"
#include "aida/algorithm/detail/rollback.hpp"
#include "aida/algorithm/options.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/static_checks.hpp"

namespace aida {

namespace detail {

/// False for policies that declare `static constexpr bool uses_scores = false` (those that
/// ignore the adversary, so that the procedure need not ask it).
template <class P>
constexpr bool policy_uses_scores() {
  if constexpr (requires { P::uses_scores; }) return static_cast<bool>(P::uses_scores);
  else return true;
}

/// Converts to a T made from what `f()` returns, by calling it: `opt.emplace(from_call<T>(f))`
/// constructs the result in the optional's own storage, with no copy when `f` returns a T. A
/// move that the overseer has just written a field at a time and that is then copied as a
/// block is read back before the processor can forward it from its stores (a stall that cost
/// splits of two a tenth of an episode, benchmarks/README.md).
template <class T, class F>
struct call_result {
  F f;  ///< the call
  operator T() { return f(); }  // NOLINT(google-explicit-constructor): the point of the type
};

/// `call_result<T, F>{f}`.
template <class T, class F>
call_result<T, F> from_call(F f) {
  return {std::move(f)};
}

/// Predicts ML's outputs for the k subquestions of a round into `outputs[0..k)`, batched when
/// the model offers `predict_batch` (an optional member of the Model concept).
template <class M, class Q, class O>
void predict_round(M& ml, const Split<Q>& s, std::optional<O>* outputs) {
  if constexpr (requires(std::span<const Q> qs) { ml.predict_batch(qs); }) {
    auto os = ml.predict_batch(s.questions());
    if (os.size() != s.size()) throw error("aida: the model's predict_batch returned a wrong number of outputs");
    for (std::size_t i = 0; i < s.size(); ++i) outputs[i].emplace(std::move(os[i]));
  } else {
    for (std::size_t i = 0; i < s.size(); ++i) outputs[i].emplace(ml.predict(s[i]));
  }
}

/// One amplification episode (spec §2, §8), walked depth first with an explicit stack.
///
/// Spec §2 is a recursion: step 4 runs amplification on a subquestion. A call per tree level
/// would put the tree's depth on the call stack, which the user's overseer decides (a chain
/// of a few thousand levels overflowed it); instead each node on the path from the root has
/// a frame (in `episode::scratch_path`) that says where its step is and holds ML's outputs
/// and Adv's score: for the node's question, from its parent's step 3, and for the
/// subquestions of its current round. The loop in `run` advances the deepest frame; a
/// recursion pushes a frame, a finished node pops its own and hands its answer to its
/// parent. The calls to H, ML and Adv and the sampler's draws come in the order of the
/// recursion.
template <class Ep, class H, class M, class V, class C, class P, class S>
class amplifier {
  using Q = typename Ep::question_type;
  using A = typename Ep::answer_type;
  using O = typename Ep::output_type;

  /// An overseer written for splits of two (`fan_in(q, s1, s2)`) only ever runs rounds of two:
  /// `usable` turns away every other split before a round starts. The round's size is then a
  /// constant, and the loops over it are the two statements they were before k-ary splits.
  static constexpr bool pairs_only = !fan_in_takes<H, Q, A, overseer_context<S>>(3);

  /// The number of subquestions of round `round`.
  template <class Round>
  static std::size_t size_of(const Round& round) noexcept {
    if constexpr (pairs_only) return 2;
    else return round.questions.size();
  }

  /// Where a node's step is (`path_frame::step`).
  enum : std::uint8_t {
    next_round,    ///< its fan-out or last fan-in move is made: answer, or start a round
    subquestions,  ///< in a round: settle subquestion `path_frame::next`, then fan in
  };

 public:
  amplifier(Ep& ep, H& h, M& ml, V& adv, const C& codec, const P& policy, S& rng,
            const amplify_options& opt)
      : ep_(ep), h_(h), ml_(ml), adv_(adv), codec_(codec), policy_(policy), rng_(rng), opt_(opt) {}

  /// Spec §2 steps 2–6 for `question` at the root, and for every node below it; returns the
  /// root's index.
  std::size_t run(const Q& question) {
    open(question, no_node, std::nullopt, std::numeric_limits<double>::quiet_NaN());
    while (!path_.empty()) {
      const std::size_t k = path_.size() - 1;
      if (path_[k].step == next_round) start_round(k);
      else settle_subquestions(k);
    }
    return 0;
  }

 private:
  /// A new node for `q` below `parent` (spec §2 step 2): its frame, then its fan-out, unless
  /// a budget answers it first. `known` and `known_score` are ML's output and Adv's score for
  /// `q` when the parent's step 3 computed them (NaN score: not computed); the node's answer
  /// target reuses them.
  void open(const Q& q, std::size_t parent, std::optional<O> known, double known_score) {
    const std::size_t n = ep_.nodes.size();
    const std::size_t k = path_.size();
    const std::size_t depth = k;  // the frame at index k is the node at depth k
    {
      tree_node<Q, A>& node = ep_.nodes.emplace_back();  // in place: a node is large (its fan-out move)
      node.question = q;
      node.depth = depth;
      node.parent = parent;
    }
    ++ep_.counts.nodes;
    ep_.counts.depth_reached = std::max(ep_.counts.depth_reached, depth);

    {
      path_frame<O>& f = path_.push();
      f.node = n;
      f.step = next_round;
      f.output = std::move(known);
      f.score = known_score;
      if (k > 0) {
        const path_frame<O>& up = path_[k - 1];
        f.model_splits = up.model_splits + (up.split_by == producer::model ? 1 : 0);
      }
    }
    on_path_.push(ep_.nodes, n, k + 1);

    if (depth >= opt_.max_depth) {  // spec §8: answered by H(Q), one call
      if (!budget_left()) return model_fallback(k, node_end::overseer_budget);
      ++ep_.counts.fallbacks.depth_limit;
      return overseer_answer(k, node_end::depth_limit);
    }
    if (!budget_left()) return model_fallback(k, node_end::overseer_budget);

    // Step 2: m ← H_fan_out(Q).
    tree_node<Q, A>& node = ep_.nodes[n];  // valid here: nothing is pushed on the nodes
    const Q& question = node.question;
    overseer_context<S> ctx{rng_, ep_.counts};
    node.fan_out.emplace(from_call<Move<Q, A>>([&] { return call_fan_out(h_, question, ctx); }));  // a new node: no move yet
    const Move<Q, A>& m = *node.fan_out;
    tally_of(ctx).fan_out += 1;
    node.fan_out_by = ctx.by;
    // A repeating split is checked before it is recorded: a model move through H′ that
    // repeats must not become a training target.
    if (!usable(m, ctx.by, k)) return model_fallback(k, node_end::malformed_move);
    record_target(ep_, ml_, adv_, codec_.fan_out_question(question), encode_move(codec_, question, m),
                  target_kind::fan_out, opt_.adversary_loss_form);
  }

  /// Node k's move is made: step 6 if it is an answer; otherwise a new round (step 3, and
  /// the policy's choice of step 4), unless the round limit answers it.
  void start_round(std::size_t k) {
    // References into the path and the nodes stay valid here: nothing is pushed on them.
    path_frame<O>& f = path_[k];
    tree_node<Q, A>& node = ep_.nodes[f.node];
    const std::size_t last = f.round;
    const Move<Q, A>& m = last == no_node ? *node.fan_out : *ep_.rounds[last].move;
    const producer by = last == no_node ? node.fan_out_by : ep_.rounds[last].move_by;
    if (!m.is_split()) {  // step 6
      const node_end end = node.round_count == 0 ? node_end::fan_out_answer : node_end::fan_in_answer;
      return finish(k, m.get_answer(), by, end, true);
    }
    if (node.round_count == opt_.max_rounds) {  // spec §8: answered by H(Q)
      if (!budget_left()) return model_fallback(k, node_end::overseer_budget);
      ++ep_.counts.fallbacks.round_limit;
      return overseer_answer(k, node_end::round_limit);
    }
    const std::size_t r = ep_.rounds.size();
    ep_.rounds.emplace_back();  // `m` may be a round's move: read it again below
    (last == no_node ? node.first_round : ep_.rounds[last].next_round) = r;
    ++node.round_count;
    ++ep_.counts.rounds;
    f.round = r;
    f.split_by = by;
    f.next = 0;
    f.step = subquestions;

    auto& round = ep_.rounds[r];
    round.questions = (last == no_node ? *node.fan_out : *ep_.rounds[last].move).get_split();
    const std::size_t k_sub = size_of(round);
    round.answers.resize(k_sub);
    // Step 3: O_i ← ML(SQ_i), S_i ← Adv(SQ_i, O_i).
    for (std::size_t i = 0; i < f.sub_count; ++i) f.sub_outputs[i].reset();
    f.sub_count = static_cast<std::uint8_t>(k_sub);
    double scores[max_subquestions];
    std::fill(scores, scores + k_sub, std::numeric_limits<double>::quiet_NaN());
    if constexpr (policy_uses_scores<P>()) {
      predict_round(ml_, round.questions, f.sub_outputs);
      ep_.counts.model_calls += k_sub;
      for (std::size_t i = 0; i < k_sub; ++i) scores[i] = checked_score(round.questions[i], *f.sub_outputs[i]);
    }
    // Step 4: the policy chooses the subquestions to recurse on.
    const selection sel = select_subquestions(policy_, std::span<const double>(scores, k_sub), rng_);
    for (std::size_t i = 0; i < k_sub; ++i) {
      round.scores[i] = scores[i];
      round.recursed[i] = sel.recurse[i];
    }
  }

  /// Node k is in a round: recurse on the next chosen subquestion (a new frame), or draw the
  /// answer of one not chosen from ML (step 4); when both have answers, step 5.
  void settle_subquestions(std::size_t k) {
    // References into the path and the rounds stay valid here until a child is opened.
    path_frame<O>& f = path_[k];
    auto& round = ep_.rounds[f.round];
    const std::size_t k_sub = size_of(round);
    while (f.next < k_sub) {
      const std::size_t i = f.next;
      const Q& sq = round.questions[i];
      std::optional<O>& o = f.sub_outputs[i];
      if (round.recursed[i]) {  // the child's answer comes back through `finish`
        std::optional<O> known = std::move(o);
        return open(sq, f.node, std::move(known), round.scores[i]);
      }
      if (!o) {
        o.emplace(ml_.predict(sq));
        ++ep_.counts.model_calls;
      }
      round.answers[i] = draw(*o);
      round.answered_by[i] = producer::model;
      ++f.next;
    }
    // Step 5: m ← H_fan_in(Q, (SQ1, A1), ..., (SQk, Ak)).
    if (!budget_left()) return model_fallback(k, node_end::overseer_budget);
    const Q& question = ep_.nodes[f.node].question;
    bounded_vector<Subanswer<Q, A>, max_subquestions> subs;
    overseer_context<S> ctx{rng_, ep_.counts};
    for (std::size_t i = 0; i < k_sub; ++i) {
      subs.push_back(Subanswer<Q, A>{round.questions[i], round.answers[i]});
      ctx.subanswer_by[i] = round.answered_by[i];
    }
    const std::span<const Subanswer<Q, A>> sub_span(subs.data(), subs.size());
    round.move.emplace(from_call<Move<Q, A>>([&] { return call_fan_in(h_, question, sub_span, ctx); }));  // a new round: no move yet
    const Move<Q, A>& m = *round.move;
    tally_of(ctx).fan_in += 1;
    round.move_by = ctx.by;
    f.step = next_round;
    if (!usable(m, ctx.by, k)) return model_fallback(k, node_end::malformed_move);
    record_target(ep_, ml_, adv_, fan_in_question_of(codec_, question, sub_span), encode_move(codec_, question, m),
                  target_kind::fan_in, opt_.adversary_loss_form);
  }

  [[nodiscard]] bool budget_left() const noexcept {
    return ep_.counts.overseer.total() < opt_.max_overseer_calls;
  }

  A draw(const O& o) { return opt_.greedy_subanswers ? A(ml_.greedy(o)) : A(ml_.sample(o, rng_)); }

  /// False for a split that repeats node k's question or an ancestor's (spec §8): an error
  /// of the overseer (thrown, naming both questions), or a malformed move of ML (through
  /// H′, counted; the caller then lets ML answer). An overseer's split that repeats an
  /// ancestor only because a model's split (through H′) on the way down led away from it
  /// and back is the model's malformed move too: H′ accepted ML's split of a question into
  /// one that H decomposes back into the question.
  bool usable(const Move<Q, A>& m, producer by, std::size_t k) {
    if (!m.is_split()) return true;
    const std::size_t n = path_[k].node;
    if (const std::size_t size = m.get_split().size(); const char* problem = arity_problem(size)) {
      if (by == producer::overseer)
        throw overseer_error("aida: the overseer split question " + describe(ep_.nodes[n].question) + " into " +
                             std::to_string(size) + (size == 1 ? " subquestion" : " subquestions") + problem);
      ++ep_.counts.fallbacks.malformed_moves;
      return false;
    }
    // With pairs_only, arity_problem has turned away every split but one of two.
    const std::size_t repeated = on_path_.template repeated<pairs_only>(m.get_split(), n, ep_.nodes);
    if (repeated == no_node) return true;
    if (by == producer::overseer && !model_split_between(repeated, k)) {
      const Q& q = ep_.nodes[n].question;
      throw overseer_error("aida: the overseer split question " + describe(q) +
                           " into a subquestion that repeats " +
                           (repeated == n ? std::string("the question itself")
                                          : "its ancestor " + describe(ep_.nodes[repeated].question)) +
                           " (spec §8: this would never terminate)");
    }
    ++ep_.counts.fallbacks.malformed_moves;
    return false;
  }

  /// Why a round of `size` subquestions cannot be run (null if it can): fewer than two, or an
  /// overseer, policy or codec written for splits of two (the optional binary forms).
  static const char* arity_problem(std::size_t size) noexcept {
    if (size < 2) return " (a split has at least two)";
    if (size == 2) return nullptr;
    if (!fan_in_takes<H, Q, A, overseer_context<S>>(size))
      return ", and its fan_in takes two subanswers (fan_in(q, s1, s2)): give it fan_in(q, std::span<const Subanswer<Q, A>>)";
    if (!requires(const P& p, std::span<const double> x) { { p.select(x, std::declval<S&>()) }; })
      return ", and the recursion policy decides between two (select(s1, s2, rng)): give it select(std::span<const double>, S&)";
    if (!codec_takes<C>(size))
      return ", and the codec's fan_in_question takes two subanswers: give it fan_in_question(q, std::span<const Subanswer<Q, A>>)";
    return nullptr;
  }

  /// S = Adv(sq, o), checked to be a usable number (spec §2 step 3).
  double checked_score(const Q& sq, const O& o) {
    const double score = static_cast<double>(adv_.score(sq, o));
    ++ep_.counts.adversary_calls;
    if (!std::isfinite(score))
      throw error("aida: the adversary's score is " + std::to_string(score) + " for question " +
                  describe(sq));
    return score;
  }

  /// Whether one of the splits that made the nodes below `ancestor` (a node on the path) down
  /// to node k's came from a model: each frame counts the model's splits from the root.
  bool model_split_between(std::size_t ancestor, std::size_t k) const {
    return path_[k].model_splits > path_[ep_.nodes[ancestor].depth].model_splits;
  }

  /// Node k has its answer: its answer target (reusing ML's output and Adv's score from its
  /// parent's step 3), its record; its frame leaves the path, and its parent (if any) takes
  /// the answer for the subquestion it recursed on.
  void finish(std::size_t k, A answer, producer by, node_end end, bool target) {
    path_frame<O>& f = path_[k];
    const std::size_t n = f.node;
    std::optional<O> known = std::move(f.output);
    const double known_score = f.score;
    on_path_.pop(ep_.nodes, n);
    path_.pop();
    tree_node<Q, A>& node = ep_.nodes[n];
    if (target)
      record_target(ep_, ml_, adv_, node.question, answer, target_kind::answer, opt_.adversary_loss_form,
                    std::move(known), known_score);
    node.answer = std::move(answer);
    node.answered_by = by;
    node.end = end;
    if (k == 0) return;
    path_frame<O>& parent = path_[k - 1];
    auto& round = ep_.rounds[parent.round];
    const std::size_t i = parent.next;
    round.answers[i] = *node.answer;
    round.answered_by[i] = producer::recursion;
    round.child[i] = n;
    ++parent.next;
  }

  /// Past the overseer budget, or after a malformed move: ML answers (spec §8). Its own
  /// draw is no training signal, so no target is recorded.
  void model_fallback(std::size_t k, node_end end) {
    if (end == node_end::overseer_budget) ++ep_.counts.fallbacks.overseer_budget;
    std::optional<O>& own = path_[k].output;
    if (!own) {
      own.emplace(ml_.predict(ep_.nodes[path_[k].node].question));
      ++ep_.counts.model_calls;
    }
    A a = draw(*own);
    finish(k, std::move(a), producer::model, end, false);
  }

  void overseer_answer(std::size_t k, node_end end) {
    overseer_context<S> ctx{rng_, ep_.counts};
    A a = call_answer(h_, ep_.nodes[path_[k].node].question, ctx);
    tally_of(ctx).answer += 1;
    finish(k, std::move(a), ctx.by, end, true);
  }

  Ep& ep_;
  H& h_;
  M& ml_;
  V& adv_;
  const C& codec_;
  const P& policy_;
  S& rng_;
  const amplify_options& opt_;
  // The path (see the class comment), in the episode's storage, which the caller's reuse keeps.
  frame_stack<path_frame<O>> path_{ep_.scratch_path};
  path_questions<Q> on_path_;
};

}  // namespace detail

/// The episode type that `amplify` and `distill` produce for codec `C` and model `M`.
template <class C, class M>
using episode_for = episode<codec_question_t<C>, codec_answer_t<C>, model_output_t<M, codec_question_t<C>>>;

namespace detail {

/// Whether the arguments of `amplify` (and of `amplify_into`, whose `out` is `Out`; `void`
/// for none) model their concepts; each one that does not is named by a static_assert
/// (`aida/core/static_checks.hpp`).
template <class Out, class Question, class H, class M, class V, class C, class P, class S>
constexpr bool amplify_arguments() {
  if constexpr (!checks::codec_and_sampler<C, S>()) {
    return false;
  } else {
    using Q = codec_question_t<C>;
    using A = codec_answer_t<C>;
    constexpr bool question_ok = checks::question<Question, Q>(), h_ok = checks::overseer<H, Q, A>(),
                   policy_ok = checks::recursion_policy<P, S>();
    if constexpr (!checks::model_and_adversary<M, V, Q, A, S>()) return false;
    else return question_ok && h_ok && policy_ok && checks::out<Out, episode_for<C, M>>();
  }
}

}  // namespace detail

/// Runs one amplification episode (spec §2) on `question` into `out`, reusing its storage.
///
/// The overseer `h` decomposes; ML's outputs and the adversary's scores of the k
/// subquestions of each round go to `policy`, which chooses the subquestions to recurse on;
/// the others are answered by draws from ML. Every node yields its model targets, its
/// adversary targets and the loss values of spec §2; budgets and failures follow spec §8.
/// `out` is an `episode_for<C, M>`; `question` converts to the codec's question type.
///
/// The tree is walked without recursion: a tree of any depth (the overseer's to decide, up to
/// `options.max_depth`) costs memory in proportion to its nodes and no call stack.
///
/// Throws `overseer_error` for a split that repeats its question or an ancestor's,
/// `invalid_options` for unusable options, `aida::error` for a non-finite log-probability
/// or score; exceptions of the overseer, model or adversary propagate unchanged. On any
/// exception `rng` is restored to its state at entry and `out` is left empty.
///
/// The parameters are unconstrained so that an argument that does not model its concept (two
/// arguments swapped, say) is named by the first error the compiler prints, not lost in a
/// failed deduction.
template <class Out, class H, class M, class V, class C, class P, class S,
          class Question = checks::question_argument_t<C>>
void amplify_into(Out& out, const Question& question, H& h, M& ml, V& adv, const C& codec, const P& policy,
                  S& rng, const amplify_options& options = {}) {
  if constexpr (detail::amplify_arguments<Out, Question, H, M, V, C, P, S>()) {
    options.validate();
    detail::fill_or_roll_back(rng, out, [&] {
      detail::amplifier<Out, H, M, V, C, P, S> run(out, h, ml, adv, codec, policy, rng, options);
      const std::size_t root = run.run(question);
      out.answer = out.nodes[root].answer;
    });
  }
}

/// Runs one amplification episode (spec §2) and returns its record, an `episode_for<C, M>`.
/// See `amplify_into`; on an exception nothing visible to the caller has changed (the
/// sampler is restored).
template <class H, class M, class V, class C, class P, class S, class Question = checks::question_argument_t<C>>
auto amplify(const Question& question, H& h, M& ml, V& adv, const C& codec, const P& policy, S& rng,
             const amplify_options& options = {}) {
  if constexpr (detail::amplify_arguments<void, Question, H, M, V, C, P, S>()) {
    episode_for<C, M> out;
    amplify_into(out, question, h, ml, adv, codec, policy, rng, options);
    return out;
  }
}

}  // namespace aida
