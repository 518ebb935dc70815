"""Chapter 9: multi-head latent attention's data flow, drawn from a module's shapes.

Every vector of one token is a bar whose length is its number of features,
read from the weights of a :class:`~mhacourse.mla.MultiHeadLatentAttention`:
the input x (D), the latent c (C) and the RoPE key k^R (R) that the cache
keeps, the per-head key contents and values rebuilt from c (H x E each), and
the queries. The lower panel is the absorbed form: each head's query is moved
into the latent's space (C numbers) and meets the cached c directly, and the
value up-projection is folded into the output projection.
"""

from __future__ import annotations

from ._canvas import ACCENT, INK, MUTED, arrow, box, canvas, head_colour, text

__all__ = ["latent_attention_flow"]

CACHE = "#f5c35c"  # what the cache keeps
PLAIN = "#8fcdf0"  # rebuilt or projected on the fly


def _bar(ax, x, y, n, scale, fill, label, gid):
    """A bar of ``n`` features at (x, y), labelled above; returns its right end."""
    w = n / scale
    box(ax, x, y, w, 0.8, fill=fill, gid=f"{gid}:{n}", lw=0.8)
    text(ax, x, y - 0.45, label, ha="left", size=10)
    return x + w


def _heads(ax, x, y, H, E, scale, label, gid):
    """H bars of E features side by side (one colour per head)."""
    w = E / scale
    for h in range(H):
        box(ax, x + h * w, y, w, 0.8, fill=head_colour(h), gid=f"{gid}:{h}:{E}", lw=0.6)
    text(ax, x, y - 0.45, label, ha="left", size=10)
    return x + H * w


def latent_attention_flow(mla, scale: float | None = None):
    """Figure of MLA's flow for one token, bars sized by ``mla``'s real dims.

    >>> from mhacourse.mla import MultiHeadLatentAttention
    >>> fig = latent_attention_flow(MultiHeadLatentAttention(32, 4, kv_latent_dim=12,
    ...                                                      rope_dim=4))
    >>> from mhacourse.diagrams._canvas import gids
    >>> sorted(g for g in gids(fig, "cache:"))
    ['cache:latent:12', 'cache:rope:4']
    """
    D, H, E = mla.embed_dim, mla.num_heads, mla.head_dim
    C, R = mla.kv_latent_dim, mla.rope_dim
    scale = scale or max(D, H * E, H * C) / 9.0  # the widest bar: 9 units
    fig, ax = canvas(32, 18.0, inches_per_unit=0.25)
    text(ax, 0.3, 0.6, "plain form (one token)", ha="left", size=11, weight="bold")
    _bar(ax, 0.3, 2.3, D, scale, "white", f"x: D = {D}", "x")
    for y, name in ((2.3, r"$W^{DKV}$"), (4.6, r"$W^{KR}$, RoPE")):
        arrow(ax, (0.3 + D / scale + 0.2, 2.7), (11.5, y + 0.4))
        text(ax, 10.6, y + 1.2, name, size=10, colour=MUTED, ha="right")
    _bar(ax, 11.6, 2.3, C, scale, CACHE, f"latent c: C = {C}", "cache:latent")
    _bar(ax, 11.6, 4.6, R, scale, CACHE, f"RoPE key: R = {R}", "cache:rope")
    box(ax, 11.3, 1.2, 8.4, 4.7, fill="none", lw=1.4, linestyle="--", gid="cache-frame")
    text(ax, 15.0, 6.4, f"cached: C + R = {C + R} numbers per token", size=10,
         colour=ACCENT)  # fmt: skip
    for y, name in ((2.3, "keys"), (4.6, "values")):
        arrow(ax, (11.6 + C / scale + 0.2, 2.7), (21.0, y + 0.4))
        up = r"$W^{UK}$" if name == "keys" else r"$W^{UV}$"
        _heads(ax, 21.1, y, H, E, scale, f"{name} ({up} c): {H} x {E}", f"plain:{name}")
    text(ax, 0.3, 8.6, "absorbed form", ha="left", size=11, weight="bold")
    _bar(ax, 0.3, 10.3, D, scale, "white", f"x: D = {D}", "x2")
    arrow(ax, (0.3 + D / scale + 0.2, 10.7), (11.5, 10.7))
    text(
        ax, 10.6, 11.6, r"$(W^{UK}_h)^\top W^{UQ}_h$", size=10, colour=MUTED, ha="right"
    )
    _heads(ax, 11.6, 10.3, H, C, scale, f"queries in latent space: {H} x {C}",
           "absorbed:query")  # fmt: skip
    _bar(ax, 11.6, 13.1, C, scale, CACHE, f"meet the cached c ({C}) directly;",
         "absorbed:latent")  # fmt: skip
    text(ax, 11.6, 14.4, f"their RoPE parts ({H} x {R}) meet the cached RoPE key",
         ha="left", size=10, colour=MUTED)  # fmt: skip
    text(ax, 0.3, 16.4, f"out: $W^O W^{{UV}}$ applied to the {H} heads' mixes of c: no "
         f"key or value of {H} x {E} is ever built", ha="left", size=10,
         colour=INK)  # fmt: skip
    fig.text(0.0, 0.0, " ", size=1)  # keeps the canvas's full height when saved
    return fig
