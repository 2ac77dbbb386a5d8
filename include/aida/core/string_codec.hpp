#pragma once
/// \file
/// `aida::string_codec`: the transformation of spec §1 for string questions and answers.

#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "aida/core/concepts.hpp"

namespace aida {

/// The codec for `std::string` questions and answers.
///
/// Format (short, because character models read it):
/// - fan-out question: `'^' + q`;
/// - fan-in question: `'&' + esc(q) + '|' + esc(sq) + '=' + esc(a) + '|' + esc(sq') + '=' + esc(a')`,
///   the two subanswers ordered by (subquestion, answer), so that the question is symmetric;
/// - answer move: `'=' + a` (the rest of the string, verbatim);
/// - split move: `'/' + esc(x) + '|' + esc(y)` with `x <= y`, so that it is symmetric.
///
/// `esc` puts a backslash before `\`, `|` and `=`. Every string decodes to a move or to
/// "malformed" (`std::nullopt`): an empty string, an unknown first character, a split
/// without exactly one separator, a dangling or unknown escape, or an empty subquestion.
///
/// A plain question starting with `^` or `&` reads like a fan-out or fan-in question to
/// the model; the markers can be changed in the constructor if a task's questions need them.
class string_codec {
 public:
  using question_type = std::string;
  using answer_type = std::string;
  using move_type = Move<std::string, std::string>;
  using subanswer_type = Subanswer<std::string, std::string>;

  constexpr string_codec() = default;
  constexpr string_codec(char fan_out_marker, char fan_in_marker)
      : fan_out_(fan_out_marker), fan_in_(fan_in_marker) {}

  [[nodiscard]] std::string fan_out_question(const std::string& q) const {
    std::string out;
    out.reserve(q.size() + 1);
    out += fan_out_;
    out += q;
    return out;
  }

  [[nodiscard]] std::string fan_in_question(const std::string& q, const subanswer_type& s1,
                                            const subanswer_type& s2) const {
    const bool swap = std::tie(s2.question, s2.answer) < std::tie(s1.question, s1.answer);
    const subanswer_type& x = swap ? s2 : s1;
    const subanswer_type& y = swap ? s1 : s2;
    std::string out;
    out.reserve(q.size() + x.question.size() + x.answer.size() + y.question.size() +
                y.answer.size() + 8);
    out += fan_in_;
    escape_into(out, q);
    out += '|';
    escape_into(out, x.question);
    out += '=';
    escape_into(out, x.answer);
    out += '|';
    escape_into(out, y.question);
    out += '=';
    escape_into(out, y.answer);
    return out;
  }

  [[nodiscard]] std::string encode(const move_type& m) const {
    std::string out;
    if (m.is_answer()) {
      out.reserve(m.get_answer().size() + 1);
      out += '=';
      out += m.get_answer();
      return out;
    }
    const auto& s = m.get_split();
    const bool swap = s.second < s.first;
    out += '/';
    escape_into(out, swap ? s.second : s.first);
    out += '|';
    escape_into(out, swap ? s.first : s.second);
    return out;
  }

  [[nodiscard]] std::optional<move_type> decode(std::string_view a) const noexcept {
    try {
      if (a.empty()) return std::nullopt;
      if (a.front() == '=') return move_type::answer(std::string(a.substr(1)));
      if (a.front() != '/') return std::nullopt;
      std::string parts[2];
      int part = 0;
      for (std::size_t i = 1; i < a.size(); ++i) {
        const char ch = a[i];
        if (ch == '\\') {
          if (i + 1 == a.size()) return std::nullopt;
          const char e = a[++i];
          if (e != '\\' && e != '|' && e != '=') return std::nullopt;
          parts[part] += e;
        } else if (ch == '|') {
          if (part == 1) return std::nullopt;
          part = 1;
        } else if (ch == '=') {
          return std::nullopt;  // '=' is always escaped inside a split
        } else {
          parts[part] += ch;
        }
      }
      if (part != 1 || parts[0].empty() || parts[1].empty()) return std::nullopt;
      return move_type::split(std::move(parts[0]), std::move(parts[1]));
    } catch (...) {  // allocation failure: report malformed rather than throw
      return std::nullopt;
    }
  }

 private:
  static void escape_into(std::string& out, std::string_view s) {
    for (char ch : s) {
      if (ch == '\\' || ch == '|' || ch == '=') out += '\\';
      out += ch;
    }
  }
  char fan_out_ = '^';
  char fan_in_ = '&';
};

static_assert(Codec<string_codec>);

}  // namespace aida
