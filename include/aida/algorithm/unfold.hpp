#pragma once
/// \file
/// `aida::unfold`: ML's own tree for a question (spec §7), the object that the audit
/// searches and that the exporters draw.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aida/algorithm/detail/path.hpp"
#include "aida/algorithm/detail/record.hpp"
#include "aida/algorithm/detail/rollback.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/static_checks.hpp"

namespace aida {

/// Options of `aida::unfold` (the depth is a parameter of its own).
struct unfold_options {
  /// Fan-in rounds at a node before ML's own answer to its question is used (spec §2
  /// step 5 asks again while the fan-in move is a split; this bounds it, as `max_rounds`
  /// of spec §8 does for amplification).
  std::size_t max_rounds = 4;
  /// The tree may hold at most this many nodes; a larger one is an error (with both
  /// subquestions expanded at every round, a tree has up to (2·max_rounds)^max_depth nodes).
  std::size_t max_nodes = std::size_t{1} << 20;
  /// Moves and answers by greedy decoding (ML's most likely reasoning, deterministic);
  /// `false` draws them from ML with the sampler.
  bool greedy = true;

  /// Throws `invalid_options` naming the field when the options cannot work.
  void validate() const {
    if (max_rounds == 0) throw invalid_options("aida::unfold_options::max_rounds must be at least 1");
    if (max_nodes == 0) throw invalid_options("aida::unfold_options::max_nodes must be at least 1");
  }
};

/// ML's unfolded tree: an `aida::episode` (so that the exporters and the audit read it
/// like any episode) with the adversary's score of every node's question.
///
/// Every node and every answer in it was produced by the model: nodes are answered by
/// `producer::model`, subquestions by `producer::recursion`; it has no training targets
/// and no overseer calls.
template <class Q, class A, class O>
struct unfolded : episode<Q, A, O> {
  /// `scores[n] = Adv(Q_n, ML(Q_n))` for node n: the adversary's prediction of how good
  /// ML's answer to the node's question is (higher is better, spec §1). The scores of a
  /// round's subquestions (`fan_in_round::scores`) are those of its children.
  std::vector<double> scores;

  /// Empties the record but keeps the capacity of its vectors.
  void clear() noexcept {
    episode<Q, A, O>::clear();
    scores.clear();
  }
};

/// The unfolded tree type for codec `C` and model `M`.
template <class C, class M>
using unfolded_for = unfolded<codec_question_t<C>, codec_answer_t<C>, model_output_t<M, codec_question_t<C>>>;

namespace detail {

/// ML's tree for a question (spec §7), walked depth first with an explicit stack, as
/// `amplifier` walks an episode: each node on the path from the root has a frame (in
/// `scratch_path`) with ML's output for its question, so that the tree's depth is not on
/// the call stack. The calls to ML and Adv and the sampler's
/// draws come in the order of the recursion (depth first, the first subquestion first).
template <class T, class M, class V, class C, class S>
class unfolder {
  using Q = typename T::question_type;
  using A = typename T::answer_type;
  using O = typename T::output_type;

  /// Where a node's step is (`path_frame::step`).
  enum : std::uint8_t {
    next_round,    ///< its fan-out or last fan-in move is made: answer, or start a round
    subquestions,  ///< in a round: unfold subquestion `path_frame::next`, then fan in
  };

 public:
  unfolder(T& t, M& ml, V& adv, const C& codec, std::size_t max_depth, S& rng, const unfold_options& opt)
      : t_(t), ml_(ml), adv_(adv), codec_(codec), max_depth_(max_depth), rng_(rng), opt_(opt) {}

  /// ML's tree below `question`; returns the root's index. The depth is bounded by
  /// `max_depth`, like amplification's.
  std::size_t run(const Q& question) {
    open(question, no_node);
    while (!path_.empty()) {
      const std::size_t k = path_.size() - 1;
      if (path_[k].step == next_round) start_round(k);
      else settle_subquestions(k);
    }
    return 0;
  }

