"""minGRU and minLSTM: recurrences whose gates ignore the past state, so they train with a parallel scan.

Feng, Tung, Ahmed, Bengio & Hajimirsadeghi 2024, "Were RNNs All We Needed?" (arXiv:2410.01201) drop the
hidden state from the gates of the GRU and LSTM. Each step is then a *linear* recurrence

    h_t = a_t * h_{t-1} + b_t          (element-wise; a_t, b_t depend only on x_t)

and all T states can be computed at once with a scan instead of T dependent steps. The scan here works in log
space (Heinsen 2023, "Efficient Parallelization of a Ubiquitous Sequential Computation", arXiv:2311.06281):

    log h_t = a*_t + logcumsumexp_k (log b_k - a*_k),     a*_t = sum_{j<=t} log a_j

which needs a_t > 0 and b_t > 0: the candidate state goes through g(x) = x + 1/2 (x >= 0), sigmoid(x) (x < 0),
so every state stays positive. The cumulative log-sum-exp is itself computed as a parallel prefix scan
(`logcumsumexp_scan`: Hillis & Steele 1986, log2(T) rounds of one whole-tensor `logaddexp` each), equal to
`torch.logcumsumexp` up to rounding and, with its backward pass, about 2-3 times faster on a CPU.
Each layer has two forms with the same weights: `parallel=True` (the scan, for training on whole sequences) and
`parallel=False` (a visible Python loop over the cell, the form used for streaming inference one token at a time).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnlab.validate import check_array, check_choice, check_int


def g(x: torch.Tensor) -> torch.Tensor:
    """The positive activation of minGRU/minLSTM candidates: x + 1/2 for x >= 0, sigmoid(x) below (continuous)."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: torch.Tensor) -> torch.Tensor:
    """log g(x), computed without taking the log of a tiny number."""
    return torch.where(x >= 0, (F.relu(x) + 0.5).log(), -F.softplus(-x))


def _tensor(x: object) -> object:
    """A numpy array as a torch tensor (this module computes in torch); anything else as it came."""
    return torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else x


def _check_log(x: torch.Tensor, name: str) -> None:
    """A log-space input may hold -inf (log 0) but never NaN or +inf (an infinite coefficient or input)."""
    if bool(torch.isnan(x).any()) or bool(torch.isposinf(x).any()):
        raise ValueError(f"{name} contains NaN or +inf; it holds logs of finite positive numbers (-inf, log 0, is "
                         "allowed)")


def logcumsumexp_scan(x: torch.Tensor) -> torch.Tensor:
    """log(cumsum(exp(x))) along dim 1 of x: (batch, time, hidden), by a Hillis-Steele prefix scan.

    Round k (k = 0, 1, ...) adds to every position t >= 2**k the partial result at t - 2**k, in log space
    (`torch.logaddexp`, stable), so after ceil(log2 T) rounds position t holds logsumexp(x_1..x_t). Equal to
    `torch.logcumsumexp(x, dim=1)` up to rounding; faster on a CPU, forward and backward, because each round is
    one whole-tensor operation. Inputs holding -inf (log 0) are handed to `torch.logcumsumexp` itself, so such
    edge cases behave exactly as torch's. Hillis & Steele 1986, "Data parallel algorithms", CACM 29(12).
    """
    if bool(torch.isneginf(x).any()):
        return torch.logcumsumexp(x, dim=1)
    T, shift = x.shape[1], 1
    while shift < T:
        x = torch.cat([x[:, :shift], torch.logaddexp(x[:, shift:], x[:, : T - shift])], dim=1)  # (batch, time, hidden)
        shift *= 2
    return x


