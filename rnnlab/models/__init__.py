"""Models: torch modules built on nn.RNN / nn.LSTM / nn.GRU, and numpy references for understanding."""

from rnnlab.models.sequence import (
    RECURRENT_LAYERS,
    SequenceModel,
    count_parameters,
    matched_hidden_size,
)

__all__ = ["RECURRENT_LAYERS", "SequenceModel", "count_parameters", "matched_hidden_size"]
