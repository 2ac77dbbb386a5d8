#pragma once
/// \file
/// The fused GRU operation: a whole sequence of GRU cell steps as one tape node, with a
/// hand-written backward pass (spec-independent; the cell is the one of Cho et al. 2014 in
/// the gate convention PyTorch also uses):
///
///     r = σ(x_r + h W_r + b_r)          z = σ(x_z + h W_z + b_z)
///     n = tanh(x_n + r ⊙ (h W_n + b_n))  h' = (1 − z) ⊙ n + z ⊙ h
///
/// where `x = [x_r | x_z | x_n]` is the *input projection* (computed by the caller, for all
/// steps at once, as one matrix product `X · W_ih + b_ih`), and `W_hh = [W_r | W_z | W_n]`,
/// `b_hh = [b_r | b_z | b_n]`. One step is one [B,H]×[H,3H] product; the element-wise gate
/// work is fused; the backward pass accumulates `d W_hh` with two products over all steps
/// instead of one per step.

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include <Eigen/Core>

#include "aida/nn/ops.hpp"
#include "aida/nn/tape.hpp"
#include "aida/nn/detail/config.hpp"

namespace aida::nn {

/// A GRU run over `T` steps, fused into one node.
///
/// - `xproj`: [T·B, 3H], the input projections `X W_ih + b_ih` of all steps, time-major;
/// - `h0`: [B, H], the initial state;
/// - `w_hh`: [H, 3H] and `b_hh`: [1, 3H], the recurrent weights (gates r, z, n);
/// - `mask`: empty, or T·B values (time-major) of 1 (a real step) or 0 (padding: the
///   state is carried through unchanged, so the last row block is each sequence's state
///   after its own last real step).
///
/// Returns [T·B, H], the hidden state after every step, time-major.
AIDA_NN_DECL var gru_sequence(var xproj, var h0, var w_hh, var b_hh, std::span<const float> mask = {});

/// One GRU cell step: `gru_sequence` with T = 1. `xproj` is [B, 3H]; returns the new state [B, H].
AIDA_NN_DECL var gru_cell(var xproj, var h, var w_hh, var b_hh);

}  // namespace aida::nn

#if !defined(AIDA_NN_SEPARATE_COMPILATION)
#include "aida/nn/impl/gru.ipp"
#endif
