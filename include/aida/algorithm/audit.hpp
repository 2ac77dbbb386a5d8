#pragma once
/// \file
/// `aida::audit`: the adversary-guided search for a wrong step in ML's unfolded tree
/// (spec §7), with the breadth-first and random orders it is measured against.
///
/// **What the audit assumes.** It starts at a root whose answer is known (or suspected)
/// to be wrong, for example because an evaluator or a user flagged it. It has no oracle
/// that tells whether a node's *answer* is wrong: the only thing it may ask is a
/// *check*, the overseer's verdict on one node's *local step* (spec §7):
/// - is the node's fan-out what `H_fan_out` would do?
/// - for each fan-in round: is the move what `H_fan_in` would give from the children's
///   answers?
/// - for a node answered directly (at the depth limit, after a malformed move or past the
///   round limit): is its answer what `H` gives?
///
/// A node whose local step is wrong is a *fault*. If every local step below a node were
/// right, its answer would be what the overseer's decomposition gives, so a wrong root
/// implies a fault in the tree. The audit checks nodes one at a time, descending from the
/// root; when a node's step is right, the error must be below it, so its children become
/// candidates. The strategies differ only in the order of the candidates:
/// - `adversary_guided`: depth first, the child with the lowest adversary score first
///   (where Adv predicts ML is most wrong), backtracking when a subtree holds no fault.
///   With a perfect adversary it walks straight down to the fault: depth + 1 checks.
/// - `breadth_first`: level by level, the O(n) baseline of checking the whole tree.
/// - `random`: depth first with the children in a random order (the guided search with an
///   uninformative adversary).
///
/// Every strategy checks each node at most once and finds a fault if the tree has one.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "aida/algorithm/detail/record.hpp"
#include "aida/algorithm/unfold.hpp"
#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/static_checks.hpp"

namespace aida {

/// \concept Checker
/// An overseer that verifies one local step at a time (spec §7).
///
/// **Minimal complete definition:** `k.check_fan_out(q, m) -> bool` (is `m` what
/// `H_fan_out(q)` would do?), `k.check_fan_in(q, subs, m) -> bool` (is `m` what
/// `H_fan_in(q, subs)` would give?, `subs` a `std::span<const Subanswer<Q, A>>`) and
/// `k.check_answer(q, a) -> bool` (is `a` what `H(q)` gives?), with `Move<Q, A>`s. A checker
/// for splits of two may have `k.check_fan_in(q, s1, s2, m)` instead (the audit then throws
/// `aida::error` at a round of another size).
///
/// **Semantic requirements:** a check judges the step alone: `check_fan_in` takes the
/// subanswers as given, right or wrong; the order of a split's subquestions and of the
/// subanswers carries no meaning.
///
/// **Models:** `aida::overseer_checker` (from any Overseer); a human reviewer behind the
/// same three questions.
///
/// **Rationale:** checking a step is cheaper than producing one, and much cheaper than
/// answering the whole question: that is what makes the audit worth having.
template <class K, class Q, class A>
concept Checker = requires(K& k, const Q& q, const A& a, const Move<Q, A>& m) {
  { k.check_fan_out(q, m) } -> std::convertible_to<bool>;
  { k.check_answer(q, a) } -> std::convertible_to<bool>;
} && (requires(K& k, const Q& q, std::span<const Subanswer<Q, A>> subs, const Move<Q, A>& m) {
  { k.check_fan_in(q, subs, m) } -> std::convertible_to<bool>;
} || requires(K& k, const Q& q, const Subanswer<Q, A>& s, const Move<Q, A>& m) {
  { k.check_fan_in(q, s, s, m) } -> std::convertible_to<bool>;
});

/// A Checker built from an Overseer: a step is right when the overseer makes the same move.
/// Moves are compared in the codec's canonical form (`encode`), so the order of a split's
/// subquestions does not matter. The overseer is held by reference; the codec is copied (a
/// codec is a small value, and `overseer_checker(h, task.codec())` must not keep a temporary).
template <class H, Codec C>
class overseer_checker {
 public:
  using question_type = codec_question_t<C>;  ///< the codec's question type
  using answer_type = codec_answer_t<C>;      ///< the codec's answer type
  using Q = question_type;                    ///< short for `question_type`
  using A = answer_type;                      ///< short for `answer_type`

  /// Checks against `h` (held by reference), comparing moves through a copy of `codec`.
  overseer_checker(H& h, C codec) : h_(h), codec_(std::move(codec)) {
    checks::overseer<H, Q, A>();
    static_assert(std::equality_comparable<A>,
                  "aida::overseer_checker compares moves by their encoding: the answer type needs ==");
  }

