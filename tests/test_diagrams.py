"""The diagrams are drawn from the shapes they show: check them against the shapes."""

import io
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from mhacourse import diagrams
from mhacourse.diagrams._canvas import gids
from mhacourse.masks import causal_mask

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent


@pytest.fixture(autouse=True)
def close_all():
    yield
    plt.close("all")


def _rects(fig, prefix):
    return [
        a
        for ax in fig.axes
        for a in ax.get_children()
        if isinstance(a, Rectangle) and (a.get_gid() or "").startswith(prefix)
    ]


def _texts(fig):
    return [a for ax in fig.axes for a in ax.findobj(Text) if a.get_text().strip()] + [
        t for t in fig.texts if t.get_text().strip()
    ]


def _all_figures():
    g = torch.Generator().manual_seed(0)
    yield diagrams.soft_lookup(torch.ones(3), torch.eye(3), torch.eye(3), list("abc"))[
        0
    ]
    yield diagrams.self_attention_head()
    yield diagrams.multihead_split()
    yield diagrams.multihead_split(bug=True)
    x, w = torch.randn(4, 8, generator=g), torch.randn(8, 8, generator=g)
    yield diagrams.head_subspaces(x, w, w, H=4)[0]
    yield diagrams.transformer_masks()
    yield diagrams.online_softmax(torch.randn(4, 7, generator=g), torch.randn(7, 2))[0]


@pytest.mark.parametrize("index", range(7))
def test_every_diagram_is_readable_and_vector(index):
    fig = list(_all_figures())[index]
    # opaque white: the site shows it on a white card in the dark theme too
    assert fig.get_facecolor() == (1.0, 1.0, 1.0, 1.0)
    small = [t.get_text() for t in _texts(fig) if t.get_fontsize() < 10]
    assert not small, f"labels under 10 pt: {small[:5]}"
    svg = io.StringIO()
    fig.savefig(svg, format="svg")
    assert "<svg" in svg.getvalue()
    # no wider than the book's column at 100 dpi, so labels are not shrunk below 10 px
    assert fig.get_figwidth() <= 8.0


# Every diagram but head_subspaces (index 4), a scatter of data whose point labels
# sit where the data puts them.
@pytest.mark.parametrize("index", [0, 1, 2, 3, 5, 6])
def test_no_two_labels_of_a_diagram_overlap(index):
    fig = list(_all_figures())[index]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in _texts(fig)
        if t.get_visible()
    ]
    clash = [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]
    assert not clash, f"overlapping labels: {clash[:5]}"


def test_soft_lookup_draws_the_real_scores_and_weights():
    q = torch.tensor([1.0, 1.0, -1.0])
    K = torch.tensor([[1.0, -1, -1], [1, 1, -1], [-1, 1, 1], [-1, -1, -1]])
    V = torch.arange(12.0).reshape(4, 3)
    fig, w = diagrams.soft_lookup(q, K, V, ["a", "b", "c", "d"], "pony")
    expected = torch.softmax(K @ q, -1)
    torch.testing.assert_close(w, expected.double())
    bars = _rects(fig, "weight-")
    assert len(bars) == 4 and len(_rects(fig, "score-")) == 4
    widths = np.array([b.get_width() for b in sorted(bars, key=lambda b: b.get_gid())])
    np.testing.assert_allclose(widths / widths.max(), (w / w.max()).numpy())
    out = (expected[:, None] * V).sum(0)
    label = next(t.get_text() for t in _texts(fig) if t.get_gid() == "output")
    assert ", ".join(f"{x:.2f}" for x in out.tolist()) in label
    with pytest.raises(ValueError, match=r"key_labels has 3 labels but keys has shape"):
        diagrams.soft_lookup(q, K, V, list("abc"))


@pytest.mark.parametrize("r,n,q,v", [(6, 4, 3, 5), (3, 5, 2, 4)])
def test_self_attention_head_matrices_have_the_sources_shapes(r, n, q, v):
    fig = diagrams.self_attention_head(r=r, n=n, q=q, v=v)
    column = {"I": (r, n), "Q": (q, n), "K": (q, n), "V": (v, n), "A": (n, n),
              "A'": (n, n), "O": (v, n)}  # fmt: skip
    expected = {f"column:{k}:{a}x{b}" for k, (a, b) in column.items()}
    expected |= {
        f"row:{'X' if k == 'I' else k}:{b}x{a}" for k, (a, b) in column.items()
    }
    found = _rects(fig, "column:") + _rects(fig, "row:")
    assert {p.get_gid() for p in found} == expected
    for p in found:  # drawn to scale: width / height = cols / rows
        rows, cols = map(int, p.get_gid().rsplit(":", 1)[1].split("x"))
        assert math.isclose(p.get_width() / p.get_height(), cols / rows)


def _cells_in(fig, stage, block):
    x0, x1 = block.get_x(), block.get_x() + block.get_width()
    return [
        c.get_gid().split(":")[1:]
        for c in _rects(fig, f"{stage}:")
        if x0 <= c.get_x() and c.get_x() + 1 <= x1 + 1e-9
    ]


