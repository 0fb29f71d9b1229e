"""Exercise checks for notebook 04: an LSTM cell and a GRU cell written by the student, compared with torch.

The student writes a plain function of one step with torch's weight layout:
    lstm_cell(x_t, h, c, W_ih, W_hh, b_ih, b_hh) -> (h_new, c_new)     gate order i, f, g, o
    gru_cell(x_t, h, W_ih, W_hh, b_ih, b_hh) -> h_new                    gate order r, z, n
The check runs it over a short sequence and compares every hidden state (which time step differs first) and
the gradient of each weight (which one differs) with torch.nn.LSTMCell / torch.nn.GRUCell. First it runs one step
of the reference with each known mistake made (the gates read in another order, the reset gate applied before the
matrix product as in Cho et al. 2014, z and 1 - z swapped, a bias left out, no tanh on the cell state, (c, h)
returned swapped, ...) and, when the student's step equals one of them, names that mistake in words.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import torch
from torch import nn

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, matches, name_mistake, student_answer

_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh")


_LSTM_GATES, _GRU_GATES = ("i", "f", "g", "o"), ("r", "z", "n")
_GATE_WORDS = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate", "r": "reset gate",
               "z": "update gate", "n": "new state candidate"}


def _order_message(kind: str, order: tuple[str, ...]) -> str:
    right = _LSTM_GATES if kind == "lstm" else _GRU_GATES
    return (f"the gates are read in the wrong order: you took the chunks of W_ih x + W_hh h as "
            f"({', '.join(order)}); torch stacks them as ({', '.join(right)}) = "
            f"({', '.join(_GATE_WORDS[g] for g in right)})")


def _lstm_mistakes(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                   b_ih: torch.Tensor, b_hh: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """One LSTM step with each known mistake made, as torch.cat([h_new, c_new], dim=1), and its message."""

    def step(order=_LSTM_GATES, bias_hh=True, bias_ih=True, tanh_c=True, g_act=torch.tanh, h_from_old_c=False,
             swap=False) -> torch.Tensor:
        z = x @ W_ih.T + h @ W_hh.T + (b_ih if bias_ih else 0) + (b_hh if bias_hh else 0)   # (batch, 4 hidden)
        gates = dict(zip(order, z.chunk(4, dim=1), strict=True))
        c_new = torch.sigmoid(gates["f"]) * c + torch.sigmoid(gates["i"]) * g_act(gates["g"])
        c_out = c if h_from_old_c else c_new
        h_new = torch.sigmoid(gates["o"]) * (torch.tanh(c_out) if tanh_c else c_out)
        return torch.cat([c_new, h_new] if swap else [h_new, c_new], dim=1)

    mistakes = [(step(order=order), _order_message("lstm", order))
                for order in itertools.permutations(_LSTM_GATES) if order != _LSTM_GATES]
    return mistakes + [
        (step(bias_hh=False), "b_hh is missing: torch adds both biases, x W_ih^T + b_ih + h W_hh^T + b_hh"),
        (step(bias_ih=False), "b_ih is missing: torch adds both biases, x W_ih^T + b_ih + h W_hh^T + b_hh"),
        (step(tanh_c=False), "h_new = o * tanh(c_new): you left out the tanh on the cell state"),
        (step(swap=True), "you returned (c_new, h_new): return (h_new, c_new), in that order"),
        (step(g_act=torch.sigmoid), "the cell candidate g uses tanh (values in (-1, 1)), not sigmoid"),
        (step(h_from_old_c=True), "h_new reads the old cell state: h_new = o * tanh(c_new), with the c just "
                                  "computed"),
    ]


def _gru_mistakes(x: torch.Tensor, h: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor, b_ih: torch.Tensor,
                  b_hh: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """One GRU step with each known mistake made, and its message."""
    def step(order=_GRU_GATES, reset="torch", swap_z=False, bias_hh=True) -> torch.Tensor:
        gi = dict(zip(order, (x @ W_ih.T + b_ih).chunk(3, dim=1), strict=True))           # each (batch, hidden)
        W = dict(zip(order, W_hh.chunk(3, dim=0), strict=True))                            # each (hidden, hidden)
        b = dict(zip(order, (b_hh if bias_hh else 0 * b_hh).chunk(3), strict=True))
        r = torch.sigmoid(gi["r"] + h @ W["r"].T + b["r"])
        z = torch.sigmoid(gi["z"] + h @ W["z"].T + b["z"])
        if reset == "cho":                                     # Cho et al. 2014: r * h before the product
            n = torch.tanh(gi["n"] + (r * h) @ W["n"].T + b["n"])
        elif reset == "bias_outside":
            n = torch.tanh(gi["n"] + r * (h @ W["n"].T) + b["n"])
        elif reset == "none":
            n = torch.tanh(gi["n"] + h @ W["n"].T + b["n"])
        else:
            n = torch.tanh(gi["n"] + r * (h @ W["n"].T + b["n"]))
        return z * n + (1 - z) * h if swap_z else (1 - z) * n + z * h

    mistakes = [(step(order=order), _order_message("gru", order))
                for order in itertools.permutations(_GRU_GATES) if order != _GRU_GATES]
    return mistakes + [
        (step(reset="cho"), "the reset gate is in the wrong place: you multiplied r * h before the matrix "
                            "product (Cho et al. 2014); torch applies it after, "
                            "n = tanh(W_in x + b_in + r * (W_hn h + b_hn))"),
        (step(reset="bias_outside"), "the reset gate multiplies W_hn h + b_hn together in torch: "
                                     "n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); you left b_hn outside"),
        (step(reset="none"), "the reset gate is missing from the candidate: "
                             "n = tanh(W_in x + b_in + r * (W_hn h + b_hn))"),
        (step(swap_z=True), "z and 1 - z are swapped: torch computes h_new = (1 - z) * n + z * h (z near 1 keeps "
                            "the old state)"),
        (step(bias_hh=False), "b_hh is missing: torch adds b_hr, b_hz to the gates and b_hn inside r * (...)"),
    ]


def _diagnose_step(kind: str, fn: Callable, ref: nn.Module, x: torch.Tensor, h: torch.Tensor,
                   c: torch.Tensor) -> None:
    """Run the student's cell for one step; when it differs from torch's `ref`, name the known mistake it equals."""
    w = [p.detach().clone() for p in (ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh)]
    with torch.no_grad():
        if kind == "lstm":
            expected = torch.cat(ref(x, (h, c)), dim=1)                       # (batch, 2 hidden): [h_new, c_new]
            out = student_answer(fn, x, h, c, *w, like=(expected[:, :h.shape[1]], expected[:, h.shape[1]:]))
            if not (isinstance(out, tuple | list) and len(out) == 2
                    and all(isinstance(o, torch.Tensor) and o.shape == h.shape for o in out)):
                return                                                        # the sequence run names the shape
            got, mistakes = torch.cat(list(out), dim=1), _lstm_mistakes(x, h, c, *w)
        else:
            expected = ref(x, h)
            got = student_answer(fn, x, h, *w, like=expected)
            mistakes = _gru_mistakes(x, h, *w)
    if not matches(got, expected, atol=1e-5):
        name_mistake(got, mistakes, reference=expected, atol=1e-5)


def _weights(ref: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone().requires_grad_(True) for p in (ref.weight_ih, ref.weight_hh, ref.bias_ih,
                                                                 ref.bias_hh)]


def _run(kind: str, fn: Callable, input_size: int = 3, hidden_size: int = 4, batch: int = 2, T: int = 6,
         seed: int = 0) -> None:
    torch.manual_seed(seed)
    ref = nn.LSTMCell(input_size, hidden_size) if kind == "lstm" else nn.GRUCell(input_size, hidden_size)
    with torch.no_grad():  # non-zero state biases, so that a reset gate in the wrong place shows
        ref.bias_hh.add_(0.5)
    mine_w, ref_w = _weights(ref), [ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh]
    xs = torch.randn(T, batch, input_size)                                  # (time, batch, I)
    h0, c0 = 0.5 * torch.randn(batch, hidden_size), 0.5 * torch.randn(batch, hidden_size)
    _diagnose_step(kind, fn, ref, xs[0], h0, c0)
    got_h, exp_h, got_c, exp_c = [], [], [], []
    h, c, rh, rc = h0, c0, h0, c0
    for x in xs:
        if kind == "lstm":
            rh, rc = ref(x, (rh, rc))
            out = student_answer(fn, x, h, c, *mine_w, like=(rh, rc))
            if not isinstance(out, tuple | list) or len(out) != 2:
                raise ExerciseFailure(f"lstm_cell should return a pair (h_new, c_new), got {type(out).__name__}")
            h, c = out
            if not isinstance(c, torch.Tensor) or c.shape != rc.shape:
                raise ExerciseFailure(f"c_new should be a tensor of shape (batch, hidden) = {tuple(rc.shape)}, got "
                                      f"{tuple(c.shape) if isinstance(c, torch.Tensor) else type(c).__name__}")
            got_c.append(c)
            exp_c.append(rc)
        else:
            rh = ref(x, rh)
            h = student_answer(fn, x, h, *mine_w, like=rh)
            if isinstance(h, tuple | list):
                raise ExerciseFailure("gru_cell should return one tensor h_new (the GRU has no cell state), "
                                      "got a tuple")
        if not isinstance(h, torch.Tensor):
            raise ExerciseFailure(f"the new hidden state should be a torch tensor, got {type(h).__name__}")
        got_h.append(h)
        exp_h.append(rh)
        if h.shape != rh.shape:
            raise ExerciseFailure(f"h_new has shape {tuple(h.shape)}, expected (batch, hidden) = {tuple(rh.shape)}")
    compare_arrays("h over time", torch.stack(got_h), torch.stack(exp_h), time_axis=0, atol=1e-5)
    if kind == "lstm":
        compare_arrays("c over time", torch.stack(got_c), torch.stack(exp_c), time_axis=0, atol=1e-5)
    w = torch.randn(T, batch, hidden_size)
    loss_mine = (torch.stack(got_h) * w).sum()
    loss_ref = (torch.stack(exp_h) * w).sum()
    if not loss_mine.requires_grad:
        raise ExerciseFailure("h_new does not depend on the weights through autograd (did you use .detach(), "
                              ".numpy() or torch.no_grad()?)")
    loss_mine.backward()
    loss_ref.backward()
    for name, p, q in zip(_NAMES, mine_w, ref_w, strict=True):
        if p.grad is None:
            raise ExerciseFailure(f"the gradient of {name} is missing: your cell does not use {name}")
        compare_arrays(f"the gradient of {name}", p.grad, q.grad, atol=1e-4, rtol=1e-4)


def check_lstm_cell(lstm_cell: Callable) -> bool:
    """Check `lstm_cell(x_t, h, c, W_ih, W_hh, b_ih, b_hh) -> (h_new, c_new)` against torch.nn.LSTMCell."""
    return check_exercise("LSTM cell", lambda: (_run("lstm", lstm_cell), _run("lstm", lstm_cell, 1, 1, 1, 3, 1)))


def check_gru_cell(gru_cell: Callable) -> bool:
    """Check `gru_cell(x_t, h, W_ih, W_hh, b_ih, b_hh) -> h_new` against torch.nn.GRUCell."""
    return check_exercise("GRU cell", lambda: (_run("gru", gru_cell), _run("gru", gru_cell, 1, 1, 1, 3, 1)))