 private:
  /// A new node for `q` below `parent`: its frame, `Adv(Q, ML(Q))`, and its fan-out, unless
  /// the depth limit answers it first.
  void open(const Q& q, std::size_t parent) {
    if (t_.nodes.size() == opt_.max_nodes)
      throw error("aida::unfold: the tree exceeds max_nodes = " + std::to_string(opt_.max_nodes) +
                  " nodes; lower max_depth or max_rounds, or raise max_nodes");
    const std::size_t n = t_.nodes.size();
    const std::size_t depth = parent == no_node ? 0 : t_.nodes[parent].depth + 1;
    {
      tree_node<Q, A> node;
      node.question = q;
      node.depth = depth;
      node.parent = parent;
      node.answered_by = producer::model;
      node.fan_out_by = producer::model;
      t_.nodes.push_back(std::move(node));
    }
    ++t_.counts.nodes;
    t_.counts.depth_reached = std::max(t_.counts.depth_reached, depth);
    const std::size_t k = path_.size();
    path_frame<O>& f = path_.push();
    f.node = n;
    f.step = next_round;
    on_path_.push(t_.nodes, n, path_.size());

    // Adv(Q, ML(Q)): the score the audit is guided by (spec §7).
    const Q& question = t_.nodes[n].question;
    const O& own = f.output.emplace(ml_.predict(question));
    ++t_.counts.model_calls;
    const double score = static_cast<double>(adv_.score(question, own));
    ++t_.counts.adversary_calls;
    if (!std::isfinite(score))
      throw error("aida::unfold: the adversary's score is " + std::to_string(score) + " for question " +
                  describe(question));
    t_.scores.push_back(score);

    if (depth >= max_depth_) {  // the depth limit: ML's own answer, as H(Q) is in spec §8
      ++t_.counts.fallbacks.depth_limit;
      return finish(k, draw(own), node_end::depth_limit);
    }

    // m ← ML_fan_out(Q), through the codec (spec §1).
    std::optional<Move<Q, A>> m = ask_move(codec_.fan_out_question(question), n);
    if (!m) return finish(k, draw(own), node_end::malformed_move);
    t_.nodes[n].fan_out = std::move(*m);
  }

  /// Node k's move is made: its answer if it is one; otherwise a new round, unless the round
  /// limit answers it.
  void start_round(std::size_t k) {
    const std::size_t n = path_[k].node;
    const std::size_t last = path_[k].round;
    const Move<Q, A>& m = last == no_node ? *t_.nodes[n].fan_out : *t_.rounds[last].move;
    if (!m.is_split()) {
      const node_end end = t_.nodes[n].round_count == 0 ? node_end::fan_out_answer : node_end::fan_in_answer;
      return finish(k, m.get_answer(), end);
    }
    if (t_.nodes[n].round_count == opt_.max_rounds) {
      ++t_.counts.fallbacks.round_limit;
      return finish(k, draw(*path_[k].output), node_end::round_limit);
    }
    Split<Q> s = m.get_split();  // before the rounds grow
    const std::size_t r = t_.rounds.size();
    t_.rounds.emplace_back();
    (last == no_node ? t_.nodes[n].first_round : t_.rounds[last].next_round) = r;
    ++t_.nodes[n].round_count;
    ++t_.counts.rounds;
    t_.rounds[r].questions = std::move(s);
    t_.rounds[r].answers.resize(t_.rounds[r].questions.size());
    t_.rounds[r].move_by = producer::model;
    path_[k].round = r;
    path_[k].next = 0;
    path_[k].step = subquestions;
  }

  /// Node k is in a round: its k subquestions are unfolded, one after the other (this is
  /// ML's whole tree, not a sampled path); then m ← ML_fan_in(Q, (SQ1, A1), ..., (SQk, Ak))
  /// (spec §2 step 5, with ML in H's place).
  void settle_subquestions(std::size_t k) {
    const std::size_t n = path_[k].node;
    const std::size_t r = path_[k].round;
    const auto& round = t_.rounds[r];
    if (path_[k].next < round.questions.size())  // the child's answer comes back through `finish`
      return open(round.questions[path_[k].next], n);
    bounded_vector<Subanswer<Q, A>, max_subquestions> subs;
    for (std::size_t i = 0; i < round.questions.size(); ++i)
      subs.push_back(Subanswer<Q, A>{round.questions[i], round.answers[i]});
    std::optional<Move<Q, A>> m = ask_move(
        fan_in_question_of(codec_, t_.nodes[n].question, std::span<const Subanswer<Q, A>>(subs.data(), subs.size())), n);
    if (!m) return finish(k, draw(*path_[k].output), node_end::malformed_move);
    t_.rounds[r].move = std::move(*m);
    path_[k].step = next_round;
  }

  A draw(const O& o) { return opt_.greedy ? A(ml_.greedy(o)) : A(ml_.sample(o, rng_)); }

