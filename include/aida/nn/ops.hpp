#pragma once
/// \file
/// The differentiable operations of the reference backend. Each records one node on the
/// tape of its arguments and registers a backward function; each is checked against
/// central finite differences in `tests/test_nn_ops.cpp`.
///
/// Tensors are row-major matrices whose rows are batch items. Sequences are stored
/// time-major: row `t * B + b` holds step `t` of sequence `b`, so that the `B` rows of one
/// step are contiguous and a recurrent step is one matrix product.
///
/// Shape errors throw `aida::nn::shape_error` naming the operation and the shapes.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>

#include <Eigen/Core>

#include "aida/core/error.hpp"
#include "aida/nn/tape.hpp"

namespace aida::nn {

/// Operands of incompatible shapes (or indices out of range) were passed to an operation.
struct shape_error : error {
  using error::error;
};

/// The cache sizes (L1, L2, L3 in bytes) that `pin_gemm_blocking` gives Eigen.
inline constexpr std::ptrdiff_t pinned_cache_sizes[3] = {32 * 1024, 1024 * 1024, 32 * 1024 * 1024};

/// Makes the reference backend's results independent of the CPU's cache sizes.
///
/// Eigen's matrix product splits its work into blocks sized from the L1/L2/L3 sizes it
/// queries from the CPU at run time, and the block sizes decide the order in which a dot
/// product is summed: two CPUs with different caches round differently, and a training run
/// from the same seed drifts apart after a few hundred steps. This gives Eigen fixed sizes
/// (`pinned_cache_sizes`, 32 KiB / 1 MiB / 32 MiB) instead, so that the same binary gives the
/// same bits on every x86-64 CPU. What stays machine-specific: the instruction set the
/// binary was compiled for (`-march=native` picks AVX2 or AVX-512 kernels, which sum in
/// other orders), the compiler and its flags.
///
/// Eigen's cache sizes are global: call this once at the start of `main`, before any thread
/// runs a product (the experiment and the reproducibility test do). It changes the block sizes
/// of every Eigen product in the program, the user's own included; on CPUs whose caches
/// differ a lot from these sizes, large products may run somewhat slower.
inline void pin_gemm_blocking() {
  Eigen::setCpuCacheSizes(pinned_cache_sizes[0], pinned_cache_sizes[1], pinned_cache_sizes[2]);
}

namespace detail {

inline std::string shape_of(const var& v) {
  return std::to_string(v.rows()) + "x" + std::to_string(v.cols());
}

[[noreturn]] inline void throw_shape(const char* op, const std::string& what) {
  throw shape_error(std::string("aida::nn::") + op + ": " + what);
}

inline tape& same_tape(const char* op, std::initializer_list<var> vs) {
  tape* t = nullptr;
  for (const var& v : vs) {
    if (!v.valid()) throw_shape(op, "an operand is an empty var");
    if (t == nullptr) t = &v.owner();
    else if (t != &v.owner()) throw_shape(op, "operands belong to different tapes");
  }
  return *t;
}

inline bool any_grad(std::initializer_list<var> vs) {
  for (const var& v : vs)
    if (v.needs_grad()) return true;
  return false;
}

using array_map = Eigen::Map<Eigen::ArrayXf>;

inline array_map flat(float* p, std::int64_t n) { return {p, static_cast<Eigen::Index>(n)}; }
inline std::int64_t numel(const node& n) { return std::int64_t{n.rows} * n.cols; }

// ---- backward functions ---------------------------------------------------------------

inline void matmul_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  if (a.needs_grad()) a.grad_map().noalias() += n.grad_map() * b.value_map().transpose();
  if (b.needs_grad()) b.grad_map().noalias() += a.value_map().transpose() * n.grad_map();
}

inline void affine_backward(tape& t, const node& n) {
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

inline void add_backward(tape& t, const node& n) {
  for (int k = 0; k < 2; ++k) {
    const node& x = t.at(n.in[k]);
    if (x.needs_grad()) flat(x.grad, numel(x)) += flat(n.grad, numel(n));
  }
}

inline void add_broadcast_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  if (a.needs_grad()) flat(a.grad, numel(a)) += flat(n.grad, numel(n));
  if (b.needs_grad()) {
    auto g = n.grad_map();
    auto gb = b.grad_map();
    for (std::int32_t r = 0; r < n.rows; r += b.rows) gb += g.middleRows(r, b.rows);
  }
}

inline void mul_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  const auto g = flat(n.grad, numel(n));
  if (a.needs_grad()) flat(a.grad, numel(a)) += g * flat(b.value, numel(b));
  if (b.needs_grad()) flat(b.grad, numel(b)) += g * flat(a.value, numel(a));
}

