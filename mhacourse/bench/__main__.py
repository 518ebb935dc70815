"""``python -m mhacourse.bench``: run the benchmark (see :mod:`mhacourse.bench.suite`)."""

from .suite import main

main()
