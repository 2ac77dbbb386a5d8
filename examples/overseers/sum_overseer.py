#!/usr/bin/env python3
"""The overseer of aida's `sum` task as a separate process, for aida::process_overseer.

It speaks aida's overseer protocol, version 1 (docs/overseer-protocol.md): JSON lines on
standard input and output, a hello first. Its decisions are those of
aida::tasks::sum_overseer (include/aida/tasks/sum.hpp), move for move:

- a question is 1 to 32 digits; anything else gets an error reply naming what is wrong;
- fan_out: a single digit is answered by itself; a longer question is split into its halves
  (the first the shorter when the length is odd), or with --parts P into k = min(P, n)
  contiguous parts, part i being the digits [i*n/k, (i+1)*n/k) (aida::tasks::sum_overseer(P));
- fan_in: a single digit is answered by itself; when the subquestions are the parts (in any
  order, each as often as it occurs) and every subanswer is a sum its part can have (decimal,
  no sign or leading zero, at most 9 per digit), the answer is their sum, else "?" (a part
  asked twice takes the first answer given for it); subquestions other than the parts get the
  parts again (a new round);
- answer: the overseer's own recursion through fan_out and fan_in (the digit sum).

Python 3 standard library only. The --misbehave flags make it fail on purpose, for aida's
tests: after answering --after requests it does the named wrong thing on the next one.
"""

import argparse
import json
import sys
import time

PROTOCOL = "aida-overseer"
VERSION = 1
UNKNOWN = "?"
MAX_LENGTH = 32
DIGITS = "0123456789"


class Malformed(Exception):
    pass


def parse(q):
    """The digits of q, or Malformed naming what is wrong (as the C++ parser does)."""
    if not isinstance(q, str):
        raise Malformed("sum: malformed question %s: it is not a string" % json.dumps(q))
    if not q:
        raise Malformed('sum: malformed question "": it is empty (expected 1 to 32 digits)')
    if len(q) > MAX_LENGTH:
        raise Malformed('sum: malformed question "%s": it has more than 32 digits' % q)
    for c in q:
        if c not in DIGITS:
            raise Malformed("sum: malformed question \"%s\": '%s' is not a digit" % (q, c))
    return q


def parse_number(s, largest):
    """A decimal number without sign or leading zeros, at most `largest`; None otherwise."""
    if not isinstance(s, str) or not s or len(s) > 9 or (len(s) > 1 and s[0] == "0"):
        return None
    if any(c not in DIGITS for c in s):
        return None
    v = int(s)
    return v if v <= largest else None


PARTS = 2  # --parts: how many parts a list is split into, at most


def parts_of(d):
    k = min(PARTS, len(d))
    return [d[i * len(d) // k : (i + 1) * len(d) // k] for i in range(k)]


def halves(d):
    return {"split": parts_of(d)}


def fan_out(q):
    d = parse(q)
    if len(d) == 1:
        return {"answer": d}
    return halves(d)


def answer_to(sq, subanswers):
    """The answer to subquestion sq: the first subanswer that asks it."""
    for s in subanswers:
        if s["question"] == sq:
            return s["answer"]
    return None


def fan_in(q, subanswers):
    d = parse(q)
    if len(d) == 1:
        return {"answer": d}
    parts = parts_of(d)
    asked = [s["question"] for s in subanswers]
    if sorted(asked) != sorted(parts):
        return halves(d)
    values = [parse_number(answer_to(p, subanswers), 9 * len(p)) for p in parts]
    if any(v is None for v in values):
        return {"answer": UNKNOWN}
    return {"answer": str(sum(values))}


def solve(q):
    """H(q): the overseer's own recursion, as aida::tasks::detail::solve."""
    move = fan_out(q)
    while "split" in move:
        move = fan_in(q, [{"question": sq, "answer": solve(sq)} for sq in move["split"]])
    return move["answer"]


def decide(request):
    kind, q = request.get("kind"), request.get("question")
    if kind == "answer":
        parse(q)
        return {"answer": solve(q)}
    if kind == "fan_out":
        return fan_out(q)
    if kind == "fan_in":
        subs = request.get("subanswers")
        if not isinstance(subs, list) or not all(
            isinstance(s, dict) and "question" in s and "answer" in s for s in subs
        ):
            raise Malformed("fan_in without an array of {question, answer} subanswers")
        return fan_in(q, subs)
    raise Malformed("unknown request kind %s" % json.dumps(kind))


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--misbehave",
        choices=["crash", "exit", "hang", "garbage", "wrong-id", "split-answer", "nine-way", "no-newline"],
        help="the wrong thing to do (for aida's tests)",
    )
    p.add_argument("--after", type=int, default=0, help="requests answered properly before misbehaving")
    p.add_argument("--version", type=int, default=VERSION, help="the protocol version to claim in the hello")
    p.add_argument("--stderr-noise", type=int, default=0, help="bytes of noise to write to stderr per request")
    p.add_argument("--parts", type=int, default=2, choices=range(2, 9), metavar="P",
                   help="split a list into up to P parts, 2 to 8 (default 2: halves)")
    args = p.parse_args()
    global PARTS
    PARTS = args.parts
    # The protocol is UTF-8 whatever the locale says.
    sys.stdin.reconfigure(encoding="utf-8")
    sys.stdout.reconfigure(encoding="utf-8")

    hello = sys.stdin.readline()
    if not hello:
        return 0
    h = json.loads(hello)
    if h.get("protocol") != PROTOCOL:
        sys.stderr.write("sum_overseer.py: the first line is not an aida-overseer hello\n")
        return 2
    send({"protocol": PROTOCOL, "version": args.version})

    served = 0
    while True:
        if args.misbehave == "exit" and served == args.after:
            sys.stderr.write("sum_overseer.py: exiting as asked, without reading request %d\n" % (served + 1))
            return 0
        line = sys.stdin.readline()
        if not line:  # aida closed our input: the end
            return 0
        request = json.loads(line)
        rid = request.get("id")
        if args.stderr_noise:
            sys.stderr.write("n" * args.stderr_noise + "\n")
            sys.stderr.flush()
        if args.misbehave and served == args.after:
            m = args.misbehave
            if m == "crash":
                sys.stderr.write("sum_overseer.py: crashing as asked on request %s\n" % rid)
                sys.stderr.flush()
                return 3
            if m == "hang":
                sys.stderr.write("sum_overseer.py: hanging as asked on request %s\n" % rid)
                sys.stderr.flush()
                while True:
                    time.sleep(60)
            if m == "garbage":
                sys.stdout.write("this is not JSON\n")
                sys.stdout.flush()
                served += 1
                continue
            if m == "wrong-id":
                send({"id": rid + 1, "answer": "0"})
                served += 1
                continue
            if m == "split-answer":
                send({"id": rid, "split": ["1", "2"]})
                served += 1
                continue
            if m == "nine-way":
                send({"id": rid, "split": [str(i) for i in range(1, 10)]})
                served += 1
                continue
            if m == "no-newline":
                sys.stdout.write('{"id": %d, "answer": "1' % rid)
                sys.stdout.flush()
                return 4
        try:
            reply = decide(request)
        except Malformed as e:
            reply = {"error": str(e)}
        reply = dict(id=rid, **reply)
        send(reply)
        served += 1


if __name__ == "__main__":
    sys.exit(main())
