#pragma once
// The definitions of the functions that aida/nn/ops.hpp declares. Included by that header
// (inline, the default) or, with AIDA_NN_SEPARATE_COMPILATION, compiled once by
// aida/nn/impl/src.hpp. Not to be included directly.

#include "aida/nn/ops.hpp"

namespace aida::nn {
namespace detail {

AIDA_NN_DECL void matmul_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  if (a.needs_grad()) a.grad_map().noalias() += n.grad_map() * b.value_map().transpose();
  if (b.needs_grad()) b.grad_map().noalias() += a.value_map().transpose() * n.grad_map();
}

AIDA_NN_DECL void affine_backward(tape& t, const node& n) {
  const node& x = t.at(n.in[0]);
  const node& w = t.at(n.in[1]);
  const node& b = t.at(n.in[2]);
  const tensor_map g = n.grad_map();
  if (x.needs_grad()) x.grad_map().noalias() += g * w.value_map().transpose();
  if (w.needs_grad()) w.grad_map().noalias() += x.value_map().transpose() * g;
  if (b.needs_grad()) {
    // Row by row, in the order add_broadcast sums them, so that a model's gradients (and
    // so its training) are bit-identical to the two-node form it replaced.
    auto gb = b.grad_map();
    for (std::int32_t r = 0; r < g.rows(); ++r) gb += g.row(r);
  }
}

AIDA_NN_DECL void add_backward(tape& t, const node& n) {
  for (int k = 0; k < 2; ++k) {
    const node& x = t.at(n.in[k]);
    if (x.needs_grad()) flat(x.grad, numel(x)) += flat(n.grad, numel(n));
  }
}

AIDA_NN_DECL void add_broadcast_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  if (a.needs_grad()) flat(a.grad, numel(a)) += flat(n.grad, numel(n));
  if (b.needs_grad()) {
    auto g = n.grad_map();
    auto gb = b.grad_map();
    for (std::int32_t r = 0; r < n.rows; r += b.rows) gb += g.middleRows(r, b.rows);
  }
}

AIDA_NN_DECL void mul_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  const auto g = flat(n.grad, numel(n));
  if (a.needs_grad()) flat(a.grad, numel(a)) += g * flat(b.value, numel(b));
  if (b.needs_grad()) flat(b.grad, numel(b)) += g * flat(a.value, numel(a));
}

AIDA_NN_DECL void scale_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (a.needs_grad()) flat(a.grad, numel(a)) += n.scalar * flat(n.grad, numel(n));
}

AIDA_NN_DECL void tanh_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto y = flat(n.value, numel(n));
  flat(a.grad, numel(a)) += flat(n.grad, numel(n)) * (1.0f - y.square());
}

AIDA_NN_DECL void sigmoid_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto y = flat(n.value, numel(n));
  flat(a.grad, numel(a)) += flat(n.grad, numel(n)) * y * (1.0f - y);
}

AIDA_NN_DECL void relu_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto x = flat(a.value, numel(a));
  flat(a.grad, numel(a)) += (x > 0.0f).select(flat(n.grad, numel(n)), 0.0f);
}

AIDA_NN_DECL void concat_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  if (a.needs_grad()) a.grad_map() += n.grad_map().leftCols(a.cols);
  if (b.needs_grad()) b.grad_map() += n.grad_map().rightCols(b.cols);
}

AIDA_NN_DECL void slice_rows_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (a.needs_grad()) a.grad_map().middleRows(n.extra[0], n.rows) += n.grad_map();
}

AIDA_NN_DECL void gather_backward(tape& t, const node& n) {
  const node& table = t.at(n.in[0]);
  if (!table.needs_grad()) return;
  auto g = n.grad_map();
  auto gt = table.grad_map();
  for (std::int32_t r = 0; r < n.rows; ++r) gt.row(n.index[r]) += g.row(r);
}

AIDA_NN_DECL void sum_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (a.needs_grad()) flat(a.grad, numel(a)) += n.grad[0] * n.scalar;
}

