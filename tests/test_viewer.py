"""mhacourse.viewer: the HTML head viewer's input checks and what its HTML embeds."""

import json
import re

import numpy as np
import pytest
import torch
from website.viewer import expected

from mhacourse.viewer import MAX_TOKENS, PRECISION, attention_viewer

DATA = re.compile(r'<script type="application/json" class="mhav-data">(.*?)</script>')


def weights(layers=2, heads=3, length=7, causal=True, seed=0):
    """Random attention weights (layers, H, L, L), causal rows ending at the query."""
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(
        layers, heads, length, length, generator=g, dtype=torch.float64
    )
    if causal:
        future = torch.ones(length, length, dtype=torch.bool).triu(1)  # (L, L)
        scores = scores.masked_fill(future, float("-inf"))
    return scores.softmax(-1)  # (layers, H, L, L)


def embedded(html):
    """The weights the HTML carries, back as a float64 (layers, H, L, L) tensor."""
    (text,) = DATA.findall(html)
    data = json.loads(text)
    length = len(data["tokens"])
    rows = [
        [[row + [0] * (length - len(row)) for row in head] for head in layer]
        for layer in data["w"]
    ]
    return data, torch.tensor(rows, dtype=torch.float64) / 10 ** data["precision"]


@pytest.mark.parametrize("causal", [True, False])
def test_embedded_weights_equal_the_input_to_the_stated_precision(causal):
    w = weights(causal=causal)
    data, back = embedded(attention_viewer(list("abcdefg"), w)._repr_html_())
    assert data["precision"] == PRECISION == 3
    assert back.shape == w.shape
    assert (back - w).abs().max() <= 0.5 * 10**-PRECISION + 1e-12
    if causal:  # rows stop at their query: trailing zeros are left out
        assert all(len(r) <= q + 1 for q, r in enumerate(data["w"][1][2]))


def test_a_list_of_layers_and_numpy_arrays_give_the_same_viewer():
    w = weights(layers=3)
    html = attention_viewer(list("abcdefg"), w)._repr_html_()
    assert attention_viewer(list("abcdefg"), list(w))._repr_html_() == html
    assert attention_viewer(list("abcdefg"), w.numpy())._repr_html_() == html
    assert attention_viewer(list("abcdefg"), w.float())._repr_html_() == html


def test_layers_heads_and_names_reach_the_controls():
    view = attention_viewer(
        list("abcdefg"), weights(layers=2, heads=3), layer_names=["low", "high"]
    )
    html = view._repr_html_()
    assert re.findall(r'<option value="(-?\d+)">', html) == [
        "0", "1", "0", "1", "2", "-1"
    ]  # fmt: skip
    assert ">low</option>" in html and ">high</option>" in html
    assert len(re.findall(r'class="mhav-tok[ "]', html)) == 7
    assert repr(view) == "AttentionViewer(2 layers x 3 heads over 7 tokens)"


def test_no_remote_resource_and_nothing_can_close_the_script_early():
    tokens = ["</script>", "<b>", "&amp;", " ", "\n", "", '"q"']
    html = attention_viewer(tokens, weights(), title="<i>x</i> & y")._repr_html_()
    assert "http" not in html.lower()
    assert not re.search(r"\b(src|href)\s*=|@import|url\(", html)
    assert html.count("</script>") == 2  # the data's and the code's
    assert "<b>" not in html and "<i>" not in html
    data, _ = embedded(html)
    assert data["tokens"] == ["</script>", "<b>", "&amp;", "␣", "↵", "∅", '"q"']
    assert '<span class="mhav-sr"> (space)</span>' in html  # what a screen reader says


def test_the_html_is_deterministic_and_small():
    w = weights(layers=4, heads=4, length=MAX_TOKENS)
    tokens = [chr(97 + i % 26) for i in range(MAX_TOKENS)]
    html = attention_viewer(tokens, w)._repr_html_()
    assert html == attention_viewer(tokens, w.clone())._repr_html_()
    assert len(html.encode()) < 200_000, len(html.encode())


@pytest.mark.parametrize("layers", [1, 2])
def test_the_html_shows_the_first_view_without_its_script(layers):
    """Layer 1, head 1, last token: what the script draws first, as numbers."""
    w = weights(layers=layers, causal=False)
    html = attention_viewer(list("abcdefg"), w)._repr_html_()
    data, _ = embedded(html)
    numbers, rows = expected(data, 0, 0, 6)
    assert re.findall(r'<span class="mhav-w">(.*?)</span>', html) == numbers
    top = re.findall(r'<li data-k="(\d+)">.*?class="mhav-val">(.*?)</span>', html)
    assert [[int(k), v] for k, v in top] == rows[0]["top"]
    assert re.findall(r'aria-pressed="true"', html) == ['aria-pressed="true"']
    assert 'data-i="6" tabindex="0" aria-pressed="true"' in html


def test_a_page_is_a_whole_document_with_the_viewer():
    page = attention_viewer(list("abcdefg"), weights(), title="T").page()
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert "<title>T</title>" in page and 'class="mhav"' in page


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((list("abc"), torch.rand(2, 3, 3)), {}, ValueError,
         r"weights has shape \(2, 3, 3\); expected \(layers, H, L, L\)"),
        ((list("abc"), torch.rand(1, 2, 3, 4)), {}, ValueError,
         r"weights has shape \(1, 2, 3, 4\)"),
        ((list("abc"), [torch.rand(2, 3, 3), torch.rand(1, 2, 3, 3)]), {},
         ValueError, r"weights\[1\] has shape \(1, 2, 3, 3\).*w\[0\]"),
        ((list("abc"), []), {}, ValueError, "weights is an empty list"),
        ((list("ab"), torch.full((1, 1, 3, 3), 0.3)), {}, ValueError,
         r"tokens has 2 entries but weights has L = 3"),
        (("abc", torch.full((1, 1, 3, 3), 0.3)), {}, TypeError,
         "tokens must be a list of str"),
        (([1, 2, 3], torch.full((1, 1, 3, 3), 0.3)), {}, TypeError,
         "tokens must be a list of str"),
        ((["a"] * 65, torch.full((1, 1, 65, 65), 0.01)), {}, ValueError,
         r"tokens has 65 entries; the viewer shows at most 64"),
        ((list("abc"), torch.full((1, 1, 3, 3), 1.5)), {}, ValueError,
         r"must be attention weights in \[0, 1\]; weights\[0, 0, 0, 0\] = 1.5"),
        ((list("abc"), torch.full((1, 1, 3, 3), float("nan"))), {}, ValueError,
         r"weights of shape \(1, 1, 3, 3\) must be attention weights"),
        ((list("abc"), torch.full((2, 1, 3, 3), 0.3)), {"layer_names": ["x"]},
         ValueError, r"layer_names must be 2 strings.*layers = 2"),
        ((list("abc"), torch.full((1, 1, 3, 3), 0.3)), {"title": 3}, TypeError,
         "title must be a str or None"),
        ((list("abc"), torch.full((1, 1, 3, 3), 0.3j)), {}, TypeError,
         "weights must be real numbers"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_clear_error(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        attention_viewer(*args, **kwargs)


def test_the_longest_text_allowed_is_accepted():
    w = np.full((1, 1, MAX_TOKENS, MAX_TOKENS), 1 / MAX_TOKENS)
    view = attention_viewer(["x"] * MAX_TOKENS, w)
    assert view.weights.shape == (1, 1, MAX_TOKENS, MAX_TOKENS)
