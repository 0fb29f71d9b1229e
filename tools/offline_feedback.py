"""Make nbgrader's feedback pages render their maths offline (after `nbgrader generate_feedback`).

nbgrader's feedback template loads MathJax from a CDN, so without a network its formulas stay raw TeX. This
copies MathJax 2 from the PyPI package jupyter-server-mathjax (the copy the course site uses) to
`<course>/feedback/mathjax/` and points every feedback page at it, with the STIX-Web fonts that copy ships
(asking for TeX fonts makes "[Math Processing Error]"s). Pages already rewritten are left as they are.

Usage: python -m tools.offline_feedback COURSE_DIR      (the nbgrader course directory; docs/teaching.md)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

import jupyter_server_mathjax

MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
CDN = re.compile(r'<script src="https?://[^"]*mathjax[^"]*"\s*>\s*</script>', re.I)
FONTS = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": {"availableFonts": ["STIX-Web"], '
         '"preferredFont": "STIX-Web", "webFont": "STIX-Web", "imageFont": null}});</script>')


def rewrite(page: str, mathjax_js: str) -> str:
    """`page` with its CDN MathJax script replaced by the local `mathjax_js` (a relative URL) and STIX-Web fonts."""
    local = f'<script src="{mathjax_js}?config=TeX-AMS-MML_HTMLorMML-full,Safe"></script>'
    return CDN.sub(lambda _: FONTS + local, page, count=1)


def make_offline(course: Path) -> list[Path]:
    """Rewrite every feedback page under `course`/feedback; return the pages changed. FileNotFoundError when
    there is no feedback folder (run `nbgrader generate_feedback` first)."""
    feedback = course / "feedback"
    if not feedback.is_dir():
        raise FileNotFoundError(f"{feedback} does not exist: run `nbgrader generate_feedback ASSIGNMENT` in {course}")
    shutil.copytree(MATHJAX, feedback / "mathjax", dirs_exist_ok=True)
    changed = []
    for page in sorted(feedback.rglob("*.html")):
        if (feedback / "mathjax") in page.parents:
            continue
        text = page.read_text(encoding="utf-8")
        relative = os.path.relpath(feedback / "mathjax" / "MathJax.js", page.parent).replace(os.sep, "/")
        new = rewrite(text, relative)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.offline_feedback", description=__doc__.split("\n")[0])
    parser.add_argument("course", type=Path, help="the nbgrader course directory")
    args = parser.parse_args(argv)
    try:
        changed = make_offline(args.course.expanduser())
    except FileNotFoundError as error:
        parser.error(str(error))
    print(f"{len(changed)} feedback page(s) now load MathJax from {args.course / 'feedback' / 'mathjax'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
