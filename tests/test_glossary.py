"""The course's names (docs/glossary.md): no retired name is left in the code, the notebooks or the tests.

`retired_names(root)` scans rnnlab/, notebooks/, tools/, benchmarks/ and tests/ (Python files, and the cells of
every notebook) and returns one line per use of a retired name: file, line, the name and the name to use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("rnnlab", "notebooks", "tools", "benchmarks", "tests")

# retired name (a regular expression) -> the glossary's name for the idea
RETIRED: dict[str, str] = {
    r"\bembedding_size\b": "embedding_dim",
    r"--embedding-size\b": "--embedding-dim",
    r"\bembed_dim\b": "embedding_dim",
    r"--embed-dim\b": "--embedding-dim",
    r"\bn_layers\b": "num_layers",
    r"\bn_classes\b": "num_classes",
    r"--n-layers\b": "--num-layers",
    r"\bparameter_count\b": "count_parameters",
    r"\brecurrent_parameter_count\b": "count_parameters",
    r"\bAdam learning rate\b": "AdamW learning rate (the default optimiser is AdamW)",
    r"#.*\bAdam\b(?!W)": "AdamW (a comment naming the optimiser: the default is AdamW)",
    r"torch\.device\(device or\b": "rnnlab.validate.check_device(device) (the one device resolver)",
    r"torch\.device\(\"cpu\"\) if device is None": "rnnlab.validate.check_device(device) (the one device resolver)",
}

# A use that is not the retired idea: torch's own keyword argument of nn.MultiheadAttention, and torch's own
# optimiser named in code (a benchmark or test that really uses Adam).
EXCEPTIONS = [re.compile(r"MultiheadAttention\(.*\bembed_dim\b"), re.compile(r"torch\.optim\.Adam\(")]

# file (relative to the root) -> retired names it may still hold. Each entry is a file another engineer owned
# while the names were changed; the lead applies the rename there and removes the entry.
ALLOWED: dict[str, set[str]] = {
    "tests/test_glossary.py": set(RETIRED),  # this file names them
}


def _lines(path: Path) -> list[tuple[str, str]]:
    """(where, text) for each line: 'line N' in a Python file, 'cell K line N' in a notebook."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return [(f"cell {k} line {n}", line) for k, cell in enumerate(cells)
                for n, line in enumerate("".join(cell["source"]).splitlines(), 1)]
    return [(f"line {n}", line) for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]


def retired_names(root: Path = ROOT, allowed: dict[str, set[str]] | None = None) -> list[str]:
    """Every use of a retired name under `root`'s course folders, as 'file:where: name -> use new'."""
    allowed = ALLOWED if allowed is None else allowed
    found = []
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in (".py", ".ipynb") or ".ipynb_checkpoints" in path.parts:
                continue
            rel = path.relative_to(root).as_posix()
            for where, text in _lines(path):
                if any(e.search(text) for e in EXCEPTIONS):
                    continue
                for pattern, new in RETIRED.items():
                    if pattern not in allowed.get(rel, ()) and re.search(pattern, text):
                        found.append(f"{rel}:{where}: {re.search(pattern, text).group(0)!r} -> use {new}")
    return found


def test_no_retired_name_is_left():
    found = retired_names()
    assert not found, "retired names (docs/glossary.md gives the one name per idea):\n" + "\n".join(found)


def test_a_planted_retired_name_is_caught_with_its_file_and_line(tmp_path):
    (tmp_path / "rnnlab").mkdir()
    (tmp_path / "rnnlab" / "m.py").write_text("x = 1\ndef f(embedding_size: int, n_layers: int = 2): ...\n"
                                               "lr = 1e-3  # Adam learning rate\n"
                                               "attn = nn.MultiheadAttention(embed_dim=8, num_heads=2)\n")
    nb = {"cells": [{"cell_type": "markdown", "source": ["# t"]},
                    {"cell_type": "code", "source": ["a = 1\n", "print(parameter_count(m))"]}]}
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_x.ipynb").write_text(json.dumps(nb))
    found = retired_names(tmp_path, allowed={})
    assert "rnnlab/m.py:line 2: 'embedding_size' -> use embedding_dim" in found
    assert "rnnlab/m.py:line 2: 'n_layers' -> use num_layers" in found
    assert any(f.startswith("rnnlab/m.py:line 3: 'Adam learning rate'") for f in found)
    assert "notebooks/00_x.ipynb:cell 1 line 2: 'parameter_count' -> use count_parameters" in found
    assert not any("line 4" in f for f in found), "torch's own MultiheadAttention(embed_dim=...) is allowed"
    assert len(found) == 5, found  # line 3 also holds a comment naming Adam


def test_an_allowed_file_is_excused_only_for_its_listed_names(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text("embed_dim = 1\nn_layers = 2\n")
    found = retired_names(tmp_path, allowed={"tests/t.py": {r"\bembed_dim\b"}})
    assert found == ["tests/t.py:line 2: 'n_layers' -> use num_layers"]
