/// \file
/// Episodes collected per second by `aida::train` with `train_options::threads` = 1 and 2
/// (issue 13), side by side:
///
/// - `SlowOverseer`: the `sum` overseer behind a 1 ms sleep per call (standing in for a slow
///   overseer: a person, a process, a service), with learners that cost almost nothing and
///   train on nothing, so that the time is the collection's. It declares `concurrent_calls`,
///   as one process per thread would.
/// - `GruCollect`: the reference GRU pair (hidden 64, the size of docs/training.md's program)
///   with the `sum` overseer, H everywhere, learners whose `train_step` does nothing: the
///   collection alone (ML's and Adv's inference, the overseer's calls, the bookkeeping).
/// - `GruStep`: the same pair training as usual (the update of ML and Adv after each step
///   runs on one thread whatever `threads` is): whole steps.
/// - `GruSnapshot`: the snapshots of ML and Adv that each step takes (aida::Restorable), at
///   widths 64 and 96, beside the steps.
///
/// One benchmark iteration is one `train` call of 4 steps of 8 episodes (for `GruCollect` also
/// 32 steps of 8, and 4 steps of 64), on 2-digit questions of `sum` for the GRU and 8-digit ones
/// for the slow overseer, with the pool started inside it, from the same seed: the same episodes
/// in every iteration and for both thread counts (for `GruStep` the models go on training from
/// one iteration to the next). Times are wall-clock (`UseRealTime`): the point of threads is
/// the wall time, and a thread asleep in the overseer costs no CPU (the CPU column is the
/// calling thread's alone). The counter `episodes/s` is episodes over wall time.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "aida/aida.hpp"
#include "aida/nn/nn.hpp"
#include "support/sleepy_overseer.hpp"

namespace {

using S = std::string;

using aida_bench::sleepy_overseer;

/// A model that costs almost nothing: answers "0" (and the move "=0").
struct cheap_model {
  static constexpr bool concurrent_inference = true;
  S predict(const S& q) const { return q; }
  double log_prob(const S&, const S&) const { return -1.0; }
  template <class R>
  S sample(const S& o, R&) const { return greedy(o); }
  S greedy(const S& o) const { return !o.empty() && (o[0] == '^' || o[0] == '&') ? "=0" : "0"; }
  double train_step(std::span<const aida::model_target<S, S>>) { return 0.5; }
};

struct cheap_adversary {
  static constexpr bool concurrent_inference = true;
  double score(const S& q, const S&) const { return -static_cast<double>(q.size() % 5); }
  double train_step(std::span<const aida::adversary_target<S, S>>) { return 0.5; }
};

/// A reference learner whose updates do nothing (the collection alone).
template <class Base>
struct frozen : Base {
  using Base::Base;
  double train_step(std::span<const typename Base::target_type>) { return 0.5; }
};

struct no_evaluation {
  double accuracy(const std::function<S(const S&)>&) const { return 0; }
};

aida::train_options options(std::size_t threads, std::size_t steps = 4, std::size_t episodes = 8) {
  aida::train_options opt;
  opt.threads = threads;
  opt.steps = steps;
  opt.episodes_per_step = episodes;
  opt.eval_every = 1000;  // one evaluation, after the last step: of nothing
  opt.iterate = false;    // H everywhere: every episode calls the overseer
  return opt;
}

void report(benchmark::State& state, std::size_t episodes) {
  state.counters["episodes/s"] = benchmark::Counter(static_cast<double>(episodes), benchmark::Counter::kIsRate);
}

void BM_SlowOverseer(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  const aida::tasks::sum_task task;
  auto generator = task.generator(8);
  sleepy_overseer h;
  cheap_model ml;
  cheap_adversary adv;
  no_evaluation ev;
  std::size_t episodes = 0;
  for (auto _ : state) {
    aida::sampler rng(1);  // every iteration, and both thread counts, collect the same episodes
    const auto end = aida::train(generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, options(threads));
    episodes += end.episodes;
  }
  report(state, episodes);
}
BENCHMARK(BM_SlowOverseer)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The GRU pair on `sum` (2-digit questions): ML of width `hidden` and its adversary.
template <class M, class V>
struct gru_pair {
  aida::tasks::sum_task task;
  decltype(task.generator(2)) generator = task.generator(2);
  decltype(task.overseer()) h = task.overseer();
  M ml;
  V adv;
  explicit gru_pair(std::size_t hidden) : ml(ml_config(task, hidden)), adv(adv_config(task, ml.output_size())) {}

