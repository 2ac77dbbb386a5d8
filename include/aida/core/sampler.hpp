#pragma once
/// \file
/// The `Sampler` concept and aida's reproducible random source.

#include <cmath>
#include <concepts>
#include <cstdint>

#include "aida/core/error.hpp"

namespace aida {

/// \concept Sampler
/// A reproducible, splittable source of randomness, passed explicitly to every
/// procedure that draws (aida has no global random state).
///
/// **Minimal complete definition:** `s.next()` (a uniformly random `std::uint64_t`),
/// `s.uniform()` (a double in [0, 1)), `s.gumbel()` (a standard Gumbel(0, 1) draw),
/// `s.split()` (a new, statistically independent sampler); copyable.
///
/// **Optional:** `s.below(n)`, an integer uniform on [0, n) as a `std::uint64_t`. Generic
/// code draws bounded integers with `aida::draw_below(s, n)`, which calls `s.below(n)` when
/// the sampler has it and otherwise computes the same draw as `aida::sampler::below` from
/// one `s.next()`, rather than `s.next() % n` (a second way to draw, with other values).
///
/// **Semantic requirements:** two copies produce the same sequence (a copy is a snapshot
/// that procedures use to roll back on exceptions); `split()` advances the parent and the
/// child's stream does not overlap the parent's in practice; `gumbel()` has CDF
/// `exp(-exp(-x))`; `below(n)` is uniform on [0, n) and throws `aida::error` for n = 0.
///
/// **Models:** `aida::sampler`.
///
/// **Rationale:** the outputs of `std::` distributions are implementation-defined, so the
/// same seed would give different episodes on different standard libraries. `below` is
/// optional, not required, so that a sampler written before it existed still models the
/// concept: `draw_below` gives every sampler the bounded draw.
template <class S>
concept Sampler = std::copyable<S> && requires(S& s) {
  { s.next() } -> std::same_as<std::uint64_t>;
  { s.uniform() } -> std::convertible_to<double>;
  { s.gumbel() } -> std::convertible_to<double>;
  { s.split() } -> std::same_as<S>;
};

namespace detail {

/// The bounded draw of aida: the integer in [0, n) that a uniform 64-bit draw `x` gives, the
/// high word of the 128-bit product x·n (Lemire's multiply-shift, "Fast random integer
/// generation in an interval", 2019, without its rejection step). Each value comes from
/// ⌊2^64/n⌋ or ⌈2^64/n⌉ of the 2^64 draws, so its probability is within 2^-64 of 1/n: no
/// test can see the difference (it would take some 2^128/n² draws). (`x % n` is as close to
/// uniform, but costs a division and maps draws to values differently.)
///
/// Why no rejection step (which makes the draw exact by drawing again, with probability
/// below n/2^64): a bounded draw that always takes exactly one `next()` keeps every stream
/// aligned, and the recorded results of this repository (docs/results/) were made with this
/// function's draws, so they replay bit for bit only if it never changes.
constexpr std::uint64_t scale_below(std::uint64_t x, std::uint64_t n) noexcept {
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<u128>(x) * n) >> 64);
}

/// Throws `aida::error` for the empty range of `below(0)`.
constexpr void check_below(std::uint64_t n) {
  if (n == 0) throw error("aida: below(n) draws from [0, n) and needs n >= 1; it was called with n = 0");
}

}  // namespace detail

/// aida's sampler: a counter-based generator (SplitMix64's bijective mixer applied to a
/// Weyl sequence). Its integer stream for a seed is the same on every platform and
/// compiler; floating-point draws are computed from it with IEEE double arithmetic and
/// `std::log` only.
///
/// Definition (so that the stream can be reproduced elsewhere): with
/// `mix` the SplitMix64 finaliser, the state starts at `mix(seed ^ 0x6a09e667f3bcc909)`
/// (the seed is mixed so that small seeds give unrelated streams) and `next()` is standard
/// SplitMix64 from that state: `state += 0x9e3779b97f4a7c15; return mix(state)`.
class sampler {
 public:
  /// The stream of `seed`.
  explicit constexpr sampler(std::uint64_t seed = 0) noexcept : state_(mix(seed ^ 0x6a09e667f3bcc909ULL)) {}

  /// The next 64 uniformly random bits.
  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix(state_);
  }

  /// A double uniform on [0, 1), with 53 random bits.
  constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// A double uniform on the open interval (0, 1): never 0, never 1.
  constexpr double uniform_open() noexcept {
    return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53;
  }

  /// A standard Gumbel(0, 1) draw, `-log(-log(U))`.
  double gumbel() noexcept { return -std::log(-std::log(uniform_open())); }

  /// An integer uniform on [0, n), from exactly one `next()` (see `detail::scale_below`).
  /// Throws `aida::error` for n = 0, before drawing.
  constexpr std::uint64_t below(std::uint64_t n) {
    detail::check_below(n);
    return detail::scale_below(next(), n);
  }

  /// A child sampler with its own stream; advances this one.
  constexpr sampler split() noexcept {
    sampler child(0);
    child.state_ = mix(next() ^ 0xbb67ae8584caa73bULL);
    return child;
  }

  /// Equal when the states are, i.e. when the two streams continue alike.
  friend constexpr bool operator==(const sampler&, const sampler&) = default;

 private:
  static constexpr std::uint64_t mix(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
};

static_assert(Sampler<sampler>);

/// An integer uniform on [0, n) from any `Sampler`: `rng.below(n)` when the sampler has that
/// optional member, otherwise the draw `aida::sampler::below` makes, from one `rng.next()`
/// (`detail::scale_below`). Generic code writes this rather than `rng.next() % n`. Throws
/// `aida::error` for n = 0, before drawing.
template <Sampler S>
constexpr std::uint64_t draw_below(S& rng, std::uint64_t n) {
  detail::check_below(n);
  if constexpr (requires { { rng.below(n) } -> std::convertible_to<std::uint64_t>; })
    return static_cast<std::uint64_t>(rng.below(n));
  else
    return detail::scale_below(rng.next(), n);
}

}  // namespace aida
