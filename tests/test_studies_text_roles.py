"""Tests for mhacourse.studies.text_roles: role targets, head x role table, ablation."""

import pytest
import torch

from mhacourse.studies.real_text import char_losses, encode
from mhacourse.studies.text_roles import (
    ROLES,
    claim_roles,
    head_role_table,
    role_ablation,
    role_targets,
    uniform_share,
)
from mhacourse.studies.tiny_lm import TinyLM

CHARSET = "\n ()[]abcdefx_:"


def targets_of(text: str) -> dict:
    """Role targets of one window holding ``text`` (its last char is only a target)."""
    return role_targets(encode(text, CHARSET)[None], CHARSET)


def pairs(role_out) -> list[tuple[int, int]]:
    t, _ = role_out
    return [tuple(p) for p in t[0].nonzero().tolist()]


def test_bracket_targets_the_innermost_open_bracket_of_the_right_kind():
    # "(a[b]c)": ")" at 6 closes "(" at 0; "]" at 4 closes "[" at 2.
    out = targets_of("(a[b]c)")
    assert pairs(out["bracket"]) == [(3, 2), (5, 0)]  # queries before each closer
    assert out["bracket"][1][0].nonzero().flatten().tolist() == [3, 5]
    assert pairs(targets_of("(a]")["bracket"]) == []  # "]" does not close "("


def test_indent_targets_the_same_column_of_the_line_above():
    # lines: "ab" (newline at 2), "  c" (newline at 6 starts the third line)
    text = "x\nab\n  c\n  d"
    out = targets_of(text)
    # the newline at 4 looks at the newline at 1; spaces at 5, 6 at columns 1, 2
    # of the line above ("a" at 2, "b" at 3); the newline at 8 at the one at 4,
    # its spaces at 9, 10 at 5, 6.
    assert pairs(out["indent"]) == [(4, 1), (5, 2), (6, 3), (8, 4), (9, 5), (10, 6)]
    # below an empty line, spaces have no column above: only the newline counts
    assert pairs(targets_of("a\n\n  bc")["indent"]) == [(2, 1)]


def test_copy_targets_what_followed_the_same_three_identifier_characters():
    text = "abc_x abc_d"  # "abc" at 0-2 and again at 6-8
    out = targets_of(text)
    t, concerned = out["copy"]
    assert t[0, 8].nonzero().flatten().tolist() == [3]  # "_" followed "abc" at 3
    assert bool(concerned[0, 8])  # and "_" is what follows again
    assert pairs(targets_of("a()a()")["copy"]) == []  # brackets are no identifiers


def test_previous_and_first_cover_every_query_after_the_first():
    out = targets_of("abcdef")
    assert pairs(out["previous"]) == [(i, i - 1) for i in range(1, 5)]
    assert pairs(out["first"]) == [(i, 0) for i in range(1, 5)]
    assert list(targets_of("ab")) == list(ROLES)


def test_table_reads_any_models_per_head_weights():
    # Head 0 looks one back, head 1 at the first token, head 2 uniformly.
    win = encode("(ab)cd(ef)abc", CHARSET)[None]  # (B, L + 1) = (1, 13)
    tg = role_targets(win, CHARSET)
    L = win.shape[1] - 1
    prev = torch.eye(L).roll(-1, 1).tril()  # (L, S)
    prev[0, 0] = 1.0
    first = torch.zeros(L, L)
    first[:, 0] = 1.0
    uniform = torch.ones(L, L).tril() / torch.arange(1, L + 1)[:, None]
    w = torch.stack([prev, first, uniform])[None]  # (B, H, L, S)
    table = head_role_table(w, tg)  # (H, R)
    assert table.shape == (3, len(ROLES))
    assert table[0, 0] == 1.0 and table[1, 1] == 1.0
    assert torch.allclose(table[2], uniform_share(tg).float(), equal_nan=True)
    layered = head_role_table(torch.stack([w, w.flip(1)]), tg)  # (K, B, H, L, S)
    assert torch.allclose(layered[1], table.flip(0), equal_nan=True)


def test_table_names_the_bad_shape():
    tg = targets_of("abcd")
    with pytest.raises(ValueError, match=r"weights must be \(B, H, L, S\)"):
        head_role_table(torch.rand(3, 3), tg)
    with pytest.raises(ValueError, match=r"targets must be \(B, L, S\)"):
        head_role_table(torch.rand(1, 2, 5, 5), tg)


def test_ablation_is_zero_for_a_head_that_adds_nothing():
    torch.manual_seed(0)
    model = TinyLM(8, 2, 1, max_len=12, vocab_size=len(CHARSET)).double()
    win = encode("(ab)\n  ab(a)", CHARSET)[None]  # (1, 13)
    tg = role_targets(win, CHARSET)
    with torch.no_grad():
        model.blocks[0].attn.out_proj.weight[:, 4:] = 0  # head 1 never reaches W^o
    rise = role_ablation(model, win, tg, char_losses)  # (K, H, R)
    assert rise.shape == (1, 2, len(ROLES))
    assert torch.all(rise[0, 1].nan_to_num() == 0)  # nan: a role with no positions
    assert rise[0, 0, 0].abs() > 1e-6  # head 0 does change the loss


def test_a_role_needs_both_attention_and_ablation():
    chance = torch.tensor([0.05, 0.05, 0.1, 0.05, 0.05])  # (R,)
    share = torch.zeros(1, 4, 5)  # (K, H, R)
    rise = torch.zeros(1, 4, 5)
    share[0, 0, 0], rise[0, 0, 0] = 0.9, 0.5  # looks back and matters: previous
    share[0, 1, 0], rise[0, 1, 0] = 0.9, 0.01  # looks back, hardly matters
    share[0, 2, 2], rise[0, 2, 2] = 0.45, 1.0  # brackets, but under 5 x chance
    share[0, 3, 4], rise[0, 3, 4] = 0.8, 0.3  # copies, matters, but as much...
    rise[0, 3, 0] = 0.2  # ...as for every position: not specific
    claims = claim_roles(share, chance, rise)
    assert claims == {(0, 0): ["previous"], (0, 1): [], (0, 2): [], (0, 3): []}
    share[0, 2, 2] = 0.6
    rise[0, 3, 0] = 0.1
    assert claim_roles(share, chance, rise)[0, 2] == ["bracket"]
    assert claim_roles(share, chance, rise)[0, 3] == ["copy"]
