#!/usr/bin/env python3
"""Side-by-side: aida's reference backend against PyTorch eager on CPU, one thread each.

Two measurements, the same work on both sides (benchmarks/README.md has the table):

  train    one training step of the character model ML (aida::nn::char_model): a GRU encoder
           of the question and a GRU language-model decoder of the answer started from the
           encoding, teacher forcing, summed NLL averaged over the batch, backward,
           gradient-norm clipping at 1, Adam. Vocabulary 64, embedding 64, hidden 128,
           batch 32, length 24 (questions and answers; the decoder runs 25 steps, the last
           predicting the end token).
  infer    single-question predict + score: encode one question with ML's encoder (the
           embedding, ML's output) and score it with the adversary (its own GRU encoder of
           the question, joined with ML's embedding, an MLP to one scalar).

The script alternates runs: aida (the built `bench_backend` Google Benchmark binary with a
filter, JSON output, its own repetitions, the median kept), then PyTorch (a persistent worker
process running the same step many times, the median kept), `--rounds` times, and prints the
medians over rounds and the ratios PyTorch / aida (> 1: aida is faster).

Threads: the PyTorch worker runs with torch.set_num_threads(1), OMP_NUM_THREADS=1,
OPENBLAS_NUM_THREADS=1, MKL_NUM_THREADS=1, and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
removed from its environment (only for that process) so that OpenBLAS picks its kernels for
this CPU. aida is single-threaded (Eigen without OpenMP); it gets the same *_NUM_THREADS=1.

Requirements: Debian's PyTorch and a threaded OpenBLAS (not the reference BLAS):
    apt-get install -y python3-torch libopenblas0-pthread
Debian's torch lives in /usr/bin/python3's dist-packages; the worker uses /usr/bin/python3
when it exists (a pyenv python3 on PATH would not find torch), see --python.

Run (from the repository root):
    cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIDA_BUILD_BENCHMARKS=ON
    ninja -C build-bench bench_backend
    python3 benchmarks/compare_pytorch.py --aida-binary build-bench/benchmarks/bench_backend
(or `cmake --workflow --preset bench` and --aida-binary build/bench/benchmarks/bench_backend).
Add --json FILE to keep every measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

# The shapes of the reference model (issue "Benchmarks"; aida::nn::char_model).
VOCAB, EMBED, HIDDEN, BATCH, LENGTH = 64, 64, 128, 32, 24

# Google Benchmark filters of the matching entries in benchmarks/bench_backend.cpp.
DEFAULT_TRAIN_FILTER = "^BM_CharModelTrainStep$"
DEFAULT_INFER_FILTER = "^BM_PredictAndScore$"


# ---------------------------------------------------------------------------------------
# The PyTorch side. Runs in a separate process (the worker) whose environment pins one
# thread; the driver talks to it over stdin/stdout, one JSON object per line.

def _torch_worker(args: argparse.Namespace) -> None:
    import torch
    from torch import nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    class Encoder(nn.Module):
        """Embedding + GRU; the final hidden state is the encoding (char_encoder.hpp)."""

        def __init__(self, embedding: int, hidden: int) -> None:
            super().__init__()
            self.embed = nn.Embedding(VOCAB, embedding)
            self.gru = nn.GRU(embedding, hidden, batch_first=True)

        def forward(self, q: torch.Tensor) -> torch.Tensor:
            _, h = self.gru(self.embed(q))
            return h[-1]  # [B, H]

    class CharModel(nn.Module):
        """ML (char_model.hpp): the encoder's state is ML's embedding vector; a GRU language
        model starts from it and reads the answer shifted by a start token; logits over the
        charset plus an end token. aida's decoder also adds a projection of the embedding
        to every step's input projection (one [B,H]x[H,3H] product and a broadcast add per
        step); nn.GRU has no such input, so PyTorch does slightly less work here."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = Encoder(EMBED, HIDDEN)
            self.embed = nn.Embedding(VOCAB + 1, EMBED)  # + start
            self.decoder = nn.GRU(EMBED, HIDDEN, batch_first=True)
            self.out = nn.Linear(HIDDEN, VOCAB + 1)  # + end

        def loss(self, q, a_in, a_out) -> torch.Tensor:
            h0 = self.encoder(q).unsqueeze(0)
            y, _ = self.decoder(self.embed(a_in), h0)
            logits = self.out(y).reshape(-1, VOCAB + 1)
            # Mean over the batch of each answer's summed NLL, as char_model::loss.
            return F.cross_entropy(logits, a_out.reshape(-1), reduction="sum") / q.shape[0]

    class Adversary(nn.Module):
        """Adv (adversary_model.hpp, default config): its own encoder of the question
        (embedding 32, hidden 64) joined with ML's embedding, a tanh MLP (64) to one
        scalar, times the output scale 10."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = Encoder(32, 64)
            self.hidden = nn.Linear(64 + HIDDEN, 64)
            self.head = nn.Linear(64, 1)

        def forward(self, q, embedding) -> torch.Tensor:
            x = torch.cat([self.encoder(q), embedding], dim=1)
            return 10.0 * self.head(torch.tanh(self.hidden(x)))

    ml, adv = CharModel(), Adversary()
    opt = torch.optim.Adam(ml.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(args.seed)
    q = torch.randint(0, VOCAB, (BATCH, args.question_length), generator=g)
    answers = torch.randint(0, VOCAB, (BATCH, args.answer_length), generator=g)
    start = torch.full((BATCH, 1), VOCAB)  # the start token
    end = torch.full((BATCH, 1), VOCAB)    # the end token (the same index, on the output side)
    a_in = torch.cat([start, answers], dim=1)   # answer length + 1 steps
    a_out = torch.cat([answers, end], dim=1)
    q1 = torch.randint(0, VOCAB, (1, args.question_length), generator=g)

    def train_step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = ml.loss(q, a_in, a_out)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ml.parameters(), 1.0)
        opt.step()

    def infer() -> float:
        with torch.no_grad():
            return float(adv(q1, ml.encoder(q1)))

    work = {"train": train_step, "infer": infer}

    def measure(fn, min_time: float, min_iters: int) -> dict:
        for _ in range(3):  # warm-up: first calls pay for allocation and dispatch caches
            fn()
        wall, cpu = [], []
        start = time.perf_counter()
        while len(wall) < min_iters or time.perf_counter() - start < min_time:
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        return {"wall": statistics.median(wall), "cpu": statistics.median(cpu), "n": len(wall)}

    print(json.dumps({"ready": True, "torch": torch.__version__,
                      "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("quit"):
            break
        res = measure(work[req["what"]], req["min_time"], req["min_iters"])
        print(json.dumps(res), flush=True)


class TorchWorker:
    def __init__(self, python: str, seed: int, question_length: int, answer_length: int) -> None:
        env = dict(os.environ)
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # this process only
            env.pop(var, None)
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [python, os.path.abspath(__file__), "--torch-worker", "--seed", str(seed),
             "--question-length", str(question_length), "--answer-length", str(answer_length)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        hello = self._read()
        self.version, self.threads = hello["torch"], hello["threads"]

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("compare_pytorch: the PyTorch worker died (is python3-torch installed "
                             "for the interpreter given by --python?)")
        return json.loads(line)

    def measure(self, what: str, min_time: float, min_iters: int) -> dict:
        self.proc.stdin.write(json.dumps({"what": what, "min_time": min_time,
                                          "min_iters": min_iters}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


# ---------------------------------------------------------------------------------------
# The aida side: the Google Benchmark binary, JSON output.

_UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run_aida(binary: str, bench_filter: str, repetitions: int, min_time: float) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [binary, f"--benchmark_filter={bench_filter}", "--benchmark_format=json",
           f"--benchmark_repetitions={repetitions}", f"--benchmark_min_time={min_time}",
           "--benchmark_report_aggregates_only=true"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    try:
        results = json.loads(proc.stdout)["benchmarks"]
    except (json.JSONDecodeError, KeyError):
        results = []
    rows = [b for b in results if b.get("aggregate_name") == "median"]
    if proc.returncode != 0 or len(rows) != 1:
        names = sorted({b.get("run_name", b.get("name")) for b in results})
        raise SystemExit(f"compare_pytorch: filter {bench_filter!r} must select exactly one "
                         f"benchmark of {binary}; it selected {names or 'none'} "
                         f"(exit status {proc.returncode}; {proc.stderr.strip()[:300]})")
    b = rows[0]
    s = _UNIT[b["time_unit"]]
    return {"wall": b["real_time"] * s, "cpu": b["cpu_time"] * s, "name": b["run_name"]}


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:9.1f} us"


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--aida-binary", default=os.path.join(here, "..", "build", "bench", "benchmarks",
                                                         "bench_backend"),
                   help="the built bench_backend executable")
    p.add_argument("--python", default="/usr/bin/python3" if os.path.exists("/usr/bin/python3")
                   else sys.executable, help="interpreter that has torch (default: Debian's)")
    p.add_argument("--rounds", type=int, default=5, help="alternations aida / PyTorch")
    p.add_argument("--repetitions", type=int, default=5, help="Google Benchmark repetitions per aida run")
    p.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement, each side")
    p.add_argument("--train-filter", default=DEFAULT_TRAIN_FILTER)
    p.add_argument("--infer-filter", default=DEFAULT_INFER_FILTER)
    p.add_argument("--only", choices=["train", "infer"], help="one of the two measurements")
    p.add_argument("--torch-only", action="store_true", help="skip aida (to check the PyTorch side)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--question-length", type=int, default=LENGTH, help="characters per question")
    p.add_argument("--answer-length", type=int, default=LENGTH,
                   help="characters per answer (the decoder runs one more step, the end token)")
    p.add_argument("--json", help="write every measurement to this file")
    p.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.torch_worker:
        _torch_worker(args)
        return
    if not args.torch_only and not (os.path.isfile(args.aida_binary) and os.access(args.aida_binary, os.X_OK)):
        raise SystemExit(f"compare_pytorch: no executable {args.aida_binary}; build bench_backend "
                         "(see the top of this file) or pass --aida-binary")

    what = [args.only] if args.only else ["train", "infer"]
    filters = {"train": args.train_filter, "infer": args.infer_filter}
    worker = TorchWorker(args.python, args.seed, args.question_length, args.answer_length)
    print(f"PyTorch {worker.version}, {worker.threads} thread(s); aida: {args.aida_binary}")
    print(f"{args.rounds} rounds, alternating aida ({args.repetitions} repetitions, median) and "
          f"PyTorch (median of >= {args.min_time:g} s of steps)")
    log = {w: {"aida": [], "torch": []} for w in what}
    try:
        for r in range(args.rounds):
            for w in what:
                if not args.torch_only:
                    a = run_aida(args.aida_binary, filters[w], args.repetitions,
                                 args.min_time / args.repetitions)
                    log[w]["aida"].append(a)
                t = worker.measure(w, args.min_time, 20)
                log[w]["torch"].append(t)
                line = f"round {r + 1}  {w:5s}  torch {fmt(t['wall'])}"
                if not args.torch_only:
                    line += (f"   aida {fmt(a['wall'])}   ratio {t['wall'] / a['wall']:6.2f}x"
                             f"   (CPU: torch {fmt(t['cpu'])}, aida {fmt(a['cpu'])}, "
                             f"{t['cpu'] / a['cpu']:.2f}x)")
                print(line, flush=True)
    finally:
        worker.close()

    print("\nmedians over rounds (wall clock; process CPU time in brackets)")
    print(f"{'':6s} {'PyTorch':>24s} {'aida':>24s} {'PyTorch/aida':>14s}")
    summary = {}
    for w in what:
        tw = statistics.median(x["wall"] for x in log[w]["torch"])
        tc = statistics.median(x["cpu"] for x in log[w]["torch"])
        row = f"{w:6s} {fmt(tw)} [{fmt(tc)}]"
        summary[w] = {"torch_wall": tw, "torch_cpu": tc}
        if not args.torch_only:
            aw = statistics.median(x["wall"] for x in log[w]["aida"])
            ac = statistics.median(x["cpu"] for x in log[w]["aida"])
            row += f" {fmt(aw)} [{fmt(ac)}] {tw / aw:8.2f}x [{tc / ac:5.2f}x]"
            summary[w].update(aida_wall=aw, aida_cpu=ac, ratio_wall=tw / aw, ratio_cpu=tc / ac)
        print(row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": worker.version, "rounds": log, "summary": summary,
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f, indent=1)


if __name__ == "__main__":
    main()
