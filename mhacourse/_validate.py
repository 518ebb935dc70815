"""Input checks shared by every kernel and module.

Each check raises an error that names the offending argument and its shape,
so a reader sees *what* is wrong instead of a deep stack trace from a matmul.
Shape legend: B batch, H heads, L query length, S key length, E head dim.
"""

from __future__ import annotations

import torch

__all__ = ["check_divisible", "check_mask", "check_mha_inputs", "check_qkv"]


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def check_qkv(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, grouped: bool = False
) -> None:
    """Check q (..., L, E), k (..., S, E), v (..., S, Ev) for a kernel.

    Raises ``TypeError`` for non-tensors or mixed/non-float dtypes and
    ``ValueError`` for rank, head-dim, length, batch or device mismatches.
    With ``grouped=True``, q (B, H, L, E) may have more heads than k and
    v (B, H_kv, S, E) as long as H_kv divides H (grouped-query attention).

    >>> check_qkv(torch.ones(2, 3, 4), torch.ones(2, 5, 4), torch.ones(2, 5, 6))
    >>> kv = torch.ones(1, 2, 5, 2)  # (B, H_kv, S, E)
    >>> check_qkv(torch.ones(1, 4, 3, 2), kv, kv, grouped=True)  # H = 4
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_tensor(name, t)
        if t.dim() < 2:
            raise ValueError(
                f"{name} must have at least 2 dims (..., length, dim), got shape "
                f"{_shape(t)}"
            )
        if not t.is_floating_point():
            raise TypeError(
                f"{name} must be a floating-point tensor, got dtype {t.dtype}"
            )
    _check_same_device_and_dtype(q, k, v)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            "q and k must have the same head dim E: q has shape "
            f"{_shape(q)} (E={q.shape[-1]}), "
            f"k has shape {_shape(k)} (E={k.shape[-1]})"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            "k and v must have the same length S: k has shape "
            f"{_shape(k)} (S={k.shape[-2]}), "
            f"v has shape {_shape(v)} (S={v.shape[-2]})"
        )
    if grouped and _groups_ok(q, k) and k.shape[:-2] == v.shape[:-2]:
        return
    if not (q.shape[:-2] == k.shape[:-2] == v.shape[:-2]):
        raise ValueError(
            "q, k and v must have the same leading batch dims, got "
            f"q {_shape(q)}, k {_shape(k)}, v {_shape(v)}"
        )


def _check_same_device_and_dtype(q, k, v) -> None:
    if not (q.device == k.device == v.device):
        raise ValueError(
            f"q, k and v must be on one device, got q on {q.device}, k on {k.device}, "
            f"v on {v.device}"
        )
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(
            f"q, k and v must share a dtype, got q {q.dtype}, k {k.dtype}, v {v.dtype}"
        )


def _groups_ok(q: torch.Tensor, k: torch.Tensor) -> bool:
    """True when k's head count H_kv (dim -3) divides q's H, other dims equal."""
    if q.dim() < 4 or q.dim() != k.dim() or k.shape[-3] == 0:
        return False
    same = q.shape[:-3] == k.shape[:-3]
    return same and q.shape[-3] % k.shape[-3] == 0


def check_mask(
    mask: torch.Tensor | None,
    target: tuple[int, ...],
    device: torch.device,
    what: str = "(..., L, S)",
) -> None:
    """Check that ``mask`` is a bool tensor that broadcasts to ``target``.

    ``target`` is the full score shape, e.g. (B, H, L, S). The mask may have
    fewer dims, but broadcasting must not *grow* the target: a mask with an
    extra batch dim is an error, never a silent broadcast.

    >>> check_mask(torch.ones(1, 5, dtype=torch.bool), (2, 3, 5), torch.device("cpu"))
    """
    if mask is None:
        return
    if not isinstance(mask, torch.Tensor):
        raise TypeError(
            f"mask must be a bool torch.Tensor or None, got {type(mask).__name__}"
        )
    if mask.dtype != torch.bool:
        raise TypeError(
            "mask must have dtype torch.bool (True = may attend), got "
            f"{mask.dtype} with shape {_shape(mask)}; "
            "for an additive float mask, convert with mask == 0"
        )
    if mask.device != device:
        raise ValueError(f"mask is on {mask.device} but the inputs are on {device}")
    ok = mask.dim() <= len(target)
    if ok:
        try:
            ok = torch.broadcast_shapes(mask.shape, target) == torch.Size(target)
        except RuntimeError:
            ok = False
    if not ok:
        raise ValueError(
            f"mask with shape {_shape(mask)} cannot broadcast to the scores' shape "
            f"{what} = {tuple(target)}"
        )


def _check_tensor(name: str, t) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")


def check_mha_inputs(query, key, value, sizes, device) -> None:
    """Check a module's query (B, L, D), key (B, S, kdim) and value (B, S, vdim).

    ``sizes`` is (D, kdim, vdim); ``device`` is where the module's weights are.

    >>> x = torch.ones(2, 3, 4)
    >>> check_mha_inputs(x, x, x[:, :, :1], (4, 4, 2), x.device)
    Traceback (most recent call last):
    ...
    ValueError: value must have shape (B, S, 2), got (2, 3, 1)
    """
    for name, t, size in zip(
        ("query", "key", "value"), (query, key, value), sizes, strict=True
    ):
        _check_tensor(name, t)
        if t.dim() != 3 or t.shape[-1] != size:
            length = "L" if name == "query" else "S"
            raise ValueError(
                f"{name} must have shape (B, {length}, {size}), got {_shape(t)}"
            )
    if key.shape[:2] != value.shape[:2]:
        raise ValueError(
            f"key and value must share (B, S), got key {_shape(key)} "
            f"and value {_shape(value)}"
        )
    if query.shape[0] != key.shape[0]:
        raise ValueError(
            f"query and key must share the batch size B, got query "
            f"{_shape(query)} and key {_shape(key)}"
        )
    if not (query.device == key.device == value.device):
        raise ValueError(
            f"query, key and value must be on one device, got {query.device}, "
            f"{key.device}, {value.device}"
        )
    if query.device != device:
        raise ValueError(
            f"query is on {query.device} but the module's weights are on "
            f"{device}; move one with .to(device)"
        )


def check_divisible(embed_dim: int, num_heads: int) -> int:
    """Return the head dim E = D // H, or raise if D is not divisible by H.

    >>> check_divisible(16, 8)
    2
    """
    if num_heads <= 0:
        raise ValueError(f"num_heads must be positive, got num_heads={num_heads}")
    if embed_dim % num_heads:
        raise ValueError(
            f"embed_dim={embed_dim} is not divisible by num_heads={num_heads}"
        )
    return embed_dim // num_heads
