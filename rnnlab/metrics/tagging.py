"""Scores of a sequence tagger: token accuracy, span F1 (seqeval's definition), invalid BIO transitions.

- `token_accuracy(gold, predicted)`: the share of tokens whose tag is right (sequences of equal lengths).
- `get_spans(tags)`: the labelled spans `(type, start, end)` (end inclusive) of a tag sequence, read the way the
  `seqeval` package reads them in its default mode (conlleval's rules: B-, I-, E-, S- prefixes, O outside; an
  I- tag after O or after another type starts a span; a change of type ends one). A list of sequences is read
  as one sequence with an O between sequences, so positions count across them (as seqeval does).
- `span_scores(gold, predicted) -> SpanScores`: micro precision, recall and F1 over exact span matches (type,
  start and end all equal), equal to `seqeval.metrics.precision_score / recall_score / f1_score` (tests check
  it on random and edge cases); 0 where a denominator is 0 (seqeval's `zero_division` default, without its
  warning).
- `invalid_transitions(tags)`: how many I-X tags follow neither B-X nor I-X (the tag pairs a BIO-consistent
  decoder such as a CRF learns never to produce; seqeval repairs them silently by starting a span).
- `per_tag_errors(gold, predicted)`: for each gold tag, how many tokens got it wrong and what they got instead.

Sources: seqeval 1.2.2 (H. Nakayama, https://github.com/chakki-works/seqeval, MIT licence), which follows the
CoNLL-2000 evaluation script conlleval (Tjong Kim Sang and Buchholz 2000).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

Tags = Sequence[str]


def _check_pairs(gold: Sequence[Tags], predicted: Sequence[Tags]) -> None:
    if isinstance(gold, str) or isinstance(predicted, str):
        raise TypeError("gold and predicted must be lists of tag sequences (lists of str), not one string")
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} sequences and predicted has {len(predicted)}: give one predicted "
                         "sequence per gold sequence")
    for i, (g, p) in enumerate(zip(gold, predicted, strict=True)):
        if isinstance(g, str) or isinstance(p, str):
            raise TypeError(f"sequence {i} is a string: give each sequence as a list of tags")
        if len(g) != len(p):
            raise ValueError(f"sequence {i}: gold has {len(g)} tags and predicted has {len(p)}: one tag per token")


def token_accuracy(gold: Sequence[Tags], predicted: Sequence[Tags]) -> float:
    """The share of tokens whose predicted tag equals the gold tag, over all sequences (a number in [0, 1]).

    gold, predicted: lists of tag sequences, pairwise of equal length. Raises ValueError for unequal lengths
    or no tokens, TypeError for a bare string."""
    _check_pairs(gold, predicted)
    total = sum(len(g) for g in gold)
    if total == 0:
        raise ValueError("there are no tokens to score")
    right = sum(a == b for g, p in zip(gold, predicted, strict=True) for a, b in zip(g, p, strict=True))
    return right / total


def _split(tag: str) -> tuple[str, str]:
    """(prefix letter, type) as seqeval's default mode reads a tag: 'B-PER' -> ('B', 'PER'), 'O' -> ('O', '_')."""
    return tag[:1], tag[1:].split("-", maxsplit=1)[-1] or "_"


def _ends(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _starts(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_type != type_


def get_spans(tags: Tags | Sequence[Tags]) -> list[tuple[str, int, int]]:
    """The spans `(type, start, end)` (end inclusive) of one tag sequence, or of a list of sequences read as one
    with an 'O' between them (positions count across sequences), exactly as seqeval's `get_entities`."""
    if isinstance(tags, str):
        raise TypeError("tags must be a list of tags (str), not one string")
    seq = list(tags)
    if any(isinstance(s, list | tuple) for s in seq):
        seq = [t for sub in seq for t in [*sub, "O"]]
    prev_tag, prev_type, begin, spans = "O", "", 0, []
    for i, chunk in enumerate([*seq, "O"]):
        if not isinstance(chunk, str):
            raise TypeError(f"tag {i} is {chunk!r}: tags must be strings such as 'B-PER', 'I-PER', 'O'")
        tag, type_ = _split(chunk)
        if _ends(prev_tag, tag, prev_type, type_):
            spans.append((prev_type, begin, i - 1))
        if _starts(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return spans


@dataclass(frozen=True)
class SpanScores:
    """Micro-averaged span scores (seqeval's definition: a span counts only when type, start and end all match)."""

    precision: float   # right spans / predicted spans (0 when nothing was predicted)
    recall: float      # right spans / gold spans (0 when there are no gold spans)
    f1: float          # 2 p r / (p + r) (0 when both are 0)
    gold: int          # number of gold spans
    predicted: int     # number of predicted spans
    correct: int       # number of predicted spans that are also gold spans


def span_scores(gold: Sequence[Tags], predicted: Sequence[Tags]) -> SpanScores:
    """Micro precision, recall and F1 over exact span matches, equal to seqeval's precision_score, recall_score
    and f1_score (default mode, micro average). gold, predicted: lists of tag sequences, pairwise of equal length.
    Raises ValueError for unequal lengths, TypeError for a bare string."""
    _check_pairs(gold, predicted)
    true_spans = set(get_spans([list(g) for g in gold]))
    pred_spans = set(get_spans([list(p) for p in predicted]))
    correct = len(true_spans & pred_spans)
    precision = correct / len(pred_spans) if pred_spans else 0.0
    recall = correct / len(true_spans) if true_spans else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SpanScores(precision, recall, f1, len(true_spans), len(pred_spans), correct)


def span_f1(gold: Sequence[Tags], predicted: Sequence[Tags]) -> float:
    """seqeval's micro span F1 (`span_scores(gold, predicted).f1`)."""
    return span_scores(gold, predicted).f1


def invalid_transitions(tags: Tags | Sequence[Tags]) -> int:
    """How many I-X tags follow neither B-X nor I-X (at the start of a sequence, after O, or after another type):
    the BIO transitions a well-formed tagging never has. Accepts one sequence or a list of sequences."""
    if isinstance(tags, str):
        raise TypeError("tags must be a list of tags (str), not one string")
    sequences = [list(s) for s in tags] if tags and isinstance(tags[0], list | tuple) else [list(tags)]
    count = 0
    for seq in sequences:
        prev = "O"
        for tag in seq:
            if tag.startswith("I-") and not (prev[:2] in ("B-", "I-") and prev[2:] == tag[2:]):
                count += 1
            prev = tag
    return count


def per_tag_errors(gold: Sequence[Tags], predicted: Sequence[Tags]) -> dict[str, Counter]:
    """For each gold tag, a Counter of the wrong tags predicted in its place ({} for a tag always right).
    Sorted by the gold tag; `sum(errors[t].values())` is how many tokens of tag t were tagged wrong."""
    _check_pairs(gold, predicted)
    errors: dict[str, Counter] = {}
    for g, p in zip(gold, predicted, strict=True):
        for a, b in zip(g, p, strict=True):
            errors.setdefault(a, Counter())
            if a != b:
                errors[a][b] += 1
    return dict(sorted(errors.items()))
