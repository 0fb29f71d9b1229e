"""Speech benchmark: the digit error rate of notebook 09's recogniser on held-out synthetic voices and on real
human speech (Allison Smith's digits joined into strings), greedy and beam, with 95% bootstrap intervals,
over a few seeds and training budgets.

Run: `python -m benchmarks.speech [--seeds 0 1 2] [--steps 600 1500]`. Prints a table and writes
benchmarks/results/speech.json. It reports; it asserts nothing. Target (issue 17): real digit error rate at
most 20% on at least 100 real strings.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from rnnlab.experiments.speech import SpeechConfig, run_speech

KEYS = ("digit_error_rate", "digit_error_rate_beam", "real_digit_error_rate", "real_digit_error_rate_low",
        "real_digit_error_rate_high", "real_digit_error_rate_beam", "real_digit_error_rate_beam_low",
        "real_digit_error_rate_beam_high", "chance_digit_error_rate", "n_real")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, nargs="*", default=[600])
    parser.add_argument("--hidden-size", type=int, default=64)
    args = parser.parse_args(argv)
    rows = []
    print(f"{'steps':>6}{'seed':>5}{'held-out':>10}{'real greedy (95% CI)':>26}{'real beam (95% CI)':>26}{'s':>6}")
    for steps in args.steps:
        for seed in args.seeds:
            start = time.perf_counter()
            r = run_speech(SpeechConfig(seed=seed, steps=steps, hidden_size=args.hidden_size, progress=False))
            m = {k: float(r.metrics[k]) for k in KEYS}
            seconds = time.perf_counter() - start
            print(f"{steps:>6}{seed:>5}{m['digit_error_rate']:>10.1%}"
                  f"{m['real_digit_error_rate']:>10.1%} ({m['real_digit_error_rate_low']:.1%}-"
                  f"{m['real_digit_error_rate_high']:.1%})"
                  f"{m['real_digit_error_rate_beam']:>10.1%} ({m['real_digit_error_rate_beam_low']:.1%}-"
                  f"{m['real_digit_error_rate_beam_high']:.1%}){seconds:>6.0f}", flush=True)
            rows.append({"steps": steps, "seed": seed, "hidden_size": args.hidden_size, "seconds": seconds, **m})
    out = Path(__file__).parent / "results" / "speech.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"torch": torch.__version__, "machine": platform.machine(), "rows": rows},
                              indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
