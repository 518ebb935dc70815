"""The benchmark plots work on a results file, e.g. a GPU one (here a stand-in)."""

import json

import matplotlib.pyplot as plt
import pytest

from mhacourse.bench.plot import load_results, plot_sweep, sweep_rows


def synthetic_gpu_results():
    rows = []
    for dtype in ("bfloat16", "float32"):
        for L in (512, 1024, 2048):
            for name, t in (("vectorized", 2e-9), ("tiled", 3e-9), ("sdpa", 1e-9)):
                B = 16384 // L
                flops = 4 * B * 16 * L * L * 64
                rows.append(
                    dict(
                        section="kernel",
                        sweep=True,
                        dtype=dtype,
                        shape=dict(B=B, H=16, L=L, S=L, E=64),
                        name=name,
                        median_s=t * L * L,
                        peak_bytes=None if name == "sdpa" else L * 1000,
                        flops=flops,
                        flops_per_s=flops / (t * L * L),
                    )
                )
    rows.append(
        dict(
            section="kernel",
            sweep=False,
            dtype="float32",
            shape=dict(B=1, H=1, L=32, S=32, E=64),
            name="naive",
            median_s=1.0,
            peak_bytes=None,
            flops=1,
            flops_per_s=1.0,
        )
    )
    return dict(
        schema_version=1,
        device="cuda",
        device_name="Synthetic GPU (test data, not a measurement)",
        torch_version="0.0",
        date="2000-01-01T00:00:00+00:00",
        dtypes=["bfloat16", "float32"],
        rows=rows,
    )


def test_plot_from_a_json_file(tmp_path):
    path = tmp_path / "bench-cuda.json"
    path.write_text(json.dumps(synthetic_gpu_results()))
    results = load_results(path)
    assert set(sweep_rows(results, "float32")) == {"vectorized", "tiled", "sdpa"}
    fig, axes = plot_sweep(results, dtype="float32")
    assert len(axes) == 3
    assert (
        "Synthetic GPU" in fig._suptitle.get_text()
        and "float32" in fig._suptitle.get_text()
    )
    assert axes[2].get_ylabel() == "attained TFLOP/s"
    assert [line.get_label() for line in axes[0].get_lines()] == [
        "vectorized",
        "tiled",
        "sdpa",
    ]
    assert [line.get_label() for line in axes[1].get_lines()] == [
        "vectorized",
        "tiled",
    ]  # sdpa memory missing
    assert list(axes[0].get_lines()[0].get_xdata()) == [512, 1024, 2048]
    plt.close(fig)


def test_bad_files(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"rows": []}))
    with pytest.raises(ValueError, match="missing keys"):
        load_results(path)
    with pytest.raises(ValueError, match="dtype"):
        plot_sweep(synthetic_gpu_results(), dtype="float16")


def test_custom_title_is_the_figure_title():
    fig, _ = plot_sweep(synthetic_gpu_results(), title="my title")
    assert fig._suptitle.get_text() == "my title"
    plt.close(fig)
