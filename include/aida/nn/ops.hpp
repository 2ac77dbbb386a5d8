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
#include "aida/nn/detail/config.hpp"

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

}  // namespace detail

// ---- operations ---------------------------------------------------------------------

/// Matrix product `a · b`: [n,k] × [k,m] → [n,m].
AIDA_NN_DECL var matmul(var a, var b);

/// `x · w + b` with the bias row `b` [1, m] added to every row: [n,k] × [k,m] → [n,m].
/// Bit for bit the values (and gradients) of `add_broadcast(matmul(x, w), b)`, in one node:
/// no intermediate product to store or to copy the gradient through.
AIDA_NN_DECL var affine(var x, var w, var b);

/// Element-wise sum of two tensors of the same shape.
AIDA_NN_DECL var add(var a, var b);

/// `a + b` with `b`'s rows repeated down `a`: row `i` of the result is `a.row(i) +
/// b.row(i % b.rows())`. With `b` of one row this is a bias add; with `b` of `B` rows and
/// `a` time-major [T·B, n], it adds a per-sequence term at every step.
AIDA_NN_DECL var add_broadcast(var a, var b);

/// Element-wise (Hadamard) product of two tensors of the same shape.
AIDA_NN_DECL var mul(var a, var b);

/// `s · a` for a constant scalar `s`.
AIDA_NN_DECL var scale(var a, float s);

/// Element-wise hyperbolic tangent.
AIDA_NN_DECL var tanh(var a);

/// Element-wise logistic sigmoid `1 / (1 + e^-x)`.
AIDA_NN_DECL var sigmoid(var a);

/// Element-wise `max(x, 0)` (gradient 0 at 0).
AIDA_NN_DECL var relu(var a);

/// Column-wise concatenation `[a | b]` of two tensors with the same number of rows.
AIDA_NN_DECL var concat(var a, var b);

/// Rows `[start, start + count)` of `a` (for example the last step of a time-major sequence).
AIDA_NN_DECL var slice_rows(var a, Eigen::Index start, Eigen::Index count);

/// Row gather (embedding lookup): row `i` of the result is `table.row(rows[i])`. The
/// backward pass scatter-adds into the table's gradient.
AIDA_NN_DECL var gather(var table, std::span<const std::int32_t> rows);

/// Sum of all elements, as a 1×1 tensor.
AIDA_NN_DECL var sum(var a);

/// Mean of all elements, as a 1×1 tensor (0 for an empty tensor, whose gradient is empty).
AIDA_NN_DECL var mean(var a);

/// Fused log-softmax and negative log-likelihood with per-row weights:
/// `Σ_i weights[i] · (−log softmax(logits.row(i))[targets[i]])`, a 1×1 tensor.
/// Rows with weight 0 (padding) are skipped and get no gradient; weights `mask / count`
/// give a masked mean. Targets of rows with weight 0 may be any value.
AIDA_NN_DECL var softmax_nll(var logits, std::span<const std::int32_t> targets, std::span<const float> weights);

/// Mean squared error `mean((pred − target)²)` against a constant target of the same shape.
AIDA_NN_DECL var mse(var pred, const Eigen::Ref<const tensor>& target);

/// Mean absolute error `mean(|pred − target|)` against a constant target of the same shape;
/// the gradient at `pred = target` is 0.
AIDA_NN_DECL var mae(var pred, const Eigen::Ref<const tensor>& target);

}  // namespace aida::nn

#if !defined(AIDA_NN_SEPARATE_COMPILATION)
#include "aida/nn/impl/ops.ipp"
#endif
