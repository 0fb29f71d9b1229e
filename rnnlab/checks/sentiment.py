"""Checks for notebook 05 (sentiment): bag-of-words counts and the last real (non-padding) state.

Each check recognises the mistakes its exercise is known for (from students' wrong answers) and says which,
in words: counting the padding, an off-by-one mask, presence (0/1) instead of counts, a mask built from the
pad id instead of the lengths; the last column instead of the last real token, position lengths[b] instead
of lengths[b] - 1, indexing every row at every length (outputs[:, lengths - 1]), the first token, the batch
and time axes swapped.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from rnnlab.checks.core import (
    ExerciseFailure,
    StudentCodeError,
    check_exercise,
    compare_arrays,
    matches,
    name_mistake,
    student_answer,
)
from rnnlab.models.classifier import bag_of_words, last_real_state


def _padded_example() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.tensor([[4, 5, 4, 6], [7, 4, 0, 0], [5, 0, 0, 0]])   # (3, 4), pad id 0
    lengths = torch.tensor([4, 2, 1])
    return ids, lengths


def _odd_padding_example() -> tuple[torch.Tensor, torch.Tensor]:
    """Padding positions filled with id 8 (not 0), and a real token with id 0: a batch padded by another tool
    (or a vocabulary whose id 0 is a word). Only `lengths` says where the real tokens end."""
    ids = torch.tensor([[4, 0, 4, 6, 4], [7, 4, 8, 8, 8], [5, 5, 5, 8, 8]])   # (3, 5)
    lengths = torch.tensor([5, 2, 3])
    return ids, lengths


def _bow_mistakes(ids: torch.Tensor, lengths: torch.Tensor, vocab: int) -> list[tuple[torch.Tensor, str]]:
    """(the counts that a known mistake gives on this input, the message naming it)."""
    steps = torch.arange(ids.shape[1])[None, :]                                   # (1, time)

    def counts(mask: torch.Tensor) -> torch.Tensor:
        return torch.zeros(ids.shape[0], vocab).scatter_add_(1, ids, mask.float())

    right = steps < lengths[:, None]
    return [
        (counts(torch.ones_like(ids, dtype=torch.bool)),
         "you counted the padding too: positions at or after lengths[b] are padding and must not be counted; "
         "multiply by the mask arange(time) < lengths[:, None]"),
        (counts(steps <= lengths[:, None]),
         "off by one: your mask keeps position lengths[b] too (<= instead of <); row b's real tokens are at "
         "positions 0 .. lengths[b] - 1, so use arange(time) < lengths[:, None]"),
        (counts(steps < lengths[:, None] - 1),
         "off by one: your mask drops each row's last real token (position lengths[b] - 1); use "
         "arange(time) < lengths[:, None]"),
        (counts(right) > 0,
         "you returned presence (1 if a word occurs, else 0), not counts: a word that occurs twice must count "
         "2; add the mask with scatter_add_ instead of setting entries to 1 (and do not compare with > 0)"),
        (counts(ids != 0),
         "your mask is ids != 0 (the pad id), not the lengths: where the padding is not id 0 (another tool's "
         "batch) or a real word has id 0, that counts padding or drops words; build the mask from lengths: "
         "arange(time) < lengths[:, None]"),
        (counts(right).T,
         "your counts are transposed: return (batch, vocab_size), one row per review"),
    ]


def check_bag_of_words(student: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]) -> bool:
    """Check `student(ids, lengths, vocab_size) -> counts (batch, vocab_size)`, on a batch padded with id 0 and
    on one padded with another id (where only `lengths` tells padding from words), naming known mistakes."""

    def test() -> None:
        for example, vocab in ((_padded_example, 9), (_odd_padding_example, 9)):
            ids, lengths = example()
            expected = bag_of_words(ids, lengths, vocab)
            got = student_answer(student, ids.clone(), lengths.clone(), vocab, like=expected)
            if not matches(got, expected):
                name_mistake(got, _bow_mistakes(ids, lengths, vocab), reference=expected)
            compare_arrays("counts", got, expected)

    return check_exercise("bag of words", test)


def _last_mistakes(outputs: torch.Tensor, lengths: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    rows = torch.arange(outputs.shape[0])
    return [
        (outputs[:, -1],
         "you returned outputs[:, -1], the last column: for the shorter rows that is a padding step; use "
         "position lengths[b] - 1 in row b"),
        (outputs[rows, lengths.clamp(max=outputs.shape[1] - 1)],
         "off by one: you took position lengths[b], the first padding step (and for the longest row the last "
         "column only because it was clamped); the last real token is at lengths[b] - 1"),
        (outputs[:, lengths - 1],
         "you indexed outputs[:, lengths - 1]: that takes every length for every row, shape (batch, batch, "
         "hidden); pair each row with its own length: outputs[arange(batch), lengths - 1]"),
        (outputs[:, 0],
         "you returned the first step, outputs[:, 0]: the state after the first word; use lengths[b] - 1"),
        (outputs[lengths - 1, rows] if outputs.shape[0] == outputs.shape[1] else outputs[:, -1],
         "you swapped the batch and time axes (outputs[lengths - 1, rows], as if time came first): outputs is "
         "(batch, time, hidden), batch first, so the row index comes first: outputs[rows, lengths - 1]"),
    ]


def check_last_real_state(student: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """Check `student(outputs, lengths) -> (batch, hidden)`, the output at each row's last real token, naming
    the known mistakes (last column, lengths without - 1, outputs[:, lengths - 1], first step, axes swapped)."""

    def test() -> None:
        g = torch.Generator().manual_seed(0)
        for shape, lengths in (((4, 4, 3), [2, 4, 1, 3]), ((3, 5, 2), [5, 2, 3])):   # square first: axes
            outputs = torch.randn(*shape, generator=g)                         # (batch, time, hidden)
            lengths = torch.tensor(lengths)
            expected = last_real_state(outputs, lengths, bidirectional=False)
            try:
                got = student_answer(student, outputs.clone(), lengths.clone(), like=expected)
            except StudentCodeError as err:
                if isinstance(err.error, IndexError):
                    raise ExerciseFailure(f"your code raised {err}: an index ran past an axis. Positions along "
                                          "time go from 0 to time - 1, so row b's last real token is at "
                                          "lengths[b] - 1 (not lengths[b]), and the row index comes first: "
                                          "outputs[arange(batch), lengths - 1]") from err
                raise
            if not matches(got, expected):
                name_mistake(got, _last_mistakes(outputs, lengths), reference=expected)
                if isinstance(got, torch.Tensor) and tuple(got.shape) == (shape[0], shape[0], shape[2]):
                    raise ExerciseFailure(_last_mistakes(outputs, lengths)[2][1])
            compare_arrays("last real state", got, expected)

    return check_exercise("last real state", test)
