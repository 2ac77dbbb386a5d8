#pragma once
/// \file
/// Layers of the reference backend: Embedding, Linear, GRU and MLP. Each is a parameter
/// struct reflected with Boost.Hana (so that optimisers, checkpoints and
/// `count_parameters` walk it), a `make_*` initialiser drawing from an `aida::sampler`,
/// and a forward function recording on a tape.
///
/// The forward functions take a `bool train`: when true, the parameters are bound with
/// `tape::param` and the backward pass adds into their gradients; when false they are
/// bound without gradients (inference records no gradient storage at all).

#include <cmath>
#include <cstdint>
#include <span>

#include <boost/hana/define_struct.hpp>

#include "aida/core/sampler.hpp"
#include "aida/nn/gru.hpp"
#include "aida/nn/ops.hpp"
#include "aida/nn/parameter.hpp"
#include "aida/nn/tape.hpp"

namespace aida::nn {

/// Binds a parameter to a tape, with a gradient when `train`. The layers take their
/// parameters by const reference so that inference (`train` false) is a const operation; with
/// `train` true the tape accumulates into `p.grad`, so `p` must not be a const object (the
/// models train only through their non-const `train_step`).
inline var bind(tape& t, const parameter& p, bool train) {
  return train ? t.param(const_cast<parameter&>(p)) : t.param_no_grad(p);
}

/// A parameter of the given shape with values uniform on [−bound, bound].
inline parameter uniform_parameter(Eigen::Index rows, Eigen::Index cols, float bound, sampler& rng) {
  parameter p(rows, cols);
  for (Eigen::Index i = 0; i < p.size(); ++i)
    p.value.data()[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * static_cast<double>(bound));
  return p;
}

// ---- Embedding ----------------------------------------------------------------------

/// A lookup table: row `i` is the vector of symbol `i`.
struct embedding_params {
  BOOST_HANA_DEFINE_STRUCT(embedding_params, (parameter, table));
};

/// `symbols` rows of width `dim`, uniform on [−1, 1].
inline embedding_params make_embedding(Eigen::Index symbols, Eigen::Index dim, sampler& rng) {
  return {uniform_parameter(symbols, dim, 1.0f, rng)};
}

/// The rows of `ids` ([n] → [n, dim]).
inline var embedding(tape& t, const embedding_params& p, std::span<const std::int32_t> ids, bool train) {
  return gather(bind(t, p.table, train), ids);
}

// ---- Linear -------------------------------------------------------------------------

/// `x W + b`, with `W` [in, out] and `b` [1, out].
struct linear_params {
  BOOST_HANA_DEFINE_STRUCT(linear_params, (parameter, weight), (parameter, bias));
};

/// Uniform on ±1/√in (the usual fan-in scaling).
inline linear_params make_linear(Eigen::Index in, Eigen::Index out, sampler& rng) {
  const float k = 1.0f / std::sqrt(static_cast<float>(in));
  linear_params p;
  p.weight = uniform_parameter(in, out, k, rng);
  p.bias = uniform_parameter(1, out, k, rng);
  return p;
}

/// `x W + b` on tape `t`, with parameter gradients when `train`.
inline var linear(tape& t, const linear_params& p, var x, bool train) {
  return affine(x, bind(t, p.weight, train), bind(t, p.bias, train));
}

// ---- GRU ----------------------------------------------------------------------------

/// A GRU layer (see `gru.hpp` for the cell): input weights `w_ih` [in, 3H], recurrent
/// weights `w_hh` [H, 3H], biases [1, 3H]; gate blocks in the order r, z, n.
struct gru_params {
  BOOST_HANA_DEFINE_STRUCT(gru_params, (parameter, w_ih), (parameter, w_hh), (parameter, b_ih), (parameter, b_hh));
};

/// Uniform on ±1/√H.
inline gru_params make_gru(Eigen::Index in, Eigen::Index hidden, sampler& rng) {
  const float k = 1.0f / std::sqrt(static_cast<float>(hidden));
  gru_params p;
  p.w_ih = uniform_parameter(in, 3 * hidden, k, rng);
  p.w_hh = uniform_parameter(hidden, 3 * hidden, k, rng);
  p.b_ih = uniform_parameter(1, 3 * hidden, k, rng);
  p.b_hh = uniform_parameter(1, 3 * hidden, k, rng);
  return p;
}

/// Runs the GRU over a time-major input `x` [T·B, in] from state `h0` [B, H]; returns
/// every state [T·B, H]. The input projection of all steps is one matrix product.
/// `extra`, if valid, is a per-sequence term [B, 3H] added to the input projection at
/// every step (a conditioning vector already projected); `mask` as in `gru_sequence`.
inline var gru(tape& t, const gru_params& p, var x, var h0, std::span<const float> mask, bool train, var extra = {}) {
  var bias = bind(t, p.b_ih, train);
  if (extra.valid()) bias = add_broadcast(extra, bias);  // [B, 3H]: folded into one broadcast
  const var xproj = add_broadcast(matmul(x, bind(t, p.w_ih, train)), bias);
  return gru_sequence(xproj, h0, bind(t, p.w_hh, train), bind(t, p.b_hh, train), mask);
}

/// `gru` over the embeddings of the symbols `ids` (time-major [T·B]): the same function
/// as `gru(t, p, embedding(t, table, ids, train), h0, mask, train, extra)`, computed
/// faster when there are more steps than symbols. An embedding lookup followed by a
/// linear map is a lookup in the projected table, `table[ids] W_ih = (table W_ih)[ids]`,
/// so the input projection costs one [V,E]×[E,3H] product instead of one
/// [T·B,E]×[E,3H] product (and likewise in the backward pass).
inline var gru_over_symbols(tape& t, const embedding_params& table, const gru_params& p, std::span<const std::int32_t> ids,
                            var h0, std::span<const float> mask, bool train, var extra = {}) {
  if (static_cast<Eigen::Index>(ids.size()) <= table.table.rows())
    return gru(t, p, embedding(t, table, ids, train), h0, mask, train, extra);
  var bias = bind(t, p.b_ih, train);
  if (extra.valid()) bias = add_broadcast(extra, bias);
  const var projected = matmul(bind(t, table.table, train), bind(t, p.w_ih, train));  // [V, 3H]
  const var xproj = add_broadcast(gather(projected, ids), bias);
  return gru_sequence(xproj, h0, bind(t, p.w_hh, train), bind(t, p.b_hh, train), mask);
}

// ---- MLP ----------------------------------------------------------------------------

/// A two-layer perceptron `tanh(x W1 + b1) W2 + b2`.
struct mlp_params {
  BOOST_HANA_DEFINE_STRUCT(mlp_params, (linear_params, hidden), (linear_params, output));
};

/// An MLP `in` → `hidden` → `out`, each layer initialised as by `make_linear`.
inline mlp_params make_mlp(Eigen::Index in, Eigen::Index hidden, Eigen::Index out, sampler& rng) {
  mlp_params p;
  p.hidden = make_linear(in, hidden, rng);
  p.output = make_linear(hidden, out, rng);
  return p;
}

/// The perceptron on `x`, on tape `t`, with parameter gradients when `train`.
inline var mlp(tape& t, const mlp_params& p, var x, bool train) {
  return linear(t, p.output, tanh(linear(t, p.hidden, x, train)), train);
}

}  // namespace aida::nn
