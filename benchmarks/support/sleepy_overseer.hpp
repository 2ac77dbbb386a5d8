#pragma once
// The `sum` overseer behind a 1 ms sleep per call, standing in for a slow overseer (a person, a
// process, a service) in bench_train_threads and bench_mpi_train. It declares
// `concurrent_calls`, as one process per thread would.
#include <chrono>
#include <string>
#include <thread>

#include "aida/core/move.hpp"
#include "aida/tasks/sum.hpp"

namespace aida_bench {

struct sleepy_overseer {
  using S = std::string;
  static constexpr bool concurrent_calls = true;
  aida::tasks::sum_overseer h;
  static void wait() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }
  S answer(const S& q) const { return wait(), h.answer(q); }
  aida::Move<S, S> fan_out(const S& q) const { return wait(), h.fan_out(q); }
  aida::Move<S, S> fan_in(const S& q, const aida::Subanswer<S, S>& a, const aida::Subanswer<S, S>& b) const {
    return wait(), h.fan_in(q, a, b);
  }
  bool well_formed(const S& q) const { return h.well_formed(q); }
};

}  // namespace aida_bench
