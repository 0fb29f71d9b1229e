"""Student versions: solutions become NotImplementedError stubs, nothing else changes, checks say 'not done yet'."""

import json
from pathlib import Path

import nbformat
import pytest

from tools.make_student import BEGIN, END, strip_solutions, student_version

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WITH_EXERCISES = [p for p in NOTEBOOKS if BEGIN in p.read_text()]


def test_strip_solutions_keeps_indentation_and_hint():
    source = "def f(x):\n    # Hint: square it\n    ### BEGIN SOLUTION\n    return x ** 2\n    ### END SOLUTION\n"
    stub, n = strip_solutions(source)
    assert n == 1
    assert stub == "def f(x):\n    # Hint: square it\n    raise NotImplementedError('square it')\n"
    namespace = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="square it"):
        namespace["f"](2)


def test_unbalanced_markers_are_reported():
    with pytest.raises(ValueError, match="no matching"):
        strip_solutions(f"{BEGIN}\nx = 1\n")
    with pytest.raises(ValueError, match="no '### BEGIN SOLUTION' before it"):
        strip_solutions(f"x = 1\n{END}\n")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_student_version_is_valid_and_changes_only_the_solutions(path):
    notebook = nbformat.read(path, as_version=4)
    student, n = student_version(notebook)
    nbformat.validate(student)
    assert n == sum(c.source.count(BEGIN) for c in notebook.cells if c.cell_type == "code")
    for original, stubbed in zip(notebook.cells, student.cells, strict=True):
        if original.cell_type == "code" and BEGIN in original.source:
            assert BEGIN not in stubbed.source and "raise NotImplementedError(" in stubbed.source
            outside = original.source.split(BEGIN)[0]
            assert stubbed.source.startswith(outside)
        else:
            assert json.dumps(original, sort_keys=True) == json.dumps(stubbed, sort_keys=True)


def test_core_notebooks_have_at_least_two_exercises_and_applications_one():
    for path in NOTEBOOKS:
        count = path.read_text().count(BEGIN)
        number = int(path.name[:2])
        if 1 <= number <= 4:
            assert count >= 2, f"{path.name} has {count} exercise(s); core notebooks need at least two"
        elif 5 <= number <= 9:
            assert count >= 1, f"{path.name} has no exercise; application notebooks need at least one"


@pytest.mark.slow
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.name for p in WITH_EXERCISES])
def test_student_notebook_runs_and_each_check_says_not_done_yet(path, tmp_path, monkeypatch):
    """Executed with NotImplementedError allowed, the notebook runs to the end and no check crashes."""
    from nbclient import NotebookClient

    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    monkeypatch.setenv("RNNLAB_PROGRESS", "0")
    student, n = student_version(nbformat.read(path, as_version=4))
    client = NotebookClient(student, timeout=900, kernel_name="python3", allow_error_names=["NotImplementedError"],
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    text = "\n".join(out.get("text", "") for cell in student.cells if cell.cell_type == "code"
                     for out in cell.get("outputs", []) if out.get("output_type") == "stream")
    errors = [out for cell in student.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert all(e["ename"] == "NotImplementedError" for e in errors), [e["ename"] for e in errors]
    assert text.count("not done yet") >= n, f"expected {n} 'not done yet' verdicts:\n{text[-2000:]}"
    assert "❌" not in text, "a check reported a wrong answer or a crash for an untouched stub"
