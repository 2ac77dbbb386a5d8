#pragma once
// Shared by the fuzz targets: how a target reports a broken law (print and abort, which
// libFuzzer records as a crash with the input that caused it) and the rule every target
// applies to exceptions: aida throws only `aida::error`s, so anything else is a crash too.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include "aida/core/error.hpp"

namespace aida_fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "aida fuzz: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Aborts with "law broken: <what>" when `cond` is false; `what` (a string expression) is
/// only built then, so that checks cost nothing on the fuzzer's fast path.
#define AIDA_FUZZ_CHECK(cond, what)                                   \
  do {                                                                \
    if (!(cond)) ::aida_fuzz::fail(std::string("law broken: ") + (what)); \
  } while (false)

/// Runs `f()`; an `aida::error` is an accepted outcome (returns false), any other
/// exception is a crash. Returns true when `f` returned normally.
template <class F>
bool works_or_aida_error(std::string_view what, F&& f) {
  try {
    f();
    return true;
  } catch (const aida::error&) {
    return false;
  } catch (const std::exception& e) {
    fail(std::string(what) + " threw " + typeid(e).name() + ", not an aida::error: " + e.what());
  } catch (...) {
    fail(std::string(what) + " threw something that is not a std::exception");
  }
}

/// Printable form of arbitrary bytes for messages: C escapes for the unprintable.
inline std::string show(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u >= 0x20 && u < 0x7F) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    }
  }
  return out + '"';
}

}  // namespace aida_fuzz
