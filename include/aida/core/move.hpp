#pragma once
/// \file
/// The value types of spec §1: a split into k subquestions, a move (an answer or a
/// split) and a subanswer (a subquestion with its answer).

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <utility>
#include <variant>

#include "aida/core/bounded_vector.hpp"

namespace aida {

/// The subquestions of a split (spec §1, `Q × Q` in the post; here `Q^k`, 2 ≤ k ≤
/// `aida::max_subquestions`), held inline: a split allocates nothing of its own. The order
/// carries no meaning: the codec canonicalises it, and `same_questions` compares without
/// regard to it.
///
/// A split of two is what the post describes: `Split<Q>{a, b}`, `first()` and `second()`.
template <class Q>
class Split {
 public:
  using value_type = Q;  ///< the question type

  Split() = default;
  /// The two subquestions `a` and `b`.
  Split(Q a, Q b) {
    qs_.emplace_back(std::move(a));
    qs_.emplace_back(std::move(b));
  }
  /// The subquestions of `init`, in order; `aida::error` for more than `max_subquestions`.
  Split(std::initializer_list<Q> init) : qs_(init) {}

  /// The number of subquestions k.
  [[nodiscard]] std::size_t size() const noexcept { return qs_.size(); }
  /// Subquestion i; precondition i < size().
  [[nodiscard]] const Q& operator[](std::size_t i) const noexcept { return qs_[i]; }
  /// Subquestion i; precondition i < size().
  [[nodiscard]] Q& operator[](std::size_t i) noexcept { return qs_[i]; }
  /// The first subquestion (of a split of two: one of the pair).
  [[nodiscard]] const Q& first() const noexcept { return qs_[0]; }
  /// The second subquestion (of a split of two: the other).
  [[nodiscard]] const Q& second() const noexcept { return qs_[1]; }
  const Q* begin() const noexcept { return qs_.begin(); }  ///< the first subquestion
  const Q* end() const noexcept { return qs_.end(); }      ///< past the last
  Q* begin() noexcept { return qs_.begin(); }              ///< the first subquestion
  Q* end() noexcept { return qs_.end(); }                  ///< past the last
  /// The subquestions as a contiguous span (for a model's `predict_batch`).
  [[nodiscard]] std::span<const Q> questions() const noexcept { return {qs_.data(), qs_.size()}; }

  /// Appends subquestion `q`; `aida::error` (nothing changed) past `max_subquestions`.
  void push_back(Q q) { qs_.emplace_back(std::move(q)); }

  /// Member-wise equality (in order).
  friend bool operator==(const Split&, const Split&) = default;

  /// True when both splits hold the same questions, in any order (as multisets).
  [[nodiscard]] bool same_questions(const Split& other) const {
    return size() == other.size() && std::is_permutation(begin(), end(), other.begin());
  }
  /// `same_questions`, under its name from when splits held two questions.
  [[nodiscard]] bool same_pair(const Split& other) const { return same_questions(other); }

 private:
  bounded_vector<Q, max_subquestions> qs_;
};

/// A subquestion together with its answer: one argument of `H_fan_in` (spec §1).
template <class Q, class A>
struct Subanswer {
  Q question;  ///< the subquestion
  A answer;    ///< its answer

  /// Member-wise equality.
  friend bool operator==(const Subanswer&, const Subanswer&) = default;
};

/// A move (spec §1, `M = A | Q^k`): the answer to a question, or k ≥ 2 subquestions that
/// help to answer it. A tagged wrapper rather than a bare variant so that `Q == A` (both
/// strings, the common case) stays unambiguous.
template <class Q, class A>
class Move {
 public:
  using question_type = Q;  ///< the question type
  using answer_type = A;    ///< the answer type

  /// The move that answers the question with `a`.
  static Move answer(A a) { return Move(std::in_place_index<0>, std::move(a)); }
  /// The move that asks the two subquestions `a` and `b`.
  static Move split(Q a, Q b) {
    // Built in place: a split built first and then copied in would be stored a question at a
    // time and loaded back as one block, which the processor cannot forward from its stores.
    return Move(std::in_place_index<1>, std::move(a), std::move(b));
  }
  /// The move that asks the subquestions of `s`.
  static Move split(Split<Q> s) { return Move(std::in_place_index<1>, std::move(s)); }
  /// The move that asks the subquestions of `init` (`Move::split({"12", "34", "56"})`).
  static Move split(std::initializer_list<Q> init) { return split(Split<Q>(init)); }

  /// True when the move is an answer.
  [[nodiscard]] bool is_answer() const noexcept { return v_.index() == 0; }
  /// True when the move is a split.
  [[nodiscard]] bool is_split() const noexcept { return v_.index() == 1; }

  /// The answer; precondition `is_answer()`.
  [[nodiscard]] const A& get_answer() const { return std::get<0>(v_); }
  /// The split; precondition `is_split()`.
  [[nodiscard]] const Split<Q>& get_split() const { return std::get<1>(v_); }

  /// Member-wise equality.
  friend bool operator==(const Move&, const Move&) = default;

 private:
  template <std::size_t I, class... T>
  Move(std::in_place_index_t<I> tag, T&&... t) : v_(tag, std::forward<T>(t)...) {}
  std::variant<A, Split<Q>> v_;
};

}  // namespace aida
