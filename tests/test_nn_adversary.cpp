// Adv, the adversary model (spec §1–§2): it learns to predict ML's loss on held-out
// questions, its gradients match finite differences, it never trains ML, and bad input is
// refused without changing anything.
#include <cmath>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/concepts.hpp"
#include "aida/core/sampler.hpp"
#include "aida/nn/adversary_model.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/gradcheck.hpp"
#include "support/seed.hpp"

namespace nn = aida::nn;
using model_target = aida::model_target<std::string, std::string>;
using adv_target = aida::adversary_target<std::string, nn::embedding_vector>;

static_assert(aida::TrainableAdversary<nn::adversary_model, std::string, nn::embedding_vector>);

namespace {

std::string random_string(aida::sampler& rng, std::size_t min_len, std::size_t max_len) {
  const std::string abc = "abcd";
  std::string s(min_len + rng.below(max_len - min_len + 1), 'a');
  for (char& c : s) c = abc[rng.below(abc.size())];
  return s;
}

std::string reversed(std::string s) { return {s.rbegin(), s.rend()}; }

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const auto n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

nn::adversary_config small_adversary(std::uint64_t seed, std::size_t model_output_size) {
  nn::adversary_config c;
  c.charset = "abcd";
  c.embedding = 8;
  c.hidden = 32;
  c.mlp_hidden = 32;
  c.model_output_size = model_output_size;
  c.learning_rate = 3e-3f;
  c.seed = seed;
  return c;
}

TEST(NnAdversary, PredictsHeldOutLossesOfThePartlyTrainedModel) {
  aida::sampler rng(aida_test::seed());
  // ML, trained briefly to reverse strings of length 1–6: it learns the short ones first, so
  // its losses on the questions spread over a wide range.
  nn::char_model_config mc;
  mc.charset = "abcd";
  mc.embedding = 16;
  mc.hidden = 32;
  mc.learning_rate = 1e-2f;
  mc.seed = aida_test::seed();
  nn::char_model ml(mc);
  for (int step = 0; step < 60; ++step) {
    std::vector<model_target> batch;
    for (int i = 0; i < 32; ++i) {
      const auto q = random_string(rng, 1, 6);
      batch.push_back({q, reversed(q)});
    }
    ml.train_step(batch);
  }
  // Adversary targets (q, ML(q), −L) on fresh questions; held-out ones are never trained on.
  auto targets = [&](std::size_t n) {
    std::vector<adv_target> out;
    for (std::size_t i = 0; i < n; ++i) {
      const auto q = random_string(rng, 1, 6);
      auto o = ml.predict(q);
      const double l = -ml.log_prob(o, reversed(q));
      out.push_back({q, std::move(o), -l});
    }
    return out;
  };
  const auto train = targets(512), held_out = targets(200);
  nn::adversary_model adv(small_adversary(aida_test::seed(), ml.output_size()));
  const auto ml_before = ml.predict("abc");
  double first = 0, last = 0;
  for (int epoch = 0; epoch < 12; ++epoch)
    for (std::size_t b = 0; b < train.size(); b += 32) {
      last = adv.train_step(std::span<const adv_target>(train).subspan(b, 32));
      if (epoch == 0 && b == 0) first = last;
    }
  std::vector<double> predicted, actual;
  for (const auto& t : held_out) {
    predicted.push_back(adv.score(t.query, t.output));
    actual.push_back(t.target);
  }
  // Stated threshold of the backend issue: Pearson correlation above 0.8 at a fixed seed.
  const double r = pearson(predicted, actual);
  std::cout << "held-out Pearson r = " << r << " over " << held_out.size() << " questions\n";
  EXPECT_GT(r, 0.8) << "training loss " << first << " -> " << last;
  EXPECT_LT(last, first);
  EXPECT_EQ(ml.predict("abc"), ml_before);  // the adversary's training never touches ML
}

TEST(NnAdversary, WholeModelGradientMatchesFiniteDifferences) {
  nn::adversary_config c = small_adversary(aida_test::seed(), 3);
  c.embedding = 3;
  c.hidden = 4;
  c.mlp_hidden = 5;
  c.output_scale = 1;
  nn::adversary_model adv(c);
  aida::sampler rng(aida_test::seed());
  auto out = [&] {
    nn::tensor v(1, 3);
    for (Eigen::Index i = 0; i < 3; ++i) v(0, i) = static_cast<float>(rng.uniform() - 0.5);
    return nn::embedding_vector{v};
  };
  const std::vector<adv_target> batch{{"abc", out(), -1.5}, {"", out(), -0.2}, {"d", out(), -3.0}};
  std::vector<nn::parameter*> ps;
  nn::for_each_parameter(adv.parameters(), [&](std::string_view, nn::parameter& p) { ps.push_back(&p); });
  const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps), [&](nn::tape& t) { return adv.loss(t, batch); });
  EXPECT_TRUE(res.ok) << res.worst;
}

