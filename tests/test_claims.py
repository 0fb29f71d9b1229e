import math

import pytest

from rnnlab.claims import ClaimFailed, claim, clear_claims, recorded_claims


def test_a_claim_that_holds_prints_value_threshold_and_margin(capsys):
    clear_claims()
    assert claim("LSTM MSE is below the baseline", 0.004, "<", 0.16) is None
    out = capsys.readouterr().out
    assert out.startswith("✅ LSTM MSE is below the baseline: measured 0.004, needs < 0.16")
    assert "margin 0.156" in out and "40x" in out
    [row] = recorded_claims()
    assert row["holds"] and math.isclose(row["margin"], 0.156) and math.isclose(row["ratio"], 40.0)


def test_a_claim_that_fails_raises_with_the_numbers(capsys):
    with pytest.raises(ClaimFailed, match=r"measured 0.3, needs < 0.16 \(margin -0.14"):
        claim("MSE is below the baseline", 0.3, "<", 0.16)
    assert capsys.readouterr().out.startswith("❌")


@pytest.mark.parametrize("value, relation, threshold, holds", [
    (0.5, ">", 0.125, True), (0.125, ">", 0.125, False), (0.125, ">=", 0.125, True),
    (0.2, "<=", 0.2, True), (float("nan"), "<", 1.0, False), (float("nan"), ">", 1.0, False)])
def test_relations_and_nan(value, relation, threshold, holds):
    if holds:
        claim("x", value, relation, threshold)
    else:
        with pytest.raises(ClaimFailed):
            claim("x", value, relation, threshold)


def test_bad_relation_and_threshold_are_rejected():
    with pytest.raises(ValueError, match="relation"):
        claim("x", 1, "==", 1)
    with pytest.raises(ValueError, match="threshold"):
        claim("x", 1, "<", float("inf"))


# ---- other seeds: make claims executes notebooks with RNNLAB_SEED and collects rows --------------------------

import json  # noqa: E402

import rnnlab.claims as claims_module  # noqa: E402
from rnnlab.claims import measure, other_seeds, word  # noqa: E402
from rnnlab.utils import notebook_seed  # noqa: E402


@pytest.fixture
def committed(tmp_path, monkeypatch):
    """Committed make-claims results for seeds 0 and 11-13 in a temporary folder."""
    rows = [{"notebook": "05", "seed": s, "kind": "measure", "name": "05 BoW accuracy", "value": v,
             "relation": "", "threshold": None, "holds": True}
            for s, v in [(0, 0.779), (11, 0.79), (12, 0.801), (13, 0.795)]]
    rows.append({"notebook": "05", "seed": 11, "kind": "claim", "name": "GRU beats BoW", "value": 0.9,
                 "relation": ">", "threshold": 0.8, "holds": True})
    (tmp_path / "nb05.json").write_text(json.dumps(rows))
    monkeypatch.setattr(claims_module, "RESULTS_DIR", tmp_path)
    claims_module._committed_rows.cache_clear()
    yield tmp_path
    claims_module._committed_rows.cache_clear()


def test_notebook_seed_reads_rnnlab_seed(monkeypatch):
    monkeypatch.delenv("RNNLAB_SEED", raising=False)
    assert notebook_seed(0) == 0 and notebook_seed(7) == 7
    monkeypatch.setenv("RNNLAB_SEED", "12")
    assert notebook_seed(0) == 12
    monkeypatch.setenv("RNNLAB_SEED", "twelve")
    with pytest.raises(ValueError, match="RNNLAB_SEED must be a whole number, got 'twelve'"):
        notebook_seed(0)


