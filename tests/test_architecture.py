"""The package's shape (shared/DESIGN.md): no import cycles, the layers import only downwards, every experiment
has one config shape whose every field `--help` explains, and importing rnnlab does no slow work."""

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.registry import TrainingBlock, add_config_arguments

PACKAGE = Path(__file__).parent.parent / "rnnlab"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the rnnlab modules it imports (at any depth of the file, lazy imports included)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rnnlab"):
                targets.add(node.module)
                targets.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules)
            elif isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("rnnlab"))
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_inside_rnnlab():
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in import_graph().items()}  # not parents
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


LOWER = ("rnnlab.data", "rnnlab.models", "rnnlab.train", "rnnlab.metrics", "rnnlab.utils", "rnnlab.validate")
UPPER = ("rnnlab.viz", "rnnlab.widgets", "rnnlab.experiments", "rnnlab.checks")


def layer(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_lower_layers_import_nothing_from_the_upper_ones():
    bad = [f"{m} imports {t}" for m, ts in import_graph().items() if layer(m, LOWER)
           for t in ts if layer(t, UPPER)]
    assert not bad, "\n".join(bad)


def test_train_imports_no_model_and_models_no_data_set():
    graph = import_graph()
    bad = [f"rnnlab.train imports {t}" for t in graph["rnnlab.train"] if layer(t, ("rnnlab.models", "rnnlab.data"))]
    bad += [f"{m} imports {t}" for m, ts in graph.items() if layer(m, ("rnnlab.models",))
            for t in ts if layer(t, ("rnnlab.data",)) and t not in ("rnnlab.data.vocab",)]
    assert not bad, "\n".join(bad)


def test_widgets_import_no_experiments():
    bad = [f"{m} imports {t}" for m, ts in import_graph().items() if layer(m, ("rnnlab.widgets",))
           for t in ts if layer(t, ("rnnlab.experiments",))]
    assert not bad, "\n".join(bad)


def test_importing_rnnlab_loads_no_data_and_no_submodule():
    """No module does slow work at import: importing every module opens no data file (an audit hook watches
    every `open`), and `import rnnlab` alone imports none of its submodules."""
    code = (
        "import sys\n"
        "opened = []\n"
        "def hook(event, args):\n"
        "    if event == 'open' and isinstance(args[0], str) and (args[0].endswith(DATA) or 'data/files' in args[0]):\n"
        "        opened.append(args[0])\n"
        "DATA = ('.csv', '.csv.gz', '.npz', '.wav', '.db', '.json.gz', '.parquet', '.tar.gz')\n"
        "sys.addaudithook(hook)\n"
        "import rnnlab\n"
        "print([m for m in sys.modules if m.startswith('rnnlab.')])\n"
        "import importlib, pkgutil\n"
        "for m in pkgutil.walk_packages(rnnlab.__path__, 'rnnlab.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "print(opened)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[-2] == "[]", f"import rnnlab imported submodules: {out[-2]}"
    assert out[-1] == "[]", f"importing rnnlab's modules opened data files: {out[-1]}"


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_experiment_config_shares_the_training_block_and_explains_every_field(name):
    import argparse

    config_class = EXPERIMENTS[name].config_class
    assert issubclass(config_class, TrainingBlock), f"{config_class.__name__} does not inherit TrainingBlock"
    parser = argparse.ArgumentParser()
    add_config_arguments(parser, config_class)
    helps = {a.dest: a.help for a in parser._actions if a.dest != "help"}
    for f in dataclasses.fields(config_class):
        text = helps[f.name].rsplit(" (default:", 1)[0].strip()
        assert len(text) >= 8, f"{name}: --{f.name.replace('_', '-')} has no explanation in --help"
