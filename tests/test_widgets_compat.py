"""Issue 24 kind D (case jl4_with_ipywidgets7.sh): the dependency floors that let JupyterLab 4 show widgets, and
a one-line message when an environment has JupyterLab 4 with widget packages it cannot load."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from rnnlab.widgets.compat import LAB_WIDGETS_FLOOR, front_end_problem

ROOT = Path(__file__).resolve().parents[1]


def _floor(requirements: list[str], name: str) -> tuple[int, ...] | None:
    for req in requirements:
        m = re.fullmatch(rf"{name}\s*>=\s*([\d.]+)", req.split(";")[0].strip().replace("_", "-"))
        if m:
            return tuple(int(p) for p in m.group(1).split("."))
    return None


@pytest.mark.parametrize("extra", ["lab", "dev"])
def test_every_extra_with_jupyterlab_4_asks_for_widgets_it_can_load(extra):
    """jupyterlab_widgets 3.0.8 is the first whose lab extension declares JupyterLab 4 (3.0.7 and ipywidgets 7's
    1.x are marked incompatible); ipywidgets 7 cannot use jupyterlab_widgets 3."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["optional-dependencies"][extra]
    lab = _floor(reqs, "jupyterlab")
    if lab is None or lab < (4,):
        pytest.skip(f"the {extra} extra does not ask for JupyterLab 4")
    assert (_floor(reqs, "ipywidgets") or (0,)) >= (8,), f"{extra}: ipywidgets 7 with JupyterLab 4"
    assert (_floor(reqs, "jupyterlab-widgets") or (0,)) >= LAB_WIDGETS_FLOOR, f"{extra}: jupyterlab-widgets floor"


def _fake(versions):
    return lambda package: versions.get(package)


@pytest.mark.parametrize("versions, expected", [
    ({"jupyterlab": (4, 0, 0), "ipywidgets": (7, 7, 1), "jupyterlab_widgets": (1, 1, 1)}, "ipywidgets 7.7.1"),
    ({"jupyterlab": (4, 6, 6), "ipywidgets": (8, 0, 7), "jupyterlab_widgets": (3, 0, 7)}, "jupyterlab_widgets 3.0.7"),
    ({"jupyterlab": (4, 6, 6), "ipywidgets": (8, 1, 9), "jupyterlab_widgets": (3, 0, 8)}, None),
    ({"jupyterlab": (3, 6, 0), "ipywidgets": (7, 7, 1), "jupyterlab_widgets": (1, 1, 1)}, None),  # JupyterLab 3
    ({"ipywidgets": (7, 7, 1)}, None),                      # no JupyterLab here (Colab, classic notebook, VS Code)
])
def test_front_end_problem_names_the_package_and_the_fix(versions, expected):
    problem = front_end_problem(_fake(versions))
    if expected is None:
        assert problem is None
    else:
        assert expected in problem and "JupyterLab 4" in problem and "\n" not in problem
        assert "pip install 'ipywidgets>=8.1' 'jupyterlab-widgets>=3.0.8'" in problem


def test_this_environment_can_show_its_widgets():
    assert front_end_problem() is None
