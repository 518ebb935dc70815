"""The course's figure style, and plain tick labels on log axes."""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["MAX_COLUMNS", "MAX_WIDTH", "STYLE", "plain_log_ticks", "use_style"]

#: Widest figure in inches: at 100 px per inch it fits the book's text column, so a
#: 10 pt label stays at least 10 px wide on a desktop.
MAX_WIDTH = 8.0
#: Most panels per row, so that a grid stays readable on a phone.
MAX_COLUMNS = 4

#: The course's figure style: labels of at least 10 pt (about 13 px at 100 dpi),
#: no offset or "6x10^1" style tick labels, and tight layouts.
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.dpi": 100,
    "figure.figsize": (6.4, 4.0),
    "savefig.dpi": 200,
    "figure.constrained_layout.use": True,
    "axes.formatter.useoffset": False,
}


def use_style(inline_format: str = "retina") -> None:
    """Apply the course's figure style; in a notebook, also render figures at 2x.

    Call it once in a chapter's first code cell. It returns None, so that the cell
    shows no output (the settings are ``STYLE``).

    >>> use_style()
    >>> plt.rcParams["xtick.labelsize"]
    10.0
    """
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats(inline_format)
    except ImportError:  # matplotlib without IPython: style only
        pass


def plain_log_ticks(ax, axis="both"):
    """Label a log axis with plain numbers (``2``, ``50``, ``1000``), never ``6x10^1``.

    Minor ticks keep their marks but lose their labels.

    >>> fig, ax = plt.subplots()
    >>> _ = ax.loglog([2, 50], [1, 1000])
    >>> plain_log_ticks(ax)
    >>> fig.canvas.draw()
    >>> [t.get_text() for t in ax.get_xticklabels() if t.get_text()][:2]
    ['1', '10']
    >>> plt.close(fig)
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axes = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[axis]
    for a in axes:
        a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        a.set_minor_formatter(NullFormatter())
