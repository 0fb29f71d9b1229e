"""Start a new notebook the way the tests expect it: `python -m tools.new_notebook 11_deployment "Title"`.

Writes `notebooks/NN_topic.ipynb` with the course's skeleton (title and learning goals, badges and the Colab
install cell, the setup cell with `SEED = notebook_seed(0)`, a first section, Summary, Self-check, Exercises,
References; kernelspec and the `rnnlab.budget_seconds` metadata), its self-check questions
`rnnlab/data/files/self_check/NN.json` (placeholders to replace), and registers it where the tests look: the
README's course table (the one list of the course's notebooks: the hygiene tests read it) and the teacher's
guide's course map. Then it prints what is left to do. It refuses a name that is not `NN_topic` or a number
that is taken.

Usage: python -m tools.new_notebook NN_topic "Title" [--goals "one line"] [--budget 150] [--root .]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

from tools.badges import add_badges

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^(\d\d)_([a-z][a-z0-9_]*)$")
MAX_BUDGET = 150  # seconds on 2 cores: the course's rule for every notebook

SETUP = '''from rnnlab.claims import claim, measure
from rnnlab.utils import notebook_seed, setup

SEED = notebook_seed(0)  # 0 on this page; `make claims` re-runs the notebook with RNNLAB_SEED=11, 12, 13
device = setup(seed=SEED)  # seeds python, numpy and torch; one torch thread (fast on a shared CPU)'''

PLACEHOLDER_QUESTION = {
    "question": "TODO: a question on an idea of this notebook (not on its code)",
    "type": "multiple_choice",
    "answers": [{"answer": "TODO: the right answer", "correct": True, "feedback": "TODO: why it is right"},
                {"answer": "TODO: a tempting wrong answer", "correct": False, "feedback": "TODO: why it is wrong"}],
}


def skeleton(number: str, title: str, goals: str, budget: int) -> nbformat.NotebookNode:
    """The notebook's cells and metadata, before badges."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        md(f"# {number} · {title}\n\n**Learning goals.** After this notebook you can:\n- {goals}\n"),
        code(SETUP),
        md("## 1. TODO: the first section\n\nThe data, looked at; then the baseline that needs no network."),
        code("# TODO: a measured sentence sits directly above the claim() whose relation and threshold are its words\n"
             "claim(\"TODO: replace this example claim\", 1.0, \">\", 0.0)"),
        md("## Summary\n\n- TODO: restate only claimed results; a hedge stays a hedge."),
        md("## Self-check\n\nQuestions on the ideas of this notebook: click an answer to see why it is right or "
           "wrong."),
        code(f'from rnnlab.self_check import self_check\n\nself_check("{number}")'),
        md("## Exercises\n\n1. TODO"),
        md("## References\n\n- TODO"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["rnnlab"] = {"budget_seconds": budget}
    return nb


def register_readme(readme: Path, stem: str, goals: str) -> None:
    """Add the notebook's row to the README's course table, in number order."""
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- notebooks:start -->", "<!-- notebooks:end -->"
    head, rest = text.split(start)
    table, tail = rest.split(end)
    lines = table.strip("\n").splitlines()
    row = f"| [`notebooks/{stem}.ipynb`](notebooks/{stem}.ipynb) | {goals} |"
    rows = [line for line in lines[2:] if line.startswith("|")]
    rows = sorted([*rows, row], key=lambda line: re.search(r"notebooks/(\d\d)_", line).group(1))
    readme.write_text(f"{head}{start}\n" + "\n".join(lines[:2] + rows) + f"\n{end}{tail}", encoding="utf-8")


def register_guide(guide: Path, number: str, title: str) -> None:
    """Add the notebook's row to the teacher's guide's course map (times to fill in after `make test`)."""
    lines = guide.read_text(encoding="utf-8").splitlines()
    rows = [i for i, line in enumerate(lines) if re.match(r"^\| \d\d · ", line)]
    if not rows:
        raise ValueError(f"{guide}: no course map rows ('| NN · topic | ...') found")
    row = f"| {number} · {title.lower()} | TODO min | TODO | TODO s | TODO MB |"
    after = max((i for i in rows if lines[i][2:4] < number), default=rows[0] - 1)
    lines.insert(after + 1, row)
    guide.write_text("\n".join(lines) + "\n", encoding="utf-8")


def create(stem: str, title: str, *, goals: str = "TODO: what the student can do after it", budget: int = 120,
           root: Path = ROOT) -> Path:
    """Write the notebook and its questions under `root`, register them; return the notebook's path.

    Raises ValueError naming the option when the name, the number or the budget is wrong."""
    match = NAME.match(stem)
    if not match:
        raise ValueError(f"NN_topic {stem!r}: two digits, an underscore and a lower-case topic (e.g. 11_deployment)")
    number = match.group(1)
    taken = sorted((root / "notebooks").glob(f"{number}_*.ipynb"))
    if taken:
        raise ValueError(f"NN_topic {stem!r}: number {number} is taken by {taken[0].name}; choose the next free one")
    if not 0 < budget <= MAX_BUDGET:
        raise ValueError(f"--budget {budget}: a notebook runs in at most {MAX_BUDGET} s on 2 cores")
    notebook = skeleton(number, title, goals, budget)
    add_badges(notebook, f"{stem}.ipynb")
    path = root / "notebooks" / f"{stem}.ipynb"
    nbformat.write(notebook, path)
    questions = root / "rnnlab" / "data" / "files" / "self_check" / f"{number}.json"
    questions.write_text(json.dumps([PLACEHOLDER_QUESTION] * 3, indent=1) + "\n", encoding="utf-8")
    register_readme(root / "README.md", stem, goals)
    register_guide(root / "docs" / "teaching.md", number, title)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.new_notebook", description=__doc__.split("\n")[0])
    parser.add_argument("name", help="NN_topic, e.g. 11_deployment")
    parser.add_argument("title", help='the title, e.g. "From notebook to product"')
    parser.add_argument("--goals", default="TODO: what the student can do after it", help="one learning goal")
    parser.add_argument("--budget", type=int, default=120, help=f"seconds on 2 cores (at most {MAX_BUDGET})")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    try:
        path = create(args.name, args.title, goals=args.goals, budget=args.budget, root=args.root)
    except ValueError as error:
        parser.error(str(error))
    number = args.name[:2]
    print(f"""wrote {path}, rnnlab/data/files/self_check/{number}.json; registered in README.md and docs/teaching.md
Left to do:
 1. Write the lesson (CONTRIBUTING.md, "Adding a notebook"; names from docs/glossary.md): model and loop in
    plain sight, proven equal to rnnlab's; every measured sentence printed from the numbers or above its claim();
    code in rnnlab/ by what it is, with tests; training through a registered experiment, with device=device.
 2. Replace the placeholder self-check questions ({number}.json) and the TODOs in README.md and docs/teaching.md.
 3. Exercises with checks: `python -m tools.nbgrader_cells notebooks/{args.name}.ipynb` after adding them.
 4. A widget? Add its control to CONTROLS in tests/test_browser.py.
 5. Alt text for every figure: the cell metadata `mystnb.image.alt` (what the figure shows: axes, what to see).
 6. `.venv/bin/nbstripout notebooks/{args.name}.ipynb`, `make test`, then
    `python -m benchmarks.claims --notebooks {number}` (other seeds) and commit benchmarks/results/claims/.""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
