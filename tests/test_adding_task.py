"""The adding problem's shared plumbing (rnnlab.experiments.adding_task): seeded batches, a fixed held-out set."""

import torch
from torch import nn

from rnnlab.experiments import adding_task
from rnnlab.experiments.adding_task import adding_batches, adding_test_set, held_out_mse, mse_loss


def test_the_same_seed_gives_the_same_batches_and_another_seed_others():
    a, b, c = (adding_batches(7, 4, seed, torch.device("cpu")) for seed in (3, 3, 4))
    first_a, first_b, first_c = a(), b(), c()
    assert first_a[0].shape == (4, 7, 2) and first_a[1].shape == (4, 1)
    torch.testing.assert_close(first_a, first_b)
    assert not torch.equal(first_a[0], first_c[0])
    assert not torch.equal(a()[0], first_a[0]), "each call draws a fresh batch"


def test_the_held_out_set_is_fixed_and_the_same_as_long_range_uses():
    from rnnlab.experiments import long_range

    assert long_range.TEST_SEED is adding_task.TEST_SEED  # one held-out seed, imported, not copied
    x1, y1 = adding_test_set(5, 10, torch.device("cpu"))
    x2, y2 = adding_test_set(5, 10, torch.device("cpu"))
    assert x1.shape == (10, 5, 2) and torch.equal(x1, x2) and torch.equal(y1, y2)
    torch.testing.assert_close(y1[:, 0], (x1[..., 0] * x1[..., 1]).sum(1))  # y: the sum of the marked numbers


def test_loss_and_evaluation_are_the_mse():
    model = nn.Sequential(nn.Flatten(), nn.Linear(10, 1))
    x, y = adding_test_set(5, 8, torch.device("cpu"))
    expected = ((model(x) - y) ** 2).mean()
    torch.testing.assert_close(mse_loss(model, (x, y)), expected)
    assert held_out_mse(x, y)(model) == {"test_mse": expected.item()}
