"""Synthetic sequence tasks with seeds: noisy sine waves, the adding problem, the copy-memory problem.

References: Hochreiter & Schmidhuber 1997 (adding problem); Arjovsky, Shah & Bengio 2016 (the variants used
here: adding with values in U[0, 1] and baseline MSE 1/6; copy-memory with 8 symbols).
"""

from __future__ import annotations

import math

import torch

from rnnlab.validate import check_float, check_int


def _generator(seed: int | None) -> torch.Generator:
    g = torch.Generator()
    if seed is not None:
        g.manual_seed(check_int(seed, "seed", minimum=0))
    else:
        g.seed()
    return g


def sine_waves(n: int, seq_len: int, *, noise: float = 0.05, period_range: tuple[float, float] = (10.0, 30.0),
               seed: int | None = None) -> torch.Tensor:
    """`n` sine waves of random period and phase plus Gaussian noise: shape (n, seq_len, 1), float32."""
    n = check_int(n, "n", minimum=1)
    seq_len = check_int(seq_len, "seq_len", minimum=1)
    noise = check_float(noise, "noise", minimum=0.0)
    lo, hi = period_range
    if not 0 < lo <= hi:
        raise ValueError(f"period_range must satisfy 0 < low <= high, got {period_range}")
    g = _generator(seed)
    period = lo + (hi - lo) * torch.rand(n, 1, generator=g)                  # (n, 1)
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)                      # (n, 1)
    t = torch.arange(seq_len, dtype=torch.float32)                            # (seq_len,)
    x = torch.sin(2 * math.pi * t / period + phase)                          # (n, seq_len)
    x = x + noise * torch.randn(n, seq_len, generator=g)
    return x.unsqueeze(-1)                                                   # (n, seq_len, 1)


ADDING_BASELINE_MSE = 1.0 / 6.0  # predicting the mean 1.0 for a sum of two U[0,1] values: Var = 2/12


