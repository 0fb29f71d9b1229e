"""tools.new_notebook writes a notebook that the hygiene tests accept, and registers it where they look."""

import shutil
from pathlib import Path

import nbformat
import pytest
import test_notebook_hygiene as hygiene

from tools.new_notebook import create, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(tmp_path):
    """A copy of what the tool reads and writes: notebooks/, README.md, the guide, the self-check folder."""
    (tmp_path / "notebooks").mkdir()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(path, tmp_path / "notebooks" / path.name)
    (tmp_path / "docs").mkdir()
    shutil.copyfile(ROOT / "README.md", tmp_path / "README.md")
    shutil.copyfile(ROOT / "docs" / "teaching.md", tmp_path / "docs" / "teaching.md")
    shutil.copytree(ROOT / "rnnlab" / "data" / "files" / "self_check",
                    tmp_path / "rnnlab" / "data" / "files" / "self_check")
    return tmp_path


def test_the_skeleton_passes_the_hygiene_checks_and_is_registered(repo, monkeypatch, capsys):
    path = create("97_sequence_tricks", "Sequence tricks", goals="pack sequences", budget=90, root=repo)
    hygiene.test_layout_budget_and_first_cells(path)  # title, goals, badges, Colab cell, setup cell, sections
    plan = hygiene.course_plan(repo)
    assert plan[-1] == "97_sequence_tricks" and plan == sorted(plan)
    assert "| 97 · sequence tricks |" in (repo / "docs" / "teaching.md").read_text()
    # the questions load, and the notebook's code runs (its Colab cell aside)
    import rnnlab.self_check as self_check

    monkeypatch.setattr(self_check.resources, "files", lambda package: repo / "rnnlab")
    assert len(self_check.load_questions("97")) == 3
    notebook = nbformat.read(path, as_version=4)
    namespace: dict = {}
    for cell in notebook.cells[2:]:
        if cell.cell_type == "code":
            exec(cell.source, namespace)  # noqa: S102
    assert "1. TODO: a question" in capsys.readouterr().out


def test_a_taken_number_or_a_bad_name_is_refused_by_its_option(repo, capsys):
    with pytest.raises(SystemExit):
        main(["03_more_gradients", "More", "--root", str(repo)])
    assert "number 03 is taken by 03_vanishing_gradients.ipynb" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["Deployment", "x", "--root", str(repo)])
    assert "NN_topic 'Deployment': two digits" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["97_x", "x", "--budget", "300", "--root", str(repo)])
    assert "--budget 300: a notebook runs in at most 150 s" in capsys.readouterr().err
