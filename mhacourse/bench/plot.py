"""Plots of benchmark results: time, peak memory and speed against sequence length.

Works on the dict returned by :func:`mhacourse.bench.run` or on a JSON file
written by ``python -m mhacourse.bench --json PATH`` (CPU or GPU).
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt

__all__ = ["load_results", "plot_sweep", "sweep_rows"]

REQUIRED = (
    "schema_version",
    "device",
    "device_name",
    "torch_version",
    "date",
    "dtypes",
    "rows",
)
STYLE = {
    "naive": ("tab:red", "o"),
    "vectorized": ("tab:blue", "s"),
    "tiled": ("tab:green", "^"),
    "sdpa": ("black", "D"),
}


def load_results(path) -> dict:
    """Read a results file of ``python -m mhacourse.bench --json``; check its keys.

    >>> import os, tempfile
    >>> keys = dict(schema_version=1, device="cpu", device_name="Example CPU",
    ...             torch_version="2.x", date="2000-01-01", dtypes=["float32"], rows=[])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = os.path.join(d, "bench.json")
    ...     with open(path, "w") as f:
    ...         json.dump(keys, f)
    ...     load_results(path)["device_name"]
    'Example CPU'
    """
    with open(path) as f:
        results = json.load(f)
    missing = [k for k in REQUIRED if k not in results]
    if missing:
        raise ValueError(
            f"{path} is not a mhacourse.bench results file: missing keys {missing}"
        )
    return results


def sweep_rows(results: dict, dtype: str | None = None) -> dict:
    """The forward length-sweep kernel rows: name -> measured rows sorted by L.

    >>> rows = [dict(section="kernel", sweep=True, dtype="float32", name="tiled",
    ...              median_s=t, shape=dict(B=1, H=1, L=n, S=n, E=8))
    ...         for n, t in ((64, 2.0), (32, 1.0))]
    >>> found = sweep_rows({"dtypes": ["float32"], "rows": rows})
    >>> [r["shape"]["L"] for r in found["tiled"]]
    [32, 64]
    """
    dtype = dtype or results["dtypes"][0]
    out = {}
    for r in results["rows"]:
        if (
            r["section"] == "kernel"
            and r.get("sweep")
            and r.get("pass", "forward") == "forward"
            and r["dtype"] == dtype
            and r["median_s"] is not None
        ):
            out.setdefault(r["name"], []).append(r)
    return {name: sorted(rs, key=lambda r: r["shape"]["L"]) for name, rs in out.items()}


def plot_sweep(results: dict, dtype: str | None = None, title: str | None = None):
    """Three log-log panels against L = S: median time, peak memory, attained speed.

    Returns ``(fig, axes)``; never calls ``plt.show()``. Rows whose memory
    was not measured are left out of the memory panel.

    >>> rows = [dict(section="kernel", sweep=True, dtype="float32", name="tiled",
    ...              shape=dict(B=1, H=1, L=n, S=n, E=8), median_s=n * 1e-6,
    ...              peak_bytes=n * 1024, flops_per_s=4 * n * n * 8 / (n * 1e-6))
    ...         for n in (32, 64)]
    >>> results = dict(device="cpu", device_name="Example CPU", torch_version="2.x",
    ...                date="2000-01-01", dtypes=["float32"], rows=rows)
    >>> fig, axes = plot_sweep(results)
    >>> labels = [line.get_label() for line in axes[0].get_lines()]
    >>> [ax.get_title() for ax in axes], labels, axes[2].get_ylabel()
    (['time', 'memory', 'speed'], ['tiled'], 'attained GFLOP/s')
    >>> plt.close(fig)
    """
    dtype = dtype or results["dtypes"][0]
    rows = sweep_rows(results, dtype)
    if not rows:
        raise ValueError(
            f"no measured length-sweep rows with dtype={dtype!r} in these results"
        )
    gpu = results["device"] == "cuda"
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    panels = [
        ("median time per call (s)", lambda r: r["median_s"], "time"),
        (
            "peak extra memory (MiB)",
            lambda r: None if r.get("peak_bytes") is None else r["peak_bytes"] / 2**20,
            "memory",
        ),
        (
            "attained TFLOP/s" if gpu else "attained GFLOP/s",
            lambda r: r["flops_per_s"] / (1e12 if gpu else 1e9),
            "speed",
        ),
    ]
    for ax, (ylabel, get, panel) in zip(axes, panels, strict=True):
        for name, rs in rows.items():
            pts = [(r["shape"]["L"], get(r)) for r in rs if get(r) is not None]
            if pts:
                color, marker = STYLE.get(name, (None, "x"))
                ax.plot(*zip(*pts, strict=True), marker=marker, color=color, label=name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length L = S")
        ax.set_ylabel(ylabel)
        ax.set_title(panel)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend()
    shape = next(iter(rows.values()))[0]["shape"]
    batch = (
        "B varies with L"
        if len({r["shape"]["B"] for rs in rows.values() for r in rs}) > 1
        else f"B={shape['B']}"
    )
    fig.suptitle(
        title
        or f"{results['device_name']}, {dtype}, {batch}, H={shape['H']}, "
        f"E={shape['E']} "
        f"(measured {results['date'][:10]}, torch {results['torch_version']})"
    )
    fig.tight_layout()
    return fig, axes
