"""check_array(finite=True) says how many entries are NaN or infinite and where the first one is."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.validate import check_array


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data(),
       bad=st.sampled_from([np.nan, np.inf, -np.inf]), as_tensor=st.booleans())
def test_the_first_non_finite_entry_is_named(shape, data, bad, as_tensor):
    a = np.zeros(shape)
    flat = data.draw(st.lists(st.integers(0, a.size - 1), min_size=1, max_size=a.size, unique=True))
    a.flat[flat] = bad
    x = torch.from_numpy(a).float() if as_tensor else a
    with pytest.raises(ValueError) as err:
        check_array(x, "y_true", finite=True)
    first = np.unravel_index(min(flat), a.shape)
    where = int(first[0]) if len(shape) == 1 else tuple(int(i) for i in first)
    kind = "NaN" if np.isnan(bad) else "infinite"
    msg = str(err.value)
    assert msg.startswith("y_true contains NaN or infinite values (")
    assert f"{len(flat)} {kind} of {a.size}, the first at index {where})" in msg


def test_finite_arrays_and_integer_arrays_pass():
    check_array(np.ones(3), "x", finite=True)
    check_array(np.array([1, 2]), "ids", finite=True)
