"""Train the speech model that ships with rnnlab (notebook 09 loads it) and record how it was made.

    python -m tools.train_speech_model            # train (one CPU thread), write the files below
    python -m tools.train_speech_model --check    # re-measure the shipped model; exit 1 if a number differs

It trains with `rnnlab.experiments.speech.run_speech` on the shipped data (`RECIPE` below, seed 0), rounds
the weights to float16, measures the rounded model on every held-out synthetic clip and on the real strings
that `run_speech` tests on (greedy and beam, 95% bootstrap intervals), and writes into
rnnlab/data/files/speech_model/:
- speech_model.pt: the float16 state dict of the `CTCAcousticModel`;
- speech_model.json: the SpeechConfig fields, the AcousticConfig, the command, the minutes it took (wall
  clock, and CPU time of its one thread: on a busy machine the wall clock is longer), torch's version, the
  weights' sha256 and the measured metrics;
- SHA256SUMS: the weights' checksum (checked by `load_shipped_model` on every load and by the tests).
Training is seeded and uses one thread, so the same machine, torch and numpy give the same weights; another
CPU may round differently and end a little elsewhere (the record keeps what this run measured).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import torch

from rnnlab.data.features import normalize_features
from rnnlab.data.speech import load_speech_digits
from rnnlab.experiments.speech import (
    SHIPPED_INFO,
    SHIPPED_WEIGHTS,
    SpeechConfig,
    load_shipped_model,
    real_speech_metrics,
    run_speech,
    shipped_model_dir,
)
from rnnlab.metrics.edit_distance import digit_error_rate
from rnnlab.models.ctc import decode, predict_log_probs
from tools.shipped_model import main as shipped_main
from tools.shipped_model import round_to_float16, train_timed, write_weights

COMMAND = "python -m tools.train_speech_model"
RECIPE = dict(seed=0, steps=1200, eval_every=200)   # the other fields: SpeechConfig's defaults


def measure(model: torch.nn.Module, config: SpeechConfig, real_feats: list, real_labels: list) -> dict:
    """The held-out and real-speech error rates of `model` (what the notebook recomputes)."""
    test = load_speech_digits("test")
    test_lp = predict_log_probs(model, [normalize_features(f) for f in test.feats])
    real = real_speech_metrics(predict_log_probs(model, real_feats), real_labels, config.beam_width, seed=config.seed)
    return {"digit_error_rate": digit_error_rate(decode(test_lp), test.labels),
            "digit_error_rate_beam": digit_error_rate(decode(test_lp, config.beam_width), test.labels),
            **{k: v for k, v in real.items() if k.startswith("real_")}, "n_real": len(real_labels)}


def real_strings(config: SpeechConfig) -> tuple[list, list]:
    """The real strings `run_speech` tests on, as features (the same call, the same seed)."""
    from rnnlab.data.features import speech_features
    from rnnlab.data.speech import feature_config, real_digit_strings

    waves, labels, _ = real_digit_strings(config.n_real, seed=1)
    return [speech_features(w, feature_config()) for w in waves], labels


def train(folder: Path) -> dict:
    config = SpeechConfig(**RECIPE)
    result, minutes, cpu_minutes = train_timed(lambda: run_speech(config))
    half = round_to_float16(result.model)                                     # measure what ships: the fp16 weights
    metrics = measure(result.model, config, result.real_features, result.real_labels)
    digest = write_weights(folder, SHIPPED_WEIGHTS, half)
    info = {"command": COMMAND, "config": dataclasses.asdict(config),
            "acoustic_config": dataclasses.asdict(result.model.config), "steps": result.metrics["steps"],
            "minutes": round(minutes, 1), "cpu_minutes": round(cpu_minutes, 1), "threads": 1,
            "torch": torch.__version__, "sha256": digest,
            "metrics": metrics, "metrics_before_float16": {k: result.metrics[k] for k in metrics},
            "held_out_curve": [[e["step"], e["digit_error_rate"]] for e in result.history.evals]}
    (folder / SHIPPED_INFO).write_text(json.dumps(info, indent=1) + "\n")
    return info


def check(folder: Path) -> int:
    model, info = load_shipped_model(folder)
    config = SpeechConfig(**info["config"])
    metrics = measure(model, config, *real_strings(config))
    recorded = {k: v for k, v in metrics.items() if k in info["metrics"]}   # metrics added later are not compared
    bad = {k: (v, info["metrics"][k]) for k, v in recorded.items() if abs(v - info["metrics"][k]) > 1e-9}
    for k, v in metrics.items():
        print(f"{k}: measured {v:.4f}, " + (f"recorded {info['metrics'][k]:.4f}" if k in recorded else "not recorded"))
    print("all metrics match the record" if not bad else f"differ from the record: {bad}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    return shipped_main(__doc__, shipped_model_dir, train, check, ("minutes", "sha256", "metrics"), argv)


if __name__ == "__main__":
    sys.exit(main())
