#pragma once
/// \file
/// `aida::string_codec`: the transformation of spec §1 for string questions and answers.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "aida/core/concepts.hpp"
#include "aida/core/error.hpp"

namespace aida {

/// The codec for `std::string` questions and answers.
///
/// Format (short, because character models read it):
/// - fan-out question: `'^' + q`;
/// - fan-in question: `'&' + esc(q) + '|' + esc(sq) + '=' + esc(a) + '|' + esc(sq') + '=' + esc(a')`,
///   the two subanswers ordered by (subquestion, answer), so that the question is symmetric;
/// - answer move: `'=' + a`, `a` being the rest of the string, verbatim;
/// - split move: `'/' + esc(x) + '|' + esc(y)` with `x` ≤ `y`, so that it is symmetric.
///
/// `esc` puts a backslash before a backslash, `|` and `=`. Every string decodes to a move or to
/// "malformed" (`std::nullopt`): an empty string, an unknown first character, a split
/// without exactly one separator, a dangling or unknown escape, or an empty subquestion.
///
/// A plain question starting with `^` or `&` reads like a fan-out or fan-in question to
/// the model; the markers can be changed in the constructor if a task's questions need them.
/// The two markers must differ (else a fan-out question and a fan-in question can be the same
/// string: with `&` for both, `fan_out_question("x|a=1|b=2")` is the fan-in question of `x`
/// with subanswers `a=1`, `b=2`), and neither may be one of the characters the format
/// reserves (`\\`, `|`, `=`, `/`), so that every character the codec writes has one role;
/// the constructor throws `aida::invalid_options` naming the clash.
///
/// **Shared context** (`string_codec::with_context(sep)`): many tasks write a fixed context
/// into every question of a tree (the entries of a table, a permutation) followed by a
/// separator and the part that changes (`"bba5aab8:a**"`). With a context separator, the
/// codec writes a subquestion that has the same context as the question it belongs to as
/// just its part from the last separator on (`":aa*"`), in fan-in questions and in the split
/// moves of `encode(q, m)`; `decode(q, a)` puts the context of `q` back. A subquestion with
/// another context is written in full, with its separators escaped, so the two forms never
/// collide. This halves the length of fan-in questions and splits on such tasks, and spares
/// a character model from copying the context. `encode(m)` and `decode(a)`, without the
/// question, use the full form.
class string_codec {
 public:
  using question_type = std::string;                          ///< questions are strings
  using answer_type = std::string;                            ///< so are answers
  using move_type = Move<std::string, std::string>;           ///< a move of this codec
  using subanswer_type = Subanswer<std::string, std::string>; ///< a subanswer of this codec

  constexpr string_codec() = default;
  /// The codec with other markers of fan-out and fan-in questions. They must differ from each
  /// other and from the characters the format reserves (`\\`, `|`, `=`, `/`):
  /// `aida::invalid_options` otherwise.
  constexpr string_codec(char fan_out_marker, char fan_in_marker)
      : fan_out_(fan_out_marker), fan_in_(fan_in_marker) {
    check_marker(fan_out_marker, "fan-out");
    check_marker(fan_in_marker, "fan-in");
    if (fan_out_marker == fan_in_marker)
      throw invalid_options("aida::string_codec: the fan-out and fan-in markers are both " + quoted(fan_out_marker) +
                            ": a fan-out question and a fan-in question could be the same string");
  }

  /// The codec with context separator `sep` (see above), and markers as the constructor's.
  /// `sep` must not be one of the characters the format uses (`\\`, `|`, `=`, the markers)
  /// nor `'\\0'` (which stands for "no separator"): `aida::invalid_options`.
  [[nodiscard]] static string_codec with_context(char sep, char fan_out_marker = '^', char fan_in_marker = '&') {
    string_codec c(fan_out_marker, fan_in_marker);
    if (sep == '\0')
      throw invalid_options("aida::string_codec: the NUL character cannot be the context separator: it means none");
    if (const char* role = reserved_role(sep))
      throw invalid_options("aida::string_codec: " + quoted(sep) + " cannot be the context separator: it is " + role);
    if (sep == fan_out_marker || sep == fan_in_marker)
      throw invalid_options("aida::string_codec: " + quoted(sep) + " cannot be the context separator: it is the " +
                            (sep == fan_out_marker ? "fan-out" : "fan-in") + " marker");
    c.sep_ = sep;
    return c;
  }

