"""Checks in a real Jupyter kernel: no ordinary answer can end the kernel, hang it,
or change a later verdict (issue 21, "Done when").

In a notebook, ``exit`` is IPython's: it asks the front end to shut the kernel down
(a payload of the execute reply) a moment after the cell, even when the check has
already said "Correct"; ``input()`` waits for a reader who is not asked; a loop
around ``except Exception`` swallowed the time limit; a ``TorchFunctionMode`` left
pushed made every later check pass. These tests run the checker in an ipykernel, as
a reader's notebook does: each such answer gets a clear verdict within the time
limit, then a wrong answer in the same kernel is still "incorrect", a correct one
"correct", and the kernel lives.
"""

import inspect
import textwrap

import pytest

from tests.exercise_helpers import Everything

jupyter_client = pytest.importorskip("jupyter_client")

#: Seconds a verdict may come after the time limit (a loaded 2-core machine).
MARGIN = 8.0
#: Seconds to wait for one cell before calling the kernel hung.
CELL = 90

SETUP = """
import sys, time
import torch
from torch.overrides import TorchFunctionMode
from mhacourse.exercises import ch02 as ex

# EVERYTHING
def swallow_everything():
    while True:
        try:
            sum(range(1000))
        except Exception:
            pass

def attention_then(leave):
    def attention(q, k, v, mask=None):
        leave()
        return ex.q2.reference(q, k, v, mask)
    return attention

def wrong(q, k, v, mask=None):
    w = (q @ k.transpose(-2, -1)).softmax(-1)  # no 1/sqrt(E)
    return w @ v, w

def verdict(answer):
    start = time.monotonic()
    r = ex.q2.check(answer)
    print(r.status, f"{time.monotonic() - start:.2f}", r.message, sep="|")
""".replace("# EVERYTHING", inspect.getsource(Everything))

#: answer in the kernel -> (the verdict's status, words its message must hold)
LEAVING = {
    "except_exception_loop": ("swallow_everything", "error", "did not finish"),
    "input": ("lambda: input('B? ')", "error", "`input()`"),
    "exit": ("lambda: exit()", "error", "`exit()`"),
    "quit": ("lambda: quit()", "error", "`exit()`"),
    "sys.exit": ("lambda: sys.exit(3)", "error", "`exit()`"),
    "pushed_function_mode": (
        "lambda: Everything().__enter__()",
        "incorrect",
        "TorchFunctionMode",
    ),
}


@pytest.fixture(scope="module")
def kernel():
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    run(client, SETUP)
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client, code):
    """Run ``code``; return (its stdout, the execute reply's payloads)."""
    # allow_stdin as in JupyterLab: an input() that reached the front end would wait
    msg_id = client.execute(textwrap.dedent(code), allow_stdin=True)
    reply = client.get_shell_msg(timeout=CELL)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=CELL)
    out = []
    while True:
        msg = client.get_iopub_msg(timeout=CELL)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert reply["content"]["status"] == "ok", "".join(out)
    return "".join(out), reply["content"].get("payload", [])


def _verdict(client, answer):
    """(status, seconds, message, payloads) of ``ex.q2.check(answer)`` in the kernel."""
    out, payload = run(client, f"verdict({answer})")
    status, took, message = out.strip().split("|", 2)
    return status, float(took), message, payload


@pytest.mark.parametrize("case", list(LEAVING))
def test_an_answer_that_would_hang_or_leave_gets_a_verdict_and_the_kernel_goes_on(
    kernel, case
):
    manager, client = kernel
    leave, status, words = LEAVING[case]
    (limit,) = run(client, "print(ex.q2.time_limit)")[0].split()
    got, took, message, payload = _verdict(client, f"attention_then({leave})")
    assert (got, words in message) == (status, True), message
    assert took < float(limit) + MARGIN, took
    assert not [p for p in payload if p.get("source") == "ask_exit"], payload
    assert run(client, "print(get_ipython().exit_now)")[0].strip() == "False"
    assert run(client, "print(torch._C._len_torch_function_stack())")[0].strip() == "0"
    assert _verdict(client, "wrong")[0] == "incorrect"
    assert _verdict(client, "ex.q2.reference")[0] == "correct"
    assert manager.is_alive()
