"""Fuzz every experiment's config (issue 15, "What else" item 1): an impossible value of a numeric field
(negative, zero, NaN, infinite, a string) is refused with a ValueError/TypeError that names the field, when the
config is built or, at the latest, when its training settings are made (`config.train_config()`), before any
training starts.

UNCHECKED lists the fields that this suite found accepted in silence (or refused without their name): they run
as xfail (not strict: their modules are being edited as this is written). Owners add a `__post_init__` with
rnnlab.validate checks, then delete the entry.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.experiments import EXPERIMENTS

BAD = {int: [-5, 0, "ten", 2.5], float: [math.nan, math.inf, -1.0, "x"]}
BAD_CLIP = [-1.0, math.nan, "x"]          # clip_grad_norm: None (no clipping) and any positive number are fine
ZERO_IS_FINE = {"seed", "data_seed", "noise", "dropout", "weight_decay", "momentum", "concat_prob", "mask_prob",
                "forget_bias", "alpha", "ridge", "val_fraction", "eval_stride", "n_real", "contrast_examples",
                "val_origins", "reference_hidden", "length_penalty", "season"}

NEGATIVE_IS_FINE = {"forget_bias"}        # a negative forget-gate bias is a real setting (the LSTM forgets more)

UNCHECKED: set[tuple[str, str]] = set()


def _numeric_fields(config_class):
    for f in dataclasses.fields(config_class):
        default = f.default if f.default is not dataclasses.MISSING else None
        if isinstance(default, int | float) and not isinstance(default, bool):
            yield f.name, type(default)


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
            if name in ("seed", "batch_size"):
                continue
            marks = [pytest.mark.xfail(strict=False, reason="accepted in silence or refused without its name")] \
                if (experiment, name) in UNCHECKED else []
            yield pytest.param(experiment, name, kind, marks=marks, id=f"{experiment}-{name}")


@pytest.mark.parametrize("experiment, name, kind", list(_params()))
@settings(max_examples=6, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_a_config_refuses_an_impossible_value_by_name(experiment, name, kind, data):
    choices = BAD_CLIP if name == "clip_grad_norm" else BAD[kind]
    if name in ZERO_IS_FINE:
        choices = [v for v in choices if v not in (0,)] + ["x"]
    if name in NEGATIVE_IS_FINE:
        choices = [v for v in choices if not (isinstance(v, int | float) and v < 0)]
    value = data.draw(st.sampled_from(choices), label=name)
    problem = _refused(EXPERIMENTS[experiment].config_class, name, value)
    assert problem is None, f"{experiment}: {name}={value!r}: {problem}"
