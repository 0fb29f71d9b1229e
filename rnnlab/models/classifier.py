"""Text classifiers: a bag-of-words linear baseline and a GRU/LSTM reader (one- or two-directional).

The recurrent classifier packs its padded batch with `torch.nn.utils.rnn.pack_padded_sequence`, so the final
state of each review is taken after its own last word, never after padding. Per-word contributions are
gradient x input on the word embeddings (Simonyan, Vedaldi & Zisserman 2014; Shrikumar et al. 2016), which
for the linear bag-of-words model is exactly each word's weight.

References: Hochreiter & Schmidhuber 1997 (LSTM); Cho et al. 2014 (GRU); Schuster & Paliwal 1997
(bidirectional RNNs); Joulin et al. 2017 ("Bag of Tricks for Efficient Text Classification", linear
bag-of-words baselines).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnnlab.validate import check_array, check_choice, check_int, check_lengths


def _tensor(x: object) -> object:
    """A numpy array as a torch tensor; anything else as it came (check_array judges it)."""
    return torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else x


def _check_ids(ids: torch.Tensor, lengths: torch.Tensor, vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Check token ids (batch, time) in [0, vocab_size) and one length per row in [1, time]; return both as
    tensors (numpy converted), the lengths as int64 on the ids' device."""
    ids = _tensor(ids)
    check_array(ids, "ids", shape=("batch", "time"), integer=True)
    lengths = check_lengths(_tensor(lengths), "lengths", batch=ids.shape[0], minimum=-(2**62))  # type, shape
    bad = ((lengths < 1) | (lengths > ids.shape[1])).nonzero().flatten()
    if bad.numel():
        i = int(bad[0])
        raise ValueError(f"lengths must lie in [1, {ids.shape[1]}] (the padded length), got range "
                         f"[{int(lengths.min())}, {int(lengths.max())}]: lengths[{i}] is {int(lengths[i])}")
    if int(ids.min()) < 0 or int(ids.max()) >= vocab_size:
        raise ValueError(f"token ids must lie in [0, {vocab_size}) (ids, vocab_size {vocab_size}), got range "
                         f"[{int(ids.min())}, {int(ids.max())}]")
    return ids, lengths.to(ids.device)


def padding_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """(batch, max_len) bool, True at real tokens and False at padding."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]   # (batch, max_len)


def bag_of_words(ids: torch.Tensor, lengths: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Word counts (batch, vocab_size) float: padding positions are not counted.

    ids: (batch, time) integer token ids in [0, vocab_size); lengths: (batch,) whole numbers in [1, time]
    (tensors, numpy arrays; lengths also a list). Raises TypeError for non-integer ids, lengths or vocab_size,
    ValueError (naming the argument) for a wrong shape, empty ids, an id outside the vocabulary or a length
    outside [1, time].
    """
    vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
    ids, lengths = _check_ids(ids, lengths, vocab_size)
    mask = padding_mask(lengths, ids.shape[1]).float()                  # (batch, time)
    counts = torch.zeros(ids.shape[0], vocab_size, device=ids.device)
    return counts.scatter_add_(1, ids, mask)                            # (batch, vocab)


def last_real_state(outputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The output after each sequence's own last token: outputs (batch, time, hidden) -> (batch, hidden).

    Row b is outputs[b, lengths[b] - 1], not outputs[b, -1] (which, for a short sequence, is a padding step).
    outputs: a float tensor or numpy array; lengths: a tensor, array or list of whole numbers in [1, time].
    Raises TypeError for a non-float outputs or non-integer lengths, ValueError (naming the argument and the
    first bad item) for a wrong shape, an empty outputs, or a length of 0 or longer than the time axis.
    """
    outputs = _tensor(outputs)
    check_array(outputs, "outputs", shape=("batch", "time", "hidden"), floating=True)
    lengths = check_lengths(_tensor(lengths), "lengths", max_len=outputs.shape[1], batch=outputs.shape[0])
    rows = torch.arange(outputs.shape[0], device=outputs.device)
    return outputs[rows, lengths.to(outputs.device) - 1]                 # (batch, hidden)


class BagOfWordsClassifier(nn.Module):
    """Logistic regression on word counts: logit = b + sum over words of w[word] (order is ignored).

    forward(ids (batch, time), lengths (batch,)) -> logits (batch,); p(great) = sigmoid(logit).
    """

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
        self.linear = nn.Linear(vocab_size, 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        return self.linear(bag_of_words(ids, lengths, self.vocab_size)).squeeze(-1)   # (batch,)

    def contributions(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(batch, time): the weight of each word (0 at padding); they sum to logit - bias."""
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        weights = self.linear.weight[0, ids]                                # (batch, time)
        return (weights * padding_mask(lengths, ids.shape[1])).detach()


class RNNClassifier(nn.Module):
    """Embedding -> GRU or LSTM (optionally bidirectional) -> final state -> one logit.

    forward(ids (batch, time), lengths (batch,)) -> logits (batch,). With `pack=True` the recurrent layer
    only sees each review's real tokens, so its final state does not depend on how much padding follows.
    `pack=False` runs over the padding too and reads the state after the last column (the mistake that
    packing avoids; kept to show the difference).
    """

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_size: int = 64, *, cell: str = "gru",
                 bidirectional: bool = False, pad_id: int = 0, dropout: float = 0.0, pack: bool = True) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
        check_int(embed_dim, "embed_dim", minimum=1)
        check_int(hidden_size, "hidden_size", minimum=1)
        self.cell = check_choice(cell, "cell", ["gru", "lstm"])
        self.bidirectional, self.pack = bool(bidirectional), bool(pack)
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=pad_id)
        layer = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = layer(embed_dim, hidden_size, batch_first=True, bidirectional=self.bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if self.bidirectional else 1), 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        return self.forward_embedded(self.embedding(ids), lengths)

    def forward_embedded(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits (batch,) from word vectors x: (batch, time, embed_dim) (used for gradient x input)."""
        x = self.dropout(x)
        if self.pack:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, state = self.rnn(packed)
        else:
            _, state = self.rnn(x)
        h = state[0] if self.cell == "lstm" else state                   # (directions, batch, hidden)
        final = torch.cat([h[0], h[1]], dim=-1) if self.bidirectional else h[0]   # (batch, hidden * dirs)
        return self.head(self.dropout(final)).squeeze(-1)                # (batch,)

    def contributions(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Gradient x input per word, (batch, time): d logit / d embedding . embedding, 0 at padding."""
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        was_training = self.training
        self.eval()
        with torch.enable_grad():
            x = self.embedding(ids).detach().requires_grad_(True)        # (batch, time, embed)
            logits = self.forward_embedded(x, lengths)
            (grad,) = torch.autograd.grad(logits.sum(), x)                # (batch, time, embed)
        self.train(was_training)
        return (grad * x).sum(-1).detach() * padding_mask(lengths, ids.shape[1])   # (batch, time)


def make_classifier(kind: str, vocab_size: int, *, embed_dim: int = 64, hidden_size: int = 64,
                    pad_id: int = 0, dropout: float = 0.0) -> nn.Module:
    """"bow" -> BagOfWordsClassifier; "gru" / "lstm" -> RNNClassifier; "bigru" / "bilstm" -> bidirectional."""
    check_choice(kind, "kind", ["bow", "gru", "lstm", "bigru", "bilstm"])
    if kind == "bow":
        return BagOfWordsClassifier(vocab_size)
    return RNNClassifier(vocab_size, embed_dim, hidden_size, cell=kind.removeprefix("bi"),
                         bidirectional=kind.startswith("bi"), pad_id=pad_id, dropout=dropout)
