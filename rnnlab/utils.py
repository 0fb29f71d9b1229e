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
