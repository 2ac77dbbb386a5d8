// A program that uses the reference backend compiled separately: one GRU step and a product,
// differentiated on a tape. Prints the loss and one gradient entry, which run.cmake checks
// against the values worked out by hand below. Exit code 0 iff both are right.
#include <cmath>
#include <cstdio>

#include <aida/nn/gru.hpp>
#include <aida/nn/ops.hpp>
#include <aida/nn/tape.hpp>

int main() {
  namespace nn = aida::nn;
  // w = [[1, 2], [3, 4]], x = [1, 1]: x·w = [4, 6]; loss = sum(x·w) = 10; d loss / d w[0][0] = x[0] = 1.
  nn::parameter w(2, 2);
  w.value << 1, 2, 3, 4;
  nn::tensor x(1, 2);
  x << 1, 1;
  nn::tape t;
  const nn::var loss = nn::sum(nn::matmul(t.view(x), t.param(w)));
  t.backward(loss);
  const float value = loss.value()(0, 0);
  const float grad = w.grad(0, 0);
  // A GRU step from h = 0 with zero weights and an input projection of ones: both gates are
  // σ(1), n = tanh(1 + r·0) = tanh(1), and h' = (1 − σ(1))·tanh(1) in each of the 2 units.
  nn::parameter whh(2, 6), bhh(1, 6);
  nn::tensor xp = nn::tensor::Ones(1, 6), h0 = nn::tensor::Zero(1, 2);
  nn::tape g;
  const nn::var h = nn::gru_cell(g.view(xp), g.view(h0), g.param(whh), g.param(bhh));
  const float h_sum = h.value().sum();
  const double expected = 2 * (1 - 1 / (1 + std::exp(-1.0))) * std::tanh(1.0);
  const bool gru_ok = std::abs(h_sum - expected) < 1e-6;
  std::printf("nn consumer: loss %g, dloss/dw00 %g, gru %s\n", value, grad, gru_ok ? "as expected" : "wrong");
  return value == 10.0f && grad == 1.0f && gru_ok ? 0 : 1;
}
