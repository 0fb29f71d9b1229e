"""environment.yml (conda, Binder) and pyproject.toml must list the same packages; torch is the tested CPU build."""

import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> str:
    name, _, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[.*\])?\s*(.*)$", requirement).groups()
    return re.sub(r"[-_.]+", "-", name).lower() + spec.replace(" ", "")


CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def _tested_torch() -> str:
    """The torch pin the Makefile installs first (TORCH_SPEC), e.g. 'torch==2.13.0'."""
    return re.search(r"^TORCH_SPEC \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = {_normalise(r) for r in project["dependencies"] + extras["lab"] + extras["teach"]
              if not r.startswith("torch")} | {_normalise(_tested_torch())}
    listed = {_normalise(r) for r in _pip_section() if not r.startswith("-")}
    assert listed - wanted == set(), f"in environment.yml but not in pyproject.toml: {sorted(listed - wanted)}"
    assert wanted - listed == set(), f"in pyproject.toml but not in environment.yml: {sorted(wanted - listed)}"


def test_environment_yml_installs_the_tested_cpu_torch():
    """Binder and conda get the torch release `make` installs, CPU build (not the newest CUDA wheel)."""
    pip_section = _pip_section()
    assert _tested_torch() in pip_section, f"environment.yml must pin {_tested_torch()} like the Makefile"
    assert f"--extra-index-url {CPU_INDEX}" in pip_section, "environment.yml must add PyTorch's CPU index"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = next(r for r in project["dependencies"] if r.startswith("torch"))
    pinned = tuple(int(v) for v in _tested_torch().split("==")[1].split("."))
    assert pinned >= tuple(int(v) for v in floor.split(">=")[1].split(".")), "the pin must satisfy the floor"


def test_dev_extra_holds_what_make_test_needs():
    """`make install` installs `.[dev]` only: it must carry the lab, teach (nbgrader) and docs (site) extras."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    dev = {_normalise(r) for r in extras["dev"]}
    for extra in ("lab", "teach", "docs"):
        missing = {_normalise(r) for r in extras[extra]} - dev
        assert not missing, f"dev lacks {sorted(missing)} of the {extra} extra"


def test_python_versions_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = tuple(int(v) for v in re.fullmatch(r">=(\d+)\.(\d+)", project["requires-python"]).groups())
    assert floor == (3, 11), "nbgrader and Keras 3 need Python 3.11; the README and the guide say so"
    assert "Python 3.11 or newer" in (ROOT / "README.md").read_text()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert tuple(int(v) for v in python.split("=")[-1].split(".")) >= floor


def test_torch_is_never_an_open_requirement_in_the_install_step():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^TORCH_SPEC \?= torch==\d+\.\d+\.\d+$", makefile, re.M), "the Makefile must pin torch"
    assert makefile.index('"$(TORCH_SPEC)"') < makefile.index('-e ".[dev]"'), "torch must be installed first"


def test_pre_commit_ruff_matches_the_pinned_ruff():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    rev = next(r["rev"] for r in config["repos"] if r["repo"].endswith("/ruff-pre-commit"))
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert f"ruff=={rev.lstrip('v')}" in dev, f"pre-commit runs ruff {rev}; pyproject pins {dev}"
    assert {h["id"] for r in config["repos"] for h in r["hooks"]} >= {"nbstripout", "ruff"}


def test_licence_and_citation_metadata():
    import rnnlab

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {"MIT", "CC-BY-SA-3.0"} <= set(project["license"].split(" AND "))  # code; the Allison recordings
    assert "CC-BY-SA" in (ROOT / "rnnlab/data/files/allison_digits/LICENSE").read_text()[:1000]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert str(citation["version"]) == rnnlab.__version__, "CITATION.cff's version must follow rnnlab.__version__"
    assert f"## [{rnnlab.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_wheel_carries_the_licence_files(tmp_path):
    """The built wheel declares MIT and CC-BY-SA-3.0 and ships LICENSE and the recordings' CC-BY-SA text."""
    import subprocess
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT),
                    "-w", str(tmp_path)], check=True, capture_output=True, cwd=tmp_path)
    wheel = next(tmp_path.glob("rnnlab-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    expression = next(line for line in metadata.splitlines() if line.startswith("License-Expression: "))
    assert {"MIT", "CC-BY-SA-3.0"} <= set(expression.split(": ", 1)[1].split(" AND ")), expression
    licences = {n.split(".dist-info/licenses/")[1] for n in names if ".dist-info/licenses/" in n}
    assert {"LICENSE", "rnnlab/data/files/allison_digits/LICENSE"} <= licences, licences
    assert "rnnlab/data/files/allison_digits/LICENSE" in names  # next to the recordings, too


def test_widgets_and_jupyterlab_floors_work_together():
    """ipywidgets 7's lab extension is marked incompatible by JupyterLab 4 ("Error displaying widget"): wherever
    JupyterLab >= 4 is installed (the lab and dev extras, environment.yml), ipywidgets >= 8.1 must be too."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = [r for r in _pip_section() if not r.startswith("-")]
    for where, requirements in [("lab", project["optional-dependencies"]["lab"]),
                                ("dev", project["optional-dependencies"]["dev"]), ("environment.yml", env)]:
        floors = {re.split(r"[<>=!~;\s]", r)[0].lower().replace("_", "-"): r for r in requirements}
        assert "jupyterlab" in floors, where
        widgets = floors.get("ipywidgets", "")
        version = tuple(int(v) for v in re.search(r">=\s*([\d.]+)", widgets).group(1).split(".")[:2]) if widgets else ()
        assert version >= (8, 1), f"{where}: JupyterLab 4 needs ipywidgets>=8.1, found {widgets or 'none'}"
