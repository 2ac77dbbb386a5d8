// The reference Transformer's speed (aida::nn::transformer_model, issue 10 "Benchmarks"),
// at the shapes that compare_pytorch.py mirrors with torch.nn.Transformer:
//
//   BM_TransformerTrainStep  one train_step (forward, backward, clipping at 1, Adam) of a
//                            batch of 32: vocabulary 64 (+ start/end), d_model 128, 4 heads,
//                            2 encoder + 2 decoder layers, feed-forward 512, questions of 48
//                            and answers of 16 characters, teacher forced.
//   BM_TransformerDecode     one question of 24 characters: predict (the encoder) + greedy
//                            decoding (KV cache) of exactly 8 characters. The output layer's
//                            end-token bias is set to -1e4 first so that the untrained model
//                            never stops early (max_answer_length = 8 stops it at 8); the
//                            benchmark fails if the answer is not 8 characters long.
//
// Both report `allocs` and `alloc_bytes`: heap allocations (through operator new) per
// iteration (support/alloc_counter.hpp). Eigen's own GEMM buffers use malloc and are not counted.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-march=native
//     -DAIDA_BUILD_BENCHMARKS=ON -DAIDA_BUILD_TESTS=OFF -DAIDA_BUILD_EXAMPLES=OFF  (one line)
//   ninja -C build-bench bench_transformer
//   ./build-bench/benchmarks/bench_transformer --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   python3 benchmarks/compare_pytorch.py --model transformer --aida-binary build-bench/benchmarks/bench_transformer
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "aida/core/sampler.hpp"
#include "aida/nn/transformer_model.hpp"
#include "support/alloc_counter.hpp"

namespace nn = aida::nn;

namespace {

constexpr std::size_t batch_size = 32, question_length = 48, answer_length = 16;
constexpr std::size_t decode_question_length = 24, decode_length = 8;

// 64 characters: letters, digits, '+' and '-' (as bench_backend).
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

nn::transformer_config issue_shapes() {
  nn::transformer_config c;
  c.charset = charset64();
  c.width = 128;
  c.heads = 4;
  c.encoder_layers = 2;
  c.decoder_layers = 2;
  c.feed_forward = 512;
  c.clip = 1.0f;
  return c;
}

void BM_TransformerTrainStep(benchmark::State& state) {
  nn::transformer_model m(issue_shapes());
  aida::sampler rng(1);
  std::vector<aida::model_target<std::string, std::string>> batch;
  for (std::size_t i = 0; i < batch_size; ++i)
    batch.push_back({random_string(rng, m.config().charset, question_length),
                     random_string(rng, m.config().charset, answer_length)});
  benchmark::DoNotOptimize(m.train_step(batch));  // warm-up: the tape's arena grows
  const auto before = aida_bench::allocations();
  const auto bytes_before = aida_bench::allocated_bytes();
  for (auto _ : state) benchmark::DoNotOptimize(m.train_step(batch));
  state.counters["allocs"] =
      static_cast<double>(aida_bench::allocations() - before) / static_cast<double>(state.iterations());
  state.counters["alloc_bytes"] =
      static_cast<double>(aida_bench::allocated_bytes() - bytes_before) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch_size));
}
BENCHMARK(BM_TransformerTrainStep)->Unit(benchmark::kMillisecond);

void BM_TransformerDecode(benchmark::State& state) {
  auto cfg = issue_shapes();
  cfg.max_answer_length = decode_length;
  nn::transformer_model m(cfg);
  // The end token is the output layer's last column: never chosen, so exactly 8 are decoded.
  auto& bias = m.parameters().decoder.output.bias.value;
  bias(0, bias.cols() - 1) = -1e4f;
  aida::sampler rng(2);
  const std::string q = random_string(rng, m.config().charset, decode_question_length);
  if (m.greedy(m.predict(q)).size() != decode_length) {
    state.SkipWithError("greedy did not decode exactly 8 characters");
    return;
  }
  const auto before = aida_bench::allocations();
  const auto bytes_before = aida_bench::allocated_bytes();
  for (auto _ : state) {
    const auto o = m.predict(q);
    benchmark::DoNotOptimize(m.greedy(o));
  }
  state.counters["allocs"] =
      static_cast<double>(aida_bench::allocations() - before) / static_cast<double>(state.iterations());
  state.counters["alloc_bytes"] =
      static_cast<double>(aida_bench::allocated_bytes() - bytes_before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_TransformerDecode)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
