#pragma once
/// \file
/// The record of one amplification or distillation episode: the tree that was built,
/// the training targets it produced, the loss values of spec §2 and the counts of §8–§9.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "aida/core/move.hpp"

namespace aida {

/// Who produced an answer or a move.
enum class producer : std::uint8_t {
  overseer,   ///< a call that reached the overseer H
  recursion,  ///< a recursive amplification of the subquestion
  model,      ///< a draw from ML (including H′ deferring to ML)
};

/// Which of ML's three uses (spec §1) a training target is for.
enum class target_kind : std::uint8_t {
  answer,   ///< answering a question outright
  fan_out,  ///< the fan-out move of a question
  fan_in    ///< the fan-in move of a question with its two subanswers
};

/// How a node of the tree got its answer.
enum class node_end : std::uint8_t {
  fan_out_answer,     ///< the fan-out move was an answer
  fan_in_answer,      ///< a fan-in round returned an answer
  depth_limit,        ///< at `max_depth`, answered by `H(Q)` (spec §8)
  round_limit,        ///< past `max_rounds`, answered by `H(Q)` (spec §8)
  overseer_budget,    ///< past `max_overseer_calls`, ML answered (spec §8)
  malformed_move,     ///< ML's move did not decode or repeated a question; ML answered
};

/// Form of the adversary loss (spec §2; squared is the default, **reconstructed**).
enum class adversary_loss : std::uint8_t {
  squared,   ///< `(Adv + L)²`
  absolute   ///< `|Adv + L|`
};

/// A (query, target) example for ML's −log-likelihood loss. Built by the procedures from
/// the overseer's decompositions; ground truth has no path into it (see `aida::label`).
template <class Q, class A>
struct model_target {
  Q query;                                 ///< what ML is asked (encoded by the codec)
  A target;                                ///< what ML should answer
  target_kind kind = target_kind::answer;  ///< which of ML's uses the example is for
  double loss = 0;  ///< −log ML(target | query) when the episode was recorded
};

/// A (query, model output, target) example for the adversary's regression: the target is
/// −L, the negated loss of ML on the matching model target (spec §2), and `form` the loss
/// the adversary is trained on, `(Adv + L)²` or `|Adv + L|`
/// (`amplify_options::adversary_loss_form`, recorded here so that it reaches training).
template <class Q, class O>
struct adversary_target {
  Q query;   ///< the query of the matching model target
  O output;  ///< ML's output on `query`, which the adversary scores
  double target = 0;      ///< −L_ML
  double prediction = 0;  ///< Adv(query, output) when recorded
  target_kind kind = target_kind::answer;  ///< the kind of the matching model target
  adversary_loss form = adversary_loss::squared;  ///< the adversary's loss on this target
};

/// Overseer calls by kind (spec §9).
struct overseer_calls {
  std::size_t answer = 0;   ///< `answer` calls (a question answered outright)
  std::size_t fan_out = 0;  ///< `fan_out` calls
  std::size_t fan_in = 0;   ///< `fan_in` calls
  /// All calls, of every kind.
  [[nodiscard]] std::size_t total() const noexcept { return answer + fan_out + fan_in; }
  /// Adds `o`'s counts, kind by kind.
  overseer_calls& operator+=(const overseer_calls& o) noexcept {
    answer += o.answer, fan_out += o.fan_out, fan_in += o.fan_in;
    return *this;
  }
  /// Equal when every count is.
  friend bool operator==(const overseer_calls&, const overseer_calls&) = default;
};

/// Every budget fallback and malformed move (spec §8).
struct fallback_counts {
  std::size_t depth_limit = 0;      ///< nodes answered by `H(Q)` at `max_depth`
  std::size_t round_limit = 0;      ///< nodes answered by `H(Q)` past `max_rounds`
  std::size_t overseer_budget = 0;  ///< questions ML answered past `max_overseer_calls`
  std::size_t malformed_moves = 0;  ///< ML's malformed moves, each replaced by a fallback
  /// Equal when every count is.
  friend bool operator==(const fallback_counts&, const fallback_counts&) = default;
};

/// The counts of an episode.
struct episode_counts {
  overseer_calls overseer;  ///< calls that reached the overseer H, by kind (spec §9)
  /// Calls the overseer answered from ML instead of H: the primed overseer H′'s deferrals
  /// (spec §4), by kind. `overseer + deferred` is every decision an overseer was asked for.
  overseer_calls deferred;
  /// Decisions of H taken from a cache of answers already paid for (`aida::cached_overseer`),
  /// by kind: not overseer calls, and not counted against `max_overseer_calls`.
  overseer_calls cached;
  std::size_t model_calls = 0;      ///< `predict` evaluations (one per question)
  std::size_t adversary_calls = 0;  ///< `score` evaluations
  std::size_t depth_reached = 0;    ///< deepest node's depth (the root is depth 0)
  std::size_t nodes = 0;            ///< nodes of the tree
  std::size_t rounds = 0;           ///< fan-in rounds, over all nodes
  fallback_counts fallbacks;        ///< budget fallbacks and malformed moves (spec §8)
  /// Equal when every count is.
  friend bool operator==(const episode_counts&, const episode_counts&) = default;
};

/// Loss values of spec §2 summed over the episode's targets, with their counts, so that
/// means and totals can both be reported.
struct episode_losses {
  double ml[3] = {0, 0, 0};   ///< Σ L_ML, indexed by `target_kind`
  double adv[3] = {0, 0, 0};  ///< Σ L_Adv, indexed by `target_kind`
  std::size_t count[3] = {0, 0, 0};  ///< number of targets, indexed by `target_kind`

