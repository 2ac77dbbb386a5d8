/// \file
/// The cost of one call to an overseer in another process: a request written to and a reply
/// read from examples/overseers/sum_overseer.py (Python 3) through `aida::process_overseer`,
/// against the same decision by `aida::tasks::sum_overseer` in the same process, side by side
/// in one run. Built only with the `aida::process` component (nlohmann/json).
///
/// Read both columns: the parent's CPU time leaves out the Python process's work (another
/// process's CPU time), so for the process overseer the wall time is the cost of a call; for
/// the direct call the two are the same.

#include <benchmark/benchmark.h>

#include <string>

#include "aida/ext/process_overseer.hpp"
#include "aida/tasks/sum.hpp"

namespace {

using S = std::string;
using sub_t = aida::Subanswer<S, S>;

const S question = "31415926";  // the sum task's default difficulty: 8 digits
const sub_t left{"3141", "9"}, right{"5926", "22"};

aida::process_overseer_options sum_options() {
  aida::process_overseer_options o;
#ifdef AIDA_BENCH_PYTHON
  o.argv = {AIDA_BENCH_PYTHON, AIDA_BENCH_SUM_OVERSEER};
#endif
  return o;
}

template <class F>
void run_process(benchmark::State& state, F&& call) {
  if (sum_options().argv.empty()) {
    state.SkipWithError("no python3 was found at configure time");
    return;
  }
  aida::process_overseer h(sum_options());
  for (auto _ : state) benchmark::DoNotOptimize(call(h));
}

void BM_direct_fan_out(benchmark::State& state) {
  const aida::tasks::sum_overseer h;
  for (auto _ : state) benchmark::DoNotOptimize(h.fan_out(question));
}
void BM_process_fan_out(benchmark::State& state) {
  run_process(state, [](auto& h) { return h.fan_out(question); });
}
void BM_direct_fan_in(benchmark::State& state) {
  const aida::tasks::sum_overseer h;
  for (auto _ : state) benchmark::DoNotOptimize(h.fan_in(question, left, right));
}
void BM_process_fan_in(benchmark::State& state) {
  run_process(state, [](auto& h) { return h.fan_in(question, left, right); });
}
// H(Q) on 8 digits: the overseer's own recursion, 22 of its decisions, inside one call.
void BM_direct_answer(benchmark::State& state) {
  const aida::tasks::sum_overseer h;
  for (auto _ : state) benchmark::DoNotOptimize(h.answer(question));
}
void BM_process_answer(benchmark::State& state) {
  run_process(state, [](auto& h) { return h.answer(question); });
}

// Repetitions and their median, as the other tables of benchmarks/README.md.
#define AIDA_BENCH(f) BENCHMARK(f)->Repetitions(5)->ReportAggregatesOnly(true)
AIDA_BENCH(BM_direct_fan_out);
AIDA_BENCH(BM_process_fan_out);
AIDA_BENCH(BM_direct_fan_in);
AIDA_BENCH(BM_process_fan_in);
AIDA_BENCH(BM_direct_answer);
AIDA_BENCH(BM_process_answer);

}  // namespace

BENCHMARK_MAIN();
