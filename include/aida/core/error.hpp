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

/// Base of every exception aida throws itself (user exceptions, and `std::bad_alloc` from
/// allocations, propagate unchanged).
///
/// Every aida exception derives from `std::runtime_error` through this one class, and from no
/// other standard exception, even where the error is a bad argument (which the standard
/// library would report with `std::invalid_argument`, a `std::logic_error`): a second
/// standard base would make `catch (const std::exception&)` ambiguous, which does not catch
/// at all. Catch `aida::error` (or `std::exception`) for everything aida reports.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The overseer did something the procedures cannot use: a split that repeats the
/// question it splits or one of its ancestors (spec §8), which would never terminate.
struct overseer_error : error {
  using error::error;
};

/// A procedure or a type was given options that cannot work (for example `max_rounds == 0`,
/// or codec markers that collide); the message names the option and the value.
struct invalid_options : error {
  using error::error;
};

/// A loss, a gradient or a value returned by a training step is not finite (NaN or ±∞).
/// Whoever throws it says what was left unchanged: the reference models' and optimisers'
/// steps change nothing, and `aida::train` puts the learners back as they were before the
/// step (see its documentation for what that needs of a model of your own).
struct non_finite_error : error {
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
