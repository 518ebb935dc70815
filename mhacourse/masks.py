"""Boolean attention masks, and conversions to PyTorch's other conventions.

Convention used everywhere in this package: a bool mask, **True = may
attend**, the same polarity as ``F.scaled_dot_product_attention``.
``nn.MultiheadAttention`` uses the opposite polarity (True = blocked) for its
bool ``attn_mask`` and ``key_padding_mask``; the helpers below convert.
"""

from __future__ import annotations

import torch

__all__ = [
    "causal_mask",
    "from_torch_masks",
    "padding_mask",
    "sliding_window_mask",
    "to_torch_attn_mask",
    "to_torch_key_padding_mask",
]


def causal_mask(
    L: int, S: int | None = None, device=None, *, offset: int = 0
) -> torch.Tensor:
    """Bool (L, S) mask where query i may attend to keys 0..i + offset.

    The package's one causal mask. ``offset=0`` aligns it to the top-left
    corner, like ``is_causal=True`` in ``F.scaled_dot_product_attention``.
    ``offset=S - L`` aligns it to the bottom-right corner: the L queries are
    the *last* L of S tokens, as when a KV cache holds the S - L earlier ones.

    >>> causal_mask(3).int()
    tensor([[1, 0, 0],
            [1, 1, 0],
            [1, 1, 1]], dtype=torch.int32)
    >>> causal_mask(2, 4, offset=2).int().tolist()  # the last 2 of 4 tokens
    [[1, 1, 1, 0], [1, 1, 1, 1]]
    """
    S = L if S is None else S
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise TypeError(f"offset must be an int, got offset={offset!r}")
    if L < 0 or S < 0:
        raise ValueError(f"lengths must be non-negative, got L={L}, S={S}")
    queries = torch.arange(offset, L + offset, device=device)  # (L,) positions
    keys = torch.arange(S, device=device)  # (S,)
    return keys[None, :] <= queries[:, None]  # (L, S)


def sliding_window_mask(
    L: int, window: int, num_sink_tokens: int = 0, device=None
) -> torch.Tensor:
    """Bool (L, L) causal mask that keeps only the last ``window`` keys.

    Query i may attend to key j iff j <= i and (i - j < window or
    j < num_sink_tokens): its own token and the ``window - 1`` before it
    (Beltagy et al., 2020; Mistral), plus the first ``num_sink_tokens``
    tokens, the *attention sinks* of StreamingLLM (Xiao et al., 2023), which
    every query keeps seeing. ``window >= L`` gives :func:`causal_mask`.
    Pass it as ``mask=`` to :class:`~mhacourse.MultiHeadAttention` or to any
    kernel; for the last L of S cached tokens, take its last L rows.

    >>> sliding_window_mask(5, 2).int()
    tensor([[1, 0, 0, 0, 0],
            [1, 1, 0, 0, 0],
            [0, 1, 1, 0, 0],
            [0, 0, 1, 1, 0],
            [0, 0, 0, 1, 1]], dtype=torch.int32)
    >>> sliding_window_mask(5, 2, num_sink_tokens=1)[4].int().tolist()
    [1, 0, 0, 1, 1]
    """
    _check_count("L", L, 0)
    _check_count("window", window, 1)
    _check_count("num_sink_tokens", num_sink_tokens, 0)
    i = torch.arange(L, device=device)[:, None]  # (L, 1) query positions
    j = torch.arange(L, device=device)[None, :]  # (1, L) key positions
    recent = (i - j < window) | (j < num_sink_tokens)  # (L, L)
    return (j <= i) & recent  # (L, L)


def _check_count(name: str, value, smallest: int) -> None:
    """Refuse a non-integer ``value`` or one below ``smallest``, naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < smallest:
        raise ValueError(f"{name} must be >= {smallest}, got {name}={value}")


def padding_mask(lengths, S: int) -> torch.Tensor:
    """Bool (B, 1, 1, S) mask, True at the first ``lengths[b]`` key positions.

    The two singleton dims broadcast over heads and queries.

    >>> padding_mask([2, 3], 4)[:, 0, 0].int()
    tensor([[1, 1, 0, 0],
            [1, 1, 1, 0]], dtype=torch.int32)
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.is_floating_point():
        raise ValueError(
            "lengths must be a 1-D integer sequence (B,), got shape "
            f"{tuple(lengths.shape)} dtype {lengths.dtype}"
        )
    if len(lengths) and (lengths.min() < 0 or lengths.max() > S):
        raise ValueError(f"lengths must lie in [0, S={S}], got {lengths.tolist()}")
    positions = torch.arange(S, device=lengths.device)  # (S,)
    return (positions < lengths[:, None])[:, None, None, :]  # (B, 1, 1, S)


