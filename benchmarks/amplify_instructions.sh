#!/bin/sh
# Instructions per `amplify_into` episode of bench_recursion's O(1) doubles, counted by
# valgrind's cachegrind: deterministic, so that two versions of the recursion can be compared
# to a fraction of a percent on a machine whose timings spread ±10% (benchmarks/README.md,
# "k-ary splits").
#
#   benchmarks/amplify_instructions.sh [source-tree] [extra compiler flags...]
#
# source-tree (default: this one) is any checkout of aida, e.g. an older commit's
# (`git worktree add /tmp/old <commit>`): the driver includes that tree's
# benchmarks/bench_recursion.cpp for its doubles, so it compiles against either API of splits.
# Extra flags go to the compiler (-DAIDA_MAX_SUBQUESTIONS=2, say). Prints one line per entry:
# the policy and depth, then instructions per episode (the episodes' count minus a run of none,
# divided by their number). Needs g++, Google Benchmark's headers and valgrind.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "${1:-$(dirname "$here")}" && pwd)
[ $# -gt 0 ] && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/driver.cpp" <<EOF
// bench_recursion.cpp without its main: its doubles and policies, driven episode by episode.
#include <benchmark/benchmark.h>
#undef BENCHMARK_MAIN
#define BENCHMARK_MAIN() [[maybe_unused]] static int unused_main_() { return 0; }
#include "$tree/benchmarks/bench_recursion.cpp"
#include <cstdlib>
#include <cstring>

template <class P>
std::uint64_t episodes(const P& policy, unsigned depth, int n) {
  int_model ml;
  int_adversary adv;
  aida::sampler rng(42);
  aida::amplify_options opt;
  opt.max_depth = depth + 1;
  aida::episode_for<int_codec, int_model> ep;
  const tree_overseer h{depth};
  aida::amplify_into(ep, u64{1}, h, ml, adv, int_codec{}, policy, rng, opt);  // warm-up
  std::uint64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    aida::amplify_into(ep, u64{1}, h, ml, adv, int_codec{}, policy, rng, opt);
    sum += *ep.answer;
  }
  return sum;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int n = std::atoi(argv[2]);
  const std::string w = argv[1];
  std::uint64_t r = 0;
  if (w == "recurse_all/4") r = episodes(aida::recurse_all{}, 4, n);
  else if (w == "recurse_all/10") r = episodes(aida::recurse_all{}, 10, n);
  else if (w == "gumbel_argmin/16") r = episodes(aida::gumbel_argmin{.temperature = 1.0}, 16, n);
  else if (w == "uniform_one/16") r = episodes(aida::uniform_one{}, 16, n);
  else return 2;
  return static_cast<int>(r % 2);  // the result is used: nothing is optimised away
}
EOF

# The bench preset's flags (Release, -march=native).
g++ -std=gnu++20 -O3 -DNDEBUG -march=native -DBOOST_ALL_NO_LIB -isystem /usr/include/eigen3 \
    -I"$tree/include" -I"$tree/benchmarks" "$@" "$work/driver.cpp" -o "$work/driver" -lbenchmark

count() {  # entry, episodes -> instructions of the whole run
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$work/driver" "$1" "$2" 2>&1 |
    sed -n 's/.*I *refs: *//p' | tr -d ,
}

n=2000
for entry in recurse_all/4 recurse_all/10 gumbel_argmin/16 uniform_one/16; do
  none=$(count "$entry" 0)
  many=$(count "$entry" $n)
  echo "$entry $(( (many - none) / n ))"
done
