"""Roles a head can play on text, and the evidence for them.

A *role* names, for each query position i of a window, the earlier key
positions j a head playing it should look at (its *targets*), and the
positions whose next-character loss the role concerns:

* ``previous``: the character before (j = i - 1); every position.
* ``first``: the window's first character (j = 0), a resting place or
  "sink"; every position.
* ``bracket``: where the next character closes a bracket ``)]}``, the
  still-open bracket it closes; those positions.
* ``indent``: inside a line's leading spaces (or on its newline), the same
  column of the line above; those positions.
* ``copy``: where the last three characters, all identifier characters,
  occurred before, the character that followed them then (induction);
  the positions where that earlier character is the right next one.

:func:`role_targets` builds them for windows of text, :func:`head_role_table`
measures any model's per-head weights (B, H, L, S) against them, and
:func:`role_ablation` measures how much each head's removal hurts each role.

Shape legend: N windows (B batch), H heads, L query length, S key length,
R roles, K layers.
"""

from __future__ import annotations

import itertools

import torch

from .head_analysis import ablate_heads

__all__ = [
    "ROLES",
    "claim_roles",
    "head_role_table",
    "role_ablation",
    "role_targets",
    "uniform_share",
]

ROLES = ("previous", "first", "bracket", "indent", "copy")
_PAIRS = {")": "(", "]": "[", "}": "{"}


def _brackets(text: list[str], nxt: list[str], t: torch.Tensor, c: torch.Tensor):
    """Fill targets t (L, L) and concerned c (L,) of one window for ``bracket``."""
    stack = []
    for i, ch in enumerate(text):
        if ch in "([{":
            stack.append(i)
        elif ch in _PAIRS and stack:
            stack.pop()
        if nxt[i] in _PAIRS and stack and text[stack[-1]] == _PAIRS[nxt[i]]:
            t[i, stack[-1]] = c[i] = True


def _indent(text: list[str], t: torch.Tensor, c: torch.Tensor):
    """Fill targets t (L, L) and concerned c (L,) of one window for ``indent``."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    for prev, cur in itertools.pairwise(newlines):
        i = cur
        while i < len(text) and (i == cur or text[i] == " "):
            if prev + (i - cur) < cur:  # the same column exists in the line above
                t[i, prev + (i - cur)] = c[i] = True
            i += 1


def _copies(ids: torch.Tensor, ident: torch.Tensor, nxt: torch.Tensor):
    """Targets (L, L) and concerned (L,) for ``copy`` in one window's ids (L,)."""
    L = ids.shape[0]
    same = ids[:, None] == ids[None, :]  # (L, L)
    run = same & ident[:, None]  # (L, L): equal identifier characters
    match = run.clone()
    match[2:, 2:] &= run[1:-1, 1:-1] & run[:-2, :-2]  # last three characters equal
    match[:2] = match[:, :2] = False  # three characters need i, j >= 2
    match &= torch.ones(L, L, dtype=torch.bool).tril(-2)  # j <= i - 2
    t = torch.zeros(L, L, dtype=torch.bool)
    t[:, 1:] = match[:, :-1]  # target j + 1 for an earlier match at j
    c = (t & (ids[None, :] == nxt[:, None])).any(-1)  # (L,)
    return t, c


def role_targets(win: torch.Tensor, charset: str) -> dict:
    """Targets (N, L, L) and concerned positions (N, L) of every role.

    ``win`` holds windows (N, L + 1) of character ids: L inputs, then the
    next characters. Returns ``{role: (targets, concerned)}``, bool, with
    targets[n, i, j] True where query i of window n should look at key j.

    >>> win = torch.tensor([[0, 1, 2, 0, 1, 2, 0, 1]])    # "abcabcab"
    >>> t, c = role_targets(win, "abc")["copy"]           # "abc" again at i = 5
    >>> t.shape, c.tolist(), t[0, 5].nonzero().tolist()
    (torch.Size([1, 7, 7]), [[False, False, False, False, False, True, True]], [[3]])
    >>> role_targets(torch.tensor([[0, 1, 2]]), "(x)")["bracket"][1].tolist()
    [[False, True]]
    """
    ident = torch.tensor([ch.isalnum() or ch == "_" for ch in charset])  # (V,)
    N, L = win.shape[0], win.shape[1] - 1
    out = {
        r: (torch.zeros(N, L, L, dtype=torch.bool), torch.zeros(N, L, dtype=torch.bool))
        for r in ROLES
    }
    idx = torch.arange(1, L)  # (L - 1,)
    out["previous"][0][:, idx, idx - 1] = True
    out["first"][0][:, 1:, 0] = True
    out["previous"][1][:, 1:] = out["first"][1][:, 1:] = True
    for n in range(N):
        ids, nxt = win[n, :-1], win[n, 1:]  # (L,), (L,)
        text, after = [charset[k] for k in ids], [charset[k] for k in nxt]
        _brackets(text, after, out["bracket"][0][n], out["bracket"][1][n])
        _indent(text, out["indent"][0][n], out["indent"][1][n])
        out["copy"][0][n], out["copy"][1][n] = _copies(ids, ident[ids], nxt)
    return out