AIDA_NN_DECL void softmax_nll_backward(tape& t, const node& n) {
  // d/dx_i of w_i (logsumexp(x_i) − x_i[y_i]) = w_i (softmax(x_i) − onehot(y_i)).
  const node& x = t.at(n.in[0]);
  if (!x.needs_grad()) return;
  const float g = n.grad[0];
  const tensor_map p(n.aux, x.rows, x.cols);
  auto gx = x.grad_map();
  for (std::int32_t r = 0; r < x.rows; ++r) {
    const float w = n.weight[r] * g;
    if (w == 0.0f) continue;
    gx.row(r) += w * p.row(r);
    gx(r, n.index[r]) -= w;
  }
}

AIDA_NN_DECL void mse_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto pred = flat(a.value, numel(a));
  const auto target = flat(const_cast<float*>(n.weight), numel(a));
  flat(a.grad, numel(a)) += (2.0f * n.grad[0] / static_cast<float>(numel(a))) * (pred - target);
}

AIDA_NN_DECL void mae_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto pred = flat(a.value, numel(a));
  const auto target = flat(const_cast<float*>(n.weight), numel(a));
  // d|e|/de = sign(e), 0 at e = 0 (a subgradient).
  flat(a.grad, numel(a)) += (n.grad[0] / static_cast<float>(numel(a))) * (pred - target).sign();
}
}  // namespace detail

