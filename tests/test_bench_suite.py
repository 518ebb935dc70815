"""`python -m mhacourse.bench --quick`: runs, prints a table, and writes consistent raw JSON."""

import json
import statistics
import subprocess
import sys

import pytest

from mhacourse.bench.flops import attention_flops, mha_flops
from mhacourse.bench.suite import KERNELS, MHA_REF, main, plan
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
        assert (
            r["section"] in ("kernel", "mha")
            and r["dtype"] == "float32"
            and r["error"] is None
        )
        assert r["name"] in set(KERNELS) | {
            "ours-naive",
            "ours-vectorized",
            "ours-sdpa",
            MHA_REF,
        }
        assert r["median_s"] > 0 and r["samples_s"]
        assert r["peak_bytes"] is None if "naive" in r["name"] else r["peak_bytes"] >= 0


def test_medians_ratios_and_speeds_come_from_the_samples(quick):
    _, res = quick
    rows = res["rows"]
    for r in rows:
        assert r["median_s"] == statistics.median(r["samples_s"])
        same_group = [
            x for x in rows if x["section"] == r["section"] and x["shape"] == r["shape"]
        ]
        ref = next(x for x in same_group if x["name"] == r["ref"])
        assert r["ratio"] == pytest.approx(r["median_s"] / ref["median_s"], rel=1e-12)
        s = r["shape"]
        expected = (
            attention_flops(s["B"], s["H"], s["L"], s["S"], s["E"])
            if r["section"] == "kernel"
            else mha_flops(s["B"], s["L"], s["L"], s["D"])
        )
        assert r["flops"] == expected
        assert r["flops_per_s"] == pytest.approx(expected / r["median_s"], rel=1e-12)
    assert {r["ref"] for r in rows} == {"sdpa", MHA_REF}


def test_printed_table_matches_the_json(quick):
    out, res = quick
    for r in res["rows"]:
        assert f"{r['ratio']:.2f}x" in out
    assert out.count("SKIP") == len(TARGETS)  # quick shapes are not the target shapes
    assert [t["id"] for t in res["targets"]] == [t["id"] for t in TARGETS]


def test_bad_device_is_an_error(capsys):
    with pytest.raises(SystemExit):
        main(["--device", "mps"])
    assert "--device" in capsys.readouterr().err
