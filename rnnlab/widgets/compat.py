"""Whether this environment's widget packages can show widgets in its JupyterLab (checked once, when the first
widget is made).

JupyterLab 4 loads only lab extensions that declare it: jupyterlab_widgets 3.0.8 is the first whose
`@jupyter-widgets/jupyterlab-manager` says `^3.0.0 || ^4.0.0` (3.0.7 and the 1.x that ipywidgets 7 brings say
`^3`, and JupyterLab 4 marks them incompatible: every widget shows "Error displaying widget"). ipywidgets 7 can
only use jupyterlab_widgets < 3, so JupyterLab 4 needs ipywidgets >= 8 with jupyterlab_widgets >= 3.0.8 (the
`lab` extra asks for both). Colab, with its own front end, runs ipywidgets 7.7: no warning there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import metadata

LAB_WIDGETS_FLOOR = (3, 0, 8)   # first jupyterlab_widgets whose lab extension declares JupyterLab 4


def _version(package: str) -> tuple[int, ...] | None:
    try:
        text = metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():
            break
    return tuple(parts)


def front_end_problem(version: Callable[[str], tuple[int, ...] | None] = _version) -> str | None:
    """A one-line explanation when the JupyterLab installed here cannot show this environment's widgets, else
    None. `version(package)` gives an installed version (tests pass a fake)."""
    if "google.colab" in sys.modules:
        return None
    lab = version("jupyterlab")
    if lab is None or lab[:1] < (4,):
        return None
    widgets, lab_widgets = version("ipywidgets"), version("jupyterlab_widgets")
    shown = ".".join(map(str, lab))
    fix = ("pip install 'ipywidgets>=8.1' 'jupyterlab-widgets>=3.0.8' (or pip install 'rnnlab[lab]'), then "
           "restart JupyterLab")
    if widgets is not None and widgets[:1] < (8,):
        return (f"ipywidgets {'.'.join(map(str, widgets))} cannot show widgets in JupyterLab {shown} (its lab "
                f"extension is for JupyterLab 3: 'Error displaying widget'); {fix}")
    if lab_widgets is not None and lab_widgets < LAB_WIDGETS_FLOOR:
        return (f"jupyterlab_widgets {'.'.join(map(str, lab_widgets))} cannot show widgets in JupyterLab {shown} "
                f"(JupyterLab 4 needs 3.0.8 or later); {fix}")
    return None


_warned = False


def warn_once() -> None:
    """Print `front_end_problem()` once per kernel, to the cell's output (a widget it concerns cannot show it)."""
    global _warned
    if _warned:
        return
    _warned = True
    problem = front_end_problem()
    if problem:
        print(f"rnnlab widgets: {problem}", file=sys.stderr)
