// The fused multi-head attention of nn/attention.hpp at Transformer-training shapes
// (batch 32, 48 queries and 48 keys per sequence, width 128, 4 heads), every key real:
// forward alone (inference: no probabilities kept) and forward + backward to q, k and v.
// The argument is `causal` (0: padded-batch attention, 1: causal self-attention).
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIDA_BUILD_BENCHMARKS=ON
//   ninja -C build-bench bench_attention
//   ./build-bench/benchmarks/bench_attention --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "aida/nn/attention.hpp"

namespace nn = aida::nn;

namespace {

constexpr Eigen::Index batch = 32, steps = 48, width = 128;
constexpr std::int32_t heads = 4;

void BM_attention_forward(benchmark::State& state) {
  const bool causal = state.range(0) != 0;
  const nn::tensor q = nn::tensor::Random(batch * steps, width), k = nn::tensor::Random(batch * steps, width),
                   v = nn::tensor::Random(batch * steps, width);
  const std::vector<std::int32_t> lengths(batch, steps);
  nn::tape t;
  for (auto _ : state) {
    nn::tape_scope scope(t);
    const auto y = nn::attention(t.view(q), t.view(k), t.view(v), heads, lengths, causal);
    benchmark::DoNotOptimize(y.value().data());
  }
}
BENCHMARK(BM_attention_forward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_attention_forward_backward(benchmark::State& state) {
  const bool causal = state.range(0) != 0;
  nn::parameter q(batch * steps, width), k(batch * steps, width), v(batch * steps, width);
  q.value = nn::tensor::Random(batch * steps, width);
  k.value = nn::tensor::Random(batch * steps, width);
  v.value = nn::tensor::Random(batch * steps, width);
  const std::vector<std::int32_t> lengths(batch, steps);
  nn::tape t;
  for (auto _ : state) {
    nn::tape_scope scope(t);
    const auto y = nn::attention(t.param(q), t.param(k), t.param(v), heads, lengths, causal);
    t.backward(nn::sum(y));
    benchmark::DoNotOptimize(q.grad.data());
  }
}
BENCHMARK(BM_attention_forward_backward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
