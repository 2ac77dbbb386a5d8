/// \file
/// Checkpoint and .npy costs at the benchmark shapes of the reference model (vocabulary
/// 95 printable characters, embedding 64, hidden 128; ML and its Adam state): saving to
/// and loading from memory (so the disk is not timed), the CRC-32 alone, and .npy export
/// of a tensor. Bytes per second are reported, so the figures compare across sizes.

#include <benchmark/benchmark.h>

#include <sstream>
#include <string>

#include "aida/ext/xtensor.hpp"
#include "aida/nn/char_model.hpp"
#include "aida/nn/checkpoint.hpp"

namespace {

aida::nn::char_model benchmark_model() {
  aida::nn::char_model_config cfg;  // defaults: printable ASCII, embedding 64, hidden 128
  cfg.seed = 1;
  return aida::nn::char_model(cfg);
}

void BM_SaveCheckpoint(benchmark::State& state) {
  auto ml = benchmark_model();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::ostringstream os(std::ios::binary);
    aida::nn::save_checkpoint(os, ml);
    bytes = os.str().size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["file_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SaveCheckpoint)->Unit(benchmark::kMillisecond);

void BM_LoadCheckpoint(benchmark::State& state) {
  auto ml = benchmark_model();
  std::ostringstream os(std::ios::binary);
  aida::nn::save_checkpoint(os, ml);
  const std::string bytes = os.str();
  for (auto _ : state) {
    std::istringstream is(bytes, std::ios::binary);
    aida::nn::load_checkpoint(is, ml);  // read, check both CRCs, stage, swap in
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_LoadCheckpoint)->Unit(benchmark::kMillisecond);

void BM_Crc32(benchmark::State& state) {
  const std::string data(static_cast<std::size_t>(state.range(0)), '\x5a');
  for (auto _ : state) benchmark::DoNotOptimize(aida::nn::detail::crc32(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * state.range(0)));
}
BENCHMARK(BM_Crc32)->Arg(1 << 20);

void BM_NpyExport(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  const aida::nn::tensor t = aida::nn::tensor::Random(n, n);
  for (auto _ : state) benchmark::DoNotOptimize(aida::ext::to_npy(t));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * n * n * 4);
}
BENCHMARK(BM_NpyExport)->Arg(512);

}  // namespace

BENCHMARK_MAIN();
