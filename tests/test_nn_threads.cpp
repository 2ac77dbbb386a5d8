// One tape per thread and no global mutable state: two threads training two separate
// models at once end with bit-identical parameters to training them one after the other.
// The tsan preset runs this test under ThreadSanitizer.
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/sampler.hpp"
#include "aida/nn/adversary_model.hpp"
#include "aida/nn/char_model.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"

namespace nn = aida::nn;

namespace {

using aida_test::same_bits;
using aida_test::snapshot;

#ifdef AIDA_SANITIZED
constexpr int steps = 4;  // sanitizers slow everything down; the property holds for any count
#else
constexpr int steps = 25;
#endif

// Trains an ML and an Adv from `seed` and returns every parameter bit of both.
std::vector<float> train(std::uint64_t seed) {
  nn::char_model_config mc;
  mc.charset = "abcdef";
  mc.embedding = 16;
  mc.hidden = 32;
  mc.seed = seed;
  nn::char_model ml(mc);
  nn::adversary_config ac;
  ac.charset = mc.charset;
  ac.hidden = 16;
  ac.mlp_hidden = 16;
  ac.model_output_size = ml.output_size();
  ac.seed = seed + 1;
  nn::adversary_model adv(ac);
  aida::sampler rng(seed);
  for (int s = 0; s < steps; ++s) {
    std::vector<aida::model_target<std::string, std::string>> batch;
    std::vector<aida::adversary_target<std::string, nn::embedding_vector>> adv_batch;
    for (int i = 0; i < 8; ++i) {
      std::string q(1 + rng.below(5), 'a');
      for (char& c : q) c = mc.charset[rng.below(mc.charset.size())];
      const std::string a = ml.sample(ml.predict(q), rng);  // exercises inference on this thread's tape too
      batch.push_back({q, std::string(q.rbegin(), q.rend())});
      auto o = ml.predict(q);
      adv_batch.push_back({q, o, ml.log_prob(o, a)});
    }
    ml.train_step(batch);
    adv.train_step(adv_batch);
  }
  std::vector<float> bits;
  auto collect = [&](std::string_view, const nn::parameter& p) { bits.insert(bits.end(), p.value.data(), p.value.data() + p.size()); };
  nn::for_each_parameter(ml.parameters(), collect);
  nn::for_each_parameter(adv.parameters(), collect);
  return bits;
}

TEST(NnThreads, ConcurrentTrainingEqualsSequentialTraining) {
  const std::uint64_t s1 = aida_test::seed(), s2 = aida_test::seed() + 100;
  const auto seq1 = train(s1);
  const auto seq2 = train(s2);
  ASSERT_FALSE(same_bits(seq1, seq2));  // the two runs differ, so the comparison below means something
  std::vector<float> par1, par2;
  std::thread t1([&] { par1 = train(s1); });
  std::thread t2([&] { par2 = train(s2); });
  t1.join();
  t2.join();
  EXPECT_TRUE(same_bits(seq1, par1));
  EXPECT_TRUE(same_bits(seq2, par2));
}

TEST(NnThreads, EachThreadHasItsOwnTape) {
  nn::tape* main_tape = &nn::tape::local();
  nn::tape* other = nullptr;
  std::thread t([&] { other = &nn::tape::local(); });
  t.join();
  EXPECT_NE(main_tape, other);
}

}  // namespace
