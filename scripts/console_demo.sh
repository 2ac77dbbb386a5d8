#!/bin/sh
# A real terminal session with a person as the overseer: runs examples/console_overseer under
# tmux (on a tmux server of its own, so that it touches no other session), types the moves of
# the full tree of the question 12 as a person would, one line when the program asks for it,
# one of them a line the program must refuse, and checks the screen: the refusal, the fan-in
# showing both subanswers as the person's own recursion, and the final answer.
#
#   scripts/console_demo.sh PATH/TO/console_overseer
#
# Exit status 0 when the screen shows all of it; 1 otherwise (the screen is printed).
set -eu

program=${1:?usage: scripts/console_demo.sh PATH/TO/console_overseer}
command -v tmux >/dev/null || { echo "console_demo: tmux is not installed" >&2; exit 1; }
socket="aida-console-demo-$$"
session=demo
t="$session:0"
quit() { tmux -L "$socket" kill-server 2>/dev/null || true; }
trap quit EXIT

tmux -L "$socket" -f /dev/null new-session -d -s "$session" -x 160 -y 50 \
  "'$program' 12; echo \"[exit \$?]\"; sleep 60"

screen() { tmux -L "$socket" capture-pane -p -J -t "$t" -S -200; }

# Waits (up to 20 s) until the screen shows $1.
wait_for() {
  i=0
  while ! screen | grep -qF -- "$1"; do
    i=$((i + 1))
    if [ "$i" -gt 200 ]; then
      echo "console_demo: the screen never showed: $1" >&2
      screen >&2
      exit 1
    fi
    sleep 0.1
  done
}

type_line() {
  tmux -L "$socket" send-keys -t "$t" -l "$1"
  tmux -L "$socket" send-keys -t "$t" Enter
}

wait_for "--- call 1 of 4 --- fan-out: 12"
type_line "split 1 | 2"
wait_for "--- call 2 of 4 --- fan-out: 1"
type_line "seven"
wait_for "cannot use that: 'seven' is not a move"
type_line "= 1"
wait_for "--- call 3 of 4 --- fan-out: 2"
type_line "= 2"
wait_for "--- call 4 of 4 --- fan-in: 12"
wait_for "subquestion 2: 2  answer: 2  (by H (recursion))"
type_line "= 3"
wait_for "[exit "

out=$(screen)
printf '%s\n' "$out"
case $out in
  *"the answer to 12 is 3 (4 calls answered; the sum of the digits is 3)"*"[exit 0]"*) exit 0 ;;
  *) echo "console_demo: the final answer is not on the screen" >&2; exit 1 ;;
esac
