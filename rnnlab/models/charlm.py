"""A character-level language model (Karpathy's char-rnn) on nn.LSTM / nn.GRU, with stateful training and sampling.

The model reads characters one at a time and predicts the next one: p(x_{t+1} | x_1..x_t). Trained on long
text with truncated backpropagation through time (Williams & Peng 1990; notebook 02), the hidden state is
carried from one window to the next and detached, so the model sees context beyond the window while
gradients stop at its edge. Sampling draws from softmax(logits / temperature), optionally from the top k
characters only; temperature -> 0 is the argmax (greedy decoding).

References: Graves (2013) "Generating sequences with recurrent neural networks"; Karpathy (2015) "The
unreasonable effectiveness of recurrent neural networks"; Karpathy, Johnson & Fei-Fei (2015) "Visualizing
and understanding recurrent networks".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from rnnlab.validate import check_array, check_choice, check_float, check_int

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
CELLS: dict[str, type[nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU}


class CharLM(nn.Module):
    """Embedding -> nn.LSTM / nn.GRU -> linear head over the vocabulary.

    forward(x, state) with x: (batch, time) int64 ids returns logits (batch, time, vocab_size) and the new
    state (for an LSTM the pair (h, c), each (num_layers, batch, hidden_size); for a GRU h alone).
    """

    def __init__(self, vocab_size: int, hidden_size: int = 128, *, cell: str = "lstm",
                 embedding_dim: int = 32, num_layers: int = 1) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.cell = check_choice(cell, "cell", list(CELLS))
        check_int(embedding_dim, "embedding_dim", minimum=1)
        self.num_layers = check_int(num_layers, "num_layers", minimum=1)
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = CELLS[cell](embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        check_array(x, "x", shape=("batch", "time"), integer=True)
        if x.min() < 0 or x.max() >= self.vocab_size:
            raise ValueError(f"character ids must lie in [0, {self.vocab_size}), got range "
                             f"[{int(x.min())}, {int(x.max())}]")
        out, state = self.rnn(self.embedding(x), state)  # out: (batch, time, hidden)
        return self.head(out), state                     # (batch, time, vocab)


def detach_state(state: State | None) -> State | None:
    """Cut the graph at the window edge (truncated BPTT): same values, no gradient into the past."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class StatefulLoss:
    """loss_fn(model, (x, y, first)) for rnnlab.train.train: cross-entropy in nats, with the hidden state carried
    across batches and detached (truncated BPTT); the state is reset to zeros when `first` is True (a new pass
    over the text). With carry=False the state is reset at every window instead (each window read alone).

    x, y: (batch, seq_len) int64 ids, y the next characters of x. Returns a scalar tensor.
    """

    def __init__(self, carry: bool = True) -> None:
        self.carry = bool(carry)
        self.state: State | None = None

    def __call__(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, bool]) -> torch.Tensor:
        x, y, first = batch
        if first or not self.carry:
            self.state = None                            # start of a pass (or no carrying): zero state
        logits, state = model(x, self.state)             # (batch, seq_len, vocab)
        self.state = detach_state(state)                 # keep the values, cut the graph at the window edge
        return nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())


