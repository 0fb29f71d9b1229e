"""Input checks shared by every public function: each error says what was expected and what came."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor | np.ndarray):
        return f"{type(x).__name__} of shape {tuple(x.shape)} and dtype {x.dtype}"
    return type(x).__name__


def check_array(x: Any, name: str, *, ndim: int | Sequence[int] | None = None,
                shape: Sequence[int | str | None] | None = None, floating: bool = False,
                integer: bool = False, finite: bool = False, nonempty: bool = True) -> None:
    """Check that `x` is a numpy array or torch tensor with the expected rank, sizes and dtype.

    `shape` entries: an int (exact size), or a name / None (any size); names only appear in messages,
    e.g. `shape=("batch", "time", 2)` says "expected (batch, time, 2)".
    """
    if not isinstance(x, torch.Tensor | np.ndarray):
        raise TypeError(f"{name} must be a numpy array or torch tensor, got {_describe(x)}")
    if shape is not None:
        ndim = len(shape)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = _shape_text(shape) if shape is not None else f"{' or '.join(map(str, allowed))} dimensions"
            raise ValueError(f"{name} must have {want}, got shape {tuple(x.shape)}")
    if shape is not None:
        for axis, (want, got) in enumerate(zip(shape, x.shape, strict=True)):
            if isinstance(want, int) and want != got:
                raise ValueError(f"{name} must have {_shape_text(shape)}, got {tuple(x.shape)} "
                                 f"(axis {axis} is {got}, expected {want})")
    numel = x.size if isinstance(x, np.ndarray) else x.numel()
    if nonempty and numel == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); expected at least one element")
    is_float = x.dtype.kind == "f" if isinstance(x, np.ndarray) else x.is_floating_point()
    is_int = x.dtype.kind in "iu" if isinstance(x, np.ndarray) else (
        not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool)
    if floating and not is_float:
        raise TypeError(f"{name} must have a floating-point dtype, got {x.dtype}")
    if integer and not is_int:
        raise TypeError(f"{name} must have an integer dtype (token ids), got {x.dtype}")
    if finite and is_float:
        ok = np.isfinite(x).all() if isinstance(x, np.ndarray) else bool(torch.isfinite(x).all())
        if not ok:
            raise ValueError(f"{name} contains NaN or infinite values ({_nonfinite_summary(x)})")


def _nonfinite_summary(x: ArrayLike) -> str:
    """'2 NaN, 1 infinite, the first at index (0, 3)' for an array with non-finite entries."""
    a = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=float)
    nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    first = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
    where = first[0] if len(first) == 1 else first
    counts = ", ".join(part for part in (f"{nan} NaN" if nan else "", f"{inf} infinite" if inf else "") if part)
    return f"{counts} of {a.size}, the first at index {where}"


def _shape_text(shape: Sequence[int | str | None] | None) -> str:
    if shape is None:
        return "?"
    parts = ["?" if s is None else str(s) for s in shape]
    return "shape (" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Check that `value` is an integer in [minimum, maximum]; return it as an int."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} ({value!r})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_float(value: Any, name: str, *, minimum: float | None = None, maximum: float | None = None,
                strict_minimum: bool = False) -> float:
    """Check that `value` is a finite real number in range; return it as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} ({value!r})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict_minimum else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict_minimum else '>='} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Check that `value` is one of `choices`; return it."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_lengths(lengths: Any, name: str = "lengths", *, max_len: int | None = None, batch: int | None = None,
                  minimum: int = 1) -> torch.Tensor:
    """Check the true lengths of a padded batch and return them as a 1-D int64 tensor (on the CPU).

    `lengths` (a tensor, array or list of whole numbers, one per sequence) must hold `batch` entries when
    `batch` is given, each in [minimum, max_len] (max_len: the padded length, the size of the time axis).
    A length of 0 is refused by default (minimum=1): `lengths - 1` would wrap around to -1, the last, padded
    position, and an empty sequence has no last state. The error names the first bad item, e.g.
    "lengths[2] is 0: ...", and says what to change. Raises TypeError for a non-integer input, ValueError
    otherwise.
    """
    if isinstance(lengths, list | tuple):
        if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in lengths):
            raise TypeError(f"{name} must hold whole numbers (one length per sequence), got {list(lengths)!r}")
        lengths = torch.tensor([int(v) for v in lengths], dtype=torch.long)
    if isinstance(lengths, np.ndarray):
        if lengths.dtype.kind not in "iu":
            raise TypeError(f"{name} must have an integer dtype (one length per sequence), got {lengths.dtype}")
        lengths = torch.from_numpy(np.ascontiguousarray(lengths))
    if not isinstance(lengths, torch.Tensor):
        raise TypeError(f"{name} must be a 1-D tensor, array or list of lengths, got {_describe(lengths)}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"{name} must have an integer dtype (one length per sequence), got {lengths.dtype}")
    if lengths.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one length per sequence), got shape {tuple(lengths.shape)}")
    if batch is not None and lengths.shape[0] != batch:
        raise ValueError(f"{name} has {lengths.shape[0]} entries but the batch has {batch} sequences: "
                         "give one length per sequence")
    if lengths.numel() == 0:
        raise ValueError(f"{name} is empty: give one length per sequence")
    lengths = lengths.detach().to("cpu", torch.long)
    too_short = (lengths < minimum).nonzero().flatten()
    if too_short.numel():
        i = int(too_short[0])
        why = (" (an empty sequence has no last step: lengths - 1 would wrap around to -1, a padding position)"
               if int(lengths[i]) <= 0 else "")
        raise ValueError(f"{name}[{i}] is {int(lengths[i])}: every length must be at least {minimum}{why}; "
                         f"{too_short.numel()} of {lengths.numel()} are below; drop or fix those sequences")
    if max_len is not None:
        too_long = (lengths > max_len).nonzero().flatten()
        if too_long.numel():
            i = int(too_long[0])
            raise ValueError(f"{name}[{i}] is {int(lengths[i])}, longer than the padded length {max_len}: "
                             f"{too_long.numel()} of {lengths.numel()} lengths exceed the time axis; pad to the "
                             "longest sequence or fix the lengths")
    return lengths


