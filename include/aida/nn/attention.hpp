#pragma once
/// \file
/// The operations a Transformer needs beyond `ops.hpp`: layer normalisation, GELU, a
/// (maskable) row-wise softmax, and fused multi-head scaled dot-product attention over a
/// batch of padded sequences. Each records one tape node with a hand-written backward pass
/// and is checked against central finite differences in `tests/test_nn_attention.cpp`.
///
/// Not included by `nn.hpp`: the GRU models do not need it, and their users should not pay
/// its compile time. Include it where you build attention models.
///
/// Attention is one node for the whole batch and every head (not a node per head or per
/// sequence): the tape stays short, and the per-(sequence, head) work is a few Eigen
/// matrix products on blocks of the inputs, with the probabilities saved in the arena for
/// the backward pass.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include <Eigen/Core>

#include "aida/nn/ops.hpp"
#include "aida/nn/tape.hpp"
#include "aida/nn/detail/config.hpp"

namespace aida::nn {

namespace detail {

// √(2/π) and the cubic coefficient of GELU's tanh approximation.
inline constexpr float gelu_c = 0.7978845608028654f;
inline constexpr float gelu_a = 0.044715f;

/// The number of keys query `i` of a sequence with `len` real keys attends to: keys
/// `[0, limit)`. With `causal`, query `i` sits at position `i + Tk − Tq`.

}  // namespace detail

/// Row-wise layer normalisation: y = (x − mean(x_row)) / sqrt(var(x_row) + eps) ⊙ gamma + beta
/// (biased variance, as PyTorch). x [N, D], gamma and beta [1, D].
///
/// The normalised rows and the reciprocal standard deviations are saved for the backward
/// pass (only when a gradient flows).
AIDA_NN_DECL var layer_norm(var x, var gamma, var beta, float eps = 1e-5f);

/// GELU, tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) (PyTorch's
/// approximate="tanh"), element-wise.
AIDA_NN_DECL var gelu(var x);

/// Row-wise softmax. `mask` empty, or x.rows()*x.cols() values (row-major) of 1 (keep) or
/// 0 (excluded: probability exactly 0, no gradient). A row with every entry excluded gives
/// a row of zeros (not NaN), so that padding rows need no special case downstream.
AIDA_NN_DECL var softmax(var x, std::span<const float> mask = {});

/// Fused multi-head scaled dot-product attention over a batch of padded sequences, one tape
/// node.
///
/// Layout is batch-major: B = key_lengths.size(); q is [B*Tq, D] with row b*Tq + i = query
/// i of sequence b; k and v are [B*Tk, D] likewise. Head h uses columns [h*dh, (h+1)*dh),
/// dh = D/heads (D % heads == 0 else shape_error). Score s_bhij = q_bi,h · k_bj,h / sqrt(dh);
/// key j of sequence b is masked when j >= key_lengths[b]; when `causal`, also when
/// j > i + (Tk − Tq) (query i sits at position i + Tk − Tq, so Tq == Tk is the usual causal
/// self-attention and Tq == 1 with all keys earlier is a cached decode step). Probabilities
/// = softmax over unmasked keys; output row = Σ_j p_ij v_bj,h written to the head's
/// columns. A query with every key masked outputs zeros. Returns [B*Tq, D]. Gradients flow
/// to q, k and v (each may or may not need a gradient). k and v may be the same var (and
/// q too: gradients are added, never assigned).
///
/// Per (sequence, head) the work is two matrix products forward (Q Kᵀ, P V) and up to four
/// backward, on blocks of the inputs restricted to the sequence's real keys; the
/// probabilities (B·heads·Tq·Tk floats, masked entries 0) are saved only when a gradient
/// flows, so inference holds one Tq×Tk scratch block instead.
AIDA_NN_DECL var attention(var q, var k, var v, std::int32_t heads, std::span<const std::int32_t> key_lengths,
                     bool causal);

}  // namespace aida::nn

#if !defined(AIDA_NN_SEPARATE_COMPILATION)
#include "aida/nn/impl/attention.ipp"
#endif
