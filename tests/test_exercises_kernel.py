"""Checks in a real Jupyter kernel: an answer cannot end the kernel or hang it.

In a notebook, ``exit`` is IPython's: it asks the front end to shut the kernel down
(a payload of the execute reply) a moment after the cell, even when the check has
already said "Correct". These tests run the checker in an ipykernel, as a reader's
notebook does, and look at what the front end would be told.
"""

import textwrap

import pytest

jupyter_client = pytest.importorskip("jupyter_client")

SETUP = """
import sys
import torch
from mhacourse.exercises import ch07 as ex
def flops_then(leave):
    def count_flops(B, H, L, S, E):
        leave()
        return 4 * B * H * L * S * E
    return count_flops
"""


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
    msg_id = client.execute(textwrap.dedent(code), allow_stdin=False)
    reply = client.get_shell_msg(timeout=120)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=120)
    out = []
    while True:
        msg = client.get_iopub_msg(timeout=120)
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


@pytest.mark.parametrize("leave", ["exit", "quit", "sys.exit"])
def test_leaving_is_an_error_and_the_kernel_lives(kernel, leave):
    manager, client = kernel
    out, payload = run(
        client,
        f"""
        r = ex.q1.check(flops_then(lambda: {leave}()))
        print(r.status, "|", r.message)
        """,
    )
    assert out.startswith("error |") and "`exit()`" in out, out
    assert not [p for p in payload if p.get("source") == "ask_exit"], payload
    out, _ = run(client, "print(get_ipython().exit_now)")
    assert out.strip() == "False" and manager.is_alive()
    out, _ = run(client, "print(ex.q1.check(ex.q1.reference).status)")
    assert out.strip() == "correct"


def test_input_is_an_error_and_a_later_check_is_correct(kernel):
    _, client = kernel
    out, _ = run(
        client,
        """
        r = ex.q1.check(flops_then(lambda: input("B? ")))
        print(r.status, "|", r.message)
        """,
    )
    assert out.startswith("error |") and "`input()`" in out, out
    out, _ = run(client, "print(ex.q1.check(ex.q1.reference).status)")
    assert out.strip() == "correct"
