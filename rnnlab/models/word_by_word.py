"""A non-neural baseline translator: each source word becomes its most frequent aligned translation.

Alignment by IBM Model 1 (Brown et al. 1993): translation probabilities t(f | e) learned by expectation-
maximisation from sentence pairs alone, with a NULL source word for target words that translate nothing.
Each target word of a training pair is then aligned to its most probable source word (the Viterbi alignment),
and every source word keeps the target word it was aligned to most often. Translation is word by word, in
source order: a source word never aligned to anything produces nothing, an unknown word is copied (names,
numbers and placeholders such as "%1" mostly stay as they are). No reordering, no agreement: the floor a
neural model must beat.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from rnnlab.validate import check_int

NULL = "<null>"


class WordByWord:
    """Fit on tokenised pairs (lists of tokens), then `translate(tokens) -> tokens`."""

    def __init__(self, iterations: int = 8) -> None:
        self.iterations = check_int(iterations, "iterations", minimum=1)
        self.table: dict[str, str | None] = {}   # source word -> its translation (None: produces nothing)
        self.t: dict[tuple[str, str], float] = {}  # t(f | e) of IBM Model 1

    def fit(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> WordByWord:
        """EM for t(f | e) (uniform start), then Viterbi alignments and the most frequent aligned word."""
        if len(pairs) == 0:
            raise ValueError("fit needs at least one (source tokens, target tokens) pair")
        if any(isinstance(s, str) or isinstance(f, str) for s, f in pairs):
            raise TypeError("pairs must hold token lists, e.g. (['save', 'file'], ['enregistrer', 'le', 'fichier'])")
        sents = [([NULL, *src], list(tgt)) for src, tgt in pairs]
        n_target = len({f for _, tgt in sents for f in tgt})
        t: dict[tuple[str, str], float] = defaultdict(lambda: 1.0 / n_target)
        for _ in range(self.iterations):
            count: dict[tuple[str, str], float] = defaultdict(float)
            total: dict[str, float] = defaultdict(float)
            for src, tgt in sents:
                for f in tgt:
                    z = sum(t[(f, e)] for e in src)
                    for e in src:
                        c = t[(f, e)] / z
                        count[(f, e)] += c
                        total[e] += c
            t = defaultdict(float, {(f, e): c / total[e] for (f, e), c in count.items()})
        self.t = dict(t)
        aligned: dict[str, Counter] = defaultdict(Counter)
        for src, tgt in sents:
            for f in tgt:
                e = max(src, key=lambda e: t[(f, e)])
                aligned[e][f] += 1
        self.table = {e: (aligned[e].most_common(1)[0][0] if aligned[e] else None)
                      for src, _ in sents for e in src[1:]}
        return self

    def translate(self, tokens: Sequence[str]) -> list[str]:
        """Source tokens -> target tokens, one (or none) per source word; unknown words are copied."""
        if isinstance(tokens, str):
            raise TypeError("translate takes a list of tokens, got one str; split it first")
        if not self.table:
            raise RuntimeError("call fit(pairs) before translate")
        out = []
        for e in tokens:
            f = self.table.get(e, e)
            if f is not None:
                out.append(f)
        return out
