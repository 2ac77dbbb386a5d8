// aida::sampler: its integer stream is SplitMix64 as defined (golden values computed here
// from the definition, so the test holds on every platform), its floating-point draws have
// the right distributions (moments with stated tolerances), its bounded draw below(n) and
// the generic aida::draw_below are uniform and are the documented function of the stream,
// copies are snapshots, and split() gives independent streams.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/sampler.hpp"
#include "support/seed.hpp"

namespace {

// ---- SplitMix64 from its definition (Steele, Lea & Flood 2014; Vigna's splitmix64.c) ------

struct reference_splitmix64 {
  std::uint64_t x;
  static constexpr std::uint64_t finalise(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  constexpr std::uint64_t next() { return finalise(x += 0x9e3779b97f4a7c15ULL); }
};

// The reference itself against the published first outputs of SplitMix64 from state 0.
TEST(SamplerGolden, ReferenceMatchesPublishedSplitMix64Values) {
  reference_splitmix64 r{0};
  EXPECT_EQ(r.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(r.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(r.next(), 0x06c45d188009454fULL);
  EXPECT_EQ(r.next(), 0xf88bb8a8724c81ecULL);
}

// aida::sampler(seed) is SplitMix64 started at finalise(seed ^ 0x6a09e667f3bcc909), as its
// documentation states: the stream for seeds 0 and 42 (and a few more) is that sequence.
TEST(SamplerGolden, StreamForSeeds0And42IsTheDocumentedSequence) {
  for (const std::uint64_t seed : {0ULL, 42ULL, 1ULL, 0xffffffffffffffffULL}) {
    reference_splitmix64 ref{reference_splitmix64::finalise(seed ^ 0x6a09e667f3bcc909ULL)};
    aida::sampler s(seed);
    for (int i = 0; i < 64; ++i) ASSERT_EQ(s.next(), ref.next()) << "seed " << seed << " draw " << i;
  }
}

// The stream is the same at compile time (constexpr) as at run time.
constexpr std::uint64_t third_draw(std::uint64_t seed) {
  aida::sampler s(seed);
  (void)s.next();
  (void)s.next();
  return s.next();
}
TEST(SamplerGolden, ConstantEvaluationAgreesWithRunTime) {
  constexpr std::uint64_t at_compile_time = third_draw(42);
  volatile std::uint64_t seed = 42;  // forces evaluation at run time
  EXPECT_EQ(third_draw(seed), at_compile_time);
}

// The floating-point draws are the documented functions of the integer stream.
TEST(SamplerGolden, FloatingPointDrawsFollowTheirDefinitions) {
  aida::sampler s(42), ints(42);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(s.uniform(), static_cast<double>(ints.next() >> 11) * 0x1.0p-53);
    ASSERT_EQ(s.uniform_open(), (static_cast<double>(ints.next() >> 11) + 0.5) * 0x1.0p-53);
    const double u = (static_cast<double>(ints.next() >> 11) + 0.5) * 0x1.0p-53;
    ASSERT_EQ(s.gumbel(), -std::log(-std::log(u)));
  }
}

// ---- distributions --------------------------------------------------------------------

// n = 200000 draws. Tolerances are 5 standard errors of the estimate (a correct sampler
// fails with probability below 1e-6 per check; the seed is fixed, so the test is stable).
constexpr int n = 200000;

TEST(SamplerMoments, UniformHasMeanHalfAndVarianceOneTwelfth) {
  aida::sampler s(aida_test::seed());
  double sum = 0, sum2 = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double u = s.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u, sum2 += u * u;
    lo = std::min(lo, u), hi = std::max(hi, u);
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(1.0 / 12 / n));  // 0.0032
  // Var of the sample variance of U(0,1): (1/80 − 1/144)/n.
  EXPECT_NEAR(var, 1.0 / 12, 5 * std::sqrt((1.0 / 80 - 1.0 / 144) / n));  // 0.00084
  EXPECT_LT(lo, 1e-4);  // the range is covered
  EXPECT_GT(hi, 1 - 1e-4);
}

TEST(SamplerMoments, UniformOpenIsNeverZeroNorOne) {
  aida::sampler s(aida_test::seed());
  for (int i = 0; i < n; ++i) {
    const double u = s.uniform_open();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

// Gumbel(0, 1): mean γ (Euler–Mascheroni), variance π²/6, CDF exp(−exp(−x)).
TEST(SamplerMoments, GumbelHasMeanGammaVariancePiSquaredOverSixAndItsCdf) {
  aida::sampler s(aida_test::seed());
  const double var_true = std::numbers::pi * std::numbers::pi / 6;
  double sum = 0, sum2 = 0;
  int below_0 = 0, below_2 = 0;
  for (int i = 0; i < n; ++i) {
    const double g = s.gumbel();
    ASSERT_TRUE(std::isfinite(g));
    sum += g, sum2 += g * g;
    below_0 += g < 0;
    below_2 += g < 2;
  }
  const double mean = sum / n, var = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, std::numbers::egamma, 5 * std::sqrt(var_true / n));  // 0.0143
  // Excess kurtosis of the Gumbel is 12/5, so Var(sample variance) ≈ σ⁴ (2 + 12/5) / n.
  EXPECT_NEAR(var, var_true, 5 * var_true * std::sqrt(4.4 / n));  // 0.039
  for (const auto& [count, x] : {std::pair{below_0, 0.0}, std::pair{below_2, 2.0}}) {
    const double p = std::exp(-std::exp(-x));
    EXPECT_NEAR(static_cast<double>(count) / n, p, 5 * std::sqrt(p * (1 - p) / n)) << "CDF at " << x;
  }
}

// below(n) is uniform on [0, n): a chi-square test of goodness of fit for each n, over
// 2000 n draws (2000 expected per value), against the 0.999 quantile of the chi-square
// distribution with n - 1 degrees of freedom (a correct sampler fails one n with probability
// 1e-3; the seed is fixed, so the test is stable). n = 2, 3, 7, 10 and 100 are the bounds the
// tasks and the policies draw with; the last n is near 2^63 and not a power of two, where only
// eight cells of equal width are counted.
TEST(SamplerBelow, IsUniformOnItsRangeByChiSquare) {
  struct bound {
    std::uint64_t n;
    double quantile;  // chi-square, n - 1 degrees of freedom, 0.999
  };
  for (const auto [n, quantile] : {bound{2, 10.83}, bound{3, 13.82}, bound{7, 22.46}, bound{10, 27.88},
                                   bound{100, 148.23}}) {
    aida::sampler s(aida_test::seed());
    const int draws = 2000 * static_cast<int>(n);
    std::vector<int> cells(n, 0);
    for (int i = 0; i < draws; ++i) {
      const std::uint64_t v = s.below(n);
      ASSERT_LT(v, n);
      ++cells[v];
    }
    double chi2 = 0;
    for (const int c : cells) chi2 += (c - 2000.0) * (c - 2000.0) / 2000.0;
    EXPECT_LT(chi2, quantile) << "n = " << n;
  }
  // Near 2^63: eight cells of width n/8, 80000 draws, 7 degrees of freedom (0.999: 24.32).
  constexpr std::uint64_t n = (std::uint64_t{1} << 63) - 25;
  aida::sampler s(aida_test::seed());
  int cells[8] = {};
  for (int i = 0; i < 80000; ++i) {
    const std::uint64_t v = s.below(n);
    ASSERT_LT(v, n);
    ++cells[std::min<std::uint64_t>(v / (n / 8), 7)];
  }
  double chi2 = 0;
  for (const int c : cells) chi2 += (c - 10000.0) * (c - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 24.32);
  EXPECT_EQ(aida::sampler(3).below(1), 0u);
}

// The draw is the documented one: the high word of next() · n, from exactly one next(), so
// that streams stay aligned and the recorded results (drawn this way) replay bit for bit.
TEST(SamplerBelow, IsTheHighWordOfOneDrawTimesN) {
  __extension__ using u128 = unsigned __int128;
  for (const std::uint64_t n : {1ULL, 2ULL, 3ULL, 10ULL, 1000003ULL, 0x8000000000000001ULL, ~0ULL}) {
    aida::sampler s(42), ints(42);
    for (int i = 0; i < 200; ++i) {
      const std::uint64_t expected = static_cast<std::uint64_t>((static_cast<u128>(ints.next()) * n) >> 64);
      ASSERT_EQ(s.below(n), expected) << "n = " << n << ", draw " << i;
    }
    EXPECT_EQ(s, ints);  // one next() per draw
  }
}

TEST(SamplerBelow, ZeroIsAnErrorThatNamesItAndDrawsNothing) {
  aida::sampler s(7);
  const aida::sampler before = s;
  try {
    (void)s.below(0);
    FAIL() << "below(0) returned";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("called with n = 0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(s, before);
  EXPECT_THROW((void)aida::draw_below(s, 0), aida::error);
  EXPECT_EQ(s, before);
}

// draw_below: a sampler's own below() when it has one, otherwise the same draw as
// aida::sampler::below from one next().
struct without_below {  // aida::sampler's stream, through the concept's required members only
  aida::sampler inner;
  std::uint64_t next() { return inner.next(); }
  double uniform() { return inner.uniform(); }
  double gumbel() { return inner.gumbel(); }
  without_below split() { return {inner.split()}; }
};
struct with_own_below : without_below {
  std::uint64_t below(std::uint64_t n) { return n - 1; }  // not uniform: only shows it is called
  with_own_below split() { return {{inner.split()}}; }
};
static_assert(aida::Sampler<without_below> && aida::Sampler<with_own_below>);
template <class T>
concept has_below = requires(T& s) { s.below(std::uint64_t{2}); };
static_assert(!has_below<without_below> && has_below<with_own_below>);  // below is optional in the concept

TEST(SamplerBelow, DrawBelowUsesTheSamplersOwnBelowOrTheSameDrawFromNext) {
  aida::sampler member(9), generic(9);
  without_below plain{aida::sampler(9)};
  for (const std::uint64_t n : {2ULL, 7ULL, 10ULL, 1ULL << 40}) {
    for (int i = 0; i < 100; ++i) {
      const std::uint64_t expected = member.below(n);
      ASSERT_EQ(aida::draw_below(generic, n), expected);
      ASSERT_EQ(aida::draw_below(plain, n), expected);
    }
  }
  with_own_below own{{aida::sampler(9)}};
  EXPECT_EQ(aida::draw_below(own, 10), 9u);
  EXPECT_EQ(own.inner, aida::sampler(9));  // its below drew nothing, and draw_below nothing else
}

// ---- copies and split -----------------------------------------------------------------

TEST(SamplerSplit, ACopyIsASnapshot) {
  aida::sampler a(aida_test::seed());
  (void)a.next();
  aida::sampler b = a;
  EXPECT_EQ(a, b);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next());
  (void)a.next();
  EXPECT_NE(a, b);
}

TEST(SamplerSplit, SplitAdvancesTheParentByOneDrawAndIsDeterministic) {
  aida::sampler a(aida_test::seed()), b(aida_test::seed());
  aida::sampler child_a = a.split();
  aida::sampler child_b = b.split();
  EXPECT_EQ(child_a, child_b);  // same parent state → same child
  aida::sampler reference(aida_test::seed());
  (void)reference.next();
  EXPECT_EQ(a, reference);  // the parent advanced by exactly one draw
}

// Streams of a parent, its children and a grandchild share no value over 10000 draws each
// (for independent 64-bit streams a collision has probability about 1e-11), and a child's
// uniforms are uncorrelated with its parent's (|r| < 5/√n).
TEST(SamplerSplit, SplitStreamsAreDifferentAndUncorrelated) {
  aida::sampler parent(aida_test::seed());
  aida::sampler c1 = parent.split();
  aida::sampler c2 = parent.split();
  aida::sampler g = c1.split();
  EXPECT_NE(c1, c2);
  std::set<std::uint64_t> seen;
  constexpr int m = 10000;
  for (aida::sampler* s : {&parent, &c1, &c2, &g}) {
    aida::sampler copy = *s;
    for (int i = 0; i < m; ++i) seen.insert(copy.next());
  }
  EXPECT_EQ(seen.size(), 4u * m);

  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int i = 0; i < n; ++i) {
    const double x = parent.uniform(), y = c1.uniform();
    sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
  }
  const double r = (sxy / n - sx / n * sy / n) /
                   std::sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
  EXPECT_LT(std::abs(r), 5 / std::sqrt(static_cast<double>(n)));
}

// Different seeds, even neighbouring ones, give unrelated streams.
TEST(SamplerSplit, NeighbouringSeedsGiveDifferentStreams) {
  std::set<std::uint64_t> first;
  for (std::uint64_t seed = 0; seed < 1000; ++seed) first.insert(aida::sampler(seed).next());
  EXPECT_EQ(first.size(), 1000u);
}

}  // namespace