  /// The context separator, or '\\0' for none.
  [[nodiscard]] constexpr char context_separator() const noexcept { return sep_; }

  /// Every character this codec writes besides those of the questions and answers it is
  /// given: the two markers, the move prefixes `/` and `=`, the separator `|`, the escape
  /// `\\` and the context separator if there is one; sorted, without repeats. A character
  /// model that reads and writes codec strings needs all of them in its vocabulary: build
  /// `aida::nn::char_model_config::charset` from the task's characters and `alphabet()`.
  [[nodiscard]] std::string alphabet() const {
    std::string s{fan_out_, fan_in_, '/', '=', '|', '\\'};
    if (sep_ != '\0') s += sep_;
    std::sort(s.begin(), s.end());
    s.erase(std::unique(s.begin(), s.end()), s.end());
    return s;
  }

  /// The question that asks for the fan-out move of `q`: the fan-out marker, then `q`.
  [[nodiscard]] std::string fan_out_question(const std::string& q) const {
    std::string out;
    out.reserve(q.size() + 1);
    out += fan_out_;
    out += q;
    return out;
  }

  /// The question that asks for the fan-in move of `q` given the subanswers `s1` and `s2`, in
  /// the format above (the two in canonical order, so the result does not depend on theirs).
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
    subquestion_into(out, &q, x.question);
    out += '=';
    escape_into(out, x.answer);
    out += '|';
    subquestion_into(out, &q, y.question);
    out += '=';
    escape_into(out, y.answer);
    return out;
  }

  /// The move in full form.
  [[nodiscard]] std::string encode(const move_type& m) const { return encode_impl(nullptr, m); }

  /// The move `m` made for question `q`: a split's subquestions that share `q`'s context are
  /// written without it (with a context separator; otherwise the same as `encode(m)`).
  [[nodiscard]] std::string encode(const std::string& q, const move_type& m) const { return encode_impl(&q, m); }

  /// The move written in full form, or `std::nullopt` (malformed).
  [[nodiscard]] std::optional<move_type> decode(std::string_view a) const noexcept { return decode_impl(nullptr, a); }

  /// The move written by `encode(q, m)` for question `q`, or `std::nullopt` (malformed).
  [[nodiscard]] std::optional<move_type> decode(const std::string& q, std::string_view a) const noexcept {
    return decode_impl(&q, a);
  }

 private:
  /// What the format uses character `ch` for, or null if it is free for markers and the
  /// context separator.
  static constexpr const char* reserved_role(char ch) noexcept {
    switch (ch) {
      case '\\': return "the escape character";
      case '|': return "the separator of fan-in questions and splits";
      case '=': return "the prefix of answer moves and the separator of subanswers";
      case '/': return "the prefix of split moves";
      default: return nullptr;
    }
  }

  static std::string quoted(char ch) {
    if (ch == '\0') return "NUL";
    return std::string("'") + ch + "'";
  }

  static constexpr void check_marker(char marker, const char* which) {
    if (const char* role = reserved_role(marker))
      throw invalid_options("aida::string_codec: " + quoted(marker) + " cannot be the " + which +
                            " marker: it is " + role);
  }

  /// Where `x`'s context ends (one past its last separator), or npos without one.
  [[nodiscard]] std::size_t context_end(std::string_view x) const noexcept {
    if (sep_ == '\0') return std::string_view::npos;
    const auto at = x.rfind(sep_);
    return at == std::string_view::npos ? at : at + 1;
  }

