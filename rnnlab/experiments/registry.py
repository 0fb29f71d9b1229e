"""The experiment registry: one function per experiment, one dataclass config each.

An experiment is a function `run(config) -> Result`. The command-line runner builds its options from the
config's fields (`hidden_size` -> `--hidden-size`, a bool -> `--flag/--no-flag`, field metadata
`choices=[...]` -> a fixed set of values), and notebooks call the same function with the same config.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from rnnlab.validate import check_choice, check_float, check_int


@dataclass(kw_only=True)
class TrainingBlock:
    """The training fields every experiment's config shares (a config = its task fields + this block).

    An experiment config inherits it and may give a field another default (e.g. `steps: int = 1500`);
    `--help` of the command-line runner shows each field's comment.
    """

    seed: int = 0                          # seeds initialisation, data order and sampling
    steps: int = 1000                      # optimisation steps (the budget that results depend on)
    batch_size: int = 64                   # examples per optimisation step
    lr: float = 1e-3                       # AdamW learning rate
    clip_grad_norm: float | None = 1.0     # rescale the gradient to this norm when larger (None: no clipping)
    eval_every: int = 100                  # steps between evaluations (and one at the end)
    progress: bool = True                  # show a progress bar

    def __post_init__(self) -> None:
        self.check_fields()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A config's own `__post_init__` (its task-specific checks) runs after `check_fields`, always."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__post_init__")
        if own is not None and not getattr(own, "_checks_fields", False):
            def __post_init__(self: TrainingBlock, _own: Callable = own) -> None:
                TrainingBlock.check_fields(self, own=_own)
                _own(self)

            __post_init__._checks_fields = True  # type: ignore[attr-defined]
            cls.__post_init__ = __post_init__  # type: ignore[method-assign]

    def check_fields(self, own: Callable[[Any], None] | None = None) -> None:
        """Refuse, by the option's name, a value of the wrong type, a non-finite number, a negative count, a value
        outside a field's `choices`, and the shared fields' impossible values (steps, batch size, lr...).

        The most specific limit speaks first: the shared fields' own limits (steps >= 1...) before the generic
        ones, and for a negative count the config's own checks (`own`, its `__post_init__`: e.g. T >= 2) before
        the generic ">= 0", so a user is never told ">= 0" and then, for 0, ">= 1"."""
        shared = {"seed": (check_int, dict(minimum=0, maximum=2**32 - 1)), "steps": (check_int, dict(minimum=1)),
                  "batch_size": (check_int, dict(minimum=1)), "eval_every": (check_int, dict(minimum=1)),
                  "lr": (check_float, dict(minimum=0.0, strict_minimum=True)),
                  "clip_grad_norm": (check_float, dict(minimum=0.0, strict_minimum=True))}
        for name, (check, bounds) in shared.items():
            if getattr(self, name) is not None:  # a config may leave one to be resolved later (None)
                check(getattr(self, name), f"{name} (--{name.replace('_', '-')})", **bounds)
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value, (kind, optional) = getattr(self, f.name), _base_type(hints[f.name])
            option = "--" + f.name.replace("_", "-")
            if value is None:
                if not optional:
                    raise TypeError(f"{f.name} ({option}) must be set; None is not allowed")
                continue
            if kind is bool:
                if not isinstance(value, bool):
                    raise TypeError(f"{f.name} ({option}) must be True or False, got {value!r}")
            elif kind is int:
                try:
                    check_int(value, f"{f.name} ({option})", minimum=0)
                except ValueError:
                    if own is not None:
                        own(self)                       # its own limit (e.g. T >= 2) names the right bound
                    raise
            elif kind is float:
                check_float(value, f"{f.name} ({option})")
            elif kind is str and not isinstance(value, str):
                raise TypeError(f"{f.name} ({option}) must be a string, got {type(value).__name__} ({value!r})")
            if f.metadata.get("choices") is not None:
                check_choice(value, f"{f.name} ({option})", f.metadata["choices"])

    def train_config(self, desc: str = "training", **overrides: Any) -> Any:
        """The `rnnlab.train.TrainConfig` for this block (steps, lr, clipping, evaluation, progress)."""
        from rnnlab.train import TrainConfig

        fields = dict(steps=self.steps, lr=self.lr, clip_grad_norm=self.clip_grad_norm,
                      eval_every=self.eval_every, progress=self.progress, desc=desc)
        fields.update(overrides)
        return TrainConfig(**fields)


@functools.cache
def field_comments(config_class: type) -> dict[str, str]:
    """Each field's end-of-line comment in the class body (and its bases'): `steps: int = 1  # budget`."""
    comments: dict[str, str] = {}
    for cls in reversed(config_class.__mro__):
        if not dataclasses.is_dataclass(cls):
            continue
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):
            continue
        for match in re.finditer(r"^\s+(\w+)\s*:[^\n#]*#\s*(.+)$", source, flags=re.MULTILINE):
            comments[match.group(1)] = match.group(2).strip()
    return comments


@dataclass
class Result:
    """What an experiment returns: metrics for the runner, plus the model and history for notebooks."""

    metrics: dict[str, float]                      # plain numbers, printed as JSON by the runner
    config: Any                                    # the dataclass config that was used
    model: torch.nn.Module | None = None           # the trained model (notebooks inspect it)
    history: Any = None                            # rnnlab.train.History, or a dict of them
    extras: dict[str, Any] = field(default_factory=dict)  # anything else a notebook wants to plot


@dataclass
class Experiment:
    name: str
    run: Callable[[Any], Result]
    config_class: type
    help: str


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, config_class: type, help: str) -> Callable:
    """Register `run(config) -> Result` under `name` (used as a decorator)."""
    if not dataclasses.is_dataclass(config_class):
        raise TypeError(f"config_class for {name!r} must be a dataclass, got {config_class!r}")

    def register(run: Callable[[Any], Result]) -> Callable[[Any], Result]:
        if name in EXPERIMENTS:
            raise ValueError(f"experiment {name!r} is registered twice")
        EXPERIMENTS[name] = Experiment(name, run, config_class, help)
        return run

    return register


def _base_type(annotation: Any) -> tuple[type, bool]:
    """(the scalar type of a field, whether None is allowed) from its annotation."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
    return annotation, optional


