#pragma once
/// \file
/// The value types of spec §1: a split into two subquestions, a move (an answer or a
/// split) and a subanswer (a subquestion with its answer).

#include <cstddef>
#include <utility>
#include <variant>

namespace aida {

/// Two subquestions (spec §1, `Q × Q`). The order carries no meaning: the codec
/// canonicalises it, and `same_pair` compares without regard to it.
template <class Q>
struct Split {
  Q first;   ///< one subquestion
  Q second;  ///< the other

  /// Member-wise equality.
  friend bool operator==(const Split&, const Split&) = default;

  /// True when both splits hold the same two questions, in either order.
  [[nodiscard]] bool same_pair(const Split& other) const {
    return (first == other.first && second == other.second) ||
           (first == other.second && second == other.first);
  }
};

/// A subquestion together with its answer: one argument of `H_fan_in` (spec §1).
template <class Q, class A>
struct Subanswer {
  Q question;  ///< the subquestion
  A answer;    ///< its answer

  /// Member-wise equality.
  friend bool operator==(const Subanswer&, const Subanswer&) = default;
};

/// A move (spec §1, `M = A | Q × Q`): the answer to a question, or two subquestions that
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
    return Move(std::in_place_index<1>, Split<Q>{std::move(a), std::move(b)});
  }
  /// The move that asks the two subquestions of `s`.
  static Move split(Split<Q> s) { return Move(std::in_place_index<1>, std::move(s)); }

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
  template <std::size_t I, class T>
  Move(std::in_place_index_t<I> tag, T&& t) : v_(tag, std::forward<T>(t)) {}
  std::variant<A, Split<Q>> v_;
};

}  // namespace aida
