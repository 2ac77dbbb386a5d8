// Every operation of the reference backend against central finite differences (in float,
// eps = 1e-2; tolerance |a − n| <= 2e-3 + 2e-2·max(|a|,|n|), see gradcheck.hpp), plus the
// tape's own properties: arena reuse, rollback, shape errors.
#include <array>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/sampler.hpp"
#include "aida/nn/gradcheck.hpp"
#include "aida/nn/gru.hpp"
#include "aida/nn/ops.hpp"
#include "aida/nn/tape.hpp"
#include "support/seed.hpp"

namespace nn = aida::nn;

namespace {

nn::parameter random_param(aida::sampler& rng, Eigen::Index r, Eigen::Index c, double scale = 1.0) {
  nn::parameter p(r, c);
  for (Eigen::Index i = 0; i < p.size(); ++i) p.value.data()[i] = static_cast<float>(scale * (2 * rng.uniform() - 1));
  return p;
}

nn::tensor random_tensor(aida::sampler& rng, Eigen::Index r, Eigen::Index c) {
  nn::tensor x(r, c);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(2 * rng.uniform() - 1);
  return x;
}

// Reduces an output to a scalar with random weights, so that every output element gets
// a different upstream gradient (a plain sum would hide transposition mistakes).
nn::var weighted_sum(nn::var y, const nn::tensor& w) { return nn::sum(nn::mul(y, y.owner().view(w))); }

template <class F>
void expect_gradients(std::vector<nn::parameter*> ps, F f) {
  const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps), f);
  EXPECT_TRUE(res.ok) << res.worst;
  EXPECT_GT(res.checked, 0u);
}

class NnOps : public ::testing::Test {
 protected:
  aida::sampler rng{aida_test::seed()};
};

TEST_F(NnOps, MatmulGradient) {
  auto a = random_param(rng, 3, 4), b = random_param(rng, 4, 5);
  const auto w = random_tensor(rng, 3, 5);
  expect_gradients({&a, &b}, [&](nn::tape& t) { return weighted_sum(nn::matmul(t.param(a), t.param(b)), w); });
}

TEST_F(NnOps, AddAndBroadcastGradient) {
  auto a = random_param(rng, 6, 3), b = random_param(rng, 6, 3), bias = random_param(rng, 1, 3),
       per = random_param(rng, 2, 3);
  const auto w = random_tensor(rng, 6, 3);
  expect_gradients({&a, &b}, [&](nn::tape& t) { return weighted_sum(nn::add(t.param(a), t.param(b)), w); });
  expect_gradients({&a, &bias}, [&](nn::tape& t) { return weighted_sum(nn::add_broadcast(t.param(a), t.param(bias)), w); });
  expect_gradients({&a, &per}, [&](nn::tape& t) { return weighted_sum(nn::add_broadcast(t.param(a), t.param(per)), w); });
}

TEST_F(NnOps, BroadcastRepeatsRows) {
  nn::tape t;
  nn::tensor a = nn::tensor::Zero(4, 2), b(2, 2);
  b << 1, 2, 3, 4;
  const auto y = nn::add_broadcast(t.constant(a), t.constant(b));
  EXPECT_EQ(y.value()(2, 0), 1.0f);
  EXPECT_EQ(y.value()(3, 1), 4.0f);
}

TEST_F(NnOps, MulAndScaleGradient) {
  auto a = random_param(rng, 4, 3), b = random_param(rng, 4, 3);
  const auto w = random_tensor(rng, 4, 3);
  expect_gradients({&a, &b}, [&](nn::tape& t) { return weighted_sum(nn::mul(t.param(a), t.param(b)), w); });
  expect_gradients({&a}, [&](nn::tape& t) { return weighted_sum(nn::scale(t.param(a), -2.5f), w); });
}

TEST_F(NnOps, ActivationGradients) {
  auto a = random_param(rng, 5, 4, 2.0);
  // relu has a kink at 0: keep inputs at least 0.1 away from it (the step is 0.01).
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    float& x = a.value.data()[i];
    if (std::abs(x) < 0.1f) x = x < 0 ? -0.1f - x : 0.1f + x;
  }
  const auto w = random_tensor(rng, 5, 4);
  expect_gradients({&a}, [&](nn::tape& t) { return weighted_sum(nn::tanh(t.param(a)), w); });
  expect_gradients({&a}, [&](nn::tape& t) { return weighted_sum(nn::sigmoid(t.param(a)), w); });
  expect_gradients({&a}, [&](nn::tape& t) { return weighted_sum(nn::relu(t.param(a)), w); });
}