def add_config_arguments(parser: argparse.ArgumentParser, config_class: type) -> None:
    """Add one command-line option per dataclass field."""
    hints = typing.get_type_hints(config_class)
    for f in dataclasses.fields(config_class):
        kind, optional = _base_type(hints[f.name])
        flags = [f"--{f.name.replace('_', '-')}"]
        if "_" in f.name:
            flags.append(f"--{f.name}")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        help_text = ((f.metadata.get("help") or field_comments(config_class).get(f.name, "")).replace("%", "%%")
                     + f" (default: {default})")
        if kind is bool:
            parser.add_argument(*flags, dest=f.name, action=argparse.BooleanOptionalAction, default=default,
                                help=help_text)
            continue
        convert = kind
        if optional or kind in (int, float):
            what = {int: "an integer", float: "a number"}.get(kind, kind.__name__) + (" or 'none'" if optional else "")

            def convert(text: str, kind: type = kind, optional: bool = optional, what: str = what) -> Any:
                if optional and text.strip().lower() == "none":
                    return None
                try:
                    return kind(text)
                except (TypeError, ValueError):
                    raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        parser.add_argument(*flags, dest=f.name, type=convert, default=default,
                            choices=f.metadata.get("choices"), help=help_text)


def config_from_args(config_class: type, args: argparse.Namespace) -> Any:
    """Build the config dataclass from parsed arguments."""
    names = [f.name for f in dataclasses.fields(config_class)]
    return config_class(**{name: getattr(args, name) for name in names})
