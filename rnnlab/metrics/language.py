"""Language-model metrics: bits per character, and the unigram and bigram baselines a char model must beat.

Bits per character = average negative log2-probability of the true next character (Shannon 1951 estimated
about 1 bit per character for English with a human predictor). A model that ignores context can at best
reach the unigram entropy; one that looks back one character, the bigram cross-entropy.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from rnnlab.validate import check_array, check_float, check_int


def bits_per_char(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Mean cross-entropy in bits: logits (..., vocab) and integer targets (...) of the same leading shape.

    Tensors or numpy arrays, logits in any float dtype (computed in float32 or wider). Raises TypeError for
    non-float logits or non-integer targets, ValueError (naming the argument) for an empty or non-finite logits,
    mismatched shapes, or a target outside [0, vocab).
    """
    logits, targets = (torch.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a
                       for a in (logits, targets))
    check_array(logits, "logits", floating=True, finite=True)
    if logits.ndim == 0:
        raise ValueError("logits must have shape (..., vocab), got a 0-d value")
    check_array(targets, "targets", integer=True)
    if tuple(logits.shape[:-1]) != tuple(targets.shape):
        raise ValueError(f"logits {tuple(logits.shape)} need targets of shape {tuple(logits.shape[:-1])}, "
                         f"got {tuple(targets.shape)}")
    vocab = logits.shape[-1]
    if int(targets.min()) < 0 or int(targets.max()) >= vocab:
        raise ValueError(f"targets must lie in [0, {vocab}) (the vocabulary of logits), got range "
                         f"[{int(targets.min())}, {int(targets.max())}]")
    flat = logits.reshape(-1, vocab)
    flat = flat if flat.dtype == torch.float64 else flat.float()           # (n, vocab)
    nats = torch.nn.functional.cross_entropy(flat, targets.reshape(-1).to(device=flat.device, dtype=torch.long))
    return float(nats) / math.log(2)


def _ids(x: torch.Tensor | np.ndarray, name: str, vocab_size: int) -> np.ndarray:
    check_array(x, name, integer=True)
    a = x.cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if a.min() < 0 or a.max() >= vocab_size:
        raise ValueError(f"{name} must lie in [0, {vocab_size}), got range [{a.min()}, {a.max()}]")
    return a


def fit_unigram(train_ids: torch.Tensor | np.ndarray, vocab_size: int, alpha: float = 0.1) -> np.ndarray:
    """p(c) from counts with add-alpha smoothing: (vocab_size,) summing to 1."""
    check_int(vocab_size, "vocab_size", minimum=1)
    check_float(alpha, "alpha", minimum=0.0, strict_minimum=True)
    counts = np.bincount(_ids(train_ids, "train_ids", vocab_size).ravel(), minlength=vocab_size) + alpha
    return counts / counts.sum()


def fit_bigram(train_ids: torch.Tensor | np.ndarray, vocab_size: int, alpha: float = 0.1) -> np.ndarray:
    """p(next | previous) from counts of neighbouring pairs with add-alpha smoothing: (vocab, vocab), rows sum to 1.

    train_ids: (T,) one stream, or (batch, T) streams (pairs are taken within each row).
    """
    check_int(vocab_size, "vocab_size", minimum=1)
    check_float(alpha, "alpha", minimum=0.0, strict_minimum=True)
    a = np.atleast_2d(_ids(train_ids, "train_ids", vocab_size))
    counts = np.full((vocab_size, vocab_size), alpha)
    np.add.at(counts, (a[:, :-1].ravel(), a[:, 1:].ravel()), 1.0)
    return counts / counts.sum(axis=1, keepdims=True)


def unigram_bits_per_char(train_ids: torch.Tensor | np.ndarray, test_ids: torch.Tensor | np.ndarray,
                          vocab_size: int, alpha: float = 0.1) -> float:
    """Bits per character of the smoothed unigram model of `train_ids` on `test_ids`.

    test_ids: (T,) or (batch, T). Like the bigram and the RNN, it is scored on every character but the first
    of each row (the first has no context to condition on), so the three numbers are comparable.
    """
    p = fit_unigram(train_ids, vocab_size, alpha)
    test = np.atleast_2d(_ids(test_ids, "test_ids", vocab_size))
    if test.shape[1] < 2:
        raise ValueError("test_ids need at least 2 characters per row")
    return float(-np.log2(p[test[:, 1:]]).mean())


def bigram_bits_per_char(train_ids: torch.Tensor | np.ndarray, test_ids: torch.Tensor | np.ndarray,
                         vocab_size: int, alpha: float = 0.1) -> float:
    """Bits per character of the smoothed bigram model of `train_ids` on the next characters of `test_ids`."""
    p = fit_bigram(train_ids, vocab_size, alpha)
    test = np.atleast_2d(_ids(test_ids, "test_ids", vocab_size))
    if test.shape[1] < 2:
        raise ValueError("test_ids need at least 2 characters per row")
    return float(-np.log2(p[test[:, :-1], test[:, 1:]]).mean())


def unit_correlations(activations: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson correlation of every hidden unit with a per-character feature: activations (T, H), feature (T,)
    -> (H,); a unit or feature that never changes gets 0."""
    check_array(activations, "activations", ndim=2, floating=True, finite=True)
    check_array(feature, "feature", shape=(activations.shape[0],), finite=True)
    a = np.asarray(activations, dtype=float)
    f = np.asarray(feature, dtype=float)
    a = a - a.mean(axis=0)
    f = f - f.mean()
    denom = np.sqrt((a**2).sum(axis=0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * f[:, None]).sum(axis=0) / denom
    return np.where(denom > 0, r, 0.0)


WORD_PUNCTUATION = ".,;:!?'-\"()[]_"  # stripped from the ends of each word before it is looked up


def words_of(text: str) -> list[str]:
    """The words of a text: split on whitespace, lower case, punctuation (WORD_PUNCTUATION) stripped from their
    ends, empty pieces dropped. `"Sleep, sleep!"` -> ['sleep', 'sleep']."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    words = [w.strip(WORD_PUNCTUATION).lower() for w in text.split()]
    return [w for w in words if w]


def real_word_share(generated: str, known_words: set[str] | frozenset[str]) -> float:
    """Share of the words of `generated` (`words_of`) that are in `known_words` (e.g. the training text's words):
    how word-like a sample spells, in [0, 1]. Raises ValueError when `generated` has no word (nothing to score)."""
    words = words_of(generated)
    if not words:
        raise ValueError("the generated text has no words to score (only blanks or punctuation)")
    return float(np.mean([w in known_words for w in words]))
