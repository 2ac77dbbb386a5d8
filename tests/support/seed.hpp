#pragma once
// The seed of a test run: fixed by default, so that statistical tolerances are stated for a
// known stream; overridable (AIDA_SEED, --aida_seed=) to replay or to explore.
#include <cstdint>

namespace aida_test {
inline constexpr std::uint64_t default_seed = 20261126;
/// The seed of this run (printed by the test main before any test).
std::uint64_t seed();
}  // namespace aida_test
