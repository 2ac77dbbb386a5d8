#!/bin/sh
# CPU time per `amplify_into` episode of bench_recursion's O(1) doubles, for two source trees
# run by turns: the way to compare two versions of the recursion in time on a machine whose
# timings spread (benchmarks/README.md, "k-ary splits"). Each tree's amplify_driver.cpp is
# built with the bench preset's flags (-O3, -march=native); then, ROUNDS times (default 7),
# each entry runs a fixed number of episodes (about a second) in one tree's driver and then in
# the other's. Prints per entry the median and fastest ns per episode of each tree and their
# ratios (second / first): the process's CPU time, so time the process waits is not counted.
#
#   benchmarks/amplify_time.sh first-tree [second-tree (default: this one)] [rounds]
#
# e.g. `git worktree add /tmp/old 2665213 && benchmarks/amplify_time.sh /tmp/old`. Extra
# compiler flags for both builds in AIDA_TIME_FLAGS (-DAIDA_MAX_SUBQUESTIONS=2, say). Needs g++
# and Google Benchmark's headers.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 first-tree [second-tree] [rounds]" >&2; exit 2; }
first=$(cd "$1" && pwd)
second=$(cd "${2:-$(dirname "$here")}" && pwd)
rounds=${3:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() {  # tree, output
  # shellcheck disable=SC2086  # AIDA_TIME_FLAGS is a list of flags
  g++ -std=gnu++20 -O3 -DNDEBUG -march=native -DBOOST_ALL_NO_LIB -isystem /usr/include/eigen3 \
      -DAIDA_RECURSION_SOURCE="\"$1/benchmarks/bench_recursion.cpp\"" ${AIDA_TIME_FLAGS:-} \
      -I"$1/include" -I"$1/benchmarks" "$here/amplify_driver.cpp" -o "$2" -lbenchmark
}
build "$first" "$work/first" &
build "$second" "$work/second"
wait $!

for r in $(seq "$rounds"); do
  for entry in recurse_all/4:500000 recurse_all/10:6000 recurse_all/16:80 gumbel_argmin/16:400000 uniform_one/16:500000; do
    for which in first second; do
      t=$("$work/$which" "${entry%%:*}" "${entry#*:}" time)  # a failing driver stops the script (set -e)
      echo "${entry%%:*} $which $t"
    done
  done
done >"$work/times"

# median and minimum per entry and tree, then the ratios
sort -k1,1 -k2,2 -k3,3g "$work/times" | awk '
  { key = $1 " " $2; v[key, ++n[key]] = $3 }
  END {
    for (key in n) {
      m = n[key]
      med[key] = (m % 2) ? v[key, (m + 1) / 2] : (v[key, m / 2] + v[key, m / 2 + 1]) / 2
      lo[key] = v[key, 1]
    }
    printf "%-18s %12s %12s %12s %12s %8s %8s\n", "entry", "first med", "first min", "second med", "second min", "med", "min"
    split("recurse_all/4 recurse_all/10 recurse_all/16 gumbel_argmin/16 uniform_one/16", es, " ")
    for (i = 1; i <= 5; ++i) {
      f = es[i] " first"; s = es[i] " second"
      printf "%-18s %12.0f %12.0f %12.0f %12.0f %8.3f %8.3f\n", es[i], med[f], lo[f], med[s], lo[s],
             med[s] / med[f], lo[s] / lo[f]
    }
  }'
