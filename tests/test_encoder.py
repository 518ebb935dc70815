"""Tests for mhacourse.encoder: equals nn.TransformerEncoderLayer, padding-safe."""

import pytest
import torch
from torch import nn

from mhacourse import causal_mask, padding_mask
from mhacourse.encoder import EncoderBlock


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("kernel", ["naive", "vectorized", "sdpa"])
def test_equals_torch_encoder_layer_with_padding(norm_first, kernel, device):
    torch.manual_seed(0)
    ref = nn.TransformerEncoderLayer(
        12,
        3,
        dim_feedforward=20,
        dropout=0.0,
        batch_first=True,
        norm_first=norm_first,
        device=device,
        dtype=torch.float64,
    )
    ours = EncoderBlock.from_torch(ref, kernel=kernel)
    assert ours.norm_first == norm_first and ours.linear1.out_features == 20
    x = torch.randn(3, 7, 12, device=device, dtype=torch.float64)
    lengths = torch.tensor([7, 4, 1])
    mask = padding_mask(lengths, 7).to(device)  # (B, 1, 1, S), True = real token
    expected = ref(x, src_key_padding_mask=~mask[:, 0, 0])
    got, _ = ours(x, mask=mask)
    real = mask[:, 0, 0]  # (B, L): compare real positions only
    assert torch.allclose(got[real], expected[real], atol=1e-10)


@pytest.mark.parametrize("norm_first", [False, True])
def test_padding_does_not_leak_into_real_positions(norm_first, device):
    torch.manual_seed(1)
    block = EncoderBlock(
        8, 2, norm_first=norm_first, device=device, dtype=torch.float64
    )
    lengths = [5, 2]
    x = torch.randn(2, 5, 8, device=device, dtype=torch.float64)
    mask = padding_mask(torch.tensor(lengths), 5).to(device)
    out, _ = block(x, mask=mask)
    x2 = x.clone()
    x2[1, 2:] = 100 * torch.randn(
        3, 8, device=device, dtype=torch.float64
    )  # change only the padding
    out2, _ = block(x2, mask=mask)
    assert torch.allclose(out[1, :2], out2[1, :2], atol=1e-12)
    alone, _ = block(x[1:, :2])  # the short sequence on its own, no padding at all
    assert torch.allclose(out[1, :2], alone[0], atol=1e-12)
    assert not torch.allclose(
        block(x2)[0][1, :2], out[1, :2]
    )  # without the mask, padding does leak


def test_dropout_only_in_training():
    block = EncoderBlock(8, 2, dropout=0.5)
    x = torch.randn(2, 4, 8)
    block.eval()
    assert torch.equal(block(x)[0], block(x)[0])
    block.train()
    torch.manual_seed(0)
    a, _ = block(x)
    assert not torch.equal(a, block(x)[0])


def test_from_torch_rejects_unsupported():
    with pytest.raises(TypeError, match="TransformerEncoderLayer"):
        EncoderBlock.from_torch(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="batch_first"):
        EncoderBlock.from_torch(nn.TransformerEncoderLayer(8, 2))
    with pytest.raises(ValueError, match="ReLU"):
        EncoderBlock.from_torch(
            nn.TransformerEncoderLayer(8, 2, activation="gelu", batch_first=True)
        )
    with pytest.raises(ValueError, match="bias=False"):
        EncoderBlock.from_torch(
            nn.TransformerEncoderLayer(8, 2, bias=False, batch_first=True)
        )


def test_shape_and_default_ff_width():
    block = EncoderBlock(16, 4)
    assert block.linear1.out_features == 64
    assert block(torch.randn(2, 3, 16))[0].shape == (2, 3, 16)


@pytest.mark.parametrize("activation", ["gelu", torch.tanh])
def test_from_torch_checks_the_activation_without_private_attributes(activation):
    """No silent default: a non-ReLU layer is refused even without the private flag."""
    layer = nn.TransformerEncoderLayer(8, 2, activation=activation, batch_first=True)
    if hasattr(layer, "activation_relu_or_gelu"):
        del layer.activation_relu_or_gelu
    with pytest.raises(ValueError, match="ReLU"):
        EncoderBlock.from_torch(layer)


@pytest.mark.parametrize("activation", ["relu", nn.ReLU()])
def test_from_torch_accepts_relu_given_either_way(activation):
    layer = nn.TransformerEncoderLayer(
        8, 2, 16, dropout=0.0, activation=activation, batch_first=True
    ).eval()
    x = torch.randn(2, 3, 8)
    torch.testing.assert_close(EncoderBlock.from_torch(layer)(x)[0], layer(x))


@pytest.mark.parametrize("training", [False, True])
def test_from_torch_keeps_training_mode(training):
    layer = nn.TransformerEncoderLayer(8, 2, batch_first=True).train(training)
    block = EncoderBlock.from_torch(layer)
    assert block.training is training and block.self_attn.training is training


def test_num_kv_heads_reaches_the_attention():
    block = EncoderBlock(16, 4, num_kv_heads=2)
    assert block.self_attn.k_proj.out_features == 8
    assert block(torch.randn(2, 3, 16))[0].shape == (2, 3, 16)


def test_every_argument_after_num_heads_is_keyword_only():
    with pytest.raises(TypeError):
        EncoderBlock(16, 4, 32)  # PyTorch's third argument is dim_feedforward


@pytest.mark.parametrize("norm_first", [False, True])
def test_returns_the_self_attention_weights_and_is_causal(norm_first):
    """(out, weights) like MultiHeadAttention; is_causal equals the causal mask."""
    F64 = torch.float64
    block = EncoderBlock(12, 3, norm_first=norm_first, dtype=F64).eval()
    x = torch.randn(2, 5, 12, dtype=F64)
    out, w = block(x, mask=causal_mask(5), need_weights=True)
    y = block.norm1(x) if norm_first else x
    _, expected = block.self_attn(y, mask=causal_mask(5))  # (B, H, L, L)
    torch.testing.assert_close(w, expected)
    got, none = block(x, is_causal=True)
    torch.testing.assert_close(got, out)
    assert none is None and w.shape == (2, 3, 5, 5)
