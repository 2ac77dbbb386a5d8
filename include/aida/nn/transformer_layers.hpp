#pragma once
/// \file
/// The layers of the reference Transformer (`transformer_model`, `transformer_adversary`):
/// layer normalisation, multi-head attention with its four projections, the position-wise
/// feed-forward block, pre-layer-norm encoder and decoder layers, and the character encoder
/// that both models use to read a batch of questions.
///
/// Sequences here are **batch-major**: row `b * T + i` holds position `i` of sequence `b`,
/// so that one sequence's rows are contiguous (the layout `attention` takes). The GRU
/// layers (`layers.hpp`) are time-major; the two never meet.
///
/// Separate from `nn.hpp`: a program that uses only the GRU model does not compile these.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/hana/define_struct.hpp>

#include "aida/core/sampler.hpp"
#include "aida/nn/attention.hpp"
#include "aida/nn/char_encoder.hpp"
#include "aida/nn/layers.hpp"
#include "aida/nn/ops.hpp"
#include "aida/nn/parameter.hpp"
#include "aida/nn/tape.hpp"

namespace aida::nn {

// ---- Layer normalisation ----------------------------------------------------------------

/// Gain and bias of a layer normalisation, [1, D] each.
struct layer_norm_params {
  BOOST_HANA_DEFINE_STRUCT(layer_norm_params, (parameter, gain), (parameter, bias));
};

/// Gain 1, bias 0: the identity after normalisation.
inline layer_norm_params make_layer_norm(Eigen::Index dim) {
  layer_norm_params p;
  p.gain = parameter(1, dim);
  p.gain.value.setOnes();
  p.bias = parameter(1, dim);
  return p;
}

/// Layer normalisation of the rows of `x`, on tape `t`, with parameter gradients when `train`.
inline var layer_norm(tape& t, const layer_norm_params& p, var x, bool train) {
  return layer_norm(x, bind(t, p.gain, train), bind(t, p.bias, train));
}

// ---- Multi-head attention -----------------------------------------------------------------

/// The query, key, value and output projections of one multi-head attention.
struct attention_params {
  BOOST_HANA_DEFINE_STRUCT(attention_params, (linear_params, query), (linear_params, key), (linear_params, value),
                           (linear_params, output));
};

/// Four [dim, dim] projections, initialised as by `make_linear`.
inline attention_params make_attention(Eigen::Index dim, sampler& rng) {
  return {make_linear(dim, dim, rng), make_linear(dim, dim, rng), make_linear(dim, dim, rng),
          make_linear(dim, dim, rng)};
}

/// Multi-head attention of the rows of `xq` (B sequences, batch-major) over the rows of
/// `xkv` (B sequences of `key_lengths[b]` real positions each), projected and recombined.
inline var multi_head_attention(tape& t, const attention_params& p, var xq, var xkv, std::int32_t heads,
                                std::span<const std::int32_t> key_lengths, bool causal, bool train) {
  const var q = linear(t, p.query, xq, train);
  const var k = linear(t, p.key, xkv, train);
  const var v = linear(t, p.value, xkv, train);
  return linear(t, p.output, attention(q, k, v, heads, key_lengths, causal), train);
}

// ---- Feed-forward ---------------------------------------------------------------------------

/// The position-wise feed-forward block `gelu(x W1 + b1) W2 + b2`.
struct feed_forward_params {
  BOOST_HANA_DEFINE_STRUCT(feed_forward_params, (linear_params, in), (linear_params, out));
};

/// A block `dim` → `hidden` → `dim`, initialised as by `make_linear`.
inline feed_forward_params make_feed_forward(Eigen::Index dim, Eigen::Index hidden, sampler& rng) {
  return {make_linear(dim, hidden, rng), make_linear(hidden, dim, rng)};
}

/// The block on the rows of `x`, on tape `t`, with parameter gradients when `train`.
inline var feed_forward(tape& t, const feed_forward_params& p, var x, bool train) {
  return linear(t, p.out, gelu(linear(t, p.in, x, train)), train);
}

// ---- Encoder and decoder layers -------------------------------------------------------------

/// A pre-layer-norm encoder layer: `x += attn(norm1(x))`, `x += ff(norm2(x))`.
struct encoder_layer_params {
  BOOST_HANA_DEFINE_STRUCT(encoder_layer_params, (layer_norm_params, norm1), (attention_params, self),
                           (layer_norm_params, norm2), (feed_forward_params, ff));
};

/// An encoder layer of width `dim` with a feed-forward block of width `ff`: identity
/// normalisations, attention and feed-forward initialised as by `make_linear`.
inline encoder_layer_params make_encoder_layer(Eigen::Index dim, Eigen::Index ff, sampler& rng) {
  encoder_layer_params p;
  p.norm1 = make_layer_norm(dim);
  p.self = make_attention(dim, rng);
  p.norm2 = make_layer_norm(dim);
  p.ff = make_feed_forward(dim, ff, rng);
  return p;
}

/// The layer on `x` (sequences of `lengths[b]` real positions each, batch-major), with
/// `heads` attention heads, on tape `t`, with parameter gradients when `train`.
inline var encoder_layer(tape& t, const encoder_layer_params& p, var x, std::int32_t heads,
                         std::span<const std::int32_t> lengths, bool train) {
  const var a = layer_norm(t, p.norm1, x, train);
  x = add(x, multi_head_attention(t, p.self, a, a, heads, lengths, false, train));
  return add(x, feed_forward(t, p.ff, layer_norm(t, p.norm2, x, train), train));
}

/// A pre-layer-norm decoder layer: causal self-attention, cross-attention to the encoder's
/// states, feed-forward, each behind its own normalisation and added to the residual.
struct decoder_layer_params {
  BOOST_HANA_DEFINE_STRUCT(decoder_layer_params, (layer_norm_params, norm1), (attention_params, self),
                           (layer_norm_params, norm2), (attention_params, cross), (layer_norm_params, norm3),
                           (feed_forward_params, ff));
};

/// A decoder layer of width `dim` with a feed-forward block of width `ff`, initialised as
/// `make_encoder_layer`'s.
inline decoder_layer_params make_decoder_layer(Eigen::Index dim, Eigen::Index ff, sampler& rng) {
  decoder_layer_params p;
  p.norm1 = make_layer_norm(dim);
  p.self = make_attention(dim, rng);
  p.norm2 = make_layer_norm(dim);
  p.cross = make_attention(dim, rng);
  p.norm3 = make_layer_norm(dim);
  p.ff = make_feed_forward(dim, ff, rng);
  return p;
}

// ---- Reading questions -------------------------------------------------------------------------

/// A Transformer encoder over characters: token and position embeddings, a stack of
/// encoder layers and a final normalisation.
struct transformer_encoder_params {
  BOOST_HANA_DEFINE_STRUCT(transformer_encoder_params, (embedding_params, tokens), (embedding_params, positions),
                           (std::vector<encoder_layer_params>, layers), (layer_norm_params, norm));
};

/// Token and position embeddings are uniform on ±0.5 (so that their sum has about unit
/// scale before the first normalisation).
inline transformer_encoder_params make_transformer_encoder(Eigen::Index symbols, Eigen::Index positions,
                                                           Eigen::Index dim, Eigen::Index ff, std::size_t layers,
                                                           sampler& rng) {
  transformer_encoder_params p;
  p.tokens = {uniform_parameter(symbols, dim, 0.5f, rng)};
  p.positions = {uniform_parameter(positions, dim, 0.5f, rng)};
  for (std::size_t i = 0; i < layers; ++i) p.layers.push_back(make_encoder_layer(dim, ff, rng));
  p.norm = make_layer_norm(dim);
  return p;
}

/// A batch of strings laid out for an encoder: ids and positions batch-major over
/// `width` positions (at least 1, so that an empty string still has a row), and each
/// string's length.
struct padded_batch {
  ///@{
  /// `ids` and `positions`: [count · width], batch-major; `lengths`: [count].
  std::vector<std::int32_t> ids, positions, lengths;
  ///@}
  std::int32_t width = 1;  ///< positions per string: the longest length, at least 1
};

/// Lays out `count` strings `get(i)` (already checked against `vocab` and the positions);
/// padding positions hold token 0 and are masked by the lengths.
template <class Get>
padded_batch pad_strings(const vocabulary& vocab, std::size_t count, Get&& get) {
  padded_batch b;
  std::size_t width = 1;
  for (std::size_t i = 0; i < count; ++i) width = std::max(width, std::string_view(get(i)).size());
  b.width = static_cast<std::int32_t>(width);
  b.ids.assign(count * width, 0);
  b.positions.resize(count * width);
  b.lengths.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view s = get(i);
    b.lengths[i] = static_cast<std::int32_t>(s.size());
    for (std::size_t k = 0; k < width; ++k) {
      b.positions[i * width + k] = static_cast<std::int32_t>(k);
      if (k < s.size()) b.ids[i * width + k] = vocab.index(s[k]);
    }
  }
  return b;
}

