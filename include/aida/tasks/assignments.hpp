#pragma once
/// \file
/// The `assignments` task (sequential assignments, after Christiano et al. 2018): the value
/// of a variable, given definitions `x := f(y, z)` or `x := constant` and the table of f.
///
/// - question: f's table, then the definitions, then `:` and the variable asked. Values are
///   0, 1, 2; the table is the 9 digits f(0,0) f(0,1) f(0,2) f(1,0) … f(2,2); a definition is
///   `x1` (x := 1) or `xyz` (x := f(y, z)), without separators (the character after the
///   variable tells which); variables are `a` … `h`, each defined once, after the variables
///   its definition uses: `"012120201a1b2cabdca:d"` asks for d = f(f(1, 2), 1) = f(0, 1) = 1;
/// - answer: one digit, `"1"`;
/// - primitive: a variable defined by a constant, answered by the constant;
/// - decomposition: the same definitions asking y and asking z (`…:c` and `…:a`); at fan-in,
///   look the two values up in f's table.
///
/// Full HCH unfolds the variable's definitions into a binary tree (without sharing): with
/// ℓ constant leaves it calls the overseer 3ℓ − 2 times (2ℓ − 1 fan-outs, ℓ − 1 fan-ins).

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aida/core/concepts.hpp"
#include "aida/core/string_codec.hpp"
#include "aida/tasks/common.hpp"

namespace aida::tasks {

namespace detail::assignments {

inline constexpr std::string_view name = "assignments";
inline constexpr std::string_view variables = "abcdefgh";
inline constexpr unsigned values = 3;  ///< values are 0 … values − 1

struct definition {
  bool constant = false;
  unsigned value = 0;  ///< when constant
  char y = 0, z = 0;   ///< when x := f(y, z)
};

struct parsed {
  std::string_view table;                ///< values·values digits, f(u, v) at u·values + v
  std::array<definition, 8> defs{};      ///< indexed by variable − 'a'
  std::array<bool, 8> defined{};
  char query = 0;

  [[nodiscard]] const definition& of(char v) const { return defs[static_cast<std::size_t>(v - 'a')]; }
  [[nodiscard]] unsigned f(unsigned u, unsigned v) const {
    return static_cast<unsigned>(table[u * values + v] - '0');
  }
};

inline bool is_variable(char c) noexcept { return variables.find(c) != std::string_view::npos; }
inline bool is_value(char c) noexcept { return c >= '0' && c < static_cast<char>('0' + values); }

/// The parts of `q`, or a malformed_question naming it.
inline parsed parse(std::string_view q) {
  parsed p;
  const auto colon = q.find(':');
  if (colon == std::string_view::npos) reject(name, q, "no ':' before the variable asked");
  if (q.size() != colon + 2 || !is_variable(q[colon + 1]))
    reject(name, q, "':' must be followed by exactly one variable, a to h");
  p.query = q[colon + 1];
  const std::string_view body = q.substr(0, colon);
  p.table = body.substr(0, values * values);
  if (p.table.size() != values * values) reject(name, q, "f's table must have 9 digits");
  for (char c : p.table)
    if (!is_value(c)) reject(name, q, std::string("'") + c + "' in f's table is not 0, 1 or 2");
  if (body.size() == p.table.size()) reject(name, q, "no definitions after f's table");
  // Definitions need no separator: a constant is a variable and a digit, x := f(y, z) three
  // variables, so the character after a definition's variable tells which it is.
  for (std::size_t at = p.table.size(); at < body.size();) {
    const bool constant = at + 1 < body.size() && is_value(body[at + 1]);
    const std::string_view d = body.substr(at, constant ? 2 : 3);
    const std::string what = "the definition \"" + std::string(d) + "\" at position " + std::to_string(at + 1);
    if (!is_variable(d[0])) reject(name, q, what + " does not start with a variable, a to h");
    if (!constant && (d.size() != 3 || !is_variable(d[1]) || !is_variable(d[2])))
      reject(name, q, what + " is neither x1 (x := 1) nor xyz (x := f(y, z)) with values 0 to 2 and variables a to h");
    auto& def = p.defs[static_cast<std::size_t>(d[0] - 'a')];
    if (p.defined[static_cast<std::size_t>(d[0] - 'a')]) reject(name, q, what + " defines " + d[0] + " again");
    if (constant) {
      def.constant = true;
      def.value = static_cast<unsigned>(d[1] - '0');
    } else {
      for (char a : d.substr(1))
        if (!p.defined[static_cast<std::size_t>(a - 'a')])
          reject(name, q, what + " uses " + a + ", which is not defined before it");
      def.y = d[1];
      def.z = d[2];
    }
    p.defined[static_cast<std::size_t>(d[0] - 'a')] = true;
    at += d.size();
  }
  if (!p.defined[static_cast<std::size_t>(p.query - 'a')])
    reject(name, q, std::string("the variable asked, ") + p.query + ", is not defined");
  return p;
}

/// The value of `v`; definitions only use earlier ones, so the recursion ends.
inline unsigned value_of(const parsed& p, char v) {
  const auto& d = p.of(v);
  return d.constant ? d.value : p.f(value_of(p, d.y), value_of(p, d.z));
}

}  // namespace detail::assignments

/// Questions of `assignments` at difficulty d: two constants and d definitions
/// `x := f(y, z)` over random distinct variable names, where definition i uses the variable
/// of definition i − 1 (so the variable asked, the last, is d definitions deep) and any
/// earlier variable; f's table is random. At d = 0 a constant is asked.
class assignments_generator {
 public:
  /// The generator of difficulty `difficulty`; throws `invalid_options` outside the task's
  /// range.
  explicit assignments_generator(int difficulty);

