// The Transformer operations (attention.hpp) against central finite differences (same
// tolerances as test_nn_ops.cpp, see gradcheck.hpp), and their values against definitions:
// normalised rows, probabilities, a naive loop-by-loop attention, masks that really mask.
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <gtest/gtest.h>

#include "aida/core/sampler.hpp"
#include "aida/nn/attention.hpp"
#include "aida/nn/gradcheck.hpp"
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

nn::tensor random_tensor(aida::sampler& rng, Eigen::Index r, Eigen::Index c, double scale = 1.0) {
  nn::tensor x(r, c);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(scale * (2 * rng.uniform() - 1));
  return x;
}

// Reduces an output to a scalar with random weights, so that every output element gets
// a different upstream gradient (a plain sum would hide transposition mistakes, and the
// gradient of a softmax's plain sum is 0).
nn::var weighted_sum(nn::var y, const nn::tensor& w) { return nn::sum(nn::mul(y, y.owner().view(w))); }

template <class F>
void expect_gradients(std::vector<nn::parameter*> ps, F f) {
  const auto res = nn::check_gradients(std::span<nn::parameter* const>(ps), f);
  EXPECT_TRUE(res.ok) << res.worst;
  EXPECT_GT(res.checked, 0u);
}

// Attention written from its definition, one score at a time, in double.
nn::tensor naive_attention(const nn::tensor& q, const nn::tensor& k, const nn::tensor& v, int heads,
                           std::span<const std::int32_t> lengths, bool causal) {
  const auto B = static_cast<Eigen::Index>(lengths.size());
  const Eigen::Index Tq = q.rows() / B, Tk = k.rows() / B, D = q.cols(), dh = D / heads;
  nn::tensor out = nn::tensor::Zero(q.rows(), D);
  for (Eigen::Index b = 0; b < B; ++b)
    for (Eigen::Index h = 0; h < heads; ++h)
      for (Eigen::Index i = 0; i < Tq; ++i) {
        std::vector<double> s(static_cast<std::size_t>(Tk));
        std::vector<bool> keep(static_cast<std::size_t>(Tk));
        double m = -1e300;
        for (Eigen::Index j = 0; j < Tk; ++j) {
          keep[j] = j < lengths[static_cast<std::size_t>(b)] && (!causal || j <= i + Tk - Tq);
          double dot = 0;
          for (Eigen::Index c = h * dh; c < (h + 1) * dh; ++c) dot += double(q(b * Tq + i, c)) * double(k(b * Tk + j, c));
          s[j] = dot / std::sqrt(double(dh));
          if (keep[j]) m = std::max(m, s[j]);
        }
        double z = 0;
        for (Eigen::Index j = 0; j < Tk; ++j) z += keep[j] ? std::exp(s[j] - m) : 0.0;
        for (Eigen::Index j = 0; j < Tk; ++j) {
          if (!keep[j]) continue;
          const double p = std::exp(s[j] - m) / z;
          for (Eigen::Index c = h * dh; c < (h + 1) * dh; ++c)
            out(b * Tq + i, c) += static_cast<float>(p * double(v(b * Tk + j, c)));
        }
      }
  return out;
}

class NnAttention : public ::testing::Test {
 protected:
  aida::sampler rng{aida_test::seed()};
};

// ---- layer_norm, gelu, softmax --------------------------------------------------------

TEST_F(NnAttention, LayerNormGradient) {
  auto x = random_param(rng, 5, 6, 2.0), gamma = random_param(rng, 1, 6), beta = random_param(rng, 1, 6);
  const auto w = random_tensor(rng, 5, 6);
  expect_gradients({&x, &gamma, &beta}, [&](nn::tape& t) {
    return weighted_sum(nn::layer_norm(t.param(x), t.param(gamma), t.param(beta)), w);
  });
}

TEST_F(NnAttention, LayerNormRowsHaveMeanZeroAndVarianceOne) {
  nn::tape t;
  const auto x = random_tensor(rng, 4, 16, 3.0);
  const auto y = nn::layer_norm(t.constant(x), t.constant(nn::tensor::Ones(1, 16)), t.constant(nn::tensor::Zero(1, 16)))
                     .value();
  for (Eigen::Index r = 0; r < 4; ++r) {
    const float mean = y.row(r).mean();
    EXPECT_NEAR(mean, 0.0f, 1e-5f);
    EXPECT_NEAR((y.row(r).array() - mean).square().mean(), 1.0f, 1e-3f);  // eps shrinks it slightly
  }
}

