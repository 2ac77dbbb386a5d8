#pragma once
/// \file
/// `aida::label`: ground truth, for evaluation only (spec §9).

#include <utility>

namespace aida {

/// A ground-truth answer. It converts to nothing: a `label<A>` cannot be put into a
/// `model_target` or passed where an answer is expected, so a trainer cannot learn from
/// labels by accident. Evaluators compare with `matches`; the supervised baseline, which
/// must read labels, says so with `reveal_for_supervised_baseline()`.
template <class A>
class label {
 public:
  /// The ground truth `value`.
  explicit label(A value) : value_(std::move(value)) {}

  /// True when `answer` equals the ground truth.
  [[nodiscard]] bool matches(const A& answer) const { return answer == value_; }

  /// The ground truth itself, for the one legitimate consumer: a baseline that is trained on
  /// labels and is reported as such.
  [[nodiscard]] const A& reveal_for_supervised_baseline() const noexcept { return value_; }

  /// The ground truth for display in evaluation reports.
  [[nodiscard]] const A& reveal_for_evaluation() const noexcept { return value_; }

 private:
  A value_;
};

}  // namespace aida
