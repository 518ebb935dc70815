"""The benchmark's results as text: a table per section, pass and dtype; targets."""

from __future__ import annotations

from .flops import format_rate
from .targets import format_targets
from .timing import format_time

__all__ = ["format_table"]

SECTIONS = (
    ("kernel", "BHLSE", "sdpa", "Attention kernels"),
    ("mha", "BLDH", "nn.MHA", "Multi-head attention layers"),
)
PASSES = ("forward", "forward+backward")


def _mib(n):
    if n is None:
        return "-"
    return f"{n / 2**20:.2f}" if n < 10 * 2**20 else f"{n / 2**20:.1f}"


def _line(r, dims):
    med = "-" if r["median_s"] is None else format_time(r["median_s"])
    ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
    speed = "-" if r["flops_per_s"] is None else format_rate(r["flops_per_s"])
    note = f"  ({r['error']})" if r["error"] else ""
    cells = f"{med:>10}{ratio:>10}{_mib(r['peak_bytes']):>10}{speed:>15}{note}"
    return " ".join(f"{r['shape'][c]:>5}" for c in dims) + f"  {r['name']:<22}{cells}"


def _tables(results):
    lines = []
    for section, dims, ref, title in SECTIONS:
        for pass_ in PASSES:
            for dt in results["dtypes"]:
                rows = [
                    r
                    for r in results["rows"]
                    if (r["section"], r.get("pass", "forward"), r["dtype"])
                    == (section, pass_, dt)
                ]
                if not rows:
                    continue
                head = f"{'name':<22}{'median':>10}{'/ ' + ref:>10}"
                lines += [
                    "",
                    f"{title}, {pass_}, {dt} (time / {ref}: how many times slower)",
                    " ".join(f"{c:>5}" for c in dims)
                    + f"  {head}{'peak MiB':>10}{'speed':>15}",
                ]
                lines += [_line(r, dims) for r in rows]
    return lines


def format_table(results: dict) -> str:
    """The measured rows as text tables, one per section, pass and dtype, then targets.

    >>> row = dict(section="kernel", dtype="float32", name="sdpa",
    ...            shape=dict(B=1, H=1, L=8, S=8, E=4), median_s=2e-6, ratio=1.0,
    ...            peak_bytes=None, flops_per_s=1e9, error=None)
    >>> results = dict(device="cpu", device_name="Example CPU", torch_version="2.x",
    ...                date="2000-01-01", rounds=1, dtypes=["float32"], rows=[row],
    ...                targets=[])
    >>> print(format_table(results).splitlines()[4])  # doctest: +NORMALIZE_WHITESPACE
    1 1 8 8 4  sdpa  2.00 µs  1.00x  -  1.00 GFLOP/s
    """
    threads = f", {results['threads']} threads" if "threads" in results else ""
    lines = [
        f"mhacourse.bench on {results['device']}: {results['device_name']}, "
        f"torch {results['torch_version']}, {results['date']}{threads}, "
        f"{results['rounds']} rounds (medians of pooled runs)",
        *_tables(results),
        "",
        "peak MiB: peak extra memory of one call (naive rows: not measured).",
        "speed: 4*B*H*L*S*E FLOP per forward call for kernels, plus 2*D*D per",
        "projected token for layers; forward+backward counts 3.5x the attention",
        "and 3x the projections (see mhacourse.bench.flops).",
        "",
    ]
    return "\n".join(lines + format_targets(results["targets"]))