  /// The difficulty of its questions.
  [[nodiscard]] int difficulty() const noexcept { return difficulty_; }

  /// A question, drawn with `rng`.
  template <Sampler S>
  std::string next(S& rng) const;

 private:
  int difficulty_;
};

/// The overseer of `assignments`: answers a variable defined by a constant; for
/// x := f(y, z) asks the values of y and of z, and looks f up at fan-in. Unusable
/// subanswers give `"?"`; subquestions other than its own are replaced by its own (a new
/// round); `answer(q)` is its own recursion. Every member throws `malformed_question`
/// naming `q` when `q` is not a question of the task.
class assignments_overseer : public detail::overseer_base<assignments_overseer, detail::assignments::name, &detail::assignments::parse> {
 public:
  /// `H_fan_out(q)`: see the class comment.
  [[nodiscard]] move_type fan_out(const std::string& q) const {
    const auto p = detail::assignments::parse(q);
    const auto& d = p.of(p.query);
    if (d.constant) return move_type::answer(std::to_string(d.value));
    return move_type::split(asking(q, d.y), asking(q, d.z));
  }

  /// `H_fan_in(q, s1, s2)`: see the class comment.
  [[nodiscard]] move_type fan_in(const std::string& q, const subanswer_type& s1, const subanswer_type& s2) const {
    const auto p = detail::assignments::parse(q);
    const auto& d = p.of(p.query);
    if (d.constant) return move_type::answer(std::to_string(d.value));
    const std::string qy = asking(q, d.y), qz = asking(q, d.z);
    if (!detail::asks(s1, s2, qy, qz)) return move_type::split(qy, qz);
    constexpr unsigned most = detail::assignments::values - 1;
    const auto y = detail::parse_number(*detail::answer_to(qy, s1, s2), most);
    const auto z = detail::parse_number(*detail::answer_to(qz, s1, s2), most);
    if (!y || !z) return move_type::answer(std::string(unknown_answer));
    return move_type::answer(std::to_string(p.f(*y, *z)));
  }

 private:
  /// The same definitions, asking `v` (the variable asked is the last character).
  static std::string asking(const std::string& q, char v) {
    std::string out = q;
    out.back() = v;
    return out;
  }
};

/// The `assignments` task (see the file comment and docs/tasks.md).
struct assignments_task {
  static constexpr int min_difficulty = 0;      ///< a constant is asked: a primitive question
  static constexpr int default_difficulty = 3;  ///< three definitions deep
  static constexpr int max_difficulty = 5;      ///< 2 constants and 5 definitions

  /// The task's name, `"assignments"`.
  [[nodiscard]] static constexpr std::string_view name() noexcept { return detail::assignments::name; }

  /// Questions `difficulty` definitions deep; throws `invalid_options` outside the offered range.
  [[nodiscard]] assignments_generator generator(int difficulty = default_difficulty) const {
    return assignments_generator(difficulty);
  }
  /// The task's overseer H.
  [[nodiscard]] assignments_overseer overseer() const noexcept { return {}; }
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
    return detail::make_charset({"012", detail::assignments::variables, ":", unknown_answer, codec_charset});
  }

 private:
  static std::string truth(const std::string& q) {
    const auto p = detail::assignments::parse(q);
    return std::to_string(detail::assignments::value_of(p, p.query));
  }
};

inline assignments_generator::assignments_generator(int difficulty) : difficulty_(difficulty) {
  detail::check_difficulty(detail::assignments::name, difficulty, assignments_task::min_difficulty,
                           assignments_task::max_difficulty);
  static_assert(2 + assignments_task::max_difficulty <= static_cast<int>(detail::assignments::variables.size()),
                "not enough variable names for the largest difficulty");
}

template <Sampler S>
std::string assignments_generator::next(S& rng) const {
  using namespace detail::assignments;
  const auto d = static_cast<std::size_t>(difficulty_);
  std::string names(variables);
  detail::shuffle(names, rng);
  std::string q;
  q.reserve(values * values + 4 + 3 * d + 2);
  for (unsigned i = 0; i < values * values; ++i) q += static_cast<char>('0' + draw_below(rng, values));
  for (std::size_t i = 0; i < 2; ++i) {
    q += names[i];
    q += static_cast<char>('0' + draw_below(rng, values));
  }
  for (std::size_t i = 1; i <= d; ++i) {
    // Definition i uses the previous variable, so the chain is exactly d deep, and any
    // earlier variable (possibly the same one) in a random argument position.
    char y = names[i];
    char z = names[draw_below(rng, i + 1)];
    if (draw_below(rng, 2) == 1) std::swap(y, z);
    q += names[i + 1];
    q += y;
    q += z;
  }
  q += ':';
  q += d == 0 ? names[draw_below(rng, 2)] : names[d + 1];
  return q;
}

static_assert(Overseer<assignments_overseer, std::string, std::string>);
static_assert(QuestionSource<assignments_generator, std::string>);

}  // namespace aida::tasks
