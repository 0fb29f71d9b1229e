"""Self-check questions: every notebook has them, each answer has feedback, and they render in a notebook."""

import json
from pathlib import Path

import pytest

from rnnlab.self_check import MIN_QUESTIONS, load_questions, self_check

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_notebook_has_checked_questions_and_shows_them(notebook):
    questions = load_questions(notebook)
    assert len(questions) >= MIN_QUESTIONS
    source = (ROOT / "notebooks").glob(f"{notebook}_*.ipynb").__next__().read_text()
    assert f'self_check(\\"{notebook}\\")' in source, f"notebook {notebook} does not show its self-check questions"


def test_a_question_without_feedback_or_a_correct_answer_is_refused(tmp_path, monkeypatch):
    import rnnlab.self_check as module

    folder = tmp_path / "rnnlab" / "data" / "files" / "self_check"
    folder.mkdir(parents=True)
    monkeypatch.setattr(module.resources, "files", lambda package: tmp_path / "rnnlab")
    base = {"question": "Why?", "type": "multiple_choice"}
    (folder / "98.json").write_text(json.dumps([{**base, "answers": [{"answer": "a", "correct": True}]}]))
    with pytest.raises(ValueError, match="98.json question 1 .*every answer needs its feedback"):
        load_questions("98")
    (folder / "98.json").write_text(json.dumps([{**base, "answers": [
        {"answer": "a", "correct": True, "feedback": "yes"}, {"answer": "b", "correct": True, "feedback": "yes"}]}]))
    with pytest.raises(ValueError, match="exactly one correct answer, got 2"):
        load_questions("98")
    with pytest.raises(FileNotFoundError, match="no self-check questions for notebook '42' \\(there are: 98\\)"):
        load_questions("42")


def test_outside_a_notebook_the_questions_are_printed(capsys, monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # another test may have started an IPython shell
    self_check("03")
    out = capsys.readouterr().out
    assert out.startswith("1. The gradient of h_T") and "   a) Its norm shrinks" in out


def test_in_a_kernel_jupyterquiz_embeds_the_questions(monkeypatch):
    import IPython
    import jupyterquiz

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(jupyterquiz, "display_quiz", lambda questions, **kw: shown.append((questions, kw)))
    self_check("05")
    [(questions, options)] = shown
    assert questions == load_questions("05") and options["shuffle_answers"] is False
