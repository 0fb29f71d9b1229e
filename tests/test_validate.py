import numpy as np
import pytest
import torch

from rnnlab.validate import check_array, check_choice, check_float, check_int


def test_check_array_accepts_matching_input():
    check_array(torch.zeros(4, 7, 2), "x", shape=("batch", "time", 2), floating=True)
    check_array(np.zeros((3, 5), dtype=np.int64), "tokens", ndim=2, integer=True)


@pytest.mark.parametrize("x, kwargs, error, message", [
    ([1, 2], {}, TypeError, "numpy array or torch tensor, got list"),
    (torch.zeros(4, 7), {"shape": ("batch", "time", 2)}, ValueError, r"shape \(batch, time, 2\), got shape \(4, 7\)"),
    (torch.zeros(4, 7, 3), {"shape": ("batch", "time", 2)}, ValueError, "axis 2 is 3, expected 2"),
    (torch.zeros(0, 3), {"ndim": 2}, ValueError, "empty"),
    (torch.zeros(2, dtype=torch.long), {"floating": True}, TypeError, "floating-point"),
    (torch.zeros(2), {"integer": True}, TypeError, "integer dtype"),
    (np.array([1.0, np.nan]), {"finite": True}, ValueError, "NaN"),
    (np.zeros((2, 2, 2)), {"ndim": (1, 2)}, ValueError, "1 or 2 dimensions"),
])
def test_check_array_says_what_was_expected(x, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_array(x, "x", **kwargs)


def test_scalar_checks():
    assert check_int(np.int64(3), "n", minimum=1) == 3
    assert check_float(2, "lr", minimum=0.0, strict_minimum=True) == 2.0
    assert check_choice("gru", "cell", ["rnn", "gru"]) == "gru"
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        check_int(0, "n", minimum=1)
    with pytest.raises(TypeError, match="integer"):
        check_int(2.0, "n")
    with pytest.raises(ValueError, match="must be > 0"):
        check_float(0.0, "lr", minimum=0.0, strict_minimum=True)
    with pytest.raises(ValueError, match="finite"):
        check_float(float("inf"), "lr")
    with pytest.raises(ValueError, match=r"one of \['rnn', 'gru'\], got 'cnn'"):
        check_choice("cnn", "cell", ["rnn", "gru"])
