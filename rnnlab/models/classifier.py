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


def last_real_state(outputs: torch.Tensor, lengths: torch.Tensor, *, bidirectional: bool,
                    hidden_size: int | None = None) -> torch.Tensor:
    """The output after each sequence's own last token: outputs (batch, time, hidden) -> (batch, hidden).

    `bidirectional` is required (no default), because the two layouts cannot be told apart from the numbers:
    a bidirectional RNN with H units and a one-directional one with 2H both give (batch, time, 2H). Pass the
    RNN's own flag, `bidirectional=rnn.bidirectional`, and (optionally) `hidden_size=rnn.hidden_size`, which
    checks the last axis against it (H for one direction, 2H for two).

    One direction (`bidirectional=False`): row b is outputs[b, lengths[b] - 1], not outputs[b, -1] (which, for
    a short sequence, is a padding step).

    Two directions (`bidirectional=True`): a bidirectional RNN's backward direction reads the sequence from its
    end to its start, so ITS summary of the whole sequence is its output at position 0, not at lengths[b] - 1
    (there it has read one word). outputs (batch, time, 2 * hidden) are laid out as torch's bidirectional
    GRU/LSTM give them ([forward | backward] on the last axis); a (batch, time, 2, hidden) view (the layout
    torch documents, `outputs.view(batch, time, 2, hidden)`) is read the same way. Returns (batch, 2 * hidden)
    = [forward at lengths[b] - 1 | backward at 0], the same as concatenating the final states h_n[0] and
    h_n[1] of a packed run. The backward half is only right when the RNN never read the padding: the outputs
    must come from a packed run (`pack_padded_sequence`, then `pad_packed_sequence`, which leaves zeros at
    padding). Backward outputs that are not zero at a padding position show that the backward direction
    started on the padding: refused (ValueError), since its output at position 0 then depends on how much
    padding followed.

    outputs: a float tensor or numpy array, (batch, time, hidden) or (batch, time, directions, hidden);
    lengths: a tensor, array or list of whole numbers in [1, time]. Raises TypeError for a non-float outputs,
    non-integer lengths, a `bidirectional` that is not True/False (missing: Python's own TypeError names it);
    ValueError (naming the argument and the first bad item) for a wrong shape, an empty outputs, a length of 0
    or longer than the time axis, a directions axis that disagrees with `bidirectional`, a last axis that is
    not hidden_size (one direction) or 2 * hidden_size (two), an odd last axis with bidirectional=True, or
    backward outputs that read the padding.
    """
    if not isinstance(bidirectional, bool | np.bool_):
        raise TypeError(f"bidirectional must be True or False: pass the flag of the RNN that made the outputs "
                        f"(bidirectional=rnn.bidirectional), got {bidirectional!r}")
    bidirectional = bool(bidirectional)
    directions = 2 if bidirectional else 1
    outputs = _tensor(outputs)
    if isinstance(outputs, torch.Tensor) and outputs.ndim == 4:
        check_array(outputs, "outputs", shape=("batch", "time", "directions", "hidden"), floating=True)
        if outputs.shape[2] != directions:
            raise ValueError(f"outputs (batch, time, directions, hidden) has {outputs.shape[2]} directions "
                             f"(shape {tuple(outputs.shape)}) but bidirectional={bidirectional} means "
                             f"{directions}: pass bidirectional=rnn.bidirectional for the RNN that made them")
        outputs = outputs.reshape(outputs.shape[0], outputs.shape[1], -1)      # (batch, time, dirs * hidden)
    check_array(outputs, "outputs", shape=("batch", "time", "hidden"), floating=True)
    if hidden_size is not None:
        hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        if outputs.shape[2] != directions * hidden_size:
            other = "one direction" if bidirectional else "two directions"
            hint = (f" (it is {other}'s size: is bidirectional={not bidirectional}?)"
                    if outputs.shape[2] == (3 - directions) * hidden_size else "")
            raise ValueError(f"outputs' last axis is {outputs.shape[2]}, but hidden_size={hidden_size} with "
                             f"bidirectional={bidirectional} means {directions} x {hidden_size} = "
                             f"{directions * hidden_size}{hint}")
    lengths = check_lengths(_tensor(lengths), "lengths", max_len=outputs.shape[1], batch=outputs.shape[0])
    rows = torch.arange(outputs.shape[0], device=outputs.device)
    last = lengths.to(outputs.device) - 1
    if not bidirectional:
        return outputs[rows, last]                                            # (batch, hidden)
    if outputs.shape[2] % 2:
        raise ValueError(f"bidirectional=True needs outputs (batch, time, 2 * hidden) with [forward | backward] "
                         f"on the last axis, got an odd size {outputs.shape[2]} (shape {tuple(outputs.shape)})")
    hidden = outputs.shape[2] // 2
    backward = outputs[..., hidden:]                                          # (batch, time, hidden)
    padding = ~padding_mask(lengths.to(outputs.device), outputs.shape[1])     # (batch, time) True at padding
    read_pad = (backward.detach().abs().amax(-1) > 0) & padding               # (batch, time)
    if bool(read_pad.any()):
        b = int(read_pad.any(1).nonzero()[0])
        raise ValueError(f"the backward direction read the padding: row {b} (length {int(lengths[b])}) has "
                         f"non-zero backward outputs after its last token, so the backward GRU started on "
                         f"padding and its output at position 0 depends on how much padding followed; run "
                         f"the RNN on pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False) "
                         f"and unpack with pad_packed_sequence (or use the final state h_n)")
    return torch.cat([outputs[rows, last, :hidden], backward[:, 0]], dim=-1)   # (batch, 2 * hidden)


