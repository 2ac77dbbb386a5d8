#pragma once
/// \file
/// `aida::amplify`: one amplification episode (spec §2) with the budgets of spec §8.

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

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

/// Predicts ML's outputs for the two subquestions of a round, batched when the model
/// offers `predict_batch` (an optional member of the Model concept).
template <class M, class Q, class O>
void predict_pair(M& ml, const Split<Q>& s, std::optional<O> (&out)[2]) {
  if constexpr (requires(std::span<const Q> qs) { ml.predict_batch(qs); }) {
    const std::array<Q, 2> qs{s.first, s.second};
    auto os = ml.predict_batch(std::span<const Q>(qs));
    if (os.size() != 2) throw error("aida: the model's predict_batch returned a wrong number of outputs");
    out[0].emplace(std::move(os[0]));
    out[1].emplace(std::move(os[1]));
  } else {
    out[0].emplace(ml.predict(s.first));
    out[1].emplace(ml.predict(s.second));
  }
}

template <class Ep, class H, class M, class V, class C, class P, class S>
class amplifier {
  using Q = typename Ep::question_type;
  using A = typename Ep::answer_type;
  using O = typename Ep::output_type;

 public:
  amplifier(Ep& ep, H& h, M& ml, V& adv, const C& codec, const P& policy, S& rng,
            const amplify_options& opt)
      : ep_(ep), h_(h), ml_(ml), adv_(adv), codec_(codec), policy_(policy), rng_(rng), opt_(opt) {}

