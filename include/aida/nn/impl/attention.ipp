#pragma once
// The definitions of the functions that aida/nn/attention.hpp declares. Included by that header
// (inline, the default) or, with AIDA_NN_SEPARATE_COMPILATION, compiled once by
// aida/nn/impl/src.hpp. Not to be included directly.

#include "aida/nn/attention.hpp"

namespace aida::nn {
namespace detail {

AIDA_NN_DECL void layer_norm_backward(tape& t, const node& n) {
  const node& x = t.at(n.in[0]);
  const node& gamma = t.at(n.in[1]);
  const node& beta = t.at(n.in[2]);
  const Eigen::Index N = n.rows, D = n.cols;
  const tensor_map g = n.grad_map();
  const tensor_map xhat(n.aux, N, D);
  const float* rstd = n.aux + N * D;
  if (gamma.needs_grad()) gamma.grad_map() += g.cwiseProduct(xhat).colwise().sum();
  if (beta.needs_grad()) beta.grad_map() += g.colwise().sum();
  if (!x.needs_grad()) return;
  // dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat ⊙ xhat)), dxhat = g ⊙ gamma, per row.
  const auto gam = gamma.value_map().row(0).array();
  auto gx = x.grad_map();
  const float inv_d = D == 0 ? 0.0f : 1.0f / static_cast<float>(D);
  for (Eigen::Index r = 0; r < N; ++r) {
    const auto dxhat = g.row(r).array() * gam;
    const auto xh = xhat.row(r).array();
    const float m1 = dxhat.sum() * inv_d;
    const float m2 = (dxhat * xh).sum() * inv_d;
    gx.row(r).array() += rstd[r] * (dxhat - m1 - xh * m2);
  }
}

AIDA_NN_DECL void gelu_backward(tape& t, const node& n) {
  const node& x = t.at(n.in[0]);
  if (!x.needs_grad()) return;
  // d/dx 0.5 x (1 + tanh u) = 0.5 (1 + tanh u) + 0.5 x (1 − tanh² u) c (1 + 3a x²), with
  // tanh u saved by the forward pass (one tanh per element in all).
  const auto xv = flat(x.value, numel(x));
  const auto th = flat(n.aux, numel(n));
  flat(x.grad, numel(x)) += flat(n.grad, numel(n)) * (0.5f * (1.0f + th) + 0.5f * xv * (1.0f - th.square()) *
                                                                                 gelu_c * (1.0f + 3.0f * gelu_a * xv.square()));
}

AIDA_NN_DECL void softmax_backward(tape& t, const node& n) {
  // dx = p ⊙ (g − Σ g ⊙ p), row by row; excluded entries have p = 0 and so get nothing.
  const node& x = t.at(n.in[0]);
  if (!x.needs_grad()) return;
  const tensor_map p = n.value_map();
  const tensor_map g = n.grad_map();
  auto gx = x.grad_map();
  for (Eigen::Index r = 0; r < n.rows; ++r) {
    const float dot = g.row(r).dot(p.row(r));
    gx.row(r).array() += p.row(r).array() * (g.row(r).array() - dot);
  }
}

AIDA_NN_DECL Eigen::Index attention_limit(Eigen::Index i, Eigen::Index len, Eigen::Index Tq, Eigen::Index Tk, bool causal) {
  if (!causal) return len;
  return std::clamp<Eigen::Index>(i + Tk - Tq + 1, 0, len);
}

AIDA_NN_DECL float attention_scale(Eigen::Index dh) { return dh == 0 ? 1.0f : 1.0f / std::sqrt(static_cast<float>(dh)); }

AIDA_NN_DECL void attention_backward(tape& t, const node& n) {
  const node& q = t.at(n.in[0]);
  const node& k = t.at(n.in[1]);
  const node& v = t.at(n.in[2]);
  if (!q.needs_grad() && !k.needs_grad() && !v.needs_grad()) return;
  const Eigen::Index H = n.extra[0], B = n.extra[1];
  // Causality needs no test here: the saved probabilities of masked keys are 0.
  const Eigen::Index Tq = n.rows / B, Tk = k.rows / B, D = n.cols, dh = D / H;
  const float scale = attention_scale(dh);
  const tensor_map Q = q.value_map(), K = k.value_map(), V = v.value_map(), G = n.grad_map();
  // dP, then dS in place, for one (sequence, head); released with the tape.
  float* scratch = t.allocate<float>(static_cast<std::size_t>(std::max<Eigen::Index>(Tq * Tk, 1)));
  for (Eigen::Index b = 0; b < B; ++b) {
    const Eigen::Index L = n.index[b];  // every query's keys lie in [0, L)
    if (L == 0) continue;               // every key masked: zero output, zero gradient
    for (Eigen::Index h = 0; h < H; ++h) {
      const tensor_map Pfull(n.aux + (b * H + h) * Tq * Tk, Tq, Tk);
      const auto P = Pfull.leftCols(L);
      const auto Qbh = Q.block(b * Tq, h * dh, Tq, dh);
      const auto Kbh = K.block(b * Tk, h * dh, L, dh);
      const auto Vbh = V.block(b * Tk, h * dh, L, dh);
      const auto dO = G.block(b * Tq, h * dh, Tq, dh);
      if (v.needs_grad()) v.grad_map().block(b * Tk, h * dh, L, dh).noalias() += P.transpose() * dO;
      if (!q.needs_grad() && !k.needs_grad()) continue;
      tensor_map dS(scratch, Tq, L);
      dS.noalias() = dO * Vbh.transpose();  // dP
      for (Eigen::Index i = 0; i < Tq; ++i) {
        const float dot = dS.row(i).dot(P.row(i));
        // The 1/√dh of the scores is folded in here, once, for both products below.
        dS.row(i).array() = scale * P.row(i).array() * (dS.row(i).array() - dot);
      }
      if (q.needs_grad()) q.grad_map().block(b * Tq, h * dh, Tq, dh).noalias() += dS * Kbh;
      if (k.needs_grad()) k.grad_map().block(b * Tk, h * dh, L, dh).noalias() += dS.transpose() * Qbh;
    }
  }
}
}  // namespace detail

AIDA_NN_DECL var layer_norm(var x, var gamma, var beta, float eps) {
  tape& t = detail::same_tape("layer_norm", {x, gamma, beta});
  const Eigen::Index N = x.rows(), D = x.cols();
  if (gamma.rows() != 1 || gamma.cols() != D || beta.rows() != 1 || beta.cols() != D)
    detail::throw_shape("layer_norm", "gamma " + detail::shape_of(gamma) + " and beta " + detail::shape_of(beta) +
                                          " are not 1x" + std::to_string(D) + " for x " + detail::shape_of(x));
  if (!(eps >= 0.0f)) detail::throw_shape("layer_norm", "eps " + std::to_string(eps) + " is negative");
  const bool grad = detail::any_grad({x, gamma, beta});
  node n = t.make_node(N, D, grad);
  // Without a gradient the normalised row is built in the output itself.
  n.aux = grad ? t.allocate<float>(static_cast<std::size_t>(N * D + N)) : nullptr;
  tensor_map out = n.value_map();
  tensor_map xhat(grad ? n.aux : n.value, N, D);
  const auto X = x.value();
  const auto gam = gamma.value().row(0).array();
  const auto bet = beta.value().row(0).array();
  const float inv_d = D == 0 ? 0.0f : 1.0f / static_cast<float>(D);
  for (Eigen::Index r = 0; r < N; ++r) {
    const float mean = X.row(r).sum() * inv_d;
    xhat.row(r).array() = X.row(r).array() - mean;
    const float rstd = 1.0f / std::sqrt(xhat.row(r).squaredNorm() * inv_d + eps);
    xhat.row(r) *= rstd;
    out.row(r).array() = xhat.row(r).array() * gam + bet;
    if (grad) n.aux[N * D + r] = rstd;
  }
  n.backward = detail::layer_norm_backward;
  n.in[0] = x.id(), n.in[1] = gamma.id(), n.in[2] = beta.id();
  return t.push(n);
}

AIDA_NN_DECL var gelu(var x) {
  tape& t = detail::same_tape("gelu", {x});
  node n = t.make_node(x.rows(), x.cols(), x.needs_grad());
  const auto xv = x.value().array();
  const auto u = detail::gelu_c * (xv + detail::gelu_a * xv.cube());
  if (n.needs_grad()) {  // tanh u is saved for the backward pass
    n.aux = t.allocate<float>(static_cast<std::size_t>(x.rows() * x.cols()));
    auto th = tensor_map(n.aux, x.rows(), x.cols()).array();
    th = u.tanh();
    n.value_map().array() = 0.5f * xv * (1.0f + th);
  } else {
    n.value_map().array() = 0.5f * xv * (1.0f + u.tanh());
  }
  n.backward = detail::gelu_backward;
  n.in[0] = x.id();
  return t.push(n);
}

AIDA_NN_DECL var softmax(var x, std::span<const float> mask) {
  tape& t = detail::same_tape("softmax", {x});
  const Eigen::Index N = x.rows(), C = x.cols();
  if (!mask.empty() && static_cast<Eigen::Index>(mask.size()) != N * C)
    detail::throw_shape("softmax", std::to_string(mask.size()) + " mask values for x " + detail::shape_of(x));
  node n = t.make_node(N, C, x.needs_grad());
  const auto X = x.value();
  tensor_map P = n.value_map();
  if (mask.empty()) {
    for (Eigen::Index r = 0; r < N; ++r) {
      if (C == 0) break;
      const float m = X.row(r).maxCoeff();  // subtracted for stability
      P.row(r).array() = (X.row(r).array() - m).exp();
      P.row(r) /= P.row(r).sum();
    }
  } else {
    const Eigen::Map<const Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> M(mask.data(), N, C);
    constexpr float lowest = -std::numeric_limits<float>::infinity();
    for (Eigen::Index r = 0; r < N; ++r) {
      const auto keep = M.row(r) != 0.0f;
      const float m = keep.select(X.row(r).array(), lowest).maxCoeff();
      if (m == lowest) {  // every entry excluded (or C == 0)
        P.row(r).setZero();
        continue;
      }
      P.row(r).array() = keep.select((X.row(r).array() - m).exp(), 0.0f);
      P.row(r) /= P.row(r).sum();
    }
    // The mask is not kept: the backward pass reads it from the zeros of the output.
  }
  n.backward = detail::softmax_backward;
  n.in[0] = x.id();
  return t.push(n);
}

AIDA_NN_DECL var attention(var q, var k, var v, std::int32_t heads, std::span<const std::int32_t> key_lengths,
                     bool causal) {
  tape& t = detail::same_tape("attention", {q, k, v});
  const auto B = static_cast<Eigen::Index>(key_lengths.size());
  const Eigen::Index D = q.cols();
  const std::string shapes =
      "q " + detail::shape_of(q) + ", k " + detail::shape_of(k) + ", v " + detail::shape_of(v);
  if (B == 0) detail::throw_shape("attention", "no key lengths (a batch of 0 sequences) for " + shapes);
  if (heads < 1) detail::throw_shape("attention", std::to_string(heads) + " heads for " + shapes);
  if (k.cols() != D || v.cols() != D || v.rows() != k.rows())
    detail::throw_shape("attention", "k and v must both be [B*Tk, D] with q's width D: " + shapes);
  if (q.rows() % B != 0 || k.rows() % B != 0)
    detail::throw_shape("attention", "rows are not a multiple of the " + std::to_string(B) + " sequences: " + shapes);
  if (D % heads != 0)
    detail::throw_shape("attention", "width " + std::to_string(D) + " is not divisible by " + std::to_string(heads) +
                                         " heads: " + shapes);
  const Eigen::Index Tq = q.rows() / B, Tk = k.rows() / B, H = heads, dh = D / H;
  for (std::size_t b = 0; b < key_lengths.size(); ++b)
    if (key_lengths[b] < 0 || key_lengths[b] > Tk)
      detail::throw_shape("attention", "key length " + std::to_string(key_lengths[b]) + " of sequence " +
                                           std::to_string(b) + " is outside [0, " + std::to_string(Tk) +
                                           "]: " + shapes);

  const bool grad = detail::any_grad({q, k, v});
  node n = t.make_node(B * Tq, D, grad);
  n.aux = grad ? t.allocate<float>(static_cast<std::size_t>(std::max<Eigen::Index>(B * H * Tq * Tk, 1))) : nullptr;
  float* probs = grad ? n.aux : t.allocate<float>(static_cast<std::size_t>(std::max<Eigen::Index>(Tq * Tk, 1)));
  const float scale = detail::attention_scale(dh);
  const tensor_map Q = q.value(), K = k.value(), V = v.value();
  tensor_map out = n.value_map();
  for (Eigen::Index b = 0; b < B; ++b) {
    const Eigen::Index L = key_lengths[static_cast<std::size_t>(b)];  // no query attends past it
    if (L == 0) {
      out.middleRows(b * Tq, Tq).setZero();
      if (grad) std::fill_n(n.aux + b * H * Tq * Tk, H * Tq * Tk, 0.0f);
      continue;
    }
    for (Eigen::Index h = 0; h < H; ++h) {
      tensor_map P(grad ? n.aux + (b * H + h) * Tq * Tk : probs, Tq, Tk);
      const auto Kbh = K.block(b * Tk, h * dh, L, dh);
      P.leftCols(L).noalias() = (scale * Q.block(b * Tq, h * dh, Tq, dh)) * Kbh.transpose();
      for (Eigen::Index i = 0; i < Tq; ++i) {
        const Eigen::Index lim = detail::attention_limit(i, L, Tq, Tk, causal);
        auto row = P.row(i);
        row.tail(Tk - lim).setZero();
        if (lim == 0) continue;
        auto kept = row.head(lim).array();
        const float m = kept.maxCoeff();  // subtracted for stability
        kept = (kept - m).exp();
        kept /= kept.sum();
      }
      out.block(b * Tq, h * dh, Tq, dh).noalias() = P.leftCols(L) * V.block(b * Tk, h * dh, L, dh);
    }
  }
  n.index = t.copy(key_lengths);
  n.extra[0] = H;
  n.extra[1] = B;
  n.scalar = causal ? 1.0f : 0.0f;
  n.backward = detail::attention_backward;
  n.in[0] = q.id(), n.in[1] = k.id(), n.in[2] = v.id();
  return t.push(n);
}
}  // namespace aida::nn
