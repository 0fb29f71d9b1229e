"""Notebook 09 (speech): re-run the notebook's training with its own config on another seed and re-check
every claim the notebook asserts."""

from __future__ import annotations

from benchmarks.claims import record
from rnnlab.experiments.speech import SpeechConfig, run_speech
from rnnlab.models.ctc import BLANK

NB = "09"
CONFIG = dict(steps=600, eval_every=100)   # the notebook's SpeechConfig


def claims(seed: int) -> list[dict]:
    result = run_speech(SpeechConfig(seed=seed, progress=False, **CONFIG))
    m = result.metrics
    lp = result.extras["test_log_probs"][0]
    blank_share = float((lp.argmax(1) == BLANK).float().mean())
    return [
        record(NB, "the blank wins on most frames of the first held-out clip", seed, blank_share, ">", 0.5),
        record(NB, "the held-out error rate is below a third of chance", seed, m["digit_error_rate"], "<",
               m["chance_digit_error_rate"] / 3),
        record(NB, "real speech is harder than the held-out synthetic voices", seed, m["real_digit_error_rate"], ">",
               m["digit_error_rate"]),
        record(NB, "the real-speech error rate is below chance", seed, m["real_digit_error_rate"], "<",
               m["chance_digit_error_rate"]),
    ]
