#pragma once
/// \file
/// Options of the procedures: budgets of spec §8 and the choices the spec leaves open.

#include <cstddef>
#include <limits>

#include "aida/core/episode.hpp"
#include "aida/core/error.hpp"

namespace aida {

/// Options of `aida::amplify` (spec §2, §8).
struct amplify_options {
  /// A node at this depth is answered by `H(Q)` directly, one call (the root is depth 0).
  /// A budget (spec §8), not a guard: `amplify` walks the tree without recursion, so any
  /// depth takes memory in proportion to the tree and no call stack.
  std::size_t max_depth = 16;
  /// A node whose fan-in keeps asking new subquestions after this many rounds is answered by `H(Q)`.
  std::size_t max_rounds = 8;
  /// Overseer calls allowed per episode; past it, ML answers.
  std::size_t max_overseer_calls = std::numeric_limits<std::size_t>::max();
  /// Answers of subquestions that are not recursed on: greedy decoding instead of a draw.
  bool greedy_subanswers = false;
  /// Form of the adversary loss (squared by default, spec §2): the recorded loss values, and
  /// the `form` of every adversary target, which the adversary trains on.
  adversary_loss adversary_loss_form = adversary_loss::squared;

  /// Throws `invalid_options` naming the field when the options cannot work.
  void validate() const {
    if (max_rounds == 0) throw invalid_options("aida::amplify_options::max_rounds must be at least 1");
  }
};

/// Options of `aida::distill` (spec §3).
struct distill_options {
  /// Fan-in rounds before ML's own answer to the question is used.
  std::size_t max_rounds = 8;
  /// Moves and subanswers by greedy decoding instead of draws.
  bool greedy = false;
  /// Form of the adversary loss (squared by default, spec §2), as in `amplify_options`.
  adversary_loss adversary_loss_form = adversary_loss::squared;

  /// Throws `invalid_options` naming the field when the options cannot work.
  void validate() const {
    if (max_rounds == 0) throw invalid_options("aida::distill_options::max_rounds must be at least 1");
  }
};

}  // namespace aida
