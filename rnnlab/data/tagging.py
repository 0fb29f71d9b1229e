"""Tagged text for sequence labelling: punctuation restoration on real prose, and your own CoNLL-style files.

The built-in task restores punctuation: the text loses its punctuation and capitals, and each word gets a tag
saying which clause it belongs to, a clause being the words up to the next punctuation mark, labelled by that
mark: `B-COMMA I-COMMA I-COMMA` for "so she was considering," (`,` `;` `:` and a dash `--` count as COMMA),
`PERIOD`, `QUESTION`, `EXCLAIM` likewise. The tags are BIO spans (Ramshaw and Marcus 1995), so span F1
(seqeval) measures whole clauses found with their right mark; from the tags the text's punctuation comes back
(`restore_text`), with capitals at sentence starts. Production speech recognisers run this task on their
output, which has neither (e.g. Tilk and Alumäe 2016, "Bidirectional recurrent neural network with attention
mechanism for punctuation restoration"). The labels come from the text itself: no annotator is needed.

The text is chapters I-IV of Lewis Carroll's *Alice's Adventures in Wonderland* (1865, public domain), shipped
in `files/examples/alice_ch1-4.txt` (its README gives the source); chapter headings and side-notes are
dropped. No redistributable part-of-speech or named-entity corpus could be found in a PyPI or Debian package
that installs offline (searched: conllu, pyconll, conllu-tools, udapi, ner-dataset, Debian's nltk, which
ships no corpus): that is why the course builds its tagging task from real prose.

- `words_and_marks(text) -> list[(word, mark)]`: lower-cased words, each with the mark that follows it
  ('' none, 'COMMA', 'PERIOD', 'QUESTION', 'EXCLAIM'; the strongest when several follow).
- `clause_tags(marks) -> list[str]`: the BIO clause tags of one run of words.
- `punctuation_corpus(text, max_words=40) -> list[TaggedSentence]`: whole sentences grouped into sequences of
  at most `max_words` words (a longer sentence is a sequence of its own).
- `load_punctuation_corpus(max_words=40)`: the same on the shipped Alice chapters.
- `restore_text(words, tags) -> str`: punctuation and sentence-start capitals put back from tags.
- `read_conll(path, *, encoding=None, option="path") -> list[TaggedSentence]`: your own tagged file.
- `split_sentences(sentences, held_out_fraction=0.2)`: the first part for training, the last held out (a
  contiguous cut: held-out sentences come from later in the text, never interleaved with training ones).
- `TagSet`, `encode_tagged(...)`, `tag_batch(...)`: tags to ids and padded batches for a model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from rnnlab.data.reading import read_text
from rnnlab.data.vocab import Vocab, normalise_text
from rnnlab.validate import check_float, check_int

EXAMPLES = Path(__file__).parent / "files" / "examples"
ALICE_FILE = EXAMPLES / "alice_ch1-4.txt"
EXAMPLE_CONLL = EXAMPLES / "tagging_example.conll"
MARKS = ("COMMA", "PERIOD", "QUESTION", "EXCLAIM")   # the clause types, weakest first
PUNCTUATION = {"COMMA": ",", "PERIOD": ".", "QUESTION": "?", "EXCLAIM": "!"}
SENTENCE_ENDS = ("PERIOD", "QUESTION", "EXCLAIM")
PUNCT_TAGS = tuple(f"{p}-{m}" for m in MARKS for p in "BI")   # the 8 tags of the built-in task

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_HEADING = re.compile(r"^\s*(CHAPTER [IVXLC]+\.?|\[Sidenote:[^\]]*\])\s*$", re.MULTILINE)


@dataclass(frozen=True)
class TaggedSentence:
    """One sequence of tokens and their tags (equal lengths)."""

    tokens: tuple[str, ...]   # the words
    tags: tuple[str, ...]     # one tag per word

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.tags):
            raise ValueError(f"{len(self.tokens)} tokens but {len(self.tags)} tags: give one tag per token")

    def __len__(self) -> int:
        return len(self.tokens)


def _mark(gap: str) -> str:
    """The strongest mark in the characters between two words ('' when none)."""
    found = ""
    if "," in gap or ";" in gap or ":" in gap or "--" in gap:
        found = "COMMA"
    for mark, char in (("PERIOD", "."), ("EXCLAIM", "!"), ("QUESTION", "?")):
        if char in gap:
            found = mark
    return found


def words_and_marks(text: str) -> list[tuple[str, str]]:
    """Lower-cased words (letters, digits, inner apostrophes and hyphens), each with the mark after it.

    The mark is read from the characters between the word and the next: '?' beats '!' beats '.' beats a comma,
    semicolon, colon or double dash ('COMMA'); quotes, brackets and underscores are ignored; '' when none.
    Typographic quotes and dashes are made plain first (rnnlab.data.vocab.normalise_text)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = normalise_text(text).lower().replace("_", " ")
    matches = list(_WORD.finditer(text))
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append((m.group(), _mark(text[m.end():end])))
    return out


