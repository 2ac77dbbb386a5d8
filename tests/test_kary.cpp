// Splits of k subquestions (issue "Drop the post's first simplification"): the inline storage,
// the codec's canonical order over any permutation, the policies' laws over k scores (arg-min,
// Gumbel-top-m without replacement, coins, threshold, uniform choice of m), and amplify, H′,
// distill, unfold and audit over k-ary trees of the `sum` task split into k parts.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "aida/aida.hpp"
#include "support/doubles.hpp"
#include "support/seed.hpp"

namespace {

using aida_test::move_t;
using aida_test::sub_t;
using S = std::string;

// ---- bounded_vector and Split --------------------------------------------------------------

TEST(BoundedVector, HoldsUpToItsBoundAndRefusesMoreLeavingItUnchanged) {
  aida::bounded_vector<std::string, 3> v{"a", "b"};
  v.push_back("c");
  EXPECT_THROW(v.push_back("d"), aida::error);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[2], "c");
  const auto copy = v;
  EXPECT_EQ(copy, v);
  auto moved = std::move(v);
  EXPECT_EQ(moved, copy);
  moved.resize(1);
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0], "a");
  EXPECT_THROW(moved.resize(4), aida::error);
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_THROW((aida::bounded_vector<int, 2>{1, 2, 3}), aida::error);
}

// The three ways a bounded_vector copies (element by element; the slots in use; the whole
// block) give the same copies: sizes, elements, and assignment over a longer or shorter one.
template <class T>
void expect_copies_like_a_vector(const std::vector<T>& values) {
  aida::bounded_vector<T, 8> a, b;
  for (std::size_t i = 0; i < 5; ++i) b.push_back(values[i % values.size()]);
  a.push_back(values[1]);
  a.push_back(values[0]);
  const aida::bounded_vector<T, 8> copy = a;
  ASSERT_EQ(copy.size(), 2u);
  EXPECT_EQ(copy[0], values[1]);
  EXPECT_EQ(copy[1], values[0]);
  b = a;  // shorter over longer
  EXPECT_EQ(b, a);
  EXPECT_EQ(b.size(), 2u);
  b.push_back(values[2]);
  a = b;  // longer over shorter
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2], values[2]);
  const auto& same = a;
  a = same;  // onto itself
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0], values[1]);
}

TEST(BoundedVector, CopiesTheSameWhateverItsStorage) {
  using big = std::array<char, 64>;  // 8 slots of 64 bytes: past the block copy's 128
  static_assert(aida::detail::storage_kind_of<std::string, 8>() == aida::detail::storage_kind::general);
  static_assert(aida::detail::storage_kind_of<big, 8>() == aida::detail::storage_kind::trivial_loop);
  static_assert(aida::detail::storage_kind_of<std::uint64_t, 8>() == aida::detail::storage_kind::trivial_block);
  expect_copies_like_a_vector<std::string>({"a", "bb", "ccc"});
  expect_copies_like_a_vector<big>({big{'x'}, big{'y', 'z'}, big{}});
  expect_copies_like_a_vector<std::uint64_t>({7, 11, 13});
  // A split of integer questions, and a move holding one, copy as plain bytes (no loop over
  // the subquestions, no visit of the move's variant): what keeps splits of two as cheap as
  // pairs were (benchmarks/README.md, "k-ary splits").
  static_assert(std::is_trivially_copyable_v<aida::Split<std::uint64_t>>);
  static_assert(std::is_trivially_copyable_v<aida::Move<std::uint64_t, std::uint64_t>>);
  static_assert(!std::is_trivially_copyable_v<aida::Split<std::string>>);
}

TEST(Split, HoldsKQuestionsAndComparesThemAsAMultiset) {
  const aida::Split<S> s{"12", "34", "56"};
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.first(), "12");
  EXPECT_EQ(s.second(), "34");
  EXPECT_EQ(s[2], "56");
  EXPECT_TRUE((s.same_questions(aida::Split<S>{"56", "12", "34"})));
  EXPECT_FALSE((s.same_questions(aida::Split<S>{"12", "34"})));
  EXPECT_FALSE((aida::Split<S>{"a", "a", "b"}.same_questions(aida::Split<S>{"a", "b", "b"})));
  const auto m = move_t::split({"1", "2", "3", "4"});
  ASSERT_TRUE(m.is_split());
  EXPECT_EQ(m.get_split().size(), 4u);
  aida::Split<S> full;
  for (std::size_t i = 0; i < aida::max_subquestions; ++i) full.push_back(std::to_string(i));
  EXPECT_THROW(full.push_back("x"), aida::error);
  EXPECT_EQ(full.size(), aida::max_subquestions);
}

