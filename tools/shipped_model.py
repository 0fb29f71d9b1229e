"""What the tools that train a shipped model share: train on one thread and time it, round the weights to float16
(measuring what ships), write the weights with their checksum, and the command line (`--check`, `--out`).

Used by `tools.train_charlm_model` (notebook 06's Shakespeare model) and `tools.train_speech_model` (notebook 09's).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch


def train_timed(run: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run `run()` on one torch thread; return its result, the wall-clock minutes and the CPU minutes it took."""
    torch.set_num_threads(1)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = run()
    return result, (time.perf_counter() - start) / 60, (time.process_time() - cpu_start) / 60


def round_to_float16(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The model's state dict in float16 (what ships); the model itself is given the rounded weights (as float32),
    so that what is measured next is what ships."""
    half = {k: v.detach().to(torch.float16) for k, v in model.state_dict().items()}
    model.load_state_dict({k: v.float() for k, v in half.items()})
    return half


def write_weights(folder: Path, name: str, state: dict[str, torch.Tensor]) -> str:
    """Save `state` as folder/name and its sha256 in folder/SHA256SUMS; return the sha256 (hex)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(state, folder / name)
    digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    (folder / "SHA256SUMS").write_text(f"{digest}  {name}\n")
    return digest


def main(doc: str, default_folder: Callable[[], Path], train: Callable[[Path], dict], check: Callable[[Path], int],
         summary: tuple[str, ...], argv: list[str] | None = None) -> int:
    """The command line of a shipped model's tool: train and write (printing the `summary` keys of the record),
    or `--check` the shipped model against its record (exit 1 when a number differs); `--out` another folder."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="re-measure the shipped model instead of training")
    parser.add_argument("--out", type=Path, default=None, help="folder to write to (default: inside rnnlab)")
    args = parser.parse_args(argv)
    folder = args.out or default_folder()
    if args.check:
        return check(folder)
    info = train(folder)
    print(json.dumps({k: info[k] for k in summary}, indent=1))
    return 0
