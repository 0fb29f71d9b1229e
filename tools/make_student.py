"""Write the student versions of the notebooks with nbgrader's own `generate_assignment` (`make student`).

The notebooks in notebooks/ are the instructor versions (nbgrader's "source"). This copies them into a
throw-away nbgrader course directory, gives every exercise its nbgrader cell metadata where it is missing
(tools/nbgrader_cells.py, in the copy only), runs `nbgrader generate_assignment`, and copies the released
notebooks to `--out` (student/ by default, ignored by git). In the released version every solution region
becomes nbgrader's stub (`# YOUR CODE HERE` / `raise NotImplementedError()`), outputs are cleared, and the
graded check cells are locked; the `# Hint:` comments above a solution stay.

Usage: python -m tools.make_student [--out student] [--course DIR] [--assignment NAME] [notebooks/*.ipynb]
  --course DIR       keep the nbgrader course directory there (source/, release/, gradebook.db) instead of a
                     temporary one: the starting point for `nbgrader autograde` (see docs/teaching.md). An
                     nbgrader_config.py already there is kept as the teacher left it (only a new one is written).
  --assignment NAME  the nbgrader assignment to release the notebooks as (default: rnnlab), e.g. week3
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from tools.nbgrader_cells import add_nbgrader_metadata

ASSIGNMENT = "rnnlab"
# nbgrader_config.py of a new course directory. Execute.timeout is per cell (nbclient's limit for one cell's
# output), not per notebook: nbgrader's default (30 s) is shorter than the longest training cells on a 2-core CPU.
NBGRADER_CONFIG = '''c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "rnnlab"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}
c.Execute.timeout = 900
'''


def make_course(root: Path, paths: list[Path], assignment: str = ASSIGNMENT) -> Path:
    """Create an nbgrader course directory at `root` with `paths` as the source of `assignment`; return it.

    The copies get their nbgrader metadata (tools.nbgrader_cells); the notebooks themselves are not changed.
    """
    source = root / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    config = root / "nbgrader_config.py"
    if config.exists():
        print(f"kept the existing {config} (delete it to get rnnlab's default)")
    else:
        config.write_text(NBGRADER_CONFIG)
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        add_nbgrader_metadata(notebook, path.name)
        nbformat.write(notebook, source / path.name)
    return root


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `nbgrader ARGS` in the course directory `root` with this Python; raise with its log if it fails."""
    # nbgrader runs `alembic` (its database migrations) from PATH: put this Python's scripts first
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"],
                          cwd=root, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def release(paths: list[Path], out: Path, *, course: Path | None = None, assignment: str = ASSIGNMENT) -> list[Path]:
    """Generate the student versions of `paths` with nbgrader and copy them into `out`; return their paths."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_course(Path(course or tmp).resolve(), paths, assignment)
        nbgrader(root, "generate_assignment", assignment, "--force")
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for path in paths:
            target = out / path.name
            shutil.copyfile(root / "release" / assignment / path.name, target)
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("student"))
    parser.add_argument("--course", type=Path, default=None, help="keep the nbgrader course directory here")
    parser.add_argument("--assignment", default=ASSIGNMENT,
                        help=f"the nbgrader assignment name (default: {ASSIGNMENT}), e.g. week3")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if not paths:
        parser.error("no notebooks given and none found in notebooks/")
    if not args.assignment.replace("-", "").replace("_", "").isalnum():
        parser.error(f"--assignment {args.assignment!r}: use letters, digits, - and _ only (nbgrader's folder name)")
    for target in release(paths, args.out, course=args.course, assignment=args.assignment):
        print(f"student version: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
