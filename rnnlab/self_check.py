"""Self-check questions on each notebook's ideas (not its code), with feedback for every answer.

The questions of notebook NN live in `rnnlab/data/files/self_check/NN.json`, in jupyterquiz's format
(https://github.com/jmshea/jupyterquiz): a list of questions, each
`{"question": str, "type": "multiple_choice" | "many_choice" | "numeric", "answers": [...]}` where a choice is
`{"answer": str, "correct": bool, "feedback": str}` and a numeric answer is `{"type": "value", "value": x,
"correct": bool, "feedback": str}`, `{"type": "range", "range": [low, high], ...}` or `{"type": "default",
"feedback": str}`. `self_check("03")` shows them with jupyterquiz: click an answer, read why it is right or
wrong. It works in JupyterLab, Colab and on the offline site (the questions are embedded in the output, nothing
is fetched); outside a notebook it prints them as text.
"""

from __future__ import annotations

import json
from importlib import resources

MIN_QUESTIONS = 3  # every notebook has at least this many


def load_questions(notebook: str) -> list[dict]:
    """The questions of `notebook` ("03"), checked: every answer has feedback, a choice question has a correct
    answer, a numeric question has a correct value or range and a default feedback. Raises FileNotFoundError
    naming the notebooks that have questions, ValueError naming the question and what is wrong."""
    name = f"{int(notebook):02d}.json" if str(notebook).isdigit() else f"{notebook}.json"
    folder = resources.files("rnnlab") / "data" / "files" / "self_check"
    path = folder / name
    if not path.is_file():
        known = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
        raise FileNotFoundError(f"no self-check questions for notebook {notebook!r} (there are: {', '.join(known)})")
    questions = json.loads(path.read_text(encoding="utf-8"))
    for number, q in enumerate(questions, 1):
        where = f"{name} question {number} ({q.get('question', '')[:40]!r})"
        if q.get("type") not in ("multiple_choice", "many_choice", "numeric"):
            raise ValueError(f"{where}: type must be multiple_choice, many_choice or numeric, got {q.get('type')!r}")
        answers = q.get("answers", [])
        if not answers or any(not a.get("feedback", "").strip() for a in answers):
            raise ValueError(f"{where}: every answer needs its feedback")
        correct = [a for a in answers if a.get("correct")]
        if q["type"] == "multiple_choice" and len(correct) != 1:
            raise ValueError(f"{where}: a multiple-choice question has exactly one correct answer, got {len(correct)}")
        if q["type"] == "many_choice" and not correct:
            raise ValueError(f"{where}: a many-choice question needs at least one correct answer")
        if q["type"] == "numeric" and (not correct or not any(a.get("type") == "default" for a in answers)):
            raise ValueError(f"{where}: a numeric question needs a correct value or range and a default feedback")
    return questions


def self_check(notebook: str) -> None:
    """Show notebook `notebook`'s self-check questions: interactive in Jupyter, as text elsewhere."""
    questions = load_questions(notebook)
    try:
        from IPython import get_ipython

        interactive = get_ipython() is not None and type(get_ipython()).__name__ != "TerminalInteractiveShell"
    except ImportError:
        interactive = False
    if interactive:
        from jupyterquiz import display_quiz

        display_quiz(questions, shuffle_answers=False, preserve_responses=False)
        return
    for number, q in enumerate(questions, 1):
        print(f"{number}. {q['question']}")
        for letter, a in zip("abcdefgh", (a for a in q["answers"] if "answer" in a), strict=False):
            print(f"   {letter}) {a['answer']}")
