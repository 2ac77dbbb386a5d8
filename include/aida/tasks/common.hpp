#pragma once
/// \file
/// What the four tasks of `aida/tasks/` share: the error for malformed questions, the
/// evaluator that holds ground truth, the overseer's own recursion (for `H(Q)` on a
/// question that is not primitive), and small helpers for generators and parsers.
///
/// Every task type (`sum_task`, `wildcard_task`, `assignments_task`, `permutation_task`)
/// offers the same interface, so that a trainer can be written once for all of them:
/// - `name()`: the task's name;
/// - `min_difficulty`, `default_difficulty`, `max_difficulty`: the difficulties offered;
/// - `generator(d)`: a `QuestionSource` of questions at difficulty `d` (questions only);
/// - `overseer()`: the algorithmic overseer H, an `Overseer<H, std::string, std::string>`;
/// - `codec()`: the `aida::string_codec` the task's questions are written for;
/// - `evaluator(questions)`: ground truth for a held-out set, as `aida::label`s;
/// - `charset()`: every character that questions, answers and codec strings can contain.
/// See docs/tasks.md.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/label.hpp"
#include "aida/core/move.hpp"
#include "aida/algorithm/detail/record.hpp"
#include "aida/core/string_codec.hpp"

namespace aida::tasks {

/// A question that does not parse as a question of the task. The message names the task,
/// the question and what was wrong with it.
struct malformed_question : error {
  using error::error;
};

/// The answer an overseer gives at fan-in when a subanswer it was handed cannot be used
/// (it does not parse, or is out of range): "I don't know". A model that is not yet trained
/// produces such subanswers; the overseer passes the ignorance up rather than guessing.
inline constexpr std::string_view unknown_answer = "?";

/// The characters that the default `aida::string_codec` adds to task strings
/// (`string_codec{}.alphabet()`): markers of fan-out and fan-in questions, the separators of
/// fan-in questions, the prefixes of moves, and the escape `\`. Task questions and answers
/// never contain `|`, `=` or `\`, but answers drawn from a model can contain any character of
/// its vocabulary, and the codec escapes those inside fan-in questions, so the escape must be
/// in the vocabulary too. A task whose codec has a context separator has it among its own
/// characters.
inline const std::string codec_charset = string_codec{}.alphabet();

/// The result of an evaluation: how many answers matched the ground truth.
struct evaluation {
  std::size_t correct = 0;  ///< answers equal to the ground truth
  std::size_t total = 0;    ///< questions evaluated
  /// Fraction correct; 0 for an empty set.
  [[nodiscard]] double accuracy() const noexcept {
    return total == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total);
  }
};

/// A held-out set with its ground truth (spec §9). It is the only holder of labels: the
/// generators return questions only, and the labels are `aida::label`s, which convert to
/// nothing, so a trainer cannot learn from them by accident.
class evaluator {
 public:
  /// Built by a task's `evaluator(questions)`, which computes the labels itself.
  evaluator(std::string task, std::vector<std::string> questions, std::vector<label<std::string>> labels)
      : task_(std::move(task)), questions_(std::move(questions)), labels_(std::move(labels)) {
    if (questions_.size() != labels_.size())
      throw error("aida::tasks::evaluator for " + task_ + ": " + std::to_string(questions_.size()) +
                  " questions but " + std::to_string(labels_.size()) + " labels");
  }

  /// The task's name.
  [[nodiscard]] const std::string& task() const noexcept { return task_; }
  /// The held-out questions, in order.
  [[nodiscard]] const std::vector<std::string>& questions() const noexcept { return questions_; }
  /// Number of held-out questions.
  [[nodiscard]] std::size_t size() const noexcept { return questions_.size(); }
  /// The ground truth of question `i`, for reports (and for a supervised baseline, which
  /// must say so by calling `reveal_for_supervised_baseline()`).
  /// Throws `aida::error` naming the index for an `i` out of range.
  [[nodiscard]] const label<std::string>& label_of(std::size_t i) const {
    if (i >= labels_.size())
      throw error("aida::tasks::evaluator for " + task_ + ": label_of(" + std::to_string(i) + ") of " +
                  std::to_string(labels_.size()) + " questions");
    return labels_[i];
  }

  /// Asks `f(question) -> answer` every held-out question and counts the exact matches.
  template <class F>
  [[nodiscard]] evaluation evaluate(F&& f) const {
    evaluation e;
    e.total = questions_.size();
    for (std::size_t i = 0; i < questions_.size(); ++i)
      if (labels_[i].matches(std::string(f(questions_[i])))) ++e.correct;
    return e;
  }

