"""check_lengths: the one length check at every public boundary (issue 15, kind C)."""

import numpy as np
import pytest
import torch

from rnnlab.validate import check_lengths


def test_check_lengths_accepts_lengths_in_any_form():
    for given in ([3, 1, 2], np.array([3, 1, 2]), torch.tensor([3, 1, 2], dtype=torch.int32)):
        out = check_lengths(given, "lengths", max_len=3, batch=3)
        assert out.dtype == torch.long and out.tolist() == [3, 1, 2]


@pytest.mark.parametrize("lengths, kwargs, error, message", [
    ([3, 0, 2], {"max_len": 3}, ValueError, r"lengths\[1\] is 0: .*wrap around to -1"),
    ([3, 5, 2], {"max_len": 4}, ValueError, r"lengths\[1\] is 5, longer than the padded length 4"),
    ([3, -1], {}, ValueError, r"lengths\[1\] is -1"),
    ([3, 2], {"batch": 3}, ValueError, "2 entries but the batch has 3"),
    (torch.tensor([2.0, 1.0]), {}, TypeError, "integer dtype"),
    (torch.tensor([[2, 1]]), {}, ValueError, "must be 1-D"),
    ([], {}, ValueError, "empty"),
    ("3", {}, TypeError, "got str"),
    ([1.5], {}, TypeError, "whole numbers"),
])
def test_check_lengths_names_the_item(lengths, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_lengths(lengths, "lengths", **kwargs)
