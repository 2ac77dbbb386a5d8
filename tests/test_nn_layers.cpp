// Layers and optimisers: the projected-table GRU input equals the plain one (values and
// gradients), layer gradients against finite differences, and Adam/SGD/clipping against
// their defining formulas.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/sampler.hpp"
#include "aida/nn/gradcheck.hpp"
#include "aida/nn/layers.hpp"
#include "aida/nn/optim.hpp"
#include "support/seed.hpp"

namespace nn = aida::nn;

namespace {

struct tiny_params {
  BOOST_HANA_DEFINE_STRUCT(tiny_params, (nn::parameter, a), (nn::linear_params, lin));
};

TEST(NnLayers, GruOverSymbolsEqualsGruOverEmbeddings) {
  aida::sampler rng(aida_test::seed());
  auto table = nn::make_embedding(3, 4, rng);
  auto g = nn::make_gru(4, 5, rng);
  // 4 steps × 2 sequences = 8 ids > 3 symbols: the projected-table path.
  const std::array<std::int32_t, 8> ids{0, 2, 1, 1, 2, 0, 0, 0};
  const std::array<float, 8> mask{1, 1, 1, 1, 1, 0, 1, 0};
  nn::tape t;
  const auto h0 = t.constant(nn::tensor::Zero(2, 5));
  const auto fast = nn::gru_over_symbols(t, table, g, ids, h0, mask, true);
  t.backward(nn::sum(nn::tanh(fast)));
  const nn::tensor g_table = table.table.grad, g_w = g.w_ih.grad;
  nn::zero_grad(table);
  nn::zero_grad(g);
  nn::tape t2;  // a fresh tape: a second backward on `t` would sweep the first graph again
  const auto plain = nn::gru(t2, g, nn::embedding(t2, table, ids, true), t2.constant(nn::tensor::Zero(2, 5)), mask, true);
  t2.backward(nn::sum(nn::tanh(plain)));
  EXPECT_TRUE(fast.value().isApprox(plain.value(), 1e-5f));
  EXPECT_TRUE(table.table.grad.isApprox(g_table, 1e-4f));
  EXPECT_TRUE(g.w_ih.grad.isApprox(g_w, 1e-4f));
}

TEST(NnLayers, LayerGradients) {
  aida::sampler rng(aida_test::seed());
  auto lin = nn::make_linear(3, 2, rng);
  auto m = nn::make_mlp(3, 4, 2, rng);
  auto table = nn::make_embedding(5, 3, rng);
  auto g = nn::make_gru(3, 2, rng);
  const nn::tensor x = nn::tensor::Random(4, 3);
  const std::array<std::int32_t, 6> ids{4, 1, 1, 0, 3, 4};
  std::vector<nn::parameter*> ps{&lin.weight, &lin.bias, &m.hidden.weight, &m.hidden.bias, &m.output.weight,
                                 &m.output.bias, &table.table, &g.w_ih, &g.w_hh, &g.b_ih, &g.b_hh};
  const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps), [&](nn::tape& t) {
    const auto xs = t.constant(x);
    const auto h0 = t.constant(nn::tensor::Zero(2, 2));
    const auto seq = nn::gru_over_symbols(t, table, g, ids, h0, {}, true);  // 6 ids > 5 symbols
    return nn::add(nn::add(nn::sum(nn::tanh(nn::linear(t, lin, xs, true))), nn::sum(nn::tanh(nn::mlp(t, m, xs, true)))),
                   nn::sum(seq));
  });
  EXPECT_TRUE(res.ok) << res.worst;
}

TEST(NnOptim, AdamFirstStepMovesEachWeightByTheLearningRate) {
  // With bias correction, Adam's first step is lr · g / (|g| + ε): each weight moves by
  // almost exactly lr against its gradient's sign.
  tiny_params p;
  p.a = nn::parameter(1, 3);
  p.lin.weight = nn::parameter(2, 1);
  p.lin.bias = nn::parameter(1, 1);
  p.a.grad << 0.5f, -2.0f, 1e-3f;
  p.lin.weight.grad << 3.0f, -3.0f;
  p.lin.bias.grad << 0.0f;
  nn::adam opt(p, {.learning_rate = 0.1f});
  opt.step(p);
  EXPECT_NEAR(p.a.value(0, 0), -0.1f, 1e-5);
  EXPECT_NEAR(p.a.value(0, 1), 0.1f, 1e-5);
  EXPECT_NEAR(p.a.value(0, 2), -0.1f, 1e-4);
  EXPECT_NEAR(p.lin.weight.value(1, 0), 0.1f, 1e-5);
  EXPECT_EQ(p.lin.bias.value(0, 0), 0.0f);
  EXPECT_EQ(opt.step_count(), 1u);
  std::vector<std::string> names;
  opt.for_each_state([&](std::string_view n, nn::tensor&) { names.emplace_back(n); });
  EXPECT_EQ(names, (std::vector<std::string>{"a.m", "a.v", "lin.weight.m", "lin.weight.v", "lin.bias.m", "lin.bias.v"}));
}

TEST(NnOptim, AdamRefusesAStructOfAnotherShape) {
  tiny_params p, q;
  p.a = nn::parameter(1, 3);
  q.a = nn::parameter(2, 3);
  nn::adam opt(p);
  EXPECT_THROW(opt.step(q), aida::error);
  EXPECT_EQ(opt.step_count(), 0u);
}

