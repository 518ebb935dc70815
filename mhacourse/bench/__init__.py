"""Measuring attention honestly: time, memory, FLOPs, and the course's benchmark.

* :mod:`~mhacourse.bench.timing` - interleaved rounds, pooled medians.
* :mod:`~mhacourse.bench.memory` - peak extra memory of one call (CPU and CUDA).
* :mod:`~mhacourse.bench.flops` - FLOP counts and rates.
* :mod:`~mhacourse.bench.suite` - the benchmark: kernels and layers against PyTorch's
  (:mod:`~mhacourse.bench.measure` times one group, :mod:`~mhacourse.bench.table`
  prints the results).
* :mod:`~mhacourse.bench.traffic` - bytes moved to and from main memory, per kernel.
* :mod:`~mhacourse.bench.targets` - the performance targets checked on its rows.
* :mod:`~mhacourse.bench.plot` - plots of a results file.
* :mod:`~mhacourse.bench.decode` - decode time per token with a KV cache, per attention
  variant of today's LLMs (chapter 9).

Run the benchmark with ``python -m mhacourse.bench`` (``--help`` lists the options).

>>> from mhacourse import bench
>>> bench.format_time(0.00123)
'1.23 ms'
"""

from . import (
    decode,
    flops,
    measure,
    memory,
    plot,
    suite,
    table,
    targets,
    timing,
    traffic,
)
from .flops import attention_flops, flops_per_second, format_rate, mha_flops
from .measure import kernel_names
from .memory import peak_memory
from .plot import load_results, plot_sweep, sweep_rows
from .suite import main, plan, run, sweep_groups
from .table import format_table
from .timing import compare, format_time
from .traffic import bytes_moved

__all__ = [
    "attention_flops",
    "bytes_moved",
    "compare",
    "decode",
    "flops",
    "flops_per_second",
    "format_rate",
    "format_table",
    "format_time",
    "kernel_names",
    "load_results",
    "main",
    "measure",
    "memory",
    "mha_flops",
    "peak_memory",
    "plan",
    "plot",
    "plot_sweep",
    "run",
    "suite",
    "sweep_groups",
    "sweep_rows",
    "table",
    "targets",
    "timing",
    "traffic",
]