def adding_problem(n: int, T: int, *, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem: sum the two marked values of a length-T sequence.

    Returns x: (n, T, 2) float32 — channel 0 values in U[0, 1], channel 1 a marker that is 1 at exactly two
    steps (one in each half of the sequence) — and y: (n, 1), the sum of the two marked values.
    Always predicting 1.0 gives MSE 1/6 (`ADDING_BASELINE_MSE`).
    """
    n = check_int(n, "n", minimum=1)
    T = check_int(T, "T", minimum=2)
    g = _generator(seed)
    values = torch.rand(n, T, generator=g)                                   # (n, T)
    half = T // 2
    first = torch.randint(0, half, (n,), generator=g)                        # (n,)
    second = torch.randint(half, T, (n,), generator=g)                       # (n,)
    markers = torch.zeros(n, T)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)                               # (n, T, 2)
    y = (values[rows, first] + values[rows, second]).unsqueeze(-1)           # (n, 1)
    return x, y


def copy_memory(n: int, delay: int, *, n_symbols: int = 8, length: int = 10,
                seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The copy-memory problem: remember `length` symbols across `delay` blank steps, then repeat them.

    Tokens: 0 = blank, 1..n_symbols = symbols, n_symbols + 1 = the "go" marker.
    Returns x, y: (n, length + delay + length) int64. x holds the symbols, then blanks, with the go marker at
    the step before recall starts; y is blank everywhere except its last `length` steps, which hold the
    symbols. Guessing a symbol at random recalls 1 / n_symbols of them (chance).
    """
    n = check_int(n, "n", minimum=1)
    delay = check_int(delay, "delay", minimum=1)
    n_symbols = check_int(n_symbols, "n_symbols", minimum=2)
    length = check_int(length, "length", minimum=1)
    g = _generator(seed)
    total = length + delay + length
    symbols = torch.randint(1, n_symbols + 1, (n, length), generator=g)      # (n, length)
    x = torch.zeros(n, total, dtype=torch.long)
    y = torch.zeros(n, total, dtype=torch.long)
    x[:, :length] = symbols
    x[:, length + delay - 1] = n_symbols + 1                                 # go marker
    y[:, -length:] = symbols
    return x, y


def copy_memory_baseline_loss(delay: int, *, n_symbols: int = 8, length: int = 10) -> float:
    """Cross-entropy of the memoryless strategy (blanks, then uniform guesses): length*log(n_symbols)/total."""
    total = length + delay + length
    return length * math.log(n_symbols) / total



MOTIF = (1, 2, 3)  # the pattern that `motif_detection` plants


def _contains(row: torch.Tensor, motif: torch.Tensor) -> bool:
    windows = row.unfold(0, len(motif), 1)                                   # (length - m + 1, m)
    return bool((windows == motif).all(dim=1).any())


def motif_detection(n: int, seq_len: int, *, positions: tuple[int, int], n_tokens: int = 4,
                    seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Does the sequence contain the motif 1, 2, 3? A many-to-one task where *where* the motif is must not matter.

    Half of the sequences (label 1) have the motif planted at a start position drawn from
    `positions = (low, high)` (high exclusive); the other half (label 0) contain it nowhere.
    Returns x: (n, seq_len) int64 tokens in 1..n_tokens, and y: (n,) float32 labels.
    """
    n = check_int(n, "n", minimum=1)
    seq_len = check_int(seq_len, "seq_len", minimum=len(MOTIF))
    n_tokens = check_int(n_tokens, "n_tokens", minimum=max(MOTIF))
    low, high = positions
    if not 0 <= low < high <= seq_len - len(MOTIF) + 1:
        raise ValueError(f"positions must satisfy 0 <= low < high <= {seq_len - len(MOTIF) + 1} "
                         f"(seq_len - motif length + 1), got {positions}")
    g = _generator(seed)
    motif = torch.tensor(MOTIF)
    x = torch.randint(1, n_tokens + 1, (n, seq_len), generator=g)
    y = (torch.arange(n) % 2).float()                                        # alternate 0, 1
    for i in range(n):
        while _contains(x[i], motif):                                        # no accidental motif anywhere
            x[i] = torch.randint(1, n_tokens + 1, (seq_len,), generator=g)
        if y[i] == 1:
            start = int(torch.randint(low, high, (1,), generator=g))
            x[i, start:start + len(MOTIF)] = motif
    return x, y


# ---------------------------------------------------------------------------------------------------------
# Tasks on which recurrent models and their successors differ (notebook 10, section 6): associative recall,
# selective copying and parity. Each returns token ids (int64) and integer class targets, seeded.
# ---------------------------------------------------------------------------------------------------------


def associative_recall(n: int, n_pairs: int, seq_len: int, *, n_keys: int = 64, n_values: int = 16,
                       seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-query associative recall (MQAR; Arora et al. 2023, "Zoology"), one key-value pair per position.

    The first `n_pairs` positions each show a key and its value (keys distinct within a sequence); the remaining
    `seq_len - n_pairs` positions are queries: a key shown before, with value 0 ("?"). The answer at a query is
    the value that key was paired with, however far back.
    Returns x: (n, seq_len, 2) int64 — channel 0 the key id in 1..n_keys, channel 1 the value id in 1..n_values
    (0 at queries) — and y: (n, seq_len - n_pairs) int64, the answers as classes 0..n_values - 1 (value id - 1).
    Guessing recalls 1 / n_values of the answers (chance). Raises ValueError when n_pairs > n_keys or
    seq_len <= n_pairs (no query).
    """
    n = check_int(n, "n", minimum=1)
    n_pairs = check_int(n_pairs, "n_pairs (--pairs)", minimum=1)
    seq_len = check_int(seq_len, "seq_len (--seq-len)", minimum=2)
    n_keys = check_int(n_keys, "n_keys", minimum=1)
    n_values = check_int(n_values, "n_values", minimum=2)
    if n_pairs > n_keys:
        raise ValueError(f"n_pairs (--pairs) = {n_pairs} needs at least as many distinct keys, got n_keys={n_keys}")
    if seq_len <= n_pairs:
        raise ValueError(f"seq_len (--seq-len) = {seq_len} must exceed n_pairs (--pairs) = {n_pairs}: the positions "
                         "after the pairs are the queries")
    g = _generator(seed)
    n_queries = seq_len - n_pairs
    keys = torch.rand(n, n_keys, generator=g).argsort(dim=1)[:, :n_pairs] + 1          # (n, n_pairs) distinct
    values = torch.randint(1, n_values + 1, (n, n_pairs), generator=g)                # (n, n_pairs)
    asked = torch.randint(0, n_pairs, (n, n_queries), generator=g)                    # (n, n_queries): which pair
    x = torch.zeros(n, seq_len, 2, dtype=torch.long)
    x[:, :n_pairs, 0], x[:, :n_pairs, 1] = keys, values
    x[:, n_pairs:, 0] = keys.gather(1, asked)                                          # value channel stays 0
    y = values.gather(1, asked) - 1                                                    # (n, n_queries)
    return x, y


def selective_copying(n: int, seq_len: int, *, n_tokens: int = 4, vocab: int = 8,
                      seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Selective copying (Gu & Dao 2023, "Mamba", section 3.1): `n_tokens` symbols at random positions among
    `seq_len` noise steps, then `n_tokens` "go" markers at which the symbols are to be repeated in order.

    Tokens: 0 = noise, 1..vocab = symbols, vocab + 1 = go. Where the symbols sit changes from sequence to
    sequence, so a model must decide from the content of each step what to keep (a fixed, time-invariant
    filter cannot).
    Returns x: (n, seq_len + n_tokens) int64, and y: (n, n_tokens) int64, the symbols as classes 0..vocab - 1
    (symbol id - 1), in order. Chance: 1 / vocab per symbol. Raises ValueError when n_tokens > seq_len.
    """
    n = check_int(n, "n", minimum=1)
    seq_len = check_int(seq_len, "seq_len (--seq-len)", minimum=1)
    n_tokens = check_int(n_tokens, "n_tokens (--n-tokens)", minimum=1)
    vocab = check_int(vocab, "vocab", minimum=2)
    if n_tokens > seq_len:
        raise ValueError(f"n_tokens (--n-tokens) = {n_tokens} symbols do not fit in seq_len (--seq-len) = {seq_len}")
    g = _generator(seed)
    positions = torch.rand(n, seq_len, generator=g).argsort(dim=1)[:, :n_tokens].sort(dim=1).values  # (n, n_tokens)
    symbols = torch.randint(1, vocab + 1, (n, n_tokens), generator=g)                            # (n, n_tokens)
    x = torch.zeros(n, seq_len + n_tokens, dtype=torch.long)
    x.scatter_(1, positions, symbols)
    x[:, seq_len:] = vocab + 1                                                                    # go markers
    return x, symbols - 1


def parity(n: int, seq_len: int, *, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Running parity (state tracking; Grazzi et al. 2024): is the number of 1s seen so far odd?

    Returns x: (n, seq_len) int64 bits in {0, 1} (each 1 with probability 1/2) and y: (n, seq_len) int64, the parity
    of x[:, :t + 1] at every step t. Chance: 1/2.
    """
    n = check_int(n, "n", minimum=1)
    seq_len = check_int(seq_len, "seq_len (--seq-len)", minimum=1)
    g = _generator(seed)
    x = torch.randint(0, 2, (n, seq_len), generator=g)
    return x, x.cumsum(dim=1) % 2
