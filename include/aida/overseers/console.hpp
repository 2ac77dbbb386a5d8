#pragma once
/// \file
/// A person at a terminal as the overseer H: `aida::console_overseer` shows each call (its
/// kind, the question, at fan-in the subanswers and who produced them) and reads the person's
/// move from a stream.

#include <cstddef>
#include <iostream>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"
#include "aida/core/move.hpp"
#include "aida/overseers/text.hpp"

namespace aida {

/// What `aida::console_overseer` shows besides the calls.
struct console_options {
  /// The overseer calls the person is expected to answer (the procedure's
  /// `amplify_options::max_overseer_calls`, say), shown as "call k of N"; none: "call k".
  std::optional<std::size_t> budget;
  /// Written before each line the person types.
  std::string prompt = "> ";
};

/// The overseer H played by a person at a terminal (or by a script: any `std::istream`).
///
/// Each call writes to the output stream its number (against `console_options::budget` when
/// given), its kind and the question; a fan-in call also lists the subquestions with their
/// answers and who produced each answer: "H (recursion)" for an amplification of the
/// subquestion (the person's own earlier work), "ML" for a draw from the model (known only
/// when a procedure calls it, through `ctx.subanswer_by`). Then it reads one line, a move:
///
/// - `= TEXT`: the answer TEXT (spaces around it dropped; the rest taken as it is, `|` and `\`
///   included), read by the text form `Text` into an `A`;
/// - `split Q1 | Q2`, or `split Q1 | Q2 | Q3` and so on up to `aida::max_subquestions`:
///   subquestions, each read by `Text` into a `Q`. Within them `\|` stands for `|` and `\\` for
///   `\`; no subquestion may be empty or the question itself;
/// - `help`: the syntax again.
///
/// A line it cannot use (not a move, a text `Text` cannot read, a split where an answer is
/// needed) is answered with the reason and the prompt again. An `answer` call (H(Q), spec §8's
/// fallback at the depth and round limits) must be answered: a split is refused there. The end
/// of the input throws `aida::overseer_error` naming the call and the question.
///
/// Text forms: `aida::plain_text` for strings and numbers, or a `TextForm` of the user's own
/// for other `Q` and `A`. Holds the streams by reference; they must outlive it.
template <class Q, class A, class Text = plain_text>
class console_overseer {
 public:
  using question_type = Q;  ///< the questions it reads and shows
  using answer_type = A;    ///< the answers it reads and shows

  /// Reads moves from `in` and writes the calls to `out`, with `options` and text form `text`.
  explicit console_overseer(std::istream& in = std::cin, std::ostream& out = std::cout, console_options options = {},
                            Text text = {})
      : in_(&in), out_(&out), opt_(std::move(options)), text_(std::move(text)) {
    static_assert(TextForm<Text, Q>, "aida::console_overseer: Text cannot write and read the question type");
    static_assert(TextForm<Text, A>, "aida::console_overseer: Text cannot write and read the answer type");
  }

  /// H(q): the person must answer.
  A answer(const Q& q) { return ask(kind::answer, q, {}, nullptr).get_answer(); }
  /// H_fan_out(q): an answer or a split.
  Move<Q, A> fan_out(const Q& q) { return ask(kind::fan_out, q, {}, nullptr); }
  /// H_fan_in(q, subs): an answer or a new split; who produced the subanswers is not known.
  Move<Q, A> fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs) { return ask(kind::fan_in, q, subs, nullptr); }
  /// H_fan_in(q, s1, s2) of a split of two.
  Move<Q, A> fan_in(const Q& q, const Subanswer<Q, A>& s1, const Subanswer<Q, A>& s2) {
    const Subanswer<Q, A> both[2] = {s1, s2};
    return fan_in(q, std::span<const Subanswer<Q, A>>(both, 2));
  }

  /// H(q) within a procedure's episode.
  template <Sampler S>
  A answer(const Q& q, overseer_context<S>&) {
    return answer(q);
  }
  /// H_fan_out(q) within a procedure's episode.
  template <Sampler S>
  Move<Q, A> fan_out(const Q& q, overseer_context<S>&) {
    return fan_out(q);
  }
  /// H_fan_in(q, subs) within a procedure's episode: shows who produced each subanswer.
  template <Sampler S>
  Move<Q, A> fan_in(const Q& q, std::span<const Subanswer<Q, A>> subs, overseer_context<S>& ctx) {
    return ask(kind::fan_in, q, subs, ctx.subanswer_by.data());
  }

  /// The calls answered so far.
  [[nodiscard]] std::size_t calls() const noexcept { return calls_; }

 private:
  enum class kind { answer, fan_out, fan_in };

  static const char* name(kind k) noexcept {
    return k == kind::answer ? "answer" : k == kind::fan_out ? "fan-out" : "fan-in";
  }

