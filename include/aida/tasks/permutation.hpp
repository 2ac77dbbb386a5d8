#pragma once
/// \file
/// The `permutation` task (permutation powering, after Christiano et al. 2018): σ^k(x), given
/// the permutation σ.
///
/// - question: σ as the digits σ(0) σ(1) … σ(n−1), `:`, x, `,`, k in decimal:
///   `"31204576:3,5"` asks for σ^5(3) where σ(0) = 3, σ(1) = 1, …;
/// - answer: one digit;
/// - primitive: k = 0 (answered by x) or k = 1 (answered by σ(x), read from the question);
/// - decomposition (spec §2 step 5, fan-in rounds that ask new subquestions): with
///   a = ⌊k/2⌋ and b = k − a = ⌈k/2⌉,
///   round 1 asks σ^a(x), round 2 asks σ^b(y) where y is round 1's answer, and the answer of
///   round 2 is the node's answer (b = a + 1 when k is odd: the post's "σ once more" folded
///   into the second half). The post asks two subquestions at a time, and powering is
///   sequential, so each round pairs its substantive question σ^e(t) with a primitive
///   companion about the same point: σ^1(t), or σ^0(t) when e = 1. The companion costs one
///   call in the full tree and gives the model σ look-ups to learn from; a policy that
///   recurses on one subquestion should learn to leave it to ML. (Uniform choice recurses on
///   it half of the time: keep that in mind when comparing policies.)
///   When k is even and y = x (x is a fixed point of σ^a), σ^k(x) = σ^a(x) = x and round 1
///   answers directly: round 2 would ask round 1's questions again.
///
/// Full HCH: a node with k ≥ 2 takes one fan-out, two fan-ins (one after the shortcut), and
/// the calls of its subquestions; the depth is about log2 k.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aida/core/concepts.hpp"
#include "aida/core/string_codec.hpp"
#include "aida/tasks/common.hpp"

namespace aida::tasks {

namespace detail::permutation {

inline constexpr std::string_view name = "permutation";
inline constexpr unsigned max_power = 99;

struct parsed {
  std::string_view sigma;
  unsigned x = 0;
  unsigned k = 0;

  [[nodiscard]] unsigned n() const noexcept { return static_cast<unsigned>(sigma.size()); }
  /// σ^e(t), by applying σ e times (for ground truth and primitives).
  [[nodiscard]] unsigned power(unsigned t, unsigned e) const noexcept {
    for (unsigned i = 0; i < e; ++i) t = static_cast<unsigned>(sigma[t] - '0');
    return t;
  }
};

/// The parts of `q`, or a malformed_question naming it.
inline parsed parse(std::string_view q) {
  parsed p;
  const auto colon = q.find(':');
  if (colon == std::string_view::npos) reject(name, q, "no ':' after the permutation");
  p.sigma = q.substr(0, colon);
  if (p.sigma.size() < 2 || p.sigma.size() > 10) reject(name, q, "the permutation must have 2 to 10 digits");
  bool seen[10] = {};
  for (char c : p.sigma) {
    if (!is_digit(c) || static_cast<unsigned>(c - '0') >= p.n())
      reject(name, q, "the permutation of " + std::to_string(p.n()) + " elements must use the digits 0 to " +
                          std::to_string(p.n() - 1));
    if (seen[c - '0']) reject(name, q, std::string("the digit ") + c + " appears twice in the permutation");
    seen[c - '0'] = true;
  }
  const std::string_view rest = q.substr(colon + 1);
  const auto comma = rest.find(',');
  if (comma == std::string_view::npos) reject(name, q, "no ',' between x and the power k");
  if (comma != 1 || !is_digit(rest[0]) || static_cast<unsigned>(rest[0] - '0') >= p.n())
    reject(name, q, "x must be one element of the permutation, a digit below " + std::to_string(p.n()));
  p.x = static_cast<unsigned>(rest[0] - '0');
  const auto k = parse_number(rest.substr(comma + 1), max_power);
  if (!k) reject(name, q, "the power k must be a number from 0 to 99 without leading zeros");
  p.k = *k;
  return p;
}

/// The question σ^e(t) with the permutation `sigma`.
inline std::string ask(std::string_view sigma, unsigned t, unsigned e) {
  std::string q(sigma);
  q += ':';
  q += static_cast<char>('0' + t);
  q += ',';
  q += std::to_string(e);
  return q;
}

/// A round's two subquestions: σ^e(t) and its primitive companion (σ^1(t), or σ^0(t) if e = 1).
inline std::pair<std::string, std::string> round(std::string_view sigma, unsigned t, unsigned e) {
  return {ask(sigma, t, e), ask(sigma, t, e >= 2 ? 1 : 0)};
}

}  // namespace detail::permutation

/// Questions of `permutation` at difficulty d: a random permutation of
/// `permutation_task::size` elements, a random x, and a power k of d binary digits,
/// uniform on [2^(d−1), 2^d − 1] (d = 1 gives k = 1, a primitive question).
class permutation_generator {
 public:
  /// The generator of difficulty `difficulty`; throws `invalid_options` outside the task's
  /// range.
  explicit permutation_generator(int difficulty);

  /// The difficulty of its questions.
  [[nodiscard]] int difficulty() const noexcept { return difficulty_; }

  /// A question, drawn with `rng`.
  template <Sampler S>
  std::string next(S& rng) const;

