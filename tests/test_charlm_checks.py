"""Notebook 06's exercise checks name each known mistake (the wrong answers of reviews/turn3/wrong-answers/w06.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnlab.checks.textgen import check_bits_per_char, check_temperature_softmax

F = torch.nn.functional

BITS_MISTAKES = {
    "in nats": lambda l, t: float(F.cross_entropy(l, t)),
    "multiplied by ln 2": lambda l, t: float(F.cross_entropy(l, t)) * np.log(2),
    "sum over the": lambda l, t: float(F.cross_entropy(l, t, reduction="sum")) / np.log(2),
    "minus sign is missing": lambda l, t: float(torch.log2(torch.softmax(l, -1)).gather(1, t[:, None]).mean()),
    "wrong axis (dim=0": lambda l, t: float(-torch.log2(torch.softmax(l, 0)).gather(1, t[:, None]).mean()),
}

TEMPERATURE_MISTAKES = {
    "multiplied the logits by the temperature": lambda l, T: torch.softmax(l * T, -1),
    "wrong axis (dim=0": lambda l, T: torch.softmax(l / T, 0),
    "is not normalised": lambda l, T: torch.exp(l / T),
    "must be renormalised": lambda l, T: torch.softmax(l, -1) ** (1 / T),
    "temperature is ignored": lambda l, T: torch.softmax(l, -1),
}


@pytest.mark.parametrize("words", list(BITS_MISTAKES))
def test_bits_per_char_names_the_mistake(words, capsys):
    assert check_bits_per_char(BITS_MISTAKES[words]) is False
    assert words in capsys.readouterr().out


@pytest.mark.parametrize("words", list(TEMPERATURE_MISTAKES))
def test_temperature_softmax_names_the_mistake(words, capsys):
    assert check_temperature_softmax(TEMPERATURE_MISTAKES[words]) is False
    assert words in capsys.readouterr().out


@pytest.mark.parametrize("answer", [
    lambda l, t: float(F.cross_entropy(l, t)) / np.log(2),
    lambda l, t: F.cross_entropy(l, t) / np.log(2),                                  # a 0-d tensor: harmless
    lambda l, t: float(F.cross_entropy(l.double(), t)) / np.log(2),                  # float64: not blamed
    lambda l, t: float(-torch.log2(torch.softmax(l, -1)).gather(1, t[:, None]).mean()),
])
def test_bits_per_char_passes_right_answers(answer):
    assert check_bits_per_char(answer) is True


@pytest.mark.parametrize("answer", [
    lambda l, T: torch.softmax(l / T, -1),
    lambda l, T: (lambda p: p / p.sum(-1, keepdim=True))(torch.softmax(l, -1) ** (1 / T)),   # mathematically equal
    lambda l, T: torch.softmax(l.double() / T, -1),                                           # float64: not blamed
])
def test_temperature_softmax_passes_right_answers(answer):
    assert check_temperature_softmax(answer) is True