  /// True when `h`'s fan-out move for `q` is `m`.
  bool check_fan_out(const Q& q, const Move<Q, A>& m) { return same(Move<Q, A>(h_.fan_out(q)), m); }
  /// True when `h`'s fan-in move for `q` with the subanswers `subs` is `m`.
  bool check_fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs, const Move<Q, A>& m) {
    return same(Move<Q, A>(detail::plain_fan_in(h_, q, subs)), m);
  }
  /// True when `h`'s fan-in move for `q` with the two subanswers `s1`, `s2` is `m`.
  bool check_fan_in(const Q& q, const Subanswer<Q, A>& s1, const Subanswer<Q, A>& s2, const Move<Q, A>& m) {
    const Subanswer<Q, A> both[2] = {s1, s2};
    return check_fan_in(q, std::span<const Subanswer<Q, A>>(both, 2), m);
  }
  /// True when `h` answers `q` with `a`.
  bool check_answer(const Q& q, const A& a) {
    return same(Move<Q, A>::answer(A(h_.answer(q))), Move<Q, A>::answer(a));
  }

 private:
  bool same(const Move<Q, A>& x, const Move<Q, A>& y) const { return codec_.encode(x) == codec_.encode(y); }
  H& h_;
  C codec_;
};

/// \cond
template <class H, class C>
overseer_checker(H&, const C&) -> overseer_checker<H, C>;
/// \endcond

/// The order in which the audit checks candidate nodes (see the file comment).
enum class audit_strategy : std::uint8_t { adversary_guided, breadth_first, random };

/// The part of a node's local step that a check found wrong.
enum class audit_step : std::uint8_t {
  fan_out,  ///< the fan-out move
  fan_in,   ///< the move of fan-in round `audit_result::round`
  answer,   ///< the answer of a node answered directly
};

/// What an audit found.
struct audit_result {
  std::size_t faulty = no_node;  ///< the node whose local step is wrong; `no_node` if none
  audit_step step = audit_step::answer;  ///< which part of its step (when found)
  std::size_t round = 0;         ///< the failed fan-in round, from 0 (when `step == fan_in`)
  std::size_t checks = 0;        ///< nodes checked: one check is one node's local step
  std::size_t queries = 0;       ///< checker calls (a node with k rounds takes up to k + 2)
  std::vector<std::size_t> checked;  ///< the nodes in the order they were checked

  /// True when a faulty node was found.
  [[nodiscard]] bool found() const noexcept { return faulty != no_node; }
};

namespace detail {

/// Checks node n's local step; on a wrong step, fills `out.faulty`, `step`, `round`.
template <class Q, class A, class O, class K>
bool local_step_right(const episode<Q, A, O>& t, std::size_t n, K& k, audit_result& out) {
  const tree_node<Q, A>& node = t.nodes[n];
  if (!node.answer)
    throw error("aida::audit: node " + std::to_string(n) + " (question " + describe(node.question) +
                ") has no answer; the tree is incomplete");
  auto fail = [&](audit_step step, std::size_t round) {
    out.faulty = n;
    out.step = step;
    out.round = round;
    return false;
  };
  bool direct = !node.fan_out;  // answered without fanning out: the depth limit or a malformed fan-out
  if (node.fan_out) {
    ++out.queries;
    if (!static_cast<bool>(k.check_fan_out(node.question, *node.fan_out))) return fail(audit_step::fan_out, 0);
  }
  std::size_t r = 0;
  for (std::size_t i = node.first_round; i != no_node; i = t.rounds[i].next_round, ++r) {
    const fan_in_round<Q, A>& round = t.rounds[i];
    if (!round.move) {  // a malformed fan-in move: the node's answer came from elsewhere
      direct = true;
      continue;
    }
    ++out.queries;
    bounded_vector<Subanswer<Q, A>, max_subquestions> subs;
    for (std::size_t j = 0; j < round.questions.size(); ++j)
      subs.push_back(Subanswer<Q, A>{round.questions[j], round.answers[j]});
    const std::span<const Subanswer<Q, A>> span(subs.data(), subs.size());
    bool right;
    if constexpr (requires { k.check_fan_in(node.question, span, *round.move); }) {
      right = static_cast<bool>(k.check_fan_in(node.question, span, *round.move));
    } else {
      require_round_of_two(span.size(), "the audit's checker", "check_fan_in(q, s1, s2, m)",
                           "check_fan_in(q, std::span<const Subanswer<Q, A>>, m)");
      right = static_cast<bool>(k.check_fan_in(node.question, span[0], span[1], *round.move));
    }
    if (!right) return fail(audit_step::fan_in, r);
  }
  if (node.end != node_end::fan_out_answer && node.end != node_end::fan_in_answer) direct = true;
  if (direct) {
    ++out.queries;
    if (!static_cast<bool>(k.check_answer(node.question, *node.answer))) return fail(audit_step::answer, 0);
  }
  return true;
}

}  // namespace detail

