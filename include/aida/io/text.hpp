#pragma once
/// \file
/// Text for the exporters: turning questions and answers of any type into strings, and
/// escaping any byte string so that JSON and Graphviz DOT output stay valid.

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <locale>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "aida/core/episode.hpp"

namespace aida::io {

/// The default way to turn a question or answer into text: the string itself for types
/// that convert to `std::string_view`, `operator<<` (in the classic locale) otherwise.
struct to_text {
  /// `value` as text.
  template <class T>
    requires std::convertible_to<const T&, std::string_view> ||
             requires(std::ostream& os, const T& t) { os << t; }
  std::string operator()(const T& value) const {
    if constexpr (std::convertible_to<const T&, std::string_view>) {
      return std::string(std::string_view(value));
    } else {
      std::ostringstream os;
      os.imbue(std::locale::classic());
      os << value;
      return std::move(os).str();
    }
  }
};

/// \concept Formatter
/// Turns a value of type `T` into text for an exporter.
///
/// **Minimal complete definition:** `f(t)` convertible to `std::string`, `f` const.
///
/// **Models:** `aida::io::to_text` (for streamable types and strings); any lambda.
template <class F, class T>
concept Formatter = requires(const F& f, const T& t) {
  { f(t) } -> std::convertible_to<std::string>;
};

/// The name of a producer in the exports: "overseer", "model" or "recursion".
[[nodiscard]] constexpr std::string_view name(producer p) noexcept {
  switch (p) {
    case producer::overseer: return "overseer";
    case producer::recursion: return "recursion";
    case producer::model: return "model";
  }
  return "unknown";
}

/// The name of a node's end in the exports (the enumerator's name).
[[nodiscard]] constexpr std::string_view name(node_end e) noexcept {
  switch (e) {
    case node_end::fan_out_answer: return "fan_out_answer";
    case node_end::fan_in_answer: return "fan_in_answer";
    case node_end::depth_limit: return "depth_limit";
    case node_end::round_limit: return "round_limit";
    case node_end::overseer_budget: return "overseer_budget";
    case node_end::malformed_move: return "malformed_move";
  }
  return "unknown";
}

/// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF) that starts at `s[i]`, or 0 if there is none.
[[nodiscard]] constexpr std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) len = 2;
  else if (c == 0xE0) len = 3, lo = 0xA0;
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
  else if (c == 0xED) len = 3, hi = 0x9F;  // excludes the surrogates U+D800..U+DFFF
  else if (c == 0xF0) len = 4, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) len = 4;
  else if (c == 0xF4) len = 4, hi = 0x8F;  // nothing above U+10FFFF
  else return 0;
  if (i + len > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return len;
}

/// True when `s` is well-formed UTF-8.
[[nodiscard]] constexpr bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace detail {

inline constexpr char hex_digits[] = "0123456789abcdef";

inline void append_hex_byte(std::string& out, unsigned char c) {
  out += hex_digits[c >> 4];
  out += hex_digits[c & 0xF];
}

/// The body of a JSON string for `s` (without quotes). Well-formed UTF-8 is kept as it is;
/// each byte that is not part of a well-formed sequence becomes U+FFFD.
inline void append_json_string_body(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    const char c = s[i++];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {  // RFC 8259 §7: control characters escaped
          out += "\\u00";
          append_hex_byte(out, static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
}

}  // namespace detail

/// Appends `s` as a JSON *text value*: a JSON string when `s` is well-formed UTF-8 (the
/// common case, exact), otherwise an object `{"text": <s with U+FFFD for each bad byte>,
/// "hex": <every byte of s in lowercase hex>}`, so that any byte string gives valid JSON
/// and can be read back exactly (docs/tree-schema.json, `$defs/text`).
inline void append_json_text(std::string& out, std::string_view s) {
  if (valid_utf8(s)) {
    out += '"';
    detail::append_json_string_body(out, s);
    out += '"';
    return;
  }
  out += "{\"text\":\"";
  detail::append_json_string_body(out, s);
  out += "\",\"hex\":\"";
  for (char c : s) detail::append_hex_byte(out, static_cast<unsigned char>(c));
  out += "\"}";
}

/// Appends a JSON number for `x`, or `null` when `x` is not finite (JSON has no NaN).
inline void append_json_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);  // shortest round trip, locale-free
  out.append(buf, r.ec == std::errc{} ? r.ptr : buf);
}

/// Appends a JSON number for the count `x`.
inline void append_json_number(std::string& out, std::size_t x) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, r.ptr);
}

/// Appends `s` for use inside a double-quoted Graphviz string (a label): every character
/// that DOT or Graphviz would interpret is neutralised, so that any byte string gives a
/// valid file that draws `s` literally. Quotes and backslashes are escaped; `&` becomes
/// `&amp;` (Graphviz reads HTML entities in labels); control characters and bytes that are
/// not well-formed UTF-8 are shown as visible escapes (`\n`, `\t`, `\xHH`). At most
/// `max_chars` characters of `s` are shown, then `…`.
inline void append_dot_escaped(std::string& out, std::string_view s, std::size_t max_chars) {
  std::size_t shown = 0;
  for (std::size_t i = 0; i < s.size(); ++shown) {
    if (shown == max_chars) {
      out += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
      return;
    }
    const std::size_t n = utf8_length(s, i);
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i++]);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      // In DOT source `\\` is one backslash in the label: these render as \n, \t, \xHH.
      out += "\\\\";
      if (c == '\n') out += 'n';
      else if (c == '\t') out += 't';
      else {
        out += 'x';
        detail::append_hex_byte(out, c);
      }
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace aida::io
