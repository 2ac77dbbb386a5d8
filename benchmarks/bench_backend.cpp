// The reference backend's speed: one training step of ML (forward, backward, Adam) at the
// shapes of the backend issue (vocabulary 64, embedding 64, hidden 128, batch 32, question
// and answer length 24), the latency of predict + score for one question, and the fused
// GRU alone, so that a regression can be located.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIDA_BUILD_BENCHMARKS=ON
//   ninja -C build-bench bench_backend
//   ./build-bench/benchmarks/bench_backend --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "aida/core/sampler.hpp"
#include "aida/nn/adversary_model.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/gru.hpp"

namespace nn = aida::nn;

namespace {

constexpr std::size_t batch_size = 32, length = 24;

// 64 characters: letters, digits, '+' and '-'.
std::string charset64() {
  std::string s;
  for (char c = 'a'; c <= 'z'; ++c) s += c;
  for (char c = 'A'; c <= 'Z'; ++c) s += c;
  for (char c = '0'; c <= '9'; ++c) s += c;
  return s + "+-";
}

std::string random_string(aida::sampler& rng, const std::string& charset, std::size_t n) {
  std::string s(n, ' ');
  for (char& c : s) c = charset[rng.below(charset.size())];
  return s;
}

nn::char_model_config issue_shapes() {
  nn::char_model_config c;
  c.charset = charset64();
  c.embedding = 64;
  c.hidden = 128;
  c.max_answer_length = length;
  return c;
}

void BM_CharModelTrainStep(benchmark::State& state) {
  nn::char_model m(issue_shapes());
  aida::sampler rng(1);
  std::vector<aida::model_target<std::string, std::string>> batch;
  for (std::size_t i = 0; i < batch_size; ++i)
    batch.push_back({random_string(rng, m.config().charset, length), random_string(rng, m.config().charset, length)});
  for (auto _ : state) benchmark::DoNotOptimize(m.train_step(batch));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_size));
}
BENCHMARK(BM_CharModelTrainStep)->Unit(benchmark::kMillisecond);

void BM_PredictAndScore(benchmark::State& state) {
  nn::char_model m(issue_shapes());
  nn::adversary_config ac;
  ac.charset = m.config().charset;
  ac.model_output_size = m.output_size();
  nn::adversary_model adv(ac);
  aida::sampler rng(2);
  const std::string q = random_string(rng, m.config().charset, length);
  for (auto _ : state) {
    const auto o = m.predict(q);
    benchmark::DoNotOptimize(adv.score(q, o));
  }
}
BENCHMARK(BM_PredictAndScore)->Unit(benchmark::kMicrosecond);

// What record_target does for each training target: predict, log_prob, score.
void BM_PredictLogProbScore(benchmark::State& state) {
  nn::char_model m(issue_shapes());
  nn::adversary_config ac;
  ac.charset = m.config().charset;
  ac.model_output_size = m.output_size();
  nn::adversary_model adv(ac);
  aida::sampler rng(3);
  const std::string q = random_string(rng, m.config().charset, length), a = random_string(rng, m.config().charset, length);
  for (auto _ : state) {
    const auto o = m.predict(q);
    benchmark::DoNotOptimize(m.log_prob(o, a));
    benchmark::DoNotOptimize(adv.score(q, o));
  }
}
BENCHMARK(BM_PredictLogProbScore)->Unit(benchmark::kMicrosecond);

void BM_Greedy(benchmark::State& state) {
  nn::char_model m(issue_shapes());
  aida::sampler rng(4);
  const auto o = m.predict(random_string(rng, m.config().charset, length));
  for (auto _ : state) benchmark::DoNotOptimize(m.greedy(o));
}
BENCHMARK(BM_Greedy)->Unit(benchmark::kMicrosecond);

// The fused GRU over 24 steps of a batch of 32 (hidden 128): forward, and forward + backward.
void BM_GruSequence(benchmark::State& state) {
  const bool backward = state.range(0) != 0;
  aida::sampler rng(5);
  auto p = nn::make_gru(64, 128, rng);
  nn::tape t;
  const nn::tensor x = nn::tensor::Random(static_cast<Eigen::Index>(batch_size * length), 3 * 128);
  const nn::tensor h0 = nn::tensor::Zero(batch_size, 128);
  for (auto _ : state) {
    nn::tape_scope scope(t);
    const auto y = nn::gru_sequence(backward ? t.input(x) : t.constant(x), t.constant(h0), t.param(p.w_hh), t.param(p.b_hh));
    if (backward) t.backward(nn::sum(y));
    benchmark::DoNotOptimize(y.value().data());
  }
}
BENCHMARK(BM_GruSequence)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