/// Searches `tree` for a node whose local step is wrong (spec §7), asking `checker` one
/// node at a time in the order of `strategy` (see the file comment); `rng` is used by
/// `audit_strategy::random` only. The search starts at node `start` (the root by default),
/// whose answer the caller knows or suspects to be wrong, and descends into a node's
/// children (its subquestions that were unfolded) only when the node's own step is right;
/// it searches the subtree of `start` only.
///
/// Returns the first faulty node found and the number of checks; `found()` is false when
/// every node's step is right (the root's answer is then what the overseer's
/// decomposition gives, as far as local checks can tell), after checking every node.
/// Subanswers that ML drew without unfolding them (in amplification episodes) cannot be
/// descended into. Throws `aida::error` for a `start` that is not a node of the tree, a
/// node without an answer, or a child index that does not point to a later node.
template <class Q, class A, class O, class K, Sampler S>
audit_result audit(const episode<Q, A, O>& tree, K& checker, audit_strategy strategy, S& rng,
                   std::size_t start = 0) {
  static_assert(requires(K& k, const Q& q, const Move<Q, A>& m) { { k.check_fan_out(q, m) } -> std::convertible_to<bool>; },
                "aida::audit: the checker has no `check_fan_out(const Q&, const Move<Q,A>&)` returning bool");
  static_assert(requires(K& k, const Q& q, std::span<const Subanswer<Q, A>> subs, const Move<Q, A>& m) {
                  { k.check_fan_in(q, subs, m) } -> std::convertible_to<bool>;
                } || requires(K& k, const Q& q, const Subanswer<Q, A>& s, const Move<Q, A>& m) {
                  { k.check_fan_in(q, s, s, m) } -> std::convertible_to<bool>;
                }, "aida::audit: the checker has no `check_fan_in(const Q&, std::span<const Subanswer<Q,A>>, const Move<Q,A>&)` returning bool");
  static_assert(requires(K& k, const Q& q, const A& a) { { k.check_answer(q, a) } -> std::convertible_to<bool>; },
                "aida::audit: the checker has no `check_answer(const Q&, const A&)` returning bool");
  if (start >= tree.nodes.size())
    throw error("aida::audit: the start node " + std::to_string(start) + " is not in the tree, which has " +
                std::to_string(tree.nodes.size()) + " nodes");

  audit_result out;
  // Candidates: nodes whose parent's step was checked right. A deque serves as the
  // queue (breadth first) and as the stack (depth first, the next node at the back).
  std::deque<std::size_t> candidates{start};
  std::vector<std::pair<double, std::size_t>> children;
  while (!candidates.empty()) {
    std::size_t n;
    if (strategy == audit_strategy::breadth_first) {
      n = candidates.front();
      candidates.pop_front();
    } else {
      n = candidates.back();
      candidates.pop_back();
    }
    ++out.checks;
    out.checked.push_back(n);
    if (!detail::local_step_right(tree, n, checker, out)) return out;

    children.clear();
    tree.for_each_round(n, [&](const fan_in_round<Q, A>& round) {
      for (std::size_t i = 0; i < round.questions.size(); ++i)
        if (round.child[i] != no_node) {
          // Children are created after their parent: anything else is a damaged tree, which
          // could send the search round in a cycle.
          if (round.child[i] <= n || round.child[i] >= tree.nodes.size())
            throw error("aida::audit: node " + std::to_string(n) + " has child " + std::to_string(round.child[i]) +
                        ", which is not a later node of the tree; the tree is damaged");
          const double s = round.scores[i];
          children.emplace_back(std::isnan(s) ? HUGE_VAL : s, round.child[i]);  // unscored: last
        }
    });
    switch (strategy) {
      case audit_strategy::breadth_first:
        for (const auto& c : children) candidates.push_back(c.second);
        break;
      case audit_strategy::adversary_guided:
        // Lowest score on top of the stack; ties keep the rounds' order.
        std::stable_sort(children.begin(), children.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto c = children.rbegin(); c != children.rend(); ++c) candidates.push_back(c->second);
        break;
      case audit_strategy::random:
        for (std::size_t i = children.size(); i > 1; --i)
          std::swap(children[i - 1], children[static_cast<std::size_t>(draw_below(rng, i))]);
        for (const auto& c : children) candidates.push_back(c.second);
        break;
    }
  }
  return out;
}

/// An unfolded tree and the audit of it.
template <class Q, class A, class O>
struct audited {
  unfolded<Q, A, O> tree;  ///< the unfolded tree
  audit_result result;     ///< what the audit of `tree` found
};

/// Unfolds ML's tree for `question` to `max_depth` (`aida::unfold`) and audits it with
/// `checker` (spec §7); returns both, an `audited<Q, A, O>` for the codec's types and ML's
/// output. `rng` serves both (the unfold draws first). The parameters are unconstrained so
/// that a misplaced argument is named, as in `unfold`.
template <class M, class V, class C, class K, class S, class Question = checks::question_argument_t<C>>
auto audit(const Question& question, M& ml, V& adv, const C& codec, std::size_t max_depth, K& checker,
           audit_strategy strategy, S& rng, const unfold_options& options = {}) {
  if constexpr (checks::model_procedure_arguments<unfolded_for, void, Question, M, V, C, S>()) {
    audited<codec_question_t<C>, codec_answer_t<C>, model_output_t<M, codec_question_t<C>>> out;
    unfold_into(out.tree, question, ml, adv, codec, max_depth, rng, options);
    out.result = audit(out.tree, checker, strategy, rng);
    return out;
  }
}

}  // namespace aida
