#pragma once
/// \file
/// The `sum` task: the sum of a list of digits.
///
/// - question: the digits themselves, `"31415926"` (1 to 32 digits);
/// - answer: the sum in decimal, `"31"`;
/// - primitive: a single digit, answered by itself;
/// - decomposition: split into halves (the first half is the shorter when the length is
///   odd), `"3141"` and `"5926"`; at fan-in, add the two sums.
///
/// Full HCH on n digits calls the overseer exactly 3n − 2 times: 2n − 1 fan-outs (one per
/// node of the binary tree) and n − 1 fan-ins (one per internal node).

#include <string>
#include <string_view>
#include <vector>

#include "aida/core/concepts.hpp"
#include "aida/core/string_codec.hpp"
#include "aida/tasks/common.hpp"

namespace aida::tasks {

namespace detail::sum {

inline constexpr std::string_view name = "sum";
inline constexpr std::size_t max_length = 32;

/// The digits of `q`, or a malformed_question naming it.
inline std::string_view parse(std::string_view q) {
  if (q.empty()) reject(name, q, "it is empty (expected 1 to 32 digits)");
  if (q.size() > max_length) reject(name, q, "it has more than 32 digits");
  for (char c : q)
    if (!is_digit(c)) reject(name, q, std::string("'") + c + "' is not a digit");
  return q;
}

inline unsigned digit_sum(std::string_view digits) noexcept {
  unsigned s = 0;
  for (char c : digits) s += static_cast<unsigned>(c - '0');
  return s;
}

}  // namespace detail::sum

/// Questions of `sum` at difficulty d: d random digits.
class sum_generator {
 public:
  /// The generator of difficulty `difficulty`; throws `invalid_options` outside the task's
  /// range.
  explicit sum_generator(int difficulty);

  /// The difficulty of its questions.
  [[nodiscard]] int difficulty() const noexcept { return difficulty_; }

  /// A question, drawn with `rng`.
  template <Sampler S>
  std::string next(S& rng) const {
    std::string q(static_cast<std::size_t>(difficulty_), '0');
    for (char& c : q) c = static_cast<char>('0' + draw_below(rng, 10));
    return q;
  }

 private:
  int difficulty_;
};

/// The overseer of `sum`: answers a single digit, splits longer lists into halves and adds
/// at fan-in. Stateless; every member is const.
///
/// - `fan_out(q)`: a single digit is answered; otherwise the two halves are asked.
/// - `fan_in(q, s1, s2)`: when the subquestions are the halves of `q` (in either order) and
///   both answers are sums that the halves can have, the answer is their sum; an unusable
///   answer gives `"?"` (`unknown_answer`); subquestions other than the halves (a model's
///   split reaching H through H′) are replaced by the halves, a new round.
/// - `answer(q)`: the answer of the overseer's own recursion (one call to H, spec §8).
/// Every member throws `malformed_question` naming `q` when `q` is not a list of digits.
class sum_overseer : public detail::overseer_base<sum_overseer, detail::sum::name, &detail::sum::parse> {
 public:
  /// `H_fan_out(q)`: see the class comment.
  [[nodiscard]] move_type fan_out(const std::string& q) const {
    const auto d = detail::sum::parse(q);
    if (d.size() == 1) return move_type::answer(std::string(d));
    return halves(d);
  }

  /// `H_fan_in(q, s1, s2)`: see the class comment.
  [[nodiscard]] move_type fan_in(const std::string& q, const subanswer_type& s1, const subanswer_type& s2) const {
    const auto d = detail::sum::parse(q);
    if (d.size() == 1) return move_type::answer(std::string(d));
    const std::string left(d.substr(0, d.size() / 2));
    const std::string right(d.substr(d.size() / 2));
    if (!detail::asks(s1, s2, left, right)) return halves(d);
    const auto l = detail::parse_number(*detail::answer_to(left, s1, s2), 9 * static_cast<unsigned>(left.size()));
    const auto r = detail::parse_number(*detail::answer_to(right, s1, s2), 9 * static_cast<unsigned>(right.size()));
    if (!l || !r) return move_type::answer(std::string(unknown_answer));
    return move_type::answer(std::to_string(*l + *r));
  }

 private:
  static move_type halves(std::string_view d) {
    return move_type::split(std::string(d.substr(0, d.size() / 2)), std::string(d.substr(d.size() / 2)));
  }
};

/// The `sum` task (see the file comment and docs/tasks.md).
struct sum_task {
  static constexpr int min_difficulty = 1;      ///< one digit: a primitive question
  static constexpr int default_difficulty = 8;  ///< eight digits
  static constexpr int max_difficulty = 16;     ///< sixteen digits

  /// The task's name, `"sum"`.
  [[nodiscard]] static constexpr std::string_view name() noexcept { return detail::sum::name; }

  /// Questions of `difficulty` digits; throws `invalid_options` outside the offered range.
  [[nodiscard]] sum_generator generator(int difficulty = default_difficulty) const { return sum_generator(difficulty); }
  /// The task's overseer H.
  [[nodiscard]] sum_overseer overseer() const noexcept { return {}; }
  /// The task's codec: the default `string_codec`.
  [[nodiscard]] string_codec codec() const noexcept { return {}; }

  /// Ground truth for `questions`, computed here and held only by the evaluator. Throws
  /// `malformed_question` for a question that is not of the task.
  [[nodiscard]] tasks::evaluator evaluator(std::vector<std::string> questions) const {
    std::vector<label<std::string>> labels;
    labels.reserve(questions.size());
    for (const auto& q : questions) labels.emplace_back(truth(q));
    return {std::string(name()), std::move(questions), std::move(labels)};
  }

  /// Every character of questions, answers and codec strings: digits, `?`, codec marks.
  [[nodiscard]] static std::string charset() {
    return detail::make_charset({"0123456789", unknown_answer, codec_charset});
  }

 private:
  static std::string truth(const std::string& q) { return std::to_string(detail::sum::digit_sum(detail::sum::parse(q))); }
};

inline sum_generator::sum_generator(int difficulty) : difficulty_(difficulty) {
  detail::check_difficulty(detail::sum::name, difficulty, sum_task::min_difficulty, sum_task::max_difficulty);
}

static_assert(Overseer<sum_overseer, std::string, std::string>);
static_assert(QuestionSource<sum_generator, std::string>);

}  // namespace aida::tasks
