#pragma once
// What the compile-fail snippets pass to the procedures: a string model, adversary, overseer,
// question source and evaluator that model their concepts, so that each snippet fails only
// through the mistake it makes on purpose.
#include <functional>
#include <span>
#include <string>

#include "aida/core/episode.hpp"
#include "aida/core/move.hpp"
#include "aida/core/policies.hpp"
#include "aida/core/sampler.hpp"
#include "aida/core/string_codec.hpp"

namespace parts {

using S = std::string;

struct model {
  int predict(const S&) const { return 0; }
  double log_prob(int, const S&) const { return -1; }
  S sample(int, aida::sampler&) const { return "=1"; }
  S greedy(int) const { return "=1"; }
  double train_step(std::span<const aida::model_target<S, S>>) { return 0; }
};

struct adversary {
  double score(const S&, int) const { return 0; }
  double train_step(std::span<const aida::adversary_target<S, int>>) { return 0; }
};

struct overseer {
  S answer(const S&) { return "1"; }
  aida::Move<S, S> fan_out(const S&) { return aida::Move<S, S>::answer("1"); }
  aida::Move<S, S> fan_in(const S&, const aida::Subanswer<S, S>&, const aida::Subanswer<S, S>&) {
    return aida::Move<S, S>::answer("1");
  }
};

struct source {
  S next(aida::sampler&) { return "1"; }
};

struct evaluator {
  double accuracy(const std::function<S(const S&)>&) { return 0; }
};

}  // namespace parts