def check_device(device: Any, name: str = "device") -> torch.device:
    """Check a device the user typed ("cpu", "cuda", "cuda:1", "mps", a torch.device or None for the CPU) and
    return it as a torch.device that exists on this machine.

    Raises TypeError for a value that is not a device, ValueError naming `name` for an unknown device string
    ("tpu", "gpu0") or one this machine does not have ("cuda" without a GPU, "cuda:9" with two), with the
    devices that are available.
    """
    if device is None:
        return torch.device("cpu")
    if not isinstance(device, str | torch.device):
        raise TypeError(f"{name} must be a string such as 'cpu' or 'cuda', or a torch.device; got {_describe(device)}")
    available = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        available.append("mps")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"{name} {device!r} is not a device torch knows; use one of {available}") from None
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda" and torch.cuda.is_available() and (dev.index or 0) < torch.cuda.device_count():
        return dev
    if dev.type == "mps" and torch.backends.mps.is_available():
        return dev
    raise ValueError(f"{name} {str(device)!r} is not available on this machine; use one of {available}")


def outputs_in_batch_and_alone(model: torch.nn.Module, x: torch.Tensor) -> tuple[Any, Any, Any]:
    """model(x), model(x[:1]) and model(x[-1:]) in eval mode without gradients (the model's mode is restored):
    the outputs `check_examples_not_mixed` compares. x: (batch >= 2, ...), batch first."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return model(x), model(x[:1]), model(x[-1:])
    finally:
        model.train(was_training)


def check_examples_not_mixed(out: torch.Tensor, first: torch.Tensor, last: torch.Tensor, *, option: str,
                             example: str, layout: str, fix: str) -> None:
    """Check that the first and the last example of a batch, run alone, give what they give in the batch `out`
    (batch, ...): a recurrent layer left at batch_first=False reads the batch axis as time and mixes examples.

    Raises ValueError naming `option`, the `example` word ("example", "window"), the input's `layout` and the fix.
    """
    n = out.shape[0]
    for i, alone in ((0, first), (n - 1, last)):
        same_shape = isinstance(alone, torch.Tensor) and alone.shape == out[i:i + 1].shape
        if same_shape and torch.allclose(alone, out[i:i + 1], atol=1e-4, rtol=1e-3):
            continue
        diff = float((alone - out[i:i + 1]).abs().max()) if same_shape else float("inf")
        raise ValueError(f"{option} mixes the examples of a batch: {example} {i} alone gives other outputs than in a "
                         f"batch of {n} (largest difference {diff:.3g}). x is batch first, {layout}: {fix}")

