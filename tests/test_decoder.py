"""Tests for mhacourse.decoder: equals nn.TransformerDecoderLayer; cached = full."""

import pytest
import torch
from torch import nn

from mhacourse import causal_mask, padding_mask
from mhacourse.decoder import DecoderBlock
from mhacourse.kernels import REGISTRY
from mhacourse.kv_cache import KVCache

KERNELS = tuple(REGISTRY)

F64 = torch.float64


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("kernel", KERNELS)
def test_equals_torch_decoder_layer(norm_first, kernel, device):
    torch.manual_seed(0)
    ref = nn.TransformerDecoderLayer(
        12, 3, 20, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=F64
    ).to(device)
    ref.eval()
    x, memory = _randn(2, 4, 12).to(device), _randn(2, 5, 12, seed=1).to(device)
    pad = padding_mask(torch.tensor([5, 2]), 5).to(device)  # (B, 1, 1, S)
    expected = ref(
        x,
        memory,
        tgt_mask=nn.Transformer.generate_square_subsequent_mask(4, device=device),
        memory_key_padding_mask=~pad[:, 0, 0],
    )
    block = DecoderBlock.from_torch(ref, kernel=kernel)
    got, w = block(x, memory, cross_attn_mask=pad)
    torch.testing.assert_close(got, expected, atol=1e-10, rtol=1e-10)
    assert w is None  # need_weights=False by default


@pytest.mark.parametrize("kernel", KERNELS)
def test_an_extra_self_attention_mask_keeps_the_causal_one(kernel, device):
    """Target padding *and* causality, as PyTorch's tgt_mask + tgt_key_padding_mask.

    Kills the mutant that drops the causal mask once it is given another
    (a future-token leak): every kept position would differ from PyTorch.
    """
    torch.manual_seed(0)
    ref = nn.TransformerDecoderLayer(12, 3, 20, dropout=0.0, batch_first=True)
    ref = ref.to(device, F64).eval()
    x, memory = _randn(2, 7, 12).to(device), _randn(2, 5, 12, seed=1).to(device)
    pad = padding_mask(torch.tensor([7, 5]), 7).to(device)  # (B, 1, 1, L)
    expected = ref(
        x,
        memory,
        tgt_mask=~causal_mask(7, device=device),  # bool, True = blocked
        tgt_key_padding_mask=~pad[:, 0, 0],
    )
    got, _ = DecoderBlock.from_torch(ref, kernel=kernel)(x, memory, self_attn_mask=pad)
    real = pad[:, 0, 0]  # (B, L): the real target tokens
    torch.testing.assert_close(got[real], expected[real], atol=1e-10, rtol=1e-10)


def test_memory_mask_is_not_a_name_of_ours():
    """PyTorch's memory_mask means True = blocked; ours would mean the opposite."""
    block = DecoderBlock(8, 2)
    with pytest.raises(TypeError, match="memory_mask"):
        block(torch.randn(1, 2, 8), torch.randn(1, 3, 8), memory_mask=None)
    with pytest.raises(TypeError):
        DecoderBlock(8, 2, 16)  # PyTorch's third argument is dim_feedforward


@pytest.mark.parametrize("num_kv_heads", [None, 1])
def test_cached_decoding_equals_full_pass(num_kv_heads):
    torch.manual_seed(0)
    block = DecoderBlock(12, 3, num_kv_heads=num_kv_heads, dtype=F64).eval()
    x, memory = _randn(2, 6, 12), _randn(2, 5, 12, seed=1)
    full, w_full = block(x, memory, need_weights=True)
    cache = KVCache()
    steps = [block(x[:, t : t + 1], memory, cache=cache)[0] for t in range(6)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-12, rtol=0)
    assert w_full.shape == (2, 3, 6, 5)


@pytest.mark.parametrize("kernel", KERNELS)
def test_cached_chunks_with_a_mask_stay_causal(kernel):
    """Chunks of 3 new tokens and a padding mask: the cache keeps causality.

    Kills the mutant that drops the cache's causal mask when a mask is given:
    the first token of each chunk would see the two after it.
    """
    torch.manual_seed(0)
    block = DecoderBlock(12, 3, num_kv_heads=1, kernel=kernel, dtype=F64).eval()
    x, memory = _randn(2, 6, 12), _randn(2, 5, 12, seed=1)
    keep = padding_mask(torch.tensor([6, 4]), 6)  # (B, 1, 1, T): 2 padded in row 1
    full, _ = block(x, memory, self_attn_mask=keep)
    cache = KVCache()
    chunks = [
        block(x[:, t : t + 3], memory, self_attn_mask=keep[..., : t + 3], cache=cache)
        for t in (0, 3)
    ]
    got = torch.cat([out for out, _ in chunks], dim=1)  # (B, L, D)
    real = keep[:, 0, 0]  # (B, L)
    torch.testing.assert_close(got[real], full[real], atol=1e-10, rtol=0)


def test_future_tokens_cannot_change_the_past():
    torch.manual_seed(0)
    block = DecoderBlock(8, 2, dtype=F64).eval()
    x, memory = _randn(1, 5, 8), _randn(1, 3, 8, seed=1)
    changed = x.clone()
    changed[:, -1] += 10.0
    torch.testing.assert_close(
        block(changed, memory)[0][:, :-1], block(x, memory)[0][:, :-1]
    )


def test_from_torch_checks_and_keeps_mode():
    with pytest.raises(TypeError, match="TransformerDecoderLayer"):
        DecoderBlock.from_torch(nn.TransformerEncoderLayer(8, 2, batch_first=True))
    gelu = nn.TransformerDecoderLayer(8, 2, activation="gelu", batch_first=True)
    with pytest.raises(ValueError, match="ReLU"):
        DecoderBlock.from_torch(gelu)
    layer = nn.TransformerDecoderLayer(8, 2, batch_first=True).eval()
    assert not DecoderBlock.from_torch(layer).training