inline void scale_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (a.needs_grad()) flat(a.grad, numel(a)) += n.scalar * flat(n.grad, numel(n));
}

inline void tanh_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto y = flat(n.value, numel(n));
  flat(a.grad, numel(a)) += flat(n.grad, numel(n)) * (1.0f - y.square());
}

inline void sigmoid_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto y = flat(n.value, numel(n));
  flat(a.grad, numel(a)) += flat(n.grad, numel(n)) * y * (1.0f - y);
}

inline void relu_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto x = flat(a.value, numel(a));
  flat(a.grad, numel(a)) += (x > 0.0f).select(flat(n.grad, numel(n)), 0.0f);
}

inline void concat_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  const node& b = t.at(n.in[1]);
  if (a.needs_grad()) a.grad_map() += n.grad_map().leftCols(a.cols);
  if (b.needs_grad()) b.grad_map() += n.grad_map().rightCols(b.cols);
}

inline void slice_rows_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (a.needs_grad()) a.grad_map().middleRows(n.extra[0], n.rows) += n.grad_map();
}

inline void gather_backward(tape& t, const node& n) {
  const node& table = t.at(n.in[0]);
  if (!table.needs_grad()) return;
  auto g = n.grad_map();
  auto gt = table.grad_map();
  for (std::int32_t r = 0; r < n.rows; ++r) gt.row(n.index[r]) += g.row(r);
}

inline void sum_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (a.needs_grad()) flat(a.grad, numel(a)) += n.grad[0] * n.scalar;
}

inline void softmax_nll_backward(tape& t, const node& n) {
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

inline void mse_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto pred = flat(a.value, numel(a));
  const auto target = flat(const_cast<float*>(n.weight), numel(a));
  flat(a.grad, numel(a)) += (2.0f * n.grad[0] / static_cast<float>(numel(a))) * (pred - target);
}

inline void mae_backward(tape& t, const node& n) {
  const node& a = t.at(n.in[0]);
  if (!a.needs_grad()) return;
  const auto pred = flat(a.value, numel(a));
  const auto target = flat(const_cast<float*>(n.weight), numel(a));
  // d|e|/de = sign(e), 0 at e = 0 (a subgradient).
  flat(a.grad, numel(a)) += (n.grad[0] / static_cast<float>(numel(a))) * (pred - target).sign();
}

}  // namespace detail

// ---- operations ---------------------------------------------------------------------

