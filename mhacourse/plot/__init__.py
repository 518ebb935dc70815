"""Heatmaps of attention weights, labelled with tokens.

Every function returns matplotlib objects and never calls ``plt.show()``, so
the caller decides how to display or save the figure.

* :mod:`~mhacourse.plot.style` - the course's figure style and log-axis ticks;
* :mod:`~mhacourse.plot.maps` - one (L, S) map: weights, or a mask in two colours;
* :mod:`~mhacourse.plot.grid` - a grid of maps, one per head.
"""

from .grid import head_grid
from .maps import BOOLEAN_COLORS, attention_heatmap, boolean_map
from .style import MAX_COLUMNS, MAX_WIDTH, STYLE, plain_log_ticks, use_style

__all__ = [
    "BOOLEAN_COLORS",
    "MAX_COLUMNS",
    "MAX_WIDTH",
    "STYLE",
    "attention_heatmap",
    "boolean_map",
    "head_grid",
    "plain_log_ticks",
    "use_style",
]
