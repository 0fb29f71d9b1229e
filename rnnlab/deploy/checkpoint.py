"""Save what you trained, load it safely, resume training where it stopped.

A checkpoint is a folder:
- `model.pt`: the model's state dict (tensors only), read back with `torch.load(..., weights_only=True)`;
- `optimizer.pt` (optional): the optimiser's state dict (AdamW's moment estimates and step counts), so that
  training resumes exactly where it stopped instead of restarting the moments at zero;
- `training.pt` (optional): anything else the loop needs to go on (the step, the carried hidden state, the
  random generator's state), tensors and plain numbers only;
- `record.json`: what the weights are (the config they were built with, the data, the metrics measured), the
  torch version that wrote them, and the sha256 of every file above, checked at every load.

Why not `torch.save(model)` or a config object inside the .pt file: since torch 2.6 `torch.load` defaults to
`weights_only=True`, which refuses to unpickle Python objects (unpickling runs code: a file from elsewhere
could do anything). Tensors and plain containers load; a pickled model or dataclass raises
`pickle.UnpicklingError: Weights only load failed ... Unsupported global`. Keeping the description in JSON
beside a tensors-only file loads safely everywhere (`explain_unpickling_error` turns that error into advice).

References: PyTorch "Saving and loading models" and the `torch.load` documentation (weights_only, 2.6 default).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import pickle
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

RECORD = "record.json"
MODEL, OPTIMIZER, TRAINING = "model.pt", "optimizer.pt", "training.pt"
FORMAT = "rnnlab-checkpoint/1"
RESERVED = ("format", "torch", "model_class", "parameters", "optimizer_class", "sha256", "training")


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jsonable(value: Any, where: str) -> Any:
    """value as JSON types (dataclasses -> dicts, tuples -> lists, Paths -> str); TypeError naming `where`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        return value.item()                                                   # numpy scalars
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"record{where} is a {type(value).__name__}, which JSON cannot hold: give numbers, strings, "
                    "lists, dicts or dataclasses (put tensors in `training=`, not in the record)")


def save(model: nn.Module, folder: str | Path, *, record: Mapping[str, Any] | None = None,
         optimizer: torch.optim.Optimizer | None = None, training: Mapping[str, Any] | None = None) -> Path:
    """Write a checkpoint folder (see the module docstring) and return the path of its record.json.

    record: JSON-able description, e.g. {"config": my_config (a dataclass is fine), "data": "shakespeare, first
    100k characters", "metrics": {"bits_per_char": 2.3}}. optimizer: also save its state (to resume training).
    training: other tensors / numbers the loop needs to resume (step, carried state, generator state).
    The folder is created if needed; files of an earlier checkpoint in it are replaced.
    Raises TypeError (model not an nn.Module, record not JSON-able) and OSError (folder not writable).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    record = _jsonable(dict(record or {}), "")
    taken = sorted(set(record) & set(RESERVED))
    if taken:
        raise ValueError(f"record keys {taken} are written by save itself ({', '.join(RESERVED)}): rename yours")
    if training is not None:
        _check_loadable(dict(training))
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"folder {str(folder)!r} is a file, not a folder: give a folder for the checkpoint")
    folder.mkdir(parents=True, exist_ok=True)
    files = {MODEL: model.state_dict()}
    if optimizer is not None:
        files[OPTIMIZER] = optimizer.state_dict()
    if training is not None:
        files[TRAINING] = dict(training)
    digests = {}
    for name, obj in files.items():
        torch.save(obj, folder / name)
        digests[name] = sha256_file(folder / name)
    for name in {OPTIMIZER, TRAINING} - files.keys():          # a stale file of an earlier save would mislead
        (folder / name).unlink(missing_ok=True)
    full = {"format": FORMAT, "torch": torch.__version__, "model_class": type(model).__name__,
            "parameters": sum(p.numel() for p in model.parameters()),
            **({"optimizer_class": type(optimizer).__name__} if optimizer is not None else {}), **record,
            "sha256": digests}
    (folder / RECORD).write_text(json.dumps(full, indent=1) + "\n", encoding="utf-8")
    return folder / RECORD


def _check_loadable(training: dict) -> None:
    """TypeError naming the key of `training` that torch.load(weights_only=True) would refuse at load."""
    for key, value in training.items():
        buffer = io.BytesIO()
        torch.save(value, buffer)
        buffer.seek(0)
        try:
            torch.load(buffer, weights_only=True)
        except pickle.UnpicklingError:
            raise TypeError(f"training[{key!r}] is a {type(value).__name__}, which load (weights_only=True) would "
                            "refuse: give tensors, numbers, strings and lists/dicts of them") from None


def read_record(folder: str | Path) -> dict:
    """The checkpoint's record.json as a dict (no file checked). FileNotFoundError / ValueError naming it."""
    if Path(folder).expanduser().is_file():
        raise NotADirectoryError(f"{folder} is a file: give the checkpoint's folder (the one holding {RECORD})")
    path = Path(folder).expanduser() / RECORD
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: {Path(folder)} is not a checkpoint folder written by "
                                "rnnlab.deploy.save (or it was copied without its record.json)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err}): it is damaged; save the checkpoint again") from None
    if not isinstance(record, dict) or not isinstance(record.get("sha256"), dict):
        raise ValueError(f"{path} has no sha256 table: it was not written by rnnlab.deploy.save")
    if record.get("format") != FORMAT:
        raise ValueError(f"{path} has format {record.get('format')!r}; this rnnlab reads {FORMAT!r} (a newer "
                         "rnnlab wrote it? upgrade rnnlab, or save it again)")
    for name, digest in record["sha256"].items():
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest) or Path(name).name != name:
            raise ValueError(f"{path}: sha256[{name!r}] = {digest!r} is not a file name and 64 hex digits: the "
                             "record was edited by hand; save the checkpoint again")
    return record


