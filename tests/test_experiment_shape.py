"""One shape per experiment: run(config, model=None, callbacks=(), device=None) returning a typed Result whose
fields are documented (a renamed field is caught here and by the notebooks that read it)."""

import dataclasses
import inspect

import pytest

import rnnlab.experiments  # noqa: F401 (registers every experiment)
from rnnlab.experiments.registry import EXPERIMENTS, Result, field_comments


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_every_experiment_runs_with_one_signature(name):
    parameters = inspect.signature(inspect.unwrap(EXPERIMENTS[name].run)).parameters
    assert list(parameters)[:4] == ["config", "model", "callbacks", "device"], f"{name}: {list(parameters)}"
    assert parameters["model"].default is None and parameters["device"].default is None
    assert parameters["callbacks"].default == (), f"{name}: callbacks must default to ()"


def _typed_results() -> list[type]:
    found, todo = [], list(Result.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_there_are_typed_results_and_each_field_says_what_it_holds():
    results = _typed_results()
    assert len(results) >= 6, [c.__name__ for c in results]
    for cls in results:
        assert dataclasses.is_dataclass(cls), cls
        own = [f.name for f in dataclasses.fields(cls) if f.name not in {g.name for g in dataclasses.fields(Result)}]
        documented = field_comments(cls)
        missing = [name for name in own if name not in documented]
        assert not missing, f"{cls.__name__}: fields without a comment saying what they hold: {missing}"
