"""Translation metrics: corpus BLEU (through sacrebleu, Post 2018), exact match, and scores per source length.

BLEU (Papineni et al. 2002) is computed by sacrebleu, the reference implementation that makes scores
comparable between papers; rnnlab never re-implements it. Scores are on a 0-100 scale.

Short strings: BLEU multiplies the precisions of 1- to 4-grams, so a corpus whose references are all shorter than
four tokens scores 0 even when every translation is perfect (no 4-gram can match). `corpus_bleu` then uses the
highest order the references allow (the *effective order*, as sacrebleu's sentence BLEU does) and warns saying
so; `bleu_order` tells which order a corpus gets. Hypotheses and references must be tokenised the same way
(`rnnlab.experiments.translation.evaluate_translations` does that for a `ParallelData`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import sacrebleu
from sacrebleu.metrics import BLEU

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


TOKENIZERS = ["13a", "char", "none", "intl"]


def bleu_order(references: Sequence[str], *, tokenize: str = "13a") -> int:
    """The n-gram order BLEU can use on these references: 4, or the longest reference's length in tokens
    (after sacrebleu's `tokenize`) when that is shorter (n-grams longer than every reference cannot match)."""
    check_choice(tokenize, "tokenize", TOKENIZERS)
    tokenizer = BLEU(tokenize=tokenize).tokenizer
    longest = max((len(tokenizer(r.strip()).split()) for r in references), default=0)
    return max(1, min(4, longest))


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], *, tokenize: str = "13a") -> float:
    """Corpus BLEU (0-100) of one reference per hypothesis; `tokenize='char'` scores characters (dates).

    When every reference is shorter than 4 tokens, BLEU-4 would be 0 whatever the translations: the score
    then uses n-grams up to the longest reference's length (`bleu_order`) and a UserWarning says so. A
    UserWarning also says when the hypotheses are all lower-case and references are not (scored in two forms).
    Raises TypeError / ValueError for texts that are not lists of strings of equal length, or empty.
    """
    _check_texts(hypotheses, references)
    order = bleu_order(references, tokenize=tokenize)
    if order < 4:
        warnings.warn(f"BLEU-{order}: every reference is at most {order} token(s) long, so no {order + 1}-gram can "
                      f"match and BLEU-4 would be 0 even for perfect translations; scored with n-grams up to "
                      f"{order} (effective order)", UserWarning, stacklevel=2)
    cased = sum(any(ch.isupper() for ch in r) for r in references)
    if cased and not any(any(ch.isupper() for ch in h) for h in hypotheses):
        warnings.warn(f"the hypotheses are all lower-case but {cased} of {len(references)} references have capitals: "
                      "score both in the same form (for a ParallelData: data.normalize_target(reference)), or BLEU "
                      "counts every capitalised word as wrong", UserWarning, stacklevel=2)
    bleu = BLEU(tokenize=tokenize, max_ngram_order=order)
    return float(bleu.corpus_score(list(hypotheses), [list(references)]).score)


def sentence_bleu(hypothesis: str, reference: str, *, tokenize: str = "13a") -> float:
    """BLEU (0-100) of one sentence against its reference, smoothed by sacrebleu (exp) so that a missing
    4-gram does not zero it; use it to rank single translations, never to report a test set."""
    _check_texts([hypothesis], [reference])
    check_choice(tokenize, "tokenize", TOKENIZERS)
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
    """BLEU, exact match, count and BLEU's n-gram order per bucket of source length:
    {'1-5': {'bleu':, 'exact_match':, 'n':, 'order':}, ...} (order < 4: a bucket of short references, see
    `corpus_bleu`). A bucket with no sentence gets NaN scores, n = 0 and order 0.
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
            out[label] = {"bleu": float("nan"), "exact_match": float("nan"), "n": 0, "order": 0}
            continue
        hyp, ref = [hypotheses[i] for i in idx], [references[i] for i in idx]
        with warnings.catch_warnings():          # the order is returned in the row instead
            warnings.simplefilter("ignore", UserWarning)
            bleu = corpus_bleu(hyp, ref, tokenize=tokenize)
        out[label] = {"bleu": bleu, "exact_match": exact_match(hyp, ref), "n": int(idx.size),
                      "order": bleu_order(ref, tokenize=tokenize)}
    return out