def verified_load(path: str | Path, expected_sha256: str | None) -> Any:
    """torch.load(path, weights_only=True) after checking the file's sha256 against `expected_sha256`.

    Raises FileNotFoundError, ValueError ("... is corrupt or was changed after saving ...: save it again or copy
    it again"), and pickle.UnpicklingError with the advice of `explain_unpickling_error`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: copy the whole checkpoint folder, not only some files")
    if expected_sha256 is not None:
        digest = sha256_file(path)
        if digest != expected_sha256:
            raise ValueError(f"{path} is corrupt or was changed after saving: its sha256 {digest[:12]}... differs "
                             f"from the one in {RECORD} ({expected_sha256[:12]}...); copy it again or save it again")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise pickle.UnpicklingError(explain_unpickling_error(err, path)) from None


def _plain(value: Any) -> Any:
    """A hyperparameter comparable across a save/load (tuples and lists alike, tensors as numbers)."""
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split("+")[0].split(".")[:2])


def state_dict_mismatch(expected: Mapping[str, torch.Tensor], found: Mapping[str, Any]) -> str:
    """What differs between a model's state dict (`expected`) and a checkpoint's (`found`), in one line:
    missing and unexpected keys, and keys whose shape or dtype differ (at most 6 of each). "" when they match."""
    parts = []
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]

    def listed(keys):
        return ", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")

    if missing:
        parts.append(f"missing from the checkpoint: {listed(missing)}")
    if unexpected:
        parts.append(f"in the checkpoint but not the model: {listed(unexpected)}")
    shapes = [f"{k} checkpoint {tuple(found[k].shape)} vs model {tuple(v.shape)}" for k, v in expected.items()
              if k in found and isinstance(found[k], torch.Tensor) and found[k].shape != v.shape]
    if shapes:
        parts.append(f"shapes differ: {listed(shapes)}")
    dtypes = [f"{k} checkpoint {found[k].dtype} vs model {v.dtype}" for k, v in expected.items()
              if k in found and isinstance(found[k], torch.Tensor) and found[k].shape == v.shape
              and found[k].dtype != v.dtype]
    if dtypes:
        parts.append(f"dtypes differ (call model.to(the checkpoint's dtype) first): {listed(dtypes)}")
    return "; ".join(parts)


def explain_unpickling_error(err: BaseException, path: str | Path) -> str:
    """Advice for torch.load's weights_only refusal (a checkpoint that pickles Python objects)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip()                  # torch colours its advice
    first = text.splitlines()[0] if text else type(err).__name__
    return (f"{path} holds pickled Python objects, which torch.load(weights_only=True) refuses since torch 2.6 "
            f"({first}). Fix: save only tensors (model.state_dict()) and describe the model in JSON "
            "(rnnlab.deploy.save does); for a file you trust, torch.serialization.add_safe_globals([YourClass]) "
            "or weights_only=False load it.")


