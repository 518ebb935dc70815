"""Plots of benchmark results: time, peak memory and speed against sequence length.

Works on the dict returned by :func:`mhacourse.bench.run` or on a JSON file
written by ``python -m mhacourse.bench --json PATH`` (CPU or GPU).
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt

from ..plot import plain_log_ticks

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
    "tiled-compiled": ("tab:purple", "v"),
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
    (['time', 'memory', 'speed'], ['tiled'], 'GFLOP/s')
    >>> plt.close(fig)
    """
    dtype = dtype or results["dtypes"][0]
    rows = sweep_rows(results, dtype)
    if not rows:
        raise ValueError(
            f"no measured length-sweep rows with dtype={dtype!r} in these results"
        )
    fig, axes = plt.subplots(1, 3, figsize=(8, 3.4))  # the site column: 8 in at most
    panels = _panels(gpu=results["device"] == "cuda")
    for ax, (ylabel, get, panel) in zip(axes, panels, strict=True):
        for name, rs in rows.items():
            pts = [(r["shape"]["L"], get(r)) for r in rs if get(r) is not None]
            if pts:
                color, marker = STYLE.get(name, (None, "x"))
                ax.plot(*zip(*pts, strict=True), marker=marker, color=color, label=name)
        _style_panel(ax, ylabel, panel)
    axes[0].legend()
    fig.suptitle(title or _title(results, rows, dtype))
    if fig.get_layout_engine() is None:  # the course style lays figures out itself
        fig.tight_layout()
    return fig, axes


def _panels(gpu: bool) -> list:
    """(y label, value of a row or None, title) for the three panels."""
    return [
        ("median s per call", lambda r: r["median_s"], "time"),
        (
            "peak extra MiB",
            lambda r: None if r.get("peak_bytes") is None else r["peak_bytes"] / 2**20,
            "memory",
        ),
        (
            "TFLOP/s" if gpu else "GFLOP/s",
            lambda r: r["flops_per_s"] / (1e12 if gpu else 1e9),
            "speed",
        ),
    ]


def _style_panel(ax, ylabel: str, panel: str) -> None:
    """Log-log axes with plain tick labels, labels, title and grid.

    The speed panel's y axis is linear from 0: attained speeds span less than a
    decade, where a log axis would show no tick number at all.
    """
    ax.set_xscale("log", base=2)
    if panel == "speed":
        ax.set_ylim(bottom=0)
        plain_log_ticks(ax, "x")
    else:
        ax.set_yscale("log")
        plain_log_ticks(ax)
    ax.set_xlabel("L = S")
    ax.set_ylabel(ylabel)
    ax.set_title(panel)
    ax.grid(True, which="both", alpha=0.3)


def _title(results: dict, rows: dict, dtype: str) -> str:
    """The default figure title: device, dtype, shape and provenance."""
    shape = next(iter(rows.values()))[0]["shape"]
    batch = (
        "B varies with L"
        if len({r["shape"]["B"] for rs in rows.values() for r in rs}) > 1
        else f"B={shape['B']}"
    )
    return (
        f"{results['device_name']}, {dtype}, {batch}, H={shape['H']}, "
        f"E={shape['E']} "
        f"(measured {results['date'][:10]}, torch {results['torch_version']})"
    )
