"""environment.yml (conda, Binder) and pyproject.toml must list the same packages."""

import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> str:
    name, _, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[.*\])?\s*(.*)$", requirement).groups()
    return re.sub(r"[-_.]+", "-", name).lower() + spec.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_normalise(r) for r in project["dependencies"] + project["optional-dependencies"]["lab"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {_normalise(r) for r in pip_section}
    assert listed - wanted == set(), f"in environment.yml but not in pyproject.toml: {sorted(listed - wanted)}"
    assert wanted - listed == set(), f"in pyproject.toml but not in environment.yml: {sorted(wanted - listed)}"


def test_python_versions_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.10"
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert tuple(int(v) for v in python.split("=")[-1].split(".")) >= (3, 10)


def test_torch_is_never_an_open_requirement_in_the_install_step():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^TORCH_SPEC \?= torch==\d+\.\d+\.\d+$", makefile, re.M), "the Makefile must pin torch"
    assert makefile.index('"$(TORCH_SPEC)"') < makefile.index('-e ".[dev]"'), "torch must be installed first"