TEST_F(NnOps, ConcatAndSliceGradient) {
  auto a = random_param(rng, 3, 2), b = random_param(rng, 3, 4);
  const auto w = random_tensor(rng, 3, 6), w2 = random_tensor(rng, 2, 4);
  expect_gradients({&a, &b}, [&](nn::tape& t) { return weighted_sum(nn::concat(t.param(a), t.param(b)), w); });
  expect_gradients({&b}, [&](nn::tape& t) { return weighted_sum(nn::slice_rows(t.param(b), 1, 2), w2); });
}

TEST_F(NnOps, GatherGradientAccumulatesRepeatedRows) {
  auto table = random_param(rng, 5, 3);
  const std::array<std::int32_t, 4> rows{4, 0, 4, 2};
  const auto w = random_tensor(rng, 4, 3);
  expect_gradients({&table}, [&](nn::tape& t) { return weighted_sum(nn::gather(t.param(table), rows), w); });
}

TEST_F(NnOps, SumAndMeanGradient) {
  auto a = random_param(rng, 3, 3);
  expect_gradients({&a}, [&](nn::tape& t) { return nn::sum(nn::tanh(t.param(a))); });
  expect_gradients({&a}, [&](nn::tape& t) { return nn::mean(nn::tanh(t.param(a))); });
}

TEST_F(NnOps, SoftmaxNllGradientWithMask) {
  auto logits = random_param(rng, 5, 6, 2.0);
  const std::array<std::int32_t, 5> targets{0, 5, 2, 99, 3};  // row 3 is padding: any target
  const std::array<float, 5> weights{0.25f, 0.25f, 0.5f, 0.0f, 1.0f};
  expect_gradients({&logits}, [&](nn::tape& t) { return nn::softmax_nll(t.param(logits), targets, weights); });
}

TEST_F(NnOps, SoftmaxNllValueIsNegativeLogProbability) {
  nn::tape t;
  nn::tensor x(1, 3);
  x << 1.0f, 2.0f, 3.0f;
  const std::array<std::int32_t, 1> y{1};
  const std::array<float, 1> w{1.0f};
  const double expected = -(2.0 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)));
  EXPECT_NEAR(nn::softmax_nll(t.constant(x), y, w).item(), expected, 1e-5);
}

TEST_F(NnOps, MseGradient) {
  auto p = random_param(rng, 4, 2);
  const auto target = random_tensor(rng, 4, 2);
  expect_gradients({&p}, [&](nn::tape& t) { return nn::mse(t.param(p), target); });
}

TEST_F(NnOps, MaeGradient) {
  auto p = random_param(rng, 4, 2);
  const auto target = random_tensor(rng, 4, 2);
  // Central differences straddle the kink of |x| only within eps = 1e-2 of the target.
  for (Eigen::Index i = 0; i < p.size(); ++i)
    if (std::abs(p.value.data()[i] - target.data()[i]) < 0.05f) p.value.data()[i] = target.data()[i] + 0.1f;
  expect_gradients({&p}, [&](nn::tape& t) { return nn::mae(t.param(p), target); });
}

TEST_F(NnOps, MaeValue) {
  nn::tape& t = nn::tape::local();
  nn::tape_scope scope(t);
  nn::tensor pred(1, 3), target(1, 3);
  pred << 1.0f, -2.0f, 0.5f;
  target << 0.0f, 1.0f, 0.5f;
  EXPECT_FLOAT_EQ(nn::mae(t.constant(pred), target).item(), 4.0f / 3.0f);
}

TEST_F(NnOps, GruSequenceGradient) {
  const Eigen::Index B = 3, H = 4, T = 3;
  auto x = random_param(rng, T * B, 3 * H), h0 = random_param(rng, B, H, 0.5), w = random_param(rng, H, 3 * H, 0.5),
       b = random_param(rng, 1, 3 * H, 0.5);
  const auto wout = random_tensor(rng, T * B, H);
  expect_gradients({&x, &h0, &w, &b}, [&](nn::tape& t) {
    return weighted_sum(nn::gru_sequence(t.param(x), t.param(h0), t.param(w), t.param(b)), wout);
  });
  // With padding: sequence 1 ends after one step, sequence 2 after two.
  const std::array<float, T * B> mask{1, 1, 1, 1, 0, 1, 1, 0, 0};
  expect_gradients({&x, &h0, &w, &b}, [&](nn::tape& t) {
    return weighted_sum(nn::gru_sequence(t.param(x), t.param(h0), t.param(w), t.param(b), mask), wout);
  });
  // The single cell.
  auto x1 = random_param(rng, B, 3 * H);
  const auto w1 = random_tensor(rng, B, H);
  expect_gradients({&x1, &h0, &w, &b}, [&](nn::tape& t) {
    return weighted_sum(nn::gru_cell(t.param(x1), t.param(h0), t.param(w), t.param(b)), w1);
  });
}

