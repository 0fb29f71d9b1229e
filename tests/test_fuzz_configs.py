"""Fuzz every experiment's config (issue 15, "What else" item 1; issue 24): an impossible value of a numeric
field (negative, zero, NaN, infinite, a string, and above 1 for a share) is refused with a ValueError/TypeError
that names the field, when the config is built or, at the latest, when its training settings are made
(`config.train_config()`), before any training starts.

Every numeric field is probed, optional ones too (`stop_at: float | None = None`, `hidden_size: int | None`):
the field's type comes from its annotation, not from its default, so a field that defaults to None is not
skipped (issue 24: `adding --stop-at -1` was accepted because stop_at defaults to None).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.experiments import EXPERIMENTS

BAD = {int: [-5, 0, "ten", 2.5], float: [math.nan, math.inf, -1.0, "x"]}
BAD_CLIP = [-1.0, 0.0, math.nan, "x"]     # clip_grad_norm: None (no clipping) and any positive number are fine
# 0 is a real setting of these fields (no noise, no dropout, no augmentation, infer the season, ...)
ZERO_IS_FINE = {"seed", "data_seed", "noise", "dropout", "weight_decay", "momentum", "concat_prob", "mask_prob",
                "forget_bias", "alpha", "ridge", "val_fraction", "eval_stride", "n_real", "contrast_examples",
                "val_origins", "length_penalty", "season", "stretch", "warp_bands", "teacher_forcing"}
# ... and of these fields in these experiments only: a share's target of 0 stops at the first evaluation; an
# MSE target of 0 (adding, beyond) is never reached and is refused
ZERO_IS_FINE_IN = {("copy", "stop_at"), ("translate", "stop_at")}

NEGATIVE_IS_FINE = {"forget_bias"}        # a negative forget-gate bias is a real setting (the LSTM forgets more)

# Shares and probabilities: above 1 is impossible (and 1 itself where it leaves nothing to learn from)
AT_MOST_ONE = {("charlm", "held_out_fraction"), ("forecast", "test_fraction"), ("forecast", "val_fraction"),
               ("speech", "concat_prob"), ("speech", "mask_prob"), ("translate", "teacher_forcing"),
               ("sentiment", "dropout"), ("copy", "stop_at"), ("translate", "stop_at")}
ONE_IS_IMPOSSIBLE = {("sentiment", "dropout"): "dropout 1 zeroes every entry",
                     ("charlm", "held_out_fraction"): "nothing left to train on",
                     ("forecast", "test_fraction"): "nothing left to train on"}

def _numeric_type(annotation) -> type | None:
    """int or float for `int`, `float`, `int | None`, `float | None`; None for anything else."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = kinds[0] if len(kinds) == 1 else None
    return annotation if annotation in (int, float) else None


def _numeric_fields(config_class):
    hints = typing.get_type_hints(config_class)
    for f in dataclasses.fields(config_class):
        kind = _numeric_type(hints[f.name])
        if kind is not None:
            yield f.name, kind


def _refused(config_class, name: str, value) -> str | None:
    """None when the bad value is refused by name; else what happened."""
    try:
        config = config_class(**{name: value})
        if hasattr(config, "train_config"):
            config.train_config()
    except (ValueError, TypeError) as err:
        return None if name in str(err) or name.replace("_", " ") in str(err) else f"refused without its name: {err}"
    except Exception as err:  # noqa: BLE001 - a bare error is what this test is for
        return f"bare {type(err).__name__}: {err}"
    return "accepted in silence"


def _params():
    for experiment in sorted(EXPERIMENTS):
        for name, kind in _numeric_fields(EXPERIMENTS[experiment].config_class):
            yield pytest.param(experiment, name, kind, id=f"{experiment}-{name}")


def _bad_values(experiment: str, name: str, kind: type) -> list:
    choices = list(BAD_CLIP if name == "clip_grad_norm" else BAD[kind])
    if name in ZERO_IS_FINE or (experiment, name) in ZERO_IS_FINE_IN:
        choices = [v for v in choices if v != 0]
    if name in NEGATIVE_IS_FINE:
        choices = [v for v in choices if not (isinstance(v, int | float) and v < 0)]
    if (experiment, name) in AT_MOST_ONE:
        choices.append(1.5)
    if (experiment, name) in ONE_IS_IMPOSSIBLE:
        choices.append(1.0)
    return choices


@pytest.mark.parametrize("experiment, name, kind", list(_params()))
@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_a_config_refuses_an_impossible_value_by_name(experiment, name, kind, data):
    value = data.draw(st.sampled_from(_bad_values(experiment, name, kind)), label=name)
    problem = _refused(EXPERIMENTS[experiment].config_class, name, value)
    assert problem is None, f"{experiment}: {name}={value!r}: {problem}"


@pytest.mark.parametrize("experiment, name, kind", list(_params()))
def test_every_impossible_value_of_every_numeric_field_is_refused(experiment, name, kind):
    """The same, exhaustively: every listed bad value (hypothesis above samples some)."""
    problems = {value: _refused(EXPERIMENTS[experiment].config_class, name, value)
                for value in _bad_values(experiment, name, kind)}
    assert not {v: p for v, p in problems.items() if p}, f"{experiment}: {name}: {problems}"


def test_optional_numeric_fields_are_probed():
    """The hole issue 24 found: stop_at (default None) was never probed; now it and hidden_size are."""
    probed = {(e, n) for e, n, _ in (p.values for p in _params())}
    assert {("adding", "stop_at"), ("copy", "stop_at"), ("translate", "stop_at"), ("adding", "hidden_size"),
            ("copy", "forget_bias")} <= probed
    assert ("forecast", "series") not in probed                          # strings are not numeric fields


@pytest.mark.parametrize("experiment", ["adding", "copy"])
def test_stop_at_from_the_command_line_names_the_option_and_its_range(experiment, capsys):
    from rnnlab.experiments.__main__ import main

    with pytest.raises(SystemExit):
        main([experiment, "--stop-at", "-1", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "stop_at (--stop-at)" in err and "-1" in err
    assert ("> 0" in err) if experiment == "adding" else ("[0, 1]" in err)


def test_stop_at_in_range_is_kept():
    adding, copy = EXPERIMENTS["adding"].config_class, EXPERIMENTS["copy"].config_class
    assert adding(stop_at=0.01).stop_at == 0.01 and copy(stop_at=0.0).stop_at == 0.0
    assert copy(stop_at=1.0).stop_at == 1.0 and adding(stop_at=None).stop_at is None
    with pytest.raises(ValueError, match=r"stop_at \(--stop-at\).* must be > 0.*got 0"):
        adding(stop_at=0)
    with pytest.raises(ValueError, match=r"stop_at \(--stop-at\).*\[0, 1\].*got 1.01"):
        copy(stop_at=1.01)
