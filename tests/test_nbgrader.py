"""nbgrader end to end: cell metadata, generate_assignment, and autograde giving full, zero and partial marks.

The autograde test is bounded: notebooks 01 and 02, each cut after its last graded cell (what follows the
exercises does not take part in grading), three submissions each.
"""

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tools.make_student import ASSIGNMENT, make_course, nbgrader
from tools.nbgrader_cells import BEGIN, END, add_nbgrader_metadata, graded_source, split_solution

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GRADED = ["01_recurrence.ipynb", "02_bptt.ipynb"]


def _exercise_notebook(check_cell: bool = False) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    solution = f"def square(x):\n    # Hint: multiply\n    {BEGIN}\n    return x * x\n    {END}\n"
    check = "check_rnn_step(square)"
    nb.cells = [nbformat.v4.new_markdown_cell("# 42 · Title"),
                nbformat.v4.new_code_cell(solution + ("\n\n" + check if not check_cell else "")),
                *([nbformat.v4.new_code_cell(check)] if check_cell else [])]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    return nb


@pytest.mark.parametrize("check_cell", [False, True], ids=["check-in-solution-cell", "check-cell"])
def test_metadata_splits_marks_and_is_idempotent(check_cell):
    nb = _exercise_notebook(check_cell)
    changed, count = add_nbgrader_metadata(nb, "42_title.ipynb")
    assert (changed, count) == (True, 1) and len(nb.cells) == 3
    solution, test = nb.cells[1], nb.cells[2]
    assert solution.source.rstrip().endswith(END) and "check_" not in solution.source
    assert solution.metadata["nbgrader"] == {"grade": False, "grade_id": "42_title-exercise-1", "locked": False,
                                             "schema_version": 3, "solution": True, "task": False}
    assert test.metadata["nbgrader"]["grade"] is True and test.metadata["nbgrader"]["locked"] is True
    assert test.metadata["nbgrader"]["points"] == 1 and test["id"] == ("c2" if check_cell else "c1-check")
    assert "from rnnlab.checks.recurrence import check_rnn_step" in test.source
    assert re.search(r"^assert check_rnn_step\(square\), ", test.source, re.M)
    test.metadata["nbgrader"]["points"] = 3  # a teacher's choice survives a second run
    snapshot = nbformat.writes(nb)
    assert add_nbgrader_metadata(nb, "42_title.ipynb") == (False, 1)
    assert nbformat.writes(nb) == snapshot
    nbformat.validate(nb)


def test_graded_cell_asserts_a_verdict_kept_in_a_variable_at_its_end():
    source = "ok = check_parallel_scan(parallel_scan)\nscan = parallel_scan if ok else parallel_scan_log"
    graded = graded_source(source, "here")
    assert graded.split("\n")[-2:] == ["scan = parallel_scan if ok else parallel_scan_log",
                                       'assert ok, "not passed yet: the line above says why"']
    assert graded_source(graded, "here") == graded


def test_graded_cell_fails_a_wrong_answer_whatever_the_environment(monkeypatch):
    """The cell's own assert fails it: RNNLAB_STRICT_CHECKS=0, which a student could set, changes nothing."""
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "0")
    graded = graded_source("check_rnn_step(rnn_step)", "here")
    with pytest.raises(AssertionError, match="not passed yet"):
        exec(graded, {"rnn_step": lambda x_t, h, W_xh, W_hh, b: h, "check_rnn_step": lambda fn: True})
    exec(graded, {"rnn_step": lambda x_t, h, W_xh, W_hh, b: __import__("numpy").tanh(x_t @ W_xh.T + h @ W_hh.T + b)})


def test_errors_name_the_notebook_and_what_to_change():
    nb = _exercise_notebook(check_cell=True)
    nb.cells[2].source = "print('no check here')"
    with pytest.raises(ValueError, match=r"42_title.ipynb, cell 2 .*must call a check from rnnlab.checks"):
        add_nbgrader_metadata(nb, "42_title.ipynb")
    with pytest.raises(ValueError, match="check_nothing is not a check defined in rnnlab.checks"):
        graded_source("check_nothing(f)", "here")
    with pytest.raises(ValueError, match="without a matching"):
        split_solution(f"{BEGIN}\nx = 1\n")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_exercise_of_the_course_gets_a_graded_check(path):
    notebook = nbformat.read(path, as_version=4)
    _, count = add_nbgrader_metadata(notebook, path.name)
    nbformat.validate(notebook)
    meta = [c.metadata.get("nbgrader", {}) for c in notebook.cells]
    assert sum(m.get("solution", False) for m in meta) == count == path.read_text().count(BEGIN)
    assert sum(m.get("grade", False) for m in meta) == count
    ids = [m["grade_id"] for m in meta if m]
    assert len(ids) == len(set(ids)), "grade ids must be unique within a notebook"


