"""An interactive head viewer: where each token looks, per layer and head.

``attention_viewer(tokens, weights)`` returns an object that a notebook displays
as a small self-contained widget (its ``_repr_html_``): choose a layer and a head,
or all heads at once as colours, then hover, tap or focus a token (the query) to
see, as bars and numbers under every token, how much it attends to each of them,
and its largest weights listed in a table. Arrow keys, Home and End move between
tokens.

The weights travel inside the HTML as JSON, rounded to ``PRECISION`` (3) decimal
places: an integer number of thousandths per weight, each row without its
trailing zeros (a causal row ends at its query). That keeps a page small: at most
``MAX_TOKENS`` (64) tokens, a few hundred KB for 4 layers x 4 heads x 64 tokens.

Why not bertviz, the field's viewer: it loads its scripts (require.js, d3) from
a CDN, so it breaks offline and on a site that must request nothing from other
hosts (its issues #63 and #93), and its usual path expects a model from the
Hugging Face hub. This viewer is plain JavaScript and CSS (``viewer.js`` and
``viewer.css`` beside this file) inlined into the output: no remote script, no
dependency, works on the static website, on a phone (tap) and with a keyboard.

JupyterLab runs an output's script only in a trusted notebook: outputs the
reader made in this session, or a notebook marked trusted. A chapter opened as
downloaded (executed elsewhere) is untrusted: JupyterLab drops the script and
shows the tokens with a note saying to run the cell, which makes it live.

>>> import torch
>>> w = torch.softmax(torch.randn(2, 4, 5, 5), dim=-1)  # (layers, H, L, L)
>>> view = attention_viewer(list("hello"), w, title="Toy")
>>> view
AttentionViewer(2 layers x 4 heads over 5 tokens)
>>> "http" in view._repr_html_()
False
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from . import _render

__all__ = ["MAX_TOKENS", "PRECISION", "AttentionViewer", "attention_viewer"]

MAX_TOKENS = 64  # longer texts: slice them (the HTML grows as L * L)
PRECISION = 3  # decimal places of the weights embedded in the HTML
# Colour-blind-safe head colours (Okabe and Ito, yellow swapped for brown), each
# at least 3:1 against white and against the site's dark background; past 8 heads
# they repeat.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7",
           "#E69F00", "#56B4E9", "#A0785A", "#8F8F8F")  # fmt: skip


def _as_layers(weights) -> torch.Tensor:
    """``weights`` as one float64 tensor (layers, H, L, L), or a clear error."""
    if isinstance(weights, list | tuple):
        layers = [torch.as_tensor(w).detach().cpu() for w in weights]
        if not layers:
            raise ValueError("weights is an empty list: give one (H, L, L) per layer")
        for i, w in enumerate(layers):
            if w.dim() != 3 or tuple(w.shape) != tuple(layers[0].shape):
                raise ValueError(
                    f"weights[{i}] has shape {tuple(w.shape)}; every layer must be "
                    f"(H, L, L) like weights[0] {tuple(layers[0].shape)} (from a "
                    "batch (B, H, L, L), take one sequence: w[0])"
                )
        weights = torch.stack(layers)  # (layers, H, L, L)
    w = torch.as_tensor(weights).detach().cpu()
    if w.dim() != 4 or w.shape[-1] != w.shape[-2]:
        raise ValueError(
            f"weights has shape {tuple(w.shape)}; expected (layers, H, L, L) "
            "(one layer: weights[None]) or a list of (H, L, L), one per layer"
        )
    if w.is_complex():
        raise TypeError(f"weights must be real numbers, got dtype {w.dtype}")
    return w.to(torch.float64)


def _check_values(w: torch.Tensor) -> None:
    bad = ~torch.isfinite(w) | (w < -1e-6) | (w > 1 + 1e-6)
    if bad.any():
        where = tuple(int(i) for i in bad.nonzero()[0])
        raise ValueError(
            f"weights of shape {tuple(w.shape)} must be attention weights in [0, 1]; "
            f"weights[{', '.join(map(str, where))}] = {w[where].item()}"
        )


def _check_tokens(tokens, length: int) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise TypeError(f"tokens must be a list of str, got {type(tokens).__name__}")
    tokens = list(tokens)
    if not all(isinstance(t, str) for t in tokens):
        raise TypeError("tokens must be a list of str (one per position)")
    if len(tokens) > MAX_TOKENS:
        raise ValueError(
            f"tokens has {len(tokens)} entries; the viewer shows at most {MAX_TOKENS} "
            f"(slice both: tokens[:{MAX_TOKENS}], "
            f"weights[..., :{MAX_TOKENS}, :{MAX_TOKENS}])"
        )
    if len(tokens) != length:
        raise ValueError(
            f"tokens has {len(tokens)} entries but weights has L = {length} "
            "(shape (layers, H, L, L)); give one token per position"
        )
    return tokens


def _check_names(layer_names, layers: int) -> list[str]:
    if layer_names is None:
        return [f"layer {i + 1}" for i in range(layers)]
    names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    if len(names) != layers or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"layer_names must be {layers} strings, one per layer of weights "
            f"(shape (layers, H, L, L) with layers = {layers}); got {layer_names!r}"
        )
    return names


def quantize(w: torch.Tensor) -> list:
    """(layers, H, L, L) weights as nested lists of ints in units of 10^-PRECISION.

    Each row drops its trailing zeros (a causal query's future keys).

    >>> quantize(torch.tensor([[[[1.0, 0.0], [0.3333, 0.6667]]]]))
    [[[[1000], [333, 667]]]]
    """
    ints = torch.round(w * 10**PRECISION).to(torch.int64).tolist()
    for layer in ints:
        for head in layer:
            for row in head:
                while row and row[-1] == 0:
                    row.pop()
    return ints


class AttentionViewer:
    """The widget for one text: ``_repr_html_`` renders it, ``page()`` as a file.

    Attributes: ``tokens`` (L str), ``weights`` ((layers, H, L, L) float64),
    ``title``, ``layer_names``.

    >>> v = attention_viewer(["a", "b"], torch.tensor([[[[1.0, 0], [0.25, 0.75]]]]))
    >>> v.data()["w"]
    [[[[1000], [250, 750]]]]
    """

    def __init__(self, tokens, weights, title=None, layer_names=None):
        w = _as_layers(weights)
        _check_values(w)
        self.tokens = _check_tokens(tokens, w.shape[-1])
        if title is not None and not isinstance(title, str):
            raise TypeError(f"title must be a str or None, got {type(title).__name__}")
        self.weights, self.title = w, title
        self.layer_names = _check_names(layer_names, w.shape[0])

    def __repr__(self):
        layers, heads, length, _ = self.weights.shape
        return f"AttentionViewer({layers} layers x {heads} heads over {length} tokens)"

    def data(self) -> dict:
        """What the HTML embeds: tokens as drawn, names, weights (see ``quantize``)."""
        heads = self.weights.shape[1]
        return {
            "precision": PRECISION,
            "tokens": [_render.shown(t) for t in self.tokens],
            "layers": self.layer_names,
            "heads": heads,
            "heads_names": [f"head {h + 1}" for h in range(heads)],
            "colours": list(COLOURS),
            "w": quantize(self.weights),
        }

    def _repr_html_(self) -> str:
        names = [_render.spoken(t) for t in self.tokens]
        return _render.widget(self.data(), names, self.title)

    def page(self) -> str:
        """A standalone HTML document holding just this viewer (no other file)."""
        return _render.page(self._repr_html_(), self.title)


def attention_viewer(
    tokens: list[str], weights, *, title: str | None = None, layer_names=None
) -> AttentionViewer:
    """A viewer of per-layer, per-head attention ``weights`` over ``tokens``.

    ``weights``: a tensor (layers, H, L, L), or a list of (H, L, L), one per
    layer, each row a query's weights over the L keys (values in [0, 1]);
    ``tokens``: L strings, L <= MAX_TOKENS; ``layer_names``: one str per layer.
    Display the result in a notebook (last expression of a cell) or save
    ``.page()`` as an .html file.

    >>> w = torch.tensor([[0.0, 1.0]]).expand(2, 2).tril()  # (L, L)
    >>> attention_viewer(["a", "b"], [w[None]], layer_names=["only"]).layer_names
    ['only']
    >>> attention_viewer(["a"], w[None])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: weights has shape (1, 2, 2); expected (layers, H, L, L) ...
    """
    return AttentionViewer(tokens, weights, title=title, layer_names=layer_names)
