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

# The driver (amplify_driver.cpp) with the flags of the bench preset, but for the vector
# width: valgrind 3.19 cannot run AVX-512 instructions, so x86-64-v3 (AVX2) in place of
# -march=native. (amplify_time.sh times the -march=native build.)
g++ -std=gnu++20 -O3 -DNDEBUG -march=x86-64-v3 -DBOOST_ALL_NO_LIB -isystem /usr/include/eigen3 \
    -DAIDA_RECURSION_SOURCE="\"$tree/benchmarks/bench_recursion.cpp\"" \
    -I"$tree/include" -I"$tree/benchmarks" "$@" "$here/amplify_driver.cpp" -o "$work/driver" -lbenchmark

count() {  # entry, episodes -> instructions of the whole run
  if ! valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null --error-exitcode=3 \
      "$work/driver" "$1" "$2" >"$work/out" 2>&1; then
    cat "$work/out" >&2
    echo "amplify_instructions.sh: the driver failed under valgrind on $1" >&2
    exit 1
  fi
  sed -n 's/.*I *refs: *//p' "$work/out" | tr -d ,
}

n=2000
for entry in recurse_all/4 recurse_all/10 gumbel_argmin/16 uniform_one/16; do
  none=$(count "$entry" 0)
  many=$(count "$entry" $n)
  echo "$entry $(( (many - none) / n ))"
done
