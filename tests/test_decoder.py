"""Tests for mhacourse.decoder: equals nn.TransformerDecoderLayer; cached = full."""

import pytest
import torch
from torch import nn

from mhacourse import padding_mask
from mhacourse.decoder import DecoderBlock
from mhacourse.kv_cache import KVCache
from mhacourse.mha import KERNELS

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
    got = DecoderBlock.from_torch(ref, kernel=kernel)(x, memory, memory_mask=pad)
    torch.testing.assert_close(got, expected, atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("num_kv_heads", [None, 1])
def test_cached_decoding_equals_full_pass(num_kv_heads):
    torch.manual_seed(0)
    block = DecoderBlock(12, 3, num_kv_heads=num_kv_heads, dtype=F64).eval()
    x, memory = _randn(2, 6, 12), _randn(2, 5, 12, seed=1)
    full, w_full = block(x, memory, need_weights=True)
    cache = KVCache()
    steps = [block(x[:, t : t + 1], memory, cache=cache) for t in range(6)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-12, rtol=0)
    assert w_full.shape == (2, 3, 6, 5)


def test_future_tokens_cannot_change_the_past():
    torch.manual_seed(0)
    block = DecoderBlock(8, 2, dtype=F64).eval()
    x, memory = _randn(1, 5, 8), _randn(1, 3, 8, seed=1)
    changed = x.clone()
    changed[:, -1] += 10.0
    torch.testing.assert_close(block(changed, memory)[:, :-1], block(x, memory)[:, :-1])


def test_from_torch_checks_and_keeps_mode():
    with pytest.raises(TypeError, match="TransformerDecoderLayer"):
        DecoderBlock.from_torch(nn.TransformerEncoderLayer(8, 2, batch_first=True))
    gelu = nn.TransformerDecoderLayer(8, 2, activation="gelu", batch_first=True)
    with pytest.raises(ValueError, match="ReLU"):
        DecoderBlock.from_torch(gelu)
    layer = nn.TransformerDecoderLayer(8, 2, batch_first=True).eval()
    assert not DecoderBlock.from_torch(layer).training
