"""Synthetic tasks small enough to train on a CPU in about a second.

The task here needs **two different relations** at every position, so it is
a test bed for the question "why several heads?":

* the *previous-token* relation: position ``i`` must report the value at
  ``i - 1`` (a relation by **position**);
* the *marker* relation: every position must report the value of the one
  marked token in the sequence (a relation by **content**).

Each input token has two features, a value in ``0..V-1`` and a flag that is 1
at exactly one position (the marker). Shape legend: B batch (number of
sequences), L sequence length, V number of values.

A model sees the features through *separate* embeddings that are summed, so
a token's value vector does not say whether it was fetched as "the previous
token" or as "the marker". One attention head outputs a single weighted mix
of value vectors per query, and from a mix of two tokens a linear read-out
cannot tell which is which; two heads can fetch the two tokens separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = [
    "IGNORE",
    "TwoRelationData",
    "make_four_relation_data",
    "make_two_relation_data",
    "token_labels",
]

IGNORE = -100
"""Target that loss and accuracy skip (``F.cross_entropy``'s ``ignore_index``)."""


@dataclass
class TwoRelationData:
    """A batch of the two-relation task.

    Attributes:
        inputs: long (B, L, 2): ``[..., 0]`` the value in 0..V-1,
            ``[..., 1]`` the flag (1 at the marker, else 0).
        targets: long (B, L, 2): ``[..., 0]`` the previous value
            (``IGNORE`` at position 0), ``[..., 1]`` the marker's value.
        marker: long (B,), the marker's position in each sequence.
        num_values: V.

    >>> data = make_two_relation_data(3, 6, 4)
    >>> len(data), data.inputs.shape, data.marker.shape, data.num_values
    (3, torch.Size([3, 6, 2]), torch.Size([3]), 4)
    >>> rows = torch.arange(len(data))
    >>> flags = data.inputs[rows, data.marker, 1]
    >>> bool((flags == 1).all()), data.targets[:, 0, 0].tolist()
    (True, [-100, -100, -100])
    >>> marked = data.inputs[rows, data.marker, 0][:, None]  # the marker's value
    >>> bool((data.targets[..., 1] == marked).all())
    True
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    marker: torch.Tensor
    num_values: int

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def __getitem__(self, idx) -> TwoRelationData:
        """A sub-batch, e.g. ``data[:64]``.

        >>> make_two_relation_data(10, 6, 4)[:3].inputs.shape
        torch.Size([3, 6, 2])
        """
        if isinstance(idx, int):
            idx = slice(idx, idx + 1)
        return TwoRelationData(
            self.inputs[idx], self.targets[idx], self.marker[idx], self.num_values
        )

    def to(self, device) -> TwoRelationData:
        """The same data on ``device``."""
        return TwoRelationData(
            self.inputs.to(device),
            self.targets.to(device),
            self.marker.to(device),
            self.num_values,
        )


def make_two_relation_data(
    num_seqs: int, length: int, num_values: int, seed: int = 0
) -> TwoRelationData:
    """Sample ``num_seqs`` sequences of the two-relation task, reproducibly.

    Args:
        num_seqs: B.
        length: L, at least 2.
        num_values: V, at least 2.
        seed: the data depend only on this seed (a private generator is
            used, so the global random state is left alone).

    Returns:
        A :class:`TwoRelationData` with inputs and targets of shape (B, L, 2).

    >>> data = make_two_relation_data(2, 5, 4, seed=0)
    >>> data.inputs.shape, data.targets.shape
    (torch.Size([2, 5, 2]), torch.Size([2, 5, 2]))
    >>> bool((data.inputs[..., 1].sum(dim=1) == 1).all())   # one marker per sequence
    True
    >>> bool((data.targets[:, 1:, 0] == data.inputs[:, :-1, 0]).all())  # previous
    True
    """
    if num_seqs < 1 or length < 2 or num_values < 2:
        raise ValueError(
            "need num_seqs >= 1, length >= 2, num_values >= 2; got "
            f"num_seqs={num_seqs}, "
            f"length={length}, num_values={num_values}"
        )
    g = torch.Generator().manual_seed(seed)
    values = torch.randint(0, num_values, (num_seqs, length), generator=g)  # (B, L)
    marker = torch.randint(0, length, (num_seqs,), generator=g)  # (B,)
    rows = torch.arange(num_seqs)  # (B,)
    flags = torch.zeros(num_seqs, length, dtype=torch.long)  # (B, L)
    flags[rows, marker] = 1
    prev = torch.full((num_seqs, length), IGNORE, dtype=torch.long)  # (B, L)
    prev[:, 1:] = values[:, :-1]
    marked_value = values[rows, marker][:, None].expand(num_seqs, length)  # (B, L)
    inputs = torch.stack([values, flags], dim=-1)  # (B, L, 2)
    targets = torch.stack([prev, marked_value], dim=-1)  # (B, L, 2)
    return TwoRelationData(inputs, targets, marker, num_values)


def token_labels(inputs: torch.Tensor) -> list[str]:
    """Readable labels for one sequence: values as letters, the marker in upper case.

    Args:
        inputs: long (L, 2), one sequence of :func:`make_two_relation_data`.

    >>> token_labels(torch.tensor([[3, 0], [1, 0], [2, 1], [0, 0]]))
    ['d', 'b', 'C', 'a']
    """
    if inputs.dim() != 2 or inputs.shape[-1] != 2:
        raise ValueError(f"inputs must have shape (L, 2), got {tuple(inputs.shape)}")
    letters = "abcdefghijklmnopqrstuvwxyz"
    if int(inputs[:, 0].max()) >= len(letters):
        raise ValueError(
            f"token_labels supports at most {len(letters)} values, got a value "
            f"{int(inputs[:, 0].max())}"
        )
    return [letters[v].upper() if f else letters[v] for v, f in inputs.tolist()]


def make_four_relation_data(
    num_seqs: int, length: int, num_values: int, seed: int = 0
) -> TwoRelationData:
    """The two-relation task with two more relations: four targets per position.

    Targets (B, L, 4): the previous value, the value two steps back
    (``IGNORE`` where there is none), the marker's value, and the first
    token's value. Used to ask how many heads a task with several relations
    needs. The inputs are those of :func:`make_two_relation_data` with the
    same arguments.

    >>> data = make_four_relation_data(3, 6, 4, seed=0)
    >>> data.targets.shape
    torch.Size([3, 6, 4])
    >>> bool((data.targets[:, 2:, 1] == data.inputs[:, :-2, 0]).all())   # two back
    True
    >>> bool((data.targets[..., 3] == data.inputs[:, :1, 0]).all())      # first token
    True
    """
    base = make_two_relation_data(num_seqs, length, num_values, seed)
    values = base.inputs[..., 0]  # (B, L)
    back2 = torch.full_like(values, IGNORE)  # (B, L)
    back2[:, 2:] = values[:, :-2]
    first = values[:, :1].expand_as(values)  # (B, L)
    prev, marked = base.targets.unbind(-1)  # (B, L) each
    targets = torch.stack([prev, back2, marked, first], dim=-1)  # (B, L, 4)
    return TwoRelationData(base.inputs, targets, base.marker, num_values)
