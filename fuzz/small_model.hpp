#pragma once
// The model of the checkpoint fuzz target and of its seed corpus (make_corpus.cpp): small,
// so that a load takes microseconds, but with what the loader must walk: a nested struct, a
// std::vector of layers ("layers.0.weight") and an Adam state ("out.m", "out.v").
#include <cstddef>
#include <string_view>
#include <vector>

#include "aida/nn/checkpoint.hpp"
#include "aida/nn/optim.hpp"

namespace aida_fuzz {

using aida::nn::parameter;
using aida::nn::tensor;

struct layer {
  BOOST_HANA_DEFINE_STRUCT(layer, (parameter, weight), (parameter, bias));
};

struct small_params {
  BOOST_HANA_DEFINE_STRUCT(small_params, (parameter, embedding), (std::vector<layer>, layers), (parameter, out));
};

/// Fixed, distinct values everywhere (a change anywhere shows).
inline void fill(tensor& t, float base) {
  for (Eigen::Index i = 0; i < t.size(); ++i) t.data()[i] = base + 0.25f * static_cast<float>(i);
}

struct small_model {
  small_params params;
  aida::nn::adam opt;

  /// `layers` layers of width 2, values fixed and distinct (a change anywhere shows).
  explicit small_model(std::size_t layers = 2) {
    params.embedding = parameter(3, 2);
    params.layers.resize(layers);
    for (auto& l : params.layers) {
      l.weight = parameter(2, 2);
      l.bias = parameter(1, 2);
    }
    params.out = parameter(2, 1);
    float base = 1.0f;
    aida::nn::for_each_parameter(params, [&](std::string_view, parameter& p) {
      fill(p.value, base);
      fill(p.grad, -base);
      base += 10.0f;
    });
    opt = aida::nn::adam(params);
    opt.for_each_state([&](std::string_view, tensor& t) {
      fill(t, base);
      base += 10.0f;
    });
    opt.step_count() = 7;
  }
  small_params& parameters() { return params; }
  aida::nn::adam& optimizer() { return opt; }
};

}  // namespace aida_fuzz
