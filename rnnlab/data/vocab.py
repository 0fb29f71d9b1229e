"""Tokenisers, a vocabulary with special tokens, and padding of token sequences into a batch."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

from rnnlab.validate import check_int

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)

_WORD = re.compile(r"[a-z0-9àâäçéèêëîïôöùûüÿœæ]+(?:'[a-z]+)?|[^\sa-z0-9]", re.IGNORECASE)


# Typographic characters that word processors, phones and web pages put where a keyboard types a plain one. Left
# alone, "don’t" (U+2019) splits into "don", "’", "t" and loses its negation, and a non-breaking space glues
# or splits words differently from a plain one. NFKC (below) already turns the non-breaking and other fixed-width
# spaces, the ellipsis "…", full-width letters and ligatures ("ﬁ") into their plain forms; this table does the rest.
_TYPOGRAPHIC = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9\u0060\u00b4\uff07", "'"),  # ‘’‚‛′‵ʼʹ`´＇
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u2039\u203a\uff02", '"'),  # “ ” „ ‟ ″ ‶ « » ‹ ›
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),  # hyphens, dashes, minus
    **dict.fromkeys("\u00a0\u2007\u202f\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a"
                    "\u205f\u3000\u1680", " "),                                             # spaces of every width
    **dict.fromkeys("\u00ad\u200b\u2060\ufeff", None),           # soft hyphen, zero-width space, word joiner, BOM
})


def normalise_text(text: str) -> str:
    """Typographic characters replaced by the plain ones a keyboard types, before any tokenising.

    Curly and other typographic apostrophes and quotes (’ ‘ ‚ ′ ʼ ` ´ “ ” „ « » ...) become ' and ";
    dashes and the minus sign become -; non-breaking, thin and other fixed-width spaces become a space; soft
    hyphens, zero-width spaces and byte-order marks are removed; Unicode NFKC turns "…" into "...", full-width
    letters and ligatures into plain letters. Emoji, accents and other scripts are kept (NFKC composes "é").
    Raises TypeError for anything but a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if text.isascii() and "`" not in text:
        return text                                    # the common case: nothing to do
    # the table first: NFKC would turn the acute accent "´" into a space and a combining accent
    return unicodedata.normalize("NFKC", text.translate(_TYPOGRAPHIC)).translate(_TYPOGRAPHIC)


def tokenize_words(text: str, *, lower: bool = True) -> list[str]:
    """Split text into words and punctuation marks: "Not good, but OK!" -> [not, good, ",", but, ok, "!"].

    Typographic characters are made plain first (`normalise_text`), so "don’t" (curly apostrophe) gives the
    same one token "don't" as "don't", and a non-breaking space separates words like a space.
    Raises TypeError for anything but a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = normalise_text(text)
    return _WORD.findall(text.lower() if lower else text)


def tokenize_chars(text: str) -> list[str]:
    """Split text into characters."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return list(text)


class Vocab:
    """A two-way map between tokens and integer ids; ids 0..3 are <pad>, <unk>, <bos>, <eos>.

    Tokens seen fewer than `min_freq` times, and tokens never seen, map to <unk>.
    """

    def __init__(self, sequences: Iterable[Sequence[str]], *, min_freq: int = 1,
                 max_size: int | None = None, specials: Sequence[str] = SPECIALS) -> None:
        check_int(min_freq, "min_freq", minimum=1)
        if max_size is not None:
            check_int(max_size, "max_size", minimum=len(specials))
        counts = Counter(token for seq in sequences for token in seq)
        if not counts:
            raise ValueError("cannot build a vocabulary from no tokens: the sequences are empty")
        ranked = sorted((t for t, c in counts.items() if c >= min_freq and t not in specials),
                        key=lambda t: (-counts[t], t))
        if max_size is not None:
            ranked = ranked[: max_size - len(specials)]
        self.itos: list[str] = list(specials) + ranked
        self.stoi: dict[str, int] = {t: i for i, t in enumerate(self.itos)}
        self.counts = counts
        self.unk_id = self.stoi.get(UNK)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    @property
    def pad_id(self) -> int:
        return self.stoi[PAD]

    def encode(self, tokens: Sequence[str], *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Token strings -> ids; unknown tokens become <unk> (an error if the vocabulary has no <unk>).

        A token not found as typed is looked up again with its typographic characters made plain
        (`normalise_text`), so tokens split by another tokeniser find "don't" too."""
        ids = []
        for token in tokens:
            if token in self.stoi:
                ids.append(self.stoi[token])
            elif isinstance(token, str) and not token.isascii() and normalise_text(token) in self.stoi:
                ids.append(self.stoi[normalise_text(token)])     # "don’t" typed with a curly apostrophe
            elif self.unk_id is not None:
                ids.append(self.unk_id)
            else:
                raise KeyError(f"token {token!r} is not in the vocabulary, which has no {UNK} token")
        return ([self.stoi[BOS]] if add_bos else []) + ids + ([self.stoi[EOS]] if add_eos else [])

    def decode(self, ids: Iterable[int], *, strip_specials: bool = True) -> list[str]:
        """Ids -> token strings; stops at <eos> and drops <pad>/<bos> when `strip_specials`."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.itos):
                raise ValueError(f"id {i} is outside the vocabulary (size {len(self.itos)})")
            token = self.itos[i]
            if strip_specials and token == EOS:
                break
            if strip_specials and token in (PAD, BOS):
                continue
            out.append(token)
        return out

    def unknown(self, tokens: Sequence[str]) -> list[str]:
        """The tokens that are not in the vocabulary (for clear messages about out-of-vocabulary words)."""
        return [t for t in tokens if t not in self.stoi]


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad id sequences to the longest: ids (batch, max_len) int64 and lengths (batch,) int64."""
    if len(sequences) == 0:
        raise ValueError("pad_batch needs at least one sequence, got none")
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    if int(lengths.min()) == 0:
        raise ValueError(f"sequence {int(lengths.argmin())} is empty; every sequence needs at least one token")
    batch = torch.full((len(sequences), int(lengths.max())), pad_id, dtype=torch.long)
    for row, seq in enumerate(sequences):
        batch[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return batch, lengths
