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
