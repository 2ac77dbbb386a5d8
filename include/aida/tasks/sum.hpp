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
///
/// **k-ary splits** (`sum_task{.parts = p}`, `sum_overseer(p)`, 2 ≤ p ≤ `aida::max_subquestions`):
/// a list of n digits is split into k = min(p, n) contiguous parts of near-equal length, part i
/// being the digits [i·n/k, (i+1)·n/k) — so k is chosen per question (a list shorter than p
/// splits into its digits) — and fan-in adds the k sums. p = 2 is the halves above, bit for
/// bit. The task's codec then decodes splits of up to p subquestions.

#include <algorithm>
#include <cstddef>
#include <span>
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

/// The overseer of `sum`: answers a single digit, splits longer lists into `parts()` parts
/// (halves by default) and adds at fan-in. Stateless; every member is const.
///
/// - `fan_out(q)`: a single digit is answered; otherwise the k = min(parts(), n) parts are
///   asked (see the file comment).
/// - `fan_in(q, subs)`: when the subquestions are the parts of `q` (in any order) and every
///   answer is a sum that its part can have, the answer is their sum; an unusable answer gives
///   `"?"` (`unknown_answer`); subquestions other than the parts (a model's split reaching H
///   through H′) are replaced by the parts, a new round.
/// - `answer(q)`: the answer of the overseer's own recursion (one call to H, spec §8).
/// Every member throws `malformed_question` naming `q` when `q` is not a list of digits.
class sum_overseer : public detail::overseer_base<sum_overseer, detail::sum::name, &detail::sum::parse> {
 public:
  /// The overseer that splits into halves.
  sum_overseer() = default;
  /// The overseer that splits into up to `parts` parts; `invalid_options` unless
  /// 2 ≤ parts ≤ `aida::max_subquestions`.
  explicit sum_overseer(std::size_t parts) : parts_(parts) {
    if (parts < 2 || parts > max_subquestions)
      throw invalid_options("aida::tasks::sum: parts " + std::to_string(parts) + " is outside [2, " +
                            std::to_string(max_subquestions) + "] (aida::max_subquestions)");
  }

  /// How many parts a list is split into, at most.
  [[nodiscard]] std::size_t parts() const noexcept { return parts_; }

  /// `H_fan_out(q)`: see the class comment.
  [[nodiscard]] move_type fan_out(const std::string& q) const {
    const auto d = detail::sum::parse(q);
    if (d.size() == 1) return move_type::answer(std::string(d));
    return move_type::split(split_of(d));
  }

  /// `H_fan_in(q, subs)`: see the class comment.
  [[nodiscard]] move_type fan_in(const std::string& q, std::span<const subanswer_type> subs) const {
    const auto d = detail::sum::parse(q);
    if (d.size() == 1) return move_type::answer(std::string(d));
    Split<std::string> want = split_of(d);
    if (subs.size() != want.size()) return move_type::split(std::move(want));
    // The subquestions must be the parts, each as often as it occurs ("1212" has the part
    // "12" twice); a part asked twice takes the first answer given for it.
    bool used[max_subquestions] = {};
    for (const std::string& part : want) {
      std::size_t j = 0;
      while (j < subs.size() && (used[j] || subs[j].question != part)) ++j;
      if (j == subs.size()) return move_type::split(std::move(want));
      used[j] = true;
    }
    unsigned total = 0;
    bool usable = true;
    for (const std::string& part : want) {
      const std::string* answer = nullptr;
      for (const subanswer_type& sa : subs)
        if (sa.question == part) {
          answer = &sa.answer;
          break;
        }
      const auto v = detail::parse_number(*answer, 9 * static_cast<unsigned>(part.size()));
      if (!v) usable = false;
      else total += *v;
    }
    if (!usable) return move_type::answer(std::string(unknown_answer));
    return move_type::answer(std::to_string(total));
  }

  /// `H_fan_in(q, s1, s2)`: `fan_in` of a round of two.
  [[nodiscard]] move_type fan_in(const std::string& q, const subanswer_type& s1, const subanswer_type& s2) const {
    const subanswer_type both[2] = {s1, s2};
    return fan_in(q, std::span<const subanswer_type>(both, 2));
  }

 private:
  /// The k = min(parts, n) contiguous parts of the digits `d` (n ≥ 2).
  [[nodiscard]] Split<std::string> split_of(std::string_view d) const {
    const std::size_t k = std::min(parts_, d.size());
    Split<std::string> s;
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t from = i * d.size() / k, to = (i + 1) * d.size() / k;
      s.push_back(std::string(d.substr(from, to - from)));
    }
    return s;
  }

  std::size_t parts_ = 2;
};

/// The `sum` task (see the file comment and docs/tasks.md).
struct sum_task {
  /// How many parts the overseer splits a list into, at most (2: halves, the post's binary
  /// splits); see the file comment.
  std::size_t parts = 2;

  static constexpr int min_difficulty = 1;      ///< one digit: a primitive question
  static constexpr int default_difficulty = 8;  ///< eight digits
  static constexpr int max_difficulty = 16;     ///< sixteen digits

  /// The task's name, `"sum"`.
  [[nodiscard]] static constexpr std::string_view name() noexcept { return detail::sum::name; }

  /// Questions of `difficulty` digits; throws `invalid_options` outside the offered range.
  [[nodiscard]] sum_generator generator(int difficulty = default_difficulty) const { return sum_generator(difficulty); }
  /// The task's overseer H, splitting into up to `parts` parts (`invalid_options` for a
  /// `parts` outside [2, aida::max_subquestions]).
  [[nodiscard]] sum_overseer overseer() const { return parts == 2 ? sum_overseer() : sum_overseer(parts); }
  /// The task's codec: the default `string_codec`, decoding splits of up to `parts`
  /// subquestions.
  [[nodiscard]] string_codec codec() const { return parts == 2 ? string_codec{} : string_codec{}.with_max_split(parts); }

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
