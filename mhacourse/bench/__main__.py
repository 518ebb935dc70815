"""``python -m mhacourse.bench``: run the benchmark (:mod:`mhacourse.bench.suite`)."""

from .suite import main

main()
