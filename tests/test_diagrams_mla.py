"""MLA's flow diagram is drawn from the module's real shapes."""

import matplotlib.pyplot as plt
import pytest

from mhacourse.diagrams import latent_attention_flow
from mhacourse.diagrams._canvas import gids
from mhacourse.mla import MultiHeadLatentAttention


def _widths(fig):
    return {
        a.get_gid(): a.get_width()
        for a in fig.axes[0].patches
        if a.get_gid() and a.get_gid().count(":") >= 2
    }


@pytest.mark.parametrize("D, H, C, R", [(32, 4, 12, 4), (48, 6, 20, 8)])
def test_bars_have_the_modules_sizes(D, H, C, R):
    mla = MultiHeadLatentAttention(D, H, kv_latent_dim=C, rope_dim=R)
    fig = latent_attention_flow(mla)
    E = D // H
    assert sorted(gids(fig, "cache:")) == sorted(
        [f"cache:latent:{C}", f"cache:rope:{R}"]
    )
    assert len(gids(fig, "plain:keys:")) == H
    assert all(g.endswith(f":{E}") for g in gids(fig, "plain:values:"))
    assert all(g.endswith(f":{C}") for g in gids(fig, "absorbed:query:"))
    w = _widths(fig)
    # every bar's length is its number of features, on one scale
    assert w[f"cache:latent:{C}"] / w[f"cache:rope:{R}"] == pytest.approx(C / R)
    assert w[f"plain:keys:0:{E}"] / w[f"cache:rope:{R}"] == pytest.approx(E / R)
    plt.close(fig)