@pytest.mark.parametrize("B,L,D,H", [(3, 4, 16, 8), (2, 3, 12, 4)])
def test_multihead_split_gives_each_head_its_own_features_for_every_token(B, L, D, H):
    fig = diagrams.multihead_split(B=B, L=L, D=D, H=H)
    E = D // H
    shapes = [g.split(":")[1] for g in gids(fig, "shape:")]
    assert shapes == [f"{B},{L},{D}", f"{B},{L},{H},{E}", f"{B},{H},{L},{E}",
                      f"{B},{H},{L},{E}", f"{B},{L},{D}", f"{B},{L},{D}"]  # fmt: skip
    for stage in ("split", "attend"):
        blocks = sorted(_rects(fig, f"block:{stage}:"), key=lambda b: b.get_x())
        assert len(blocks) == H
        for h, block in enumerate(blocks):
            cells = _cells_in(fig, stage, block)
            assert len(cells) == L * E
            assert {head for head, _ in cells} == {f"h{h}"}
            assert {t for _, t in cells} == {f"t{i}" for i in range(L)}
    for stage in ("input", "view", "merge"):
        heads = [c.get_gid().split(":")[1] for c in _rects(fig, f"{stage}:")]
        assert sorted(heads) == sorted(f"h{h}" for h in range(H) for _ in range(L * E))


def test_reshape_bug_mixes_heads_inside_a_block():
    fig = diagrams.multihead_split(B=3, L=4, D=16, H=8, bug=True)
    blocks = sorted(_rects(fig, "block:bug:"), key=lambda b: b.get_x())
    assert len(blocks) == 8
    first = _cells_in(fig, "bug", blocks[0])
    assert {h for h, _ in first} == {"h0", "h1", "h2", "h3"}  # four heads' features
    assert {t for _, t in first} == {"t0"}  # of a single token
    assert [g.split(":")[1] for g in gids(fig, "shape:")] == ["3,4,16", "3,8,4,2"]


def test_multihead_split_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="D=10 is not divisible by H=4"):
        diagrams.multihead_split(D=10, H=4)


def test_head_subspaces_shows_each_heads_query_and_keys():
    g = torch.Generator().manual_seed(1)
    x, Wq, Wk = (torch.randn(s, generator=g) for s in ((5, 16), (16, 16), (16, 16)))
    fig, w = diagrams.head_subspaces(x, Wq, Wk, H=8, query=2)
    x, Wq, Wk = x.double(), Wq.double(), Wk.double()
    q, k = (x[2] @ Wq).view(8, 2), (x @ Wk).view(5, 8, 2).transpose(0, 1)
    torch.testing.assert_close(
        w, torch.softmax(torch.einsum("hse,he->hs", k, q) / math.sqrt(2), -1)
    )
    planes = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("plane-")]
    assert len(planes) == 8
    assert len({round(ax.get_position().y0, 3) for ax in planes}) == 2  # 2 x 4
    for h, ax in enumerate(planes):
        keys = next(c for c in ax.collections if c.get_gid() == f"keys-{h}")
        np.testing.assert_allclose(keys.get_offsets(), k[h].numpy(), rtol=1e-6)
        arrow = next(a for a in ax.texts if a.get_gid() == f"query-{h}")
        np.testing.assert_allclose(arrow.xy, q[h].numpy(), rtol=1e-6)
    b = torch.randn(16, generator=g).double()
    _, wb = diagrams.head_subspaces(x, Wq, Wk, H=8, query=2, b_q=b, b_k=-b)
    qb, kb = (x[2] @ Wq + b).view(8, 2), (x @ Wk - b).view(5, 8, 2).transpose(0, 1)
    torch.testing.assert_close(
        wb, torch.softmax(torch.einsum("hse,he->hs", kb, qb) / math.sqrt(2), -1)
    )
    with pytest.raises(ValueError, match="D // H must be 2"):
        diagrams.head_subspaces(x, Wq, Wk, H=4)


@pytest.mark.parametrize("S,L,src_len", [(5, 4, 4), (6, 3, 2)])
def test_transformer_masks_match_the_package_masks(S, L, src_len):
    fig = diagrams.transformer_masks(S=S, L=L, src_len=src_len)
    assert sorted(gids(fig, "mask-")) == sorted(
        [
            f"mask-encoder-{S}x{S}-{S * src_len}",
            f"mask-decoder-{L}x{L}-{int(causal_mask(L).sum())}",
            f"mask-cross-{L}x{S}-{L * src_len}",
        ]
    )
    assert {"use-encoder", "use-decoder", "use-cross"} <= set(gids(fig, "use-"))


def test_online_softmax_sweep_ends_at_the_softmax():
    g = torch.Generator().manual_seed(2)
    s, v = torch.randn(5, 11, generator=g), torch.randn(11, 3, generator=g)
    fig, steps = diagrams.online_softmax(s, v, block_q=2, block_k=4)
    assert len(gids(fig, "tile-")) == 3 * 3 and len(steps) == 3
    _, m, l_, acc = steps[-1]
    assert math.isclose(m, float(s[0].max()))
    torch.testing.assert_close(acc / l_, (torch.softmax(s[0], -1) @ v).double())
    ms = [st[1] for st in steps]
    assert ms == sorted(ms)  # the running max never decreases
    # the figure shows the scores it talks about: every one, in its cell
    shown = {t.get_gid(): t.get_text() for t in _texts(fig) if t.get_gid()}
    scores = {g: v for g, v in shown.items() if g.startswith("score-")}
    assert len(scores) == 5 * 11 and scores["score-0-3"] == f"{float(s[0, 3]):.1f}"
