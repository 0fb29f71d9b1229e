"""`python -m benchmarks.claims` executes a notebook itself on each seed and collects its claims."""

import json

import nbformat
import pytest

import benchmarks.claims.__main__ as runner

FIRST_CELL = ("from rnnlab.utils import notebook_seed, setup\nSEED = notebook_seed(0)\ndevice = setup(seed=SEED)\n"
              "from rnnlab.claims import claim, measure")


@pytest.fixture
def course(tmp_path, monkeypatch):
    notebooks, results = tmp_path / "notebooks", tmp_path / "results"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(FIRST_CELL),
                nbformat.v4.new_code_cell("claim('t seed below 12', SEED, '<', 12)\nmeasure('t seed', SEED)\n"
                                          "claim('t always', 1, '>', 0)")]
    nbformat.write(nb, notebooks / "98_tiny.ipynb")
    monkeypatch.setattr(runner, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(runner, "RESULTS", results)
    return results


def test_runs_the_notebook_on_each_seed_keeps_other_seeds_and_counts_its_own_pairs(course, capsys):
    (course / "claims").mkdir(parents=True)
    old = {"notebook": "98", "seed": 11, "kind": "claim", "name": "t always", "value": 1.0, "relation": ">",
           "threshold": 0.0, "holds": True}
    (course / "claims" / "nb98.json").write_text(json.dumps([old]))
    assert runner.main(["--notebooks", "98", "--seeds", "13", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "FAILS  13 < 12  t seed below 12" in out  # a failing claim is recorded; the claims after it still run
    assert out.rstrip().endswith("2 of 3 (claim, seed) pairs hold in this run: 66.7% (target 95% on seeds 11-13)")
    rows = json.loads((course / "claims" / "nb98.json").read_text())
    assert {(r["seed"], r["name"]) for r in rows} == {
        (11, "t always"), (13, "t seed below 12"), (13, "t seed"), (13, "t always"),
        (13, "the notebook runs to the end")}
    assert [r["value"] for r in rows if r["name"] == "t seed"] == [13.0]
    assert json.loads((course / "claims.json").read_text()) == rows


def test_an_unknown_notebook_is_named(course, capsys):
    with pytest.raises(SystemExit):
        runner.main(["--notebooks", "42"])
    assert "--notebooks 42: no notebook notebooks/42_*.ipynb (there are: 98)" in capsys.readouterr().err
