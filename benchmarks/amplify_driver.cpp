// bench_recursion.cpp's doubles and policies without Google Benchmark's main, driven episode by
// episode, for the scripts that compare versions of the recursion (amplify_instructions.sh,
// amplify_time.sh). AIDA_RECURSION_SOURCE names the bench_recursion.cpp to include, so that
// the driver compiles against the API of splits of whichever source tree it is given.
//
//   driver ENTRY N          runs N episodes (after one warm-up) and prints nothing
//   driver ENTRY N time     the same, then prints the CPU time per episode in ns (the warm-up
//                           not counted)
//
// ENTRY is recurse_all/4, recurse_all/10, recurse_all/16, gumbel_argmin/16 or uniform_one/16.
#include <benchmark/benchmark.h>
#undef BENCHMARK_MAIN
#define BENCHMARK_MAIN() [[maybe_unused]] static int unused_main_() { return 0; }
#include AIDA_RECURSION_SOURCE
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace {

/// N episodes after a warm-up; `cpu` gets the process's CPU time of the N (in clock ticks).
template <class P>
std::uint64_t episodes(const P& policy, unsigned depth, long n, std::clock_t& cpu) {
  int_model ml;
  int_adversary adv;
  aida::sampler rng(42);
  aida::amplify_options opt;
  opt.max_depth = depth + 1;
  aida::episode_for<int_codec, int_model> ep;
  const tree_overseer h{depth};
  aida::amplify_into(ep, u64{1}, h, ml, adv, int_codec{}, policy, rng, opt);  // warm-up
  std::uint64_t sum = 0;
  const std::clock_t start = std::clock();
  for (long i = 0; i < n; ++i) {
    aida::amplify_into(ep, u64{1}, h, ml, adv, int_codec{}, policy, rng, opt);
    sum += *ep.answer;
  }
  cpu = std::clock() - start;
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) return 2;
  const long n = std::atol(argv[2]);
  const std::string w = argv[1];
  std::clock_t cpu = 0;
  std::uint64_t r = 0;
  if (w == "recurse_all/4") r = episodes(aida::recurse_all{}, 4, n, cpu);
  else if (w == "recurse_all/10") r = episodes(aida::recurse_all{}, 10, n, cpu);
  else if (w == "recurse_all/16") r = episodes(aida::recurse_all{}, 16, n, cpu);
  else if (w == "gumbel_argmin/16") r = episodes(aida::gumbel_argmin{.temperature = 1.0}, 16, n, cpu);
  else if (w == "uniform_one/16") r = episodes(aida::uniform_one{}, 16, n, cpu);
  else {
    std::fprintf(stderr, "amplify_driver: no entry '%s'\n", w.c_str());
    return 2;
  }
  if (argc == 4 && n > 0)
    std::printf("%.1f\n", static_cast<double>(cpu) / CLOCKS_PER_SEC * 1e9 / static_cast<double>(n));
  benchmark::DoNotOptimize(r);  // the result is used: nothing is optimised away
  return 0;
}