// ---- the codec ------------------------------------------------------------------------------

std::string random_text(aida::sampler& rng, std::size_t max_len) {
  static constexpr std::string_view alphabet = "ab1|=\\/^&:";
  std::string s(1 + aida::draw_below(rng, max_len), 'a');
  for (char& c : s) c = alphabet[aida::draw_below(rng, alphabet.size())];
  return s;
}

template <class T>
void shuffle(std::vector<T>& v, aida::sampler& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[aida::draw_below(rng, i)]);
}

TEST(KaryCodec, RoundTripsAndIsTheSameForEveryOrderOfTheSubquestions) {
  aida::sampler rng(aida_test::seed());
  const auto plain = aida::string_codec{}.with_max_split(aida::max_subquestions);
  const auto ctx = aida::string_codec::with_context(':').with_max_split(aida::max_subquestions);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t k = 2 + aida::draw_below(rng, aida::max_subquestions - 1);
    const S q = "ctx:" + random_text(rng, 4);
    std::vector<S> qs;
    std::vector<sub_t> subs;
    for (std::size_t i = 0; i < k; ++i) {
      qs.push_back(aida::draw_below(rng, 2) == 0 ? "ctx:" + random_text(rng, 5) : random_text(rng, 5));
      subs.push_back({qs.back(), random_text(rng, 3)});
    }
    const auto split_of = [](const std::vector<S>& v) {
      aida::Split<S> s;
      for (const auto& x : v) s.push_back(x);
      return move_t::split(std::move(s));
    };
    const move_t m = split_of(qs);
    for (const aida::string_codec* c : {&plain, &ctx}) {
      const S written = c->encode(q, m);
      const auto back = c->decode(q, written);
      ASSERT_TRUE(back && back->is_split()) << written;
      EXPECT_TRUE(back->get_split().same_questions(m.get_split())) << written;
      const S fan_in = c->fan_in_question(q, std::span<const sub_t>(subs));
      auto qs2 = qs;
      auto subs2 = subs;
      shuffle(qs2, rng);
      shuffle(subs2, rng);
      EXPECT_EQ(c->encode(q, split_of(qs2)), written) << "k = " << k;
      EXPECT_EQ(c->fan_in_question(q, std::span<const sub_t>(subs2)), fan_in) << "k = " << k;
    }
  }
  // k subanswers make k "|sq=a" parts (texts without reserved characters).
  const sub_t subs[3] = {{"12", "3"}, {"34", "7"}, {"5", "5"}};
  EXPECT_EQ(aida::string_codec{}.fan_in_question("12345", std::span<const sub_t>(subs)), "&12345|12=3|34=7|5=5");
  EXPECT_EQ((aida::string_codec{}.encode(move_t::split({"5", "34", "12"}))), "/12|34|5");
}

TEST(KaryCodec, DecodesSplitsUpToItsMaxSplitAndNoMore) {
  const aida::string_codec binary;
  EXPECT_EQ(binary.max_split(), 2u);
  EXPECT_FALSE(binary.decode("/a|b|c")) << "splits of two by default: three parts are malformed, as they were";
  ASSERT_TRUE(binary.decode("/a|b"));
  const auto three = binary.with_max_split(3);
  const auto m = three.decode("/a|b|c");
  ASSERT_TRUE(m && m->is_split());
  EXPECT_EQ(m->get_split().size(), 3u);
  EXPECT_FALSE(three.decode("/a|b|c|d"));
  EXPECT_FALSE(three.decode("/a||c"));
  EXPECT_FALSE(three.decode("/a|b|"));
  EXPECT_FALSE(three.decode("/a"));
  EXPECT_THROW((void)binary.with_max_split(1), aida::invalid_options);
  EXPECT_THROW((void)binary.with_max_split(aida::max_subquestions + 1), aida::invalid_options);
}

