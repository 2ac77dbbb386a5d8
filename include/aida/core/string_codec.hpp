#pragma once
/// \file
/// `aida::string_codec`: the transformation of spec §1 for string questions and answers.

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
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
/// - fan-in question: `'&' + esc(q)`, then `'|' + esc(sq_i) + '=' + esc(a_i)` for each of the k
///   subanswers, ordered by (subquestion, answer), so that the question is the same for every
///   order of the subanswers;
/// - answer move: `'=' + a`, `a` being the rest of the string, verbatim;
/// - split move: `'/' + esc(x_1) + '|' + ... + '|' + esc(x_k)`, the written subquestions in
///   ascending order, so that the move is the same for every order of the subquestions.
///
/// `esc` puts a backslash before a backslash, `|` and `=`. Every string decodes to a move or to
/// "malformed" (`std::nullopt`): an empty string, an unknown first character, a split with
/// fewer than two or more than `max_split()` subquestions, a dangling or unknown escape, or an
/// empty subquestion.
///
/// **Splits of more than two** (`with_max_split(k)`): the codec decodes splits of 2 to
/// `max_split()` subquestions, 2 by default (the post's splits of two: a model's string
/// with three parts is then malformed, as it always was); a task whose overseer splits in up to
/// k parts uses `string_codec{}.with_max_split(k)`. `encode` writes a split of any size.
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

  /// The codec that decodes splits of 2 to `k` subquestions (see above), with this one's
  /// markers and separator; `aida::invalid_options` unless 2 ≤ k ≤ `aida::max_subquestions`.
  [[nodiscard]] string_codec with_max_split(std::size_t k) const {
    if (k < 2 || k > max_subquestions)
      throw invalid_options("aida::string_codec: max_split " + std::to_string(k) + " is outside [2, " +
                            std::to_string(max_subquestions) + "] (aida::max_subquestions)");
    string_codec c = *this;
    c.max_split_ = static_cast<unsigned char>(k);
    return c;
  }

  /// The most subquestions a split that `decode` accepts has (2 unless `with_max_split`).
  [[nodiscard]] constexpr std::size_t max_split() const noexcept { return max_split_; }

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

  /// The question that asks for the fan-in move of `q` given the subanswers `subs`, in the
  /// format above (in canonical order, so the result does not depend on theirs).
  [[nodiscard]] std::string fan_in_question(const std::string& q, std::span<const subanswer_type> subs) const {
    std::size_t order[max_subquestions];
    const std::size_t k = subs.size();
    if (k > max_subquestions)
      throw error("aida::string_codec: a fan-in question of " + std::to_string(k) + " subanswers (at most " +
                  std::to_string(max_subquestions) + ")");
    std::size_t length = q.size() + 1;
    for (std::size_t i = 0; i < k; ++i) {
      order[i] = i;
      length += subs[i].question.size() + subs[i].answer.size() + 4;
    }
    std::stable_sort(order, order + k, [&](std::size_t a, std::size_t b) {
      return std::tie(subs[a].question, subs[a].answer) < std::tie(subs[b].question, subs[b].answer);
    });
    std::string out;
    out.reserve(length);
    out += fan_in_;
    escape_into(out, q);
    for (std::size_t j = 0; j < k; ++j) {
      const subanswer_type& x = subs[order[j]];
      out += '|';
      subquestion_into(out, &q, x.question);
      out += '=';
      escape_into(out, x.answer);
    }
    return out;
  }

  /// The fan-in question of `q` with the two subanswers `s1` and `s2` (a split of two).
  [[nodiscard]] std::string fan_in_question(const std::string& q, const subanswer_type& s1,
                                            const subanswer_type& s2) const {
    const subanswer_type both[2] = {s1, s2};
    return fan_in_question(q, std::span<const subanswer_type>(both, 2));
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
    // Canonical: the written subquestions in ascending order, by an insertion sort of the
    // written parts in place (each step swaps two neighbours "x|y" → "y|x" with two rotates).
    std::size_t start[max_subquestions];
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i > 0) out += '|';
      start[i] = out.size();
      subquestion_into(out, q, s[i]);
    }
    const auto end_of = [&](std::size_t i) { return i + 1 < s.size() ? start[i + 1] - 1 : out.size(); };
    for (std::size_t i = 1; i < s.size(); ++i) {
      for (std::size_t j = i; j > 0; --j) {
        const std::string_view written(out);
        const std::size_t a = start[j - 1], bar = end_of(j - 1), c = end_of(j);
        if (!(written.substr(bar + 1, c - bar - 1) < written.substr(a, bar - a))) break;
        const std::size_t y_size = c - bar - 1;
        const auto at = [&](std::size_t pos) { return out.begin() + static_cast<std::ptrdiff_t>(pos); };
        std::rotate(at(a), at(bar + 1), at(c));              // "x|y" → "yx|"
        std::rotate(at(a + y_size), at(c - 1), at(c));       // "yx|" → "y|x"
        start[j] = a + y_size + 1;
      }
    }
    return out;
  }

  std::optional<move_type> decode_impl(const std::string* q, std::string_view a) const noexcept {
    try {
      if (a.empty()) return std::nullopt;
      if (a.front() == '=') return move_type::answer(std::string(a.substr(1)));
      if (a.front() != '/') return std::nullopt;
      std::string parts[max_subquestions];
      bool relative[max_subquestions] = {};
      std::size_t part = 0;
      bool part_start = true;
      for (std::size_t i = 1; i < a.size(); ++i) {
        const char ch = a[i];
        if (ch == '\\') {
          if (i + 1 == a.size()) return std::nullopt;
          const char e = a[++i];
          if (e != '\\' && e != '|' && e != '=' && (sep_ == '\0' || e != sep_)) return std::nullopt;
          parts[part] += e;
        } else if (ch == '|') {
          if (part + 1 == max_split_) return std::nullopt;
          ++part;
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
      if (part == 0) return std::nullopt;
      Split<std::string> split;
      for (std::size_t k = 0; k <= part; ++k) {
        if (parts[k].empty()) return std::nullopt;
        // a relative subquestion needs more than the context
        if (relative[k] && parts[k].size() == context_end(*q)) return std::nullopt;
        split.push_back(std::move(parts[k]));
      }
      return move_type::split(std::move(split));
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
  unsigned char max_split_ = 2;  // the most subquestions of a split that decode accepts
};

static_assert(Codec<string_codec>);

}  // namespace aida
