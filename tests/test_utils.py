import random

import numpy as np
import pytest
import torch

from rnnlab.utils import default_device, progress, progress_enabled, seed_everything, set_progress


def test_seed_everything_makes_python_numpy_and_torch_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()  # noqa: NPY002

    seed_everything(3)
    first = draw()
    seed_everything(3)
    assert draw() == first
    seed_everything(4)
    assert draw() != first


def test_seed_everything_returns_a_seeded_generator():
    a = torch.rand(3, generator=seed_everything(7))
    b = torch.rand(3, generator=seed_everything(7))
    assert torch.equal(a, b)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (2**32, ValueError), (1.5, TypeError),
                                        ("0", TypeError), (True, TypeError)])
def test_seed_everything_rejects_bad_seeds(bad, error):
    with pytest.raises(error, match="seed"):
        seed_everything(bad)


def test_default_device_is_cuda_only_when_available():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert default_device().type == expected


def test_progress_can_be_silenced_globally():
    before = progress_enabled()
    try:
        set_progress(False)
        bar = progress(range(3))
        assert bar.disable
        assert list(bar) == [0, 1, 2]
        set_progress(True)
        assert not progress(range(3)).disable
    finally:
        set_progress(before)