def head_role_table(weights: torch.Tensor, targets: dict) -> torch.Tensor:
    """Mean share of each head's attention on each role's targets.

    Entry [..., h, r] averages, over the queries that role r has targets
    for, the total weight head h puts on them: 1 means the head looks only
    there. Works for any model's per-head weights.

    Args:
        weights: (B, H, L, S), or (K, B, H, L, S) for K layers.
        targets: ``{role: (targets (B, L, S), concerned)}`` as from
            :func:`role_targets`.

    Returns:
        (H, R) or (K, H, R), roles in the order of ``targets``.

    >>> w = torch.eye(3).roll(-1, 1).tril().expand(2, 1, 3, 3)   # (B, H, L, S)
    >>> t = role_targets(torch.zeros(2, 4, dtype=torch.long), "x")
    >>> head_role_table(w, t)[0, :2].tolist()                    # previous, first
    [1.0, 0.5]
    """
    if weights.dim() not in (4, 5):
        raise ValueError(
            "weights must be (B, H, L, S) or (K, B, H, L, S), got "
            f"{tuple(weights.shape)}"
        )
    w = weights if weights.dim() == 5 else weights[None]  # (K, B, H, L, S)
    cols = []
    for t, _ in targets.values():
        want = (w.shape[1], w.shape[3], w.shape[4])  # (B, L, S)
        if t.shape != want:
            raise ValueError(
                f"targets must be (B, L, S) = {want} like weights, got {tuple(t.shape)}"
            )
        share = (w * t[None, :, None].to(w.dtype)).sum(-1)  # (K, B, H, L)
        q = t.any(-1)  # (B, L): the queries with targets
        cols.append(share.transpose(1, 2)[:, :, q].mean(-1))  # (K, H)
    table = torch.stack(cols, dim=-1)  # (K, H, R)
    return table if weights.dim() == 5 else table[0]


def uniform_share(targets: dict) -> torch.Tensor:
    """(R,): the share of :func:`head_role_table` for uniform causal attention.

    A head that spreads its weight evenly over the i + 1 keys it may see
    scores this much by chance.

    >>> t = role_targets(torch.zeros(1, 4, dtype=torch.long), "x")
    >>> round(uniform_share(t)[0].item(), 4)                      # (1/2 + 1/3) / 2
    0.4167
    """
    cols = []
    for t, _ in targets.values():
        seen = torch.arange(1, t.shape[-2] + 1, dtype=torch.float64)  # (L,): i + 1 keys
        share = t.sum(-1) / seen  # (B, L)
        cols.append(share[t.any(-1)].mean())
    return torch.stack(cols)  # (R,)


@torch.no_grad()
def role_ablation(model, win: torch.Tensor, targets: dict, loss_fn) -> torch.Tensor:
    """Rise of the mean loss on each role's concerned positions, per head removed.

    ``loss_fn(model, win)`` gives per-position losses (N, L); ``model.heads()``
    lists its attention layers. Entry [k, h, r] is the mean loss on role r's
    concerned positions with head h of layer k silenced (see
    :func:`~mhacourse.studies.head_analysis.ablate_heads`) minus without.

    >>> from mhacourse.studies.tiny_lm import TinyLM
    >>> from mhacourse.studies.real_text import char_losses
    >>> model, win = TinyLM(8, 2, 1, max_len=4, vocab_size=3), torch.zeros(2, 5).long()
    >>> role_ablation(model, win, role_targets(win, "abc"), char_losses).shape
    torch.Size([1, 2, 5])
    """
    model.eval()
    where = [c for _, c in targets.values()]  # R x (N, L)

    def means(losses):  # (N, L) -> (R,); NaN for a role with no positions
        return torch.stack([losses[c].mean() for c in where])

    base = means(loss_fn(model, win))  # (R,)
    rows = []
    for layer in model.heads():
        for h in range(layer.num_heads):
            with ablate_heads(layer, h):
                rows.append(means(loss_fn(model, win)) - base)  # (R,)
    return torch.stack(rows).view(len(model.heads()), -1, len(where))  # (K, H, R)


def claim_roles(
    share: torch.Tensor,
    chance: torch.Tensor,
    rise: torch.Tensor,
    min_share: float = 0.3,
    min_rise: float = 0.05,
) -> dict:
    """The roles each head plays by both tests: attention *and* ablation.

    Head (k, h) plays role r when it puts at least ``min_share`` of its
    attention, and 5 times chance, on r's targets, and silencing it raises
    the loss on r's positions by at least ``min_rise`` nats; for roles whose
    positions are not every position (bracket, indent, copy) the rise must
    also be twice the rise on every position (column ``previous``).

    Args:
        share: (K, H, R) from :func:`head_role_table`.
        chance: (R,) from :func:`uniform_share`.
        rise: (K, H, R) from :func:`role_ablation`.

    Returns:
        ``{(k, h): [role, ...]}`` for every head, [] for a head with no role.

    >>> share = torch.tensor([[[0.9, 0.0, 0.0, 0.0, 0.0], [0.1, 0.5, 0.0, 0.0, 0.6]]])
    >>> rise = torch.tensor([[[0.5, 0.5, 0.1, 0.1, 0.1], [0.1, 0.1, 0.0, 0.0, 0.1]]])
    >>> claim_roles(share, torch.full((5,), 0.05), rise)
    {(0, 0): ['previous'], (0, 1): ['first']}
    """
    everywhere = rise[..., ROLES.index("previous")]  # (K, H)
    out = {}
    for k in range(share.shape[0]):
        for h in range(share.shape[1]):
            out[k, h] = [
                r
                for i, r in enumerate(ROLES)
                if share[k, h, i] >= max(min_share, 5 * chance[i])
                and rise[k, h, i] >= min_rise
                and (
                    r in ("previous", "first") or rise[k, h, i] >= 2 * everywhere[k, h]
                )
            ]
    return out
