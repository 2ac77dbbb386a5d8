#pragma once
/// \file
/// The `wildcard` task (wildcard search, after Christiano et al. 2018): the sum of the values
/// of the strings that match a pattern with wildcards.
///
/// - question: entries (a key of `a`/`b` letters followed by its one-digit value, no
///   separator), `:`, then the pattern, of the keys' length, over `a`, `b` and `*`:
///   `"aab3bba1abb7bab2:a*b"` asks for the sum of the values of `aab` and `abb`;
/// - answer: that sum in decimal, `"10"` (0 when nothing matches);
/// - primitive: a pattern without `*`, answered by the value of its key (0 if absent);
/// - decomposition: the first `*` replaced by each letter, two subquestions
///   (`…:aab` and `…:abb`); at fan-in, add. The letters are two, so one split covers them.
///
/// Full HCH with d wildcards calls the overseer exactly 3·2^d − 2 times: 2^(d+1) − 1 fan-outs
/// and 2^d − 1 fan-ins.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aida/core/concepts.hpp"
#include "aida/core/string_codec.hpp"
#include "aida/tasks/common.hpp"

namespace aida::tasks {

namespace detail::wildcard {

inline constexpr std::string_view name = "wildcard";
inline constexpr std::string_view letters = "ab";
inline constexpr std::size_t max_key_length = 6;

struct parsed {
  std::string_view entries;  ///< the entries, `key digit` repeated
  std::string_view pattern;
  std::size_t key_length = 0;
  std::size_t count = 0;  ///< number of entries

  [[nodiscard]] std::string_view key(std::size_t i) const { return entries.substr(i * (key_length + 1), key_length); }
  [[nodiscard]] unsigned value(std::size_t i) const {
    return static_cast<unsigned>(entries[i * (key_length + 1) + key_length] - '0');
  }
};

inline bool is_letter(char c) noexcept { return letters.find(c) != std::string_view::npos; }

/// The parts of `q`, or a malformed_question naming it.
inline parsed parse(std::string_view q) {
  parsed p;
  const auto colon = q.find(':');
  if (colon == std::string_view::npos) reject(name, q, "no ':' between the entries and the pattern");
  if (q.find(':', colon + 1) != std::string_view::npos) reject(name, q, "more than one ':'");
  p.entries = q.substr(0, colon);
  p.pattern = q.substr(colon + 1);
  p.key_length = p.pattern.size();
  if (p.key_length == 0 || p.key_length > max_key_length)
    reject(name, q, "the pattern must have 1 to 6 characters");
  for (char c : p.pattern)
    if (!is_letter(c) && c != '*') reject(name, q, std::string("'") + c + "' in the pattern is not a, b or *");
  if (p.entries.empty()) reject(name, q, "no entries before ':'");
  if (p.entries.size() % (p.key_length + 1) != 0)
    reject(name, q, "each entry must be a key as long as the pattern followed by one digit");
  p.count = p.entries.size() / (p.key_length + 1);
  for (std::size_t i = 0; i < p.count; ++i) {
    for (char c : p.key(i))
      if (!is_letter(c)) reject(name, q, "entry " + std::to_string(i + 1) + " has a key character other than a or b");
    if (!is_digit(p.entries[i * (p.key_length + 1) + p.key_length]))
      reject(name, q, "entry " + std::to_string(i + 1) + " does not end in a digit");
    for (std::size_t j = 0; j < i; ++j)
      if (p.key(j) == p.key(i)) reject(name, q, "the key " + std::string(p.key(i)) + " appears twice");
  }
  return p;
}

inline bool matches(std::string_view key, std::string_view pattern) noexcept {
  for (std::size_t i = 0; i < key.size(); ++i)
    if (pattern[i] != '*' && pattern[i] != key[i]) return false;
  return true;
}

inline unsigned matching_sum(const parsed& p) noexcept {
  unsigned s = 0;
  for (std::size_t i = 0; i < p.count; ++i)
    if (matches(p.key(i), p.pattern)) s += p.value(i);
  return s;
}

}  // namespace detail::wildcard

/// Questions of `wildcard` at difficulty d: `wildcard_task::entries` distinct random keys of
/// `wildcard_task::key_length` letters with random digit values, and a pattern with exactly d
/// wildcards at random positions (the other positions random letters).
class wildcard_generator {
 public:
  /// The generator of difficulty `difficulty`; throws `invalid_options` outside the task's
  /// range.
  explicit wildcard_generator(int difficulty);

  /// The difficulty of its questions.
  [[nodiscard]] int difficulty() const noexcept { return difficulty_; }

  /// A question, drawn with `rng`.
  template <Sampler S>
  std::string next(S& rng) const;

 private:
  int difficulty_;
};

/// The overseer of `wildcard`: answers a pattern without wildcards by looking its key up,
/// otherwise asks the two patterns with the first `*` replaced by `a` and by `b`, and adds
/// at fan-in. Unusable subanswers give `"?"`; subquestions other than its own are replaced
/// by its own (a new round); `answer(q)` is its own recursion. Every member throws
/// `malformed_question` naming `q` when `q` is not a question of the task.
class wildcard_overseer : public detail::overseer_base<wildcard_overseer, detail::wildcard::name, &detail::wildcard::parse> {
 public:
  /// `H_fan_out(q)`: see the class comment.
  [[nodiscard]] move_type fan_out(const std::string& q) const {
    const auto p = detail::wildcard::parse(q);
    if (p.pattern.find('*') == std::string_view::npos) return lookup(p);
    return split(q);
  }