TEST(KaryCodec, RandomStringsDecodeToAMoveOrNothingAndDecodedMovesAreStable) {
  aida::sampler rng(aida_test::seed() + 1);
  const auto c = aida::string_codec{}.with_max_split(aida::max_subquestions);
  std::size_t splits = 0, wide = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    S a = "/" + random_text(rng, 24);
    const auto m = c.decode(a);
    if (!m) continue;
    if (m->is_split()) {
      ++splits;
      const std::size_t k = m->get_split().size();
      EXPECT_GE(k, 2u);
      EXPECT_LE(k, aida::max_subquestions);
      wide += k > 2 ? 1 : 0;
    }
    const auto again = c.decode(c.encode(*m));
    ASSERT_TRUE(again) << a;
    EXPECT_EQ(c.encode(*again), c.encode(*m)) << a;
  }
  EXPECT_GT(wide, 0u) << "the random strings should include splits of more than two (" << splits << " splits)";
}

// ---- the policies over k scores -------------------------------------------------------------

// Statistical tests: 20000 draws at the run's fixed seed; a chi-square below its 0.999
// quantile for the cells' degrees of freedom is accepted (a correct policy fails with
// probability 1e-3 at an arbitrary seed).
constexpr int draws = 20000;

double chi_square_quantile_999(std::size_t dof) {
  static const double q[] = {0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59};
  return q[dof];
}

double chi_square(const std::vector<int>& counts, const std::vector<double>& p) {
  double x = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double e = draws * p[i];
    x += (counts[i] - e) * (counts[i] - e) / e;
  }
  return x;
}

std::vector<double> softmax_of_minus(const std::vector<double>& s, double tau) {
  std::vector<double> p(s.size());
  double z = 0;
  for (std::size_t i = 0; i < s.size(); ++i) z += p[i] = std::exp(-s[i] / tau);
  for (double& x : p) x /= z;
  return p;
}

std::vector<std::size_t> chosen(const aida::selection& sel, std::size_t k) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < aida::max_subquestions; ++i)
    if (sel.recurse[i]) out.push_back(i);
  EXPECT_TRUE(out.empty() || out.back() < k) << "a policy selected past the round's k";
  return out;
}

TEST(KaryPolicies, GumbelArgminChoosesWithSoftmaxOfMinusScoresOverTemperature) {
  const std::vector<double> s = {-0.2, -1.0, 0.3, -0.5};
  const double tau = 0.7;
  aida::sampler rng(aida_test::seed());
  std::vector<int> counts(s.size(), 0);
  for (int i = 0; i < draws; ++i) {
    const auto c = chosen(aida::gumbel_argmin{tau}.select(std::span<const double>(s), rng), s.size());
    ASSERT_EQ(c.size(), 1u);
    ++counts[c[0]];
  }
  EXPECT_LT(chi_square(counts, softmax_of_minus(s, tau)), chi_square_quantile_999(s.size() - 1));
}

TEST(KaryPolicies, GumbelTopMDrawsMWithoutReplacementFromTheSoftmax) {
  const std::vector<double> s = {-0.2, -1.0, 0.3, -0.5};
  const double tau = 0.6;
  const auto p = softmax_of_minus(s, tau);
  // P({i, j}) = p_i·p_j/(1 − p_i) + p_j·p_i/(1 − p_j): i first then j from the rest, or j first.
  std::map<std::pair<std::size_t, std::size_t>, int> cell;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  std::vector<double> law;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = i + 1; j < s.size(); ++j) {
      cell[{i, j}] = static_cast<int>(pairs.size());
      pairs.emplace_back(i, j);
      law.push_back(p[i] * p[j] / (1 - p[i]) + p[j] * p[i] / (1 - p[j]));
    }
  EXPECT_NEAR(std::accumulate(law.begin(), law.end(), 0.0), 1.0, 1e-12);
  aida::sampler rng(aida_test::seed() + 2);
  std::vector<int> counts(pairs.size(), 0);
  for (int n = 0; n < draws; ++n) {
    const auto c = chosen(aida::gumbel_top_m{2, tau}.select(std::span<const double>(s), rng), s.size());
    ASSERT_EQ(c.size(), 2u);
    ++counts[static_cast<std::size_t>(cell[{c[0], c[1]}])];
  }
  EXPECT_LT(chi_square(counts, law), chi_square_quantile_999(law.size() - 1));
}

