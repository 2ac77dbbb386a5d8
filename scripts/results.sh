#!/usr/bin/env bash
# Re-makes the figures of the README's results from a clean Release build of HEAD, and records
# beside each set of results the command, the commit, the compiler and the machine.
#
#   scripts/results.sh                 every set below (hours: see the times beside each)
#   scripts/results.sh sum sum-tuning  the named sets only
#   scripts/results.sh --list          the sets and their commands
#
# Results go to docs/results/<set>/ (or $AIDA_RESULTS/<set>/). The build is made in a
# temporary directory from a clean checkout of HEAD (`git worktree`), so that uncommitted
# changes cannot leak into recorded figures; a dirty tree (but for docs/results) is refused unless
# AIDA_ALLOW_DIRTY=1 (then the figures are marked as made from a dirty tree).
# The whole script is one block, which bash reads to its end before it runs any of it: a set
# runs for hours, and bash reads a script as it goes, so an edit made meanwhile once ran as the
# script's tail (it began the set again and deleted the folder just written).
{
set -euo pipefail
trap 'echo "results.sh: stopped: line $LINENO failed: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."
root=$(pwd)
out_root=${AIDA_RESULTS:-$root/docs/results}

# name | CPU time on this project's 2-core machine | experiment arguments
sets=(
  # The table: fresh seeds, every method, test accuracy. sum at 4 digits (the experiment's
  # default): 3 digits have too few questions to hold out a test set and still generalise.
  "sum|75 min|--task sum --methods all --seed 101 --seeds 3 --budget 40000 --eval-every 50 --levels 0.5,0.7"
  # Two more fresh seeds for the headline ratio (post against plain: five seeds with the above).
  "sum-seeds-104-105|12 min|--task sum --methods post,plain --seed 104 --seeds 2 --budget 40000 --eval-every 50 --levels 0.5,0.7"
  # H′ with the arg-min alone (no adversarial source, no distillation), and with uniform
  # choice, against plain IDA on five fresh seeds: the probe on tuning seeds 1-2
  # (docs/results/probes/sum-4-hprime-argmin-alone) found 0.79x plain's calls to 70%.
  # Its first half, on three fresh seeds (what one session's spare CPU allowed).
  "sum-hprime-alone-3|10 min|--task sum --methods argmin:Hp:plain:0,plain --seed 101 --seeds 3 --budget 40000 --eval-every 50 --levels 0.5,0.7"
  "sum-hprime-alone|26 min|--task sum --methods argmin:Hp:plain:0,uniform:Hp:plain:0,plain --seed 101 --seeds 5 --budget 40000 --eval-every 50 --levels 0.5,0.7"
  # H′ with uniform choice alone against plain IDA on five more fresh seeds (106-110), after a
  # sweep of H′'s c on tuning seeds 1-3 (docs/results/probes/sum-4-hprime-uniform-c-sweep)
  # chose the default c = -0.03 on the validation curves.
  "sum-hprime-alone-106-110|15 min|--task sum --methods uniform:Hp:plain:0,plain --seed 106 --seeds 5 --budget 40000 --eval-every 50 --levels 0.5,0.7"
  # k-ary splits: H splits a sum into up to four parts (--parts 4), post against plain on five
  # fresh seeds, after the probe on tuning seeds 1-3 (docs/results/probes/sum-4-parts-4).
  "sum-parts-4|40 min|--task sum --parts 4 --methods post,plain --seed 101 --seeds 5 --budget 40000 --eval-every 50 --levels 0.5,0.7"
  # The first lookup task with IDA: permutation at difficulty 2 (k in 2-3), Transformer pair,
  # post against plain on five fresh seeds. Budget (100,000 calls) and levels (60%: where plain
  # IDA levelled off; 90%) chosen from a pilot on tuning seed 1
  # (docs/results/probes/permutation-2-pilot).
  "permutation-2|120 min|--task permutation --difficulty 2 --methods post,plain --seed 101 --seeds 5 --budget 100000 --eval-every 100 --levels 0.6,0.9"
  # Which part carries post on permutation-2: post with H' replaced by H, with the plain question
  # source, without distillation, on fresh seeds 101-102 (the arg-min alone was probed on tuning
  # seed 1: docs/results/probes/permutation-2-ablations-seed-1). Compare with post and plain on
  # the same seeds in permutation-2 (same code: only docs changed between the two commits).
  "permutation-2-ablations-101-102|55 min|--task permutation --difficulty 2 --methods post-hprime,post-source,post-distill --seed 101 --seeds 2 --budget 100000 --eval-every 100 --levels 0.6,0.9"
  # post without H' (the one ablation that failed a seed of 101-102) on the other three fresh
  # seeds, so that H''s part is measured on all five.
  "permutation-2-ablations-hprime-103-105|26 min|--task permutation --difficulty 2 --methods post-hprime --seed 103 --seeds 3 --budget 100000 --eval-every 100 --levels 0.6,0.9"
  # post with the plain question source and without distillation on seeds 103-105: with the
  # set of 101-102, each one-factor ablation but post-argmin on all five fresh seeds.
  "permutation-2-ablations-source-distill-103-105|60 min|--task permutation --difficulty 2 --methods post-source,post-distill --seed 103 --seeds 3 --budget 100000 --eval-every 100 --levels 0.6,0.9"
  # post with uniform choice instead of the arg-min on the five fresh seeds: the last of the
  # one-factor ablations (only tuning seed 1 before: docs/results/probes/permutation-2-ablations-seed-1).
  "permutation-2-ablations-argmin-101-105|110 min|--task permutation --difficulty 2 --methods post-argmin --seed 101 --seeds 5 --budget 100000 --eval-every 100 --levels 0.6,0.9"
  # post again on the same five seeds, built for x86-64-v3 like post-argmin's set: the comparison
  # within one build, and how much the rounding of another instruction set moves post's runs.
  "permutation-2-post-v3|60 min|--task permutation --difficulty 2 --methods post --seed 101 --seeds 5 --budget 100000 --eval-every 100 --levels 0.6,0.9"
  # post against plain on ten more fresh seeds (106-115), to see whether five seeds' direction
  # (post reached 95% on 4 of 5, plain on 1 of 5) holds: one build (x86-64-v3 where the CPU has
  # it) for both, and a step cap of 8,000 so that the call budget, not the cap, ends runs with H'
  # (six of them ended at the cap of 4,000 steps with 3-23% of the budget unspent).
  "permutation-2-seeds-106-115|170 min|--task permutation --difficulty 2 --methods post,plain --seed 106 --seeds 10 --budget 100000 --eval-every 100 --levels 0.6,0.9 --steps 8000"
  # Pilots of the other two lookup tasks with IDA, at the experiment's default sizes (wildcard 2
  # wildcards, assignments 1 definition deep), post against plain on tuning seed 1, with the
  # permutation-2 settings: the budget and levels for fresh seeds are to be chosen from these.
  "probes/wildcard-2-pilot|40 min|--task wildcard --difficulty 2 --methods post,plain --seed 1 --seeds 1 --budget 100000 --eval-every 100 --levels 0.6,0.9 --steps 8000"
  "probes/assignments-1-pilot|40 min|--task assignments --difficulty 1 --methods post,plain --seed 1 --seeds 1 --budget 100000 --eval-every 100 --levels 0.6,0.9 --steps 8000"
  # plain on seeds 106-110 beside the set above, which was stopped after post's runs on 106-110
  # (the experiment then ran all of post's seeds before plain's, and 10 seeds of both did not fit
  # the session's CPU; since 01cf7f7 it runs seed by seed): with it, post against plain on five
  # more fresh seeds, the same build and step cap.
  "permutation-2-plain-106-110|30 min|--task permutation --difficulty 2 --methods plain --seed 106 --seeds 5 --budget 100000 --eval-every 100 --levels 0.6,0.9 --steps 8000"
  # assignments (1 definition deep, the experiment's default) with IDA: post against plain on ten
  # fresh seeds. Budget (40,000 calls) and levels (90%, 95%) from the pilot on tuning seed 1
  # (probes/assignments-1-pilot: post reached 98.8% after 6,676 calls, plain 95.4% after 19,200).
  "assignments-1|42 min|--task assignments --difficulty 1 --methods post,plain --seed 101 --seeds 10 --budget 40000 --eval-every 50 --levels 0.9,0.95 --steps 8000"
  # Whether H' carries post's saving on assignments-1 (its steps cost 15.3 calls against plain's
  # 24): post with H instead of H', on the same ten fresh seeds.
  "assignments-1-hprime|20 min|--task assignments --difficulty 1 --methods post-hprime --seed 101 --seeds 10 --budget 40000 --eval-every 50 --levels 0.9,0.95 --steps 8000"
  # The other three one-factor ablations on the same ten fresh seeds (uniform choice for the
  # arg-min, the plain question source, no distillation), runs seed by seed.
  "assignments-1-ablations|75 min|--task assignments --difficulty 1 --methods post-argmin,post-source,post-distill --seed 101 --seeds 10 --budget 40000 --eval-every 50 --levels 0.9,0.95 --steps 8000"
  # The full tree (H on every node) on the same ten fresh seeds.
  "assignments-1-full|24 min|--task assignments --difficulty 1 --methods full --seed 101 --seeds 10 --budget 40000 --eval-every 50 --levels 0.9,0.95 --steps 8000"
  # wildcard at difficulty 1 (one wildcard: a fan-out into two look-ups and a sum, the shape of
  # assignments-1), post against plain on tuning seed 1: at difficulty 2 neither learned in
  # 100,000 calls (probes/wildcard-2-pilot). Budget and levels for fresh seeds are to come from it.
  "probes/wildcard-1-pilot|15 min|--task wildcard --difficulty 1 --methods post,plain --seed 1 --seeds 1 --budget 60000 --eval-every 100 --levels 0.6,0.9 --steps 6000"
  # wildcard at one wildcard with IDA: post against plain on ten fresh seeds. Budget (60,000 calls)
  # and levels (90%, 95%) from the pilot on tuning seed 1 (probes/wildcard-1-pilot: post reached
  # 95% test accuracy after 25,037 calls, plain stayed at 33% for its 60,000). Stopped after seeds
  # 101-107 in its first run (docs/results/wildcard-1/README.md): 149 CPU minutes for 14 runs.
  "wildcard-1|210 min|--task wildcard --difficulty 1 --methods post,plain --seed 101 --seeds 10 --budget 60000 --eval-every 100 --levels 0.9,0.95 --steps 6000"
  # wildcard-1's last three fresh seeds (108-110), post against plain, the same settings and build
  # as the set above (which was stopped after 107): with it, ten fresh seeds.
  "wildcard-1-108-110|67 min|--task wildcard --difficulty 1 --methods post,plain --seed 108 --seeds 3 --budget 60000 --eval-every 100 --levels 0.9,0.95 --steps 6000"
  # supervised* (the reference trained on labels) on assignments-1's ten fresh seeds, the grid's
  # last row: the experiment's default of 8 fresh labels a step, the budget counted in labels.
  "assignments-1-supervised|26 min|--task assignments --difficulty 1 --methods supervised --seed 101 --seeds 10 --budget 40000 --eval-every 50 --levels 0.9,0.95 --steps 8000"
  # The full tree and supervised* on permutation-2's first five fresh seeds, the rows its table
  # lacks; the step cap of the 106-115 set (8,000), which ends supervised*'s runs (8 labels a
  # step) at 64,000 labels, before the budget.
  "permutation-2-full-supervised|63 min|--task permutation --difficulty 2 --methods full,supervised --seed 101 --seeds 5 --budget 100000 --eval-every 100 --levels 0.9,0.95 --steps 8000"
  # supervised* on wildcard-1's first two fresh seeds, the settings of the sets above (a cap of
  # 7,500 steps: the 60,000 labels of the budget at 8 a step): whether the plateau at the best
  # constant answer, where most IDA runs ended, is the learner's own.
  "wildcard-1-supervised|40 min|--task wildcard --difficulty 1 --methods supervised --seed 101 --seeds 2 --budget 60000 --eval-every 100 --levels 0.9,0.95 --steps 7500"
  # wildcard-1 at a budget of 200,000 calls, post against plain on tuning seeds 2-3: most runs of
  # the ten fresh seeds ended their 60,000 calls at the best constant answer's level, and
  # supervised* left it only after about 4,000 steps (wildcard-1-supervised). Whether a larger
  # budget gets both past the plateau, and so which budget a fresh-seed grid of this task needs.
  # A cap of 14,000 steps: post's 200,000 calls at about 16 calls a step.
  "probes/wildcard-1-pilot-200k|90 min|--task wildcard --difficulty 1 --methods post,plain --seed 2 --seeds 2 --budget 200000 --eval-every 200 --levels 0.6,0.9 --steps 14000"
  # post-source and post-distill on seeds 103-105 again, built for x86-64-v3: the set of the same
  # name without -v3 (a baseline build) lost its curves, so the ten-seed grid lacked them.
  "permutation-2-ablations-source-distill-103-105-v3|45 min|--task permutation --difficulty 2 --methods post-source,post-distill --seed 103 --seeds 3 --budget 100000 --eval-every 100 --levels 0.6,0.9"
  # The four one-factor ablations on seeds 106-110, the cap of 8,000 steps of post's and plain's
  # runs on those seeds (permutation-2-seeds-106-115, permutation-2-plain-106-110): with the sets
  # above, every ablation on ten fresh seeds. Seed by seed, so a stopped set holds whole seeds.
  "permutation-2-ablations-106-110|120 min|--task permutation --difficulty 2 --methods post-hprime,post-argmin,post-source,post-distill --seed 106 --seeds 5 --budget 100000 --eval-every 100 --levels 0.9,0.95 --steps 8000"
  # An overseer that errs (README "Bring your own overseer"): post against plain on sum with
  # each of H's answers and splits wrong at rate p (aida::faulty_overseer), the seeds and
  # settings of the table above; p = 0 re-run at the same commit.
  "robust/sum-p00|14 min|--task sum --methods post,plain --seed 101 --seeds 3 --budget 40000 --eval-every 50 --levels 0.5,0.7"
  "robust/sum-p01|13 min|--task sum --methods post,plain --seed 101 --seeds 3 --budget 40000 --eval-every 50 --levels 0.5,0.7 --overseer-error 0.01"
  "robust/sum-p05|10 min|--task sum --methods post,plain --seed 101 --seeds 3 --budget 40000 --eval-every 50 --levels 0.5,0.7 --overseer-error 0.05"
  "robust/sum-p10|7 min|--task sum --methods post,plain --seed 101 --seeds 3 --budget 40000 --eval-every 50 --levels 0.5,0.7 --overseer-error 0.1"
  # Supervised* with the Transformer (labels), one seed a size.
  "transformer-supervised/sum-3|1 min|--model transformer --methods supervised --seeds 1 --replay 0 --labels 64 --batch 64 --curriculum 1 --eval-every 100 --budget 2000000 --task sum --difficulty 3 --steps 4000"
  "transformer-supervised/wildcard-2|10 min|--model transformer --methods supervised --seeds 1 --replay 0 --labels 64 --batch 64 --curriculum 1 --eval-every 100 --budget 2000000 --task wildcard --difficulty 2 --steps 8000"
  "transformer-supervised/assignments-1|10 min|--model transformer --methods supervised --seeds 1 --replay 0 --labels 64 --batch 64 --curriculum 1 --eval-every 100 --budget 2000000 --task assignments --difficulty 1 --steps 8000"
  "transformer-supervised/permutation-4|25 min|--model transformer --methods supervised --seeds 1 --replay 0 --labels 64 --batch 64 --curriculum 1 --eval-every 100 --budget 2000000 --task permutation --difficulty 4 --steps 16000"
)

list() {
  for s in "${sets[@]}"; do
    IFS='|' read -r name time args <<<"$s"
    printf '%-36s %-8s experiment %s --out docs/results/%s\n' "$name" "$time" "$args" "$name"
  done
}
if [ "${1:-}" = "--list" ]; then list; exit 0; fi

wanted=("$@")
for w in "${wanted[@]}"; do
  found=0
  for s in "${sets[@]}"; do [ "${s%%|*}" = "$w" ] && found=1; done
  if [ $found = 0 ]; then echo "results.sh: no set is called '$w'; the sets:" >&2; list >&2; exit 2; fi
done

dirty=""
# Results being re-made (another set of this script, running) are not part of the build.
if [ -n "$(git status --porcelain --untracked-files=no -- . ':!docs/results')" ]; then
  if [ "${AIDA_ALLOW_DIRTY:-0}" != 1 ]; then
    echo "results.sh: the working tree has uncommitted changes; commit them (or AIDA_ALLOW_DIRTY=1)" >&2
    exit 2
  fi
  dirty=" (with uncommitted changes)"
fi
commit=$(git rev-parse HEAD)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
if [ -n "$dirty" ]; then
  cp -r "$root" "$work/src" && rm -rf "$work/src/build"
else
  git worktree add --detach "$work/src" "$commit" >/dev/null
fi
# The instruction set: x86-64-v3 (AVX2, FMA; Haswell and Zen on) where this CPU has it, which
# trains the Transformer about 1.8x faster in CPU time than baseline x86-64 (SSE2); the bits are
# then those of any x86-64-v3 build, not of a baseline one. AIDA_RESULTS_ARCH=x86-64 (or another
# -march level that this compiler knows) chooses; sets built before commit 51fbca6 are baseline
# (their MACHINE.txt).
has_v3() {
  local f
  f=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
  # (LZCNT, also in v3, is on every CPU with AVX2; some virtual machines do not list it.)
  for need in avx avx2 fma bmi1 bmi2 f16c movbe xsave; do
    [[ " $f " == *" $need "* ]] || return 1
  done
}
if [ -n "${AIDA_RESULTS_ARCH:-}" ]; then
  arch=$AIDA_RESULTS_ARCH
elif has_v3; then
  arch=x86-64-v3
else
  arch=x86-64
fi
if ! echo 'int main() { return 0; }' | c++ -march="$arch" -x c++ -fsyntax-only - 2>/dev/null; then
  echo "results.sh: AIDA_RESULTS_ARCH=$arch: the compiler refuses -march=$arch (try x86-64, x86-64-v2, x86-64-v3 or x86-64-v4)" >&2
  exit 2
fi
# g++ 12 warns inside its own AVX intrinsics (system headers, inlined into Eigen's kernels):
# someone else's warnings do not stop the build (as in the bench preset).
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIDA_BUILD_TESTS=OFF \
  -DAIDA_BUILD_BENCHMARKS=OFF \
  "-DCMAKE_CXX_FLAGS=-march=$arch -Wno-error=maybe-uninitialized -Wno-error=uninitialized" >/dev/null
cmake --build "$work/build" --target example_experiment
experiment="$work/build/examples/experiment"

machine() {
  echo "commit: $commit$dirty"
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "compiler: $(c++ --version | head -1)"
  echo "eigen: $(grep -E 'define EIGEN_(WORLD|MAJOR|MINOR)_VERSION' /usr/include/eigen3/Eigen/src/Core/util/Macros.h | awk '{print $3}' | paste -sd.)"
  echo "build: Release (-O3), -march=$arch; GEMM blocking pinned (aida::nn::pin_gemm_blocking)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  # Some virtual machines' lscpu lists no caches: then glibc's view of them, else a note (a
  # grep that matches nothing must not end the script under `set -e`, as it once did).
  local caches
  caches=$(lscpu | grep -E '^L[123][di]? cache' | sed 's/  */ /g' || true)
  [ -n "$caches" ] || caches=$(getconf -a 2>/dev/null | grep -E '^LEVEL[123]_[DI]?CACHE_SIZE' | sed 's/  */ /g' || true)
  echo "${caches:-caches: not reported by lscpu or getconf}"
}

for s in "${sets[@]}"; do
  IFS='|' read -r name time args <<<"$s"
  if [ ${#wanted[@]} -gt 0 ]; then
    keep=0
    for w in "${wanted[@]}"; do [ "$w" = "$name" ] && keep=1; done
    [ $keep = 1 ] || continue
  fi
  dir="$out_root/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  echo "== $name ($time of CPU on 2 cores): experiment $args"
  echo "experiment $args --out docs/results/$name" >"$dir/COMMAND"
  machine >"$dir/MACHINE.txt"
  # shellcheck disable=SC2086
  ( cd "$dir" && /usr/bin/time -f "user %U s, system %S s, wall %e s" "$experiment" $args --out "$dir" ) 2>&1 \
    | sed -u "s|$dir|docs/results/$name|g" | tee "$dir/run.log"
done
exit
}
