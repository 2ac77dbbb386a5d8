// The reference Transformer pair (ML `transformer_model`, Adv `transformer_adversary`):
// whole-model gradients against finite differences, the laws linking sample / log_prob /
// greedy, the key/value cache changing nothing, batching and padding changing nothing,
// checkpoints, and every kind of bad input leaving the models untouched.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/concepts.hpp"
#include "aida/core/sampler.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/checkpoint.hpp"
#include "aida/nn/gradcheck.hpp"
#include "aida/nn/transformer.hpp"
#include "support/seed.hpp"
#include "support/snapshot.hpp"

namespace nn = aida::nn;
using target = aida::model_target<std::string, std::string>;
using adv_target = aida::adversary_target<std::string, nn::encoder_states>;

static_assert(aida::TrainableModel<nn::transformer_model, std::string, std::string>);
static_assert(aida::TrainableAdversary<nn::transformer_adversary, std::string, nn::encoder_states>);
static_assert(requires(nn::transformer_model& m, std::span<const std::string> qs) { m.predict_batch(qs); });

namespace {

using aida_test::same_bits;
using aida_test::snapshot;

nn::transformer_config small_config(std::uint64_t seed) {
  nn::transformer_config c;
  c.charset = "abcd:";
  c.width = 16;
  c.heads = 2;
  c.encoder_layers = 1;
  c.decoder_layers = 1;
  c.feed_forward = 32;
  c.max_question_length = 12;
  c.max_answer_length = 6;
  c.seed = seed;
  return c;
}

nn::transformer_adversary_config small_adversary(std::uint64_t seed, std::size_t model_width) {
  nn::transformer_adversary_config c;
  c.charset = "abcd:";
  c.width = 8;
  c.heads = 2;
  c.feed_forward = 16;
  c.mlp_hidden = 8;
  c.max_question_length = 12;
  c.model_output_size = model_width;
  c.seed = seed;
  return c;
}

template <class M>
std::vector<nn::parameter*> all_parameters(M& m) {
  std::vector<nn::parameter*> ps;
  nn::for_each_parameter(m.parameters(), [&](std::string_view, nn::parameter& p) { ps.push_back(&p); });
  return ps;
}

TEST(NnTransformer, WholeModelGradientMatchesFiniteDifferences) {
  nn::transformer_config c = small_config(aida_test::seed());
  c.width = 4;
  c.feed_forward = 6;
  nn::transformer_model m(c);
  // Different lengths on both sides (and an empty question and answer), so that every mask matters.
  const std::vector<target> batch{{"abc:d", "c"}, {"d", "dab"}, {"", "ba"}, {"ab", ""}};
  const auto ps = all_parameters(m);
  const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps), [&](nn::tape& t) { return m.loss(t, batch); });
  EXPECT_TRUE(res.ok) << res.worst;
  EXPECT_GT(res.checked, 500u);
}

TEST(NnTransformer, WholeAdversaryGradientMatchesFiniteDifferences) {
  nn::transformer_model m(small_config(aida_test::seed()));
  nn::transformer_adversary_config c = small_adversary(aida_test::seed() + 1, m.output_size());
  c.width = 4;
  c.feed_forward = 6;
  c.mlp_hidden = 5;
  c.output_scale = 1.0f;
  nn::transformer_adversary adv(c);
  std::vector<adv_target> batch;
  // Both loss forms of spec §2, mixed in one batch (targets far from the initial scores,
  // away from the kink of |·|).
  for (const std::string q : {"abc:d", "d", "", "ab"}) batch.push_back({q, m.predict(q), -3.0 - static_cast<double>(q.size())});
  batch[1].form = aida::adversary_loss::absolute;
  batch[3].form = aida::adversary_loss::absolute;
  const auto ps = all_parameters(adv);
  const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps), [&](nn::tape& t) { return adv.loss(t, batch); });
  EXPECT_TRUE(res.ok) << res.worst;
  EXPECT_GT(res.checked, 300u);
}

