#pragma once
// The definitions of the functions that aida/nn/gru.hpp declares. Included by that header
// (inline, the default) or, with AIDA_NN_SEPARATE_COMPILATION, compiled once by
// aida/nn/impl/src.hpp. Not to be included directly.

#include "aida/nn/gru.hpp"

namespace aida::nn {
namespace detail {

AIDA_NN_DECL void gru_backward(tape& t, const node& n) {
  const node& xp = t.at(n.in[0]);
  const node& h0 = t.at(n.in[1]);
  const node& whh = t.at(n.in[2]);
  const node& bhh = t.at(n.in[3]);
  const Eigen::Index steps = n.extra[0];
  const Eigen::Index B = h0.rows, H = h0.cols;
  const Eigen::Index TB = steps * B;
  const float* mask = n.weight;

  const tensor_map out = n.value_map();
  const tensor_map gout = n.grad_map();
  const tensor_map R(n.aux, TB, H), Z(n.aux + TB * H, TB, H), N(n.aux + 2 * TB * H, TB, H),
      GN(n.aux + 3 * TB * H, TB, H);
  const auto W = whh.value_map();
  const tensor_map H0 = h0.value_map();

  // Scratch, released with the tape: d(pre-activations of h W_hh) for all steps, the
  // carried gradient of the hidden state, and d(pre-activation of n).
  tensor_map dG(t.allocate<float>(static_cast<std::size_t>(TB * 3 * H)), TB, 3 * H);
  tensor_map carry(t.allocate_zero(static_cast<std::size_t>(B * H)), B, H);
  tensor_map dh(t.allocate<float>(static_cast<std::size_t>(B * H)), B, H);
  tensor_map pn(t.allocate<float>(static_cast<std::size_t>(B * H)), B, H);

  for (Eigen::Index s = steps - 1; s >= 0; --s) {
    const Eigen::Index o = s * B;
    const auto hprev = s == 0 ? H0.middleRows(0, B) : out.middleRows(o - B, B);
    const auto r = R.middleRows(o, B).array();
    const auto z = Z.middleRows(o, B).array();
    const auto nv = N.middleRows(o, B).array();
    const auto gn = GN.middleRows(o, B).array();
    auto dGs = dG.middleRows(o, B);

    dh = gout.middleRows(o, B) + carry;
    pn.array() = dh.array() * (1.0f - z) * (1.0f - nv.square());
    dGs.leftCols(H).array() = pn.array() * gn * r * (1.0f - r);
    dGs.middleCols(H, H).array() = dh.array() * (hprev.array() - nv) * z * (1.0f - z);
    dGs.rightCols(H).array() = pn.array() * r;
    carry.array() = dh.array() * z;
    if (mask != nullptr) {
      for (Eigen::Index b = 0; b < B; ++b) {
        if (mask[o + b] != 0.0f) continue;
        // A padded step copied the state through: the gradient passes through unchanged.
        dGs.row(b).setZero();
        pn.row(b).setZero();
        carry.row(b) = dh.row(b);
      }
    }
    if (xp.needs_grad()) {
      auto gx = xp.grad_map().middleRows(o, B);
      gx.leftCols(2 * H) += dGs.leftCols(2 * H);
      gx.rightCols(H) += pn;
    }
    carry.noalias() += dGs * W.transpose();
  }
  if (h0.needs_grad()) h0.grad_map() += carry;
  if (whh.needs_grad()) {
    auto gw = whh.grad_map();
    gw.noalias() += H0.transpose() * dG.topRows(B);
    if (steps > 1) gw.noalias() += out.topRows(TB - B).transpose() * dG.bottomRows(TB - B);
  }
  if (bhh.needs_grad()) bhh.grad_map() += dG.colwise().sum();
}
}  // namespace detail

AIDA_NN_DECL var gru_sequence(var xproj, var h0, var w_hh, var b_hh, std::span<const float> mask) {
  tape& t = detail::same_tape("gru_sequence", {xproj, h0, w_hh, b_hh});
  const Eigen::Index B = h0.rows(), H = h0.cols();
  if (w_hh.rows() != H || w_hh.cols() != 3 * H || b_hh.rows() != 1 || b_hh.cols() != 3 * H)
    detail::throw_shape("gru_sequence", "recurrent weights " + detail::shape_of(w_hh) + " and bias " +
                                            detail::shape_of(b_hh) + " do not match a state of " +
                                            detail::shape_of(h0));
  if (B == 0 || xproj.cols() != 3 * H || xproj.rows() % B != 0)
    detail::throw_shape("gru_sequence", "input projections " + detail::shape_of(xproj) +
                                            " are not [steps * " + std::to_string(B) + ", " +
                                            std::to_string(3 * H) + "]");
  const Eigen::Index steps = xproj.rows() / B, TB = xproj.rows();
  if (!mask.empty() && static_cast<Eigen::Index>(mask.size()) != TB)
    detail::throw_shape("gru_sequence", std::to_string(mask.size()) + " mask values for " + std::to_string(TB) +
                                            " rows");
  const bool grad = detail::any_grad({xproj, h0, w_hh, b_hh});
  node n = t.make_node(TB, H, grad);
  n.aux = t.allocate<float>(static_cast<std::size_t>(4 * TB * H));
  n.weight = mask.empty() ? nullptr : t.copy(mask);

  tensor_map out = n.value_map();
  tensor_map R(n.aux, TB, H), Z(n.aux + TB * H, TB, H), N(n.aux + 2 * TB * H, TB, H), GN(n.aux + 3 * TB * H, TB, H);
  tensor_map G(t.allocate<float>(static_cast<std::size_t>(B * 3 * H)), B, 3 * H);
  const auto X = xproj.value();
  const tensor_map H0 = h0.value();
  const auto W = w_hh.value();
  const auto bias = b_hh.value();
  for (Eigen::Index s = 0; s < steps; ++s) {
    const Eigen::Index o = s * B;
    const auto hprev = s == 0 ? H0.middleRows(0, B) : std::as_const(out).middleRows(o - B, B);
    G.noalias() = hprev * W;
    G.rowwise() += bias.row(0);
    const auto xs = X.middleRows(o, B);
    auto r = R.middleRows(o, B);
    auto z = Z.middleRows(o, B);
    auto nv = N.middleRows(o, B);
    r.array() = (xs.leftCols(H) + G.leftCols(H)).array().logistic();
    z.array() = (xs.middleCols(H, H) + G.middleCols(H, H)).array().logistic();
    GN.middleRows(o, B) = G.rightCols(H);
    nv.array() = (xs.rightCols(H).array() + r.array() * G.rightCols(H).array()).tanh();
    out.middleRows(o, B).array() = nv.array() + z.array() * (hprev.array() - nv.array());
    if (!mask.empty())
      for (Eigen::Index b = 0; b < B; ++b)
        if (mask[static_cast<std::size_t>(o + b)] == 0.0f) out.row(o + b) = hprev.row(b);
  }
  n.extra[0] = steps;
  n.backward = detail::gru_backward;
  n.in[0] = xproj.id(), n.in[1] = h0.id(), n.in[2] = w_hh.id(), n.in[3] = b_hh.id();
  return t.push(n);
}

AIDA_NN_DECL var gru_cell(var xproj, var h, var w_hh, var b_hh) { return gru_sequence(xproj, h, w_hh, b_hh); }
}  // namespace aida::nn
