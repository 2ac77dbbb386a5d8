#!/bin/sh
# Builds the benchmarks (Release, -march=native, as the `bench` preset) and runs every table
# of benchmarks/README.md with the README's settings, keeping the JSON of each run.
#
#   benchmarks/run_all.sh [build-dir] [output-dir]      (defaults: build-bench, bench-results)
#
# Set SKIP_PYTORCH=1 to skip the PyTorch comparison (it needs python3-torch, see README).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-build-bench}
out=${2:-bench-results}
cd "$root"

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-march=native \
        -DAIDA_BUILD_BENCHMARKS=ON -DAIDA_BUILD_TESTS=OFF -DAIDA_BUILD_EXAMPLES=OFF
fi
ninja -C "$build" bench_recursion bench_tape bench_gemm bench_backend bench_transformer \
  bench_cached_overseer bench_train_threads
# The process overseer's benchmark exists only with the process component (nlohmann/json).
process=0
if ninja -C "$build" -t query bench_process_overseer >/dev/null 2>&1; then
  ninja -C "$build" bench_process_overseer
  process=1
fi
# The MPI benchmark exists only with the mpi component (Open MPI); it runs under mpirun.
mpi=0
if ninja -C "$build" -t query bench_mpi_train >/dev/null 2>&1; then
  ninja -C "$build" bench_mpi_train
  mpi=1
fi

mkdir -p "$out"
b="$build/benchmarks"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
uptime > "$out/$stamp-load.txt"

run() {  # name, binary, extra flags...
  name=$1; shift
  bin=$1; shift
  echo "== $name"
  "$bin" --benchmark_report_aggregates_only=true --benchmark_out="$out/$stamp-$name.json" \
         --benchmark_out_format=json "$@"
}
run recursion "$b/bench_recursion" --benchmark_repetitions=5 --benchmark_min_time=0.2
run tape      "$b/bench_tape"      --benchmark_repetitions=5 --benchmark_min_time=0.1
run gemm      "$b/bench_gemm"      --benchmark_repetitions=3 --benchmark_min_time=0.2

if [ "${SKIP_PYTORCH:-0}" != 1 ]; then
  echo "== PyTorch comparison"
  python3 "$here/compare_pytorch.py" --model all --aida-binary "$b/bench_backend" \
          --transformer-binary "$b/bench_transformer" --rounds 5 --repetitions 5 \
          --min-time 2 --json "$out/$stamp-compare_pytorch.json"
else
  run backend "$b/bench_backend" --benchmark_repetitions=5
  run transformer "$b/bench_transformer" --benchmark_repetitions=5
fi
run cached_overseer "$b/bench_cached_overseer" --benchmark_repetitions=5 --benchmark_min_time=0.2
run train_threads "$b/bench_train_threads" --benchmark_repetitions=10
if [ "$process" = 1 ]; then
  run process_overseer "$b/bench_process_overseer" --benchmark_repetitions=5 --benchmark_min_time=0.5
fi
if [ "$mpi" = 1 ]; then
  # 1 rank, then 2 (the same total episodes a step); --oversubscribe so that 2 ranks run on
  # any machine; Open MPI refuses root unless told.
  for np in 1 2; do
    echo "== mpi_train, $np rank(s)"
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np "$np" --oversubscribe \
      "$b/bench_mpi_train" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
      --benchmark_out="$out/$stamp-mpi_train-np$np.json" --benchmark_out_format=json
  done
fi
uptime >> "$out/$stamp-load.txt"
echo "results in $out/$stamp-*"
