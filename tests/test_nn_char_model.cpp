// ML, the character embedding model (spec §1): whole-model gradients against finite
// differences, learning a string mapping to 100% greedy accuracy, the laws linking
// sample / log_prob / greedy, batching, and every kind of bad input.
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/concepts.hpp"
#include "aida/core/sampler.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/gradcheck.hpp"
#include "aida/nn/ops.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"

namespace nn = aida::nn;
using target = aida::model_target<std::string, std::string>;

static_assert(aida::TrainableModel<nn::char_model, std::string, std::string>);
static_assert(requires(nn::char_model& m, std::span<const std::string> qs) { m.predict_batch(qs); });
static_assert(nn::OptimizerState<nn::adam>);

namespace {

using aida_test::same_bits;
using aida_test::snapshot;

nn::char_model_config small_config(std::uint64_t seed) {
  nn::char_model_config c;
  c.charset = "abcd";
  c.embedding = 16;
  c.hidden = 48;
  c.max_answer_length = 8;
  c.learning_rate = 1e-2f;
  c.seed = seed;
  return c;
}

std::vector<nn::parameter*> all_parameters(nn::char_model& m) {
  std::vector<nn::parameter*> ps;
  nn::for_each_parameter(m.parameters(), [&](std::string_view, nn::parameter& p) { ps.push_back(&p); });
  return ps;
}

std::string reversed(std::string s) { return {s.rbegin(), s.rend()}; }

TEST(NnCharModel, WholeModelGradientMatchesFiniteDifferences) {
  nn::char_model_config c = small_config(aida_test::seed());
  c.embedding = 3;
  c.hidden = 4;
  nn::char_model m(c);
  // Different lengths on both sides, so that the masks of the encoder and the decoder matter.
  const std::vector<target> batch{{"abc", "c"}, {"d", "dab"}, {"", "ba"}};
  const auto ps = all_parameters(m);
  const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps),
                                       [&](nn::tape& t) { return m.loss(t, batch); });
  EXPECT_TRUE(res.ok) << res.worst;
  EXPECT_GT(res.checked, 200u);
}

TEST(NnCharModel, LearnsToReverseThreeCharacterStrings) {
  nn::char_model m(small_config(aida_test::seed()));
  std::vector<target> all;
  const std::string abc = "abcd";
  for (char x : abc)
    for (char y : abc)
      for (char z : abc) {
        const std::string q{x, y, z};
        all.push_back({q, reversed(q)});
      }
  auto accuracy = [&] {
    int right = 0;
    for (const auto& e : all) right += m.greedy(m.predict(e.query)) == e.target;
    return static_cast<double>(right) / static_cast<double>(all.size());
  };
  const double before = accuracy();
  double first_loss = 0, last_loss = 0;
  int step = 0;
  // All 64 strings per step; at this seed it converges well within the cap.
  for (; step < 600 && (step % 25 != 0 || accuracy() < 1.0); ++step) {
    last_loss = m.train_step(all);
    if (step == 0) first_loss = last_loss;
  }
  EXPECT_LT(before, 0.2);
  EXPECT_EQ(accuracy(), 1.0) << "after " << step << " steps, loss " << last_loss;
  EXPECT_LT(last_loss, first_loss / 10);
}

TEST(NnCharModel, SampleFrequenciesMatchLogProb) {
  // Law: sample draws with probabilities exp(log_prob). n draws; each frequency must be
  // within 4.5 standard errors of its probability (a false alarm has probability < 1e-4 per answer).
  nn::char_model_config c = small_config(aida_test::seed());
  c.charset = "ab";
  c.max_answer_length = 50;
  nn::char_model m(c);
  const auto o = m.predict("ab");
  aida::sampler rng(aida_test::seed());
  std::map<std::string, int> counts;
#ifdef AIDA_SANITIZED
  const int n = 4000;  // the tolerance scales with n, so fewer draws keep the same false-alarm rate
#else
  const int n = 20000;
#endif
  for (int i = 0; i < n; ++i) ++counts[m.sample(o, rng)];
  double mass = 0;
  for (const std::string a : {"", "a", "b", "aa", "ab", "ba", "bb"}) {
    const double p = std::exp(m.log_prob(o, a));
    mass += p;
    const double freq = counts[a] / double(n);
    EXPECT_NEAR(freq, p, 4.5 * std::sqrt(p * (1 - p) / n) + 1e-9) << "answer \"" << a << "\"";
  }
  EXPECT_GT(mass, 0.05);  // the checked answers carry enough mass for the test to mean something
}