def parallel_scan_log(log_a: torch.Tensor, log_b: torch.Tensor, log_h0: torch.Tensor | None = None) -> torch.Tensor:
    """All states of h_t = a_t * h_{t-1} + b_t at once, in log space.

    log_a, log_b: (batch, time, hidden) logs of the (positive) coefficients and inputs.
    log_h0: (batch, hidden) log of the initial state, or None for h_0 = 0.
    Returns h: (batch, time, hidden), the states h_1 .. h_T (a tensor; numpy inputs are converted).
    Raises TypeError for an argument that is not an array or not floating-point, ValueError (naming it) for a
    wrong or mismatched shape, an empty array, or a NaN or +inf entry.
    """
    log_a, log_b, log_h0 = _tensor(log_a), _tensor(log_b), _tensor(log_h0)
    check_array(log_a, "log_a", ndim=3, floating=True)
    check_array(log_b, "log_b", shape=tuple(log_a.shape), floating=True)
    _check_log(log_a, "log_a")
    _check_log(log_b, "log_b")
    if log_h0 is not None:
        check_array(log_h0, "log_h0", shape=(log_a.shape[0], log_a.shape[2]), floating=True)
        _check_log(log_h0, "log_h0")
        log_a = F.pad(log_a, (0, 0, 1, 0))                      # (batch, 1 + time, hidden): a_0 = 1
        log_b = torch.cat([log_h0.unsqueeze(1), log_b], dim=1)  # (batch, 1 + time, hidden): b_0 = h_0
    a_star = torch.cumsum(log_a, dim=1)                         # log of a_1 * ... * a_t
    log_h = a_star + logcumsumexp_scan(log_b - a_star)          # (batch, [1 +] time, hidden)
    h = torch.exp(log_h)
    return h[:, 1:] if log_h0 is not None else h


