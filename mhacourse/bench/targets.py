"""The performance targets of ``python -m mhacourse.bench``, checked on measured rows.

Each target compares two measured rows of one shape (a time ratio or a memory
ratio) or reads one row's attained FLOP/s. A target whose rows were not
measured in a run (other device, dtype or shapes, e.g. ``--quick``) is
reported as SKIP, never as PASS.
"""

from __future__ import annotations

from .flops import format_rate

__all__ = ["TARGETS", "evaluate", "format_targets"]

_K = "kernel"
TARGETS = [
    dict(
        id="cpu-vectorized-vs-naive",
        device="cpu",
        dtype="float32",
        section=_K,
        shape=dict(B=2, H=4, L=128, S=128, E=64),
        metric="time_ratio",
        rows=("naive", "vectorized"),
        op=">=",
        threshold=30.0,
        text="vectorized >= 30x faster than naive at (B,H,L,E)=(2,4,128,64)",
    ),
    dict(
        id="cpu-vectorized-vs-sdpa",
        device="cpu",
        dtype="float32",
        section=_K,
        shape=dict(B=1, H=8, L=512, S=512, E=64),
        metric="time_ratio",
        rows=("vectorized", "sdpa"),
        op="<=",
        threshold=1.5,
        text="vectorized within 1.5x of SDPA's time at (B,H,L,E)=(1,8,512,64)",
    ),
    dict(
        id="cpu-mha-sdpa-vs-torch",
        device="cpu",
        dtype="float32",
        section="mha",
        shape=dict(B=8, L=512, D=512, H=8),
        metric="time_ratio",
        rows=("ours-sdpa", "nn.MultiheadAttention"),
        op="<=",
        threshold=1.1,
        text='MultiHeadAttention(kernel="sdpa") within 1.1x of nn.MultiheadAttention'
        " at (B,L,D,H)=(8,512,512,8)",
    ),
    dict(
        id="cpu-tiled-memory",
        device="cpu",
        dtype="float32",
        section=_K,
        shape=dict(B=1, H=1, L=8192, S=8192, E=64),
        metric="memory_ratio",
        rows=("tiled", "vectorized"),
        op="<=",
        threshold=0.1,
        text="tiled peak extra memory at most 1/10 of vectorized's"
        " at (B,H,L,E)=(1,1,8192,64)",
    ),
    dict(
        id="cpu-tiled-vs-sdpa",
        device="cpu",
        dtype="float32",
        section=_K,
        shape=dict(B=1, H=1, L=4096, S=4096, E=64),
        metric="time_ratio",
        rows=("tiled", "sdpa"),
        op="<=",
        threshold=1.25,
        text="tiled within 1.25x of SDPA's time at (B,H,L,E)=(1,1,4096,64)",
    ),
    dict(
        id="cuda-vectorized-tflops",
        device="cuda",
        dtype="bfloat16",
        section=_K,
        shape=dict(B=4, H=16, L=4096, S=4096, E=64),
        metric="flops_per_s",
        rows=("vectorized",),
        op=">=",
        threshold=40e12,
        text="vectorized >= 40 TFLOP/s at (B,H,L,E)=(4,16,4096,64), bfloat16",
    ),
] + [
    dict(
        id=f"cuda-mha-sdpa-vs-torch-{dt}",
        device="cuda",
        dtype=dt,
        section="mha",
        shape=dict(B=8, L=512, D=512, H=8),
        metric="time_ratio",
        rows=("ours-sdpa", "nn.MultiheadAttention"),
        op="<=",
        threshold=1.2,
        text='MultiHeadAttention(kernel="sdpa") within 1.2x of nn.MultiheadAttention'
        f" at (B,L,D,H)=(8,512,512,8), {dt}",
    )
    for dt in ("bfloat16", "float32")
]


def _find(rows, target, name):
    for r in rows:
        if (r["section"], r["dtype"], r["shape"], r["name"]) == (
            target["section"],
            target["dtype"],
            target["shape"],
            name,
        ) and r.get("pass", "forward") == target.get("pass", "forward"):
            return r
    return None


def _value(target, rows):
    found = [_find(rows, target, n) for n in target["rows"]]
    if any(r is None for r in found):
        return None
    if target["metric"] == "time_ratio":
        a, b = (r["median_s"] for r in found)
    elif target["metric"] == "memory_ratio":
        a, b = (r["peak_bytes"] for r in found)
    else:
        a, b = found[0]["flops_per_s"], 1.0
    return None if a is None or b is None or b == 0 else a / b


def evaluate(results: dict) -> list:
    """Check every target against the measured rows.

    Returns dicts with the target's id, text, threshold and op, the measured
    ``value`` (None if not measured) and ``status`` PASS, FAIL or SKIP
    (targets of another device, or whose rows this run did not measure).

    >>> shape = dict(B=2, H=4, L=128, S=128, E=64)
    >>> rows = [dict(section="kernel", dtype="float32", shape=shape, name=n,
    ...              median_s=t, peak_bytes=None, flops_per_s=None)
    ...         for n, t in (("naive", 3.0), ("vectorized", 0.001))]
    >>> targets = evaluate({"device": "cpu", "rows": rows})
    >>> [(t["id"], t["status"]) for t in targets][:2], targets[0]["value"]
    ([('cpu-vectorized-vs-naive', 'PASS'), ('cpu-vectorized-vs-sdpa', 'SKIP')], 3000.0)
    >>> evaluate({"device": "cpu", "rows": rows})[-1]["status"]  # a GPU target
    'SKIP'
    """
    out = []
    for t in TARGETS:
        value = _value(t, results["rows"]) if t["device"] == results["device"] else None
        if value is None:
            status = "SKIP"
        else:
            status = (
                "PASS"
                if (
                    value >= t["threshold"]
                    if t["op"] == ">="
                    else value <= t["threshold"]
                )
                else "FAIL"
            )
        out.append(
            {
                k: t[k]
                for k in ("id", "device", "dtype", "text", "metric", "op", "threshold")
            }
            | {"value": value, "status": status}
        )
    return out


def _fmt(t):
    metric, value = t["metric"], t["value"]
    if value is None:
        return (
            f"needs --device {t['device']}"
            if t.get("device") == "cuda"
            else "not measured in this run"
        )
    if metric == "time_ratio":
        return f"measured {value:.2f}x"
    if metric == "memory_ratio":
        return f"measured 1/{1 / value:.1f}" if value > 0 else "measured 0"
    return f"measured {format_rate(value)}"


def format_targets(targets: list) -> list:
    """One ``PASS``/``FAIL``/``SKIP`` line per target.

    >>> format_targets([dict(status="PASS", text="fast", metric="time_ratio",
    ...                      value=1.25)])
    ['Targets:', 'PASS  fast: measured 1.25x']
    """
    return ["Targets:"] + [f"{t['status']:<4}  {t['text']}: {_fmt(t)}" for t in targets]
