import math

import pytest
import torch

from rnnlab.data.synthetic import (
    ADDING_BASELINE_MSE,
    adding_problem,
    copy_memory,
    copy_memory_baseline_loss,
    sine_waves,
)


def test_sine_waves_shape_range_and_seeding():
    x = sine_waves(5, 40, noise=0.0, seed=1)
    assert x.shape == (5, 40, 1) and x.dtype == torch.float32
    assert x.abs().max() <= 1.0
    assert torch.equal(x, sine_waves(5, 40, noise=0.0, seed=1))
    assert not torch.equal(x, sine_waves(5, 40, noise=0.0, seed=2))


def test_adding_problem_targets_are_the_sum_of_the_two_marked_values():
    x, y = adding_problem(500, 30, seed=0)
    assert x.shape == (500, 30, 2) and y.shape == (500, 1)
    markers = x[..., 1]
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, :15].sum(1) == 1) and torch.all(markers[:, 15:].sum(1) == 1)
    assert torch.allclose((x[..., 0] * markers).sum(1, keepdim=True), y)
    # predicting the mean (1.0) gives an MSE near 1/6
    assert abs(((y - 1.0) ** 2).mean().item() - ADDING_BASELINE_MSE) < 0.02
    assert torch.equal(adding_problem(3, 10, seed=5)[0], adding_problem(3, 10, seed=5)[0])


def test_copy_memory_layout():
    x, y = copy_memory(4, delay=6, n_symbols=8, length=5, seed=0)
    assert x.shape == y.shape == (4, 16) and x.dtype == torch.long
    assert torch.equal(x[:, :5], y[:, -5:])
    assert torch.all((x[:, :5] >= 1) & (x[:, :5] <= 8))
    assert torch.all(x[:, 5 + 6 - 1] == 9)                # the go marker
    assert torch.all(y[:, :-5] == 0)
    assert math.isclose(copy_memory_baseline_loss(6, n_symbols=8, length=5), 5 * math.log(8) / 16)


@pytest.mark.parametrize("call, message", [
    (lambda: adding_problem(0, 10), "n must be >= 1"),
    (lambda: adding_problem(4, 1), "T must be >= 2"),
    (lambda: adding_problem(4, -5), "T must be >= 2"),
    (lambda: copy_memory(4, delay=0), "delay must be >= 1"),
    (lambda: sine_waves(2, 0), "seq_len must be >= 1"),
    (lambda: sine_waves(2, 5, period_range=(0, 3)), "period_range"),
    (lambda: sine_waves(2, 5, noise=-1), "noise must be >= 0"),
])
def test_bad_sizes_are_rejected_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()
