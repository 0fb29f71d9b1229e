"""Student versions (nbgrader's generate_assignment): solutions become stubs, nothing else changes, checks say
'not done yet'."""

import json
from pathlib import Path

import nbformat
import pytest

from tools.make_student import release
from tools.nbgrader_cells import BEGIN, END, add_nbgrader_metadata

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
WITH_EXERCISES = [p for p in NOTEBOOKS if BEGIN in p.read_text()]
STUB = "raise NotImplementedError()"


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory) -> Path:
    """All notebooks released once by nbgrader (one generate_assignment run) from a snapshot of the instructor
    versions, kept in its `instructor/` folder."""
    out = tmp_path_factory.mktemp("student")
    (out / "instructor").mkdir()
    for path in NOTEBOOKS:
        (out / "instructor" / path.name).write_bytes(path.read_bytes())
    release(sorted((out / "instructor").glob("*.ipynb")), out)
    return out


def _role(cell) -> str:
    meta = cell.metadata.get("nbgrader", {})
    return "solution" if meta.get("solution") else "graded" if meta.get("grade") else "plain"


def _comparable(cell) -> str:
    cell = dict(cell, metadata={k: v for k, v in cell.metadata.items() if k not in ("nbgrader", "editable",
                                                                                     "deletable")})
    if cell["cell_type"] == "code":
        cell.update(outputs=[], execution_count=None)
    return json.dumps(cell, sort_keys=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_student_version_changes_only_the_solutions(path, student_dir):
    instructor = nbformat.read(student_dir / "instructor" / path.name, as_version=4)
    add_nbgrader_metadata(instructor, path.name)
    student = nbformat.read(student_dir / path.name, as_version=4)
    nbformat.validate(student)
    assert [c.get("id") for c in student.cells] == [c.get("id") for c in instructor.cells]
    for original, released in zip(instructor.cells, student.cells, strict=True):
        if _role(original) == "solution":
            assert BEGIN not in released.source and END not in released.source and STUB in released.source
            assert released.source.startswith(original.source.split(BEGIN)[0].rstrip(" "))  # hints stay
            after = original.source.split(END)[1]
            assert released.source.endswith(after), "code after the solution region must stay"
        else:
            assert _comparable(released) == _comparable(original)
            assert BEGIN not in released.source
        if _role(original) == "graded":
            assert released.metadata["editable"] is False and released.metadata["deletable"] is False


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
def test_student_notebook_runs_and_each_check_says_not_done_yet(path, student_dir, tmp_path, monkeypatch):
    """Run top to bottom (errors allowed, as nbgrader's autograde does): every graded cell prints 'not done yet'
    and fails with its own assert, nothing else fails but a stub's NotImplementedError, and no check reports a
    wrong answer or a crash for an untouched stub."""
    from nbclient import NotebookClient

    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    monkeypatch.setenv("RNNLAB_PROGRESS", "0")
    student = nbformat.read(student_dir / path.name, as_version=4)
    client = NotebookClient(student, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    graded = 0
    for index, cell in enumerate(student.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
        errors = [o["ename"] for o in outputs if o.get("output_type") == "error"]
        assert "❌" not in text, f"cell {index}: a check reported a wrong answer or a crash for a stub:\n{text}"
        if _role(cell) == "graded":
            graded += 1
            assert "not done yet" in text, f"cell {index}: expected a 'not done yet' verdict, got:\n{text}"
            assert errors == ["AssertionError"], f"cell {index}: the graded cell must fail its assert: {errors}"
        else:
            assert set(errors) <= {"NotImplementedError"}, f"cell {index} raised {errors}:\n{cell.source[:300]}"
    assert graded == (student_dir / "instructor" / path.name).read_text().count(BEGIN)
