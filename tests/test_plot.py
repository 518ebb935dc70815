"""Attention heatmaps: returned objects, labels, ticks, shape errors, no plt.show()."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from mhacourse.plot import attention_heatmap, head_grid


@pytest.fixture(autouse=True)
def no_show_and_close(monkeypatch):
    def show(*args, **kwargs):
        raise AssertionError("plotting helpers must not call plt.show()")

    monkeypatch.setattr(plt, "show", show)
    yield
    plt.close("all")


def _texts(labels):
    return [t.get_text() for t in labels]


def _weights(*shape, device="cpu"):
    return torch.softmax(
        torch.randn(shape, generator=torch.Generator().manual_seed(0)), dim=-1
    ).to(device)


def test_heatmap_labels_titles_and_token_ticks(device):
    w = _weights(2, 3, device=device)
    fig, ax = attention_heatmap(w, ["the", "cat"], ["a", "b", "c"], title="one head")
    assert isinstance(fig, plt.Figure) and ax.figure is fig
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == (
        "key",
        "query",
        "one head",
    )
    assert _texts(ax.get_xticklabels()) == ["a", "b", "c"]
    assert _texts(ax.get_yticklabels()) == ["the", "cat"]
    np.testing.assert_allclose(ax.images[0].get_array(), w.cpu().numpy(), rtol=1e-6)
    assert len(fig.axes) == 2  # the heatmap and its colorbar
    assert sorted(_texts(ax.texts)) == sorted(
        f"{x:.2f}" for x in w.flatten().tolist()
    )  # small: annotated


def test_heatmap_accepts_grad_tensors_and_arrays():
    w = _weights(3, 4).requires_grad_()
    _, ax = attention_heatmap(w)
    assert _texts(ax.get_xticklabels()) == [
        "0",
        "1",
        "2",
        "3",
    ]  # positions when there are no tokens
    _, ax2 = attention_heatmap(
        w.detach().numpy(), annotate=False, colorbar=False, title=None
    )
    assert len(ax2.texts) == 0 and ax2.get_title() == "" and len(ax2.figure.axes) == 1


def test_heatmap_draws_on_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    out_fig, out_ax = attention_heatmap(_weights(2, 2), ax=axes[1], colorbar=False)
    assert out_fig is fig and out_ax is axes[1]
    assert len(axes[1].images) == 1 and len(axes[0].images) == 0


def test_heatmap_is_not_annotated_when_large():
    _, ax = attention_heatmap(_weights(9, 9))
    assert len(ax.texts) == 0


@pytest.mark.parametrize("shape", [(3,), (2, 3, 4)])
def test_heatmap_rejects_other_shapes(shape):
    with pytest.raises(
        ValueError, match=rf"weights must have shape \(L, S\), got \({shape[0]},"
    ):
        attention_heatmap(torch.zeros(shape))


def test_heatmap_rejects_token_count_mismatch():
    with pytest.raises(
        ValueError,
        match=r"key_tokens has 2 labels but weights has shape \(2, 3\) \(S=3\)",
    ):
        attention_heatmap(torch.zeros(2, 3), ["a", "b"], ["x", "y"])
    with pytest.raises(
        ValueError,
        match=r"query_tokens has 3 labels but weights has shape \(2, 3\) \(L=2\)",
    ):
        attention_heatmap(torch.zeros(2, 3), ["a", "b", "c"], ["x", "y", "z"])


def test_head_grid_layout_titles_and_tokens(device):
    w = _weights(2, 3, 4, 5, device=device)  # (R, H, L, S)
    fig, axes = head_grid(
        w,
        list("abcd"),
        list("vwxyz"),
        row_labels=["first", "second"],
        title="all heads",
    )
    assert axes.shape == (2, 3)
    assert fig._suptitle.get_text() == "all heads"
    assert [ax.get_title() for ax in axes[0]] == ["head 0", "head 1", "head 2"]
    assert [ax.get_title() for ax in axes[1]] == ["", "", ""]
    assert (
        axes[0, 0].get_ylabel() == "first\nquery"
        and axes[1, 0].get_ylabel() == "second\nquery"
    )
    assert _texts(axes[1, 2].get_xticklabels()) == list("vwxyz")
    assert _texts(axes[1, 0].get_yticklabels()) == list("abcd")
    for r in range(2):
        for h in range(3):
            np.testing.assert_allclose(
                axes[r, h].images[0].get_array(), w[r, h].cpu().numpy(), rtol=1e-6
            )


def test_head_grid_with_three_dims():
    fig, axes = head_grid(_weights(4, 2, 2))
    assert axes.shape == (1, 4) and len(fig.axes) == 5  # 4 maps, one colour bar


@pytest.mark.parametrize("shape", [(2, 3), (1, 2, 3, 4, 5)])
def test_head_grid_rejects_other_shapes(shape):
    with pytest.raises(
        ValueError, match=r"weights must have shape \(R, H, L, S\) or \(H, L, S\), got"
    ):
        head_grid(torch.zeros(shape))


def test_head_grid_rejects_row_label_mismatch():
    with pytest.raises(
        ValueError,
        match=r"row_labels has 1 labels but weights has shape \(2, 1, 2, 2\) \(R=2\)",
    ):
        head_grid(torch.zeros(2, 1, 2, 2), row_labels=["only one"])


def test_head_grid_wraps_eight_heads_into_two_rows_of_four():
    fig, axes = head_grid(_weights(8, 3, 3), list("abc"), list("xyz"))
    assert axes.shape == (1, 8)
    rows = sorted({round(ax.get_position().y0, 3) for ax in axes[0]})
    assert len(rows) == 2  # 2 x 4, not 1 x 8
    assert fig.get_figwidth() <= 8.0
    assert len(fig.axes) == 9  # 8 maps and one colour bar
    assert [t.get_text() for t in axes[0, 4].get_yticklabels()] == list("abc")


def test_use_style_sets_readable_labels():
    from mhacourse.plot import use_style

    use_style()
    assert plt.rcParams["xtick.labelsize"] >= 10 and plt.rcParams["font.size"] >= 10
    assert plt.rcParams["savefig.dpi"] >= 200


def test_plain_log_ticks_never_writes_powers():
    from mhacourse.plot import plain_log_ticks

    fig, ax = plt.subplots()
    ax.loglog([20, 90], [30, 80])  # less than a decade: minor labels like 6x10^1
    plain_log_ticks(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels(minor=True)]
    labels += [t.get_text() for t in ax.get_xticklabels()]
    assert not [t for t in labels if "times" in t or "^" in t], labels


def test_a_boolean_map_gets_two_colours_and_a_legend_not_a_colour_bar():
    from mhacourse.plot import BOOLEAN_COLORS, attention_heatmap, boolean_map

    causal = torch.ones(4, 5, dtype=torch.bool).tril()  # (L, S)
    fig, ax = attention_heatmap(causal, list("abcd"), list("vwxyz"), title="causal")
    assert len(fig.axes) == 1  # no colour bar axes
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["masked", "may attend"]
    image = ax.images[0]
    assert image.cmap.N == 2
    colours = {tuple(c) for c in image.to_rgba(causal.numpy().astype(float))[..., :3]
               .reshape(-1, 3).round(3)}  # fmt: skip
    assert len(colours) == 2
    from matplotlib.colors import to_rgb

    assert colours == {tuple(round(v, 3) for v in to_rgb(c)) for c in BOOLEAN_COLORS}
    plt.close(fig)
    with pytest.raises(TypeError, match="boolean"):
        boolean_map(torch.zeros(2, 2))
    fig, ax = boolean_map(causal, labels=("other head", "this head"), legend=True)
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "this head"
    plt.close(fig)


def test_use_style_returns_nothing_a_notebook_would_print():
    from mhacourse.plot import use_style

    assert use_style() is None