def _logits(out: torch.Tensor, num_outputs: int) -> torch.Tensor:
    """(batch, 1) -> (batch,) for a two-class model (one logit); (batch, classes) kept for more classes."""
    return out.squeeze(-1) if num_outputs == 1 else out


def _class_logit(logits: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """The logit whose gradient contributions explain: the one logit of a two-class model, else the logit of
    `target` (batch,) or, when None, of the predicted class."""
    if logits.ndim == 1:
        return logits
    target = logits.argmax(-1) if target is None else torch.as_tensor(target, device=logits.device)
    return logits.gather(1, target.reshape(-1, 1)).squeeze(1)


class BagOfWordsClassifier(nn.Module):
    """Logistic regression on word counts: logit = b + sum over words of w[word] (order is ignored).

    forward(ids (batch, time), lengths (batch,)) -> logits (batch,) with the default num_outputs=1 (two
    classes: p(class 1) = sigmoid(logit)), or (batch, num_outputs) for more classes (softmax over them).
    """

    def __init__(self, vocab_size: int, num_outputs: int = 1) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
        self.num_outputs = check_int(num_outputs, "num_outputs", minimum=1)
        self.linear = nn.Linear(vocab_size, num_outputs)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        return _logits(self.linear(bag_of_words(ids, lengths, self.vocab_size)), self.num_outputs)

    def contributions(self, ids: torch.Tensor, lengths: torch.Tensor, target: torch.Tensor | None = None
                      ) -> torch.Tensor:
        """(batch, time): the weight of each word (0 at padding); they sum to logit - bias. With more than one
        output, the weights of class `target` (batch,) (default: the predicted class)."""
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        if self.num_outputs == 1:
            weights = self.linear.weight[0, ids]                            # (batch, time)
        else:
            with torch.no_grad():
                target = self(ids, lengths).argmax(-1) if target is None else torch.as_tensor(target)
            weights = self.linear.weight[target.reshape(-1, 1), ids]        # (batch, time)
        return (weights * padding_mask(lengths, ids.shape[1])).detach()


class RNNClassifier(nn.Module):
    """Embedding -> GRU or LSTM (optionally bidirectional) -> final state -> one logit.

    forward(ids (batch, time), lengths (batch,)) -> logits (batch,) (num_outputs=1: two classes), or
    (batch, num_outputs) for more classes. With `pack=True` the recurrent layer
    only sees each review's real tokens, so its final state does not depend on how much padding follows.
    `pack=False` runs over the padding too and reads the state after the last column (the mistake that
    packing avoids; kept to show the difference).
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 64, hidden_size: int = 64, *, cell: str = "gru",
                 bidirectional: bool = False, pad_id: int = 0, dropout: float = 0.0, pack: bool = True,
                 num_outputs: int = 1) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
        self.num_outputs = check_int(num_outputs, "num_outputs", minimum=1)
        check_int(embedding_dim, "embedding_dim", minimum=1)
        check_int(hidden_size, "hidden_size", minimum=1)
        self.cell = check_choice(cell, "cell", ["gru", "lstm"])
        self.bidirectional, self.pack = bool(bidirectional), bool(pack)
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_id)
        layer = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = layer(embedding_dim, hidden_size, batch_first=True, bidirectional=self.bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if self.bidirectional else 1), num_outputs)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        return self.forward_embedded(self.embedding(ids), lengths)

    def forward_embedded(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Logits (batch,) or (batch, num_outputs) from word vectors x: (batch, time, embedding_dim)."""
        x = self.dropout(x)
        if self.pack:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            _, state = self.rnn(packed)
        else:
            _, state = self.rnn(x)
        h = state[0] if self.cell == "lstm" else state                   # (directions, batch, hidden)
        final = torch.cat([h[0], h[1]], dim=-1) if self.bidirectional else h[0]   # (batch, hidden * dirs)
        return _logits(self.head(self.dropout(final)), self.num_outputs)   # (batch,) or (batch, classes)

    def contributions(self, ids: torch.Tensor, lengths: torch.Tensor, target: torch.Tensor | None = None
                      ) -> torch.Tensor:
        """Gradient x input per word, (batch, time): d logit / d embedding . embedding, 0 at padding. With more
        than one output, of the logit of class `target` (batch,) (default: the predicted class)."""
        ids, lengths = _check_ids(ids, lengths, self.vocab_size)
        was_training = self.training
        self.eval()
        with torch.enable_grad():
            x = self.embedding(ids).detach().requires_grad_(True)        # (batch, time, embed)
            logits = _class_logit(self.forward_embedded(x, lengths), target)   # (batch,)
            (grad,) = torch.autograd.grad(logits.sum(), x)                # (batch, time, embed)
        self.train(was_training)
        return (grad * x).sum(-1).detach() * padding_mask(lengths, ids.shape[1])   # (batch, time)


def make_classifier(model: str, vocab_size: int, *, embedding_dim: int = 64, hidden_size: int = 64,
                    pad_id: int = 0, dropout: float = 0.0, num_classes: int = 2) -> nn.Module:
    """"bow" -> BagOfWordsClassifier; "gru" / "lstm" -> RNNClassifier; "bigru" / "bilstm" -> bidirectional.

    model: the choice, as `SentimentConfig.model`; embedding_dim: size of a word's vector (as nn.Embedding).
    num_classes: 2 gives one logit per text (sigmoid), more gives one logit per class (softmax)."""
    check_choice(model, "model", ["bow", "gru", "lstm", "bigru", "bilstm"])
    check_int(num_classes, "num_classes", minimum=2)
    outputs = 1 if num_classes == 2 else num_classes
    if model == "bow":
        return BagOfWordsClassifier(vocab_size, outputs)
    return RNNClassifier(vocab_size, embedding_dim, hidden_size, cell=model.removeprefix("bi"),
                         bidirectional=model.startswith("bi"), pad_id=pad_id, dropout=dropout, num_outputs=outputs)
