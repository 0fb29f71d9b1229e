"""The machinery shared by every exercise check."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch


class ExerciseFailure(AssertionError):
    """Raised inside a check with a message for the student (what is wrong, where)."""


def _strict() -> bool:
    return os.environ.get("RNNLAB_STRICT_CHECKS", "0") not in ("0", "", "false", "False")


def check_exercise(title: str, test: Callable[[], None]) -> bool:
    """Run `test()` and print the verdict for the student; return whether it passed.

    `test` raises ExerciseFailure (or AssertionError) with a message when the answer is wrong;
    NotImplementedError means the exercise is not done yet; any other exception is reported as a crash of
    the student's code, with its type and message.
    """
    try:
        test()
    except NotImplementedError as err:
        verdict, message = "not done yet", f"{title}: not done yet ({err})" if str(err) else f"{title}: not done yet"
    except AssertionError as err:
        verdict, message = "wrong", f"{title}: {err}"
    except Exception as err:  # the student's code crashed: say how, do not stop the notebook
        verdict, message = "crashed", f"{title}: your code raised {type(err).__name__}: {err}"
    else:
        print(f"✅ {title}: passed")
        return True
    symbol = "⏳" if verdict == "not done yet" else "❌"
    print(f"{symbol} {message}")
    if _strict():
        raise ExerciseFailure(message)
    return False


def _as_numpy(x: object, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, list | tuple | float | int):
        return np.asarray(x)
    raise ExerciseFailure(f"{name} should be a numpy array or torch tensor, but it is a {type(x).__name__}")


def compare_arrays(name: str, got: object, expected: object, *, time_axis: int | None = None,
                   atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Raise ExerciseFailure saying how `got` differs from `expected`: type, shape, NaN, or the first time step
    (along `time_axis`) where the values differ, with the largest difference there."""
    got_a, exp_a = _as_numpy(got, name), _as_numpy(expected, "the reference")
    if got_a.shape != exp_a.shape:
        hint = " (transposed?)" if got_a.shape == exp_a.shape[::-1] and got_a.ndim > 1 else ""
        raise ExerciseFailure(f"{name} has shape {tuple(got_a.shape)}, expected {tuple(exp_a.shape)}{hint}")
    if not np.issubdtype(got_a.dtype, np.number):
        raise ExerciseFailure(f"{name} should hold numbers, but its dtype is {got_a.dtype}")
    if not np.all(np.isfinite(got_a)):
        raise ExerciseFailure(f"{name} contains NaN or infinite values")
    close = np.isclose(got_a, exp_a, atol=atol, rtol=rtol)
    if close.all():
        return
    diff = np.abs(got_a - exp_a)
    if time_axis is not None and got_a.ndim > 0:
        bad_steps = np.where(~np.moveaxis(close, time_axis, 0).reshape(got_a.shape[time_axis], -1).all(axis=1))[0]
        t = int(bad_steps[0])
        worst = np.take(diff, t, axis=time_axis).max()
        raise ExerciseFailure(f"{name}: values differ from the reference from t={t} on "
                              f"(largest difference at t={t}: {worst:.3g})")
    index = np.unravel_index(np.argmax(diff), diff.shape)
    raise ExerciseFailure(f"{name}: values differ from the reference (largest difference {diff.max():.3g} at "
                          f"index {tuple(int(i) for i in index)})")