TEST(NnTransformer, CachedDecodingGivesTheSameCharactersAsFullRecomputation) {
  // Several seeds and questions of every length, including the empty one; the model is
  // untrained, so its answers are long and varied (the cache is exercised at every position).
  for (std::uint64_t s = 0; s < 4; ++s) {
    nn::transformer_config c = small_config(aida_test::seed() + s);
    c.max_answer_length = 10;
    nn::transformer_model m(c);
    for (const std::string q : {"", "a", "abcd:", "dcba:abcd", "aaaaaaaaaaaa"}) {
      const auto o = m.predict(q);
      EXPECT_EQ(m.greedy(o), m.greedy_uncached(o)) << "seed " << s << ", question \"" << q << "\"";
    }
  }
}

TEST(NnTransformer, SampleFrequenciesMatchLogProb) {
  // Law: sample draws with probabilities exp(log_prob); each frequency within 4.5 standard
  // errors of its probability (a false alarm has probability < 1e-4 per answer).
  nn::transformer_config c = small_config(aida_test::seed());
  c.charset = "ab";
  c.max_answer_length = 12;
  nn::transformer_model m(c);
  const auto o = m.predict("ab");
  aida::sampler rng(aida_test::seed());
  std::map<std::string, int> counts;
#ifdef AIDA_SANITIZED
  const int n = 3000;
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
  EXPECT_GT(mass, 0.05);
}

TEST(NnTransformer, LogProbIsALogProbabilityAndGreedyIsColdSampling) {
  nn::transformer_model m(small_config(aida_test::seed()));
  const auto o = m.predict("abcd");
  EXPECT_EQ(o.value.rows(), 4);
  EXPECT_EQ(o.value.cols(), 16);
  for (const std::string a : {"", "a", "dcba", "aaaaaa"}) {
    const double lp = m.log_prob(o, a);
    EXPECT_LE(lp, 0.0);
    EXPECT_TRUE(std::isfinite(lp));
  }
  aida::sampler rng(1);
  EXPECT_EQ(m.sample(o, rng, 1e-4f), m.greedy(o));
  EXPECT_LE(m.greedy(o).size(), m.config().max_answer_length);
}

TEST(NnTransformer, PaddingChangesNothing) {
  // A question's states and an answer's log-probability do not depend on what else is in the batch.
  nn::transformer_model m(small_config(aida_test::seed()));
  const std::vector<std::string> qs{"abcd:abcd", "a", "", "dd:c"};
  const auto batch = m.predict_batch(qs);
  ASSERT_EQ(batch.size(), qs.size());
  for (std::size_t i = 0; i < qs.size(); ++i) {
    const auto one = m.predict(qs[i]);
    ASSERT_EQ(one.value.rows(), static_cast<Eigen::Index>(qs[i].size()));
    ASSERT_EQ(batch[i].value.rows(), one.value.rows());
    if (one.value.size() > 0) {
      EXPECT_LT((batch[i].value - one.value).cwiseAbs().maxCoeff(), 1e-5f) << "question \"" << qs[i] << "\"";
    }
  }
  // The batched loss is the mean of the single losses.
  const std::vector<target> ts{{"abcd:abcd", "ab"}, {"a", ""}, {"", "dcb"}};
  double mean = 0;
  for (const auto& x : ts) mean -= m.log_prob(m.predict(x.query), x.target) / 3.0;
  nn::tape t;
  EXPECT_NEAR(m.loss(t, ts).item(), mean, 1e-4);
  nn::transformer_adversary adv(small_adversary(aida_test::seed(), m.output_size()));
  const auto scores = adv.score_batch(qs, batch);
  for (std::size_t i = 0; i < qs.size(); ++i) EXPECT_NEAR(scores[i], adv.score(qs[i], m.predict(qs[i])), 1e-4);
}

TEST(NnTransformer, SameSeedSameTraining) {
  const std::vector<target> ts{{"ab:c", "c"}, {"d", "dab"}};
  nn::transformer_model a(small_config(7)), b(small_config(7));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.train_step(ts), b.train_step(ts));
  EXPECT_TRUE(same_bits(snapshot(a), snapshot(b)));
}