  /// Writes subquestion `sq` of `q`: relative (`sep` + the rest) if both have a context, it
  /// is the same and `sq` has more than it, else in full with every separator escaped.
  void subquestion_into(std::string& out, const std::string* q, std::string_view sq) const {
    if (sep_ != '\0' && q != nullptr) {
      const auto end = context_end(sq);
      if (end != std::string_view::npos && end < sq.size() && end == context_end(*q) &&
          std::string_view(*q).substr(0, end) == sq.substr(0, end)) {
        out += sep_;
        escape_into(out, sq.substr(end), true);
        return;
      }
    }
    escape_into(out, sq, true);
  }

  std::string encode_impl(const std::string* q, const move_type& m) const {
    std::string out;
    if (m.is_answer()) {
      out.reserve(m.get_answer().size() + 1);
      out += '=';
      out += m.get_answer();
      return out;
    }
    const auto& s = m.get_split();
    out += '/';
    subquestion_into(out, q, s.first);
    const std::size_t bar = out.size();
    out += '|';
    subquestion_into(out, q, s.second);
    // Symmetric: the smaller written form first. "/a|b" becomes "/b|a" in place: b to the
    // front ("/b" + "a|"), then the bar before a.
    const std::string_view written(out);
    if (written.substr(bar + 1) < written.substr(1, bar - 1)) {
      const std::size_t b_size = out.size() - bar - 1;
      std::rotate(out.begin() + 1, out.begin() + static_cast<std::ptrdiff_t>(bar) + 1, out.end());
      std::rotate(out.begin() + 1 + static_cast<std::ptrdiff_t>(b_size), out.end() - 1, out.end());
    }
    return out;
  }

  std::optional<move_type> decode_impl(const std::string* q, std::string_view a) const noexcept {
    try {
      if (a.empty()) return std::nullopt;
      if (a.front() == '=') return move_type::answer(std::string(a.substr(1)));
      if (a.front() != '/') return std::nullopt;
      std::string parts[2];
      bool relative[2] = {false, false};
      int part = 0;
      bool part_start = true;
      for (std::size_t i = 1; i < a.size(); ++i) {
        const char ch = a[i];
        if (ch == '\\') {
          if (i + 1 == a.size()) return std::nullopt;
          const char e = a[++i];
          if (e != '\\' && e != '|' && e != '=' && (sep_ == '\0' || e != sep_)) return std::nullopt;
          parts[part] += e;
        } else if (ch == '|') {
          if (part == 1) return std::nullopt;
          part = 1;
          part_start = true;
          continue;
        } else if (ch == '=') {
          return std::nullopt;  // '=' is always escaped inside a split
        } else if (sep_ != '\0' && ch == sep_) {
          // An unescaped separator only opens a relative subquestion, which needs `q`.
          if (!part_start || q == nullptr) return std::nullopt;
          const auto end = context_end(*q);
          if (end == std::string_view::npos) return std::nullopt;
          relative[part] = true;
          parts[part].assign(*q, 0, end);
        } else {
          parts[part] += ch;
        }
        part_start = false;
      }
      if (part != 1 || parts[0].empty() || parts[1].empty()) return std::nullopt;
      for (int k = 0; k < 2; ++k)  // a relative subquestion needs more than the context
        if (relative[k] && parts[k].size() == context_end(*q)) return std::nullopt;
      return move_type::split(std::move(parts[0]), std::move(parts[1]));
    } catch (...) {  // allocation failure: report malformed rather than throw
      return std::nullopt;
    }
  }

  /// Escapes the format's characters; in a subquestion (`subquestion`), the separator too,
  /// so that a full subquestion never reads as a relative one.
  void escape_into(std::string& out, std::string_view s, bool subquestion = false) const {
    for (char ch : s) {
      if (ch == '\\' || ch == '|' || ch == '=' || (subquestion && sep_ != '\0' && ch == sep_)) out += '\\';
      out += ch;
    }
  }
  char fan_out_ = '^';
  char fan_in_ = '&';
  char sep_ = '\0';  // context separator; '\0' for none
};

static_assert(Codec<string_codec>);

}  // namespace aida
