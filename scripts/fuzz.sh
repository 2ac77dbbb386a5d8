#!/usr/bin/env bash
# Builds the fuzz preset (clang, libFuzzer, ASan + UBSan) and runs each fuzz target of
# fuzz/ for SECONDS seconds (default 30) on its seed corpus fuzz/corpus/<target>/, one
# after the other on one core. New corpus entries, logs and crash inputs go to a temporary
# directory, never into the repository. Fails if a target crashes (or a law of its breaks),
# after printing the end of its log and the crash input's path.
#
#   scripts/fuzz.sh [SECONDS]
#
# Environment: AIDA_FUZZ_TARGETS="codec npy" runs only those; AIDA_FUZZ_BUILD_JOBS (default
# 1) is the build's parallelism; AIDA_FUZZ_KEEP=1 keeps the temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]  (SECONDS a positive whole number, default 30)" >&2
  exit 2
fi
targets="${AIDA_FUZZ_TARGETS:-codec checkpoint npy tasks}"

build_start=$SECONDS
cmake --preset fuzz >/dev/null
build_targets=()
for t in $targets; do build_targets+=("fuzz_$t"); done
cmake --build --preset fuzz --parallel "${AIDA_FUZZ_BUILD_JOBS:-1}" --target "${build_targets[@]}"
echo "fuzz: built in $((SECONDS - build_start)) s"

work="$(mktemp -d "${TMPDIR:-/tmp}/aida-fuzz.XXXXXX")"
if [[ "${AIDA_FUZZ_KEEP:-0}" != 1 ]]; then trap 'rm -rf "$work"' EXIT; fi
failed=()
for t in $targets; do
  bin="$PWD/build/fuzz/fuzz/fuzz_$t"
  seeds="$PWD/fuzz/corpus/$t"
  out="$work/$t"
  mkdir -p "$out/corpus" "$out/artifacts"
  dict=()
  if [[ -f "fuzz/$t.dict" ]]; then dict=(-dict="$PWD/fuzz/$t.dict"); fi
  # -jobs=1 -workers=1: one fuzzing process on one core; libFuzzer writes its log to
  # fuzz-0.log in the working directory. New inputs go to the first corpus directory.
  if (cd "$out" && "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -jobs=1 -workers=1 \
        "${dict[@]}" -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" "$seeds" >/dev/null 2>&1); then
    status=ok
  else
    status=FAILED
  fi
  log="$out/fuzz-0.log"
  summary="$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true)"
  runs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -n 1 || true)"
  echo "fuzz_$t: $status, ${runs:-?} executions in ${seconds} s; last: ${summary:-(no status line)}"
  if [[ "$status" != ok ]] || ls "$out/artifacts" | grep -q .; then
    failed+=("$t")
    echo "---- end of fuzz_$t's log ($log) ----"
    tail -n 40 "$log" || true
    for a in "$out"/artifacts/*; do [[ -e "$a" ]] && echo "crash input: $a"; done
    trap - EXIT  # keep the crash inputs
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs and logs kept in $work)" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a crash"
