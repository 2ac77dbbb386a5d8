#!/usr/bin/env python3
"""Side-by-side: aida's reference backend against PyTorch eager on CPU, one thread each.

Two models, two measurements each, the same work on both sides (benchmarks/README.md has
the tables); `--model gru|transformer|all` picks the model (default gru).

GRU (aida::nn::char_model, `bench_backend`):

  train    one training step of the character model ML (aida::nn::char_model): a GRU encoder
           of the question and a GRU language-model decoder of the answer started from the
           encoding, teacher forcing, summed NLL averaged over the batch, backward,
           gradient-norm clipping at 1, Adam. Vocabulary 64, embedding 64, hidden 128,
           batch 32, length 24 (questions and answers; the decoder runs 25 steps, the last
           predicting the end token).
  infer    single-question predict + score: encode one question with ML's encoder (the
           embedding, ML's output) and score it with the adversary (its own GRU encoder of
           the question, joined with ML's embedding, an MLP to one scalar).

Transformer (aida::nn::transformer_model, `bench_transformer`; PyTorch: torch.nn.Transformer):

  train    one training step: vocabulary 64, d_model 128, 4 heads, 2 encoder + 2 decoder
           layers, feed-forward 512, pre-layer-norm (norm_first=True) with the final encoder
           and decoder norms, GELU (tanh approximation, F.gelu(approximate="tanh"), as aida),
           no dropout, learned token and position embeddings, an output linear to 64 + end;
           batch 32, questions of 48 characters (key padding masks from the lengths), answers
           of 16 teacher forced (start + 16 in, 16 + end out: 17 steps, causal mask), summed
           cross-entropy (padding ignored) averaged over the batch, backward,
           clip_grad_norm_(1.0), Adam (lr 1e-3).
  decode   one question of 24 characters: the encoder once (no_grad, eval), then greedy
           decoding of exactly 8 characters the way nn.Transformer is used (it has no key/value
           cache): each step runs the decoder over the whole prefix against the memory and
           takes the argmax of the last row. The end token's output bias is set to -1e4 on
           both sides so that neither stops early.
  --torch-gelu exact and --torch-no-masks give PyTorch its faster paths (erf GELU; no masks,
  which this batch, all full length, does not need) for a second, PyTorch-favourable figure.

The script alternates runs: aida (the built `bench_backend` or `bench_transformer` Google
Benchmark binary with a filter, JSON output, its own repetitions, the median kept), then PyTorch (a persistent worker
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
    ninja -C build-bench bench_transformer
    python3 benchmarks/compare_pytorch.py --model transformer \
        --transformer-binary build-bench/benchmarks/bench_transformer
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

# The Transformer's shapes (issue 10; benchmarks/bench_transformer.cpp).
TF_WIDTH, TF_HEADS, TF_LAYERS, TF_FF = 128, 4, 2, 512
TF_QUESTION, TF_ANSWER = 48, 16          # training batch
TF_DECODE_QUESTION, TF_DECODE_ANSWER = 24, 8
TF_MAX_QUESTION = 256                    # transformer_config::max_question_length (positions)
TF_MAX_ANSWER = 32                       # transformer_config::max_answer_length
TF_TRAIN_FILTER = "^BM_TransformerTrainStep$"
TF_DECODE_FILTER = "^BM_TransformerDecode$"


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

    work = {"gru/train": train_step, "gru/infer": infer}
    if args.model in ("transformer", "all"):
        work.update(_transformer_work(torch, nn, F, args.seed, args.torch_gelu, not args.torch_no_masks))

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


def _transformer_work(torch, nn, F, seed: int, gelu: str = "tanh", masks: bool = True) -> dict:
    """The Transformer's two measurements (see the file comment), as closures. `gelu`
    "exact" uses activation="gelu" (erf) instead of the tanh approximation aida computes;
    `masks` False passes no key padding masks (every question here is full length, so the
    results are the same, and PyTorch takes its unmasked paths)."""
    torch.manual_seed(seed)
    V = VOCAB  # token ids 0..63; VOCAB is the start token (input side) and the end token (output)
    pad = -100  # ignored by cross_entropy

    def gelu_tanh(x):
        return F.gelu(x, approximate="tanh")

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.src_tokens = nn.Embedding(V, TF_WIDTH)
            self.src_positions = nn.Embedding(TF_MAX_QUESTION, TF_WIDTH)
            self.tgt_tokens = nn.Embedding(V + 1, TF_WIDTH)  # + start
            self.tgt_positions = nn.Embedding(TF_MAX_ANSWER + 1, TF_WIDTH)
            self.transformer = nn.Transformer(
                d_model=TF_WIDTH, nhead=TF_HEADS, num_encoder_layers=TF_LAYERS,
                num_decoder_layers=TF_LAYERS, dim_feedforward=TF_FF, dropout=0.0,
                activation=gelu_tanh if gelu == "tanh" else "gelu", batch_first=True,
                norm_first=True)
            self.out = nn.Linear(TF_WIDTH, V + 1)  # + end

        def encode(self, q, q_pad):
            q_pad = q_pad if masks else None
            x = self.src_tokens(q) + self.src_positions(torch.arange(q.shape[1]))
            return self.transformer.encoder(x, src_key_padding_mask=q_pad)

        def decode(self, memory, q_pad, a_in, a_pad):
            q_pad, a_pad = (q_pad, a_pad) if masks else (None, None)
            T = a_in.shape[1]
            y = self.tgt_tokens(a_in) + self.tgt_positions(torch.arange(T))
            causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
            y = self.transformer.decoder(y, memory, tgt_mask=causal, tgt_key_padding_mask=a_pad,
                                         memory_key_padding_mask=q_pad)
            return self.out(y)

    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed + 1)
    q = torch.randint(0, V, (BATCH, TF_QUESTION), generator=g)
    answers = torch.randint(0, V, (BATCH, TF_ANSWER), generator=g)
    q_lengths = torch.full((BATCH,), TF_QUESTION)           # every question full length here,
    a_lengths = torch.full((BATCH,), TF_ANSWER + 1)         # but masked as a padded batch is
    q_pad = torch.arange(TF_QUESTION)[None, :] >= q_lengths[:, None]
    a_pad = torch.arange(TF_ANSWER + 1)[None, :] >= a_lengths[:, None]
    a_in = torch.cat([torch.full((BATCH, 1), V), answers], dim=1)
    a_out = torch.cat([answers, torch.full((BATCH, 1), V)], dim=1).masked_fill(a_pad, pad)

    def train_step() -> None:
        model.train()
        opt.zero_grad(set_to_none=True)
        logits = model.decode(model.encode(q, q_pad), q_pad, a_in, a_pad)
        loss = F.cross_entropy(logits.reshape(-1, V + 1), a_out.reshape(-1), ignore_index=pad,
                               reduction="sum") / BATCH
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    # A separate model for decoding, as bench_transformer (the end token never wins).
    decoder_model = Model().eval()
    with torch.no_grad():
        decoder_model.out.bias[V] = -1e4
    q1 = torch.randint(0, V, (1, TF_DECODE_QUESTION), generator=g)
    q1_pad = torch.zeros((1, TF_DECODE_QUESTION), dtype=torch.bool)

    def decode() -> int:
        with torch.no_grad():
            memory = decoder_model.encode(q1, q1_pad)
            prefix = torch.full((1, 1), V)  # start
            out = []
            while len(out) < TF_DECODE_ANSWER:
                logits = decoder_model.decode(memory, q1_pad, prefix, None)[:, -1]
                k = int(logits.argmax(dim=-1))
                if k == V:
                    break
                out.append(k)
                prefix = torch.cat([prefix, torch.full((1, 1), k)], dim=1)
            return len(out)

    if decode() != TF_DECODE_ANSWER:
        raise SystemExit("compare_pytorch: the PyTorch decoder did not emit 8 characters")
    return {"transformer/train": train_step, "transformer/decode": decode}


class TorchWorker:
    def __init__(self, python: str, seed: int, question_length: int, answer_length: int,
                 model: str = "gru", extra: tuple = ()) -> None:
        env = dict(os.environ)
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # this process only
            env.pop(var, None)
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [python, os.path.abspath(__file__), "--torch-worker", "--seed", str(seed),
             "--question-length", str(question_length), "--answer-length", str(answer_length),
             "--model", model, *extra],
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
    p.add_argument("--model", choices=["gru", "transformer", "all"], default="gru",
                   help="which model's measurements (default gru)")
    p.add_argument("--aida-binary", default=os.path.join(here, "..", "build", "bench", "benchmarks",
                                                         "bench_backend"),
                   help="the built bench_backend executable (GRU)")
    p.add_argument("--transformer-binary", default=os.path.join(here, "..", "build", "bench", "benchmarks",
                                                                "bench_transformer"),
                   help="the built bench_transformer executable (Transformer)")
    p.add_argument("--python", default="/usr/bin/python3" if os.path.exists("/usr/bin/python3")
                   else sys.executable, help="interpreter that has torch (default: Debian's)")
    p.add_argument("--rounds", type=int, default=5, help="alternations aida / PyTorch")
    p.add_argument("--repetitions", type=int, default=5, help="Google Benchmark repetitions per aida run")
    p.add_argument("--min-time", type=float, default=1.0, help="seconds per measurement, each side")
    p.add_argument("--train-filter", default=DEFAULT_TRAIN_FILTER)
    p.add_argument("--infer-filter", default=DEFAULT_INFER_FILTER)
    p.add_argument("--torch-gelu", choices=["tanh", "exact"], default="tanh",
                   help="nn.Transformer's activation: F.gelu(approximate='tanh') as aida (default), "
                        "or activation='gelu' (erf)")
    p.add_argument("--torch-no-masks", action="store_true",
                   help="pass no key padding masks to nn.Transformer (the batch has no padding)")
    p.add_argument("--transformer-train-filter", default=TF_TRAIN_FILTER)
    p.add_argument("--transformer-decode-filter", default=TF_DECODE_FILTER)
    p.add_argument("--only", choices=["train", "infer", "decode"],
                   help="one of the two measurements of each model (infer and decode: the second)")
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
    models = ["gru", "transformer"] if args.model == "all" else [args.model]
    binaries = {"gru": (args.aida_binary, "bench_backend", "--aida-binary"),
                "transformer": (args.transformer_binary, "bench_transformer", "--transformer-binary")}
    for m in models:
        binary, target, flag = binaries[m]
        if not args.torch_only and not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise SystemExit(f"compare_pytorch: no executable {binary}; build {target} "
                             f"(see the top of this file) or pass {flag}")

    # Each measurement: (model, name), its aida binary and filter.
    second = {"gru": "infer", "transformer": "decode"}
    what, binary_of, filters = [], {}, {}
    for m in models:
        for kind in ("train", second[m]):
            if args.only and not (args.only == kind or (args.only != "train" and kind == second[m])):
                continue
            w = f"{m}/{kind}"
            what.append(w)
            binary_of[w] = binaries[m][0]
    filters = {"gru/train": args.train_filter, "gru/infer": args.infer_filter,
               "transformer/train": args.transformer_train_filter,
               "transformer/decode": args.transformer_decode_filter}
    extra = ("--torch-gelu", args.torch_gelu) + (("--torch-no-masks",) if args.torch_no_masks else ())
    worker = TorchWorker(args.python, args.seed, args.question_length, args.answer_length, args.model,
                         extra)
    print(f"PyTorch {worker.version}, {worker.threads} thread(s); aida: "
          + ", ".join(binaries[m][0] for m in models))
    print(f"{args.rounds} rounds, alternating aida ({args.repetitions} repetitions, median) and "
          f"PyTorch (median of >= {args.min_time:g} s of steps)")
    log = {w: {"aida": [], "torch": []} for w in what}
    try:
        for r in range(args.rounds):
            for w in what:
                if not args.torch_only:
                    a = run_aida(binary_of[w], filters[w], args.repetitions,
                                 args.min_time / args.repetitions)
                    log[w]["aida"].append(a)
                t = worker.measure(w, args.min_time, 20)
                log[w]["torch"].append(t)
                line = f"round {r + 1}  {w:18s}  torch {fmt(t['wall'])}"
                if not args.torch_only:
                    line += (f"   aida {fmt(a['wall'])}   ratio {t['wall'] / a['wall']:6.2f}x"
                             f"   (CPU: torch {fmt(t['cpu'])}, aida {fmt(a['cpu'])}, "
                             f"{t['cpu'] / a['cpu']:.2f}x)")
                print(line, flush=True)
    finally:
        worker.close()

    print("\nmedians over rounds (wall clock; process CPU time in brackets)")
    print(f"{'':18s} {'PyTorch':>24s} {'aida':>24s} {'PyTorch/aida':>14s}")
    summary = {}
    for w in what:
        tw = statistics.median(x["wall"] for x in log[w]["torch"])
        tc = statistics.median(x["cpu"] for x in log[w]["torch"])
        row = f"{w:18s} {fmt(tw)} [{fmt(tc)}]"
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