TEST(NnCharModel, LogProbIsALogProbabilityAndGreedyIsColdSampling) {
  nn::char_model m(small_config(aida_test::seed()));
  const auto o = m.predict("abcd");
  for (const std::string a : {"", "a", "dcba", "aaaaaaaaaaaa"}) {
    const double lp = m.log_prob(o, a);
    EXPECT_LE(lp, 0.0);
    EXPECT_TRUE(std::isfinite(lp));
  }
  aida::sampler rng(1);
  EXPECT_EQ(m.sample(o, rng, 1e-4f), m.greedy(o));  // temperature → 0 gives the argmax path
  EXPECT_LE(m.greedy(o).size(), m.config().max_answer_length);
}

TEST(NnCharModel, PredictBatchEqualsPredictOneByOne) {
  nn::char_model m(small_config(aida_test::seed()));
  const std::vector<std::string> qs{"a", "", "abcdab", "dd"};
  const auto batch = m.predict_batch(qs);
  ASSERT_EQ(batch.size(), qs.size());
  for (std::size_t i = 0; i < qs.size(); ++i)
    EXPECT_TRUE(batch[i].value.isApprox(m.predict(qs[i]).value, 1e-5f)) << "question " << i;
  EXPECT_EQ(m.predict("abc"), m.predict("abc"));  // deterministic
  EXPECT_EQ(m.predict("").value.norm(), 0.0f);
}

TEST(NnCharModel, SameSeedSameTraining) {
  nn::char_model a(small_config(7)), b(small_config(7)), c(small_config(8));
  const std::vector<target> batch{{"ab", "ba"}, {"c", "c"}};
  for (int i = 0; i < 3; ++i) {
    a.train_step(batch);
    b.train_step(batch);
    c.train_step(batch);
  }
  EXPECT_TRUE(same_bits(snapshot(a), snapshot(b)));
  EXPECT_FALSE(same_bits(snapshot(a), snapshot(c)));
}

// Eigen sizes the blocks of its matrix products from the CPU's caches, which changes the
// order of summation: the same seed on two CPUs trains to different bits unless the blocking
// is pinned. Here two "CPUs" are two cache settings; the model is big enough (hidden 96,
// batch 32) that a small L1 splits its products' inner dimension.
TEST(NnCharModel, PinnedGemmBlockingMakesTrainingIndependentOfTheCacheSizes) {
  auto config = small_config(11);
  config.hidden = 96;
  config.embedding = 32;
  std::vector<target> batch;
  aida::sampler rng(aida_test::seed());
  const std::string chars = "abcd";
  for (int i = 0; i < 32; ++i) {
    std::string q, a;
    for (int k = 0; k < 6; ++k) q += chars[rng.next() % 4];
    a.assign(q.rbegin(), q.rend());
    batch.push_back({q, a});
  }
  auto train = [&] {
    nn::char_model m(config);
    for (int i = 0; i < 4; ++i) m.train_step(batch);
    return snapshot(m);
  };
  const std::ptrdiff_t before[3] = {Eigen::l1CacheSize(), Eigen::l2CacheSize(), Eigen::l3CacheSize()};
  const std::ptrdiff_t small[3] = {2 * 1024, 16 * 1024, 64 * 1024};
  const std::ptrdiff_t large[3] = {64 * 1024, 4 * 1024 * 1024, 64 * 1024 * 1024};
  Eigen::setCpuCacheSizes(small[0], small[1], small[2]);
  const auto on_small = train();
  Eigen::setCpuCacheSizes(large[0], large[1], large[2]);
  const auto on_large = train();
  // The control: without pinning, the cache sizes change the bits (else this test shows nothing).
  EXPECT_FALSE(same_bits(on_small, on_large));

  Eigen::setCpuCacheSizes(small[0], small[1], small[2]);
  nn::pin_gemm_blocking();
  const auto pinned_after_small = train();
  Eigen::setCpuCacheSizes(large[0], large[1], large[2]);
  nn::pin_gemm_blocking();
  const auto pinned_after_large = train();
  EXPECT_TRUE(same_bits(pinned_after_small, pinned_after_large));
  EXPECT_EQ(Eigen::l1CacheSize(), nn::pinned_cache_sizes[0]);
  EXPECT_EQ(Eigen::l2CacheSize(), nn::pinned_cache_sizes[1]);
  EXPECT_EQ(Eigen::l3CacheSize(), nn::pinned_cache_sizes[2]);
  Eigen::setCpuCacheSizes(before[0], before[1], before[2]);  // the tests after this one see the CPU's own
}