TEST(KaryPolicies, TopMAtTemperatureZeroTakesTheMLowestAndTopOneIsTheArgmin) {
  aida::sampler rng(1);
  const std::vector<double> s = {0.5, -1.0, 0.5, -2.0, 0.0};
  const auto before = rng;
  EXPECT_EQ((chosen(aida::gumbel_top_m{3, 0.0}.select(std::span<const double>(s), rng), 5)),
            (std::vector<std::size_t>{1, 3, 4}));
  EXPECT_EQ((chosen(aida::gumbel_top_m{4, 0.0}.select(std::span<const double>(s), rng), 5)),
            (std::vector<std::size_t>{0, 1, 3, 4}))
      << "ties go to the earlier subquestion";
  EXPECT_EQ((chosen(aida::gumbel_top_m{9, 0.0}.select(std::span<const double>(s), rng), 5).size()), 5u);
  EXPECT_EQ(rng.next(), aida::sampler(before).next()) << "τ = 0 draws nothing";
  aida::sampler a(aida_test::seed()), b(aida_test::seed());
  for (int i = 0; i < 500; ++i)
    ASSERT_EQ((aida::gumbel_top_m{1, 0.4}.select(std::span<const double>(s), a)),
              (aida::gumbel_argmin{0.4}.select(std::span<const double>(s), b)));
}

TEST(KaryPolicies, UniformChoicesAreUniformOverSubquestionsAndOverSetsOfM) {
  aida::sampler rng(aida_test::seed() + 3);
  const std::vector<double> s(5, 0.0);
  std::vector<int> one(5, 0);
  for (int n = 0; n < draws; ++n) {
    const auto c = chosen(aida::uniform_one{}.select(std::span<const double>(s), rng), 5);
    ASSERT_EQ(c.size(), 1u);
    ++one[c[0]];
  }
  EXPECT_LT(chi_square(one, std::vector<double>(5, 0.2)), chi_square_quantile_999(4));
  std::map<std::vector<std::size_t>, int> sets;
  for (int n = 0; n < draws; ++n) {
    const auto c = chosen(aida::uniform_m{2}.select(std::span<const double>(s), rng), 5);
    ASSERT_EQ(c.size(), 2u);
    ++sets[c];
  }
  ASSERT_EQ(sets.size(), 10u);
  std::vector<int> counts;
  for (const auto& [set, n] : sets) counts.push_back(n);
  EXPECT_LT(chi_square(counts, std::vector<double>(10, 0.1)), chi_square_quantile_999(9));
  // m = 1 draws as uniform_one does.
  aida::sampler a(7), b(7);
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(aida::uniform_m{1}.select(std::span<const double>(s), a), aida::uniform_one{}.select(std::span<const double>(s), b));
}

TEST(KaryPolicies, CoinsAndThresholdDecideEachSubquestionWithItsOwnProbability) {
  aida::sampler rng(aida_test::seed() + 4);
  const std::vector<double> s = {0.1, 0.5, 0.9};
  const aida::bernoulli_coins coins{[](double x) { return x; }};
  const double alpha = -0.5, tau = 0.8;
  const aida::gumbel_threshold threshold{aida::constant_schedule{alpha}, tau};
  const std::vector<double> scores = {-1.2, -0.5, 0.4};
  std::vector<int> heads(3, 0), below(3, 0);
  for (int n = 0; n < draws; ++n) {
    const auto c = coins.select(std::span<const double>(s), rng);
    const auto t = threshold.select(std::span<const double>(scores), rng);
    for (std::size_t i = 0; i < 3; ++i) {
      heads[i] += c.recurse[i];
      below[i] += t.recurse[i];
    }
    for (std::size_t i = 3; i < aida::max_subquestions; ++i) ASSERT_FALSE(c.recurse[i] || t.recurse[i]);
  }
  for (std::size_t i = 0; i < 3; ++i) {
    // The difference of two Gumbels of scale τ is logistic of scale τ.
    const double p_threshold = 1 / (1 + std::exp((scores[i] - alpha) / tau));
    for (const auto& [count, p] : {std::pair{heads[i], s[i]}, std::pair{below[i], p_threshold}})
      EXPECT_NEAR(double(count) / draws, p, 5 * std::sqrt(p * (1 - p) / draws)) << "subquestion " << i;
  }
}

// A policy written for splits of two (the post's form): the lower score.
struct binary_policy {
  template <aida::Sampler R>
  aida::selection select(double s1, double s2, R&) const {
    aida::selection r;
    r.recurse[s2 < s1 ? 1 : 0] = true;
    return r;
  }
};

