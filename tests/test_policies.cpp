// Recursion policies (spec §2 step 4, §5) and schedules: each selects what it should;
// Gumbel-max choice frequencies match softmax(−S/τ) (chi-square, fixed seed, stated bound).
#include <bit>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/policies.hpp"
#include "support/seed.hpp"

namespace {

using aida::selection;

constexpr selection first_only{{true, false}};
constexpr selection second_only{{false, true}};
constexpr selection both{{true, true}};
constexpr selection neither{};

// Statistical tests draw 20000 selections at the fixed seed of the run. A chi-square with
// one degree of freedom below 10.83 (its 0.999 quantile) is accepted: a correct policy fails
// with probability 1e-3 at an arbitrary seed, and never at the default one. Frequencies of a
// single coin are checked to 5 binomial standard errors (about 0.016 at p = 0.3).
constexpr int draws = 20000;
constexpr double chi2_1dof_999 = 10.83;

double chi2_two_cells(int hits, int total, double p) {
  const double e1 = total * p, e0 = total * (1 - p);
  const double miss = total - hits;
  return (hits - e1) * (hits - e1) / e1 + (miss - e0) * (miss - e0) / e0;
}

double five_sigma(double p, int total) { return 5 * std::sqrt(p * (1 - p) / total); }

// ---- gumbel_argmin (the post's policy) ----------------------------------------------

TEST(GumbelArgmin, AtTemperatureZeroIsTheArgminAndDrawsNothing) {
  static_assert(aida::gumbel_argmin{}.temperature == 0.3);  // the experiment's τ (docs/results/)
  static_assert(aida::warmup_schedule{2, 5.0, -1.0}(1) == 5.0 && aida::warmup_schedule{2, 5.0, -1.0}(2) == -1.0);
  const aida::gumbel_argmin p{.temperature = 0};
  aida::sampler rng(aida_test::seed());
  const aida::sampler before = rng;
  EXPECT_EQ(aida::select_subquestions(p, -2.0, -1.0, rng), first_only);
  EXPECT_EQ(aida::select_subquestions(p, 3.0, -1.0, rng), second_only);
  EXPECT_EQ(aida::select_subquestions(p, 1.0, 1.0, rng), first_only);  // ties go to the first
  EXPECT_EQ(aida::select_subquestions(p, -1e-12, 0.0, rng), first_only);
  EXPECT_EQ(rng, before);
}

// P(choose SQ1) = softmax(−S/τ)_1 = 1 / (1 + exp((S1 − S2)/τ)).
TEST(GumbelArgmin, FrequenciesMatchSoftmaxOfMinusScoresOverTemperature) {
  struct scenario {
    double s1, s2, tau;
  };
  for (const scenario sc : {scenario{0, 0, 1}, scenario{-1, 0, 1}, scenario{-1, -0.5, 0.25},
                            scenario{2, 1, 2}, scenario{0.3, -0.2, 0.5}}) {
    const aida::gumbel_argmin p{.temperature = sc.tau};
    aida::sampler rng(aida_test::seed());
    int first = 0;
    for (int i = 0; i < draws; ++i) {
      const selection s = aida::select_subquestions(p, sc.s1, sc.s2, rng);
      ASSERT_EQ(s.count(), 1);  // exactly one recursion, always
      first += s.recurse[0];
    }
    const double p1 = 1 / (1 + std::exp((sc.s1 - sc.s2) / sc.tau));
    EXPECT_LT(chi2_two_cells(first, draws, p1), chi2_1dof_999)
        << "S = (" << sc.s1 << ", " << sc.s2 << "), τ = " << sc.tau << ": " << first << " of " << draws
        << " chose SQ1, softmax says " << p1;
  }
}

// ---- bernoulli_coins (spec §5, first form) ------------------------------------------

template <class F>
std::pair<int, int> coin_counts(const aida::bernoulli_coins<F>& p, double s1, double s2, int& both_count) {
  aida::sampler rng(aida_test::seed());
  int a = 0, b = 0;
  both_count = 0;
  for (int i = 0; i < draws; ++i) {
    const selection s = aida::select_subquestions(p, s1, s2, rng);
    a += s.recurse[0], b += s.recurse[1], both_count += s.count() == 2;
  }
  return {a, b};
}

TEST(BernoulliCoins, ConstantCoinFunctionsGiveTheirFrequencies) {
  int both_count = 0;
  const aida::bernoulli_coins never{[](double) { return 0.0; }};
  EXPECT_EQ(coin_counts(never, -5, 5, both_count), std::make_pair(0, 0));
  const aida::bernoulli_coins always{[](double) { return 1.0; }};
  EXPECT_EQ(coin_counts(always, -5, 5, both_count), std::make_pair(draws, draws));
  EXPECT_EQ(both_count, draws);

  const aida::bernoulli_coins thirty{[](double) { return 0.3; }};
  const auto [a, b] = coin_counts(thirty, -5, 5, both_count);
  EXPECT_NEAR(static_cast<double>(a) / draws, 0.3, five_sigma(0.3, draws));
  EXPECT_NEAR(static_cast<double>(b) / draws, 0.3, five_sigma(0.3, draws));
  // The two coins are independent: both come up with probability 0.09.
  EXPECT_NEAR(static_cast<double>(both_count) / draws, 0.09, five_sigma(0.09, draws));
}

TEST(BernoulliCoins, EachCoinSeesItsOwnScoreAndProbabilitiesAreClamped) {
  int both_count = 0;
  const aida::bernoulli_coins low_recurses{[](double s) { return s < 0 ? 1.0 : 0.0; }};
  EXPECT_EQ(coin_counts(low_recurses, -1, 1, both_count), std::make_pair(draws, 0));
  EXPECT_EQ(coin_counts(low_recurses, 1, -1, both_count), std::make_pair(0, draws));
  const aida::bernoulli_coins out_of_range{[](double s) { return s < 0 ? 7.0 : -3.0; }};
  EXPECT_EQ(coin_counts(out_of_range, -1, 1, both_count), std::make_pair(draws, 0));
}

TEST(BernoulliCoins, DefaultLogisticCoinIsHalfAtItsCentreAndFallsWithTheScore) {
  const aida::logistic_coin f{.centre = -1.0, .scale = 0.5};
  EXPECT_DOUBLE_EQ(f(-1.0), 0.5);
  EXPECT_DOUBLE_EQ(f(-1.5), 1 / (1 + std::exp(-1.0)));
  EXPECT_GT(f(-3), f(-2));  // a lower score (a worse predicted answer) recurses more
  EXPECT_GT(f(-2), f(0));
  const aida::bernoulli_coins p;  // default: logistic_coin
  int both_count = 0;
  const auto [a, b] = coin_counts(p, -1.0, -1.5, both_count);
  EXPECT_NEAR(static_cast<double>(a) / draws, 0.5, five_sigma(0.5, draws));
  const double pb = 1 / (1 + std::exp(-1.0));
  EXPECT_NEAR(static_cast<double>(b) / draws, pb, five_sigma(pb, draws));
}

// ---- gumbel_threshold (spec §5, second form) ----------------------------------------

// Temperature 0: recurse on i iff S_i < α(step). With α linear from −2 to 0 over 4 steps
// (−2, −1.5, −1, −0.5, 0, then 0) and scores (−1.5, −0.5):
TEST(GumbelThreshold, AtTemperatureZeroFollowsTheScheduleAcrossSteps) {
  aida::gumbel_threshold<aida::linear_schedule> p{.alpha = {.from = -2, .to = 0, .steps = 4}, .temperature = 0};
  aida::sampler rng(aida_test::seed());
  const aida::sampler before = rng;
  const std::vector<double> thresholds = {-2, -1.5, -1, -0.5, 0, 0, 0};
  const std::vector<selection> expected = {neither, neither, first_only, first_only, both, both, both};
  for (std::size_t step = 0; step < expected.size(); ++step) {
    p.step = step;
    EXPECT_EQ(p.threshold(), thresholds[step]) << "step " << step;
    EXPECT_EQ(aida::select_subquestions(p, -1.5, -0.5, rng), expected[step]) << "step " << step;
  }
  EXPECT_EQ(rng, before);  // no noise, no draws
}

// With noise, S + τε < α + τε′ holds with probability 1 / (1 + exp((S − α)/τ)) (the
// difference of two Gumbels is logistic); the two coins are independent.
TEST(GumbelThreshold, WithNoiseRecursesWithTheLogisticProbability) {
  const aida::gumbel_threshold p{aida::constant_schedule{-1.0}, 0.5};
  aida::sampler rng(aida_test::seed());
  int a = 0, b = 0;
  for (int i = 0; i < draws; ++i) {
    const selection s = aida::select_subquestions(p, -1.3, -0.4, rng);
    a += s.recurse[0], b += s.recurse[1];
  }
  const double pa = 1 / (1 + std::exp((-1.3 + 1.0) / 0.5));
  const double pb = 1 / (1 + std::exp((-0.4 + 1.0) / 0.5));
  EXPECT_LT(chi2_two_cells(a, draws, pa), chi2_1dof_999) << a << " vs p = " << pa;
  EXPECT_LT(chi2_two_cells(b, draws, pb), chi2_1dof_999) << b << " vs p = " << pb;
}

TEST(Schedules, ValuesAtSteps) {
  EXPECT_EQ(aida::constant_schedule{2.5}(0), 2.5);
  EXPECT_EQ(aida::constant_schedule{2.5}(1000), 2.5);
  const aida::linear_schedule lin{.from = 1, .to = 3, .steps = 8};
  EXPECT_EQ(lin(0), 1.0);
  EXPECT_EQ(lin(4), 2.0);
  EXPECT_EQ(lin(8), 3.0);
  EXPECT_EQ(lin(100), 3.0);
  EXPECT_EQ((aida::linear_schedule{.from = 1, .to = 3, .steps = 0}(0)), 3.0);  // no division by 0
  const aida::exponential_schedule ex{.from = 1, .to = 0, .decay = 0.5};
  EXPECT_DOUBLE_EQ(ex(0), 1.0);
  EXPECT_DOUBLE_EQ(ex(3), 0.125);
  EXPECT_LT(ex(60), 1e-15);
}

// ---- score-free policies ------------------------------------------------------------

TEST(UniformOne, RecursesOnExactlyOneHalfTheTimeEachIgnoringScores) {
  const aida::uniform_one p;
  aida::sampler rng(aida_test::seed()), same(aida_test::seed());
  int first = 0;
  for (int i = 0; i < draws; ++i) {
    const selection s = aida::select_subquestions(p, -100.0, 100.0, rng);
    ASSERT_EQ(s.count(), 1);
    first += s.recurse[0];
    ASSERT_EQ(aida::select_subquestions(p, 100.0, -100.0, same), s);  // the scores play no part
  }
  EXPECT_NEAR(static_cast<double>(first) / draws, 0.5, five_sigma(0.5, draws));  // 0.018
  EXPECT_LT(chi2_two_cells(first, draws, 0.5), chi2_1dof_999);
}

// uniform_one recurses on the subquestion named by the top bit of one next(), the draw every
// recorded uniform run was made with (it is draw_below(rng, 2), the same function of the stream).
TEST(UniformOne, ChoosesByTheTopBitOfOneDraw) {
  aida::sampler rng(aida_test::seed()), ints(aida_test::seed());
  for (int i = 0; i < 1000; ++i) {
    const selection s = aida::select_subquestions(aida::uniform_one{}, 0.0, 0.0, rng);
    ASSERT_TRUE(s.recurse[ints.next() >> 63]) << "draw " << i;
  }
  EXPECT_EQ(rng, ints);
}

TEST(RecurseAllAndNone, SelectBothOrNeitherAndDrawNothing) {
  aida::sampler rng(aida_test::seed());
  const aida::sampler before = rng;
  EXPECT_EQ(aida::select_subquestions(aida::recurse_all{}, 0.0, 1.0, rng), both);
  EXPECT_EQ(aida::select_subquestions(aida::recurse_none{}, 0.0, 1.0, rng), neither);
  EXPECT_EQ(rng, before);
  static_assert(!aida::recurse_all::uses_scores && !aida::recurse_none::uses_scores &&
                !aida::uniform_one::uses_scores);
}

// Policies build their selections in whole words (detail::selection_words, against a stall of
// the processor); the selection must be the one that setting the flags one by one gives, for
// every subset of the subquestions, with the words turned into the selection at once or flag
// by flag.
TEST(SelectionWords, GiveTheSelectionOfTheFlagsSet) {
  constexpr std::size_t k = aida::max_subquestions < 10 ? aida::max_subquestions : 10;
  for (std::size_t mask = 0; mask < (std::size_t{1} << k); ++mask) {
    selection expected;
    aida::detail::selection_words<true> whole;
    aida::detail::selection_words<false> flags;
    for (std::size_t i = 0; i < k; ++i) {
      const bool on = ((mask >> i) & 1) != 0;
      expected.recurse[i] = on;
      whole.set(i, on);
      flags.set(i, on);
      ASSERT_EQ(whole.test(i), on) << "mask " << mask << ", flag " << i;
    }
    ASSERT_EQ(whole.get(), expected) << "mask " << mask;
    ASSERT_EQ(flags.get(), expected) << "mask " << mask;
    ASSERT_EQ(expected.count(), std::popcount(mask)) << "mask " << mask;
  }
  // Setting a flag to false leaves one already set.
  aida::detail::selection_words<> w;
  w.set(1);
  w.set(1, false);
  EXPECT_TRUE(w.get().recurse[1]);
}

}  // namespace
