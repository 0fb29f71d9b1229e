"""LSTM and GRU cells written from scratch in torch, a loop over time, and weight copying from nn.LSTM / nn.GRU.

References: Hochreiter & Schmidhuber 1997 (LSTM, the constant error carousel); Gers, Schmidhuber & Cummins
2000 (the forget gate); Cho et al. 2014 (the GRU); Jozefowicz, Zaremba & Sutskever 2015 (forget-gate bias 1).

The equations follow torch's conventions exactly, so that weights copied from `nn.LSTM` / `nn.GRU` give the
same outputs:

LSTM (torch gate order i, f, g, o; two bias vectors b_ih and b_hh)
    i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)        input gate
    f = sigmoid(W_if x + b_if + W_hf h + b_hf)        forget gate
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)           candidate cell
    o = sigmoid(W_io x + b_io + W_ho h + b_ho)        output gate
    c' = f * c + i * g ;  h' = o * tanh(c')

GRU (torch gate order r, z, n; the reset gate multiplies (W_hn h + b_hn), i.e. it acts AFTER the product)
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)        reset gate
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)        update gate
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))     candidate
    h' = (1 - z) * n + z * h
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnlab.validate import check_array, check_choice, check_float, check_int

LSTM_GATES = ("input", "forget", "cell", "output")   # torch's order of the four row blocks: i, f, g, o
GRU_GATES = ("reset", "update", "new")               # torch's order of the three row blocks: r, z, n


class _Cell(nn.Module):
    """Shared parts: weights W_ih (gates*H, I), W_hh (gates*H, H) and two biases, initialised like torch."""

    n_gates = 1

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        G, H = self.n_gates, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size))   # (gates*H, I)
        self.weight_hh = nn.Parameter(torch.empty(G * H, H))            # (gates*H, H)
        self.bias_ih = nn.Parameter(torch.empty(G * H))
        self.bias_hh = nn.Parameter(torch.empty(G * H))
        bound = 1.0 / math.sqrt(H)  # torch's initialisation: U(-1/sqrt(H), 1/sqrt(H)) for every tensor
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _check_step(self, x: torch.Tensor, h: torch.Tensor, name: str = "h") -> None:
        check_array(x, "x_t", shape=("batch", self.input_size), floating=True)
        check_array(h, name, shape=("batch", self.hidden_size), floating=True)
        if h.shape[0] != x.shape[0]:
            raise ValueError(f"{name} has batch size {h.shape[0]} but x_t has {x.shape[0]}; they must agree")

    def zero_state(self, batch: int, like: torch.Tensor | None = None):
        z = torch.zeros(batch, self.hidden_size, dtype=like.dtype if like is not None else None,
                        device=like.device if like is not None else None)
        return z


class LSTMCell(_Cell):
    """One LSTM step: `(x_t, (h, c)) -> (h', c')`; x_t: (batch, input_size), h, c: (batch, hidden_size)."""

    n_gates = 4

    def gates(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        """All gate activations of one step: input, forget, cell (candidate g), output, c, h; each (batch, H)."""
        h, c = _unpack(state, "LSTMCell")
        self._check_step(x, h)
        self._check_step(x, c, "c")
        z = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh  # (batch, 4H)
        i, f, g, o = z.chunk(4, dim=1)                                                  # 4 x (batch, H)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c_new = f * c + i * g                # the additive path: dc'/dc = f, no weight matrix in between
        h_new = o * torch.tanh(c_new)
        return {"input": i, "forget": f, "cell": g, "output": o, "c": c_new, "h": h_new}

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if state is None:
            check_array(x, "x_t", shape=("batch", self.input_size), floating=True)
            state = (self.zero_state(x.shape[0], x), self.zero_state(x.shape[0], x))
        out = self.gates(x, state)
        return out["h"], out["c"]


class GRUCell(_Cell):
    """One GRU step: `(x_t, h) -> h'`; x_t: (batch, input_size), h: (batch, hidden_size)."""

    n_gates = 3

    def gates(self, x: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """All gate activations of one step: reset, update, new (candidate), h; each (batch, H)."""
        if isinstance(h, tuple | list):
            raise TypeError("GRUCell's state is one tensor h of shape (batch, hidden_size), not a tuple "
                            "(only the LSTM carries a cell state c)")
        self._check_step(x, h)
        gi = x @ self.weight_ih.T + self.bias_ih         # (batch, 3H)
        gh = h @ self.weight_hh.T + self.bias_hh         # (batch, 3H)
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)                    # reset applied after the matrix product (torch)
        h_new = (1 - z) * n + z * h
        return {"reset": r, "update": z, "new": n, "h": h_new}

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        if h is None:
            check_array(x, "x_t", shape=("batch", self.input_size), floating=True)
            h = self.zero_state(x.shape[0], x)
        return self.gates(x, h)["h"]


def _unpack(state: object, who: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(state, tuple | list) or len(state) != 2:
        raise TypeError(f"{who} expects its state as a pair (h, c) of (batch, hidden_size) tensors, got "
                        f"{type(state).__name__}")
    return state[0], state[1]


CELLS: dict[str, type[_Cell]] = {"lstm": LSTMCell, "gru": GRUCell}


class Recurrent(nn.Module):
    """A one-layer LSTM or GRU that loops a scratch cell over time in plain Python (like nn.LSTM / nn.GRU).

    x: (batch, time, input_size) if `batch_first` else (time, batch, input_size).
    Returns (outputs, final state): outputs (batch, time, H) or (time, batch, H); state h (batch, H) for the
    GRU, (h, c) for the LSTM. With `return_gates=True` also returns a dict of gate activations, each stacked
    to (batch, time, H) (always batch first).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, *, batch_first: bool = True) -> None:
        super().__init__()
        self.kind = check_choice(cell, "cell", list(CELLS))
        self.cell = CELLS[cell](input_size, hidden_size)
        self.batch_first = bool(batch_first)

    @property
    def hidden_size(self) -> int:
        return self.cell.hidden_size

    def forward(self, x: torch.Tensor, state=None, *, return_gates: bool = False):
        check_array(x, "x", shape=("batch", "time", self.cell.input_size) if self.batch_first
                    else ("time", "batch", self.cell.input_size), floating=True)
        if self.batch_first:
            x = x.transpose(0, 1)                                  # (time, batch, I)
        batch = x.shape[1]
        if state is None:
            zero = self.cell.zero_state(batch, x)
            state = (zero, zero.clone()) if self.kind == "lstm" else zero
        outputs, record = [], {}
        for x_t in x:                                              # x_t: (batch, I)
            step = self.cell.gates(x_t, state)
            state = (step["h"], step["c"]) if self.kind == "lstm" else step["h"]
            outputs.append(step["h"])
            if return_gates:
                for k, v in step.items():
                    record.setdefault(k, []).append(v)
        out = torch.stack(outputs, dim=1 if self.batch_first else 0)  # (batch, time, H) or (time, batch, H)
        if return_gates:
            return out, state, {k: torch.stack(v, dim=1) for k, v in record.items()}  # each (batch, time, H)
        return out, state