TEST_F(NnAttention, GeluGradientAndValue) {
  auto x = random_param(rng, 5, 4, 3.0);
  const auto w = random_tensor(rng, 5, 4);
  expect_gradients({&x}, [&](nn::tape& t) { return weighted_sum(nn::gelu(t.param(x)), w); });
  nn::tape t;
  nn::tensor v(1, 3);
  v << -1.0f, 0.0f, 2.0f;
  const auto y = nn::gelu(t.constant(v)).value();
  // torch.nn.functional.gelu(torch.tensor([-1., 0., 2.]), approximate="tanh")
  EXPECT_NEAR(y(0, 0), -0.158808f, 1e-5f);
  EXPECT_EQ(y(0, 1), 0.0f);
  EXPECT_NEAR(y(0, 2), 1.954598f, 1e-5f);
}

TEST_F(NnAttention, SoftmaxGradientWithAndWithoutMask) {
  auto x = random_param(rng, 4, 5, 2.0);
  const auto w = random_tensor(rng, 4, 5);
  expect_gradients({&x}, [&](nn::tape& t) { return weighted_sum(nn::softmax(t.param(x)), w); });
  const std::array<float, 20> mask{1, 1, 0, 1, 1,  //
                                   0, 0, 0, 0, 0,  // every entry excluded
                                   0, 1, 0, 0, 0,  // a single entry kept
                                   1, 1, 1, 1, 1};
  expect_gradients({&x}, [&](nn::tape& t) { return weighted_sum(nn::softmax(t.param(x), mask), w); });
}

TEST_F(NnAttention, SoftmaxRowsSumToOneAndMaskedEntriesAreZero) {
  nn::tape t;
  auto xt = random_tensor(rng, 3, 4, 5.0);
  xt(0, 0) = 80.0f;  // large enough to overflow exp without the max subtracted
  const std::array<float, 12> mask{1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1};
  nn::parameter x(3, 4);
  x.value = xt;
  const auto xv = t.param(x);
  const auto plain = nn::softmax(xv).value();
  for (Eigen::Index r = 0; r < 3; ++r) EXPECT_NEAR(plain.row(r).sum(), 1.0f, 1e-6f);
  const auto y = nn::softmax(xv, mask);
  const auto p = y.value();
  EXPECT_NEAR(p.row(0).sum(), 1.0f, 1e-6f);
  EXPECT_NEAR(p.row(2).sum(), 1.0f, 1e-6f);
  EXPECT_TRUE(p.row(1).isZero(0.0f));  // fully masked row
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (mask[i] == 0.0f) {
      EXPECT_EQ(p.data()[i], 0.0f) << i;
    }
  // Excluded entries get no gradient.
  t.backward(nn::sum(nn::mul(y, t.constant(random_tensor(rng, 3, 4)))));
  for (std::size_t i = 0; i < mask.size(); ++i)
    if (mask[i] == 0.0f) {
      EXPECT_EQ(x.grad.data()[i], 0.0f) << i;
    }
}

// ---- attention ------------------------------------------------------------------------

struct attention_case {
  Eigen::Index B, Tq, Tk, D;
  int heads;
  std::vector<std::int32_t> lengths;
  bool causal;
};

// Gradient check of q, k and v as three separate inputs.
void check_attention_gradients(aida::sampler& rng, const attention_case& c) {
  auto q = random_param(rng, c.B * c.Tq, c.D), k = random_param(rng, c.B * c.Tk, c.D),
       v = random_param(rng, c.B * c.Tk, c.D);
  const auto w = random_tensor(rng, c.B * c.Tq, c.D);
  expect_gradients({&q, &k, &v}, [&](nn::tape& t) {
    return weighted_sum(nn::attention(t.param(q), t.param(k), t.param(v), c.heads, c.lengths, c.causal), w);
  });
}

TEST_F(NnAttention, GradientPaddedBatch) {
  check_attention_gradients(rng, {2, 3, 4, 4, 2, {4, 2}, false});
}

TEST_F(NnAttention, GradientCausalSelfAttention) {
  check_attention_gradients(rng, {2, 4, 4, 4, 2, {4, 3}, true});
}

TEST_F(NnAttention, GradientCrossAttention) {
  check_attention_gradients(rng, {2, 2, 5, 6, 3, {5, 3}, false});
  check_attention_gradients(rng, {2, 2, 4, 4, 2, {4, 3}, true});  // the last 2 positions of 4
  check_attention_gradients(rng, {2, 4, 2, 4, 1, {2, 1}, true});  // Tq > Tk: early queries see nothing
}

TEST_F(NnAttention, GradientWithAnEmptySequence) {
  check_attention_gradients(rng, {2, 3, 4, 4, 2, {0, 3}, false});
  check_attention_gradients(rng, {2, 3, 3, 4, 2, {2, 0}, true});
}

