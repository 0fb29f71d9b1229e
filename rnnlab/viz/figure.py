"""Figures that show once in a notebook, whether a plotting function is a cell's last line or not.

In Jupyter's inline backend an open pyplot figure is drawn when the cell ends; a Figure that is also the cell's
value is drawn a second time by the display hook (matplotlib's own `fig` at the end of a cell does the same).
Every rnnlab.viz function draws on a `ShownOnceFigure` (a matplotlib Figure: tests and notebooks use it as
one, e.g. `fig.axes`, `fig.savefig`): when IPython displays it (`display(fig)`, or as a cell's last value) it
shows it and takes it out of pyplot's list of open figures, so the end of the cell does not draw it again.
A figure that is never displayed is drawn once at the end of the cell as before; `plt.show()` and
`plt.close(fig)` work as usual. With another backend (ipympl, a window) the backend shows it, nothing else.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def _inline_backend() -> bool:
    return "inline" in matplotlib.get_backend().lower()


def rich_display_data(fig: Figure) -> tuple[dict[str, Any], dict[str, Any]]:
    """The display data IPython would make for a plain Figure (honouring the inline backend's formats)."""
    data: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover
        shell = None
    if shell is not None:
        for mime, formatter in shell.display_formatter.formatters.items():
            if mime == "text/plain" or not getattr(formatter, "enabled", True):
                continue
            try:
                printer = formatter.lookup_by_type(Figure)
            except KeyError:
                continue
            result = printer(fig)
            if isinstance(result, tuple):
                result, md = result
                if md:
                    metadata[mime] = md
            if result is not None:
                data[mime] = result
    if not data:
        from IPython.core.pylabtools import print_figure

        data["image/png"] = print_figure(fig, "png", base64=True)
    data["text/plain"] = f"<Figure size {fig.bbox.width:g}x{fig.bbox.height:g} with {len(fig.axes)} Axes>"
    return data, metadata


class ShownOnceFigure(Figure):
    """A matplotlib Figure that IPython shows once (see the module docstring)."""

    def _ipython_display_(self) -> None:
        open_in_pyplot = plt.fignum_exists(self.number) if getattr(self, "number", None) is not None else False
        if open_in_pyplot and not _inline_backend():
            return                                 # an interactive backend shows it itself
        from IPython.display import publish_display_data

        data, metadata = rich_display_data(self)
        publish_display_data(data, metadata=metadata)
        if open_in_pyplot:
            plt.close(self)                        # shown: the end of the cell must not draw it again


def subplots(*args: Any, **kwargs: Any) -> tuple[Figure, Any]:
    """`plt.subplots` drawing on a ShownOnceFigure; same arguments, same return values."""
    return plt.subplots(*args, FigureClass=ShownOnceFigure, **kwargs)


def figure_of(ax: Any) -> Figure:
    """The figure an Axes the user passed (`ax=`) draws on, made to show once like rnnlab's own figures.

    A plain matplotlib Figure (from `plt.subplots()`) becomes a ShownOnceFigure in place (its class changes; it
    has the same data and methods, plus the display rule of the module docstring), so a plotting function that
    returns it as a cell's last value does not show it twice. Any other Figure subclass is left as it is.
    Returns `ax.figure` (a SubFigure when the Axes is in one: its root figure is the one converted).
    """
    fig = ax.figure
    root = fig
    while not isinstance(root, Figure) and getattr(root, "figure", None) is not None and root.figure is not root:
        root = root.figure                         # a SubFigure: the figure pyplot knows is its root
    if type(root) is Figure:
        root.__class__ = ShownOnceFigure
    return fig
