"""exercises.core.mistakes: buggy blocks are right when asked for no mistake."""

import pytest
import torch
import torch.nn.functional as F

import mhacourse
from mhacourse.exercises.core import mistakes as M
from mhacourse.exercises.core.inputs import generator, qkv, rand_mask


def _inputs(device, batch=(2, 3)):
    return qkv(generator(0), batch, device, torch.float64, L=5, S=7, E=4, Ev=6)


def test_attend_default_is_scaled_dot_product_attention(device):
    q, k, v = _inputs(device)
    mask = rand_mask(generator(1), (2, 1, 5, 7), device, blocked_rows=1)
    out, w = M.attend(q, k, v, mask)
    ref_out, ref_w = mhacourse.kernels.vectorized.scaled_dot_product_attention(
        q, k, v, mask
    )
    assert torch.allclose(out, ref_out, atol=1e-12) and torch.allclose(
        w, ref_w, atol=1e-12
    )
    sdpa = F.scaled_dot_product_attention(q, k, v)
    assert torch.allclose(M.attend(q, k, v)[0], sdpa, atol=1e-12)


@pytest.mark.parametrize(
    "kw",
    [
        dict(axis=-2),
        dict(scale=None),
        dict(scale="E"),
        dict(masking="nan"),
        dict(masking="finite"),
        dict(masking="after"),
        dict(masking="reversed"),
    ],
)
def test_every_attend_mistake_changes_the_result(kw, device):
    q, k, v = _inputs(device)
    mask = rand_mask(generator(1), (2, 1, 5, 7), device, blocked_rows=1)
    right, wrong = M.attend(q, k, v, mask)[1], M.attend(q, k, v, mask, **kw)[1]
    assert not torch.allclose(right, wrong, atol=1e-6, equal_nan=True)


def test_transposed_scores_compute_the_same():
    q, k, v = _inputs("cpu")
    assert torch.allclose(
        M.attend(q, k, v, transpose_scores=True)[0], M.attend(q, k, v)[0], atol=1e-12
    )


def test_split_and_merge_match_the_package(device):
    x = torch.randn(2, 5, 12, dtype=torch.float64, device=device)
    heads = M.split(x, 3)
    assert torch.equal(heads, mhacourse.split_heads(x, 3)) and torch.equal(
        M.merge(heads), x
    )
    for how in ("no_transpose", "interleaved"):
        assert M.split(x, 3, how).shape == heads.shape and not torch.equal(
            M.split(x, 3, how), heads
        )
        assert not torch.equal(M.merge(heads, how), x)
    assert M.split(x, 3, "swapped").shape == (2, 5, 3, 4)


def test_mha_default_matches_torch(device):
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(
        12, 3, bias=False, batch_first=True, dtype=torch.float64, device=device
    )
    query = torch.randn(2, 5, 12, dtype=torch.float64, device=device)
    kv = torch.randn(2, 7, 12, dtype=torch.float64, device=device)
    W_q, W_k, W_v = ref.in_proj_weight.detach().split(12)
    out = M.mha(query, kv, kv, W_q, W_k, W_v, ref.out_proj.weight.detach(), 3)
    assert torch.allclose(out, ref(query, kv, kv)[0], atol=1e-12)
    for kw in (
        dict(scale_dim="D"),
        dict(out_proj=False),
        dict(transpose_w=False),
        dict(split_how="no_transpose"),
        dict(merge_how="no_transpose"),
    ):
        wrong = M.mha(
            query, kv, kv, W_q, W_k, W_v, ref.out_proj.weight.detach(), 3, **kw
        )
        assert not torch.allclose(out, wrong, atol=1e-6), kw


def test_mistake_needs_a_way_to_recognise_it():
    assert M.mistake("no_scaling", fn=len).message == M.MESSAGES["no_scaling"]
    with pytest.raises(ValueError, match="needs fn"):
        M.mistake("no_scaling")
    with pytest.raises(KeyError):
        M.mistake("not_in_the_catalogue", fn=len)


def test_every_shared_message_is_used_by_some_exercise():
    from mhacourse.exercises import all_exercises

    used = {m.message for ex in all_exercises() for m in ex.mistakes}
    used |= {m.message for m in M.SHARED.values()}  # the checker's own
    assert not [name for name, text in M.MESSAGES.items() if text not in used]
