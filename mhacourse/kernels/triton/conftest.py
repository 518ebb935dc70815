"""pytest --doctest-modules: run this package's examples only where they can run.

``_kernels.py`` and ``_launch.py`` hold no examples and import triton, which
must not happen at collection time (it would fix the interpreter switch too
early), so they are never collected. The examples use CPU tensors, so they
are skipped without triton, and on a CUDA machine unless TRITON_INTERPRET=1.
"""

import importlib.util
import os

import pytest
import torch

collect_ignore = ["_kernels.py", "_launch.py"]

if importlib.util.find_spec("triton") is None:
    WHY = "needs the triton package (see requirements.txt)"
elif torch.cuda.is_available() and os.environ.get("TRITON_INTERPRET") != "1":
    WHY = "CPU examples need TRITON_INTERPRET=1 on a CUDA machine"
else:
    WHY = None


def pytest_collection_modifyitems(config, items):
    if WHY is None:
        return
    for item in items:
        if "kernels/triton/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.skip(reason=WHY))
