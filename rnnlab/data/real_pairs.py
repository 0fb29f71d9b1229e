"""Real English -> French pairs: the strings of JupyterLab's user interface and their French translation.

Source: the PyPI package `jupyterlab-language-pack-fr-fr` 4.5.post3 (BSD-3-Clause, Copyright (c) 2023
Project Jupyter Contributors; https://github.com/jupyterlab/language-packs), whose `LC_MESSAGES/*.json`
catalogues hold the English strings of JupyterLab and its extensions with translations written by people.
`tools/make_ui_pairs.py` extracted them once into `files/jupyterlab_fr/pairs.tsv` (3,003 pairs; licence in
`LICENSE.txt`, checksum in `SHA256SUMS`, checked on every load). Nothing is downloaded.

They are short ("Restart Kernel…" -> "Redémarrer le noyau…"), technical, and full of words seen
once, so a small model has little to learn from: a hard, honest test next to the generated tasks.

Text is lower-cased and split into words, numbers and single punctuation marks; a French elided article or
pronoun keeps its apostrophe ("l'extension" -> "l'" "extension"). Pairs are stored in that tokenised form
(tokens joined by spaces), so BLEU compares the same tokens the model reads and writes.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path

from rnnlab.data.vocab import normalise_text
from rnnlab.validate import check_int

FILES = Path(__file__).parent / "files" / "jupyterlab_fr"
N_PAIRS = 3003  # lines of pairs.tsv
_TOKEN = re.compile(r"[^\W\d_]+'|\w+|[^\w\s]")


def tokenize_text(text: str) -> list[str]:
    """Lower-case words, numbers and punctuation marks; 'l'extension' -> ["l'", 'extension'].

    Typographic characters are made plain first (`rnnlab.data.vocab.normalise_text`): "l’onglet" (curly
    apostrophe) gives the same tokens as "l'onglet", a non-breaking space separates like a space, "…" is "...".
    Idempotent: tokenize_text(" ".join(tokenize_text(t))) == tokenize_text(t).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(normalise_text(text).lower())


def load_ui_pairs(*, verify: bool = True) -> list[tuple[str, str]]:
    """All 3,003 (english, french) UI strings as written (one line each), in file order (sorted by english).

    Raises ValueError if the file's checksum differs from SHA256SUMS (a corrupted or edited copy).
    """
    raw = (FILES / "pairs.tsv").read_bytes()
    if verify:
        want = (FILES / "SHA256SUMS").read_text().split()[0]
        got = hashlib.sha256(raw).hexdigest()
        if got != want:
            raise ValueError(f"{FILES / 'pairs.tsv'} has sha256 {got}, expected {want}: reinstall rnnlab or rerun "
                             "tools/make_ui_pairs.py")
    pairs = [tuple(line.split("\t")) for line in raw.decode("utf-8").splitlines()]
    if any(len(p) != 2 for p in pairs):
        raise ValueError("every line of pairs.tsv must be english TAB french")
    return pairs  # type: ignore[return-value]


def ui_pairs(max_len: int = 12, seed: int = 0, n_test: int = 300) -> tuple[list[tuple[str, str]],
                                                                            list[tuple[str, str]]]:
    """Tokenised (english, french) pairs with both sides of 1..max_len tokens, distinct english, shuffled with
    `seed` and split -> (train, test) with `n_test` held-out pairs (their english never occurs in train)."""
    check_int(max_len, "max_len", minimum=1)
    check_int(n_test, "n_test", minimum=1)
    seen, pairs = set(), []
    for en, fr in load_ui_pairs():
        src, tgt = tokenize_text(en), tokenize_text(fr)
        key = " ".join(src)
        if 1 <= len(src) <= max_len and 1 <= len(tgt) <= max_len and key not in seen:
            seen.add(key)
            pairs.append((key, " ".join(tgt)))
    if n_test >= len(pairs):
        raise ValueError(f"n_test={n_test} leaves no training pairs: only {len(pairs)} pairs have at most "
                         f"{max_len} tokens; lower n_test or raise max_len")
    random.Random(seed).shuffle(pairs)
    return pairs[n_test:], pairs[:n_test]