def test_measure_shows_this_run_beside_the_other_seeds_and_says_where(committed, capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_SEED", raising=False)
    measure("05 BoW accuracy", 0.779)
    out = capsys.readouterr().out
    assert out == ("05 BoW accuracy: 0.779 on this run (seed 0); seeds 11-13 (make claims): 0.79 to 0.801: "
                   "this run is below that range\n")
    measure("05 BoW accuracy", 0.795)
    assert "this run is inside that range" in capsys.readouterr().out
    measure("05 BoW accuracy", 0.7899)  # prints as 0.79, the low end: not "below"
    assert "0.79 on this run" in (out := capsys.readouterr().out) and "at the edge of that range" in out
    monkeypatch.setenv("RNNLAB_SEED", "12")  # on seed 12 the others are 0, 11 and 13
    assert other_seeds("05 BoW accuracy") == {0: 0.779, 11: 0.79, 13: 0.795}
    monkeypatch.setenv("RNNLAB_SEED", "0")
    measure("05 BoW accuracy", 0.795)  # 0.79 and 0.7949... print alike but differ: a range, not "the same"
    assert "0.79 to 0.801" in capsys.readouterr().out
    measure("never measured", 1.0)
    assert "no other seed measured yet" in capsys.readouterr().out


def test_claim_prints_the_other_seeds_of_its_statement(committed, capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_SEED", raising=False)
    claim("GRU beats BoW", 0.85, ">", 0.8)
    assert capsys.readouterr().out.rstrip().endswith("; seed 11 (make claims): held on 1 of 1 (0.9)")
    claim("GRU beats BoW", 0.9, ">", 0.8)  # a number every seed gives alike is not evidence of robustness
    assert "the same on seed 11 (make claims): it does not depend on the seed" in capsys.readouterr().out


def test_in_a_make_claims_run_a_failing_claim_is_recorded_not_raised(tmp_path, monkeypatch, capsys):
    out = tmp_path / "rows.jsonl"
    monkeypatch.setenv("RNNLAB_CLAIMS_OUT", str(out))
    monkeypatch.setenv("RNNLAB_SEED", "21")
    monkeypatch.setenv("RNNLAB_NOTEBOOK", "03")
    claim("x is small", 5.0, "<", 1.0)  # does not raise
    measure("03 a number", float("nan"))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0] == {"notebook": "03", "seed": 21, "kind": "claim", "name": "x is small", "value": 5.0,
                       "relation": "<", "threshold": 1.0, "holds": False}
    assert rows[1]["kind"] == "measure" and rows[1]["value"] is None
    assert capsys.readouterr().out.startswith("❌ x is small")


def test_word_is_chosen_by_the_comparison():
    assert word(7.2e-24, 1.2e-24, "grew", "shrank") == "grew"
    assert word(1.0, 2.0, "grew", "shrank") == "shrank"
    assert word(1.0, 1.04, "grew", "shrank", "did not change", rtol=0.05) == "did not change"
    assert word(1.0, 1.06, "grew", "shrank", "did not change", rtol=0.05) == "shrank"


def test_a_ratio_close_to_one_keeps_its_digits(capsys):
    claim("close", 1.0, ">", 0.9965)
    assert "1.0035x" in capsys.readouterr().out


def test_tiny_numbers_that_differ_between_seeds_are_not_called_seed_independent(tmp_path, monkeypatch, capsys):
    rows = [{"notebook": "04", "seed": s, "kind": "claim", "name": "ratio tiny", "value": v, "relation": "<",
             "threshold": 1e-6, "holds": True} for s, v in [(11, 9.44e-55), (12, 5.63e-26), (13, 1e-30)]]
    (tmp_path / "nb04.json").write_text(json.dumps(rows))
    monkeypatch.setattr(claims_module, "RESULTS_DIR", tmp_path)
    monkeypatch.delenv("RNNLAB_SEED", raising=False)
    claims_module._committed_rows.cache_clear()
    claim("ratio tiny", 7.2e-24, "<", 1e-6)
    claims_module._committed_rows.cache_clear()
    out = capsys.readouterr().out
    assert "held on 3 of 3" in out and "does not depend" not in out
