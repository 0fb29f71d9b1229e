"""A bidirectional recurrent acoustic model trained with CTC, and two CTC decoders.

Connectionist Temporal Classification (Graves, Fernández, Gomez & Schmidhuber 2006): the network emits, at
every frame, a distribution over the labels plus a *blank*; a label string is read off a frame-wise path by
collapsing repeated symbols and then deleting blanks ("_33_7__" -> "37"). The CTC loss sums the probability
of every path that collapses to the reference, so no frame-level alignment is needed. Bidirectional
recurrent layers (Schuster & Paliwal 1997) over log-mel frames follow Graves, Mohamed & Hinton (2013).
Prefix beam search: Graves et al. (2006) section 3.2; Hannun et al. (2014), arXiv:1408.2873.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnnlab.validate import check_array, check_choice, check_int, check_lengths

BLANK = 0              # class 0 is the CTC blank; class d + 1 is the digit d
NUM_CLASSES = 11       # blank + ten digits
SYMBOLS = ["_"] + [str(d) for d in range(10)]   # how each class is printed


def digits_to_tokens(digits: list[int]) -> list[int]:
    """Digits 0-9 -> class ids 1-10 (class 0 is the blank)."""
    for d in digits:
        if not 0 <= int(d) <= 9:
            raise ValueError(f"digits must lie in 0-9, got {d}")
    return [int(d) + 1 for d in digits]


def tokens_to_digits(tokens: list[int]) -> list[int]:
    """Class ids 1-10 -> digits 0-9 (blanks, if any, are dropped)."""
    return [int(t) - 1 for t in tokens if int(t) != BLANK]


def min_ctc_frames(labels: list[int]) -> int:
    """The fewest frames a CTC path for `labels` can have: one per label, plus one blank between each pair of
    equal neighbours ("3 3" needs "3_3"). [3, 3, 7] -> 4; [] -> 0."""
    labels = [int(y) for y in labels]
    return len(labels) + sum(a == b for a, b in zip(labels, labels[1:], strict=False))


@dataclass
class AcousticConfig:
    n_mels: int = 32              # input features per frame
    hidden_size: int = 64         # recurrent units per direction
    num_layers: int = 2           # stacked bidirectional recurrent layers
    cell: str = field(default="gru", metadata={"choices": ["gru", "lstm"]})  # recurrent layer type
    subsample: int = 2            # a strided convolution keeps every `subsample`-th frame (faster RNN)
    dropout: float = 0.1          # dropout between recurrent layers
    bidirectional: bool = True    # a backward recurrent layer too (False: each frame sees only the past)


class CTCAcousticModel(nn.Module):
    """Log-mel frames -> strided Conv1d -> bidirectional (or forward-only) GRU/LSTM -> linear ->
    log-probabilities over blank + 10 digits.

    forward(x: (batch, time, n_mels), lengths: (batch,)) -> (log_probs: (batch, time', 11), lengths': (batch,))
    with time' = ceil(time / subsample). Raises ValueError for a length of 0 or one longer than `time`.
    """

    def __init__(self, config: AcousticConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or AcousticConfig()
        check_int(config.n_mels, "n_mels", minimum=1)
        check_int(config.hidden_size, "hidden_size", minimum=1)
        check_int(config.num_layers, "num_layers", minimum=1)
        check_int(config.subsample, "subsample", minimum=1)
        check_choice(config.cell, "cell", ["gru", "lstm"])
        self.conv = nn.Conv1d(config.n_mels, config.hidden_size, kernel_size=2 * config.subsample + 1,
                              stride=config.subsample, padding=config.subsample)
        rnn = nn.GRU if config.cell == "gru" else nn.LSTM
        directions = 2 if config.bidirectional else 1
        self.rnn = rnn(config.hidden_size, config.hidden_size, num_layers=config.num_layers, batch_first=True,
                       bidirectional=config.bidirectional, dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.head = nn.Linear(directions * config.hidden_size, NUM_CLASSES)

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames after subsampling: ceil(lengths / subsample)."""
        return torch.div(lengths + self.config.subsample - 1, self.config.subsample, rounding_mode="floor")

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        check_array(x, "x", shape=("batch", "time", self.config.n_mels), floating=True)
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long)
        lengths = check_lengths(lengths, "lengths", max_len=x.shape[1], batch=x.shape[0])   # (batch,) int64, CPU
        h = torch.relu(self.conv(x.transpose(1, 2))).transpose(1, 2)          # (batch, time', hidden)
        out_lengths = self.output_lengths(lengths).clamp(max=h.shape[1])
        packed = nn.utils.rnn.pack_padded_sequence(h, out_lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=h.shape[1])  # (b, t', 2H)
        return torch.log_softmax(self.head(out), dim=-1), out_lengths         # (batch, time', 11)


def _as_log_probs(log_probs: torch.Tensor | np.ndarray) -> np.ndarray:
    check_array(log_probs, "log_probs", shape=("time", "classes"), floating=True, nonempty=False)
    if isinstance(log_probs, torch.Tensor):
        return log_probs.detach().cpu().double().numpy()
    return np.asarray(log_probs, dtype=np.float64)


def collapse(path: list[int], blank: int = BLANK) -> list[int]:
    """The CTC collapse B: merge runs of the same symbol, then drop blanks. [0,3,3,0,3,7,7] -> [3,3,7]."""
    out, previous = [], None
    for symbol in path:
        if symbol != previous and symbol != blank:
            out.append(int(symbol))
        previous = symbol
    return out