  /// Answers given in the order of `questions()` (for models that answer in batches).
  [[nodiscard]] evaluation evaluate_answers(std::span<const std::string> answers) const {
    if (answers.size() != questions_.size())
      throw error("aida::tasks::evaluator for " + task_ + ": " + std::to_string(answers.size()) +
                  " answers for " + std::to_string(questions_.size()) + " questions");
    evaluation e;
    e.total = questions_.size();
    for (std::size_t i = 0; i < answers.size(); ++i)
      if (labels_[i].matches(answers[i])) ++e.correct;
    return e;
  }

  /// One mark per held-out question, in the order of `questions()`: true where `f(question)`
  /// equals the ground truth (for a breakdown of the accuracy by kind of question).
  template <class F>
  [[nodiscard]] std::vector<bool> marks(F&& f) const {
    std::vector<bool> out(questions_.size());
    for (std::size_t i = 0; i < questions_.size(); ++i) out[i] = labels_[i].matches(std::string(f(questions_[i])));
    return out;
  }

  /// The fraction of held-out questions that `f` answers correctly.
  template <class F>
  [[nodiscard]] double accuracy(F&& f) const {
    return evaluate(std::forward<F>(f)).accuracy();
  }

 private:
  std::string task_;
  std::vector<std::string> questions_;
  std::vector<label<std::string>> labels_;
};

/// `n` questions drawn from `source` (a held-out set, or a training batch).
template <class Src, Sampler S>
std::vector<std::string> draw_questions(Src& source, std::size_t n, S& rng) {
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.emplace_back(source.next(rng));
  return out;
}

/// Held-out sets of distinct questions, disjoint from each other: `sizes[i]` questions for set
/// `i`, drawn from `source` in order (set 0 first). Throws `aida::error` naming the set when
/// `source` cannot give enough distinct questions within `max_draws` draws in all (a
/// difficulty with too few questions for the sizes asked).
template <class Src, Sampler S>
std::vector<std::vector<std::string>> disjoint_question_sets(Src& source, std::span<const std::size_t> sizes, S& rng,
                                                              std::size_t max_draws = 1'000'000) {
  std::vector<std::vector<std::string>> sets(sizes.size());
  std::unordered_set<std::string> seen;
  std::size_t draws = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sets[i].reserve(sizes[i]);
    while (sets[i].size() < sizes[i]) {
      if (draws++ == max_draws)
        throw error("aida::tasks::disjoint_question_sets: the source gave only " + std::to_string(seen.size()) +
                    " distinct questions in " + std::to_string(max_draws) + " draws, too few for set " +
                    std::to_string(i) + " (" + std::to_string(sizes[i]) + " questions) after the sets before it");
      std::string q = source.next(rng);
      if (seen.insert(q).second) sets[i].push_back(std::move(q));
    }
  }
  return sets;
}