TEST_F(NnAttention, GradientKeysAndValuesTheSameVar) {
  auto q = random_param(rng, 6, 4), kv = random_param(rng, 8, 4);
  const auto w = random_tensor(rng, 6, 4);
  const std::array<std::int32_t, 2> lengths{4, 2};
  expect_gradients({&q, &kv}, [&](nn::tape& t) {
    const auto m = t.param(kv);
    return weighted_sum(nn::attention(t.param(q), m, m, 2, lengths, false), w);
  });
}

TEST_F(NnAttention, GradientSelfAttentionOneVarForAll) {
  auto x = random_param(rng, 8, 4);
  const auto w = random_tensor(rng, 8, 4);
  const std::array<std::int32_t, 2> lengths{4, 3};
  for (bool causal : {false, true})
    expect_gradients({&x}, [&](nn::tape& t) {
      const auto m = t.param(x);
      return weighted_sum(nn::attention(m, m, m, 2, lengths, causal), w);
    });
}

TEST_F(NnAttention, GradientOnlyToSomeInputs) {
  auto k = random_param(rng, 8, 4), v = random_param(rng, 8, 4);
  const auto q = random_tensor(rng, 6, 4), w = random_tensor(rng, 6, 4);
  const std::array<std::int32_t, 2> lengths{4, 2};
  expect_gradients({&k}, [&](nn::tape& t) {
    return weighted_sum(nn::attention(t.constant(q), t.param(k), t.param_no_grad(v), 2, lengths, true), w);
  });
  expect_gradients({&v}, [&](nn::tape& t) {
    return weighted_sum(nn::attention(t.constant(q), t.param_no_grad(k), t.param(v), 2, lengths, false), w);
  });
}

TEST_F(NnAttention, MatchesNaiveReference) {
  const std::vector<attention_case> cases{
      {2, 3, 4, 4, 2, {4, 2}, false}, {2, 4, 4, 8, 2, {4, 3}, true}, {3, 2, 5, 6, 3, {5, 0, 1}, true},
      {2, 5, 3, 4, 4, {3, 2}, true},  {1, 1, 6, 8, 1, {6}, true},    {4, 7, 9, 12, 3, {9, 1, 5, 0}, false}};
  for (const auto& c : cases) {
    const auto q = random_tensor(rng, c.B * c.Tq, c.D, 2.0), k = random_tensor(rng, c.B * c.Tk, c.D, 2.0),
               v = random_tensor(rng, c.B * c.Tk, c.D);
    const auto expected = naive_attention(q, k, v, c.heads, c.lengths, c.causal);
    nn::tape t;
    // Both paths: inference (no gradient, probabilities not kept) and training.
    const auto inference = nn::attention(t.constant(q), t.constant(k), t.constant(v), c.heads, c.lengths, c.causal);
    const auto training = nn::attention(t.input(q), t.input(k), t.input(v), c.heads, c.lengths, c.causal);
    EXPECT_LE((inference.value() - expected).cwiseAbs().maxCoeff(), 1e-5f) << "Tq " << c.Tq << " Tk " << c.Tk;
    EXPECT_LE((training.value() - expected).cwiseAbs().maxCoeff(), 1e-5f) << "Tq " << c.Tq << " Tk " << c.Tk;
  }
}

TEST_F(NnAttention, MaskedKeysDoNotInfluenceTheOutput) {
  const Eigen::Index B = 2, Tq = 3, Tk = 5, D = 4;
  const std::array<std::int32_t, 2> lengths{5, 2};
  const auto q = random_tensor(rng, B * Tq, D);
  auto k = random_tensor(rng, B * Tk, D), v = random_tensor(rng, B * Tk, D);
  nn::tape t;
  const nn::tensor before = nn::attention(t.constant(q), t.constant(k), t.constant(v), 2, lengths, false).value();
  for (Eigen::Index j = lengths[1]; j < Tk; ++j) {  // the padding of sequence 1
    k.row(Tk + j) = random_tensor(rng, 1, D, 50.0);
    v.row(Tk + j) = random_tensor(rng, 1, D, 50.0);
  }
  const nn::tensor after = nn::attention(t.constant(q), t.constant(k), t.constant(v), 2, lengths, false).value();
  EXPECT_TRUE(after == before);
}

TEST_F(NnAttention, CausalQueriesDoNotSeeLaterKeys) {
  const Eigen::Index B = 2, T = 5, D = 4;
  const std::array<std::int32_t, 2> lengths{5, 5};
  const auto q = random_tensor(rng, B * T, D);
  auto k = random_tensor(rng, B * T, D), v = random_tensor(rng, B * T, D);
  nn::tape t;
  const nn::tensor before = nn::attention(t.constant(q), t.constant(k), t.constant(v), 2, lengths, true).value();
  const Eigen::Index changed = 3;  // position 3 of sequence 0
  k.row(changed) = random_tensor(rng, 1, D, 50.0);
  v.row(changed) = random_tensor(rng, 1, D, 50.0);
  const nn::tensor after = nn::attention(t.constant(q), t.constant(k), t.constant(v), 2, lengths, true).value();
  EXPECT_TRUE(after.topRows(changed) == before.topRows(changed));       // earlier queries: unchanged
  EXPECT_FALSE(after.row(changed).isApprox(before.row(changed)));       // the query at 3 sees it
  EXPECT_TRUE(after.bottomRows(T) == before.bottomRows(T));             // the other sequence
}