  /// Spec §2 steps 2–6 for `q` at `depth`; returns the node's index. `known` and
  /// `known_score` are ML's output and Adv's score for `q` when the parent computed them in
  /// its step 3 (NaN score: not computed); the node's answer target reuses them.
  std::size_t run(const Q& q, std::size_t depth, std::size_t parent, std::optional<O> known = std::nullopt,
                   double known_score = std::numeric_limits<double>::quiet_NaN()) {
    const std::size_t n = ep_.nodes.size();
    {
      tree_node<Q, A> node;
      node.question = q;
      node.depth = depth;
      node.parent = parent;
      ep_.nodes.push_back(std::move(node));
    }
    ++ep_.counts.nodes;
    ep_.counts.depth_reached = std::max(ep_.counts.depth_reached, depth);

    own_.emplace_back(std::move(known));  // this node's known output, until it finishes
    own_score_.push_back(known_score);
    if (depth >= opt_.max_depth) {  // spec §8: answered by H(Q), one call
      if (!budget_left()) return model_fallback(n, node_end::overseer_budget);
      ++ep_.counts.fallbacks.depth_limit;
      return overseer_answer(n, node_end::depth_limit);
    }
    if (!budget_left()) return model_fallback(n, node_end::overseer_budget);

    // Step 2: m ← H_fan_out(Q).
    overseer_context<S> ctx{rng_, ep_.counts};
    Move<Q, A> m = call_fan_out(h_, q, ctx);
    producer by = ctx.by;
    tally(by).fan_out += 1;
    ep_.nodes[n].fan_out = m;
    ep_.nodes[n].fan_out_by = by;
    // A repeating split is checked before it is recorded: a model move through H′ that
    // repeats must not become a training target.
    if (!usable(m, by, n)) return model_fallback(n, node_end::malformed_move);
    record_target(ep_, ml_, adv_, codec_.fan_out_question(q), encode_move(codec_, q, m), target_kind::fan_out,
                  opt_.adversary_loss_form);

    std::size_t rounds = 0;
    std::size_t prev = no_node;
    while (m.is_split()) {
      const Split<Q> s = m.get_split();
      if (rounds == opt_.max_rounds) {  // spec §8: answered by H(Q)
        if (!budget_left()) return model_fallback(n, node_end::overseer_budget);
        ++ep_.counts.fallbacks.round_limit;
        return overseer_answer(n, node_end::round_limit);
      }
      ++rounds;
      const std::size_t r = ep_.rounds.size();
      ep_.rounds.emplace_back();
      (prev == no_node ? ep_.nodes[n].first_round : ep_.rounds[prev].next_round) = r;
      prev = r;
      ++ep_.nodes[n].round_count;
      ++ep_.counts.rounds;

      // Step 3: O_i ← ML(SQ_i), S_i ← Adv(SQ_i, O_i).
      std::optional<O> o[2];
      double scores[2] = {std::numeric_limits<double>::quiet_NaN(),
                          std::numeric_limits<double>::quiet_NaN()};
      if constexpr (policy_uses_scores<P>()) {
        predict_pair(ml_, s, o);
        ep_.counts.model_calls += 2;
        scores[0] = checked_score(s.first, *o[0]);
        scores[1] = checked_score(s.second, *o[1]);
      }
      // Step 4: recurse on the chosen subquestions, draw the others from ML.
      const selection sel = policy_.select(scores[0], scores[1], rng_);
      A answers[2];
      producer who[2];
      std::size_t child[2] = {no_node, no_node};
      for (int i = 0; i < 2; ++i) {
        const Q& sq = i == 0 ? s.first : s.second;
        if (sel.recurse[i]) {
          child[i] = run(sq, depth + 1, n, std::move(o[i]), scores[i]);
          answers[i] = *ep_.nodes[child[i]].answer;
          who[i] = producer::recursion;
        } else {
          if (!o[i]) {
            o[i].emplace(ml_.predict(sq));
            ++ep_.counts.model_calls;
          }
          answers[i] = draw(*o[i]);
          who[i] = producer::model;
        }
      }
      {
        auto& round = ep_.rounds[r];
        round.questions = s;
        for (int i = 0; i < 2; ++i) {
          round.answers[i] = answers[i];
          round.answered_by[i] = who[i];
          round.scores[i] = scores[i];
          round.recursed[i] = sel.recurse[i];
          round.child[i] = child[i];
        }
      }
      // Step 5: m ← H_fan_in(Q, (SQ1, A1), (SQ2, A2)).
      if (!budget_left()) return model_fallback(n, node_end::overseer_budget);
      const Subanswer<Q, A> s1{s.first, std::move(answers[0])};
      const Subanswer<Q, A> s2{s.second, std::move(answers[1])};
      ctx.by = producer::overseer;
      m = call_fan_in(h_, q, s1, s2, ctx);
      by = ctx.by;
      tally(by).fan_in += 1;
      ep_.rounds[r].move = m;
      ep_.rounds[r].move_by = by;
      if (!usable(m, by, n)) return model_fallback(n, node_end::malformed_move);
      record_target(ep_, ml_, adv_, codec_.fan_in_question(q, s1, s2), encode_move(codec_, q, m),
                    target_kind::fan_in, opt_.adversary_loss_form);
    }
    // Step 6.
    return finish(n, m.get_answer(), by, rounds == 0 ? node_end::fan_out_answer : node_end::fan_in_answer,
                  true);
  }

 private:
  [[nodiscard]] bool budget_left() const noexcept {
    return ep_.counts.overseer.total() < opt_.max_overseer_calls;
  }

  A draw(const O& o) { return opt_.greedy_subanswers ? A(ml_.greedy(o)) : A(ml_.sample(o, rng_)); }