def linear_scan_sequential(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """The same recurrence h_t = a_t * h_{t-1} + b_t as a plain loop over time (the reference for the scan).

    a, b: (batch, time, hidden); h0: (batch, hidden) or None for zeros. Returns (batch, time, hidden), a tensor
    (numpy inputs are converted). Raises TypeError for an argument that is not an array or not floating-point,
    ValueError (naming it) for a wrong or mismatched shape, an empty array, or a NaN or infinite entry.
    """
    a, b, h0 = _tensor(a), _tensor(b), _tensor(h0)
    check_array(a, "a", ndim=3, floating=True, finite=True)
    check_array(b, "b", shape=tuple(a.shape), floating=True, finite=True)
    if h0 is not None:
        check_array(h0, "h0", shape=(a.shape[0], a.shape[2]), floating=True, finite=True)
    h = torch.zeros_like(a[:, 0]) if h0 is None else h0         # (batch, hidden)
    states = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        states.append(h)
    return torch.stack(states, dim=1)                           # (batch, time, hidden)


class MinGRUCell(nn.Module):
    """One minGRU step: z_t = sigmoid(W_z x_t), h~_t = g(W_h x_t), h_t = (1 - z_t) h_{t-1} + z_t h~_t.

    Unlike nn.GRUCell, neither the gate nor the candidate looks at h_{t-1}.
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.linear_z = nn.Linear(input_size, hidden_size)  # update gate, from the input only
        self.linear_h = nn.Linear(input_size, hidden_size)  # candidate state, from the input only

    def forward(self, x_t: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """x_t: (batch, input_size), h_prev: (batch, hidden_size) -> h_t: (batch, hidden_size)."""
        z = torch.sigmoid(self.linear_z(x_t))
        return (1 - z) * h_prev + z * g(self.linear_h(x_t))

    def log_coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(log a, log b) of the linear recurrence for a whole sequence x: (batch, time, input_size)."""
        k = self.linear_z(x)                                    # (batch, time, hidden)
        log_one_minus_z = -F.softplus(k)                        # log(1 - sigmoid(k))
        log_z = -F.softplus(-k)                                 # log(sigmoid(k))
        return log_one_minus_z, log_z + log_g(self.linear_h(x))


class MinLSTMCell(nn.Module):
    """One minLSTM step: f_t, i_t = sigmoid(W_f x_t), sigmoid(W_i x_t) normalised to sum to 1,
    h~_t = g(W_h x_t), h_t = f'_t h_{t-1} + i'_t h~_t (no output gate, no separate cell state)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.linear_f = nn.Linear(input_size, hidden_size)  # forget gate
        self.linear_i = nn.Linear(input_size, hidden_size)  # input gate
        self.linear_h = nn.Linear(input_size, hidden_size)  # candidate state

    def forward(self, x_t: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """x_t: (batch, input_size), h_prev: (batch, hidden_size) -> h_t: (batch, hidden_size)."""
        f = torch.sigmoid(self.linear_f(x_t))
        i = torch.sigmoid(self.linear_i(x_t))
        return f / (f + i) * h_prev + i / (f + i) * g(self.linear_h(x_t))

    def log_coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(log a, log b) of the linear recurrence for a whole sequence x: (batch, time, input_size)."""
        diff = F.softplus(-self.linear_f(x)) - F.softplus(-self.linear_i(x))  # log i - log f
        log_f = -F.softplus(diff)                               # log(f / (f + i))
        log_i = -F.softplus(-diff)                              # log(i / (f + i))
        return log_f, log_i + log_g(self.linear_h(x))


CELLS: dict[str, type[nn.Module]] = {"mingru": MinGRUCell, "minlstm": MinLSTMCell}


class MinRNN(nn.Module):
    """A minGRU or minLSTM layer over a whole sequence, in its parallel (scan) or sequential (loop) form.

    x: (batch, time, input_size); h0: (batch, hidden_size) positive, or None for zeros.
    Returns (out, h_last): (batch, time, hidden_size) and (batch, hidden_size).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.kind = check_choice(cell, "cell", list(CELLS))    # the cell type's name; self.cell is the module
        self.cell = CELLS[cell](input_size, hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None, *,
                parallel: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        check_array(x, "x", shape=("batch", "time", self.input_size), floating=True)
        if h0 is not None:
            check_array(h0, "h0", shape=(x.shape[0], self.hidden_size), floating=True)
            if bool((h0 <= 0).any()):
                raise ValueError("h0 must be positive (minGRU/minLSTM states live in log space); pass None for zeros")
        if parallel:
            log_a, log_b = self.cell.log_coefficients(x)        # (batch, time, hidden) each
            out = parallel_scan_log(log_a, log_b, None if h0 is None else h0.log())
        else:
            h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0
            states = []
            for t in range(x.shape[1]):                         # one dependent step per time step
                h = self.cell(x[:, t], h)
                states.append(h)
            out = torch.stack(states, dim=1)                    # (batch, time, hidden)
        return out, out[:, -1]


class MinRNNRegressor(nn.Module):
    """Stacked minGRU/minLSTM layers and a linear head on the last state: (batch, time, input) -> (batch, output).

    Between layers a linear map lets the next layer see signed features (the states themselves are positive).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, output_size: int, *,
                 num_layers: int = 2) -> None:
        super().__init__()
        check_int(num_layers, "num_layers", minimum=1)
        check_int(output_size, "output_size", minimum=1)
        self.input_size = check_int(input_size, "input_size", minimum=1)
        sizes = [input_size] + [hidden_size] * num_layers
        self.layers = nn.ModuleList(MinRNN(cell, sizes[k], sizes[k + 1]) for k in range(num_layers))
        self.mixers = nn.ModuleList(nn.Linear(hidden_size, hidden_size) for _ in range(num_layers - 1))
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor, *, parallel: bool = True) -> torch.Tensor:
        check_array(x, "x", shape=("batch", "time", self.input_size), floating=True)
        for k, layer in enumerate(self.layers):
            x, _ = layer(x, parallel=parallel)                  # (batch, time, hidden)
            if k < len(self.mixers):
                x = self.mixers[k](x)
        return self.head(x[:, -1])                              # (batch, output)

    def step(self, x_t: torch.Tensor, state: list[torch.Tensor] | None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Streaming form: one token x_t (batch, input_size) and the per-layer states ->
        (the prediction after this token (batch, output), the new states, one (batch, hidden) per layer)."""
        check_array(x_t, "x_t", shape=("batch", self.input_size), floating=True)
        new_state = []
        for k, layer in enumerate(self.layers):
            h = x_t.new_zeros(x_t.shape[0], layer.hidden_size) if state is None else state[k]
            x_t = layer.cell(x_t, h)                            # (batch, hidden)
            new_state.append(x_t)
            if k < len(self.mixers):
                x_t = self.mixers[k](x_t)
        return self.head(x_t), new_state