  /// Σ L_ML over every kind.
  [[nodiscard]] double ml_total() const noexcept { return ml[0] + ml[1] + ml[2]; }
  /// Σ L_Adv over every kind.
  [[nodiscard]] double adv_total() const noexcept { return adv[0] + adv[1] + adv[2]; }
  /// Number of targets of every kind.
  [[nodiscard]] std::size_t targets() const noexcept { return count[0] + count[1] + count[2]; }
};

/// Sentinel for "no node".
inline constexpr std::size_t no_node = static_cast<std::size_t>(-1);

namespace detail {

/// One node on the path from the root to the node a procedure is working on. `amplify` and
/// `unfold` walk a tree depth first with an explicit stack of these (in the episode, so that
/// a reused episode allocates nothing) instead of recursing, so that a tree of any depth
/// takes memory, not call stack. The frame at index k is the node at depth k.
template <class O>
struct path_frame {
  std::size_t node = no_node;   ///< the node
  std::size_t round = no_node;  ///< its current fan-in round; `no_node` before the first
  /// Nodes on the path from the root down to this one that a model's split made (amplify:
  /// tells a model's cycle from an overseer's, spec §8).
  std::size_t model_splits = 0;
  double score = 0;             ///< Adv's score for the node's question, NaN if not known (amplify)
  std::optional<O> output;      ///< ML's output for the node's question, if known
  std::optional<O> sub_outputs[max_subquestions];  ///< ML's outputs for the current round's subquestions (amplify)
  std::uint8_t sub_count = 0;   ///< how many of `sub_outputs` the current round uses (amplify)
  std::uint8_t step = 0;        ///< where the procedure is at this node (its own numbering)
  std::uint8_t next = 0;        ///< the subquestion of the current round to settle next (k: all done)
  producer split_by = producer::overseer;  ///< who made the split of the current round

  /// A frame with the default values. (User-provided, so that a new slot is not first zeroed
  /// whole: it holds an optional output per possible subquestion.)
  path_frame() noexcept {}

  /// Back to the default values, releasing the outputs (cheaper than assigning a new frame).
  void reset() noexcept {
    node = round = no_node;
    model_splits = 0;
    score = 0;
    output.reset();
    for (std::size_t i = 0; i < sub_count; ++i) sub_outputs[i].reset();
    sub_count = 0;
    step = next = 0;
    split_by = producer::overseer;
  }
};

}  // namespace detail

/// One fan-in round at a node (spec §2 steps 3–5): the k subquestions, their answers,
/// who produced each, the adversary's scores, which were recursed on, and the fan-in move.
/// The per-subquestion arrays are indexed like `questions` (entries past its size unused).
template <class Q, class A>
struct fan_in_round {
  Split<Q> questions;  ///< the subquestions
  bounded_vector<A, max_subquestions> answers;  ///< their answers, one per subquestion
  std::array<producer, max_subquestions> answered_by = detail::filled(producer::model);  ///< who produced each answer
  double scores[max_subquestions] = {};         ///< the adversary's score of each subquestion
  bool recursed[max_subquestions] = {};         ///< whether each subquestion was recursed on
  std::array<std::size_t, max_subquestions> child = detail::filled(no_node);  ///< node index of each recursion, if any