@torch.no_grad()
def stream_logits(model: CharLM, streams: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Logits for every next character of parallel streams, the state carried across chunks.

    streams: (batch, n) ids. Returns (batch, n - 1, vocab): row b, step t predicts streams[b, t + 1].
    """
    check_array(streams, "streams", shape=("batch", "n"), integer=True)
    check_int(chunk, "chunk", minimum=1)
    if streams.shape[1] < 2:
        raise ValueError(f"streams need at least 2 characters to predict one, got {streams.shape[1]}")
    was_training = model.training
    model.eval()
    inputs, state, pieces = streams[:, :-1], None, []
    for start in range(0, inputs.shape[1], chunk):
        logits, state = model(inputs[:, start: start + chunk], state)  # (batch, chunk, vocab)
        pieces.append(logits)
    model.train(was_training)
    return torch.cat(pieces, dim=1)                      # (batch, n - 1, vocab)


def next_char_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """Probabilities softmax(logits / temperature) over the last axis, keeping only the `top_k` largest logits.

    logits: (..., vocab) float; -inf marks a character that must never be drawn, NaN is refused.
    temperature: >= 0. Any temperature > 0, however small (1e-40) or large, gives a finite distribution: the
    largest logit is subtracted before dividing, so nothing overflows; as temperature -> 0+ it tends to the
    argmax (ties share the mass). temperature == 0 is that limit: all mass on the argmax (ties: the first).
    top_k: None (no cut) or 1 <= top_k <= vocab; only the top_k largest logits keep probability (top_k = vocab
    keeps them all). Returns (..., vocab).
    logits may be a numpy array (converted to a tensor).
    Raises ValueError naming `temperature` (negative, NaN or inf), `top_k` (< 1 or > vocab) or `logits`
    (NaN, +inf, or every logit -inf); TypeError for logits that are not a float array.
    """
    if isinstance(logits, np.ndarray):
        logits = torch.from_numpy(np.ascontiguousarray(logits))              # numpy in, a tensor out
    check_array(logits, "logits", floating=True)
    if torch.isnan(logits).any():
        raise ValueError("logits contain NaN: the model's output is broken (check its inputs and weights)")
    if torch.isposinf(logits).any():
        raise ValueError("logits contain +inf: the model's output overflowed (check its inputs and weights); "
                         "-inf is the way to mark a character that must never be drawn")
    if (logits == float("-inf")).all(-1).any():
        raise ValueError("every logit is -inf in some row: no character is left to draw (exclude fewer ids)")
    temperature = check_float(temperature, "temperature", minimum=0.0)
    vocab = logits.shape[-1]
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer):
            raise TypeError(f"top_k must be an integer or None, got {type(top_k).__name__} ({top_k!r})")
        if not 1 <= top_k <= vocab:
            raise ValueError(f"top_k must lie in [1, {vocab}] (the vocabulary size), got {top_k}; "
                             "use top_k=None for no cut")
        if top_k < vocab:
            kth = torch.topk(logits, int(top_k), dim=-1).values[..., -1:]  # (..., 1) the k-th largest logit
            logits = logits.masked_fill(logits < kth, float("-inf"))
    if temperature == 0.0:
        return nn.functional.one_hot(logits.argmax(-1), vocab).to(logits.dtype)
    shifted = logits - logits.max(dim=-1, keepdim=True).values         # (..., vocab), <= 0, max exactly 0
    if temperature < torch.finfo(logits.dtype).tiny:                     # 1e-300 is 0 in float32: 0 / 0 = NaN
        return torch.softmax(shifted.double() / temperature, dim=-1).to(logits.dtype)
    return torch.softmax(shifted / temperature, dim=-1)                  # finite: exp(0) = 1 is always there


@torch.no_grad()
def sample_ids(model: CharLM, prompt: Sequence[int], length: int, *, temperature: float = 1.0,
               top_k: int | None = None, seed: int | None = None, exclude: Sequence[int] = ()) -> list[int]:
    """Feed the prompt ids, then draw `length` more ids one at a time; returns only the new ids.

    The same seed gives the same sample; temperature 0 is greedy (argmax) and needs no seed. Ids in `exclude`
    (e.g. <unk>) are never drawn.
    """
    prompt = [int(i) for i in prompt]
    if not prompt:
        raise ValueError("the prompt needs at least one character id to start from")
    if min(prompt) < 0 or max(prompt) >= model.vocab_size:
        raise ValueError(f"prompt ids must lie in [0, {model.vocab_size}), got {prompt}")
    check_int(length, "length", minimum=0)
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    logits, state = model(torch.tensor([prompt], device=device))  # (1, len(prompt), vocab)
    out: list[int] = []
    for _ in range(length):
        last = logits[0, -1].float().cpu()                                              # (vocab,)
        if exclude:
            last[list(exclude)] = float("-inf")
        probs = next_char_distribution(last, temperature, top_k)                          # (vocab,)
        nxt = int(torch.multinomial(probs, 1, generator=generator)) if temperature > 0 else int(probs.argmax())
        out.append(nxt)
        logits, state = model(torch.tensor([[nxt]], device=device), state)
    model.train(was_training)
    return out


@torch.no_grad()
def hidden_activations(model: CharLM, ids: Sequence[int] | torch.Tensor, which: str = "h") -> np.ndarray:
    """The last layer's hidden state after each character: (T, hidden_size).

    which='h': the output h_t (in [-1, 1]); which='c': the LSTM cell state c_t (unbounded; LSTM only).
    """
    check_choice(which, "which", ["h", "c"])
    ids = torch.as_tensor(ids, dtype=torch.long).reshape(1, -1)  # (1, T)
    if ids.shape[1] == 0:
        raise ValueError("need at least one character to show activations")
    if which == "c" and model.cell != "lstm":
        raise ValueError(f"only an LSTM has a cell state; this model is a {model.cell.upper()}")
    was_training = model.training
    model.eval()
    x = model.embedding(ids.to(next(model.parameters()).device))  # (1, T, emb)
    if which == "h":
        out, _ = model.rnn(x)                                        # (1, T, hidden)
        result = out[0]
    else:
        state, cells = None, []
        for t in range(x.shape[1]):
            _, state = model.rnn(x[:, t: t + 1], state)
            cells.append(state[1][-1, 0])                            # (hidden,) last layer's c_t
        result = torch.stack(cells)                                  # (T, hidden)
    model.train(was_training)
    return result.cpu().numpy()