/// The encoder's states [count · width, D] of a padded batch (rows of padding positions
/// hold values that nothing reads).
inline var transformer_encode(tape& t, const transformer_encoder_params& p, const padded_batch& batch, std::int32_t heads,
                              bool train) {
  var x = add(embedding(t, p.tokens, batch.ids, train), embedding(t, p.positions, batch.positions, train));
  for (auto& layer : p.layers) x = encoder_layer(t, layer, x, heads, batch.lengths, train);
  return layer_norm(t, p.norm, x, train);
}

/// A leaf viewing `rows` × `cols` floats at `data` (which must outlive the node); no gradient.
inline var view_rows(tape& t, const float* data, Eigen::Index rows, Eigen::Index cols) {
  node n;
  n.value = const_cast<float*>(data);  // never written: the node has no backward
  n.rows = static_cast<std::int32_t>(rows);
  n.cols = static_cast<std::int32_t>(cols);
  return t.push(n);
}

/// Throws `vocabulary_error` naming the string and the limit when `s` is longer than
/// `limit` characters (the positions a model has).
inline void check_length(std::string_view s, std::size_t limit, const char* who, const char* what,
                         const char* field) {
  if (s.size() > limit)
    throw vocabulary_error(std::string(who) + ": the " + what + " \"" + std::string(s) + "\" has " +
                           std::to_string(s.size()) + " characters, more than the model's " +
                           std::to_string(limit) + " positions (" + field + ")");
}

}  // namespace aida::nn
