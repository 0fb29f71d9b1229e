"""Experiments: every model a notebook trains is trained by one of these functions.

Run one from a terminal: `python -m rnnlab.experiments NAME --seed S [options]` (see `--list`).
Each module in this package registers its experiments with `@experiment(...)`; importing the package
imports them all.
"""

import importlib
import pkgutil

from rnnlab.experiments.registry import EXPERIMENTS, Experiment, Result, experiment

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("registry", "__main__"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["EXPERIMENTS", "Experiment", "Result", "experiment"]
