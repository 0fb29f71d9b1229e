"""The answer keys for the open exercises (answers/NN.md, format in answers/README.md): one per notebook of the
README table, one entry per numbered exercise, every ```python run block runs and its asserts hold, and none of
it reaches the student versions or the course site.

Run keys by hand (prints each block's output): python tests/test_answer_keys.py answers/03.md [answers/04.md ...]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "answers"
CPU_BUDGET_S = 15.0  # CPU seconds (user + sys) for one file's run blocks, imports included (answers/README.md)

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
ENTRY = re.compile(r"^## Exercise (\d+)\b", re.M)


def course_notebooks() -> list[Path]:
    """The notebooks of the README's table, in order."""
    names = re.findall(r"^\| \[`notebooks/(\d\d_\w+\.ipynb)`\]", (ROOT / "README.md").read_text(), re.M)
    assert names, "README.md has no table of notebooks"
    return [ROOT / "notebooks" / name for name in names]


def exercise_numbers(notebook: Path) -> list[int]:
    """The numbers of the items of a notebook's `## Exercises...` cell (top-level `N. ` lines, up to the next
    `##` heading)."""
    cells = json.loads(notebook.read_text())["cells"]
    for cell in cells:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and text.lstrip().startswith("## Exercises"):
            body = re.split(r"^##(?!#)", text.lstrip()[2:], flags=re.M)[0]
            return [int(n) for n in re.findall(r"^(\d+)\. ", body, re.M)]
    raise AssertionError(f"{notebook.name} has no '## Exercises' cell")


def run_blocks(markdown: str) -> list[tuple[int, str]]:
    """The ```python run blocks of an answer key as (line number of the fence, code), in order."""
    blocks = []
    for match in FENCE.finditer(markdown):
        if match["info"].split() == ["python", "run"]:
            blocks.append((markdown.count("\n", 0, match.start()) + 1, match["body"]))
    return blocks


def execute(paths: list[Path]) -> int:
    """Run each file's ```python run blocks in order in a fresh namespace, seeded (the child process of `run_keys`).
    Prints each block's output and, per file, a line `=== <name> ok|FAILED <CPU seconds>`; returns the number of
    files that failed. One process for all files saves a Python and torch start-up per file (answers/README.md)."""
    import time
    import traceback

    from rnnlab.utils import seed_everything

    failed = 0
    for path in paths:
        seed_everything(0)                                      # Python's, numpy's and torch's generators
        namespace: dict = {"__name__": "__answer_key__"}
        start, status = time.process_time(), "ok"
        for line, code in run_blocks(path.read_text()):
            print(f"--- {path.name}, block at line {line}", flush=True)
            block_start = time.process_time()
            try:
                exec(compile(code, f"{path.name}:block at line {line}", "exec"), namespace)  # noqa: S102
            except BaseException as error:  # noqa: BLE001 (report it, go on with the next file)
                traceback.print_exc()
                print(f"{path.name}: the run block at line {line} failed: {type(error).__name__}: {error}",
                      file=sys.stderr, flush=True)
                status = "FAILED"
                failed += 1
                break
            print(f"--- ({time.process_time() - block_start:.1f} s of CPU)", flush=True)
        print(f"=== {path.name} {status} {time.process_time() - start:.2f}", flush=True)
    return failed


