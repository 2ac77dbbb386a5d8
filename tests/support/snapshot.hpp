#pragma once
// Every bit of a model's state, for "unchanged" and "identical" assertions: its parameter
// values, its optimiser's state tensors and step count (for any model with `parameters()`
// and `optimizer()`, as the reference backend's are).
#include <cstring>
#include <string_view>
#include <vector>

#include "aida/nn/parameter.hpp"

namespace aida_test {

template <class M>
std::vector<float> snapshot(M& m) {
  std::vector<float> s;
  aida::nn::for_each_parameter(m.parameters(), [&](std::string_view, const aida::nn::parameter& p) {
    s.insert(s.end(), p.value.data(), p.value.data() + p.size());
  });
  m.optimizer().for_each_state(
      [&](std::string_view, const aida::nn::tensor& t) { s.insert(s.end(), t.data(), t.data() + t.size()); });
  s.push_back(static_cast<float>(m.optimizer().step_count()));
  return s;
}

/// Bit-for-bit equality (NaNs and signed zeros included).
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace aida_test