  /// `H_fan_in(q, s1, s2)`: see the class comment.
  [[nodiscard]] move_type fan_in(const std::string& q, const subanswer_type& s1, const subanswer_type& s2) const {
    const auto p = detail::wildcard::parse(q);
    if (p.pattern.find('*') == std::string_view::npos) return lookup(p);
    const auto [qa, qb] = subquestions(q);
    if (!detail::asks(s1, s2, qa, qb)) return split(q);
    const unsigned most = 9 * static_cast<unsigned>(p.count);
    const auto a = detail::parse_number(*detail::answer_to(qa, s1, s2), most);
    const auto b = detail::parse_number(*detail::answer_to(qb, s1, s2), most);
    if (!a || !b) return move_type::answer(std::string(unknown_answer));
    return move_type::answer(std::to_string(*a + *b));
  }

 private:
  static move_type lookup(const detail::wildcard::parsed& p) {
    for (std::size_t i = 0; i < p.count; ++i)
      if (p.key(i) == p.pattern) return move_type::answer(std::to_string(p.value(i)));
    return move_type::answer("0");
  }
  static std::pair<std::string, std::string> subquestions(const std::string& q) {
    // The pattern follows the only ':', so the first '*' of q is the pattern's first.
    const auto star = q.find('*');
    std::pair<std::string, std::string> out{q, q};
    out.first[star] = detail::wildcard::letters[0];
    out.second[star] = detail::wildcard::letters[1];
    return out;
  }
  static move_type split(const std::string& q) {
    auto [a, b] = subquestions(q);
    return move_type::split(std::move(a), std::move(b));
  }
};

/// The `wildcard` task (see the file comment and docs/tasks.md).
struct wildcard_task {
  static constexpr std::size_t key_length = 3;  ///< letters per key, and the pattern's length
  static constexpr std::size_t entries = 4;     ///< entries per question, of the 8 possible keys
  static constexpr int min_difficulty = 0;      ///< no wildcard: a primitive question
  static constexpr int default_difficulty = 2;  ///< two wildcards
  static constexpr int max_difficulty = static_cast<int>(key_length);  ///< every position a wildcard

  /// The task's name, `"wildcard"`.
  [[nodiscard]] static constexpr std::string_view name() noexcept { return detail::wildcard::name; }

  /// Questions with `difficulty` wildcards; throws `invalid_options` outside the offered range.
  [[nodiscard]] wildcard_generator generator(int difficulty = default_difficulty) const {
    return wildcard_generator(difficulty);
  }
  /// The task's overseer H.
  [[nodiscard]] wildcard_overseer overseer() const noexcept { return {}; }
  /// The codec, writing subquestions without the context they share with their question.
  [[nodiscard]] string_codec codec() const { return string_codec::with_context(':'); }

  /// Ground truth for `questions`, computed here and held only by the evaluator. Throws
  /// `malformed_question` for a question that is not of the task.
  [[nodiscard]] tasks::evaluator evaluator(std::vector<std::string> questions) const {
    std::vector<label<std::string>> labels;
    labels.reserve(questions.size());
    for (const auto& q : questions) labels.emplace_back(truth(q));
    return {std::string(name()), std::move(questions), std::move(labels)};
  }

  /// Every character of questions, answers and codec strings.
  [[nodiscard]] static std::string charset() {
    return detail::make_charset({"0123456789", detail::wildcard::letters, ":*", unknown_answer, codec_charset});
  }

 private:
  static std::string truth(const std::string& q) {
    return std::to_string(detail::wildcard::matching_sum(detail::wildcard::parse(q)));
  }
};

inline wildcard_generator::wildcard_generator(int difficulty) : difficulty_(difficulty) {
  detail::check_difficulty(detail::wildcard::name, difficulty, wildcard_task::min_difficulty,
                           wildcard_task::max_difficulty);
}

template <Sampler S>
std::string wildcard_generator::next(S& rng) const {
  constexpr std::size_t n = wildcard_task::key_length;
  constexpr std::size_t keys = std::size_t{1} << n;
  static_assert(wildcard_task::entries <= keys, "more entries than distinct keys");
  // Distinct keys: the first `entries` of a random permutation of all keys.
  std::string order(keys, '\0');
  for (std::size_t i = 0; i < keys; ++i) order[i] = static_cast<char>(i);
  detail::shuffle(order, rng);
  std::string q;
  q.reserve(wildcard_task::entries * (n + 1) + 1 + n);
  for (std::size_t e = 0; e < wildcard_task::entries; ++e) {
    const auto k = static_cast<unsigned char>(order[e]);
    for (std::size_t i = 0; i < n; ++i) q += detail::wildcard::letters[(k >> (n - 1 - i)) & 1U];
    q += static_cast<char>('0' + draw_below(rng, 10));
  }
  q += ':';
  // Exactly `difficulty_` wildcards at distinct random positions.
  std::string positions(n, '\0');
  for (std::size_t i = 0; i < n; ++i) positions[i] = static_cast<char>(i);
  detail::shuffle(positions, rng);
  std::string pattern(n, '*');
  for (std::size_t i = static_cast<std::size_t>(difficulty_); i < n; ++i)
    pattern[static_cast<std::size_t>(positions[i])] = detail::wildcard::letters[draw_below(rng, 2)];
  q += pattern;
  return q;
}

static_assert(Overseer<wildcard_overseer, std::string, std::string>);
static_assert(QuestionSource<wildcard_generator, std::string>);

}  // namespace aida::tasks
