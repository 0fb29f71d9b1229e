"""A recurrent sequence model with a linear head: many-to-one or many-to-many, over vectors or tokens."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from rnnlab.validate import check_array, check_choice, check_int

RECURRENT_LAYERS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def count_parameters(model: nn.Module | str, input_size: int | None = None, hidden_size: int | None = None,
                     output_size: int = 0) -> int:
    """Number of trainable parameters, counted or by formula (the course's one name for it).

    count_parameters(model): the trainable parameters of an nn.Module, counted.
    count_parameters(cell, input_size, hidden_size, output_size=0): by formula, one recurrent layer of `cell`
    ("rnn" | "lstm" | "gru", PyTorch's two bias vectors), gates * (H*I + H*H + 2H) with gates = 1, 3, 4, plus a
    linear head H*O + O when output_size > 0: a one-layer SequenceModel over vectors.

    Raises TypeError for a model that is neither an nn.Module nor a cell name; ValueError naming cell,
    input_size, hidden_size or output_size for a value out of range.
    """
    if isinstance(model, nn.Module):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    if not isinstance(model, str):
        raise TypeError(f"count_parameters needs an nn.Module or a cell name ('rnn', 'lstm', 'gru'), "
                        f"got {type(model).__name__}")
    gates = {"rnn": 1, "gru": 3, "lstm": 4}[check_choice(model, "cell", list(RECURRENT_LAYERS))]
    I, H = check_int(input_size, "input_size", minimum=1), check_int(hidden_size, "hidden_size", minimum=1)
    O = check_int(output_size, "output_size", minimum=0)
    return gates * (H * I + H * H + 2 * H) + (H * O + O)


class SequenceModel(nn.Module):
    """Embedding (for tokens) or nothing (for vectors) -> nn.RNN / nn.LSTM / nn.GRU -> linear head.

    x: (batch, time, input_size) floats, or (batch, time) token ids when `vocab_size` is given.
    Returns (batch, output_size) when `many_to_one` (the head reads the last hidden state),
    else (batch, time, output_size).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int, *,
                 num_layers: int = 1, vocab_size: int | None = None, many_to_one: bool = True,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.cell = check_choice(cell, "cell", list(RECURRENT_LAYERS))
        self.input_size = check_int(input_size, "input_size", minimum=1)
        check_int(hidden_size, "hidden_size", minimum=1)
        check_int(output_size, "output_size", minimum=1)
        check_int(num_layers, "num_layers", minimum=1)
        self.vocab_size = None if vocab_size is None else check_int(vocab_size, "vocab_size", minimum=1)
        self.embedding = nn.Embedding(vocab_size, input_size) if vocab_size is not None else None
        self.rnn = RECURRENT_LAYERS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                                          dropout=dropout if num_layers > 1 else 0.0)
        self.head = nn.Linear(hidden_size, output_size)
        self.many_to_one = many_to_one

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, time, input_size) floats, or (batch, time) token ids; a numpy array is converted, and float
        inputs are cast to the model's dtype and device (float16/float64 data into a float32 model work).

        Raises TypeError for an x that is not an array or has the wrong kind of dtype, ValueError naming x for a
        wrong shape, an empty x, a NaN or infinite value, or a token id outside [0, vocab_size).
        """
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(np.ascontiguousarray(x))
        if self.embedding is not None:
            check_array(x, "x", shape=("batch", "time"), integer=True)
            if x.min() < 0 or x.max() >= self.vocab_size:
                raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got range "
                                 f"[{int(x.min())}, {int(x.max())}]")
            x = self.embedding(x)                              # (batch, time, input_size)
        else:
            check_array(x, "x", shape=("batch", "time", self.input_size), floating=True, finite=True)
            weight = self.head.weight
            x = x.to(device=weight.device, dtype=weight.dtype)   # (batch, time, input_size) in the model's dtype
        out, _ = self.rnn(x)                                   # (batch, time, hidden)
        if self.many_to_one:
            return self.head(out[:, -1])                       # (batch, output_size)
        return self.head(out)                                  # (batch, time, output_size)


def matched_hidden_size(cell: str, input_size: int, output_size: int, target_parameters: int) -> int:
    """The hidden size whose one-layer `cell` model has the parameter count closest to `target_parameters`."""
    check_int(target_parameters, "target_parameters", minimum=1)
    sizes = range(1, 2049)
    return min(sizes, key=lambda h: abs(count_parameters(cell, input_size, h, output_size)
                                         - target_parameters))
