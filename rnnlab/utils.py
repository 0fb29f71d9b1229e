"""Seeding, device choice and the one progress-bar helper that every loop in rnnlab uses."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

_progress_enabled: bool = os.environ.get("RNNLAB_PROGRESS", "1") not in ("0", "false", "False", "")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's `random`, numpy and torch (CPU and CUDA); return a torch Generator seeded the same.

    The same seed gives the same numbers on the same machine and library versions.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the legacy global generator is what plain numpy code uses)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def default_device() -> torch.device:
    """`cuda` when a GPU is present, else `cpu`. Every notebook also runs on the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def set_progress(enabled: bool) -> None:
    """Turn every rnnlab progress bar on or off (also: environment variable RNNLAB_PROGRESS=0)."""
    global _progress_enabled
    _progress_enabled = bool(enabled)


def progress_enabled() -> bool:
    """Whether rnnlab progress bars are shown."""
    return _progress_enabled


def progress(iterable: Iterable[T] | None = None, *, total: int | None = None, desc: str = "",
             leave: bool = True, disable: bool | None = None) -> Iterator[T]:
    """Wrap `iterable` in a progress bar: the notebook bar in Jupyter, a text bar in a terminal.

    All rnnlab loops go through this helper, so `set_progress(False)` silences them all
    (`TQDM_DISABLE` alone does not silence tqdm's notebook bar).
    """
    from tqdm.auto import tqdm

    if disable is None:
        disable = not _progress_enabled
    return tqdm(iterable, total=total, desc=desc, leave=leave, disable=disable, mininterval=0.5)


# ---------------------------------------------------------------------------------------------------------
# Threads. The course's models are small (tens to a few hundred hidden units, batches of 32-128): at each
# time step torch does a few tiny matrix products. With torch's default of one thread per core, every step
# waits for all threads to meet; when another program (a browser tab, a second kernel, a classmate on the
# same JupyterHub node) holds one of the cores, the waiting thread is descheduled and each step waits for
# it: a notebook that takes 20 s alone took over 500 s beside one busy process (measured on 2 cores, issue 18).
# One thread is as fast as two for these sizes when nothing else runs (benchmarks/results/load.json) and
# immune to that stall, so it is the default. An explicit choice by the user always wins.
# ---------------------------------------------------------------------------------------------------------

COURSE_THREADS = 1  # torch threads rnnlab chooses when the user has not chosen (see choose_threads)
_THREAD_ENV = ("RNNLAB_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_threads_at_import = torch.get_num_threads()
_threads_set_by_rnnlab: int | None = None


def available_cpus() -> int:
    """CPUs this process may really use: its CPU affinity, capped by a cgroup CPU quota (Docker, Kubernetes,
    JupyterHub's `cpu_limit`) when one is set. At least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, int(quota)))  # a quota of 1.5 CPUs gives 1 thread: never more threads than CPUs
    return max(1, cpus)


def _cgroup_cpu_quota() -> float | None:
    """The cgroup CPU limit in CPUs (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us`), or None when unlimited."""
    try:
        text = open("/sys/fs/cgroup/cpu.max").read().split()  # noqa: SIM115 (tiny file)
        if text and text[0] != "max":
            return int(text[0]) / int(text[1])
        return None
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int(open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read())  # noqa: SIM115
        period = int(open("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read())  # noqa: SIM115
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def user_thread_choice() -> tuple[int, str] | None:
    """The thread count the user chose, and where (`RNNLAB_THREADS`, `OMP_NUM_THREADS`, `MKL_NUM_THREADS`,
    or a call of `torch.set_num_threads` after rnnlab was imported); None when the user chose nothing."""
    for name in _THREAD_ENV:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                n = int(value)
            except ValueError:
                raise ValueError(f"{name}={value!r} is not a whole number of threads; set it to e.g. 1 or 2, "
                                 "or unset it to let rnnlab choose") from None
            if n < 1:
                raise ValueError(f"{name}={n}: the number of threads must be at least 1")
            return n, name
    current = torch.get_num_threads()
    if current != _threads_at_import and current != _threads_set_by_rnnlab:
        return current, "torch.set_num_threads"
    return None


def choose_threads(threads: int | None = None) -> int:
    """Set torch's intra-op thread count for the course's workloads and return it.

    `threads`: an explicit count (wins over everything). Otherwise the user's own choice is kept
    (`RNNLAB_THREADS`, `OMP_NUM_THREADS` or `MKL_NUM_THREADS` in the environment, or `torch.set_num_threads`
    called after importing rnnlab); otherwise `COURSE_THREADS` (1), never more than `available_cpus()`.
    Raises ValueError for a count below 1 or an environment value that is not a whole number.
    """
    global _threads_set_by_rnnlab
    if threads is None:
        chosen = user_thread_choice()
        n = chosen[0] if chosen is not None else min(COURSE_THREADS, available_cpus())
    else:
        if isinstance(threads, bool) or not isinstance(threads, int | np.integer):
            raise TypeError(f"threads must be an int, got {type(threads).__name__}")
        n = int(threads)
        if n < 1:
            raise ValueError(f"threads must be at least 1, got {n}")
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    _threads_set_by_rnnlab = n
    return n


def notebook_seed(default: int = 0) -> int:
    """The seed a notebook runs with: `default` (0 on the page), or RNNLAB_SEED when it is set: `make claims`
    executes each notebook on other seeds that way. Every seed in a notebook derives from it (`seed=SEED`)."""
    text = os.environ.get("RNNLAB_SEED", "").strip()
    if not text:
        return default
    try:
        seed = int(text)
    except ValueError:
        raise ValueError(f"RNNLAB_SEED must be a whole number, got {text!r}") from None
    if not 0 <= seed < 2**32:
        raise ValueError(f"RNNLAB_SEED must be in [0, 2**32), got {seed}")
    return seed


# Okabe and Ito's palette (2008, "Color Universal Design"): told apart by readers with any common colour-vision
# deficiency, and of distinct lightness for the first few colours. Line styles are left to each figure: a text
# that says "the held-out loss (dashed)" must stay true.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]


def course_style() -> None:
    """Matplotlib's colour cycle (C0, C1, ...) becomes Okabe-Ito's colour-blind-safe palette; `setup` calls it."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams["axes.prop_cycle"] = cycler(color=OKABE_ITO)


def setup(seed: int = 0, *, threads: int | None = None) -> torch.device:
    """What every notebook's first cell does: seed everything (`seed_everything`), choose torch's threads
    (`choose_threads`), use the course's colour-blind-safe plotting style (`course_style`), and return the
    device to use (`default_device`)."""
    seed_everything(seed)
    choose_threads(threads)
    course_style()
    return default_device()
