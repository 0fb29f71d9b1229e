"""Write student versions of the notebooks: every solution becomes a stub that raises NotImplementedError.

An exercise's solution sits between the nbgrader markers `### BEGIN SOLUTION` and `### END SOLUTION` in a code
cell. The student version replaces the marked lines (markers included) by
`raise NotImplementedError("<hint>")`, indented like the first marker; the hint is the text of the last
`# Hint: ...` comment above the marker in that cell, or a generic one. Nothing else changes.

Usage: python -m tools.make_student [--out student] [notebooks/*.ipynb]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
GENERIC_HINT = "exercise: write your solution here (see the text above)"
_HINT = re.compile(r"^\s*#\s*Hint:\s*(.+?)\s*$", re.IGNORECASE)


def strip_solutions(source: str) -> tuple[str, int]:
    """Replace each marked solution in one cell's source by a stub; return (new source, number replaced)."""
    lines, out, replaced, hint = source.split("\n"), [], 0, GENERIC_HINT
    i = 0
    while i < len(lines):
        line = lines[i]
        if (m := _HINT.match(line)) is not None:
            hint = m.group(1)
        if line.strip() == BEGIN:
            try:
                end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == END)
            except StopIteration:
                raise ValueError(f"'{BEGIN}' at line {i + 1} has no matching '{END}'") from None
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError({hint!r})")
            replaced += 1
            i = end + 1
            continue
        if line.strip() == END:
            raise ValueError(f"'{END}' at line {i + 1} has no '{BEGIN}' before it")
        out.append(line)
        i += 1
    return "\n".join(out), replaced


def student_version(notebook: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """A copy of `notebook` with every solution stubbed out; and how many were replaced."""
    student = nbformat.from_dict(notebook)
    total = 0
    for cell in student.cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source, n = strip_solutions(cell.source)
            total += n
    return student, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("student"))
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks given and none found in notebooks/")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        student, n = student_version(notebook)
        nbformat.validate(student)
        nbformat.write(student, args.out / path.name)
        print(f"{path} -> {args.out / path.name}: {n} solution(s) replaced by stubs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
