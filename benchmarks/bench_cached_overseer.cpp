/// \file
/// What a cached overseer costs per decision: a direct call to `aida::tasks::sum_overseer`
/// (the baseline, an overseer that costs almost nothing), and `aida::cached_overseer` over it
/// with `aida::memory_cache` and, when the `aida::sqlite` component is built,
/// `aida::sqlite_cache`, each on a hit and on a miss. A miss is the lookup, H's decision and
/// the store; for SQLite the store is a committed transaction, measured with
/// `synchronous=NORMAL` (the default: survives a killed process) and `FULL` (an fsync per
/// commit: survives a power cut).
///
/// The decision is `fan_out` of a 16-digit question (a split into two 8-digit halves), so a
/// key is 20 bytes and a value 21. Hits cycle through 1024 stored questions; misses take a
/// new question each iteration (the store grows as the benchmark runs). Times are wall-clock
/// (`UseRealTime`): an SQLite commit waits for the file system, which CPU time would not show.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "aida/overseers/cached.hpp"
#include "aida/tasks/sum.hpp"
#ifdef AIDA_BENCH_SQLITE
#include "aida/ext/sqlite_cache.hpp"
#endif

namespace {

/// The 16-digit question number `i` (distinct for distinct i).
std::string question(std::uint64_t i) {
  std::string q = std::to_string(i);
  return std::string(16 - q.size(), '0') + q;
}

std::vector<std::string> questions(std::size_t n) {
  std::vector<std::string> qs;
  for (std::size_t i = 0; i < n; ++i) qs.push_back(question(i * 7919 + 1));
  return qs;
}

void BM_Direct(benchmark::State& state) {
  const aida::tasks::sum_overseer h;
  const auto qs = questions(1024);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(h.fan_out(qs[i++ & 1023]));
}
BENCHMARK(BM_Direct)->UseRealTime();

template <class Store>
void hits(benchmark::State& state, Store& store) {
  aida::tasks::sum_overseer h;
  aida::cached_overseer cache(h, store);
  const auto qs = questions(1024);
  for (const auto& q : qs) (void)cache.fan_out(q);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cache.fan_out(qs[i++ & 1023]));
  if (cache.usage().hits.fan_out != i) state.SkipWithError("not every lookup was a hit");
}

template <class Store>
void misses(benchmark::State& state, Store& store) {
  aida::tasks::sum_overseer h;
  aida::cached_overseer cache(h, store);
  std::uint64_t i = 1'000'000'000;  // not among the hit benchmarks' questions
  for (auto _ : state) benchmark::DoNotOptimize(cache.fan_out(question(i++)));
  if (cache.usage().hits.fan_out != 0) state.SkipWithError("a lookup hit");
}

void BM_MemoryHit(benchmark::State& state) {
  aida::memory_cache store;
  hits(state, store);
}
BENCHMARK(BM_MemoryHit)->UseRealTime();

void BM_MemoryMiss(benchmark::State& state) {
  aida::memory_cache store;
  misses(state, store);
}
BENCHMARK(BM_MemoryMiss)->UseRealTime();

#ifdef AIDA_BENCH_SQLITE
/// A fresh cache file in a directory of its own, removed at the end.
struct temp_file {
  std::filesystem::path dir;
  temp_file() {
    dir = std::filesystem::temp_directory_path() / ("aida_bench_cache_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~temp_file() { std::filesystem::remove_all(dir); }
  [[nodiscard]] std::string path() const { return (dir / "cache.sqlite").string(); }
};

void BM_SqliteHit(benchmark::State& state) {
  temp_file f;
  aida::sqlite_cache store(f.path());
  hits(state, store);
}
BENCHMARK(BM_SqliteHit)->UseRealTime();

void BM_SqliteMiss(benchmark::State& state) {
  temp_file f;
  aida::sqlite_cache_options o;
  o.path = f.path();
  o.synchronous = state.range(0) ? aida::sqlite_sync::full : aida::sqlite_sync::normal;
  aida::sqlite_cache store(o);
  misses(state, store);
  state.SetLabel(state.range(0) ? "synchronous=FULL" : "synchronous=NORMAL");
}
BENCHMARK(BM_SqliteMiss)->Arg(0)->Arg(1)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();