TEST(NnCharModel, EmptyBatchIsANoOp) {
  nn::char_model m(small_config(1));
  const auto before = snapshot(m);
  EXPECT_EQ(m.train_step(std::span<const target>()), 0.0);
  EXPECT_TRUE(same_bits(before, snapshot(m)));
}

TEST(NnCharModel, NonFiniteLossThrowsAndChangesNothing) {
  nn::char_model m(small_config(1));
  const std::vector<target> batch{{"ab", "ba"}};
  m.train_step(batch);  // so that the optimiser has state to protect
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    m.parameters().decoder.output.bias.value(0, 0) = bad;
    const auto before = snapshot(m);
    EXPECT_THROW(m.train_step(batch), nn::non_finite_error);
    EXPECT_TRUE(same_bits(before, snapshot(m)));
    nn::for_each_parameter(m.parameters(), [](std::string_view name, const nn::parameter& p) {
      EXPECT_TRUE(p.grad.isZero()) << name;  // no gradient left behind for the next step
    });
  }
  m.parameters().decoder.output.bias.value(0, 0) = 0;
  EXPECT_TRUE(std::isfinite(m.train_step(batch)));
}

TEST(NnCharModel, CharactersOutsideTheVocabularyAreNamed) {
  nn::char_model m(small_config(1));
  const auto before = snapshot(m);
  try {
    (void)m.predict("abz");
    FAIL() << "no exception";
  } catch (const nn::vocabulary_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'z'"), std::string::npos) << what;
    EXPECT_NE(what.find("\"abz\""), std::string::npos) << what;
    EXPECT_NE(what.find("position 2"), std::string::npos) << what;
  }
  const std::vector<target> batch{{"ab", "ba"}, {"a", "a\n"}};
  try {
    m.train_step(batch);
    FAIL() << "no exception";
  } catch (const nn::vocabulary_error& e) {
    EXPECT_NE(std::string(e.what()).find("answer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("code 10"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(same_bits(before, snapshot(m)));
  EXPECT_THROW((void)m.log_prob(m.predict("a"), "x"), nn::vocabulary_error);
  EXPECT_THROW((void)m.greedy(nn::embedding_vector{nn::tensor::Zero(1, 3)}), nn::shape_error);
}

TEST(NnCharModel, ConfigValidationNamesTheField) {
  auto rejects = [](auto mutate, const char* field) {
    nn::char_model_config c = small_config(1);
    mutate(c);
    try {
      nn::char_model m(c);
      ADD_FAILURE() << "accepted a bad " << field;
    } catch (const nn::config_error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  rejects([](auto& c) { c.charset = ""; }, "empty");
  rejects([](auto& c) { c.charset = "aba"; }, "repeats");
  rejects([](auto& c) { c.embedding = 0; }, "embedding");
  rejects([](auto& c) { c.hidden = 0; }, "hidden");
  rejects([](auto& c) { c.max_answer_length = 0; }, "max_answer_length");
  rejects([](auto& c) { c.learning_rate = -1; }, "learning_rate");
  rejects([](auto& c) { c.learning_rate = std::nanf(""); }, "learning_rate");
  rejects([](auto& c) { c.clip = -1; }, "clip");
  rejects([](auto& c) { c.temperature = 0; }, "temperature");
}

TEST(NnCharModel, ParametersAndOptimizerAreReflected) {
  nn::char_model m(small_config(1));
  std::vector<std::string> names;
  nn::for_each_parameter(m.parameters(), [&](std::string_view n, const nn::parameter&) { names.emplace_back(n); });
  EXPECT_EQ(names.front(), "encoder.embed.table");
  EXPECT_EQ(names.back(), "decoder.output.bias");
  std::size_t states = 0;
  m.optimizer().for_each_state([&](std::string_view, const nn::tensor&) { ++states; });
  EXPECT_EQ(states, 2 * names.size());  // Adam: a first and a second moment per parameter
  EXPECT_GT(nn::count_parameters(m.parameters()), 1000u);
}

}  // namespace