def load(folder: str | Path, model: nn.Module, *, optimizer: torch.optim.Optimizer | None = None) -> dict:
    """Load a checkpoint written by `save` into `model` (and `optimizer`), every file's sha256 checked first.

    model: built with the record's config (read it first with `read_record` if you need it).
    Returns the record (a dict), with key "training" holding training.pt's contents when the folder has one.
    Raises FileNotFoundError (no record or a missing file), ValueError (a corrupt file, or an optimizer asked
    for but not saved), pickle.UnpicklingError (pickled objects, with the fix) and RuntimeError naming the
    missing/unexpected weights when the model does not match the checkpoint (built with another config).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module built with the record's config, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    folder = Path(folder).expanduser()
    record = read_record(folder)
    sums = record["sha256"]
    if MODEL not in sums:
        raise ValueError(f"{folder / RECORD} lists no {MODEL}: this is not a model checkpoint")
    if _major_minor(str(record.get("torch"))) != _major_minor(torch.__version__):
        warnings.warn(f"{folder / RECORD}: written by torch {record.get('torch')}, loaded with torch "
                      f"{torch.__version__}; the state dict loads, but outputs may differ slightly (check them)",
                      UserWarning, stacklevel=2)
    state = verified_load(folder / MODEL, sums[MODEL])
    if not isinstance(state, dict):
        raise ValueError(f"{folder / MODEL} holds a {type(state).__name__}, not a state dict: save it again")
    problems = state_dict_mismatch(model.state_dict(), state)
    if problems:
        raise RuntimeError(f"the {type(model).__name__} given does not match the checkpoint in {folder} (a "
                           f"{record.get('model_class')}; build it with the record's config "
                           f"{record.get('config')}): {problems}")
    model.load_state_dict(state)
    if optimizer is not None:
        if OPTIMIZER not in sums:
            raise ValueError(f"{folder} holds no optimizer state (it was saved without optimizer=): resuming "
                             "would restart AdamW's moments; save with optimizer= to resume exactly")
        saved_class = record.get("optimizer_class")
        if saved_class is not None and saved_class != type(optimizer).__name__:
            raise ValueError(f"optimizer= is {type(optimizer).__name__}, the checkpoint holds {saved_class} "
                             f"state: build {saved_class} to resume (its moments mean nothing to another one)")
        owned = {id(q) for q in model.parameters()}
        if any(id(q) not in owned for g in optimizer.param_groups for q in g["params"]):
            raise ValueError("optimizer= was built on parameters that are not model's: build it on the model you "
                             "load into (torch.optim.AdamW(model.parameters(), ...)), or it would train another one")
        saved = verified_load(folder / OPTIMIZER, sums[OPTIMIZER])
        yours = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        try:
            optimizer.load_state_dict(saved)
        except (ValueError, KeyError) as err:
            raise ValueError(f"optimizer= does not match the checkpoint's optimizer ({' '.join(str(err).split())}):"
                             " build it on the parameters of the model given, in the same groups") from None
        changed = sorted({f"{k}: yours {g[k]!r}, checkpoint's {h[k]!r}"
                          for g, h in zip(yours, optimizer.param_groups, strict=True)
                          for k in g if k in h and _plain(g[k]) != _plain(h[k])})
        if changed:
            warnings.warn(f"resuming uses the checkpoint's optimizer settings, not yours ({'; '.join(changed)}); to "
                          "change one, set optimizer.param_groups[i][name] after load", UserWarning, stacklevel=2)
    if TRAINING in sums:
        record["training"] = verified_load(folder / TRAINING, sums[TRAINING])
    return record


__all__ = ["explain_unpickling_error", "load", "read_record", "save", "sha256_file", "state_dict_mismatch",
           "verified_load"]
