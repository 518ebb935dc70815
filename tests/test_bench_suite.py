"""`python -m mhacourse.bench --quick` runs, prints a table, writes consistent JSON."""

import dataclasses
import json
import statistics
import subprocess
import sys

import pytest
import torch

from mhacourse import kernels
from mhacourse.bench.flops import attention_flops, mha_flops
from mhacourse.bench.measure import MHA_REF, skip_reason
from mhacourse.bench.suite import main, plan
from mhacourse.bench.targets import TARGETS


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "mhacourse.bench", "--quick", "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(path.read_text())


def test_json_schema(quick):
    _, res = quick
    for key, kind in [
        ("schema_version", int),
        ("device", str),
        ("device_name", str),
        ("torch_version", str),
        ("date", str),
        ("dtypes", list),
        ("rows", list),
        ("targets", list),
        ("rounds", int),
    ]:
        assert isinstance(res[key], kind), key
    assert (
        res["device"] == "cpu" and res["dtypes"] == ["float32"] and res["quick"] is True
    )
    groups = plan("cpu", quick=True)
    assert len(res["rows"]) == sum(len(g["names"]) for g in groups)
    for r in res["rows"]:
        assert r["section"] in ("kernel", "mha") and r["dtype"] == "float32"
        assert r["error"] == skip_reason(r["name"], "cpu")  # None unless skipped
        assert r["name"] in set(kernels.REGISTRY) | {
            "ours-naive",
            "ours-vectorized",
            "ours-sdpa",
            MHA_REF,
        }
        if r["error"]:  # a skipped row measures nothing
            assert r["median_s"] is None
            continue
        assert r["median_s"] > 0 and r["samples_s"]
        assert r["peak_bytes"] is None if "naive" in r["name"] else r["peak_bytes"] >= 0


def test_medians_ratios_and_speeds_come_from_the_samples(quick):
    _, res = quick
    rows = [r for r in res["rows"] if not r["error"]]  # skipped rows measure nothing
    assert rows
    for r in rows:
        assert r["median_s"] == statistics.median(r["samples_s"])
        same_group = [
            x
            for x in rows
            if (x["section"], x["shape"], x["pass"])
            == (r["section"], r["shape"], r["pass"])
        ]
        ref = next(x for x in same_group if x["name"] == r["ref"])
        assert r["ratio"] == pytest.approx(r["median_s"] / ref["median_s"], rel=1e-12)
        s, both = r["shape"], r["pass"] == "forward+backward"
        expected = (
            attention_flops(s["B"], s["H"], s["L"], s["S"], s["E"], backward=both)
            if r["section"] == "kernel"
            else mha_flops(s["B"], s["L"], s["L"], s["D"], backward=both)
        )
        assert r["flops"] == expected
        assert r["flops_per_s"] == pytest.approx(expected / r["median_s"], rel=1e-12)
    assert {r["ref"] for r in rows} == {"sdpa", MHA_REF}


def test_printed_table_matches_the_json(quick):
    out, res = quick
    for r in res["rows"]:
        assert f"{r['ratio']:.2f}x" in out if not r["error"] else r["error"] in out
    assert out.count("SKIP") == len(TARGETS)  # quick shapes are not the target shapes
    assert [t["id"] for t in res["targets"]] == [t["id"] for t in TARGETS]


def test_bad_device_is_an_error(capsys):
    with pytest.raises(SystemExit):
        main(["--device", "mps"])
    assert "--device" in capsys.readouterr().err


def test_every_registered_kernel_is_timed_forward_and_backward(quick):
    _, res = quick
    for pass_ in ("forward", "forward+backward"):
        kernel_rows = {
            r["name"]
            for r in res["rows"]
            if r["section"] == "kernel" and r["pass"] == pass_
        }
        assert kernel_rows == set(kernels.REGISTRY), pass_
        layer_rows = {
            r["name"]
            for r in res["rows"]
            if r["section"] == "mha" and r["pass"] == pass_
        }
        assert MHA_REF in layer_rows and "ours-sdpa" in layer_rows, pass_


def _interpreted_on_cpu(name="interp"):
    """The vectorized kernel, registered under a new name as if interpreted on CPUs:
    the benchmark must skip it by that capability, never by its name."""
    spec = kernels.REGISTRY["vectorized"]
    return dataclasses.replace(spec, name=name, interpreted_on=("cpu",))


def test_a_kernel_registered_later_joins_the_plan(monkeypatch):
    monkeypatch.setitem(kernels.REGISTRY, "interp", _interpreted_on_cpu())
    cpu = plan("cpu")
    first = cpu[0]["names"]
    assert "interp" in first  # listed once, as skipped, with its reason
    assert all("interp" not in g["names"] for g in cpu if g["sweep"])
    assert skip_reason("interp", "cpu").startswith("skipped")
    assert skip_reason("interp", "cuda") is None
    cuda = plan("cuda")
    assert all("interp" in g["names"] for g in cuda if g["section"] == "kernel")
    both = [g for g in cuda if g["pass"] == "forward+backward"]
    assert both and any(g["section"] == "mha" for g in both)


def test_skipped_kernel_gets_a_row_with_its_reason(monkeypatch):
    from mhacourse.bench.measure import measure_group

    monkeypatch.setitem(kernels.REGISTRY, "interp", _interpreted_on_cpu())
    group = plan("cpu", quick=True)[0]
    rows = measure_group(group, torch.device("cpu"), torch.float32, 1, 0.001)
    interp = next(r for r in rows if r["name"] == "interp")
    assert interp["median_s"] is None and interp["error"].startswith("skipped")
    assert all(r["median_s"] > 0 for r in rows if r["error"] is None)


def test_a_compiled_kernel_is_skipped_where_torch_compile_fails(monkeypatch):
    from mhacourse.kernels import compiled

    monkeypatch.setitem(compiled._PROBLEMS, "cpu", "torch.compile fails on this cpu")
    assert skip_reason("tiled-compiled", "cpu").startswith("skipped: torch.compile")
    assert all("tiled-compiled" not in g["names"] for g in plan("cpu") if g["sweep"])