def clause_tags(marks: Sequence[str], last: str = "PERIOD") -> list[str]:
    """BIO clause tags: each word gets the mark that ends its clause, B- on the clause's first word.

    marks: the mark after each word ('' inside a clause). Words after the last mark form a clause labelled
    `last`. Example: ['', 'COMMA', '', 'PERIOD'] -> ['B-COMMA', 'I-COMMA', 'B-PERIOD', 'I-PERIOD']."""
    if last not in MARKS:
        raise ValueError(f"last must be one of {MARKS}, got {last!r}")
    tags: list[str] = [""] * len(marks)
    start = 0
    for i, mark in enumerate(marks):
        if mark and mark not in MARKS:
            raise ValueError(f"mark {i} is {mark!r}: marks must be '' or one of {MARKS}")
        if mark or i == len(marks) - 1:
            kind = mark or last
            for j in range(start, i + 1):
                tags[j] = ("B-" if j == start else "I-") + kind
            start = i + 1
    return tags


def punctuation_corpus(text: str, max_words: int = 40) -> list[TaggedSentence]:
    """Whole sentences of `text` (ended by '.', '?' or '!'), grouped in order into sequences of at most
    `max_words` words (a longer sentence is a sequence of its own); each word tagged by `clause_tags`.
    Chapter headings ('CHAPTER IV') and side-notes ('[Sidenote: ...]') are dropped; words after the last
    sentence end are dropped. Raises ValueError when the text has no sentence."""
    check_int(max_words, "max_words", minimum=2)
    pairs = words_and_marks(_HEADING.sub(" ", text))
    sentences, current = [], []
    for word, mark in pairs:
        current.append((word, mark))
        if mark in SENTENCE_ENDS:
            sentences.append(current)
            current = []
    if not sentences:
        raise ValueError("the text has no sentence ending in '.', '?' or '!': nothing to tag")
    groups, group = [], []
    for sentence in sentences:
        if group and len(group) + len(sentence) > max_words:
            groups.append(group)
            group = []
        group = group + sentence
    groups.append(group)
    return [TaggedSentence(tuple(w for w, _ in g), tuple(clause_tags([m for _, m in g]))) for g in groups]


def load_punctuation_corpus(max_words: int = 40) -> list[TaggedSentence]:
    """`punctuation_corpus` of the shipped chapters I-IV of Alice's Adventures in Wonderland (8,600 words)."""
    return punctuation_corpus(ALICE_FILE.read_text(encoding="utf-8"), max_words=max_words)


