#!/usr/bin/env python3
"""Sits between aida and an overseer program, passing every line on unchanged and appending it
to a log: '> ' + line for what aida sent, '< ' + line for what the program replied.

    record_overseer.py LOG PROGRAM [ARGS...]

For the test that checks a real conversation against docs/overseer-protocol.schema.json."""
import subprocess
import sys


def main():
    log_path, argv = sys.argv[1], sys.argv[2:]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    with open(log_path, "a", encoding="utf-8") as log:
        for line in sys.stdin:
            log.write("> " + line)
            child.stdin.write(line)
            child.stdin.flush()
            reply = child.stdout.readline()
            if not reply:
                break
            log.write("< " + reply)
            log.flush()
            sys.stdout.write(reply)
            sys.stdout.flush()
    child.stdin.close()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
