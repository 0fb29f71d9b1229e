"""Edit (Levenshtein) distance and the digit error rate of a recogniser.

The error rate of a speech recogniser is (substitutions + deletions + insertions) / reference length,
summed over a test set (Levenshtein 1966; the word error rate of speech recognition).
"""

from __future__ import annotations

from collections.abc import Sequence


def edit_distance(hypothesis: Sequence, reference: Sequence) -> int:
    """Fewest substitutions, deletions and insertions that turn `hypothesis` into `reference`.

    Dynamic programming over a (len(hyp) + 1) x (len(ref) + 1) table, kept one row at a time.
    """
    for name, seq in (("hypothesis", hypothesis), ("reference", reference)):
        if not isinstance(seq, Sequence):
            raise TypeError(f"{name} must be a sequence (list, tuple or str), got {type(seq).__name__}")
    previous = list(range(len(reference) + 1))            # distance from the empty hypothesis
    for i, h in enumerate(hypothesis, start=1):
        current = [i]
        for j, r in enumerate(reference, start=1):
            current.append(min(previous[j] + 1,            # delete h
                               current[j - 1] + 1,         # insert r
                               previous[j - 1] + (h != r)))  # substitute (free when equal)
        previous = current
    return previous[-1]


def digit_error_rate(hypotheses: Sequence[Sequence], references: Sequence[Sequence]) -> float:
    """Total edit distance / total reference length over a set of utterances (can exceed 1)."""
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses for {len(references)} references")
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("the references hold no symbols; the error rate is undefined")
    return sum(edit_distance(h, r) for h, r in zip(hypotheses, references, strict=True)) / total


def error_rate_interval(hypotheses: Sequence[Sequence], references: Sequence[Sequence], level: float = 0.95,
                        n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of `digit_error_rate`: resample the utterances with replacement
    `n_boot` times and return the (1 - level) / 2 and (1 + level) / 2 quantiles of the error rate
    (Efron & Tibshirani 1993). The utterance, not the digit, is resampled: errors within a string go together.
    """
    import numpy as np

    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses for {len(references)} references")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive int, got {n_boot!r}")
    errors = np.array([edit_distance(h, r) for h, r in zip(hypotheses, references, strict=True)], float)
    lengths = np.array([len(r) for r in references], float)
    if lengths.sum() == 0:
        raise ValueError("the references hold no symbols; the error rate is undefined")
    picks = np.random.default_rng(seed).integers(0, len(errors), (n_boot, len(errors)))  # (n_boot, utterances)
    rates = errors[picks].sum(1) / np.maximum(lengths[picks].sum(1), 1.0)
    low, high = np.quantile(rates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
