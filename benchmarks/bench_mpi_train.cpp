/// \file
/// Steps per second of data-parallel `aida::train` over MPI (component `aida::mpi`, issue 13):
/// run it as `mpirun -np 1 bench_mpi_train` and `mpirun -np 2 bench_mpi_train` (benchmarks/
/// run_all.sh does both) and compare; the ranks share each step's episodes, the total per
/// step is the same. Rank 0 reports.
///
/// - `MpiGruStep`: the reference GRU pair (hidden 64, as bench_train_threads' `GruStep`) with
///   the `sum` overseer, H everywhere, 4 steps of 8 episodes a `train` call: episodes,
///   updates, and the all-reduce of both learners' gradients each step.
/// - `MpiSlowOverseer`: the same with the overseer behind a 1 ms sleep per call (standing in
///   for a slow one: a person, a process, a service), where the ranks' waits overlap.
///
/// The counter `steps/s` is steps over wall time (`UseRealTime`), and `allreduced_bytes/step`
/// the gradient bytes each rank sends into the all-reduces of a step (ML's and Adv's, plus
/// the counts). Every rank must make the same collective calls, so the iterations are fixed.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "aida/aida.hpp"
#include "aida/ext/mpi.hpp"
#include "aida/nn/nn.hpp"
#include "support/sleepy_overseer.hpp"

namespace {

using S = std::string;

aida::mpi::communicator* world = nullptr;

using aida_bench::sleepy_overseer;

struct no_evaluation {
  double accuracy(const std::function<S(const S&)>&) const { return 0; }
};

template <class H>
void steps(benchmark::State& state, H& h) {
  constexpr std::size_t per_call = 4;
  const aida::tasks::sum_task task;
  auto generator = task.generator(2);
  aida::nn::char_model_config mc;
  mc.charset = task.charset();
  mc.hidden = 64;
  mc.max_answer_length = 8;
  mc.seed = 1;
  aida::nn::char_model ml(mc);
  aida::nn::adversary_config ac;
  ac.charset = task.charset();
  ac.model_output_size = ml.output_size();
  ac.seed = 2;
  aida::nn::adversary_model adv(ac);
  no_evaluation ev;
  aida::train_options opt;
  opt.steps = per_call;
  opt.episodes_per_step = 8;
  opt.eval_every = 1000;  // one evaluation, after the last step: of nothing
  opt.iterate = false;    // H everywhere
  std::size_t done = 0;
  for (auto _ : state) {
    aida::sampler rng(1);
    done += aida::train(*world, generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt).step;
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
  state.counters["ranks"] = world->size();
  state.counters["allreduced_bytes/step"] = static_cast<double>(
      sizeof(float) * (aida::nn::count_parameters(ml.parameters()) + aida::nn::count_parameters(adv.parameters())));
}

void BM_MpiGruStep(benchmark::State& state) {
  auto h = aida::tasks::sum_task{}.overseer();
  steps(state, h);
}
BENCHMARK(BM_MpiGruStep)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_MpiSlowOverseer(benchmark::State& state) {
  sleepy_overseer h;
  steps(state, h);
}
BENCHMARK(BM_MpiSlowOverseer)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  aida::mpi::environment mpi(argc, argv);
  aida::mpi::communicator comm;
  world = &comm;
  // Rank 0 reports; the others run the same iterations quietly and write no file.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i)
    if (comm.rank() == 0 || std::strncmp(argv[i], "--benchmark_out", 15) != 0) args.push_back(argv[i]);
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  struct quiet : benchmark::BenchmarkReporter {
    bool ReportContext(const Context&) override { return true; }
    void ReportRuns(const std::vector<Run>&) override {}
  } silent;
  if (comm.rank() == 0)
    benchmark::RunSpecifiedBenchmarks();
  else
    benchmark::RunSpecifiedBenchmarks(&silent);
  benchmark::Shutdown();
  world = nullptr;
  return 0;
}
