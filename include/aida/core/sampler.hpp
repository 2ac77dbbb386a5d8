#pragma once
/// \file
/// The `Sampler` concept and aida's reproducible random source.

#include <cmath>
#include <concepts>
#include <cstdint>

namespace aida {

/// \concept Sampler
/// A reproducible, splittable source of randomness, passed explicitly to every
/// procedure that draws (aida has no global random state).
///
/// **Minimal complete definition:** `s.next()` (a uniformly random `std::uint64_t`),
/// `s.uniform()` (a double in [0, 1)), `s.gumbel()` (a standard Gumbel(0, 1) draw),
/// `s.split()` (a new, statistically independent sampler); copyable.
///
/// **Semantic requirements:** two copies produce the same sequence (a copy is a snapshot
/// that procedures use to roll back on exceptions); `split()` advances the parent and the
/// child's stream does not overlap the parent's in practice; `gumbel()` has CDF
/// `exp(-exp(-x))`.
///
/// **Models:** `aida::sampler`.
///
/// **Rationale:** the outputs of `std::` distributions are implementation-defined, so the
/// same seed would give different episodes on different standard libraries.
template <class S>
concept Sampler = std::copyable<S> && requires(S& s) {
  { s.next() } -> std::same_as<std::uint64_t>;
  { s.uniform() } -> std::convertible_to<double>;
  { s.gumbel() } -> std::convertible_to<double>;
  { s.split() } -> std::same_as<S>;
};

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

  /// An integer uniform on [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-64 · n).
  constexpr std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }

  /// A child sampler with its own stream; advances this one.
  constexpr sampler split() noexcept {
    sampler child(0);
    child.state_ = mix(next() ^ 0xbb67ae8584caa73bULL);
    return child;
  }

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

}  // namespace aida