  /// ML's move for a coded query; `nullopt` (counted as malformed) when it does not decode
  /// or splits into node n's question or an ancestor's (which would never terminate).
  std::optional<Move<Q, A>> ask_move(const Q& coded, std::size_t n) {
    const O o = ml_.predict(coded);
    ++t_.counts.model_calls;
    std::optional<Move<Q, A>> m = decode_move(codec_, t_.nodes[n].question, draw(o));
    if (m && m->is_split() &&
        (on_path_.repeated(m->get_split(), n, t_.nodes) != no_node || m->get_split().size() < 2 ||
         !codec_takes<C>(m->get_split().size())))
      m.reset();
    if (!m) ++t_.counts.fallbacks.malformed_moves;
    return m;
  }

  /// Node k has its answer: its frame leaves the path, and its parent (if any) takes the
  /// answer and score for the subquestion.
  void finish(std::size_t k, A answer, node_end end) {
    const std::size_t n = path_[k].node;
    on_path_.pop(t_.nodes, n);
    path_.pop();
    auto& node = t_.nodes[n];
    node.answer = std::move(answer);
    node.end = end;
    if (path_.empty()) return;
    path_frame<O>& parent = path_.top();
    auto& round = t_.rounds[parent.round];
    round.answers[parent.next] = *node.answer;
    round.answered_by[parent.next] = producer::recursion;
    round.scores[parent.next] = t_.scores[n];
    round.recursed[parent.next] = true;
    round.child[parent.next] = n;
    ++parent.next;
  }

  T& t_;
  M& ml_;
  V& adv_;
  const C& codec_;
  std::size_t max_depth_;
  S& rng_;
  const unfold_options& opt_;
  frame_stack<path_frame<O>> path_{t_.scratch_path};
  path_questions<Q> on_path_;
};

}  // namespace detail

/// Unfolds ML's own tree for `question` (spec §7) into `out`, reusing its storage.
///
/// At each node: `m ← ML_fan_out(Q)` through the codec; while `m` is a split, its k
/// subquestions are unfolded (to `max_depth`) and `m ← ML_fan_in(Q, (SQ1,A1), ..., (SQk,Ak))`
/// with the children's answers, for at most `options.max_rounds` rounds. A node at depth
/// `max_depth`, a malformed move (one that does not decode, or a split that repeats the
/// question or an ancestor's) and a node past the round limit are answered by ML's own
/// answer `ML(Q)`; each is counted in `out.counts.fallbacks`. Every node records the
/// adversary's score `Adv(Q, ML(Q))` in `out.scores`. The tree is walked without
/// recursion, so any `max_depth` costs memory in proportion to the tree and no call stack.
///
/// Throws `invalid_options` for unusable options, `aida::error` for a non-finite score or
/// a tree larger than `options.max_nodes`; exceptions of the model or adversary
/// propagate. On any exception `rng` is restored and `out` is left empty. `out` is an
/// `unfolded_for<C, M>`; `question` converts to the codec's question type. (The parameters
/// are unconstrained so that a misplaced argument is named, as in `amplify_into`.)
template <class Out, class M, class V, class C, class S, class Question = checks::question_argument_t<C>>
void unfold_into(Out& out, const Question& question, M& ml, V& adv, const C& codec, std::size_t max_depth,
                 S& rng, const unfold_options& options = {}) {
  if constexpr (checks::model_procedure_arguments<unfolded_for, Out, Question, M, V, C, S>()) {
    options.validate();
    detail::fill_or_roll_back(rng, out, [&] {
      detail::unfolder<Out, M, V, C, S> run(out, ml, adv, codec, max_depth, rng, options);
      const std::size_t root = run.run(question);
      out.answer = out.nodes[root].answer;
    });
  }
}

/// Unfolds ML's own tree for `question` to `max_depth` (spec §7) and returns it, an
/// `unfolded_for<C, M>`. See `unfold_into`.
template <class M, class V, class C, class S, class Question = checks::question_argument_t<C>>
auto unfold(const Question& question, M& ml, V& adv, const C& codec, std::size_t max_depth, S& rng,
            const unfold_options& options = {}) {
  if constexpr (checks::model_procedure_arguments<unfolded_for, void, Question, M, V, C, S>()) {
    unfolded_for<C, M> out;
    unfold_into(out, question, ml, adv, codec, max_depth, rng, options);
    return out;
  }
}

}  // namespace aida
