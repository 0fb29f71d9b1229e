"""Fuzz the public API (issue 15, "What else" item 1): wrong shapes, dtypes (float16/32/64, int, bool), empty
inputs, length 0 and 1, NaN and inf, numpy against torch, non-contiguous tensors. Each public function either
returns a right (finite) result, or raises ValueError/TypeError naming the argument; never a bare
IndexError/RuntimeError from inside numpy or torch, never NaN out in silence.

Each function is described once (FUNCTIONS): a valid call and the arguments to perturb. hypothesis picks the
argument and the perturbation (derandomized, bounded: a few seconds in all). A function that still fails a
perturbation is listed in KNOWN_FAILURES with the reason and runs as xfail(strict=True): its owner fixes it,
then deletes the entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.data.synthetic import adding_problem, copy_memory, sine_waves
from rnnlab.data.windows import make_windows, origins
from rnnlab.metrics.edit_distance import edit_distance
from rnnlab.metrics.forecast import coverage, mae, mase, rmse
from rnnlab.metrics.language import bits_per_char
from rnnlab.models.attention import attention_reference
from rnnlab.models.charlm import next_char_distribution
from rnnlab.models.classifier import bag_of_words, last_real_state
from rnnlab.models.numpy_rnn import clip_grad_norm, rnn_hidden_states, rnn_step
from rnnlab.models.scan import linear_scan_sequential, parallel_scan_log
from rnnlab.models.sequence import SequenceModel
from rnnlab.validate import check_lengths

FUZZ = settings(max_examples=8, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@dataclass
class Case:
    """A public function, a valid call (positional args), and which args are arrays to perturb."""

    fn: Callable
    args: Callable[[], tuple]          # a fresh valid call each time
    names: tuple[str, ...]             # the parameter names, in order (errors must name the one perturbed)
    arrays: tuple[int, ...]            # positions of array arguments to perturb


def _rng_t(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def _rng_n(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).normal(size=shape)


_model = SequenceModel("gru", 2, 3, 1)


FUNCTIONS: dict[str, Case] = {
    "mae": Case(mae, lambda: (_rng_n(8), _rng_n(8)), ("y_true", "y_pred"), (0, 1)),
    "rmse": Case(rmse, lambda: (_rng_n(8), _rng_n(8)), ("y_true", "y_pred"), (0, 1)),
    "mase": Case(mase, lambda: (_rng_n(8), _rng_n(8), np.cumsum(_rng_n(30)), 7),
                 ("y_true", "y_pred", "y_train", "season"), (0, 1, 2)),
    "coverage": Case(coverage, lambda: (_rng_n(8), _rng_n(8) - 2, _rng_n(8) + 2), ("y_true", "lower", "upper"),
                     (0, 1, 2)),
    "bits_per_char": Case(bits_per_char, lambda: (_rng_t(6, 5), torch.arange(6) % 5), ("logits", "targets"), (0, 1)),
    "next_char_distribution": Case(next_char_distribution, lambda: (_rng_t(2, 7), 0.7), ("logits", "temperature"),
                                   (0,)),
    "bag_of_words": Case(bag_of_words, lambda: (torch.tensor([[4, 5, 0], [6, 0, 0]]), torch.tensor([2, 1]), 9),
                         ("ids", "lengths", "vocab_size"), (0, 1)),
    "last_real_state": Case(lambda outputs, lengths: last_real_state(outputs, lengths, bidirectional=False),
                            lambda: (_rng_t(2, 4, 3), torch.tensor([4, 2])), ("outputs", "lengths"), (0, 1)),
    "rnn_step": Case(rnn_step, lambda: (_rng_n(2, 3), _rng_n(2, 4), _rng_n(4, 3), _rng_n(4, 4), _rng_n(4)),
                     ("x_t", "h_prev", "W_xh", "W_hh", "b_h"), (0, 1, 2, 3, 4)),
    "rnn_hidden_states": Case(rnn_hidden_states,
                              lambda: (_rng_n(2, 5, 3), _rng_n(2, 4), _rng_n(4, 3), _rng_n(4, 4), _rng_n(4)),
                              ("x", "h0", "W_xh", "W_hh", "b_h"), (0, 1, 2, 3, 4)),
    "linear_scan_sequential": Case(linear_scan_sequential, lambda: (_rng_t(2, 5, 3).sigmoid(), _rng_t(2, 5, 3)),
                                   ("a", "b"), (0, 1)),
    "parallel_scan_log": Case(parallel_scan_log, lambda: (-_rng_t(2, 5, 3).abs(), _rng_t(2, 5, 3)),
                              ("log_a", "log_b"), (0, 1)),
    "attention_reference": Case(attention_reference, lambda: (_rng_t(1, 2, 4, 3), _rng_t(1, 2, 4, 3),
                                                              _rng_t(1, 2, 4, 3)), ("q", "k", "v"), (0, 1, 2)),
    "make_windows": Case(make_windows, lambda: (np.arange(20.0), origins(0, 20, 3, 2), 3, 2),
                         ("y", "origin_idx", "lookback", "horizon"), (0, 1)),
    "clip_grad_norm": Case(lambda g, t: clip_grad_norm({"W": g}, t), lambda: (_rng_n(3, 3) * 10, 1.0),
                           ("grads", "threshold"), (0,)),
    "check_lengths": Case(lambda lengths: check_lengths(lengths, "lengths", max_len=5), lambda: (torch.tensor([5, 1]),),
                          ("lengths",), (0,)),
    "SequenceModel.forward": Case(lambda x: _model(x), lambda: (_rng_t(2, 5, 2),), ("x",), (0,)),
}

PERTURBATIONS = ["float16", "float32", "float64", "int", "bool", "numpy", "torch", "non-contiguous", "nan", "inf",
                 "empty", "length 1", "drop a dim", "add a dim", "a list", "a string", "None"]

# (function, perturbation) -> why it still fails (found by this suite; files owned by others): owners fix these
# and delete the entry (xfail strict: a fixed entry fails until it is deleted).
KNOWN_FAILURES: dict[tuple[str, str], str] = {
}


def _to(x, lib: str):
    if lib == "numpy":
        return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x
    return torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else x


def perturb(x, kind: str):
    """`x` (a numpy array or torch tensor) changed in one way a user might get wrong."""
    is_t = isinstance(x, torch.Tensor)
    arr = x.detach().cpu().numpy() if is_t else np.asarray(x)
    back = (lambda a: torch.from_numpy(np.ascontiguousarray(a))) if is_t else (lambda a: a)
    if kind in ("float16", "float32", "float64"):
        return back(arr.astype(kind))
    if kind == "int":
        return back(np.round(arr).astype(np.int64))
    if kind == "bool":
        return back(arr != 0)
    if kind == "numpy":
        return arr
    if kind == "torch":
        return torch.from_numpy(np.ascontiguousarray(arr))
    if kind == "non-contiguous":
        if arr.ndim == 0:
            return x
        doubled = np.repeat(arr, 2, axis=-1)
        return torch.from_numpy(doubled)[..., ::2] if is_t else doubled[..., ::2]
    if kind in ("nan", "inf"):
        if arr.dtype.kind != "f":
            return x
        bad = arr.copy()
        bad.reshape(-1)[0] = np.nan if kind == "nan" else np.inf
        return back(bad)
    if kind == "empty":
        return back(arr[:0]) if arr.ndim else back(arr.reshape(0))
    if kind == "length 1":
        return back(arr[:1]) if arr.ndim else x
    if kind == "drop a dim":
        return back(arr[0]) if arr.ndim else x
    if kind == "add a dim":
        return back(arr[None])
    if kind == "a list":
        return arr.tolist()
    if kind == "a string":
        return "not an array"
    if kind == "None":
        return None
    raise AssertionError(kind)


def _finite(result) -> bool:
    if isinstance(result, dict):
        return all(_finite(v) for v in result.values())
    if isinstance(result, tuple | list):
        return all(_finite(v) for v in result)
    if isinstance(result, torch.Tensor):
        return not result.is_floating_point() or bool(torch.isfinite(result).all())
    if isinstance(result, np.ndarray):
        return result.dtype.kind != "f" or bool(np.isfinite(result).all())
    if isinstance(result, float):
        return math.isfinite(result)
    return True


def _outcome(case: Case, position: int, kind: str) -> str | None:
    """None when the function behaved; else what went wrong."""
    args = list(case.args())
    original = args[position]
    args[position] = perturb(original, kind)
    name = case.names[position]
    try:
        result = case.fn(*args)
    except (ValueError, TypeError) as err:
        message = str(err)
        if name in message or any(n in message for n in case.names):
            return None
        return f"{type(err).__name__} without naming {name!r}: {message}"
    except Exception as err:  # noqa: BLE001 - this is what the test is for
        return f"bare {type(err).__name__} from inside: {err}"
    if kind in ("nan", "inf") and not _finite(result) and isinstance(original, np.ndarray | torch.Tensor) \
            and np.asarray(original.detach() if isinstance(original, torch.Tensor) else original).dtype.kind == "f":
        return "NaN or inf in, NaN or inf out, in silence"
    if kind not in ("nan", "inf") and not _finite(result):
        return "NaN or inf out of finite input"
    return None


def _params():
    for fname in FUNCTIONS:
        for kind in PERTURBATIONS:
            marks = []
            reason = KNOWN_FAILURES.get((fname, kind))
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            yield pytest.param(fname, kind, marks=marks, id=f"{fname}-{kind}")


@pytest.mark.parametrize("fname, kind", list(_params()))
@FUZZ
@given(data=st.data())
def test_public_function_under_a_perturbation(fname, kind, data):
    case = FUNCTIONS[fname]
    position = data.draw(st.sampled_from(case.arrays), label="argument")
    problem = _outcome(case, position, kind)
    assert problem is None, f"{fname}({case.names[position]} perturbed: {kind}): {problem}"


@FUZZ
@given(device=st.sampled_from(["cuda:9", "tpu", "gpu0", "", "cuda:-1", 3, None, "cpu", torch.device("cpu")]))
def test_unknown_device_strings_are_refused_by_name(device):
    from rnnlab.validate import check_device

    try:
        dev = check_device(device, "--device")
    except (ValueError, TypeError) as err:
        assert "--device" in str(err), err
        assert device not in ("cpu", None) and not isinstance(device, torch.device)
    else:
        assert dev == torch.device("cpu") and device in ("cpu", None, torch.device("cpu"))


@pytest.mark.parametrize("device", ["tpu", "cuda:9"])
def test_experiments_refuse_an_unknown_device_by_name(device):
    from rnnlab.experiments.sine import SineConfig, run_sine

    with pytest.raises((ValueError, TypeError), match="device"):
        run_sine(SineConfig(steps=1, progress=False), device=device)


def test_data_generators_refuse_impossible_sizes_by_name():
    for call, name in [(lambda: adding_problem(0, 10), "n"), (lambda: adding_problem(4, 1), "T"),
                       (lambda: copy_memory(4, -1), "delay"), (lambda: sine_waves(4, 0), "seq_len")]:
        with pytest.raises((ValueError, TypeError), match=name):
            call()
    assert edit_distance([], []) == 0 and edit_distance("a", "") == 1
