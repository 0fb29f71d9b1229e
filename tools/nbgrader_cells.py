"""Give every exercise its nbgrader cell metadata: a solution cell and a locked, graded check cell (idempotent).

The course's exercise convention: a code cell with the solution between nbgrader's markers
`### BEGIN SOLUTION` / `### END SOLUTION`, followed by a code cell that calls a check from `rnnlab.checks`
(`check_rnn_step(rnn_step)`, or `ok = check_x(f)` when later cells use the verdict). This tool turns that into
what nbgrader (https://nbgrader.readthedocs.io, cell metadata schema 3) needs:

- the solution cell gets `solution: true` (an "autograded answer"); a check call written at the end of the
  solution cell itself is first moved into a new cell of its own;
- the check cell gets `grade: true, locked: true, points: 1` (an "autograder test"). Its check is imported
  afresh in the cell (a student's redefinition of `check_x` above cannot change the grade) and its verdict is
  asserted: `assert check_x(f), ...`, or `assert ok, ...` at the end of the cell. The check still prints its
  one-line verdict; the cell raises when the answer is wrong or missing, whatever RNNLAB_STRICT_CHECKS says,
  so nbgrader scores it 0, and it echoes no True/False.

Running it again changes nothing (points a teacher edited are kept). Cell ids are kept; a split cell's new check
cell gets the id `<solution id>-check`.

Usage: python -m tools.nbgrader_cells [--check] [notebooks/*.ipynb]
  --check  change nothing; exit 1 and name the notebooks that would change (for CI or a pre-commit hook)
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
from functools import cache
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SCHEMA_VERSION = 3
DEFAULT_POINTS = 1
# A check call at the start of a line, as the notebooks write it: `check_x(f)`, `check_x(f);`, `ok = check_x(f)`,
# or already graded: `assert check_x(f), "..."` (used to find a check at the end of a solution cell).
_CHECK_CALL = re.compile(r"^(?:(?P<target>[A-Za-z_]\w*)\s*=\s*|assert\s+)?(?P<check>check_\w+)\(")
_IMPORT_NOTE = "# Graded, locked: the check is imported here again, so nothing defined above can change the grade."
_FAILED = "not passed yet: the line above says why"


@cache
def check_modules() -> dict[str, str]:
    """Map every public `check_*` function of rnnlab.checks to the module that defines it."""
    import rnnlab.checks

    found: dict[str, str] = {}
    for info in pkgutil.iter_modules(rnnlab.checks.__path__):
        module = importlib.import_module(f"rnnlab.checks.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("check_") and callable(value) and getattr(value, "__module__", "") == module.__name__:
                found[name] = module.__name__
    return found


def _is_check_line(line: str) -> bool:
    return _CHECK_CALL.match(line) is not None


def split_solution(source: str) -> tuple[str, str | None]:
    """Split a solution cell's source into (solution, check) where a check call follows the last END marker.

    The check part starts at the first line after the last `### END SOLUTION` that calls a check at the start
    of a line; the solution part loses its trailing blank lines. Returns (source, None) when there is none.
    """
    lines = source.split("\n")
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if not ends:
        raise ValueError(f"'{BEGIN}' without a matching '{END}'")
    start = next((i for i in range(ends[-1] + 1, len(lines)) if _is_check_line(lines[i])), None)
    if start is None:
        return source, None
    return "\n".join(lines[:start]).rstrip("\n"), "\n".join(lines[start:]).strip("\n")


def _check_call(node: ast.AST | None) -> str | None:
    """The name of the check when `node` is a call `check_x(...)`, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("check_"):
        return node.func.id
    return None