  static const char* who(producer p) noexcept {
    return p == producer::recursion ? "H (recursion)" : p == producer::model ? "ML" : "H";
  }

  Move<Q, A> ask(kind k, const Q& q, std::span<const Subanswer<Q, A>> subs, const producer* by) {
    std::ostream& out = *out_;
    out << "--- call " << calls_ + 1;
    if (opt_.budget) out << " of " << *opt_.budget;
    out << " --- " << name(k) << ": " << text_.write(q) << '\n';
    for (std::size_t i = 0; i < subs.size(); ++i) {
      out << "  subquestion " << i + 1 << ": " << text_.write(subs[i].question) << "  answer: " << text_.write(subs[i].answer);
      if (by != nullptr) out << "  (by " << who(by[i]) << ')';
      out << '\n';
    }
    syntax(k);
    for (;;) {
      out << opt_.prompt << std::flush;
      std::string line;
      if (!std::getline(*in_, line))
        throw overseer_error(std::string("aida::console_overseer: the input ended while asking for the ") + name(k) +
                             " of " + detail::describe(text_.write(q)));
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (trim(line) == "help") {
        out << "  \"= ANSWER\" answers (the rest of the line, as it is); \"split Q1 | Q2\" asks two subquestions\n"
               "  (\"split Q1 | Q2 | Q3\" three, and so on)\n"
               "  (in them \\| stands for '|' and \\\\ for '\\')\n";
        syntax(k);
        continue;
      }
      std::string why;
      if (std::optional<Move<Q, A>> m = read_move(k, q, line, why)) {
        ++calls_;
        return std::move(*m);
      }
      out << "cannot use that: " << why << '\n';
    }
  }

  void syntax(kind k) const {
    *out_ << (k == kind::answer ? "  answer with \"= ANSWER\" (this call cannot split)\n"
                                : "  answer with \"= ANSWER\", or split with \"split Q1 | Q2\"\n");
  }

  static std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  }

  /// The move on `line`, or nullopt with the reason in `why`.
  std::optional<Move<Q, A>> read_move(kind k, const Q& q, const std::string& line, std::string& why) {
    const std::string_view s = trim(line);
    if (!s.empty() && s.front() == '=') {
      try {
        return Move<Q, A>::answer(A(text_.read(trim(s.substr(1)), std::type_identity<A>{})));
      } catch (const error& e) {
        why = std::string("the answer cannot be read: ") + e.what();
        return std::nullopt;
      }
    }
    if (s.substr(0, 5) == "split" && (s.size() == 5 || s[5] == ' ' || s[5] == '\t')) {
      if (k == kind::answer) {
        why = "this call needs an answer (\"= ANSWER\"): H(Q) cannot split";
        return std::nullopt;
      }
      return read_split(q, s.substr(5), why);
    }
    why = s.empty() ? "the line is empty; a move starts with '=' (an answer) or 'split' (subquestions)"
                    : "'" + std::string(s) + "' is not a move; a move starts with '=' (an answer) or 'split' ("
                                             "subquestions); 'help' shows the syntax";
    return std::nullopt;
  }

  std::optional<Move<Q, A>> read_split(const Q& q, std::string_view rest, std::string& why) {
    std::string parts[max_subquestions];
    std::size_t part = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
      const char c = rest[i];
      if (c == '\\' && i + 1 < rest.size() && (rest[i + 1] == '|' || rest[i + 1] == '\\')) {
        parts[part] += rest[++i];
      } else if (c == '|') {
        if (part + 1 == max_subquestions) {
          why = "a split has at most " + std::to_string(max_subquestions) +
                " subquestions (aida::max_subquestions; write \\| for a '|' inside one)";
          return std::nullopt;
        }
        ++part;
      } else {
        parts[part] += c;
      }
    }
    if (part == 0) {
      why = "a split needs two or more subquestions separated by '|': split Q1 | Q2";
      return std::nullopt;
    }
    Split<Q> split;
    for (std::size_t i = 0; i <= part; ++i) {
      const std::string which = "subquestion " + std::to_string(i + 1);
      const std::string_view t = trim(parts[i]);
      if (t.empty()) {
        why = which + " is empty";
        return std::nullopt;
      }
      std::optional<Q> sq;
      try {
        sq.emplace(text_.read(t, std::type_identity<Q>{}));
      } catch (const error& e) {
        why = which + " cannot be read: " + e.what();
        return std::nullopt;
      }
      if (*sq == q) {
        why = which + " is the question itself (it would never end)";
        return std::nullopt;
      }
      split.push_back(std::move(*sq));
    }
    return Move<Q, A>::split(std::move(split));
  }

  std::istream* in_;
  std::ostream* out_;
  console_options opt_;
  Text text_;
  std::size_t calls_ = 0;
};

}  // namespace aida
