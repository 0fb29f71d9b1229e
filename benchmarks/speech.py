"""Speech benchmark: the digit error rate of notebook 09's recogniser on held-out synthetic voices and on real
human speech (Allison Smith's digits joined into strings), greedy and beam, with 95% bootstrap intervals,
over a few seeds, training budgets and recipes.

Run: `python -m benchmarks.speech [--seeds 0 1] [--steps 600 1500] [--set hidden_size=96 lr_schedule=cosine]`.
Prints a table (and the real-speech error at every evaluation, which is only reported: no setting is chosen
by it inside a run) and adds its rows to benchmarks/results/speech.json (or `--out`). It reports; it asserts
nothing. Target (issue 17): real digit error rate at most 20% on at least 100 real strings.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import torch

from rnnlab.data.features import speech_features
from rnnlab.data.speech import feature_config, real_digit_strings
from rnnlab.experiments.speech import SpeechConfig, run_speech
from rnnlab.metrics.edit_distance import digit_error_rate
from rnnlab.models.ctc import decode, predict_log_probs
from rnnlab.train import Callback, TrainState

KEYS = ("digit_error_rate", "digit_error_rate_beam", "real_digit_error_rate", "real_digit_error_rate_low",
        "real_digit_error_rate_high", "real_digit_error_rate_beam", "real_digit_error_rate_beam_low",
        "real_digit_error_rate_beam_high", "chance_digit_error_rate", "n_real")
OUT = Path(__file__).parent / "results" / "speech.json"


class RealCurve(Callback):
    """Record the greedy real-speech error rate at every evaluation (a report, not a selection)."""

    def __init__(self, n_real: int) -> None:
        waves, self.labels, _ = real_digit_strings(n_real, seed=1)      # the strings run_speech tests on
        self.feats = [speech_features(w, feature_config()) for w in waves]
        self.curve: list[tuple[int, float]] = []

    def on_eval(self, state: TrainState, metrics: dict[str, float]) -> None:
        rate = digit_error_rate(decode(predict_log_probs(state.model, self.feats)), self.labels)
        self.curve.append((state.step, float(rate)))


def _value(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1])
    parser.add_argument("--steps", type=int, nargs="*", default=[600])
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE",
                        help="other SpeechConfig fields, e.g. hidden_size=96 lr_schedule=cosine")
    parser.add_argument("--out", type=Path, default=OUT, help="JSON file the rows are added to")
    parser.add_argument("--save", type=Path, default=None, help="folder to save each trained model's state dict in")
    args = parser.parse_args(argv)
    extra = {k: _value(v) for k, v in (item.split("=", 1) for item in args.set)}
    rows = []
    print(f"{'steps':>6}{'seed':>5}{'held-out':>10}{'real greedy (95% CI)':>26}{'real beam (95% CI)':>26}{'s':>6}"
          f"  {extra}")
    for steps in args.steps:
        for seed in args.seeds:
            config = SpeechConfig(**{"seed": seed, "steps": steps, "progress": False, **extra})
            curve = RealCurve(config.n_real)
            start = time.perf_counter()
            r = run_speech(config, callbacks=[curve])
            seconds = time.perf_counter() - start
            m = {k: float(r.metrics[k]) for k in KEYS}
            if args.save is not None:
                args.save.mkdir(parents=True, exist_ok=True)
                torch.save(r.model.state_dict(), args.save / f"speech_{steps}_{seed}.pt")
            print(f"{steps:>6}{seed:>5}{m['digit_error_rate']:>10.1%}"
                  f"{m['real_digit_error_rate']:>10.1%} ({m['real_digit_error_rate_low']:.1%}-"
                  f"{m['real_digit_error_rate_high']:.1%})"
                  f"{m['real_digit_error_rate_beam']:>10.1%} ({m['real_digit_error_rate_beam_low']:.1%}-"
                  f"{m['real_digit_error_rate_beam_high']:.1%}){seconds:>6.0f}", flush=True)
            print("   held-out curve:", [(e["step"], round(e["digit_error_rate"], 3)) for e in r.history.evals])
            print("   real curve:    ", [(s, round(v, 3)) for s, v in curve.curve], flush=True)
            rows.append({"config": dataclasses.asdict(config), "seconds": seconds, **m,
                         "held_out_curve": [(e["step"], e["digit_error_rate"]) for e in r.history.evals],
                         "real_curve": curve.curve})
    old = json.loads(args.out.read_text())["rows"] if args.out.is_file() else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"torch": torch.__version__, "machine": platform.machine(), "rows": old + rows},
                                   indent=1) + "\n")
    print(f"added {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
