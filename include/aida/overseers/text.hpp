#pragma once
/// \file
/// How the overseer wrappers (a cache, a person at a terminal, fault injection) write a
/// question or an answer as text and read it back: `aida::plain_text` for strings and
/// numbers, and the `TextForm` concept for a user's own types.

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "aida/core/error.hpp"

namespace aida {

/// \concept TextForm
/// Writes values of type `T` as text and reads them back: `f.write(t) -> std::string` and
/// `f.read(text, std::type_identity<T>{}) -> T`, with `read(write(t)) == t`. `read` throws an
/// `aida::error` naming the text when it is not the text of a `T`.
///
/// **Models:** `aida::plain_text` (strings, integers, floating-point numbers).
template <class F, class T>
concept TextForm = requires(const F& f, const T& t, std::string_view s) {
  { f.write(t) } -> std::convertible_to<std::string>;
  { f.read(s, std::type_identity<T>{}) } -> std::convertible_to<T>;
};

/// The text form of strings (themselves), integers and floating-point numbers (`std::to_chars`,
/// shortest form that reads back exactly; `read` takes the whole text or throws).
struct plain_text {
  /// A string is its own text.
  [[nodiscard]] std::string write(const std::string& s) const { return s; }
  /// A number in its shortest exact decimal form.
  template <class T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
  [[nodiscard]] std::string write(T v) const {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
  }
  /// A string read back: the text itself.
  [[nodiscard]] std::string read(std::string_view s, std::type_identity<std::string>) const { return std::string(s); }
  /// A number read back; throws `aida::error` naming the text unless all of it is a `T`.
  template <class T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
  [[nodiscard]] T read(std::string_view s, std::type_identity<T>) const {
    T v{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
      throw error("aida: '" + std::string(s) + "' is not " +
                  (std::is_integral_v<T> ? "an integer in range" : "a number"));
    return v;
  }
};

}  // namespace aida
