"""Exercise checks for notebook 04: an LSTM cell and a GRU cell written by the student, compared with torch.

The student writes a plain function of one step with torch's weight layout:
    lstm_cell(x_t, h, c, W_ih, W_hh, b_ih, b_hh) -> (h_new, c_new)     gate order i, f, g, o
    gru_cell(x_t, h, W_ih, W_hh, b_ih, b_hh) -> h_new                    gate order r, z, n
The check runs it over a short sequence and compares every hidden state (which time step differs first) and
the gradient of each weight (which one differs) with torch.nn.LSTMCell / torch.nn.GRUCell.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, student_answer

_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh")


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