/// Matrix product `a · b`: [n,k] × [k,m] → [n,m].
inline var matmul(var a, var b) {
  tape& t = detail::same_tape("matmul", {a, b});
  if (a.cols() != b.rows())
    detail::throw_shape("matmul", "inner dimensions differ: " + detail::shape_of(a) + " times " + detail::shape_of(b));
  node n = t.make_node(a.rows(), b.cols(), detail::any_grad({a, b}));
  n.value_map().noalias() = a.value() * b.value();
  n.backward = detail::matmul_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

/// `x · w + b` with the bias row `b` [1, m] added to every row: [n,k] × [k,m] → [n,m].
/// Bit for bit the values (and gradients) of `add_broadcast(matmul(x, w), b)`, in one node:
/// no intermediate product to store or to copy the gradient through.
inline var affine(var x, var w, var b) {
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

/// Element-wise sum of two tensors of the same shape.
inline var add(var a, var b) {
  tape& t = detail::same_tape("add", {a, b});
  if (a.rows() != b.rows() || a.cols() != b.cols())
    detail::throw_shape("add", "shapes differ: " + detail::shape_of(a) + " and " + detail::shape_of(b));
  node n = t.make_node(a.rows(), a.cols(), detail::any_grad({a, b}));
  n.value_map() = a.value() + b.value();
  n.backward = detail::add_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

/// `a + b` with `b`'s rows repeated down `a`: row `i` of the result is `a.row(i) +
/// b.row(i % b.rows())`. With `b` of one row this is a bias add; with `b` of `B` rows and
/// `a` time-major [T·B, n], it adds a per-sequence term at every step.
inline var add_broadcast(var a, var b) {
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

/// Element-wise (Hadamard) product of two tensors of the same shape.
inline var mul(var a, var b) {
  tape& t = detail::same_tape("mul", {a, b});
  if (a.rows() != b.rows() || a.cols() != b.cols())
    detail::throw_shape("mul", "shapes differ: " + detail::shape_of(a) + " and " + detail::shape_of(b));
  node n = t.make_node(a.rows(), a.cols(), detail::any_grad({a, b}));
  n.value_map() = a.value().cwiseProduct(b.value());
  n.backward = detail::mul_backward;
  n.in[0] = a.id(), n.in[1] = b.id();
  return t.push(n);
}

/// `s · a` for a constant scalar `s`.
inline var scale(var a, float s) {
  tape& t = detail::same_tape("scale", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = s * a.value();
  n.scalar = s;
  n.backward = detail::scale_backward;
  n.in[0] = a.id();
  return t.push(n);
}

/// Element-wise hyperbolic tangent.
inline var tanh(var a) {
  tape& t = detail::same_tape("tanh", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = a.value().array().tanh().matrix();
  n.backward = detail::tanh_backward;
  n.in[0] = a.id();
  return t.push(n);
}

/// Element-wise logistic sigmoid `1 / (1 + e^-x)`.
inline var sigmoid(var a) {
  tape& t = detail::same_tape("sigmoid", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = a.value().array().logistic().matrix();
  n.backward = detail::sigmoid_backward;
  n.in[0] = a.id();
  return t.push(n);
}

/// Element-wise `max(x, 0)` (gradient 0 at 0).
inline var relu(var a) {
  tape& t = detail::same_tape("relu", {a});
  node n = t.make_node(a.rows(), a.cols(), a.needs_grad());
  n.value_map() = a.value().cwiseMax(0.0f);
  n.backward = detail::relu_backward;
  n.in[0] = a.id();
  return t.push(n);
}

/// Column-wise concatenation `[a | b]` of two tensors with the same number of rows.
inline var concat(var a, var b) {
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

/// Rows `[start, start + count)` of `a` (for example the last step of a time-major sequence).
inline var slice_rows(var a, Eigen::Index start, Eigen::Index count) {
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

/// Row gather (embedding lookup): row `i` of the result is `table.row(rows[i])`. The
/// backward pass scatter-adds into the table's gradient.
inline var gather(var table, std::span<const std::int32_t> rows) {
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

/// Sum of all elements, as a 1×1 tensor.
inline var sum(var a) {
  tape& t = detail::same_tape("sum", {a});
  node n = t.make_node(1, 1, a.needs_grad());
  n.value[0] = a.value().sum();
  n.scalar = 1.0f;
  n.backward = detail::sum_backward;
  n.in[0] = a.id();
  return t.push(n);
}

/// Mean of all elements, as a 1×1 tensor (0 for an empty tensor, whose gradient is empty).
inline var mean(var a) {
  tape& t = detail::same_tape("mean", {a});
  node n = t.make_node(1, 1, a.needs_grad());
  const Eigen::Index count = a.rows() * a.cols();
  n.scalar = count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
  n.value[0] = a.value().sum() * n.scalar;
  n.backward = detail::sum_backward;
  n.in[0] = a.id();
  return t.push(n);
}

/// Fused log-softmax and negative log-likelihood with per-row weights:
/// `Σ_i weights[i] · (−log softmax(logits.row(i))[targets[i]])`, a 1×1 tensor.
/// Rows with weight 0 (padding) are skipped and get no gradient; weights `mask / count`
/// give a masked mean. Targets of rows with weight 0 may be any value.
inline var softmax_nll(var logits, std::span<const std::int32_t> targets, std::span<const float> weights) {
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

/// Mean squared error `mean((pred − target)²)` against a constant target of the same shape.
inline var mse(var pred, const Eigen::Ref<const tensor>& target) {
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

/// Mean absolute error `mean(|pred − target|)` against a constant target of the same shape;
/// the gradient at `pred = target` is 0.
inline var mae(var pred, const Eigen::Ref<const tensor>& target) {
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
