"""Our span F1 against the installed seqeval package (its default mode), on random and edge cases."""

import random
import warnings

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score
from seqeval.metrics.sequence_labeling import get_entities

from rnnlab.metrics.tagging import (
    get_spans,
    invalid_transitions,
    per_tag_errors,
    span_f1,
    span_scores,
    token_accuracy,
)

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "E-PER", "S-LOC", "E-LOC", "S-PER", "B", "I", "O"]


def seqeval_scores(gold, predicted):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # seqeval warns when a denominator is 0 (and gives 0, as we do)
        return (precision_score(gold, predicted), recall_score(gold, predicted), f1_score(gold, predicted))


def random_sequences(rng, n, tags):
    lengths = [rng.randint(0, 7) for _ in range(n)]
    return [[rng.choice(tags) for _ in range(k)] for k in lengths], lengths


@pytest.mark.parametrize("seed", range(60))
def test_span_scores_equal_seqeval_on_random_tags(seed):
    rng = random.Random(seed)
    tags = TAGS[:5] if seed % 2 else TAGS            # plain BIO (often invalid) or every prefix seqeval reads
    gold, lengths = random_sequences(rng, rng.randint(1, 5), tags)
    predicted = [[t if rng.random() < 0.6 else rng.choice(tags) for t in seq] for seq in gold]
    ours = span_scores(gold, predicted)
    assert (ours.precision, ours.recall, ours.f1) == pytest.approx(seqeval_scores(gold, predicted), abs=1e-12)
    assert get_spans(gold) == get_entities(gold)


@pytest.mark.parametrize("gold, predicted", [
    ([["O", "O"]], [["O", "O"]]),                                   # no spans anywhere: 0, as seqeval
    ([["B-PER", "I-PER"]], [["O", "O"]]),                           # nothing predicted
    ([["O"]], [["B-PER"]]),                                         # nothing to find
    ([["I-PER", "I-PER"]], [["B-PER", "I-PER"]]),                   # a span opened by I- (IOB1 style)
    ([["B-PER", "I-LOC"]], [["B-PER", "B-LOC"]]),                   # a change of type ends a span
    ([["B-PER"], ["I-PER"]], [["B-PER", ], ["B-PER"]]),             # no span across sequences
    ([["S-PER", "B-LOC", "E-LOC"]], [["B-PER", "B-LOC", "I-LOC"]]),  # IOBES prefixes
    ([["B", "I", "O"]], [["B", "O", "O"]]),                         # untyped tags
    ([[]], [[]]),                                                   # an empty sequence
])
def test_span_scores_equal_seqeval_on_edge_cases(gold, predicted):
    ours = span_scores(gold, predicted)
    assert (ours.precision, ours.recall, ours.f1) == pytest.approx(seqeval_scores(gold, predicted), abs=1e-12)


def test_a_worked_example_of_span_f1():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    predicted = [["B-PER", "I-PER", "O", "B-PER"]]       # one of two spans right, one of two predicted right
    scores = span_scores(gold, predicted)
    assert (scores.gold, scores.predicted, scores.correct) == (2, 2, 1)
    assert scores.f1 == 0.5 and span_f1(gold, predicted) == 0.5
    assert token_accuracy(gold, predicted) == 0.75


def test_invalid_transitions_count_i_tags_that_continue_nothing():
    assert invalid_transitions(["B-PER", "I-PER", "I-PER"]) == 0
    assert invalid_transitions(["I-PER", "O", "I-PER", "B-LOC", "I-PER"]) == 3
    assert invalid_transitions([["B-PER", "I-PER"], ["I-PER"]]) == 1     # a new sequence starts afresh


def test_per_tag_errors_name_what_was_predicted_instead():
    errors = per_tag_errors([["B-PER", "I-PER", "O"]], [["B-PER", "B-PER", "B-LOC"]])
    assert errors["B-PER"] == {} and errors["I-PER"] == {"B-PER": 1} and errors["O"] == {"B-LOC": 1}


@pytest.mark.parametrize("gold, predicted, error, message", [
    ([["O"]], [["O"], ["O"]], ValueError, "one predicted sequence per gold"),
    ([["O", "O"]], [["O"]], ValueError, "sequence 0: gold has 2 tags"),
    ("B-PER", "B-PER", TypeError, "not one string"),
    ([[]], [[]], ValueError, "no tokens"),
])
def test_token_accuracy_names_bad_input(gold, predicted, error, message):
    with pytest.raises(error, match=message):
        token_accuracy(gold, predicted)