TEST(KaryPolicies, AllAndNoneAndABinaryPolicyAtOtherSizes) {
  aida::sampler rng(1);
  const std::vector<double> s(6, 0.0);
  EXPECT_EQ(chosen(aida::recurse_all{}.select(std::span<const double>(s), rng), 6).size(), 6u);
  EXPECT_EQ(aida::recurse_none{}.select(std::span<const double>(s), rng).count(), 0);
  // A policy written for splits of two runs rounds of two and names the fix at others.
  const binary_policy binary;
  static_assert(aida::RecursionPolicy<binary_policy>);
  aida::sampler r(2);
  EXPECT_EQ(aida::select_subquestions(binary, 0.5, -0.5, r).count(), 1);
  try {
    (void)aida::select_subquestions(binary, std::span<const double>(s.data(), 3), r);
    ADD_FAILURE() << "a binary policy at k = 3 did not throw";
  } catch (const aida::error& e) {
    EXPECT_NE(std::string(e.what()).find("select(std::span<const double>"), std::string::npos) << e.what();
  }
}

// ---- amplify, H′, distill, unfold and audit over k-ary trees ---------------------------------

// Digits of `n` characters.
S digits(std::size_t n, aida::sampler& rng) {
  S q(n, '0');
  for (char& c : q) c = static_cast<char>('0' + aida::draw_below(rng, 10));
  return q;
}

std::size_t digit_sum(const S& q) {
  std::size_t s = 0;
  for (char c : q) s += static_cast<std::size_t>(c - '0');
  return s;
}

// The number of nodes of the full tree of `sum` split into up to p parts, and its internal nodes.
std::pair<std::size_t, std::size_t> full_tree(std::size_t n, std::size_t p) {
  if (n == 1) return {1, 0};
  const std::size_t k = std::min(p, n);
  std::pair<std::size_t, std::size_t> t{1, 1};
  for (std::size_t i = 0; i < k; ++i) {
    const auto c = full_tree((i + 1) * n / k - i * n / k, p);
    t.first += c.first;
    t.second += c.second;
  }
  return t;
}

TEST(KaryAmplify, TheFullTreeOfSumInKPartsIsRightAndCostsAFanOutPerNodeAndAFanInPerInnerNode) {
  aida::sampler rng(aida_test::seed());
  for (std::size_t p : {2u, 3u, 4u, 8u}) {
    const aida::tasks::sum_task task{.parts = p};
    auto h = task.overseer();
    aida_test::scripted_world w;
    for (std::size_t n : {1u, 5u, 9u, 16u}) {
      const S q = digits(n, rng);
      const auto ep = aida::amplify(q, h, w.ml, w.adv, task.codec(), aida::recurse_all{}, rng);
      ASSERT_TRUE(ep.answer);
      EXPECT_EQ(*ep.answer, std::to_string(digit_sum(q))) << q << " in " << p;
      const auto [nodes, inner] = full_tree(n, p);
      EXPECT_EQ(ep.counts.nodes, nodes) << q << " in " << p;
      EXPECT_EQ(ep.counts.overseer.fan_out, nodes);
      EXPECT_EQ(ep.counts.overseer.fan_in, inner);
      for (const auto& r : ep.rounds) {
        std::size_t length = 0;  // the parts are the node's digits, in k = min(p, n) parts
        for (const S& part : r.questions) length += part.size();
        EXPECT_EQ(r.size(), std::min(p, length));
        EXPECT_EQ(r.answers.size(), r.size());
        for (std::size_t i = 0; i < r.size(); ++i) {
          EXPECT_TRUE(r.recursed[i]);
          EXPECT_EQ(r.answers[i], std::to_string(digit_sum(r.questions[i])));
        }
      }
      for (const auto& t : ep.model_targets)
        if (t.kind == aida::target_kind::fan_in) {
          // One "|sq=a" per subquestion after the question.
          const auto parts = static_cast<std::size_t>(std::count(t.query.begin(), t.query.end(), '|'));
          EXPECT_GE(parts, 2u);
          EXPECT_LE(parts, p);
        }
    }
  }
}

