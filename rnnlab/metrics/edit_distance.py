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


def errors_per_reference(hypothesis: Sequence, reference: Sequence) -> list[int]:
    """The edit distance split over the reference symbols: (len(reference),) error counts summing to
    `edit_distance(hypothesis, reference)`.

    One optimal alignment (the full table, traced back) charges a substitution or a missed symbol to that
    reference symbol, and an extra hypothesis symbol to the reference symbol after it (the last one at the end).
    With an empty reference there is nothing to charge: returns [] (an all-insertion error has no owner).
    """
    n, m = len(hypothesis), len(reference)
    table = [[i + j if i == 0 or j == 0 else 0 for j in range(m + 1)] for i in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,
                              table[i - 1][j - 1] + (hypothesis[i - 1] != reference[j - 1]))
    charge = [0] * m
    i, j = n, m
    while (i > 0 or j > 0) and m:
        if i > 0 and j > 0 and table[i][j] == table[i - 1][j - 1] + (hypothesis[i - 1] != reference[j - 1]):
            charge[j - 1] += int(hypothesis[i - 1] != reference[j - 1])
            i, j = i - 1, j - 1
        elif j > 0 and table[i][j] == table[i][j - 1] + 1:                # reference symbol j missed
            charge[j - 1] += 1
            j -= 1
        else:                                                               # extra hypothesis symbol i
            charge[min(j, m - 1)] += 1
            i -= 1
    return charge


def error_rate_by_recording_interval(hypotheses: Sequence[Sequence], references: Sequence[Sequence],
                                     recordings: Sequence[Sequence] | None = None, level: float = 0.95,
                                     n_boot: int = 2000, seed: int = 0,
                                     compare: Sequence[Sequence] | None = None) -> tuple[float, float]:
    """Percentile bootstrap interval of the digit error rate that resamples *recordings*, not strings.

    When test strings are cut from a few recordings (notebook 09: 120 strings from one speaker's ten
    recorded digits), the strings are not independent: every string with a 5 reuses the one recording of
    "five", so resampling strings understates the uncertainty. Here each reference symbol is charged its
    errors (`errors_per_reference`), the errors and symbols are totalled per recording, and the recordings
    are resampled with replacement `n_boot` times (a cluster bootstrap; Davison & Hinkley 1997, section 3.8).

    recordings: per string, the recording id of each reference symbol (default: the symbol itself, one
    recording per digit). compare: a second system's hypotheses on the same strings; then the interval is
    of the paired difference rate(hypotheses) - rate(compare), with the same resampled recordings for both.
    Returns the (1 - level) / 2 and (1 + level) / 2 quantiles. Raises ValueError for mismatched lengths.
    """
    import numpy as np

    if len(hypotheses) != len(references) or (compare is not None and len(compare) != len(references)):
        raise ValueError(f"got {len(hypotheses)} hypotheses for {len(references)} references")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    recordings = references if recordings is None else recordings
    ids = sorted({u for rec in recordings for u in rec}, key=str)
    if not ids:
        raise ValueError("the references hold no symbols; the error rate is undefined")
    index = {u: k for k, u in enumerate(ids)}

    def totals(hyps: Sequence[Sequence]) -> tuple[np.ndarray, np.ndarray]:
        errors, counts = np.zeros(len(ids)), np.zeros(len(ids))
        for h, r, rec in zip(hyps, references, recordings, strict=True):
            if len(rec) != len(r):
                raise ValueError("recordings must give one id per reference symbol")
            for e, u in zip(errors_per_reference(h, r), rec, strict=True):
                errors[index[u]] += e
                counts[index[u]] += 1
        return errors, counts

    errors, counts = totals(hypotheses)
    picks = np.random.default_rng(seed).integers(0, len(ids), (n_boot, len(ids)))      # (n_boot, recordings)
    n = np.maximum(counts[picks].sum(1), 1.0)
    rates = errors[picks].sum(1) / n
    if compare is not None:
        rates = rates - totals(compare)[0][picks].sum(1) / n
    low, high = np.quantile(rates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