// The fused GRU equals the same cell written with the primitive operations.
TEST_F(NnOps, GruSequenceMatchesComposedCell) {
  const Eigen::Index B = 2, H = 3, T = 2;
  const auto x = random_tensor(rng, T * B, 3 * H), h0 = random_tensor(rng, B, H), w = random_tensor(rng, H, 3 * H),
             b = random_tensor(rng, 1, 3 * H);
  nn::tape t;
  const auto fused = nn::gru_sequence(t.constant(x), t.constant(h0), t.constant(w), t.constant(b));
  nn::var h = t.constant(h0);
  for (Eigen::Index s = 0; s < T; ++s) {
    const auto xs = t.constant(x.middleRows(s * B, B));
    const auto g = nn::add_broadcast(nn::matmul(h, t.constant(w)), t.constant(b));
    auto cols = [&](nn::var v, Eigen::Index k) { return t.constant(v.value().middleCols(k * H, H)); };
    const auto r = nn::sigmoid(nn::add(cols(xs, 0), cols(g, 0)));
    const auto z = nn::sigmoid(nn::add(cols(xs, 1), cols(g, 1)));
    const auto n = nn::tanh(nn::add(cols(xs, 2), nn::mul(r, cols(g, 2))));
    // h' = n + z (h − n)
    h = nn::add(n, nn::mul(z, nn::add(h, nn::scale(n, -1.0f))));
    EXPECT_TRUE(fused.value().middleRows(s * B, B).isApprox(h.value(), 1e-5f)) << "step " << s;
  }
}

TEST_F(NnOps, PaddedStepsCarryTheState) {
  const Eigen::Index B = 2, H = 3;
  const auto x = random_tensor(rng, 2 * B, 3 * H), h0 = random_tensor(rng, B, H), w = random_tensor(rng, H, 3 * H),
             b = random_tensor(rng, 1, 3 * H);
  const std::array<float, 4> mask{1, 1, 1, 0};
  nn::tape t;
  const auto y = nn::gru_sequence(t.constant(x), t.constant(h0), t.constant(w), t.constant(b), mask);
  EXPECT_EQ(y.value().row(3), y.value().row(1));  // sequence 1 stopped after step 0
  EXPECT_NE(y.value().row(2), y.value().row(0));
}

TEST_F(NnOps, RollbackReusesArenaWithoutGrowing) {
  nn::tape t;
  auto a = random_param(rng, 16, 16);
  std::size_t capacity = 0;
  for (int step = 0; step < 5; ++step) {
    nn::tape_scope scope(t);
    nn::var y = t.param(a);
    for (int k = 0; k < 50; ++k) y = nn::tanh(nn::matmul(y, t.param(a)));
    t.backward(nn::sum(y));
    if (step == 0) capacity = t.capacity_bytes();
    EXPECT_EQ(t.capacity_bytes(), capacity);  // steady state: no new arena blocks
  }
  EXPECT_EQ(t.size(), 0u);
}

TEST_F(NnOps, SecondBackwardOnTheSameTapeAddsOnce) {
  nn::tape t;
  nn::parameter a(1, 1);
  a.value(0, 0) = 2.0f;
  const auto y = nn::mul(t.param(a), t.param(a));  // y = a², dy/da = 4
  t.backward(nn::sum(y));
  EXPECT_FLOAT_EQ(a.grad(0, 0), 4.0f);
  t.backward(nn::sum(nn::scale(y, 3.0f)));  // sweeps y's node again: adds 12, not 12 + 4
  EXPECT_FLOAT_EQ(a.grad(0, 0), 16.0f);
}

TEST_F(NnOps, DeepChainBackwardHasNoRecursion) {
  // A chain far deeper than any recursive backward could take on the stack.
  nn::tape t;
  nn::parameter a(1, 1);
  a.value(0, 0) = 0.5f;
  nn::var y = t.param(a);
  for (int k = 0; k < 200000; ++k) y = nn::scale(y, 1.0f);
  t.backward(nn::sum(y));
  EXPECT_FLOAT_EQ(a.grad(0, 0), 1.0f);
}

TEST_F(NnOps, ShapeErrorsNameTheOperation) {
  nn::tape t;
  const auto a = t.constant(nn::tensor::Zero(2, 3)), b = t.constant(nn::tensor::Zero(2, 3));
  try {
    (void)nn::matmul(a, b);
    FAIL() << "no exception";
  } catch (const nn::shape_error& e) {
    EXPECT_NE(std::string(e.what()).find("matmul"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2x3"), std::string::npos) << e.what();
  }
  const std::array<std::int32_t, 1> bad{7};
  EXPECT_THROW((void)nn::gather(a, bad), nn::shape_error);
  EXPECT_THROW((void)nn::add(a, t.constant(nn::tensor::Zero(3, 2))), aida::error);
  nn::tape other;
  EXPECT_THROW((void)nn::add(a, other.constant(nn::tensor::Zero(2, 3))), nn::shape_error);
}

}  // namespace
