#pragma once
// Whether the members the procedures call on ML (predict, log_prob, sample, greedy) and on
// Adv (score) can be called on a const learner: the reference learners' are const, so that
// the episodes' threads share them read-only (test_train_threads*.cpp).
#include <string>

#include "aida/core/sampler.hpp"

namespace aida_test {

template <class M, class O>
concept const_inference = requires(const M& m, const std::string& q, const O& o, aida::sampler& s) {
  m.predict(q);
  m.log_prob(o, q);
  m.sample(o, s);
  m.greedy(o);
};

template <class V, class O>
concept const_scoring = requires(const V& v, const std::string& q, const O& o) { v.score(q, o); };

}  // namespace aida_test