  /// `train` from seed 1 with `opt`: the same episodes each time for models in the same state.
  aida::train_state train(const aida::train_options& opt) {
    aida::sampler rng(1);
    no_evaluation ev;
    return aida::train(generator, h, ml, adv, task.codec(), aida::gumbel_argmin{0.3}, ev, rng, opt);
  }

 private:
  static aida::nn::char_model_config ml_config(const aida::tasks::sum_task& task, std::size_t hidden) {
    aida::nn::char_model_config mc;
    mc.charset = task.charset();
    mc.hidden = hidden;
    mc.max_answer_length = 8;
    mc.seed = 1;
    return mc;
  }
  static aida::nn::adversary_config adv_config(const aida::tasks::sum_task& task, std::size_t output_size) {
    aida::nn::adversary_config ac;
    ac.charset = task.charset();
    ac.model_output_size = output_size;
    ac.seed = 2;
    return ac;
  }
};

template <class M, class V>
void gru(benchmark::State& state) {
  const auto threads = static_cast<std::size_t>(state.range(0));
  const auto steps = static_cast<std::size_t>(state.range(1));
  const auto per_step = static_cast<std::size_t>(state.range(2));
  gru_pair<M, V> pair(64);
  std::size_t episodes = 0;
  for (auto _ : state) episodes += pair.train(options(threads, steps, per_step)).episodes;
  report(state, episodes);
}

void BM_GruCollect(benchmark::State& state) {
  gru<frozen<aida::nn::char_model>, frozen<aida::nn::adversary_model>>(state);
}
// Arguments: threads, steps of each train call, episodes a step. With 32 steps the start of the
// worker, and its first use of a tape of its own, weigh 8 times less per episode; with 64
// episodes a step the hand-offs between the threads at the start and end of each step do.
BENCHMARK(BM_GruCollect)
    ->Args({1, 4, 8})
    ->Args({2, 4, 8})
    ->Args({1, 32, 8})
    ->Args({2, 32, 8})
    ->Args({1, 4, 64})
    ->Args({2, 4, 64})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_GruStep(benchmark::State& state) { gru<aida::nn::char_model, aida::nn::adversary_model>(state); }
BENCHMARK(BM_GruStep)->Args({1, 4, 8})->Args({2, 4, 8})->UseRealTime()->Unit(benchmark::kMillisecond);

// New snapshots of ML and the adversary, as `aida::train` takes before each step of a learner
// that is aida::Restorable but not aida::SnapshotInto, so that a step that fails puts them back
// (a copy of the parameters and of Adam's moments),
// for the GRU pair of width 64 (GruStep's) and 96 (the experiment's), after a step of training
// so that Adam's moments exist. One iteration is both snapshots: the cost a step pays for them.
void BM_GruSnapshot(benchmark::State& state) {
  gru_pair<aida::nn::char_model, aida::nn::adversary_model> pair(static_cast<std::size_t>(state.range(0)));
  pair.train(options(1, 1, 8));
  for (auto _ : state) {
    auto ml_before = pair.ml.snapshot();
    auto adv_before = pair.adv.snapshot();
    benchmark::DoNotOptimize(ml_before);
    benchmark::DoNotOptimize(adv_before);
  }
}
BENCHMARK(BM_GruSnapshot)->Arg(64)->Arg(80)->Arg(96)->Arg(128)->Unit(benchmark::kMicrosecond);

// What `train` does since it keeps the snapshots from step to step (aida::SnapshotInto): both
// learners' snapshots taken into the storage of the last ones, no allocation.
void BM_GruSnapshotInto(benchmark::State& state) {
  gru_pair<aida::nn::char_model, aida::nn::adversary_model> pair(static_cast<std::size_t>(state.range(0)));
  pair.train(options(1, 1, 8));
  auto ml_before = pair.ml.snapshot();
  auto adv_before = pair.adv.snapshot();
  for (auto _ : state) {
    pair.ml.snapshot_into(ml_before);
    pair.adv.snapshot_into(adv_before);
    benchmark::DoNotOptimize(ml_before);
    benchmark::DoNotOptimize(adv_before);
  }
}
BENCHMARK(BM_GruSnapshotInto)->Arg(64)->Arg(80)->Arg(96)->Arg(128)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
