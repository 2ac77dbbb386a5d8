#!/usr/bin/env python3
"""The two tables of this folder's README that `experiment --from` does not print, from its
curves.csv: each ablation's calls to 95% test accuracy over post's (paired percentile bootstrap
over seeds), and calls to 95% seed by seed. Usage: python3 tables.py [curves.csv]"""
import collections
import csv
import os
import random
import sys

LEVEL, BUDGET = 0.95, 100000
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "curves.csv")
runs = collections.defaultdict(list)
for row in csv.DictReader(open(path)):
    runs[(row["method"], int(row["seed"]))].append(row)


def first_at_level(m, s):
    """The curve's first point at the level, or None."""
    return next((r for r in runs[(m, s)] if float(r["test_accuracy"]) >= LEVEL), None)


def calls(m, s):
    """Calls to the level; a miss counts the calls it made when it stopped (a lower bound)."""
    r = first_at_level(m, s) or runs[(m, s)][-1]
    return int(r["overseer_calls"])


seeds = sorted({s for (m, s) in runs if m == "post"})
print("| ablation | × post | 95% interval |\n|---|---|---|")
for m in ["post-hprime", "post-argmin", "post-source", "post-distill", "plain"]:
    a, b = [calls(m, s) for s in seeds], [calls("post", s) for s in seeds]
    rng = random.Random(1)
    ratios = []
    for _ in range(10000):
        idx = [rng.randrange(len(seeds)) for _ in seeds]
        ratios.append(sum(a[i] for i in idx) / sum(b[i] for i in idx))
    ratios.sort()
    print(f"| `{m}` | {sum(a) / sum(b):.2f} | [{ratios[250]:.2f}, {ratios[9750]:.2f}] † |")

methods = ["post", "plain", "post-hprime", "post-argmin", "post-source", "post-distill", "full",
           "supervised"]
print("\n| seed | " + " | ".join(methods) + " |\n" + "|---" * (len(methods) + 1) + "|")
for s in seeds:
    cells = []
    for m in methods:
        if (m, s) not in runs:
            cells.append("")
            continue
        hit = first_at_level(m, s)
        if hit:
            cells.append(f"{int(hit['overseer_calls']):,}")
            continue
        last = runs[(m, s)][-1]
        n = int(last["overseer_calls"])
        if n >= BUDGET:
            why = "budget"
        elif float(last["validation_accuracy"]) >= 0.97:
            why = f"97% validation at {n:,}"
        else:
            why = f"step cap at {n:,}"
        cells.append(f"— ({100 * float(last['test_accuracy']):.1f}%, {why})")
    print(f"| {s} | " + " | ".join(cells) + " |")