// "c3a7h1:a" → "7": the value stored under the asked key, among three entries with
// distinct keys from a–h. Training questions have 1 to 3 entries (a curriculum), held-out
// ones 3, drawn from another stream: about 10^5 distinct questions, so a held-out score
// is generalisation, not memory.
target lookup_question(aida::sampler& rng, int entries) {
  std::string keys = "abcdefgh";
  for (int i = 7; i > 0; --i) std::swap(keys[static_cast<std::size_t>(i)], keys[rng.next() % static_cast<std::uint64_t>(i + 1)]);
  const auto asked = static_cast<int>(rng.next() % static_cast<std::uint64_t>(entries));
  std::string q, answer;
  for (int i = 0; i < entries; ++i) {
    const char v = static_cast<char>('0' + rng.next() % 10);
    q += keys[static_cast<std::size_t>(i)];
    q += v;
    if (i == asked) answer = std::string(1, v);
  }
  q += ':';
  q += keys[static_cast<std::size_t>(asked)];
  return {q, answer};
}

// Trains `m` on fresh batches of 64 lookup questions; returns the held-out accuracy after
// at most `max_steps` steps (checked every 50 steps, stopping once it is >= 0.95).
template <class M>
double train_on_lookups(M& m, int max_steps, int& steps_used) {
  aida::sampler rng(1), held_rng(2);
  std::vector<target> held;
  for (int i = 0; i < 200; ++i) held.push_back(lookup_question(held_rng, 3));
  double acc = 0;
  for (steps_used = 1; steps_used <= max_steps; ++steps_used) {
    std::vector<target> batch;
    for (int i = 0; i < 64; ++i) batch.push_back(lookup_question(rng, 1 + static_cast<int>(rng.next() % 3)));
    m.train_step(batch);
    if (steps_used % 50 != 0) continue;
    int right = 0;
    for (const auto& h : held) right += m.greedy(m.predict(h.query)) == h.target;
    acc = right / 200.0;
    if (acc >= 0.95) break;
  }
  return acc;
}

TEST(NnTransformer, LearnsAKeyValueLookupThatTheGruDoesNot) {
#ifdef AIDA_SANITIZED
  GTEST_SKIP() << "about 10 s optimised; the sanitizer presets run the model's other tests";
#endif
  // Fixed seeds (not AIDA_SEED): a statistical test of learning speed. Measured: the
  // Transformer passes 95% held out at about 950 steps; the GRU, with twice the width, is
  // at 35-45% (the best constant answer scores about 10%) over the same steps.
  const std::string charset = "abcdefgh0123456789:";
  nn::transformer_config c;
  c.charset = charset;
  c.width = 32;
  c.heads = 2;
  c.feed_forward = 64;
  c.max_question_length = 16;
  c.max_answer_length = 4;
  c.learning_rate = 3e-3f;
  nn::transformer_model transformer(c);
  int steps = 0;
  const double transformer_acc = train_on_lookups(transformer, 2000, steps);

  nn::char_model_config g;
  g.charset = charset;
  g.hidden = 64;
  g.max_answer_length = 4;
  g.learning_rate = 3e-3f;
  nn::char_model gru(g);
  int gru_steps = 0;
  const double gru_acc = train_on_lookups(gru, steps, gru_steps);
  std::printf("key-value lookup, 3 entries, held out: Transformer %.1f%% after %d steps of 64 labels; "
              "GRU (hidden 64) %.1f%% after the same steps\n",
              100 * transformer_acc, steps, 100 * gru_acc);
  EXPECT_GE(transformer_acc, 0.95) << "after " << steps << " steps";
  EXPECT_LT(gru_acc, 0.8);
}