def load_from(cell: LSTMCell | GRUCell | Recurrent, torch_module: nn.Module, layer: int = 0) -> None:
    """Copy the weights of `torch_module` (nn.LSTM, nn.GRU, nn.LSTMCell or nn.GRUCell) into a scratch cell.

    torch stores the gate blocks stacked in rows in the order (i, f, g, o) for the LSTM and (r, z, n) for the
    GRU, with two bias vectors b_ih and b_hh; the scratch cells use exactly that layout, so the copy is 1:1.
    `layer` picks the layer of a stacked nn.LSTM / nn.GRU (forward direction).
    """
    target = cell.cell if isinstance(cell, Recurrent) else cell
    if not isinstance(target, _Cell):
        raise TypeError(f"cell must be an LSTMCell, GRUCell or Recurrent, got {type(cell).__name__}")
    want = nn.LSTM if isinstance(target, LSTMCell) else nn.GRU
    want_cell = nn.LSTMCell if isinstance(target, LSTMCell) else nn.GRUCell
    if not isinstance(torch_module, want | want_cell):
        raise TypeError(f"a {type(target).__name__} takes weights from {want.__name__} or {want_cell.__name__}, "
                        f"got {type(torch_module).__name__}")
    suffix = "" if isinstance(torch_module, want_cell) else f"_l{check_int(layer, 'layer', minimum=0)}"
    if suffix and layer >= torch_module.num_layers:
        raise ValueError(f"layer must be < num_layers={torch_module.num_layers}, got {layer}")
    if getattr(torch_module, "proj_size", 0):
        raise ValueError("nn.LSTM with proj_size > 0 has no scratch counterpart")
    if not getattr(torch_module, "bias", True):
        raise ValueError("the torch module was built with bias=False; the scratch cells always have biases")
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            src = getattr(torch_module, name + suffix)
            dst = getattr(target, name)
            if src.shape != dst.shape:
                raise ValueError(f"{name}{suffix} has shape {tuple(src.shape)} in the torch module but "
                                 f"{tuple(dst.shape)} in the scratch cell (input/hidden sizes differ)")
            dst.copy_(src)


copy_weights_from_torch = load_from


def set_forget_bias(lstm: nn.LSTM | LSTMCell | Recurrent, value: float) -> None:
    """Set the LSTM's forget-gate bias (b_if + b_hf) to `value` in every layer (Jozefowicz et al. 2015: 1.0).

    torch adds two biases, so b_if is set to `value` and b_hf to 0.
    """
    value = check_float(value, "value")
    module = lstm.cell if isinstance(lstm, Recurrent) else lstm
    if isinstance(module, LSTMCell):
        pairs = [(module.bias_ih, module.bias_hh)]
    elif isinstance(module, nn.LSTM):
        pairs = [(getattr(module, n), getattr(module, n.replace("_ih_", "_hh_")))
                 for n, _ in module.named_parameters() if n.startswith("bias_ih_")]
    else:
        raise TypeError(f"set_forget_bias needs an LSTM (nn.LSTM, LSTMCell or Recurrent('lstm')), "
                        f"got {type(lstm).__name__}")
    with torch.no_grad():
        for b_ih, b_hh in pairs:
            H = b_ih.shape[0] // 4
            b_ih[H:2 * H] = value                   # rows H..2H are the forget gate (order i, f, g, o)
            b_hh[H:2 * H] = 0.0