  /// False for a split that repeats node n's question or an ancestor's (spec §8): an error
  /// of the overseer (thrown, naming both questions), or a malformed move of ML (through
  /// H′, counted; the caller then lets ML answer). An overseer's split that repeats an
  /// ancestor only because a model's split (through H′) on the way down led away from it
  /// and back is the model's malformed move too: H′ accepted ML's split of a question into
  /// one that H decomposes back into the question.
  bool usable(const Move<Q, A>& m, producer by, std::size_t n) {
    if (!m.is_split()) return true;
    const Q* repeated = repeats(m.get_split(), n);
    if (!repeated) return true;
    if (by == producer::overseer && !model_split_between(*repeated, n)) {
      const Q& q = ep_.nodes[n].question;
      throw overseer_error("aida: the overseer split question " + describe(q) +
                           " into a subquestion that repeats " +
                           (repeated == &q ? std::string("the question itself")
                                           : "its ancestor " + describe(*repeated)) +
                           " (spec §8: this would never terminate)");
    }
    ++ep_.counts.fallbacks.malformed_moves;
    return false;
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

  /// Whether one of the splits that made the nodes from node n up to (not including) the
  /// ancestor whose question is `*ancestor` came from a model. Every such node is in the
  /// recursion now, so it was made by its parent's latest round, whose questions are the
  /// parent's fan-out move (first round) or the previous round's move.
  bool model_split_between(const Q& ancestor, std::size_t n) const {
    for (std::size_t c = n; c != no_node && &ep_.nodes[c].question != &ancestor; c = ep_.nodes[c].parent) {
      const std::size_t p = ep_.nodes[c].parent;
      if (p == no_node) break;
      producer made_by = ep_.nodes[p].fan_out_by;
      for (std::size_t r = ep_.nodes[p].first_round; r != no_node && ep_.rounds[r].next_round != no_node;
           r = ep_.rounds[r].next_round)
        made_by = ep_.rounds[r].move_by;
      if (made_by == producer::model) return true;
    }
    return false;
  }

  /// The question among `q` (node n's) and its ancestors that the split repeats, if any.
  const Q* repeats(const Split<Q>& s, std::size_t n) const {
    for (std::size_t a = n; a != no_node; a = ep_.nodes[a].parent) {
      const Q& x = ep_.nodes[a].question;
      if (s.first == x || s.second == x) return &ep_.nodes[a].question;
    }
    return nullptr;
  }

  std::size_t finish(std::size_t n, A answer, producer by, node_end end, bool target) {
    std::optional<O> known = std::move(own_.back());
    const double known_score = own_score_.back();
    own_.pop_back();
    own_score_.pop_back();
    if (target)
      record_target(ep_, ml_, adv_, ep_.nodes[n].question, answer, target_kind::answer,
                    opt_.adversary_loss_form, std::move(known), known_score);
    auto& node = ep_.nodes[n];
    node.answer = std::move(answer);
    node.answered_by = by;
    node.end = end;
    return n;
  }

  /// Past the overseer budget, or after a malformed move: ML answers (spec §8). Its own
  /// draw is no training signal, so no target is recorded.
  std::size_t model_fallback(std::size_t n, node_end end) {
    if (end == node_end::overseer_budget) ++ep_.counts.fallbacks.overseer_budget;
    if (!own_.back()) {
      own_.back().emplace(ml_.predict(ep_.nodes[n].question));
      ++ep_.counts.model_calls;
    }
    A a = draw(*own_.back());
    return finish(n, std::move(a), producer::model, end, false);
  }

  /// Where a call an overseer answered is counted: H's calls, or H′'s deferrals to ML.
  overseer_calls& tally(producer by) { return by == producer::overseer ? ep_.counts.overseer : ep_.counts.deferred; }

  std::size_t overseer_answer(std::size_t n, node_end end) {
    overseer_context<S> ctx{rng_, ep_.counts};
    const Q& q = ep_.nodes[n].question;
    A a = call_answer(h_, q, ctx);
    tally(ctx.by).answer += 1;
    return finish(n, std::move(a), ctx.by, end, true);
  }

  Ep& ep_;
  H& h_;
  M& ml_;
  V& adv_;
  const C& codec_;
  const P& policy_;
  S& rng_;
  const amplify_options& opt_;
  // Per node on the recursion path: ML's output and Adv's score for its question, if the
  // parent's step 3 computed them. Capacity is kept across episodes by the caller's reuse.
  std::vector<std::optional<O>>& own_ = ep_.scratch_outputs;
  std::vector<double>& own_score_ = ep_.scratch_scores;
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
/// The overseer `h` decomposes; ML's outputs and the adversary's scores of the two
/// subquestions of each round go to `policy`, which chooses the subquestions to recurse on;
/// the others are answered by draws from ML. Every node yields its model targets, its
/// adversary targets and the loss values of spec §2; budgets and failures follow spec §8.
/// `out` is an `episode_for<C, M>`; `question` converts to the codec's question type.
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
      const std::size_t root = run.run(question, 0, no_node);
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
