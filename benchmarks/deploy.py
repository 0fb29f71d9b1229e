"""Deployment numbers that notebook 12 quotes (issue 25): streaming latency, quantization, and what a
unidirectional speech model costs.

Parts (each writes its own key of results/deploy.json; the other keys are kept):
- latency: the shipped char LM (notebook 06), one character per call at batch 1 and one thread, through eager
  PyTorch (the model's own forward, state carried) and through ONNX Runtime (float32 and dynamic int8), after a
  warm-up; median microseconds per step over REPEATS rounds of STEPS steps, and their ratio (target: ONNX
  Runtime at least 3x faster). The ratio is taken against the bare layers (embedding, nn.LSTM, head: the same
  graph ONNX Runtime runs), not against CharLM.forward, whose input checks cost a little more per call. Also
  the file sizes and held-out bits per character of both ONNX files.
- speech: notebook 09's recipe (the shipped model's: `tools.train_speech_model`'s RECIPE, seed 0, 1,200 AdamW
  steps) trained twice, bidirectional (as shipped) and unidirectional (`bidirectional=False`: the same hidden
  size per direction, so half the recurrent weights), each measured on every held-out synthetic clip and on
  the real strings. One seed each: the cost of a causal model at this budget, not its spread over seeds.
- speech-matched: a third run, unidirectional with `hidden_size` raised until its parameter count is the
  bidirectional model's (within 1%), so that "forward-only" is not confounded with "fewer parameters". It is
  added to the speech key as `unidirectional_matched` (the other runs are kept).

Usage: python -m benchmarks.deploy [--part latency|speech|speech-matched|all]  (one thread; speech: ~8 CPU min)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
STEPS, REPEATS, WARMUP = 500, 7, 100


def machine() -> dict:
    """Where the numbers were measured."""
    import onnxruntime
    import torch

    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
            "threads": 1}


def interleaved_seconds(steps_by_name: dict, steps: int = STEPS, repeats: int = REPEATS,
                        warmup: int = WARMUP) -> dict[str, list[float]]:
    """Seconds per call of each step() (each carries its own state), one number per round; the rounds of the
    different methods alternate, so a change of load on a shared machine hits them all alike."""
    for step in steps_by_name.values():
        for _ in range(warmup):
            step()
    rounds: dict[str, list[float]] = {name: [] for name in steps_by_name}
    for _ in range(repeats):
        for name, step in steps_by_name.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            rounds[name].append((time.perf_counter() - start) / steps)
    return rounds


def latency_part() -> dict:
    import numpy as np
    import torch

    from rnnlab.deploy.onnx import ExplicitState, export_charlm, onnx_session
    from rnnlab.experiments.charlm import load_shipped_charlm

    torch.set_num_threads(1)
    model, vocab, _ = load_shipped_charlm()
    with tempfile.TemporaryDirectory() as tmp:
        record = export_charlm(Path(tmp), model=model, vocab=vocab)
        sessions = {kind: onnx_session(Path(tmp) / record["files"][kind]["file"], threads=1)
                    for kind in ("float32", "int8")}
        x = np.array([[vocab.stoi.get("e", 1)]], dtype=np.int64)                  # (1, 1) one character
        H = model.hidden_size
        box = [(torch.zeros(1, 1, H), torch.zeros(1, 1, H))]
        bare, box2 = ExplicitState(model).eval(), [torch.zeros(1, 1, H), torch.zeros(1, 1, H)]
        xt = torch.from_numpy(x)

        def eager_step():
            with torch.no_grad():
                _, box[0] = model(xt, box[0])

        def bare_step():                                   # the layers alone, without CharLM's input checks
            with torch.no_grad():
                _, box2[0], box2[1] = bare(xt, box2[0], box2[1])

        def ort_step(session):
            feed = {"x": x, "h_in": np.zeros((1, 1, H), np.float32), "c_in": np.zeros((1, 1, H), np.float32)}

            def step():
                _, feed["h_in"], feed["c_in"] = session.run(None, feed)
            return step

        results = interleaved_seconds({"eager PyTorch (CharLM.forward)": eager_step,
                                       "eager PyTorch (layers only)": bare_step,
                                       **{f"ONNX Runtime {k}": ort_step(s) for k, s in sessions.items()}})
    rows = {name: {"median_us": round(statistics.median(r) * 1e6, 2), "min_us": round(min(r) * 1e6, 2),
                   "max_us": round(max(r) * 1e6, 2)} for name, r in results.items()}
    eager, ort32, ort8 = (statistics.median(results[k]) for k in
                          ("eager PyTorch (layers only)", "ONNX Runtime float32", "ONNX Runtime int8"))
    for name, row in rows.items():
        print(f"{name:<32} {row['median_us']:8.1f} µs per step (rounds {row['min_us']:.1f}-{row['max_us']:.1f})")
    print(f"ONNX Runtime float32 is {eager / ort32:.1f}x as fast as eager PyTorch's layers per step (target >= 3x); "
          f"int8 {eager / ort8:.1f}x")
    return {"machine": machine(), "steps": STEPS, "repeats": REPEATS, "warmup": WARMUP, "per_step": rows,
            "speedup_float32": round(eager / ort32, 2), "speedup_int8": round(eager / ort8, 2),
            "int8_vs_float32_time": round(ort8 / ort32, 3), "export": {k: record[k] for k in ("files", "quality")}}


def speech_part() -> dict:
    import torch

    from rnnlab.experiments.speech import SpeechConfig, run_speech
    from tools.train_speech_model import RECIPE

    torch.set_num_threads(1)
    out = {"recipe": {**RECIPE, "note": "tools.train_speech_model's recipe; SpeechConfig defaults otherwise"}}
    for name, bidirectional in (("bidirectional", True), ("unidirectional", False)):
        start = time.process_time()
        result = run_speech(SpeechConfig(**RECIPE, bidirectional=bidirectional, progress=False))
        keys = ("digit_error_rate", "digit_error_rate_beam", "real_digit_error_rate", "real_digit_error_rate_low",
                "real_digit_error_rate_high", "chance_digit_error_rate", "steps")
        out[name] = {**{k: result.metrics[k] for k in keys},
                     "parameters": sum(p.numel() for p in result.model.parameters()),
                     "config": dataclasses.asdict(result.config),
                     "cpu_minutes": round((time.process_time() - start) / 60, 2)}
        print(name, {k: round(v, 4) if isinstance(v, float) else v for k, v in out[name].items() if k != "config"},
              flush=True)
    out["machine"] = machine()
    return out


def matched_hidden_size(target: int, n_mels: int, subsample: int, cell: str = "gru") -> int:
    """The forward-only hidden_size whose CTCAcousticModel has the parameter count closest to `target`."""
    from rnnlab.models.ctc import AcousticConfig, CTCAcousticModel

    def count(h: int) -> int:
        config = AcousticConfig(n_mels=n_mels, hidden_size=h, num_layers=1, cell=cell, subsample=subsample,
                                bidirectional=False)
        return sum(p.numel() for p in CTCAcousticModel(config).parameters())

    return min(range(16, 257), key=lambda h: abs(count(h) - target))


def speech_matched_part(speech: dict) -> dict:
    """speech with `unidirectional_matched` added: forward-only, as many parameters as the bidirectional run."""
    import torch

    from rnnlab.experiments.speech import SpeechConfig, run_speech
    from tools.train_speech_model import RECIPE

    torch.set_num_threads(1)
    base = SpeechConfig(**RECIPE, progress=False)
    if base.num_layers != 1:
        raise ValueError(f"matched_hidden_size assumes one recurrent layer, the recipe has {base.num_layers}")
    from rnnlab.experiments.speech import feature_config

    hidden = matched_hidden_size(speech["bidirectional"]["parameters"], feature_config().n_mels, base.subsample,
                                 base.model)
    start = time.process_time()
    result = run_speech(dataclasses.replace(base, bidirectional=False, hidden_size=hidden))
    keys = ("digit_error_rate", "digit_error_rate_beam", "real_digit_error_rate", "real_digit_error_rate_low",
            "real_digit_error_rate_high", "chance_digit_error_rate", "steps")
    row = {**{k: result.metrics[k] for k in keys}, "parameters": sum(p.numel() for p in result.model.parameters()),
           "config": dataclasses.asdict(result.config), "cpu_minutes": round((time.process_time() - start) / 60, 2)}
    print("unidirectional_matched", {k: v for k, v in row.items() if k != "config"}, flush=True)
    return {**speech, "unidirectional_matched": row}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["latency", "speech", "speech-matched", "all"], default="all")
    args = parser.parse_args(argv)
    path = RESULTS / "deploy.json"
    results = json.loads(path.read_text()) if path.is_file() else {}
    for part, fn in (("latency", latency_part), ("speech", speech_part)):
        if args.part in (part, "all"):
            results[part] = fn()
            RESULTS.mkdir(exist_ok=True)
            results = {**json.loads(path.read_text()), part: results[part]} if path.is_file() else results
            path.write_text(json.dumps(results, indent=1) + "\n")
    if args.part in ("speech-matched", "all"):
        results["speech"] = speech_matched_part(results["speech"])
        results = {**json.loads(path.read_text()), "speech": results["speech"]}
        path.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
