#!/usr/bin/env bash
# Run one step of `make test` and say how long it took:  timed.sh NAME COMMAND...
# Each step's time is also appended to _build/step-times.txt, which `make test`
# prints at the end (a failing step is listed with its exit status).
set -uo pipefail
name=$1
shift
mkdir -p _build
start=$(date +%s)
"$@"
rc=$?
line=$(printf '%-16s %5d s%s' "$name" $(($(date +%s) - start)) \
  "$([ "$rc" = 0 ] || echo "   (failed, exit $rc)")")
echo "[time] $line"
echo "$line" >> _build/step-times.txt
exit "$rc"
