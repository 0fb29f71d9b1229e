"""Checks for notebook 05 (sentiment): bag-of-words counts and the last real (non-padding) state."""

from __future__ import annotations

from collections.abc import Callable

import torch

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer
from rnnlab.models.classifier import bag_of_words, last_real_state


def _padded_example() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.tensor([[4, 5, 4, 6], [7, 4, 0, 0], [5, 0, 0, 0]])   # (3, 4), pad id 0
    lengths = torch.tensor([4, 2, 1])
    return ids, lengths


def check_bag_of_words(student: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]) -> bool:
    """Check `student(ids, lengths, vocab_size) -> counts (batch, vocab_size)`."""

    def test() -> None:
        ids, lengths = _padded_example()
        expected = bag_of_words(ids, lengths, 9)
        got = student_answer(student, ids.clone(), lengths.clone(), 9, like=expected)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and float(got[:, 0].sum()) > 0:
            raise ExerciseFailure("the <pad> column (id 0) has counts: positions at or after lengths[b] are "
                                  "padding and must not be counted")
        compare_arrays("counts", got, expected)

    return check_exercise("bag of words", test)


def check_last_real_state(student: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> bool:
    """Check `student(outputs, lengths) -> (batch, hidden)`, the output at each row's last real token."""

    def test() -> None:
        outputs = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(0))   # (batch, time, hidden)
        lengths = torch.tensor([5, 2, 3])
        expected = last_real_state(outputs, lengths)
        got = student_answer(student, outputs.clone(), lengths.clone(), like=expected)
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.allclose(got, outputs[:, -1]):
            raise ExerciseFailure("you returned outputs[:, -1], the last column: for the shorter rows that is a "
                                  "padding step; use position lengths[b] - 1 in row b")
        compare_arrays("last real state", got, expected)

    return check_exercise("last real state", test)
