"""Tests for mhacourse.studies.seq2seq: data, cached decoding, training, alignment."""

import torch

from mhacourse.studies.seq2seq import (
    BOS,
    TinySeq2Seq,
    alignment_share,
    reversal_batch,
    train_seq2seq,
)


def test_reversal_batch():
    src, tgt_in, tgt_out = reversal_batch(4, 6, 9, torch.Generator().manual_seed(0))
    assert torch.equal(tgt_out, src.flip(-1))
    assert (tgt_in[:, 0] == BOS).all() and torch.equal(tgt_in[:, 1:], tgt_out[:, :-1])
    assert src.min() >= 1 and src.max() < 9


def test_generate_with_cache_equals_without():
    torch.manual_seed(0)
    model = TinySeq2Seq(11, 12, 3, num_layers=2, num_kv_heads=1, dtype=torch.float64)
    model.eval()
    src = reversal_batch(3, 7, 11, torch.Generator().manual_seed(1))[0]
    tok_c, logits_c = model.generate(src, 7)
    tok_f, logits_f = model.generate(src, 7, use_cache=False)
    assert torch.equal(tok_c, tok_f)
    torch.testing.assert_close(logits_c, logits_f, atol=1e-12, rtol=0)


def test_forward_is_teacher_forcing_of_generate():
    torch.manual_seed(0)
    model = TinySeq2Seq(11, 12, 3, dtype=torch.float64).eval()
    src = reversal_batch(2, 5, 11, torch.Generator().manual_seed(1))[0]
    tokens, logits = model.generate(src, 5)
    tgt_in = torch.cat([torch.full((2, 1), BOS), tokens[:, :-1]], dim=1)
    torch.testing.assert_close(model(src, tgt_in), logits, atol=1e-12, rtol=0)


def test_training_learns_reversal_and_aligns():
    torch.manual_seed(0)
    model = TinySeq2Seq(8, 32, 2, ff_dim=64, dtype=torch.float64)
    losses = train_seq2seq(model, steps=120, batch_size=32, length=5, lr=1e-2)
    assert losses[-1] < 0.2 * losses[0]
    src, tgt_in, tgt_out = reversal_batch(64, 5, 8, torch.Generator().manual_seed(9))
    model.eval()
    with torch.no_grad():
        logits, weights = model(src, tgt_in, need_weights=True)
    assert (logits.argmax(-1) == tgt_out).double().mean() > 0.9
    assert alignment_share(weights[0]).max() > 0.5


def test_alignment_share_of_uniform_and_wrong_alignment():
    uniform = torch.full((2, 3, 4, 4), 0.25)  # (B, H, L, S)
    torch.testing.assert_close(alignment_share(uniform), torch.full((3,), 0.25))
    diagonal = torch.eye(4).expand(1, 2, 4, 4)  # attends to j = i, not S - 1 - i
    torch.testing.assert_close(alignment_share(diagonal), torch.zeros(2))
