#!/usr/bin/env bash
# The Python suite twice, side by side: with this CPU's best instructions, and under
# ATEN_CPU_CAPABILITY=default on one thread, which is what PyTorch runs on a CPU it has
# no vector code for. A number that differs between CPUs then fails here too, not first
# on a learner's AVX-512 or ARM machine. Most tests are single-threaded Python, so the
# two runs share the 2 cores well. Usage: pytest_both.sh PYTEST_ARGS...
set -uo pipefail
mkdir -p _build
# Two suites share 2 cores, so an OpenMP thread waiting at a barrier sleeps instead of
# spinning on a core the other suite needs (about 12% faster here; no effect on results).
export OMP_WAIT_POLICY=PASSIVE
"$PYTHON" -m pytest "$@" > _build/test-py-native.log 2>&1 &
native=$!
# torch.compile's cache holds code for the instructions it was built for: the default
# run gets its own, or it may load what the native run compiled for AVX-512.
# Tests marked cpu_independent (processes, text, layout) run in the first suite only.
ATEN_CPU_CAPABILITY=default OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MHACOURSE_NUMBERS_ONLY=1 \
  TORCHINDUCTOR_CACHE_DIR="${TMPDIR:-/tmp}/mhacourse-inductor-default" \
  "$PYTHON" -m pytest "$@" > _build/test-py-default.log 2>&1
default_rc=$?
wait "$native"
native_rc=$?
echo "---- pytest, this CPU's best capability: $(tail -n 1 _build/test-py-native.log)"
echo "---- pytest, ATEN_CPU_CAPABILITY=default: $(tail -n 1 _build/test-py-default.log)"
for run in native default; do
  rc_var=${run}_rc
  if [ "${!rc_var}" != 0 ]; then
    echo "==== the $run run failed; its log (_build/test-py-$run.log):"
    cat "_build/test-py-$run.log"
  fi
done
[ "$native_rc" = 0 ] && [ "$default_rc" = 0 ]
