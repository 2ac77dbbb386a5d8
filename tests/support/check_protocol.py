#!/usr/bin/env python3
"""Checks a conversation logged by record_overseer.py against the protocol's JSON Schema:
every line aida sent must be a hello or a request, every line the program sent a hello or a
reply. Also checks that the schema refuses lines that break the protocol, so that a schema
that accepts everything cannot pass.

    check_protocol.py [--require-all] SCHEMA LOG

--require-all: fail unless the conversation has hellos, every kind of request, an answer, a
split and an error reply (the test's conversation does; a program of yours may not).

Exit status 0 when all holds; 1 with the offending line otherwise; 2 when the Python package
jsonschema (Debian: python3-jsonschema) is missing."""
import copy
import json
import sys

try:
    import jsonschema
except ImportError:
    print("check_protocol.py: the Python package jsonschema is missing (Debian: python3-jsonschema)", file=sys.stderr)
    sys.exit(2)


def validator(schema, kinds):
    s = copy.deepcopy(schema)
    s["oneOf"] = [{"$ref": "#/$defs/" + k} for k in kinds]
    return jsonschema.Draft202012Validator(s)


def main():
    args = sys.argv[1:]
    require_all = "--require-all" in args
    args = [a for a in args if a != "--require-all"]
    if len(args) != 2:
        print("usage: check_protocol.py [--require-all] SCHEMA LOG", file=sys.stderr)
        return 2
    schema = json.load(open(args[0], encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    from_aida = validator(schema, ["hello", "request"])
    from_program = validator(schema, ["hello", "reply"])
    lines = open(args[1], encoding="utf-8").read().splitlines()
    seen = {"hello": 0, "answer": 0, "fan_out": 0, "fan_in": 0, "split": 0, "error": 0}
    for n, line in enumerate(lines, 1):
        direction, text = line[:2], line[2:]
        v = from_aida if direction == "> " else from_program
        message = json.loads(text)
        errors = list(v.iter_errors(message))
        if errors:
            print(f"line {n} ({'aida' if direction == '> ' else 'program'}): {text}\n  {errors[0].message}", file=sys.stderr)
            return 1
        if "protocol" in message:
            seen["hello"] += 1
        for key in ("split", "error"):
            if key in message:
                seen[key] += 1
        if message.get("kind") in seen:
            seen[message["kind"]] += 1
    missing = [k for k, c in seen.items() if c == 0]
    if missing and require_all:
        print(f"check_protocol.py: the conversation has no {', '.join(missing)}: it checks too little", file=sys.stderr)
        return 1
    # Lines the schema must refuse.
    refused = [
        (from_aida, {"id": 1, "kind": "fan_in", "question": "12"}),  # fan_in without subanswers
        (from_aida, {"id": 1, "kind": "answer", "question": "12", "subanswers": []}),  # subanswers where none belong
        (from_aida, {"id": 0, "kind": "answer", "question": "12"}),  # ids start at 1
        (from_aida, {"id": 1, "kind": "guess", "question": "12"}),  # no such kind
        (from_program, {"id": 1}),  # neither answer, split nor error
        (from_program, {"id": 1, "answer": "3", "error": "x"}),  # two of them
        (from_program, {"id": 1, "split": ["1"]}),  # one subquestion
        (from_program, {"id": 1, "split": [str(i) for i in range(1, 10)]}),  # nine: more than aida::max_subquestions
        (from_program, {"answer": "3"}),  # no id
        (from_program, {"protocol": "another", "version": 1}),  # not this protocol's hello
    ]
    for v, message in refused:
        if v.is_valid(message):
            print(f"check_protocol.py: the schema accepts {json.dumps(message)}, which breaks the protocol", file=sys.stderr)
            return 1
    print(f"check_protocol.py: {len(lines)} lines match the schema ({seen}); {len(refused)} bad lines refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