def graded_source(source: str, where: str) -> str:
    """The graded form of a check cell's source (unchanged if it is graded already).

    `check_x(f)` (or `check_x(f);`) becomes `assert check_x(f), ...`; `ok = check_x(f)` stays and `assert ok, ...`
    ends the cell; the check is imported at the top of the cell. Raises ValueError naming `where` when the cell
    does not parse, calls no check, or calls a check that rnnlab.checks does not define.
    """
    source = source.rstrip("\n")
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ValueError(f"{where}: the check cell is not valid Python ({err.msg}, line {err.lineno})") from None
    lines = source.split("\n")
    modules = check_modules()
    checks, targets, graded, replace = [], [], set(), {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assert) and (name := _check_call(stmt.test)):
            checks.append(name)
        elif isinstance(stmt, ast.Assert) and isinstance(stmt.test, ast.Name):
            graded.add(stmt.test.id)
        elif isinstance(stmt, ast.Expr) and (name := _check_call(stmt.value)):
            checks.append(name)
            call = ast.get_source_segment(source, stmt.value)
            rest = lines[stmt.end_lineno - 1][stmt.end_col_offset:].strip().lstrip(";").strip()
            comment = f"  {rest}" if rest.startswith("#") else ""
            replace[stmt.lineno - 1] = (stmt.end_lineno - 1, f'assert {call}, "{_FAILED}"{comment}')
        elif (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
              and (name := _check_call(stmt.value))):
            checks.append(name)
            targets.append(stmt.targets[0].id)
    if not checks:
        raise ValueError(f"{where}: the cell after an exercise must call a check from rnnlab.checks "
                         f"(e.g. `check_rnn_step(rnn_step)`), but it has:\n{source}")
    for check in checks:
        if check not in modules:
            raise ValueError(f"{where}: {check} is not a check defined in rnnlab.checks")
    out, i = [], 0
    while i < len(lines):
        if i in replace:
            last, text = replace[i]
            out.append(text)
            i = last + 1
        else:
            out.append(lines[i])
            i += 1
    imports = [line for check in dict.fromkeys(checks)
               if (line := f"from {modules[check]} import {check}  # noqa: F811") not in lines]
    header = [_IMPORT_NOTE, *imports, ""] if imports else []
    asserts = [f'assert {target}, "{_FAILED}"' for target in dict.fromkeys(targets) if target not in graded]
    new = "\n".join(header + out + asserts)
    ast.parse(new)
    return new


def _nbgrader(grade_id: str, *, solution: bool, points: int | None = None) -> dict:
    meta = {"grade": not solution, "grade_id": grade_id, "locked": not solution,
            "schema_version": SCHEMA_VERSION, "solution": solution, "task": False}
    if not solution:
        meta["points"] = points if points is not None else DEFAULT_POINTS
    return meta


def add_nbgrader_metadata(notebook: nbformat.NotebookNode, name: str) -> tuple[bool, int]:
    """Mark every exercise of `notebook` (in place); return (whether anything changed, number of exercises).

    Raises ValueError naming the notebook and cell when an exercise is not followed by a check cell.
    """
    before = nbformat.writes(notebook)
    stem = Path(name).stem
    cells = notebook.cells
    exercise, i = 0, 0
    while i < len(cells):
        cell = cells[i]
        if cell.cell_type != "code" or BEGIN not in cell.source:
            i += 1
            continue
        exercise += 1
        where = f"{name}, cell {i} (exercise {exercise})"
        solution, check = split_solution(cell.source)
        if check is not None:
            cell.source = solution
            new = nbformat.v4.new_code_cell(check)
            if "id" in cell:
                new["id"] = f"{cell['id']}-check"[:64]
            cells.insert(i + 1, new)
        if i + 1 >= len(cells) or cells[i + 1].cell_type != "code":
            raise ValueError(f"{where}: an exercise must be followed by a code cell that calls its check")
        test = cells[i + 1]
        grade_id = f"{stem}-exercise-{exercise}"
        cell.metadata["nbgrader"] = _nbgrader(grade_id, solution=True)
        old_points = test.metadata.get("nbgrader", {}).get("points")
        test.source = graded_source(test.source, f"{name}, cell {i + 1} (check of exercise {exercise})")
        test.metadata["nbgrader"] = _nbgrader(f"{grade_id}-check", solution=False, points=old_points)
        i += 2
    return nbformat.writes(notebook) != before, exercise


def main(argv: list[str] | None = None) -> int:
    from tools.notebook_tool import update_notebooks

    def update(notebook: nbformat.NotebookNode, path: Path) -> str | None:
        changed, count = add_nbgrader_metadata(notebook, path.name)
        return f"nbgrader metadata on {count} exercise(s)" if changed else None

    return update_notebooks(__doc__.split("\n")[0], update,
                            lambda stale: "nbgrader metadata missing or stale in: " + ", ".join(map(str, stale))
                            + "\nrun: python -m tools.nbgrader_cells " + " ".join(map(str, stale)),
                            argv, require=True)


if __name__ == "__main__":
    sys.exit(main())
