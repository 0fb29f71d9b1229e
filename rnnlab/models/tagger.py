"""Sequence taggers: one tag per token from an LSTM reading left to right, or both ways, with an optional CRF.

- `RNNTagger(vocab_size, num_tags, embedding_dim, hidden_size, bidirectional, crf, pad_id)`:
  embedding -> LSTM (one direction, or two: Huang, Xu and Yu 2015; Graves and Schmidhuber 2005) -> a linear
  layer giving each token a score per tag, the *emissions* (batch, time, num_tags). With `crf=True` a
  linear-chain CRF (rnnlab.models.crf.CRF; Lample et al. 2016) adds learned tag-to-tag transition scores:
  training minimises the negative log-likelihood of the gold tag path per real token (forward algorithm) and decoding is
  Viterbi; without it, training is per-token cross-entropy and decoding the per-token argmax.
  `forward(ids (batch, time) int64, lengths (batch,) int64) -> emissions (batch, time, num_tags)`;
  `loss(ids, lengths, tags)` (tags (batch, time) int64, padding -100) and `decode(ids, lengths)` -> (batch, time)
  int64 tag ids (padding -1).
- `MostFrequentTagger`: the baseline with no network: each word's most frequent training tag.
- `tagger_loss(model, batch)`: the loss of one batch `(ids, tags, lengths)` (what the training loop calls).

The bidirectional LSTM reads the padded batch packed (torch.nn.utils.rnn.pack_padded_sequence), so the
backward direction starts at each sentence's last real word, not at the padding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.models.crf import CRF
from rnnlab.validate import check_int

IGNORE = -100   # the tag id of padding positions in a batch of gold tags


def _check_batch(ids: torch.Tensor, lengths: torch.Tensor, vocab_size: int) -> None:
    if ids.dim() != 2 or ids.dtype != torch.long:
        raise ValueError(f"ids must be (batch, time) int64 word ids, got shape {tuple(ids.shape)} {ids.dtype}")
    if lengths.shape != (ids.shape[0],):
        raise ValueError(f"lengths must be (batch,) = ({ids.shape[0]},), got {tuple(lengths.shape)}")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(f"ids must lie in [0, {vocab_size}) (the vocabulary), got {int(ids.min())}.."
                         f"{int(ids.max())}: encode with the vocabulary the model was built for")
    if int(lengths.min()) < 1 or int(lengths.max()) > ids.shape[1]:
        raise ValueError(f"lengths must lie in [1, {ids.shape[1]}] (time), got {lengths.tolist()}")


def length_mask(lengths: torch.Tensor, time: int) -> torch.Tensor:
    """(batch, time) bools, True on the real steps of each sequence."""
    return torch.arange(time, device=lengths.device) < lengths.unsqueeze(1)


class RNNTagger(nn.Module):
    """An LSTM tagger (one direction or two), optionally with a CRF on top (see the module docstring)."""

    def __init__(self, vocab_size: int, num_tags: int, embedding_dim: int = 32, hidden_size: int = 64,
                 bidirectional: bool = True, crf: bool = False, pad_id: int = 0, dropout: float = 0.0) -> None:
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("num_tags", num_tags), ("embedding_dim", embedding_dim),
                            ("hidden_size", hidden_size)):
            check_int(value, name, minimum=1)
        self.vocab_size, self.num_tags = vocab_size, num_tags
        self.bidirectional = bidirectional
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)
        self.crf = CRF(num_tags) if crf else None

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Emissions (batch, time, num_tags): each token's score per tag (padding positions hold garbage)."""
        _check_batch(ids, lengths, self.vocab_size)
        x = self.dropout(self.embedding(ids))                                     # (batch, time, embedding_dim)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        h, _ = self.lstm(packed)
        h, _ = pad_packed_sequence(h, batch_first=True, total_length=ids.shape[1])  # (batch, time, H or 2H)
        return self.out(self.dropout(h))                                          # (batch, time, num_tags)

    def loss(self, ids: torch.Tensor, lengths: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        """The mean loss per real token: with the CRF, the gold paths' negative log-likelihood summed over the batch
        and divided by the number of real tokens; else the cross-entropy averaged over real tokens. Both are per
        word, so their values and gradient clipping are on the same scale (rnnlab.models.crf.CRF.loss is per
        sequence: this is it times batch / tokens)."""
        emissions = self(ids, lengths)
        if tags.shape != ids.shape:
            raise ValueError(f"tags must be (batch, time) = {tuple(ids.shape)} like ids, got {tuple(tags.shape)}")
        if self.crf is None:
            return nn.functional.cross_entropy(emissions.reshape(-1, self.num_tags), tags.reshape(-1),
                                               ignore_index=IGNORE)
        mask = length_mask(lengths, ids.shape[1])
        return self.crf.loss(emissions, tags.clamp(min=0), mask) * ids.shape[0] / mask.sum()

    @torch.no_grad()
    def decode(self, ids: torch.Tensor, lengths: torch.Tensor, use_crf: bool = True) -> torch.Tensor:
        """The best tags (batch, time) int64, padding -1: Viterbi with the CRF (unless use_crf=False), else the
        per-token argmax of the emissions."""
        emissions = self(ids, lengths)
        mask = length_mask(lengths, ids.shape[1])
        if self.crf is not None and use_crf:
            return self.crf.decode(emissions, mask)
        return emissions.argmax(-1).masked_fill(~mask, -1)


def tagger_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The loss of one batch `(ids, tags, lengths)`: `model.loss(ids, lengths, tags)`."""
    ids, tags, lengths = batch
    return model.loss(ids, lengths, tags)


class MostFrequentTagger:
    """Each word's most frequent tag in the training sentences; a word never seen gets the most frequent tag
    overall. Ties go to the tag seen first. `fit(sentences)` with `.tokens` and `.tags`; `predict(tokens)`."""

    def fit(self, sentences: Sequence) -> MostFrequentTagger:
        counts: dict[str, Counter] = {}
        overall: Counter = Counter()
        for s in sentences:
            for word, tag in zip(s.tokens, s.tags, strict=True):
                counts.setdefault(word, Counter())[tag] += 1
                overall[tag] += 1
        if not overall:
            raise ValueError("no tagged words to count: give at least one sentence")
        self.table = {w: c.most_common(1)[0][0] for w, c in counts.items()}
        self.default = overall.most_common(1)[0][0]
        return self

    def predict(self, tokens: Sequence[str]) -> list[str]:
        if not hasattr(self, "table"):
            raise RuntimeError("call fit(sentences) before predict")
        return [self.table.get(w, self.default) for w in tokens]