TEST(KaryAmplify, ArgminRecursesOnOneOfKAndTopMOnM) {
  aida::sampler rng(aida_test::seed() + 5);
  const aida::tasks::sum_task task{.parts = 4};
  auto h = task.overseer();
  aida_test::scripted_world w;
  for (int trial = 0; trial < 20; ++trial) {
    const S q = digits(8 + aida::draw_below(rng, 9), rng);
    // Distinct scores per question, so that the arg-min is a real choice.
    const auto one = aida::amplify(q, h, w.ml, w.adv, task.codec(), aida::gumbel_argmin{0.3}, rng);
    const auto two = aida::amplify(q, h, w.ml, w.adv, task.codec(), aida::gumbel_top_m{2, 0.3}, rng);
    for (const auto* ep : {&one, &two}) {
      const std::size_t m = ep == &one ? 1 : 2;
      ASSERT_FALSE(ep->rounds.empty());
      for (const auto& r : ep->rounds) {
        ASSERT_GE(r.size(), 2u);
        std::size_t recursed = 0;
        for (std::size_t i = 0; i < r.size(); ++i) {
          recursed += r.recursed[i];
          EXPECT_EQ(r.recursed[i], r.child[i] != aida::no_node);
          EXPECT_EQ(r.answered_by[i], r.recursed[i] ? aida::producer::recursion : aida::producer::model);
        }
        EXPECT_EQ(recursed, std::min(m, r.size()));
      }
    }
  }
}