// Every bit of the parameters' values and gradients, and of the optimiser's state.
template <class Opt>
std::vector<float> bits(tiny_params& p, Opt& opt) {
  std::vector<float> s;
  nn::for_each_parameter(p, [&](std::string_view, const nn::parameter& x) {
    s.insert(s.end(), x.value.data(), x.value.data() + x.size());
    s.insert(s.end(), x.grad.data(), x.grad.data() + x.size());
  });
  opt.for_each_state([&](std::string_view, nn::tensor& t) { s.insert(s.end(), t.data(), t.data() + t.size()); });
  s.push_back(static_cast<float>(opt.step_count()));
  return s;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A NaN or infinite gradient anywhere makes Adam and SGD throw before they write: parameters,
// gradients, moments and step count are bit-identical to before (after a first good step, so
// that the moments are not zero), and the message names the parameter.
TEST(NnOptim, NonFiniteGradientThrowsBeforeAnythingChanges) {
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
    for (const bool with_clipping : {false, true}) {
      tiny_params p;
      p.a = nn::parameter(1, 3);
      p.lin.weight = nn::parameter(2, 1);
      p.lin.bias = nn::parameter(1, 1);
      p.a.grad << 0.5f, -2.0f, 1e-3f;
      p.lin.weight.grad << 3.0f, -3.0f;
      p.lin.bias.grad << 1.0f;
      const float clip = with_clipping ? 1.0f : 0.0f;
      nn::adam adam(p, {.learning_rate = 0.1f, .clip_norm = clip});
      nn::sgd sgd({.learning_rate = 0.1f, .clip_norm = clip});
      adam.step(p);
      sgd.step(p);
      p.a.grad << 0.25f, 1.0f, -1.0f;
      p.lin.weight.grad << -1.0f, bad;
      const auto adam_before = bits(p, adam), sgd_before = bits(p, sgd);
      try {
        adam.step(p);
        ADD_FAILURE() << "adam took a step on a gradient of " << bad;
      } catch (const aida::non_finite_error& e) {
        EXPECT_NE(std::string(e.what()).find("lin.weight"), std::string::npos) << e.what();
      }
      EXPECT_TRUE(same_bits(bits(p, adam), adam_before)) << "adam, gradient " << bad << ", clip " << clip;
      EXPECT_THROW(sgd.step(p), aida::error);
      EXPECT_TRUE(same_bits(bits(p, sgd), sgd_before)) << "sgd, gradient " << bad << ", clip " << clip;
      EXPECT_TRUE(p.a.value.allFinite());
    }
  }
}

// Options that cannot work are refused by name, at construction and (since `options()` can
// change them) at each step, before anything changes.
TEST(NnOptim, UnusableOptionsAreRefusedByName) {
  tiny_params p;
  p.a = nn::parameter(1, 2);
  p.lin.weight = nn::parameter(1, 1);
  p.lin.bias = nn::parameter(1, 1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto refusal = [](auto&& make) -> std::string {
    try {
      make();
    } catch (const aida::invalid_options& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(refusal([&] { nn::adam(p, {.learning_rate = nan}); }).find("adam_options::learning_rate = nan"),
            std::string::npos);
  EXPECT_NE(refusal([&] { nn::adam(p, {.beta1 = 1.0f}); }).find("beta1"), std::string::npos);
  EXPECT_NE(refusal([&] { nn::adam(p, {.beta2 = -0.5f}); }).find("beta2"), std::string::npos);
  EXPECT_NE(refusal([&] { nn::adam(p, {.epsilon = 0.0f}); }).find("epsilon"), std::string::npos);
  EXPECT_NE(refusal([&] { nn::adam(p, {.clip_norm = -1.0f}); }).find("clip_norm"), std::string::npos);
  EXPECT_NE(refusal([&] { nn::sgd({.learning_rate = 0.0f}); }).find("sgd_options::learning_rate"), std::string::npos);
  EXPECT_NE(refusal([&] { nn::sgd({.clip_norm = nan}); }).find("sgd_options::clip_norm"), std::string::npos);

  p.a.grad << 1.0f, -1.0f;
  nn::adam opt(p);
  opt.options().learning_rate = -1e-3f;
  const auto before = bits(p, opt);
  EXPECT_THROW(opt.step(p), aida::invalid_options);
  EXPECT_TRUE(same_bits(bits(p, opt), before));
}

TEST(NnOptim, ClippingScalesToTheNormAndSgdFollowsTheGradient) {
  tiny_params p;
  p.a = nn::parameter(1, 2);
  p.lin.weight = nn::parameter(1, 1);
  p.lin.bias = nn::parameter(1, 1);
  p.a.grad << 3.0f, 0.0f;
  p.lin.weight.grad << 4.0f;
  EXPECT_NEAR(nn::gradient_norm(p), 5.0, 1e-6);
  EXPECT_NEAR(nn::clip_gradients(p, 1.0), 5.0, 1e-6);  // returns the norm before clipping
  EXPECT_NEAR(nn::gradient_norm(p), 1.0, 1e-6);
  nn::sgd opt({.learning_rate = 0.5f});
  opt.step(p);
  EXPECT_NEAR(p.a.value(0, 0), -0.5f * 0.6f, 1e-6);
  EXPECT_NEAR(p.lin.weight.value(0, 0), -0.5f * 0.8f, 1e-6);
}

}  // namespace
