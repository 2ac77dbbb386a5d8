#pragma once
/// \file
/// Exception types thrown by aida. Every error names what was wrong.

#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace aida {

/// Base of every exception aida throws itself (user exceptions propagate unchanged).
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The overseer did something the procedures cannot use: a split that repeats the
/// question it splits or one of its ancestors (spec §8), which would never terminate.
struct overseer_error : error {
  using error::error;
};

/// A procedure was called with options that cannot work (for example `max_rounds == 0`).
struct invalid_options : error {
  using error::error;
};

namespace detail {

template <class T>
concept streamable = requires(std::ostream& os, const T& t) { os << t; };

/// Renders a question or answer for an error message: quoted if it can be printed,
/// a placeholder otherwise (questions need not be printable).
template <class T>
std::string describe(const T& value) {
  if constexpr (streamable<T>) {
    std::ostringstream os;
    if constexpr (std::is_convertible_v<const T&, std::string_view>)
      os << '"' << value << '"';
    else
      os << value;
    return os.str();
  } else {
    return "<unprintable " + std::string(typeid(T).name()) + ">";
  }
}

}  // namespace detail
}  // namespace aida