  /// An empty round. (User-provided, so that `rounds.emplace_back()` constructs only what the
  /// members' initialisers say, rather than first zeroing every slot of every array.)
  fan_in_round() noexcept {}

  /// The number of subquestions k.
  [[nodiscard]] std::size_t size() const noexcept { return questions.size(); }
  std::optional<Move<Q, A>> move;             ///< the fan-in move (absent on a fallback)
  producer move_by = producer::overseer;      ///< who produced the fan-in move
  std::size_t next_round = no_node;           ///< the same node's next round
};

/// One node of the tree: a question, its depth, its fan-out move, its rounds, its answer.
template <class Q, class A>
struct tree_node {
  Q question;                    ///< the node's question
  std::size_t depth = 0;         ///< the root is depth 0
  std::size_t parent = no_node;  ///< index of the parent node (`no_node` for the root)
  std::optional<Move<Q, A>> fan_out;  ///< absent when the node never fanned out
  producer fan_out_by = producer::overseer;  ///< who produced the fan-out move
  std::size_t first_round = no_node;  ///< index into `episode::rounds`, chained by `next_round`
  std::size_t round_count = 0;                ///< number of fan-in rounds
  std::optional<A> answer;                    ///< the node's answer
  producer answered_by = producer::overseer;  ///< who produced the answer
  node_end end = node_end::fan_out_answer;    ///< how the node got its answer

  /// A node with the default values. (User-provided, so that `nodes.emplace_back()` does not
  /// first zero the whole node, its fan-out move's inline split included.)
  tree_node() noexcept(std::is_nothrow_default_constructible_v<Q>) : question() {}
};

/// Everything one episode produced. Nodes are stored flat in creation order (the root is
/// node 0); rounds are stored flat and chained per node, so a reused episode allocates
/// nothing once its vectors have grown.
template <class Q, class A, class O>
struct episode {
  using question_type = Q;  ///< the codec's question type
  using answer_type = A;    ///< the codec's answer type
  using output_type = O;    ///< ML's output type, which the adversary scores

  std::optional<A> answer;  ///< the root's answer
  std::vector<tree_node<Q, A>> nodes;                     ///< the tree, root first
  std::vector<fan_in_round<Q, A>> rounds;                 ///< every node's fan-in rounds
  std::vector<model_target<Q, A>> model_targets;          ///< ML's training examples
  std::vector<adversary_target<Q, O>> adversary_targets;  ///< the adversary's examples
  episode_counts counts;                                  ///< calls, nodes, fallbacks
  episode_losses losses;                                  ///< spec §2's losses, summed

  /// Working storage of the procedures (the path from the root to the node being worked
  /// on, with ML's outputs and Adv's scores along it), kept here so that a reused episode
  /// allocates nothing. Not part of the record; between calls it holds only reset frames (no
  /// outputs), which the next call reuses.
  std::vector<detail::path_frame<O>> scratch_path;

  /// Empties the record but keeps the capacity of its vectors.
  void clear() noexcept {
    answer.reset();
    nodes.clear();
    rounds.clear();
    model_targets.clear();
    adversary_targets.clear();
    counts = {};
    losses = {};
    // scratch_path keeps its frames: they are reset, and the next call reuses them.
  }

  /// Calls `f(round)` for each fan-in round of node `n`, in order.
  template <class F>
  void for_each_round(std::size_t n, F&& f) const {
    for (std::size_t r = nodes[n].first_round; r != no_node; r = rounds[r].next_round) f(rounds[r]);
  }
};

}  // namespace aida