def greedy_decode(log_probs: torch.Tensor | np.ndarray, blank: int = BLANK) -> list[int]:
    """Best path decoding: the most likely class at each frame, collapsed. log_probs: (time, classes)."""
    lp = _as_log_probs(log_probs)
    return collapse(lp.argmax(axis=1).tolist(), blank) if len(lp) else []


def _logsumexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    m = max(a, b)
    return m + math.log(math.exp(a - m) + math.exp(b - m))


def prefix_beam_search(log_probs: torch.Tensor | np.ndarray, beam_width: int = 8,
                       blank: int = BLANK, prune: float = 20.0) -> list[int]:
    """CTC prefix beam search: keep the `beam_width` most probable label prefixes, each with the total
    probability of the paths ending in a blank (p_b) and in its last label (p_nb). log_probs: (time, classes).

    Unlike greedy decoding, it sums over the many paths that collapse to the same string. At each frame only
    the classes within `prune` nats of the frame's best class are tried (e**-20 ~ 2e-9: they cannot change
    the ranking); `prune=math.inf` tries every class.
    """
    lp = _as_log_probs(log_probs)
    beam_width = check_int(beam_width, "beam_width", minimum=1)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}  # prefix -> (log p_b, log p_nb)
    for t in range(len(lp)):
        nxt: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [-math.inf, -math.inf])
        classes = np.flatnonzero(lp[t] >= lp[t].max() - prune).tolist()      # the classes worth trying
        for prefix, (p_b, p_nb) in beams.items():
            total = _logsumexp(p_b, p_nb)
            for c in classes:
                p = lp[t, c]
                if c == blank:                                   # blank: prefix unchanged, now ends in blank
                    nxt[prefix][0] = _logsumexp(nxt[prefix][0], total + p)
                    continue
                extended = prefix + (c,)
                if prefix and prefix[-1] == c:
                    nxt[extended][1] = _logsumexp(nxt[extended][1], p_b + p)   # a blank separated the repeat
                    nxt[prefix][1] = _logsumexp(nxt[prefix][1], p_nb + p)      # the repeat merges
                else:
                    nxt[extended][1] = _logsumexp(nxt[extended][1], total + p)
        ranked = sorted(nxt.items(), key=lambda kv: _logsumexp(*kv[1]), reverse=True)[:beam_width]
        beams = {prefix: (v[0], v[1]) for prefix, v in ranked}
    best = max(beams.items(), key=lambda kv: _logsumexp(*kv[1]))[0]
    return list(best)


def pad_features(feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack variable-length feature matrices [(frames_i, n)] -> (padded: (batch, max_frames, n), lengths).

    Raises ValueError naming the first clip that is not a (frames, n) matrix, has 0 frames, or has another
    number of features than the first clip.
    """
    if not len(feats):
        raise ValueError("feats is empty; expected at least one (frames, n_mels) matrix")
    feats = [torch.as_tensor(f) for f in feats]
    for i, f in enumerate(feats):
        if f.ndim != 2:
            raise ValueError(f"feats[{i}] must be a (frames, n_mels) matrix, got shape {tuple(f.shape)}")
        if len(f) == 0:
            raise ValueError(f"feats[{i}] has 0 frames: an empty clip cannot be recognised; drop it "
                             f"(every clip needs at least one frame)")
        if f.shape[1] != feats[0].shape[1]:
            raise ValueError(f"feats[{i}] has {f.shape[1]} features per frame, feats[0] has {feats[0].shape[1]}")
    lengths = torch.tensor([len(f) for f in feats], dtype=torch.long)
    return nn.utils.rnn.pad_sequence(list(feats), batch_first=True), lengths   # (batch, max_frames, n)


def _check_clips(feats: list[torch.Tensor]) -> None:
    """Name the first bad clip of the whole list (pad_features sees one batch at a time)."""
    if not len(feats):
        raise ValueError("feats is empty; expected a list of (frames, n_mels) matrices")
    for i, f in enumerate(feats):
        shape = tuple(np.shape(f))
        if len(shape) != 2:
            raise ValueError(f"feats[{i}] must be a (frames, n_mels) matrix, got shape {shape}")
        if shape[0] == 0:
            raise ValueError(f"feats[{i}] has 0 frames: an empty clip cannot be recognised; drop it "
                             f"(every clip needs at least one frame)")


@torch.no_grad()
def predict_log_probs(model: CTCAcousticModel, feats: list[torch.Tensor],
                      batch_size: int = 64) -> list[torch.Tensor]:
    """Per-frame log-probabilities of each utterance: [(frames_i, n_mels)] -> [(frames_i', 11)].

    Raises ValueError naming any clip with 0 frames or the wrong shape (see `pad_features`).
    """
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    _check_clips(feats)                                   # name a bad clip by its index in the whole list
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out: list[torch.Tensor] = []
    for start in range(0, len(feats), batch_size):
        x, lengths = pad_features(feats[start:start + batch_size])
        log_probs, out_lengths = model(x.to(device), lengths)                # (batch, time', 11)
        out += [lp[:n].cpu() for lp, n in zip(log_probs, out_lengths.tolist(), strict=True)]
    model.train(was_training)
    return out


def decode(log_probs: list[torch.Tensor], beam_width: int = 1) -> list[list[int]]:
    """Digit strings from per-utterance log-probabilities: greedy when beam_width is 1, else prefix beam search."""
    beam_width = check_int(beam_width, "beam_width", minimum=1)
    decoder = greedy_decode if beam_width == 1 else (lambda lp: prefix_beam_search(lp, beam_width))
    return [tokens_to_digits(decoder(lp)) for lp in log_probs]
