#pragma once
/// \file
/// The exception guarantee of the `_into` procedures (amplify, distill, unfold), in one place.

namespace aida::detail {

/// Empties `out` and runs `fill()`; if it throws, restores `rng` to its state at entry,
/// leaves `out` empty and rethrows.
template <class S, class Out, class F>
void fill_or_roll_back(S& rng, Out& out, F&& fill) {
  const S saved = rng;
  out.clear();
  try {
    fill();
  } catch (...) {
    rng = saved;
    out.clear();
    throw;
  }
}

}  // namespace aida::detail
