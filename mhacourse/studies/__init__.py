"""The experiments behind the chapters' claims, kept apart from the attention core.

* :mod:`~mhacourse.studies.normalization` - softmax against ReLU, entropy, saturation.
* :mod:`~mhacourse.studies.toy_tasks` - synthetic data with known relations.
* :mod:`~mhacourse.studies.tiny_model` - a one-layer attention model, trained.
* :mod:`~mhacourse.studies.head_analysis` - head diversity, ablation, identical heads.
* :mod:`~mhacourse.studies.subspace_attention` - heads restricted to fixed subspaces.
* :mod:`~mhacourse.studies.synthetic_language` - sentences with known relations.
* :mod:`~mhacourse.studies.tiny_lm` - a small causal Transformer and its head probes.
* :mod:`~mhacourse.studies.seq2seq` - a tiny encoder-decoder trained on reversal.
* :mod:`~mhacourse.studies.gqa_sharing` - what sharing key/value heads costs in quality.
* :mod:`~mhacourse.studies.stats` - Wilson and bootstrap intervals for the results.

>>> from mhacourse.studies import normalization
>>> import torch
>>> normalization.entropy(torch.tensor([0.5, 0.5])).item() > 0.69
True
"""

from . import (
    gqa_sharing,
    head_analysis,
    normalization,
    seq2seq,
    stats,
    subspace_attention,
    synthetic_language,
    tiny_lm,
    tiny_model,
    toy_tasks,
)

__all__ = [
    "gqa_sharing",
    "head_analysis",
    "normalization",
    "seq2seq",
    "stats",
    "subspace_attention",
    "synthetic_language",
    "tiny_lm",
    "tiny_model",
    "toy_tasks",
]