def _cut_after_last_graded_cell(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    last = max(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    notebook.cells = notebook.cells[: last + 1]
    nbformat.write(notebook, path)


def _break_second_solution(path: Path) -> None:
    """The second exercise of 01 (nothing else uses it) stacks along time first: a plausible student mistake."""
    notebook = nbformat.read(path, as_version=4)
    cell = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")][1]
    assert "np.stack(hs, axis=1)" in cell.source
    cell.source = cell.source.replace("np.stack(hs, axis=1)", "np.stack(hs, axis=0)")
    nbformat.write(notebook, path)


@pytest.mark.slow
def test_autograde_gives_full_zero_and_partial_marks(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook

    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    monkeypatch.setenv("RNNLAB_PROGRESS", "0")
    root = make_course(tmp_path / "course", [ROOT / "notebooks" / name for name in GRADED])
    for name in GRADED:
        _cut_after_last_graded_cell(root / "source" / ASSIGNMENT / name)
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    origin = {"instructor": root / "source" / ASSIGNMENT, "student": root / "release" / ASSIGNMENT,
              "one-wrong": root / "source" / ASSIGNMENT}
    for student, folder in origin.items():
        target = root / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        for name in GRADED:
            shutil.copyfile(folder / name, target / name)
    _break_second_solution(root / "submitted" / "one-wrong" / ASSIGNMENT / GRADED[0])

    nbgrader(root, "autograde", ASSIGNMENT, "--create", "--force")

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {s: gradebook.find_submission(ASSIGNMENT, s) for s in origin}
        result = {s: (sub.score, sub.max_score) for s, sub in scores.items()}
    total = sum(bool(c.metadata.get("nbgrader", {}).get("grade"))
                for name in GRADED for c in nbformat.read(root / "source" / ASSIGNMENT / name, as_version=4).cells)
    assert total >= 4  # 01 and 02 have two exercises each, at least; a point each
    assert result["instructor"] == (total, total), result
    assert result["student"] == (0, total), result
    assert result["one-wrong"] == (total - 1, total), result
    feedback = (root / "autograded" / "one-wrong" / ASSIGNMENT / GRADED[0]).read_text()
    assert "❌" in feedback and "not passed yet" in feedback  # the verdict reaches the graded notebook

    # Feedback pages load MathJax from a CDN; tools.offline_feedback points them at a local copy.
    from tools.offline_feedback import make_offline

    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    pages = make_offline(root)
    assert len(pages) == len(origin) * len(GRADED)
    page = pages[0].read_text()
    assert "cdnjs" not in page and '"webFont": "STIX-Web"' in page
    script = page.split('<script src="')[1].split("?")[0]
    assert (pages[0].parent / script).resolve() == (root / "feedback" / "mathjax" / "MathJax.js").resolve()
    assert make_offline(root) == []  # a second run changes nothing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_nbgrader_metadata_in_a_notebook_is_complete_and_current(path):
    """Once a notebook carries nbgrader metadata (`python -m tools.nbgrader_cells`), an edit that adds an exercise
    or changes a check cell without re-running the tool fails here."""
    notebook = nbformat.read(path, as_version=4)
    if not any("nbgrader" in c.metadata for c in notebook.cells):
        pytest.skip("no nbgrader metadata yet: run python -m tools.nbgrader_cells on the notebooks")
    changed, _ = add_nbgrader_metadata(notebook, path.name)
    assert not changed, f"stale nbgrader metadata: run python -m tools.nbgrader_cells notebooks/{path.name}"


def test_graded_cell_from_a_check_with_a_semicolon_or_a_comment():
    assert graded_source("check_rnn_step(rnn_step);", "here").endswith(
        'assert check_rnn_step(rnn_step), "not passed yet: the line above says why"')
    assert graded_source("check_rnn_step(rnn_step)  # one step", "here").endswith('why"  # one step')
    with pytest.raises(ValueError, match="here: the check cell is not valid Python"):
        graded_source("check_rnn_step(", "here")


def test_a_teachers_nbgrader_config_is_kept_and_the_assignment_can_be_named(tmp_path, capsys):
    from tools.make_student import main

    course = tmp_path / "course"
    course.mkdir()
    mine = 'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "rnn101"\nc.Exchange.root = "/srv/exchange"\n'
    (course / "nbgrader_config.py").write_text(mine)
    make_course(course, [ROOT / "notebooks" / GRADED[0]], assignment="week3")
    assert (course / "nbgrader_config.py").read_text() == mine  # a second release does not overwrite it
    assert (course / "source" / "week3" / GRADED[0]).is_file()
    assert "kept the existing" in capsys.readouterr().out
    fresh = make_course(tmp_path / "fresh", [ROOT / "notebooks" / GRADED[0]])
    assert "c.Execute.timeout = 900" in (fresh / "nbgrader_config.py").read_text()
    with pytest.raises(SystemExit):
        main(["--assignment", "week 3", str(ROOT / "notebooks" / GRADED[0])])
    assert "--assignment 'week 3': use letters, digits, - and _ only" in capsys.readouterr().err
