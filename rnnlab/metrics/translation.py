"""Translation metrics: corpus BLEU (through sacrebleu, Post 2018), exact match, and scores per source length.

BLEU (Papineni et al. 2002) is computed by sacrebleu, the reference implementation that makes scores
comparable between papers; rnnlab never re-implements it. Scores are on a 0-100 scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sacrebleu

from rnnlab.validate import check_choice


def _check_texts(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    for name, texts in (("hypotheses", hypotheses), ("references", references)):
        if isinstance(texts, str):
            raise TypeError(f"{name} must be a list of strings, got one str; wrap it in a list")
        if not all(isinstance(t, str) for t in texts):
            raise TypeError(f"{name} must be a list of strings")
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses but {len(references)} references; expected one each")
    if len(hypotheses) == 0:
        raise ValueError("no sentences to score: hypotheses and references are empty")


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], *, tokenize: str = "13a") -> float:
    """Corpus BLEU (0-100) of one reference per hypothesis; `tokenize='char'` scores characters (dates)."""
    _check_texts(hypotheses, references)
    check_choice(tokenize, "tokenize", ["13a", "char", "none", "intl"])
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize=tokenize).score)


def sentence_bleu(hypothesis: str, reference: str, *, tokenize: str = "13a") -> float:
    """BLEU (0-100) of one sentence against its reference, smoothed by sacrebleu (exp) so that a missing
    4-gram does not zero it; use it to rank single translations, never to report a test set."""
    _check_texts([hypothesis], [reference])
    check_choice(tokenize, "tokenize", ["13a", "char", "none", "intl"])
    return float(sacrebleu.sentence_bleu(hypothesis, [reference], tokenize=tokenize).score)


def exact_match(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Fraction (0-1) of hypotheses equal to their reference, ignoring leading/trailing spaces."""
    _check_texts(hypotheses, references)
    return float(np.mean([h.strip() == r.strip() for h, r in zip(hypotheses, references, strict=True)]))


def bucket_labels(edges: Sequence[int]) -> list[str]:
    """Edges (5, 10, 20) -> labels ['1-5', '6-10', '11-20'] (lengths above the last edge are not bucketed)."""
    if len(edges) == 0 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or edges[0] < 1:
        raise ValueError(f"edges must be increasing positive lengths, got {list(edges)}")
    lows = [1, *[e + 1 for e in edges[:-1]]]
    return [f"{lo}-{hi}" for lo, hi in zip(lows, edges, strict=True)]


def scores_by_length(hypotheses: Sequence[str], references: Sequence[str], source_lengths: Sequence[int],
                     edges: Sequence[int], *, tokenize: str = "13a") -> dict[str, dict[str, float]]:
    """BLEU, exact match and count per bucket of source length: {'1-5': {'bleu':, 'exact_match':, 'n':}, ...}.

    A bucket with no sentence gets NaN scores and n = 0.
    """
    _check_texts(hypotheses, references)
    if len(source_lengths) != len(hypotheses):
        raise ValueError(f"got {len(source_lengths)} source lengths for {len(hypotheses)} hypotheses")
    labels = bucket_labels(edges)
    lengths = np.asarray(source_lengths)
    lows = [1, *[e + 1 for e in edges[:-1]]]
    out = {}
    for label, lo, hi in zip(labels, lows, edges, strict=True):
        idx = np.where((lengths >= lo) & (lengths <= hi))[0]
        if idx.size == 0:
            out[label] = {"bleu": float("nan"), "exact_match": float("nan"), "n": 0}
            continue
        hyp, ref = [hypotheses[i] for i in idx], [references[i] for i in idx]
        out[label] = {"bleu": corpus_bleu(hyp, ref, tokenize=tokenize), "exact_match": exact_match(hyp, ref),
                      "n": int(idx.size)}
    return out
