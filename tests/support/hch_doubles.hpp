#pragma once
// Stand-ins for running an overseer as full HCH (`aida::recurse_all`): with every subquestion
// recursed on, amplify asks ML and Adv only for the losses of the targets.
#include <string>

#include "aida/core/concepts.hpp"
#include "aida/core/string_codec.hpp"

namespace aida_test {

/// A model that knows nothing: every answer is "?" with log-probability −1.
struct unknowing_model {
  int predict(const std::string&) const { return 0; }
  double log_prob(int, const std::string&) const { return -1.0; }
  template <aida::Sampler S>
  std::string sample(int, S&) const { return "?"; }
  std::string greedy(int) const { return "?"; }
};

/// An adversary that scores everything 0.
struct indifferent_adversary {
  double score(const std::string&, int) const { return 0.0; }
};

}  // namespace aida_test