/// A question source that never gives a question of `excluded` (the validation and test
/// sets): it redraws from `source` instead, so that training questions stay disjoint from the
/// held-out ones. Counts its draws from `source` (`draws()`), so that a caller can check how
/// many questions a procedure asked for. Throws `aida::error` when `max_redraws` draws in a
/// row are all excluded.
template <class Src>
class excluding_source {
 public:
  /// Draws from `source` (a copy), never giving a question of `excluded`.
  excluding_source(Src source, std::unordered_set<std::string> excluded, std::size_t max_redraws = 10'000)
      : source_(std::move(source)), excluded_(std::move(excluded)), max_redraws_(max_redraws) {}

  /// The next question of `source` that is not excluded, drawn with `rng`.
  template <Sampler S>
  std::string next(S& rng) {
    for (std::size_t tries = 0; tries < max_redraws_; ++tries) {
      std::string q = source_.next(rng);
      ++draws_;
      if (!excluded_.contains(q)) return q;
    }
    throw error("aida::tasks::excluding_source: " + std::to_string(max_redraws_) +
                " draws in a row were all held-out questions; the source has too few questions for the held-out sets");
  }

  /// Questions drawn from the underlying source, redraws included.
  [[nodiscard]] std::size_t draws() const noexcept { return draws_; }
  /// The excluded questions.
  [[nodiscard]] const std::unordered_set<std::string>& excluded() const noexcept { return excluded_; }

 private:
  Src source_;
  std::unordered_set<std::string> excluded_;
  std::size_t max_redraws_;
  std::size_t draws_ = 0;
};

namespace detail {

using string_move = Move<std::string, std::string>;
using string_subanswer = Subanswer<std::string, std::string>;

/// A uniformly random permutation of `s` (Fisher–Yates).
template <Sampler S>
void shuffle(std::string& s, S& rng) {
  for (std::size_t i = s.size(); i > 1; --i) std::swap(s[i - 1], s[draw_below(rng, i)]);
}

[[noreturn]] inline void reject(std::string_view task, std::string_view q, std::string_view why) {
  throw malformed_question("aida::tasks::" + std::string(task) + ": malformed question \"" + std::string(q) +
                           "\": " + std::string(why));
}

inline void check_difficulty(std::string_view task, int d, int lo, int hi) {
  if (d < lo || d > hi)
    throw invalid_options("aida::tasks::" + std::string(task) + ": difficulty " + std::to_string(d) +
                          " is outside the offered range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// A decimal number without sign or leading zeros, at most `max`; nullopt otherwise.
inline std::optional<unsigned> parse_number(std::string_view s, unsigned max) noexcept {
  if (s.empty() || s.size() > 9 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

/// The sorted, duplicate-free union of character sets.
inline std::string make_charset(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts) s += p;
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

/// The answer to a subquestion `sq` among the two subanswers, if one of them asks it.
inline const std::string* answer_to(const std::string& sq, const string_subanswer& s1, const string_subanswer& s2) noexcept {
  if (s1.question == sq) return &s1.answer;
  if (s2.question == sq) return &s2.answer;
  return nullptr;
}

/// True when the subanswers ask exactly the subquestions `{a, b}`, in either order.
inline bool asks(const string_subanswer& s1, const string_subanswer& s2, const std::string& a, const std::string& b) noexcept {
  return (s1.question == a && s2.question == b) || (s1.question == b && s2.question == a);
}

/// `H(Q)` for any question: the overseer's own recursion through its `fan_out` and `fan_in`
/// (the full HCH tree, without a model). Spec §8's depth-limit fallback calls `H(Q)` on
/// questions that are not primitive, and must get the right answer; the procedure counts it
/// as one overseer call. `max_rounds` guards against an overseer that never answers.
template <class H>
std::string solve(const H& h, const std::string& q, std::string_view task, std::size_t max_rounds = 64) {
  string_move m = h.fan_out(q);
  std::size_t rounds = 0;
  while (m.is_split()) {
    if (++rounds > max_rounds)
      throw error("aida::tasks::" + std::string(task) + ": the overseer asked more than " +
                  std::to_string(max_rounds) + " rounds of subquestions for \"" + q + "\"");
    const auto s = m.get_split();
    bounded_vector<string_subanswer, max_subquestions> subs;
    for (const std::string& sq : s) subs.push_back(string_subanswer{sq, solve(h, sq, task, max_rounds)});
    m = aida::detail::plain_fan_in(h, q, std::span<const string_subanswer>(subs.data(), subs.size()));
  }
  return m.get_answer();
}

/// What the four overseers share: the member types, `answer` (the overseer's own recursion,
/// spec §8's one call to H) and `well_formed`. `Parse` is the task's strict parser, which
/// throws `malformed_question` naming the question; `Name` is the task's name.
template <class Derived, const std::string_view& Name, auto Parse>
class overseer_base {
 public:
  using question_type = std::string;
  using answer_type = std::string;
  using move_type = Move<std::string, std::string>;
  using subanswer_type = Subanswer<std::string, std::string>;
  /// The task overseers are stateless (their members are const and keep nothing): they may be
  /// called from several threads at once (`aida::concurrent_calls`).
  static constexpr bool concurrent_calls = true;

  /// The answer of the overseer's own recursion; throws `malformed_question` for a question
  /// that is not of the task.
  [[nodiscard]] std::string answer(const std::string& q) const {
    (void)Parse(q);
    return solve(static_cast<const Derived&>(*this), q, Name);
  }

  /// True when `q` is a question of the task (no exception); the primed overseer asks this
  /// before it lets a model's split reach H.
  [[nodiscard]] bool well_formed(std::string_view q) const noexcept {
    try {
      (void)Parse(q);
      return true;
    } catch (...) {
      return false;
    }
  }
};

}  // namespace detail
}  // namespace aida::tasks