// spec §2's absolute form |Adv + L|, alone and mixed with squared targets in one batch: the
// loss is the mean of each target's own error, and its gradient matches finite differences.
TEST(NnAdversary, AbsoluteFormLossAndGradient) {
  nn::adversary_config c = small_adversary(aida_test::seed(), 3);
  c.embedding = 3;
  c.hidden = 4;
  c.mlp_hidden = 5;
  c.output_scale = 1;
  nn::adversary_model adv(c);
  aida::sampler rng(aida_test::seed());
  auto out = [&] {
    nn::tensor v(1, 3);
    for (Eigen::Index i = 0; i < 3; ++i) v(0, i) = static_cast<float>(rng.uniform() - 0.5);
    return nn::embedding_vector{v};
  };
  constexpr auto abs = aida::adversary_loss::absolute, sq = aida::adversary_loss::squared;
  const auto fan_in = aida::target_kind::fan_in;
  // Targets far (several nats) from the initial scores: |x| is smooth there.
  const std::vector<adv_target> absolute{{"abc", out(), -4.5, 0, fan_in, abs}, {"", out(), -3.2, 0, fan_in, abs},
                                         {"d", out(), -6.0, 0, fan_in, abs}};
  const std::vector<adv_target> mixed{{"abc", out(), -4.5, 0, fan_in, abs}, {"", out(), -3.2, 0, fan_in, sq},
                                      {"d", out(), -6.0, 0, fan_in, abs}, {"ab", out(), -1.0, 0, fan_in, sq}};
  for (const auto* batch : {&absolute, &mixed}) {
    double expected = 0;
    for (const auto& t : *batch) {
      const double e = adv.score(t.query, t.output) - t.target;
      expected += (t.form == abs ? std::abs(e) : e * e) / static_cast<double>(batch->size());
    }
    nn::tape& tp = nn::tape::local();
    {
      nn::tape_scope scope(tp);
      EXPECT_NEAR(adv.loss(tp, *batch).item(), expected, 1e-4 * (1 + expected));
    }
    std::vector<nn::parameter*> ps;
    nn::for_each_parameter(adv.parameters(), [&](std::string_view, nn::parameter& p) { ps.push_back(&p); });
    const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps), [&](nn::tape& t) { return adv.loss(t, *batch); });
    EXPECT_TRUE(res.ok) << res.worst;
  }
}

// The loss form changes what is learned: two adversaries from the same initialisation,
// trained on the same targets, one by squared and one by absolute error, end with different
// parameters, and the absolute one is nearer the median of targets with an outlier.
TEST(NnAdversary, TheLossFormChangesWhatIsLearned) {
  const nn::embedding_vector o{nn::tensor::Zero(1, 2)};
  auto targets = [&](aida::adversary_loss form) {
    // One question, nine targets −1 and one outlier −21: the mean is −3, the median −1.
    std::vector<adv_target> out(10, adv_target{"ab", o, -1.0, 0, aida::target_kind::answer, form});
    out[0].target = -21.0;
    return out;
  };
  nn::adversary_config c = small_adversary(aida_test::seed(), 2);
  c.learning_rate = 1e-2f;
  nn::adversary_model squared(c), absolute(c);
  const auto sq = targets(aida::adversary_loss::squared), ab = targets(aida::adversary_loss::absolute);
  for (int step = 0; step < 400; ++step) {
    squared.train_step(sq);
    absolute.train_step(ab);
  }
  const double s_sq = squared.score("ab", o), s_ab = absolute.score("ab", o);
  std::cout << "trained scores: squared " << s_sq << ", absolute " << s_ab << "\n";
  EXPECT_NEAR(s_sq, -3.0, 0.5);  // the mean
  EXPECT_NEAR(s_ab, -1.0, 0.5);  // the median
  EXPECT_NE(squared.parameters().head.output.weight.value, absolute.parameters().head.output.weight.value);
}

TEST(NnAdversary, ScoreBatchEqualsScore) {
  nn::adversary_model adv(small_adversary(1, 2));
  const std::vector<std::string> qs{"ab", "", "dcba"};
  std::vector<nn::embedding_vector> os;
  for (int i = 0; i < 3; ++i) os.push_back({nn::tensor::Constant(1, 2, 0.1f * static_cast<float>(i))});
  const auto s = adv.score_batch(qs, os);
  for (std::size_t i = 0; i < qs.size(); ++i) EXPECT_NEAR(s[i], adv.score(qs[i], os[i]), 1e-5);
  EXPECT_NE(s[0], s[2]);
}

TEST(NnAdversary, BadInputIsRefusedWithoutChanges) {
  nn::adversary_model adv(small_adversary(1, 4));
  const nn::embedding_vector good{nn::tensor::Zero(1, 4)}, wrong{nn::tensor::Zero(1, 5)};
  EXPECT_THROW((void)adv.score("abx", good), nn::vocabulary_error);
  try {
    (void)adv.score("ab", wrong);
    FAIL() << "no exception";
  } catch (const nn::shape_error& e) {
    EXPECT_NE(std::string(e.what()).find("model_output_size"), std::string::npos) << e.what();
  }
  const std::vector<adv_target> nan_target{{"ab", good, std::nan("")}};
  const double before = adv.score("ab", good);
  EXPECT_THROW(adv.train_step(nan_target), nn::non_finite_error);
  EXPECT_EQ(adv.score("ab", good), before);
  EXPECT_EQ(adv.optimizer().step_count(), 0u);
  const std::vector<adv_target> ok{{"ab", good, -1.0}};
  EXPECT_TRUE(std::isfinite(adv.train_step(ok)));
  EXPECT_EQ(adv.optimizer().step_count(), 1u);
}

TEST(NnAdversary, ConfigValidationNamesTheField) {
  auto rejects = [](auto mutate, const char* field) {
    nn::adversary_config c = small_adversary(1, 4);
    mutate(c);
    try {
      nn::adversary_model m(c);
      ADD_FAILURE() << "accepted a bad " << field;
    } catch (const nn::config_error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  rejects([](auto& c) { c.hidden = 0; }, "hidden");
  rejects([](auto& c) { c.mlp_hidden = 0; }, "mlp_hidden");
  rejects([](auto& c) { c.model_output_size = 0; }, "model_output_size");
  rejects([](auto& c) { c.output_scale = 0; }, "output_scale");
  rejects([](auto& c) { c.learning_rate = 0; }, "learning_rate");
  rejects([](auto& c) { c.charset = "aa"; }, "repeats");
}

}  // namespace