TEST(NnTransformer, BadInputIsRefusedWithNamesAndChangesNothing) {
  nn::transformer_model m(small_config(aida_test::seed()));
  nn::transformer_adversary adv(small_adversary(aida_test::seed(), m.output_size()));
  const auto before = snapshot(m);
  const auto adv_before = snapshot(adv);
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const nn::vocabulary_error& e) {
      return std::string(e.what());
    }
    return std::string("no vocabulary_error");
  };
  // A question longer than the positions, named with the limit and the field.
  const std::string long_q(13, 'a');
  const std::string msg = message([&] { m.train_step(std::vector<target>{{"ab", "c"}, {long_q, "a"}}); });
  EXPECT_NE(msg.find(long_q), std::string::npos) << msg;
  EXPECT_NE(msg.find("12 positions"), std::string::npos) << msg;
  EXPECT_NE(msg.find("max_question_length"), std::string::npos) << msg;
  // An answer longer than the decoder's positions.
  const std::string amsg = message([&] { m.train_step(std::vector<target>{{"ab", "abcdabc"}}); });
  EXPECT_NE(amsg.find("max_answer_length"), std::string::npos) << amsg;
  // A character outside the charset.
  const std::string cmsg = message([&] { m.train_step(std::vector<target>{{"abz", "a"}}); });
  EXPECT_NE(cmsg.find("'z'"), std::string::npos) << cmsg;
  EXPECT_THROW(m.predict(long_q), nn::vocabulary_error);
  EXPECT_THROW((void)m.log_prob(m.predict("ab"), "abcdabc"), nn::vocabulary_error);
  // Adversary: a long question, states of the wrong width, mismatched batch sizes.
  EXPECT_THROW(adv.train_step(std::vector<adv_target>{{long_q, m.predict("a"), -1.0}}), nn::vocabulary_error);
  nn::encoder_states wrong{nn::tensor::Zero(2, 3)};
  EXPECT_THROW(adv.train_step(std::vector<adv_target>{{"ab", wrong, -1.0}}), nn::shape_error);
  EXPECT_THROW((void)m.greedy(wrong), nn::shape_error);
  EXPECT_THROW(adv.score_batch(std::vector<std::string>{"a"}, std::vector<nn::encoder_states>{}), nn::shape_error);
  // Empty batches: a no-op step, an error from `loss`.
  EXPECT_EQ(m.train_step(std::vector<target>{}), 0.0);
  EXPECT_EQ(adv.train_step(std::vector<adv_target>{}), 0.0);
  nn::tape t;
  EXPECT_THROW((void)m.loss(t, std::vector<target>{}), aida::error);
  EXPECT_TRUE(m.predict_batch(std::vector<std::string>{}).empty());
  EXPECT_TRUE(same_bits(snapshot(m), before));
  EXPECT_TRUE(same_bits(snapshot(adv), adv_before));
}

TEST(NnTransformer, ConfigValidationNamesTheField) {
  auto message = [](nn::transformer_config c) {
    try {
      nn::transformer_model m(c);
    } catch (const nn::config_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  nn::transformer_config c = small_config(1);
  c.heads = 3;
  EXPECT_NE(message(c).find("does not divide width"), std::string::npos) << message(c);
  c = small_config(1);
  c.encoder_layers = 0;
  EXPECT_NE(message(c).find("encoder_layers = 0"), std::string::npos);
  c = small_config(1);
  c.max_question_length = 0;
  EXPECT_NE(message(c).find("max_question_length"), std::string::npos);
  c = small_config(1);
  c.learning_rate = -1;
  EXPECT_NE(message(c).find("learning_rate"), std::string::npos);
  c = small_config(1);
  c.charset = "aa";
  EXPECT_NE(message(c).find("repeats"), std::string::npos);
  nn::transformer_adversary_config a = small_adversary(1, 16);
  a.heads = 3;
  EXPECT_THROW(nn::transformer_adversary{a}, nn::config_error);
}

TEST(NnTransformer, ParametersOfEveryLayerAreNamedAndCheckpointed) {
  nn::transformer_config c = small_config(aida_test::seed());
  c.encoder_layers = 2;
  nn::transformer_model m(c);
  std::vector<std::string> names;
  nn::for_each_parameter(m.parameters(), [&](std::string_view n, const nn::parameter&) { names.emplace_back(n); });
  EXPECT_NE(std::find(names.begin(), names.end(), "encoder.layers.1.self.query.weight"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "decoder.layers.0.cross.value.bias"), names.end());
  const std::vector<target> ts{{"ab:c", "c"}, {"d", "dab"}};
  m.train_step(ts);
  std::stringstream saved;
  nn::save_checkpoint(saved, m);
  const auto trained = snapshot(m);
  m.train_step(ts);
  ASSERT_FALSE(same_bits(snapshot(m), trained));
  nn::load_checkpoint(saved, m);
  EXPECT_TRUE(same_bits(snapshot(m), trained));
  // A model with one encoder layer fewer cannot read it, and is left as it was.
  nn::transformer_model other(small_config(aida_test::seed()));
  const auto other_before = snapshot(other);
  std::stringstream again(saved.str());
  EXPECT_THROW(nn::load_checkpoint(again, other), aida::error);
  EXPECT_TRUE(same_bits(snapshot(other), other_before));
}

}  // namespace
