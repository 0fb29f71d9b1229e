"""Notebook 09 (speech): re-run the notebook's training with its own config on another seed and re-check
every claim the notebook asserts; the shipped model's claims are re-measured too (its weights do not depend
on the seed: the rows repeat them so that every claim is listed for every seed)."""

from __future__ import annotations

from benchmarks.claims import record
from rnnlab.experiments.speech import SpeechConfig, load_shipped_model, run_speech
from rnnlab.metrics.edit_distance import digit_error_rate
from rnnlab.models.ctc import BLANK, decode, predict_log_probs

NB = "09"
CONFIG = dict(steps=300, eval_every=100)   # the notebook's SpeechConfig
BEAM_WIDTH = 8                             # the notebook's beam for the shipped model


def claims(seed: int) -> list[dict]:
    result = run_speech(SpeechConfig(seed=seed, progress=False, **CONFIG))
    m = result.metrics
    lp = result.extras["test_log_probs"][0]
    blank_share = float((lp.argmax(1) == BLANK).float().mean())
    shipped, _ = load_shipped_model()
    shipped_lp = predict_log_probs(shipped, result.extras["real_features"])
    labels = result.extras["real_labels"]
    greedy = digit_error_rate(decode(shipped_lp), labels)
    shipped_test = digit_error_rate(decode(predict_log_probs(shipped, result.extras["test_features"])),
                                    result.extras["test_labels"])
    beam = digit_error_rate(decode(shipped_lp, BEAM_WIDTH), labels)
    return [
        record(NB, "the blank wins on most frames of the first held-out clip", seed, blank_share, ">", 0.5),
        record(NB, "the held-out error rate is below chance", seed, m["digit_error_rate"], "<",
               m["chance_digit_error_rate"]),
        record(NB, "the real-speech error rate is below chance", seed, m["real_digit_error_rate"], "<",
               m["chance_digit_error_rate"]),
        record(NB, "the shipped model's held-out error rate is below a third of chance", seed, shipped_test, "<",
               m["chance_digit_error_rate"] / 3),
        record(NB, "the shipped model's real-speech error rate (greedy) is at most 20%", seed, greedy, "<=", 0.20),
        record(NB, "the shipped model's real-speech error rate (beam) is at most 20%", seed, beam, "<=", 0.20),
        record(NB, "the shipped model beats the notebook's short run on held-out voices", seed, shipped_test, "<",
               m["digit_error_rate"]),
        record(NB, "the shipped model beats the notebook's short run on real speech", seed, greedy, "<",
               m["real_digit_error_rate"]),
    ]