def run_keys(paths: list[Path], timeout: float = 900) -> tuple[subprocess.CompletedProcess, dict[str, float]]:
    """Execute answer keys in one fresh Python; return the finished process and each file's CPU seconds."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RNNLAB_PROGRESS": "0", "MPLBACKEND": "Agg"}
    env.pop("RNNLAB_SEED", None)
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *map(str, paths)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    cpu = {m[1]: float(m[3]) for m in re.finditer(r"^=== (\S+) (ok|FAILED) ([0-9.]+)$", done.stdout, re.M)}
    return done, cpu


def _keys() -> list[Path]:
    return [ANSWERS / f"{nb.name[:2]}.md" for nb in course_notebooks()]


def test_every_notebook_has_a_key_with_one_entry_per_exercise():
    problems = []
    for notebook in course_notebooks():
        key = ANSWERS / f"{notebook.name[:2]}.md"
        wanted = exercise_numbers(notebook)
        if not key.exists():
            problems.append(f"{key.relative_to(ROOT)} is missing (exercises {wanted} of {notebook.name})")
            continue
        found = [int(n) for n in ENTRY.findall(key.read_text())]
        if found != wanted:
            problems.append(f"{key.relative_to(ROOT)} answers exercises {found}; {notebook.name} numbers {wanted}")
        extra = [h for h in re.findall(r"^## (?!Exercise \d).*", key.read_text(), re.M)]
        if extra:
            problems.append(f"{key.relative_to(ROOT)}: headings other than '## Exercise N': {extra}")
    assert not problems, "\n".join(problems)


def test_exercise_numbers_are_read_from_the_exercises_cell_only(tmp_path):
    cell = ("## Exercises for the reader\n1. First.\n   2. an indented line is not an item\n2. Second.\n"
            "## References\n3. not an exercise\n")
    notebook = tmp_path / "99_x.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": [cell]}]}))
    assert exercise_numbers(notebook) == [1, 2]


@pytest.mark.slow  # fresh interpreters (and nbgrader): about a minute in all
def test_every_run_block_runs_and_its_asserts_hold():
    keys = [key for key in _keys() if key.exists() and run_blocks(key.read_text())]
    assert len(keys) >= 11, f"only {len(keys)} answer keys with run blocks"
    done, cpu = run_keys(keys)
    assert done.returncode == 0, f"exit {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    assert sorted(cpu) == sorted(key.name for key in keys), done.stdout[-3000:]
    slow = [f"{name}: {seconds:.1f} s of CPU, above {CPU_BUDGET_S} s: shrink its budgets"
            for name, seconds in cpu.items() if seconds > CPU_BUDGET_S]
    assert not slow, "\n".join(slow)


@pytest.mark.slow  # fresh interpreters (and nbgrader): about a minute in all
def test_a_broken_run_block_fails_and_shown_blocks_do_not_run(tmp_path):
    key = tmp_path / "99.md"
    key.write_text(textwrap.dedent("""\
        # Answers: 99 a test

        ## Exercise 1: shown only
        ```python
        raise RuntimeError("a shown-only block was executed")
        ```

        ## Exercise 2: runs
        ```python run
        x = 41
        ```

        ```python run
        assert x + 1 == 43, "the answer says 43"
        ```
        """))
    fresh = tmp_path / "98.md"                                  # the next file: a fresh namespace, x undefined
    fresh.write_text("## Exercise 1\n```python run\nassert 'x' not in dir(), 'namespace leaked'\n```\n")
    done, cpu = run_keys([key, fresh])
    assert done.returncode != 0
    assert "block at line 13 failed" in done.stderr and "the answer says 43" in done.stderr, done.stderr
    assert "shown-only block was executed" not in done.stdout + done.stderr
    assert "=== 99.md FAILED" in done.stdout and "=== 98.md ok" in done.stdout, done.stdout
    key.write_text(key.read_text().replace("x + 1 == 43", "x + 1 == 42"))
    done, cpu = run_keys([key])
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("--- 99.md, block at line") == 2 and list(cpu) == ["99.md"]


def _answer_sentences() -> list[str]:
    """Distinctive prose lines of the answer keys (60+ characters, not code)."""
    lines = []
    for key in sorted(ANSWERS.glob("[0-9][0-9].md")):
        prose = FENCE.sub("", key.read_text())
        lines += [line.strip() for line in prose.splitlines() if len(line.strip()) >= 60
                  and not line.lstrip().startswith(("#", "|", "-"))]
    return lines


def _assert_no_answers(folder: Path) -> None:
    names = [p.relative_to(folder) for p in folder.rglob("*") if "answers" in p.parts[len(folder.parts):]]
    assert not names, f"answer keys in {folder}: {names}"
    sentences = _answer_sentences()
    assert len(sentences) >= 20
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {".ipynb", ".md", ".html", ".txt", ".py"}:
            text = path.read_text(errors="replace")
            leaked = [s for s in sentences if s in text]
            assert not leaked, f"{path} contains answer-key text: {leaked[:2]}"


def test_the_site_sources_hold_no_answer_keys(tmp_path):
    sys.path.insert(0, str(ROOT))
    from tools.build_site import stage

    src = tmp_path / "site-src"
    stage(sorted((ROOT / "notebooks").glob("*.ipynb")), src, execute=False)
    assert (src / "docs" / "teaching.md").exists()
    _assert_no_answers(src)


@pytest.mark.slow  # fresh interpreters (and nbgrader): about a minute in all
def test_student_versions_hold_no_answer_keys(tmp_path):
    sys.path.insert(0, str(ROOT))
    from tools.make_student import release

    out, course = tmp_path / "student", tmp_path / "course"
    written = release([ROOT / "notebooks" / "00_sequences.ipynb"], out, course=course)
    assert [p.name for p in written] == ["00_sequences.ipynb"]
    assert sorted(p.name for p in out.iterdir()) == ["00_sequences.ipynb"]
    _assert_no_answers(out)
    _assert_no_answers(course)


if __name__ == "__main__":
    sys.exit(1 if execute([Path(p).resolve() for p in sys.argv[1:]]) else 0)