TEST(KaryAmplify, ASplitTheOverseerCannotFanInIsItsErrorAndNothingChanges) {
  aida_test::scripted_world w;
  w.h.fan_outs["q"] = move_t::split({"a", "b", "c"});  // the scripted overseer fans in two only
  const auto codec = aida::string_codec{}.with_max_split(3);
  aida::sampler rng(3);
  const auto before = rng;
  try {
    (void)aida::amplify(S("q"), w.h, w.ml, w.adv, codec, aida::gumbel_argmin{}, rng);
    ADD_FAILURE() << "no error";
  } catch (const aida::overseer_error& e) {
    EXPECT_NE(std::string(e.what()).find("into 3 subquestions"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fan_in(q, std::span"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rng.next(), aida::sampler(before).next());
  w.h.fan_outs["q"] = move_t::split(aida::Split<S>{"a"});
  EXPECT_THROW((void)aida::amplify(S("q"), w.h, w.ml, w.adv, codec, aida::gumbel_argmin{}, rng), aida::overseer_error);
  // A policy written for splits of two with an overseer that splits in three.
  const aida::tasks::sum_task task{.parts = 3};
  auto h3 = task.overseer();
  try {
    (void)aida::amplify(S("123456"), h3, w.ml, w.adv, task.codec(), binary_policy{}, rng);
    ADD_FAILURE() << "no error";
  } catch (const aida::overseer_error& e) {
    EXPECT_NE(std::string(e.what()).find("recursion policy decides between two"), std::string::npos) << e.what();
  }
}

TEST(KaryPrimed, HPrimeTakesAModelsSplitOfKOnlyWhenHCanFanItIn) {
  for (bool k_ary_h : {false, true}) {
    aida_test::scripted_world w;
    w.ml.draws["^123"] = {"/1|2|3"};
    w.adv.scores["^123"] = 10;  // confident: H′ defers to ML's fan-out
    const auto codec = aida::string_codec{}.with_max_split(3);
    aida::sampler rng(4);
    aida::episode_counts counts;
    aida::overseer_context<aida::sampler> ctx{rng, counts};
    if (k_ary_h) {
      aida::tasks::sum_overseer h(3);
      auto hp = aida::prime(h, w.ml, w.adv, codec, 0.0, 0.0);
      const auto m = hp.fan_out(S("123"), ctx);
      EXPECT_EQ(ctx.by, aida::producer::model);
      ASSERT_TRUE(m.is_split());
      EXPECT_EQ(m.get_split().size(), 3u);
      EXPECT_EQ(counts.fallbacks.malformed_moves, 0u);
    } else {
      auto hp = aida::prime(w.h, w.ml, w.adv, codec, 0.0, 0.0);
      (void)hp.fan_out(S("123"), ctx);
      EXPECT_EQ(ctx.by, aida::producer::overseer) << "H fans in two only: ML's split of three is malformed";
      EXPECT_EQ(counts.fallbacks.malformed_moves, 1u);
    }
  }
}

TEST(KaryDistill, MLsSplitOfKIsAnsweredByKDrawsAndOneFanIn) {
  aida_test::scripted_world w;
  w.ml.draws["^q"] = {"/a|b|c"};
  const auto codec = aida::string_codec{}.with_max_split(3);
  const S fan_in = codec.fan_in_question("q", std::vector<sub_t>{{"a", "ml:a"}, {"b", "ml:b"}, {"c", "ml:c"}});
  w.ml.draws[fan_in] = {"=done"};
  aida::sampler rng(5);
  const auto ep = aida::distill(S("q"), w.ml, w.adv, codec, rng);
  ASSERT_EQ(ep.rounds.size(), 1u);
  EXPECT_EQ(ep.rounds[0].size(), 3u);
  EXPECT_EQ(ep.rounds[0].answers[2], "ml:c");
  EXPECT_EQ(ep.answer, std::optional<S>("done"));
  EXPECT_EQ(w.log.starting_with("sample(").size(), 5u) << "fan-out, three subquestions, fan-in";
  // The binary codec reads the same string as malformed.
  const auto binary = aida::distill(S("q"), w.ml, w.adv, aida::string_codec{}, rng);
  EXPECT_EQ(binary.counts.fallbacks.malformed_moves, 1u);
}

// ML that answers `sum` as the k-ary overseer would, except at one question where its
// answer is off by one: unfolded, its tree has one faulty step, and a perfect adversary
// (the score is −1 on the path to the fault and 0 elsewhere) leads the audit to it.
struct kary_sum_model {
  std::size_t parts = 4;
  S faulty;
  aida::string_codec codec = aida::string_codec{}.with_max_split(4);
  aida::tasks::sum_overseer h{4};
  S predict(const S& q) const { return q; }
  double log_prob(const S&, const S&) const { return -1; }
  template <aida::Sampler R>
  S sample(const S& q, R&) const {
    return greedy(q);
  }
  S greedy(const S& coded) const {
    if (coded[0] == '^') return codec.encode(h.fan_out(coded.substr(1)));
    if (coded[0] == '&') {
      // "&q|sq=a|..." with plain digits: sum the answers (off by one below the faulty question).
      const auto bar = coded.find('|');
      const S q = coded.substr(1, bar - 1);
      std::size_t total = 0;
      for (std::size_t at = bar; at != S::npos;) {
        const auto eq = coded.find('=', at), next = coded.find('|', at + 1);
        total += std::stoul(coded.substr(eq + 1, next == S::npos ? S::npos : next - eq - 1));
        at = next;
      }
      return "=" + std::to_string(total + (q == faulty ? 1 : 0));
    }
    return std::to_string(digit_sum(coded));
  }
};

struct path_adversary {
  S faulty;
  double score(const S& q, const S&) const {
    // On the path to the fault: the faulty question's digits are a substring of the path's.
    return q[0] != '^' && q[0] != '&' && q.find(faulty) != S::npos ? -1.0 : 0.0;
  }
};

TEST(KaryAudit, APerfectAdversaryLeadsStraightDownAKaryTreeToTheFault) {
  aida::sampler rng(aida_test::seed() + 6);
  const aida::tasks::sum_task task{.parts = 4};
  auto h = task.overseer();
  aida::overseer_checker checker(h, task.codec());
  for (int trial = 0; trial < 30; ++trial) {
    const S q = digits(16, rng);
    // A faulty inner node below the root: walk down a random path of the full tree.
    S node = q;
    const std::size_t depth = 1 + aida::draw_below(rng, 2);
    for (std::size_t d = 0; d < depth; ++d) {
      const auto parts = h.fan_out(node).get_split();
      node = parts[aida::draw_below(rng, parts.size())];
    }
    if (node.size() < 2 || q.find(node) != q.rfind(node)) continue;  // an inner node met once
    kary_sum_model ml{4, node};
    path_adversary adv{node};
    const auto t = aida::unfold(q, ml, adv, task.codec(), 4, rng);
    ASSERT_EQ(*t.answer, std::to_string(digit_sum(q) + 1));
    const auto r = aida::audit(t, checker, aida::audit_strategy::adversary_guided, rng);
    ASSERT_TRUE(r.found());
    EXPECT_EQ(t.nodes[r.faulty].question, node);
    EXPECT_EQ(r.step, aida::audit_step::fan_in);
    EXPECT_EQ(r.checks, t.nodes[r.faulty].depth + 1) << "straight down: one check per level";
    EXPECT_LE(r.checks, (4 - 1) * depth + 1) << "the issue's bound (k − 1)·depth + 1";
    const auto bfs = aida::audit(t, checker, aida::audit_strategy::breadth_first, rng);
    EXPECT_EQ(bfs.faulty, r.faulty);
    EXPECT_GE(bfs.checks, r.checks);
  }
}

}  // namespace
