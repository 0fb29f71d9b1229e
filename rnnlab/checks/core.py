"""The machinery shared by every exercise check.

Three pieces, used by every check module:
- `call_student(fn, *args)` calls the student's function; an exception raised inside it is tagged as the
  student's (StudentCodeError), so that it is never confused with a failure of the check itself.
- `as_reference(answer, like)` converts the student's answer to the reference's library (numpy or torch),
  float dtype and device, before anything compares them: a correct answer in float64, in numpy instead of
  torch, or on another device passes.
- `check_exercise(title, test)` runs the test and prints one verdict line: passed, wrong (what differs),
  not done yet, your code raised X, or "the check itself failed — please report" for a bug in the check.
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch


class ExerciseFailure(AssertionError):
    """Raised inside a check with a message for the student (what is wrong, where)."""


class StudentCodeError(Exception):
    """An exception raised inside the student's own function (the original is in `.error` and `__cause__`)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error


def _strict() -> bool:
    return os.environ.get("RNNLAB_STRICT_CHECKS", "0") not in ("0", "", "false", "False")


def call_student(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the student's `fn(*args, **kwargs)` and return its result.

    Raises NotImplementedError unchanged (the exercise is not done yet), ExerciseFailure when `fn` is not
    callable or returns None (a forgotten `return`), and StudentCodeError wrapping any other exception raised
    inside `fn`, so that check_exercise reports it as the student's crash, not as a bug in the check.
    """
    if not callable(fn):
        raise ExerciseFailure(f"pass your function itself to the check, got a {type(fn).__name__}")
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except (Exception, SystemExit) as err:  # noqa: BLE001 - any error (even sys.exit()) in the student's code is theirs
        raise StudentCodeError(err) from err
    if result is None:
        raise ExerciseFailure("your function returned None: did you forget `return`?")
    return result


def _integral(x: np.ndarray | torch.Tensor) -> bool:
    if isinstance(x, torch.Tensor):
        return not x.is_floating_point() or bool(torch.isfinite(x).all() and (x == x.round()).all())
    return x.dtype.kind in "biu" or bool(np.isfinite(x).all() and (x == np.round(x)).all())


def as_reference(answer: Any, like: Any) -> Any:
    """Return the student's `answer` in the library, dtype and device of the reference `like`.

    Tensors and arrays (and lists of numbers) become a torch tensor when `like` is one (on its device, keeping
    autograd), a numpy array when `like` is one. Floating answers take the reference's float dtype; an integer
    reference converts a float answer only when every value is a whole number (1.9 is not silently cut to 1).
    Tuples, lists and dicts are converted item by item against a reference of the same structure (a tuple
    against an array stays a tuple, for the check to say it wanted one array); a 1-element
    tensor or array becomes a Python number when the reference is one. Anything else (a string, None, a ragged
    list, a wrong structure) is returned unchanged, for the check to name what is wrong with it.
    """
    if isinstance(like, dict) and isinstance(answer, dict):
        return {k: as_reference(v, like[k]) if k in like else v for k, v in answer.items()}
    if isinstance(like, tuple | list) and isinstance(answer, tuple | list) and len(answer) == len(like):
        return type(answer)(as_reference(a, b) for a, b in zip(answer, like, strict=True))
    if isinstance(like, bool | int | float | np.number) and not isinstance(like, bool):
        if isinstance(answer, torch.Tensor) and answer.numel() == 1 and not answer.is_complex():
            value = answer.detach().cpu().item()
        elif isinstance(answer, np.ndarray | np.number) and answer.size == 1 and answer.dtype.kind in "biuf":
            value = answer.item()
        else:
            return answer
        return float(value) if isinstance(like, float | np.floating) else value
    if not isinstance(like, torch.Tensor | np.ndarray):
        return answer
    array = _to_array(answer)
    if array is None:
        return answer
    if isinstance(like, torch.Tensor):
        tensor = array if isinstance(array, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(array))
        if tensor.is_complex():
            return answer
        if like.is_floating_point() or _integral(tensor):
            return tensor.to(device=like.device, dtype=like.dtype)
        return tensor.to(device=like.device)
    numpy_answer = array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else array
    if numpy_answer.dtype.kind == "c":
        return answer
    if like.dtype.kind == "f" or (like.dtype.kind in "biu" and _integral(numpy_answer)):
        return numpy_answer.astype(like.dtype, copy=False)
    return numpy_answer


def _to_array(x: Any) -> np.ndarray | torch.Tensor | None:
    """A tensor or array as it is; a list, tuple or number as a numeric numpy array; None when it is not one."""
    if isinstance(x, torch.Tensor | np.ndarray):
        if isinstance(x, np.ndarray) and x.dtype.kind not in "biufc":
            return None
        if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16:
            return x.float()
        return x
    if isinstance(x, list | int | float | np.number) and not isinstance(x, bool):  # a tuple is a structure
        try:
            array = np.asarray(x)
        except Exception:  # a ragged list, a list of tensors that need grad: not one array
            return None
        return array if array.dtype.kind in "biuf" else None
    return None


def check_exercise(title: str, test: Callable[[], None]) -> bool:
    """Run `test()` and print the verdict for the student; return whether it passed.

    `test` raises ExerciseFailure (or AssertionError) with a message when the answer is wrong;
    NotImplementedError means the exercise is not done yet; StudentCodeError (from call_student) is reported as
    a crash of the student's code, with its type and message. Any other exception is a bug in the check: it is
    reported as "the check itself failed — please report", never as the student's error.

    With RNNLAB_STRICT_CHECKS=1 every verdict but "passed" raises: ExerciseFailure for the student's verdicts,
    the original exception for a failure of the check itself.
    """
    try:
        test()
    except NotImplementedError as err:
        verdict, message = "not done yet", f"{title}: not done yet ({err})" if str(err) else f"{title}: not done yet"
    except StudentCodeError as err:
        verdict, message = "crashed", f"{title}: your code raised {err}"
    except AssertionError as err:
        verdict, message = "wrong", f"{title}: {err}"
    except Exception as err:
        if _raised_in_students_code(err):  # a check that called the student's function without call_student
            verdict, message = "crashed", f"{title}: your code raised {type(err).__name__}: {err}"
            print(f"❌ {message}")
            if _strict():
                raise ExerciseFailure(message) from err
            return False
        # a bug in the check, not in the student's code
        print(f"❌ {title}: the check itself failed — please report this to the course authors "
              f"({type(err).__name__}: {err}). Your answer may well be right.")
        if _strict():
            raise
        return False
    else:
        print(f"✅ {title}: passed")
        return True
    symbol = "⏳" if verdict == "not done yet" else "❌"
    print(f"{symbol} {message}")
    if _strict():
        raise ExerciseFailure(message)
    return False


_LIBRARY_DIRS = tuple(str(Path(p).resolve()) for p in {sysconfig.get_paths()[k] for k in ("stdlib", "purelib",
                                                                                         "platlib")})
_RNNLAB_DIR = str(Path(__file__).resolve().parents[1])


def _raised_in_students_code(err: BaseException) -> bool:
    """Whether `err` passed through code outside rnnlab and the installed libraries (a notebook cell, a test file)
    below the check's own test body: the frames of check_exercise and of `test` itself are skipped."""
    tb = err.__traceback__
    tb = tb.tb_next if tb is not None else None        # skip check_exercise's frame
    tb = tb.tb_next if tb is not None else None        # skip the check's own test body
    while tb is not None:
        filename = str(Path(tb.tb_frame.f_code.co_filename).resolve())
        if not filename.startswith((_RNNLAB_DIR, *_LIBRARY_DIRS)) and not filename.startswith("<frozen"):
            return True
        tb = tb.tb_next
    return False


def _as_numpy(x: object, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.detach().cpu().numpy()
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, list | tuple | float | int | np.number):
        try:
            return np.asarray(x)
        except (ValueError, TypeError):
            raise ExerciseFailure(f"{name} should be an array of numbers, but it is a ragged "
                                  f"{type(x).__name__}") from None
    raise ExerciseFailure(f"{name} should be a numpy array or torch tensor, but it is a {type(x).__name__}")


def compare_arrays(name: str, got: object, expected: object, *, time_axis: int | None = None,
                   atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Raise ExerciseFailure saying how `got` differs from `expected`: type, shape, NaN, or the first time step
    (along `time_axis`) where the values differ, with the largest difference there.

    Both are compared as numpy arrays in float64, whatever their library, dtype or device.
    """
    got_a, exp_a = _as_numpy(got, name), _as_numpy(expected, "the reference")
    if got_a.shape != exp_a.shape:
        hint = " (transposed?)" if got_a.shape == exp_a.shape[::-1] and got_a.ndim > 1 else ""
        raise ExerciseFailure(f"{name} has shape {tuple(got_a.shape)}, expected {tuple(exp_a.shape)}{hint}")
    if not np.issubdtype(got_a.dtype, np.number) or np.issubdtype(got_a.dtype, np.complexfloating):
        raise ExerciseFailure(f"{name} should hold real numbers, but its dtype is {got_a.dtype}")
    if not np.all(np.isfinite(got_a)):
        raise ExerciseFailure(f"{name} contains NaN or infinite values")
    got_a, exp_a = got_a.astype(np.float64), exp_a.astype(np.float64)
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


def student_answer(fn: Callable[..., Any], *args: Any, like: Any = None, **kwargs: Any) -> Any:
    """`call_student(fn, *args, **kwargs)`, converted with `as_reference` to the reference `like` when given:
    the one line at the top of every check."""
    result = call_student(fn, *args, **kwargs)
    return result if like is None else as_reference(result, like)


def matches(got: object, expected: object, *, atol: float = 1e-6, rtol: float = 1e-5) -> bool:
    """Whether `got` equals `expected` to the tolerances: same shape, finite, close in float64 (whatever the
    library, dtype or device of either). Never raises: anything that is not an array of numbers does not match."""
    try:
        got_a, exp_a = _as_numpy(got, "answer"), _as_numpy(expected, "reference")
    except ExerciseFailure:
        return False
    if got_a.shape != exp_a.shape or got_a.dtype.kind not in "biuf" or exp_a.dtype.kind not in "biuf":
        return False
    got_a, exp_a = got_a.astype(np.float64), exp_a.astype(np.float64)
    return bool(np.all(np.isfinite(got_a)) and np.allclose(got_a, exp_a, atol=atol, rtol=rtol))


def name_mistake(got: object, mistakes: Iterable[tuple[object, str]], *, reference: object = None,
                 atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Raise ExerciseFailure with the message of the first known mistake whose output `got` equals.

    mistakes: (output of the reference with that mistake made, message naming the mistake in words and saying
    what to change). A mistaken output that equals the `reference` (the mistake makes no difference on this
    input) is skipped, so a right answer is never blamed. Returns None when `got` matches none of them, for the
    caller to go on to a generic comparison (`compare_arrays`).
    """
    for wrong, message in mistakes:
        if reference is not None and matches(wrong, reference, atol=atol, rtol=rtol):
            continue
        if matches(got, wrong, atol=atol, rtol=rtol):
            raise ExerciseFailure(message)