def to_torch_attn_mask(mask: torch.Tensor) -> torch.Tensor:
    """Our (L, S) or (B*H, L, S) "may attend" mask -> PyTorch's (True = blocked).

    The result is the bool ``attn_mask`` of ``nn.MultiheadAttention``. The mask
    must be bool: ``~`` on a 0/1 integer mask flips bits (254/255), not polarity.

    >>> to_torch_attn_mask(causal_mask(2)).int()
    tensor([[0, 1],
            [0, 0]], dtype=torch.int32)
    """
    _require_bool(mask, "mask")
    return ~mask


def to_torch_key_padding_mask(mask: torch.Tensor) -> torch.Tensor:
    """Our (B, 1, 1, S) padding mask -> ``key_padding_mask`` (B, S), True = padding.

    >>> to_torch_key_padding_mask(padding_mask([1, 2], 2)).int()
    tensor([[0, 1],
            [0, 0]], dtype=torch.int32)
    """
    _require_bool(mask, "mask")
    if mask.dim() != 4 or mask.shape[1] != 1 or mask.shape[2] != 1:
        raise ValueError(
            f"expected a padding mask of shape (B, 1, 1, S), got {tuple(mask.shape)}"
        )
    return ~mask[:, 0, 0, :]  # (B, S)


def from_torch_masks(
    attn_mask=None, key_padding_mask=None, num_heads: int | None = None
):
    """Combine ``nn.MultiheadAttention``-style masks into one of ours.

    Args:
        attn_mask: bool (L, S) or (B*H, L, S), True = blocked; or a float
            additive mask of 0 (attend) and ``-inf`` (blocked).
        key_padding_mask: bool (B, S), True = padding; or a float additive
            mask of 0 and ``-inf``.
        num_heads: H, needed only for a 3-D ``attn_mask``.

    Returns:
        A bool mask, True = may attend, broadcastable to (B, H, L, S), or None.

    >>> kpm = torch.tensor([[False, True]])
    >>> from_torch_masks(key_padding_mask=kpm).shape
    torch.Size([1, 1, 1, 2])
    """
    mask = None
    if attn_mask is not None:
        allowed = _allowed(attn_mask, "attn_mask")
        if allowed.dim() == 3:
            if num_heads is None or num_heads < 1 or allowed.shape[0] % num_heads:
                raise ValueError(
                    "a 3-D attn_mask has shape (B*H, L, S) = "
                    f"{tuple(allowed.shape)}: pass num_heads H that divides "
                    f"{allowed.shape[0]}, got num_heads={num_heads}"
                )
            allowed = allowed.unflatten(0, (-1, num_heads))  # (B, H, L, S)
        mask = allowed
    if key_padding_mask is not None:
        keep = _allowed(key_padding_mask, "key_padding_mask")[
            :, None, None, :
        ]  # (B, 1, 1, S)
        mask = keep if mask is None else mask & keep
    return mask


def _require_bool(mask: torch.Tensor, name: str) -> None:
    """Refuse a non-bool mask, whose ``~`` would not flip its polarity."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        what = getattr(mask, "dtype", type(mask).__name__)
        shape = tuple(getattr(mask, "shape", ()))
        raise TypeError(
            f"{name} must be a bool tensor (True = may attend), got {what} with "
            f"shape {shape}; convert a 0/1 mask with .bool()"
        )


def _allowed(mask: torch.Tensor, name: str) -> torch.Tensor:
    """A PyTorch-style mask (bool True = blocked, or float 0 / -inf) -> ours.

    Ours is a bool mask, True = may attend.
    """
    if mask.dtype == torch.bool:
        return ~mask
    if (
        not mask.is_floating_point()
    ):  # ~ on an integer mask flips bits (~1 == -2), not polarity
        raise TypeError(
            f"{name} must be bool (True = blocked) or float (0 / -inf), got dtype "
            f"{mask.dtype} with shape {tuple(mask.shape)}; convert a 0/1 mask with "
            ".bool()"
        )
    allowed = mask != float("-inf")
    if (mask[allowed] != 0).any():  # a bias such as ALiBi: no bool mask can carry it
        raise ValueError(
            f"a float {name} of shape {tuple(mask.shape)} may only hold 0 (attend) "
            "and -inf (blocked); other additive values cannot become a bool mask"
        )
    return allowed
