#pragma once
// What both exporters read from a tree: which types are trees, and each node's score.

#include <concepts>
#include <cstddef>
#include <limits>
#include <vector>

#include "aida/core/episode.hpp"

namespace aida::io {

/// \concept Tree
/// A record the exporters can draw: an `aida::episode`, or a type derived from one (such
/// as `aida::unfolded`, whose per-node `scores` are then used).
template <class T>
concept Tree = requires { typename T::question_type; typename T::answer_type; typename T::output_type; } &&
    std::derived_from<T, episode<typename T::question_type, typename T::answer_type, typename T::output_type>>;

namespace detail {

/// The adversary's score of each node's question: `tree.scores` when the tree keeps them
/// (an unfolded tree), otherwise the score its parent's round recorded for it (spec §2
/// step 3); NaN where there is none (the root of an episode, or a policy that ignores
/// scores).
template <Tree T>
std::vector<double> node_scores(const T& tree) {
  if constexpr (requires { { tree.scores } -> std::convertible_to<const std::vector<double>&>; }) {
    if (tree.scores.size() == tree.nodes.size()) return tree.scores;
  }
  std::vector<double> out(tree.nodes.size(), std::numeric_limits<double>::quiet_NaN());
  for (const auto& round : tree.rounds)
    for (std::size_t i = 0; i < round.questions.size(); ++i)
      if (round.child[i] < out.size()) out[round.child[i]] = round.scores[i];
  return out;
}

}  // namespace detail
}  // namespace aida::io
