"""Tests of the Witten-Bell character n-gram baseline (rnnlab.models.ngram)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnnlab.metrics.language import bigram_bits_per_char, fit_unigram, unigram_bits_per_char
from rnnlab.models.ngram import CharNGram


def test_order_one_is_the_add_alpha_unigram():
    train = np.array([0, 1, 0, 1, 0, 1, 2])
    test = np.array([1, 0, 2, 1])
    m = CharNGram(train, 4, order=1, alpha=0.5)
    assert np.allclose(m.probs([3]), fit_unigram(train, 4, alpha=0.5))
    assert m.bits_per_char(test) == pytest.approx(unigram_bits_per_char(train, test, 4, alpha=0.5))


def test_witten_bell_bigram_by_hand():
    train = np.array([0, 1, 0, 1, 0, 2])         # after 0: 1, 1, 2 (c = 3, T = 2); after 1: 0, 0 (c = 2, T = 1)
    m = CharNGram(train, 3, order=2, alpha=1.0)
    uni = np.array([3 + 1, 2 + 1, 1 + 1]) / 9.0
    assert np.allclose(m.unigram, uni)
    after0 = (np.array([0, 2, 1]) + 2 * uni) / (3 + 2)
    after1 = (np.array([2, 0, 0]) + 1 * uni) / (2 + 1)
    assert np.allclose(m.probs([0]), after0) and np.allclose(m.probs([1]), after1)
    assert np.allclose(m.probs([2]), uni)          # 2 is never followed by anything: back off entirely
    test = np.array([1, 0, 2])                      # scored: 0 after 1, 2 after 0
    assert m.bits_per_char(test) == pytest.approx(-(math.log2(after1[0]) + math.log2(after0[2])) / 2)
    assert np.allclose(m.probs([1, 0]), after0)     # only the last order-1 characters count


def test_higher_order_fits_repetitive_text_better_and_samples_are_seeded():
    rng = np.random.default_rng(0)
    words = [rng.integers(1, 8, size=5) for _ in range(6)]
    train = np.concatenate([words[i] for i in rng.integers(0, 6, size=400)] + [np.array([0])])
    test = np.concatenate([words[i] for i in rng.integers(0, 6, size=60)])
    bpc = [CharNGram(train, 8, order=n).bits_per_char(test) for n in (1, 2, 3, 5)]
    assert bpc[0] > bpc[1] > bpc[2] > bpc[3]
    assert CharNGram(train, 8, order=2).bits_per_char(test) == pytest.approx(
        bigram_bits_per_char(train, test, 8), abs=0.05)     # Witten-Bell and add-0.1 nearly agree on ample data
    m = CharNGram(train, 8, order=3)
    assert m.sample([1, 2], 50, seed=1) == m.sample([1, 2], 50, seed=1) != m.sample([1, 2], 50, seed=2)
    for context in ([], [5], [5, 6], [7, 7, 7]):
        p = m.probs(context)
        assert p.shape == (8,) and p.min() > 0 and p.sum() == pytest.approx(1.0)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="order"):
        CharNGram(np.array([0, 1]), 2, order=0)
    with pytest.raises(ValueError, match="train_ids must lie"):
        CharNGram(np.array([0, 5]), 3)
    with pytest.raises(ValueError, match="test_ids need at least 2"):
        CharNGram(np.array([0, 1, 2]), 3).bits_per_char(np.array([1]))
    with pytest.raises(ValueError, match="temperature"):
        CharNGram(np.array([0, 1, 2]), 3).sample([0], 3, temperature=-1)
