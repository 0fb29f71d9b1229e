"""Every notebook: committed without outputs, listed in the README, with a budget and the standard layout."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ids = [p.name for p in NOTEBOOKS]


def course_plan(root: Path = ROOT) -> list[str]:
    """The course's notebooks in order, from the one place they are listed: the README's course table."""
    readme = (root / "README.md").read_text()
    table = readme.split("<!-- notebooks:start -->")[1].split("<!-- notebooks:end -->")[0]
    return list(dict.fromkeys(re.findall(r"notebooks/(\d\d_[a-z0-9_]+)\.ipynb", table)))  # each row links twice


def test_the_readme_table_lists_every_notebook_in_order():
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    plan = course_plan()
    assert plan == sorted(plan), "the README's course table is out of number order"
    assert plan == [p.stem for p in NOTEBOOKS], "the README's course table and notebooks/ disagree"


def test_the_teachers_course_map_lists_every_notebook():
    guide = (ROOT / "docs" / "teaching.md").read_text()
    mapped = re.findall(r"^\| (\d\d) · ", guide, re.M)
    assert mapped == [p.name[:2] for p in NOTEBOOKS], "docs/teaching.md's course map and notebooks/ disagree"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_without_outputs_or_widget_state(path):
    result = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", str(path)], capture_output=True)
    assert result.returncode == 0, f"{path.name} has outputs or widget state: run nbstripout on it"
    nb = json.loads(path.read_text())
    assert "widgets" not in nb["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_layout_budget_and_first_cells(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert 0 < nb["metadata"]["rnnlab"]["budget_seconds"] <= 150
    cells = nb["cells"]
    first_md = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first_md.lstrip().startswith("# ")
    assert re.search(r"learning goals|you will learn|after this notebook you|you will be able", first_md, re.I), \
        "open with learning goals"
    assert "colab-badge.svg" in first_md and "mybinder.org" in first_md, "badges: run python -m tools.badges"
    code_cells = [c for c in cells if c["cell_type"] == "code"]
    assert "colab-setup" in code_cells[0]["metadata"].get("tags", []), "the first code cell is the Colab install"
    setup_cell = "".join(code_cells[1]["source"])
    assert re.search(r"^SEED = notebook_seed\(\d+\)", setup_cell, re.M) and \
        re.search(r"^device = setup\(seed=SEED", setup_cell, re.M), \
        "the setup cell comes next: imports, `SEED = notebook_seed(0)` (make claims sets RNNLAB_SEED) and " \
        "`device = setup(seed=SEED)` (seeds, torch threads, device)"
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown").lower()
    for heading in ("summary", "exercises", "references"):
        assert re.search(rf"^#+ .*{heading}", text, re.M), f"{path.name} has no '{heading}' section"
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "import *" not in code
    assert re.search(r"^\s*(assert |claim\()", code, re.M), f"{path.name} asserts none of its claims"