 private:
  int difficulty_;
};

/// The overseer of `permutation` (see the file comment for its rounds). At fan-in it tells
/// the rounds apart by their subquestions: round 1's are fixed by the question, round 2's
/// are σ^b(t) and its companion for some t. An unusable subanswer gives `"?"`; subquestions
/// of neither round are replaced by round 1's (a new round); `answer(q)` is its own
/// recursion. Every member throws `malformed_question` naming `q` when `q` is not a
/// question of the task.
class permutation_overseer : public detail::overseer_base<permutation_overseer, detail::permutation::name, &detail::permutation::parse> {
 public:
  /// `H_fan_out(q)`: see the class comment.
  [[nodiscard]] move_type fan_out(const std::string& q) const {
    const auto p = detail::permutation::parse(q);
    if (p.k <= 1) return primitive(p);
    return first_round(p);
  }

  /// `H_fan_in(q, s1, s2)`: see the class comment.
  [[nodiscard]] move_type fan_in(const std::string& q, const subanswer_type& s1, const subanswer_type& s2) const {
    using detail::permutation::round;
    const auto p = detail::permutation::parse(q);
    if (p.k <= 1) return primitive(p);
    const unsigned a = p.k / 2, b = p.k - a;
    const unsigned last = p.n() - 1;
    // Round 1 answered: ask round 2 from y = σ^a(x).
    if (const auto [qa, qc] = round(p.sigma, p.x, a); detail::asks(s1, s2, qa, qc)) {
      const auto y = detail::parse_number(*detail::answer_to(qa, s1, s2), last);
      if (!y) return move_type::answer(std::string(unknown_answer));
      if (a == b && *y == p.x) return move_type::answer(std::to_string(p.x));  // σ^a(σ^a(x)) = σ^a(x) = x
      auto [qb, qd] = round(p.sigma, *y, b);
      return move_type::split(std::move(qb), std::move(qd));
    }
    // Round 2 answered: σ^b(y) is the answer.
    for (unsigned t = 0; t <= last; ++t) {
      const auto [qb, qd] = round(p.sigma, t, b);
      if (!detail::asks(s1, s2, qb, qd)) continue;
      const auto z = detail::parse_number(*detail::answer_to(qb, s1, s2), last);
      if (!z) return move_type::answer(std::string(unknown_answer));
      return move_type::answer(std::to_string(*z));
    }
    return first_round(p);
  }

 private:
  static move_type primitive(const detail::permutation::parsed& p) {
    return move_type::answer(std::to_string(p.power(p.x, p.k)));
  }
  static move_type first_round(const detail::permutation::parsed& p) {
    auto [qa, qc] = detail::permutation::round(p.sigma, p.x, p.k / 2);
    return move_type::split(std::move(qa), std::move(qc));
  }
};

/// The `permutation` task (see the file comment and docs/tasks.md).
struct permutation_task {
  static constexpr unsigned size = 8;           ///< elements of the permutations generated
  static constexpr int min_difficulty = 1;      ///< k = 1: a primitive question
  static constexpr int default_difficulty = 4;  ///< k in [8, 15]
  static constexpr int max_difficulty = 5;      ///< k in [16, 31]

  /// The task's name, `"permutation"`.
  [[nodiscard]] static constexpr std::string_view name() noexcept { return detail::permutation::name; }

  /// Questions with a power of `difficulty` binary digits; throws `invalid_options` outside
  /// the offered range.
  [[nodiscard]] permutation_generator generator(int difficulty = default_difficulty) const {
    return permutation_generator(difficulty);
  }
  /// The task's overseer H.
  [[nodiscard]] permutation_overseer overseer() const noexcept { return {}; }
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
    return detail::make_charset({"0123456789", ":,", unknown_answer, codec_charset});
  }

  /// The kind of a question, for accuracy broken down by kind: `"k=3"`, its power (one
  /// difficulty holds several: k in [2^(d-1), 2^d - 1]). Throws `malformed_question` for a
  /// question that is not of the task.
  [[nodiscard]] static std::string kind(std::string_view question) {
    return "k=" + std::to_string(detail::permutation::parse(question).k);
  }

 private:
  static std::string truth(const std::string& q) {
    const auto p = detail::permutation::parse(q);
    return std::to_string(p.power(p.x, p.k));
  }
};

inline permutation_generator::permutation_generator(int difficulty) : difficulty_(difficulty) {
  detail::check_difficulty(detail::permutation::name, difficulty, permutation_task::min_difficulty,
                           permutation_task::max_difficulty);
  static_assert((1U << permutation_task::max_difficulty) - 1 <= detail::permutation::max_power,
                "the largest power generated must parse");
}

template <Sampler S>
std::string permutation_generator::next(S& rng) const {
  constexpr unsigned n = permutation_task::size;
  std::string sigma(n, '0');
  for (unsigned i = 0; i < n; ++i) sigma[i] = static_cast<char>('0' + i);
  detail::shuffle(sigma, rng);
  const auto x = static_cast<unsigned>(draw_below(rng, n));
  const unsigned low = 1U << (difficulty_ - 1);
  const auto k = low + static_cast<unsigned>(draw_below(rng, low));
  return detail::permutation::ask(sigma, x, k);
}

static_assert(Overseer<permutation_overseer, std::string, std::string>);
static_assert(QuestionSource<permutation_generator, std::string>);

}  // namespace aida::tasks
