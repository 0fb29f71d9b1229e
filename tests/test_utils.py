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


# --- threads (issue 18: a notebook must not slow down 20x beside one busy process) -------------------------

@pytest.fixture
def restore_threads(monkeypatch):
    import rnnlab.utils as utils

    before = torch.get_num_threads()
    for name in ("RNNLAB_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(utils, "_threads_at_import", before)
    monkeypatch.setattr(utils, "_threads_set_by_rnnlab", None)
    yield utils
    torch.set_num_threads(before)


def test_choose_threads_defaults_to_one_thread(restore_threads):
    torch.set_num_threads(2)
    restore_threads._threads_at_import = 2  # as if torch had started with 2 threads
    assert restore_threads.choose_threads() == 1
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("var", ["RNNLAB_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"])
def test_choose_threads_respects_the_environment(restore_threads, monkeypatch, var):
    monkeypatch.setenv(var, "2")
    assert restore_threads.choose_threads() == 2
    assert torch.get_num_threads() == 2
    assert restore_threads.user_thread_choice() == (2, var)


def test_choose_threads_respects_set_num_threads_called_by_the_user(restore_threads):
    restore_threads._threads_at_import = 1
    torch.set_num_threads(3)  # the user's own call after importing rnnlab
    assert restore_threads.choose_threads() == 3
    assert torch.get_num_threads() == 3


def test_choose_threads_explicit_argument_wins(restore_threads, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert restore_threads.choose_threads(1) == 1
    with pytest.raises(ValueError, match="threads must be at least 1"):
        restore_threads.choose_threads(0)


def test_choose_threads_names_a_bad_environment_value(restore_threads, monkeypatch):
    monkeypatch.setenv("RNNLAB_THREADS", "two")
    with pytest.raises(ValueError, match="RNNLAB_THREADS='two'"):
        restore_threads.choose_threads()


def test_available_cpus_honours_a_cgroup_quota(restore_threads, monkeypatch):
    monkeypatch.setattr(restore_threads, "_cgroup_cpu_quota", lambda: 1.5)
    assert restore_threads.available_cpus() == 1
    monkeypatch.setattr(restore_threads, "_cgroup_cpu_quota", lambda: None)
    assert restore_threads.available_cpus() >= 1


def test_setup_seeds_and_returns_the_device(restore_threads):
    device = restore_threads.setup(seed=5)
    a = torch.rand(2)
    restore_threads.setup(seed=5)
    assert torch.equal(a, torch.rand(2))
    assert device == default_device()
    assert torch.get_num_threads() == 1


def test_setup_makes_the_colour_cycle_colour_blind_safe():
    import matplotlib as mpl

    from rnnlab.utils import OKABE_ITO, setup

    setup(0)
    cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    assert cycle["color"] == OKABE_ITO
    assert "linestyle" not in cycle  # a figure's text may say which line is dashed
