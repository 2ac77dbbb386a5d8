#!/usr/bin/env bash
# An experiment stopped part-way keeps the runs it finished: starts one with three runs one at a
# time, stops it (SIGTERM) once it has announced its first run, and checks that runs.csv and
# curves.csv hold every run it announced (and answers.csv agrees with runs.csv), and that --from
# makes the table of the saved curves.
#   check_saved_runs.sh <experiment> <out-dir> <check_answers.cmake>
set -u
experiment=$1 out=$2 check_answers=$3
fail() { echo "check_saved_runs: $*" >&2; [ -f "$out.log" ] && sed 's/^/  | /' "$out.log" >&2; exit 1; }
rm -rf "$out" "$out.log" "$out-from"
"$experiment" --task sum --difficulty 3 --methods plain --seeds 3 --jobs 1 --budget 3000 --steps 20 \
  --validation 10 --test 20 --eval-every 10 --out "$out" >"$out.log" 2>&1 &
pid=$!
for _ in $(seq 1 6000); do  # at most 10 minutes
  grep -q "seed 1: " "$out.log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
grep -qF "each run's results are saved in $out as soon as it ends" "$out.log" || fail "the experiment did not say that it saves each run"
grep -q "seed 1: " "$out.log" || fail "the experiment ended without announcing a run"
grep -q "total wall time" "$out.log" && fail "the experiment finished before it was stopped: the check proves nothing"
announced=$(grep -c "counts: " "$out.log")
[ -f "$out/runs.csv" ] || fail "no runs.csv after $announced announced run(s)"
saved=$(($(wc -l <"$out/runs.csv") - 1))
# A run is saved before it is announced: a stop between the two leaves one more saved.
if [ "$saved" -lt "$announced" ] || [ "$saved" -gt $((announced + 1)) ] || [ "$saved" -ge 3 ]; then
  fail "runs.csv holds $saved run(s); $announced were announced, of 3"
fi
for seed in $(sed -n 's/^ *plain *seed \([0-9]*\): .*/\1/p' "$out.log"); do
  grep -q "^sum,plain,[^,]*,$seed," "$out/runs.csv" || fail "announced run plain seed $seed is not in runs.csv"
  grep -q "^sum,plain,$seed,[0-9]*,[0-9]*,.*" "$out/curves.csv" || fail "announced run plain seed $seed has no curve in curves.csv"
done
cmake -DDIR="$out" -DTEST_SIZE=20 -P "$check_answers" || fail "answers.csv disagrees with runs.csv"
"$experiment" --from "$out/curves.csv" --out "$out-from" >"$out-from.log" 2>&1 || fail "--from on the saved curves failed: $(cat "$out-from.log")"
grep -q "^plain " "$out-from.log" || fail "--from on the saved curves shows no row for plain"
echo "check_saved_runs: $saved of 3 runs saved when stopped after $announced announced"
