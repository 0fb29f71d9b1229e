"""A character n-gram model by counting, with Witten-Bell interpolation: the baseline a char RNN must beat.

p(x_t | the previous n-1 characters) is read off counts of the training text. A context seen in training
mixes its own counts with the next-shorter context's probability (Witten & Bell 1991, in the interpolated
form of Chen & Goodman 1999, section 2.5):

    p_k(w | h) = (c(h, w) + T(h) * p_{k-1}(w | h')) / (c(h) + T(h))

where c(h, w) counts w after context h (k characters), c(h) counts h, T(h) is the number of different
characters seen after h, and h' drops the oldest character of h. An unseen context falls back to p_{k-1}
entirely. The recursion ends at the add-alpha unigram (rnnlab.metrics.language.fit_unigram), so every
character, even one never seen, gets a probability > 0 and held-out bits per character stay finite.
No parameter is tuned on the held-out text.

References: I. H. Witten & T. C. Bell (1991), "The zero-frequency problem", IEEE Trans. Information
Theory; S. F. Chen & J. Goodman (1999), "An empirical study of smoothing techniques for language modeling",
Computer Speech and Language.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from rnnlab.validate import check_array, check_float, check_int


def _as_rows(ids: torch.Tensor | np.ndarray | Sequence[int], name: str, vocab_size: int) -> np.ndarray:
    """ids as a 2-D int64 array (rows, T), checked to lie in [0, vocab_size)."""
    a = ids.cpu().numpy() if isinstance(ids, torch.Tensor) else np.asarray(ids)
    check_array(a, name, integer=True)
    if a.ndim not in (1, 2) or a.size == 0:
        raise ValueError(f"{name} must be a non-empty (T,) or (rows, T) array of ids, got shape {a.shape}")
    if a.min() < 0 or a.max() >= vocab_size:
        raise ValueError(f"{name} must lie in [0, {vocab_size}), got range [{a.min()}, {a.max()}]")
    return np.atleast_2d(a).astype(np.int64)


class CharNGram:
    """An order-n character model (order 1: unigram, 2: bigram, 3: trigram...) fitted by counting.

    fit on train_ids (T,) or (rows, T); `probs(context)` -> (vocab,) next-character distribution;
    `bits_per_char(test_ids)` scores every character but the first of each row (shorter context at the
    start of a row); `sample(prompt, length, temperature, seed)` draws characters one at a time.
    Raises ValueError for an order < 1, ids outside [0, vocab_size) or alpha <= 0.
    """

    def __init__(self, train_ids: torch.Tensor | np.ndarray, vocab_size: int, order: int = 3,
                 alpha: float = 0.1) -> None:
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
        self.order = check_int(order, "order", minimum=1)
        if self.vocab_size ** self.order >= 2 ** 62:
            raise ValueError(f"order {order} is too large for a vocabulary of {vocab_size} (context codes overflow)")
        self.alpha = check_float(alpha, "alpha", minimum=0.0, strict_minimum=True)
        rows = _as_rows(train_ids, "train_ids", self.vocab_size)
        counts = np.bincount(rows.ravel(), minlength=self.vocab_size) + self.alpha
        self.unigram = counts / counts.sum()                                   # (vocab,)
        # per context length k = 1..order-1: sorted unique (context, next) keys and their counts,
        # and per seen context: its count c(h) and its number of distinct followers T(h)
        self.levels: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for k in range(1, self.order):
            keys = np.concatenate([self._codes(row, k, np.arange(k, len(row))) * self.vocab_size + row[k:]
                                   for row in rows if len(row) > k] or [np.zeros(0, np.int64)])
            pair_keys, pair_counts = np.unique(keys, return_counts=True)
            contexts = pair_keys // self.vocab_size
            ctx_keys, first = np.unique(contexts, return_index=True)
            ctx_counts = np.add.reduceat(pair_counts, first) if len(first) else np.zeros(0, np.int64)
            ctx_types = np.diff(np.append(first, len(contexts)))
            self.levels.append((pair_keys, pair_counts, ctx_keys, ctx_counts, ctx_types))

    def _codes(self, row: np.ndarray, k: int, positions: np.ndarray) -> np.ndarray:
        """Integer code of the k characters before each position (the newest is the lowest digit)."""
        code = np.zeros(len(positions), np.int64)
        for j in range(1, k + 1):
            code += row[positions - j] * self.vocab_size ** (j - 1)
        return code

    @staticmethod
    def _lookup(sorted_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
        """values at keys (0 where a key is absent)."""
        if len(sorted_keys) == 0:
            return np.zeros(len(keys), dtype=float)
        at = np.clip(np.searchsorted(sorted_keys, keys), 0, len(sorted_keys) - 1)
        return np.where(sorted_keys[at] == keys, values[at], 0).astype(float)

    def _prob_at(self, row: np.ndarray, positions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """p(targets | the up to order-1 characters of `row` before each position): (N,)."""
        p = self.unigram[targets]                                                   # (N,)
        for k, (pair_keys, pair_counts, ctx_keys, ctx_counts, ctx_types) in enumerate(self.levels, start=1):
            ok = positions >= k                                                     # a context of k characters exists
            if not ok.any():
                break
            ctx = self._codes(row, k, positions[ok])
            c_hw = self._lookup(pair_keys, pair_counts, ctx * self.vocab_size + targets[ok])
            c_h = self._lookup(ctx_keys, ctx_counts, ctx)
            t_h = self._lookup(ctx_keys, ctx_types, ctx)
            seen = c_h > 0
            mixed = (c_hw + t_h * p[ok]) / np.where(seen, c_h + t_h, 1.0)
            p[ok] = np.where(seen, mixed, p[ok])                                     # unseen context: back off
        return p

    def probs(self, context: Sequence[int]) -> np.ndarray:
        """The next-character distribution after `context` (its last order-1 ids count): (vocab,), sums to 1."""
        context = [int(i) for i in context][-(self.order - 1):] if self.order > 1 else []
        row = np.array(context + [0], dtype=np.int64)
        if len(context) and (min(context) < 0 or max(context) >= self.vocab_size):
            raise ValueError(f"context ids must lie in [0, {self.vocab_size}), got {context}")
        targets = np.arange(self.vocab_size)
        positions = np.full(self.vocab_size, len(context))
        return self._prob_at(row, positions, targets)

    def bits_per_char(self, test_ids: torch.Tensor | np.ndarray) -> float:
        """Mean -log2 p of every character but the first of each row of test_ids ((T,) or (rows, T))."""
        rows = _as_rows(test_ids, "test_ids", self.vocab_size)
        if rows.shape[1] < 2:
            raise ValueError("test_ids need at least 2 characters per row")
        positions = np.arange(1, rows.shape[1])
        logs = [np.log2(self._prob_at(row, positions, row[1:])) for row in rows]
        return float(-np.concatenate(logs).mean())

    def sample(self, prompt: Sequence[int], length: int, *, temperature: float = 1.0, seed: int = 0) -> list[int]:
        """Draw `length` ids after `prompt` (p ** (1 / temperature), renormalised; temperature 0: argmax)."""
        check_int(length, "length", minimum=0)
        temperature = check_float(temperature, "temperature", minimum=0.0)
        rng = np.random.default_rng(seed)
        history, out = [int(i) for i in prompt], []
        for _ in range(length):
            p = self.probs(history)
            if temperature == 0:
                nxt = int(np.argmax(p))
            else:
                logp = np.log(p) / temperature
                q = np.exp(logp - logp.max())
                nxt = int(rng.choice(self.vocab_size, p=q / q.sum()))
            out.append(nxt)
            history.append(nxt)
        return out