TEST_F(NnAttention, DecodeStepEqualsLastRowOfFullCausalAttention) {
  const Eigen::Index B = 2, T = 6, D = 8;
  const std::array<std::int32_t, 2> lengths{6, 4};
  const auto q = random_tensor(rng, B * T, D), k = random_tensor(rng, B * T, D), v = random_tensor(rng, B * T, D);
  nn::tape t;
  const nn::tensor full = nn::attention(t.constant(q), t.constant(k), t.constant(v), 2, lengths, true).value();
  nn::tensor last(B, D);
  for (Eigen::Index b = 0; b < B; ++b) last.row(b) = q.row(b * T + T - 1);
  const nn::tensor step = nn::attention(t.constant(last), t.constant(k), t.constant(v), 2, lengths, true).value();
  for (Eigen::Index b = 0; b < B; ++b)
    EXPECT_LE((step.row(b) - full.row(b * T + T - 1)).cwiseAbs().maxCoeff(), 1e-6f) << "sequence " << b;
}

TEST_F(NnAttention, ShapeErrorsNameTheOperation) {
  nn::tape t;
  const auto q = t.constant(nn::tensor::Zero(6, 6)), k = t.constant(nn::tensor::Zero(8, 6));
  const std::array<std::int32_t, 2> ok{4, 2}, too_long{5, 2}, negative{-1, 2};
  try {
    (void)nn::attention(q, k, k, 4, ok, false);  // 6 is not divisible by 4
    FAIL() << "no exception";
  } catch (const nn::shape_error& e) {
    EXPECT_NE(std::string(e.what()).find("attention"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("6x6"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW((void)nn::attention(q, k, k, 3, ok, false));
  EXPECT_THROW((void)nn::attention(q, k, k, 2, too_long, false), nn::shape_error);
  EXPECT_THROW((void)nn::attention(q, k, k, 2, negative, false), nn::shape_error);
  EXPECT_THROW((void)nn::attention(q, k, k, 0, ok, false), nn::shape_error);
  EXPECT_THROW((void)nn::attention(q, k, k, 2, std::span<const std::int32_t>{}, false), nn::shape_error);
  const std::array<std::int32_t, 4> four{1, 1, 1, 1};
  EXPECT_THROW((void)nn::attention(q, k, k, 2, four, false), nn::shape_error);  // 6 rows, 4 sequences
  EXPECT_THROW((void)nn::attention(q, k, t.constant(nn::tensor::Zero(6, 6)), 2, ok, false), nn::shape_error);
  EXPECT_THROW((void)nn::attention(q, k, t.constant(nn::tensor::Zero(8, 4)), 2, ok, false), nn::shape_error);
  nn::tape other;
  EXPECT_THROW((void)nn::attention(q, k, other.constant(nn::tensor::Zero(8, 6)), 2, ok, false), nn::shape_error);

  const auto x = t.constant(nn::tensor::Zero(3, 4));
  EXPECT_THROW((void)nn::layer_norm(x, t.constant(nn::tensor::Ones(1, 3)), t.constant(nn::tensor::Zero(1, 4))),
               nn::shape_error);
  const std::array<float, 5> short_mask{1, 1, 1, 1, 1};
  EXPECT_THROW((void)nn::softmax(x, short_mask), nn::shape_error);
}

TEST_F(NnAttention, RepeatedStepsDoNotGrowTheArena) {
  const Eigen::Index B = 4, T = 8, D = 16;
  auto x = random_param(rng, B * T, D), gamma = random_param(rng, 1, D), beta = random_param(rng, 1, D);
  const std::array<std::int32_t, 4> lengths{8, 5, 1, 0};
  nn::tape t;
  std::size_t capacity = 0;
  for (int step = 0; step < 5; ++step) {
    nn::tape_scope scope(t);
    const auto h = nn::layer_norm(t.param(x), t.param(gamma), t.param(beta));
    const auto a = nn::attention(h, h, h, 4, lengths, true);
    t.backward(nn::sum(nn::gelu(nn::softmax(a))));
    if (step == 0) capacity = t.capacity_bytes();
    EXPECT_EQ(t.capacity_bytes(), capacity);  // steady state: no new arena blocks
  }
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