AIDA_NN_DECL var matmul(var a, var b) {
  tape& t = detail::same_tape("matmul", {a, b});
  if (a.cols() != b.rows())
    detail::throw_shape("matmul", "inner dimensions differ: " + detail::shape_of(a) + " times " + detail::shape_of(b));
  node n = t.make_node(a.rows(), b.cols(), detail::any_grad({a, b}));
  n.value_map().noalias() = a.value() * b.value();
  n.backward = detail::matmul_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

AIDA_NN_DECL var affine(var x, var w, var b) {
  tape& t = detail::same_tape("affine", {x, w, b});
  if (x.cols() != w.rows() || b.rows() != 1 || b.cols() != w.cols())
    detail::throw_shape("affine", "cannot compute " + detail::shape_of(x) + " times " + detail::shape_of(w) +
                                      " plus a bias row " + detail::shape_of(b));
  node n = t.make_node(x.rows(), w.cols(), detail::any_grad({x, w, b}));
  auto out = n.value_map();
  // Product first, then the bias, as add_broadcast(matmul(x, w), b) rounds.
  out.noalias() = x.value() * w.value();
  out.rowwise() += b.value().row(0);
  n.backward = detail::affine_backward;
  n.in[0] = x.id(), n.in[1] = w.id(), n.in[2] = b.id();
  return t.push(n);
}

AIDA_NN_DECL var add(var a, var b) {
  tape& t = detail::same_tape("add", {a, b});
  if (a.rows() != b.rows() || a.cols() != b.cols())
    detail::throw_shape("add", "shapes differ: " + detail::shape_of(a) + " and " + detail::shape_of(b));
  node n = t.make_node(a.rows(), a.cols(), detail::any_grad({a, b}));
  n.value_map() = a.value() + b.value();
  n.backward = detail::add_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

AIDA_NN_DECL var add_broadcast(var a, var b) {
  tape& t = detail::same_tape("add_broadcast", {a, b});
  if (a.cols() != b.cols() || b.rows() == 0 || a.rows() % b.rows() != 0)
    detail::throw_shape("add_broadcast", "cannot repeat " + detail::shape_of(b) + " down " + detail::shape_of(a));
  node n = t.make_node(a.rows(), a.cols(), detail::any_grad({a, b}));
  auto out = n.value_map();
  const auto av = a.value();
  const auto bv = b.value();
  for (Eigen::Index r = 0; r < a.rows(); r += b.rows())
    out.middleRows(r, b.rows()) = av.middleRows(r, b.rows()) + bv;
  n.backward = detail::add_broadcast_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

AIDA_NN_DECL var mul(var a, var b) {
  tape& t = detail::same_tape("mul", {a, b});
  if (a.rows() != b.rows() || a.cols() != b.cols())
    detail::throw_shape("mul", "shapes differ: " + detail::shape_of(a) + " and " + detail::shape_of(b));
  node n = t.make_node(a.rows(), a.cols(), detail::any_grad({a, b}));
  n.value_map() = a.value().cwiseProduct(b.value());
  n.backward = detail::mul_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

AIDA_NN_DECL var scale(var a, float s) {
  tape& t = detail::same_tape("scale", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = s * a.value();
  n.scalar = s;
  n.backward = detail::scale_backward;
  n.in[0] = a.id();
  return t.push(n);
}

AIDA_NN_DECL var tanh(var a) {
  tape& t = detail::same_tape("tanh", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = a.value().array().tanh().matrix();
  n.backward = detail::tanh_backward;
  n.in[0] = a.id();
  return t.push(n);
}

AIDA_NN_DECL var sigmoid(var a) {
  tape& t = detail::same_tape("sigmoid", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = a.value().array().logistic().matrix();
  n.backward = detail::sigmoid_backward;
  n.in[0] = a.id();
  return t.push(n);
}

AIDA_NN_DECL var relu(var a) {
  tape& t = detail::same_tape("relu", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = a.value().cwiseMax(0.0f);
  n.backward = detail::relu_backward;
  n.in[0] = a.id();
  return t.push(n);
}

AIDA_NN_DECL var concat(var a, var b) {
  tape& t = detail::same_tape("concat", {a, b});
  if (a.rows() != b.rows())
    detail::throw_shape("concat", "row counts differ: " + detail::shape_of(a) + " and " + detail::shape_of(b));
  node n = t.make_node(a.rows(), a.cols() + b.cols(), detail::any_grad({a, b}));
  n.value_map().leftCols(a.cols()) = a.value();
  n.value_map().rightCols(b.cols()) = b.value();
  n.backward = detail::concat_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

AIDA_NN_DECL var slice_rows(var a, Eigen::Index start, Eigen::Index count) {
  tape& t = detail::same_tape("slice_rows", {a});
  if (start < 0 || count < 0 || start + count > a.rows())
    detail::throw_shape("slice_rows", "rows [" + std::to_string(start) + ", " + std::to_string(start + count) +
                                          ") out of " + detail::shape_of(a));
  node n = t.make_node(count, a.cols(), a.needs_grad());
  n.value_map() = a.value().middleRows(start, count);
  n.extra[0] = start;
  n.backward = detail::slice_rows_backward;
  n.in[0] = a.id();
  return t.push(n);
}

AIDA_NN_DECL var gather(var table, std::span<const std::int32_t> rows) {
  tape& t = detail::same_tape("gather", {table});
  for (std::int32_t r : rows)
    if (r < 0 || r >= table.rows())
      detail::throw_shape("gather", "row " + std::to_string(r) + " out of a table of " + detail::shape_of(table));
  node n = t.make_node(static_cast<Eigen::Index>(rows.size()), table.cols(), table.needs_grad());
  const auto tv = table.value();
  auto out = n.value_map();
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = tv.row(rows[i]);
  n.index = t.copy(rows);
  n.backward = detail::gather_backward;
  n.in[0] = table.id();
  return t.push(n);
}

AIDA_NN_DECL var sum(var a) {
  tape& t = detail::same_tape("sum", {a});
  node n = t.make_node(1, 1, a.needs_grad());
  n.value[0] = a.value().sum();
  n.scalar = 1.0f;
  n.backward = detail::sum_backward;
  n.in[0] = a.id();
  return t.push(n);
}

AIDA_NN_DECL var mean(var a) {
  tape& t = detail::same_tape("mean", {a});
  node n = t.make_node(1, 1, a.needs_grad());
  const Eigen::Index count = a.rows() * a.cols();
  n.scalar = count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
  n.value[0] = a.value().sum() * n.scalar;
  n.backward = detail::sum_backward;
  n.in[0] = a.id();
  return t.push(n);
}

AIDA_NN_DECL var softmax_nll(var logits, std::span<const std::int32_t> targets, std::span<const float> weights) {
  tape& t = detail::same_tape("softmax_nll", {logits});
  const Eigen::Index rows = logits.rows(), cols = logits.cols();
  if (static_cast<Eigen::Index>(targets.size()) != rows || static_cast<Eigen::Index>(weights.size()) != rows)
    detail::throw_shape("softmax_nll", std::to_string(targets.size()) + " targets and " +
                                           std::to_string(weights.size()) + " weights for logits of " +
                                           detail::shape_of(logits));
  for (std::size_t i = 0; i < targets.size(); ++i)
    if (weights[i] != 0.0f && (targets[i] < 0 || targets[i] >= cols))
      detail::throw_shape("softmax_nll", "target " + std::to_string(targets[i]) + " out of " +
                                             std::to_string(cols) + " classes");
  node n = t.make_node(1, 1, logits.needs_grad());
  const auto x = logits.value();
  double loss = 0;
  float* probs = n.needs_grad() ? t.allocate<float>(static_cast<std::size_t>(rows * cols)) : nullptr;
  for (Eigen::Index r = 0; r < rows; ++r) {
    const float w = weights[static_cast<std::size_t>(r)];
    if (w == 0.0f) continue;
    const auto row = x.row(r).array();
    const float m = row.maxCoeff();
    const float z = (row - m).exp().sum();
    const float lse = m + std::log(z);
    loss += static_cast<double>(w) * static_cast<double>(lse - row(targets[static_cast<std::size_t>(r)]));
    if (probs != nullptr) tensor_map(probs, rows, cols).row(r) = ((row - lse).exp()).matrix();
  }
  n.value[0] = static_cast<float>(loss);
  n.aux = probs;
  n.index = t.copy(targets);
  n.weight = t.copy(weights);
  n.backward = detail::softmax_nll_backward;
  n.in[0] = logits.id();
  return t.push(n);
}

AIDA_NN_DECL var mse(var pred, const Eigen::Ref<const tensor>& target) {
  tape& t = detail::same_tape("mse", {pred});
  if (pred.rows() != target.rows() || pred.cols() != target.cols())
    detail::throw_shape("mse", "prediction " + detail::shape_of(pred) + " and target " +
                                   std::to_string(target.rows()) + "x" + std::to_string(target.cols()));
  node n = t.make_node(1, 1, pred.needs_grad());
  const Eigen::Index count = pred.rows() * pred.cols();
  float* copy = t.allocate<float>(static_cast<std::size_t>(count));
  tensor_map(copy, target.rows(), target.cols()) = target;
  n.value[0] = count == 0 ? 0.0f : (pred.value() - target).squaredNorm() / static_cast<float>(count);
  n.weight = copy;
  n.backward = detail::mse_backward;
  n.in[0] = pred.id();
  return t.push(n);
}

AIDA_NN_DECL var mae(var pred, const Eigen::Ref<const tensor>& target) {
  tape& t = detail::same_tape("mae", {pred});
  if (pred.rows() != target.rows() || pred.cols() != target.cols())
    detail::throw_shape("mae", "prediction " + detail::shape_of(pred) + " and target " +
                                   std::to_string(target.rows()) + "x" + std::to_string(target.cols()));
  node n = t.make_node(1, 1, pred.needs_grad());
  const Eigen::Index count = pred.rows() * pred.cols();
  float* copy = t.allocate<float>(static_cast<std::size_t>(count));
  tensor_map(copy, target.rows(), target.cols()) = target;
  n.value[0] = count == 0 ? 0.0f : (pred.value() - target).cwiseAbs().sum() / static_cast<float>(count);
  n.weight = copy;
  n.backward = detail::mae_backward;
  n.in[0] = pred.id();
  return t.push(n);
}
}  // namespace aida::nn