def capital_tags(text: str) -> list[TaggedSentence]:
    """Capitalised names as spans: each sentence of `text` (ended by '.', '?' or '!') with lower-cased words,
    a run of capitalised words that does not start the sentence tagged `B-CAP I-CAP ...`, every other word `O`.

    The labels come from the text's own capitals (restoring the capitals of names such as "Green Mountain" in
    lower-cased speech-recogniser output). How `files/examples/tagging_example.conll` was made (see its
    README). Words after the last sentence end form a sentence too."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    plain = normalise_text(text).replace("_", " ")
    matches = list(re.finditer(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*", plain))
    sentences, tokens, tags = [], [], []
    for i, m in enumerate(matches):
        word = m.group()
        capital = word[:1].isupper() and bool(tokens)
        tags.append(("I-CAP" if tags and tags[-1] != "O" else "B-CAP") if capital else "O")
        tokens.append(word.lower())
        end = matches[i + 1].start() if i + 1 < len(matches) else len(plain)
        if _mark(plain[m.end():end]) in SENTENCE_ENDS or i == len(matches) - 1:
            sentences.append(TaggedSentence(tuple(tokens), tuple(tags)))
            tokens, tags = [], []
    return sentences


def write_conll(sentences: Sequence[TaggedSentence], path: str | os.PathLike) -> None:
    """Write sentences as `read_conll` reads them: 'token tag' per line, a blank line after each sentence."""
    lines = [line for s in sentences for line in [*(f"{w} {t}" for w, t in zip(s.tokens, s.tags, strict=True)), ""]]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def restore_text(words: Sequence[str], tags: Sequence[str]) -> str:
    """The words with punctuation put back from clause tags, and a capital at each sentence start.

    A clause ends at a word whose next tag begins a new clause (B-, or another type), or at the last word;
    it ends with its type's mark (COMMA ',', PERIOD '.', QUESTION '?', EXCLAIM '!'). Tags that are not clause
    tags (e.g. 'O') add no mark."""
    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags: give one tag per word")
    out, capital = [], True
    for i, (word, tag) in enumerate(zip(words, tags, strict=True)):
        kind = tag[2:] if tag[:2] in ("B-", "I-") else ""
        nxt = tags[i + 1] if i + 1 < len(tags) else None
        ends = nxt is None or nxt.startswith("B-") or nxt[2:] != kind
        shown = word[:1].upper() + word[1:] if capital or word == "i" else word
        mark = PUNCTUATION.get(kind, "") if ends else ""
        out.append(shown + mark)
        capital = bool(mark) and kind in SENTENCE_ENDS
    return " ".join(out)


def read_conll(path: str | os.PathLike, *, encoding: str | None = None, option: str = "path") -> list[TaggedSentence]:
    """Sentences from a CoNLL-style file: one token per line, its tag in the LAST whitespace-separated column
    (other columns ignored), a blank line between sentences; lines starting with '#' and '-DOCSTART-' lines
    are skipped.

    path: the file (`~` and $VARS expanded; read by rnnlab.data.reading.read_text: UTF-8 or a byte-order mark,
    or `encoding`). Raises ValueError naming the line number for a line with only one column (a token with no
    tag), and for a file with no sentence; FileNotFoundError etc. name `option`."""
    text = read_text(path, encoding=encoding, option=option)
    sentences: list[TaggedSentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("#") or stripped.startswith("-DOCSTART-"):
            continue
        if not stripped:
            if tokens:
                sentences.append(TaggedSentence(tuple(tokens), tuple(tags)))
                tokens, tags = [], []
            continue
        columns = stripped.split()
        if len(columns) < 2:
            raise ValueError(f"{option}: {os.fspath(path)!r} line {number}: {stripped!r} has one column; each line "
                             "needs a token and its tag separated by a space or tab (e.g. 'Alice B-PER'), and a "
                             "blank line between sentences")
        tokens.append(columns[0])
        tags.append(columns[-1])
    if tokens:
        sentences.append(TaggedSentence(tuple(tokens), tuple(tags)))
    if not sentences:
        raise ValueError(f"{option}: {os.fspath(path)!r} has no tagged sentence: write one 'token tag' per line, "
                         "a blank line between sentences")
    return sentences


def split_sentences(sentences: Sequence[TaggedSentence], held_out_fraction: float = 0.2
                    ) -> tuple[list[TaggedSentence], list[TaggedSentence]]:
    """(train, held_out): the first `1 - held_out_fraction` of the sentences, and the rest (in order, no
    shuffling: the held-out text comes after the training text). Raises ValueError when either part would be
    empty."""
    check_float(held_out_fraction, "held_out_fraction", minimum=0.0, maximum=1.0, strict_minimum=True)
    cut = round(len(sentences) * (1 - held_out_fraction))
    if cut < 1 or cut >= len(sentences):
        raise ValueError(f"{len(sentences)} sentences cannot be split with held_out_fraction={held_out_fraction}: "
                         "both parts need at least one sentence (give more sentences)")
    return list(sentences[:cut]), list(sentences[cut:])


class TagSet:
    """A two-way map between tags and ids 0..num_tags-1 (in the order given)."""

    def __init__(self, tags: Sequence[str]) -> None:
        if len(set(tags)) != len(tags) or not tags:
            raise ValueError(f"tags must be distinct and not empty, got {list(tags)}")
        self.itos = list(tags)
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def from_sentences(cls, sentences: Sequence[TaggedSentence]) -> TagSet:
        """Every tag seen, sorted by type then B before I (O first)."""
        seen = {t for s in sentences for t in s.tags}
        return cls(sorted(seen, key=lambda t: (t != "O", t[2:], t[:2])))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tags: Sequence[str]) -> list[int]:
        unknown = [t for t in tags if t not in self.stoi]
        if unknown:
            raise ValueError(f"tag {unknown[0]!r} is not in the tag set {self.itos}: the training sentences never "
                             "used it")
        return [self.stoi[t] for t in tags]

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.itos[int(i)] for i in ids]


def build_word_vocab(sentences: Sequence[TaggedSentence], min_freq: int = 1) -> Vocab:
    """A word vocabulary from training sentences (rare words -> <unk>)."""
    return Vocab([s.tokens for s in sentences], min_freq=min_freq)


def tag_batch(sentences: Sequence[TaggedSentence], vocab: Vocab, tagset: TagSet
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(ids (batch, time) int64 padded with vocab.pad_id, tags (batch, time) int64 padded with -100,
    lengths (batch,) int64) for a list of sentences; time = the longest sentence."""
    if not sentences:
        raise ValueError("no sentences to batch")
    n, time = len(sentences), max(len(s) for s in sentences)
    ids = torch.full((n, time), vocab.pad_id, dtype=torch.long)
    tags = torch.full((n, time), -100, dtype=torch.long)
    for b, s in enumerate(sentences):
        ids[b, :len(s)] = torch.tensor(vocab.encode(s.tokens))
        tags[b, :len(s)] = torch.tensor(tagset.encode(s.tags))
    lengths = torch.tensor([len(s) for s in sentences])
    return ids, tags, lengths
