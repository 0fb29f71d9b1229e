"""Reference solutions of the exercises, written once for every test of a check (`from solutions import ...`).

- `lstm_step`, `gru_step`: one step of PyTorch's LSTM / GRU cell written out (notebook 04's exercises), torch
  tensors, PyTorch's gate order (i, f, g, o) and (r, z, n): what `check_lstm_cell` / `check_gru_cell` must accept.
- `training_loop`: notebook 03's training-loop exercise (zero_grad, backward, clip, step, loss.item(), evaluation
  every `eval_every` steps under eval() and no_grad(), then back to train()): what `check_training_loop` accepts;
  `mistake=` gives the known wrong variants the check must name.
- `torch_twin`: nn.RNN + nn.Linear holding the weights of `rnnlab.models.numpy_rnn`'s parameters (notebook 02's
  "the same in torch" check), to compare the numpy forward and backward passes with torch's.
- `ctc_nll`: notebook 09's alpha recursion (CTC's negative log-likelihood in log space); its switches plant the
  known mistakes of the exercise (reviews' wrong answers w09*.py) that `check_ctc_forward` must name.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """x (batch, I), h and c (batch, H) -> (h, c) of the next step; PyTorch's gate order i, f, g, o."""
    i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)      # (batch, H) each
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """x (batch, I), h (batch, H) -> h of the next step; PyTorch's convention (r applied to W_hn h + b_hn)."""
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)                       # (batch, H) each
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    return (1 - z) * torch.tanh(i_n + r * h_n) + z * h


MISTAKES = ("train_mode_not_restored", "eval_in_train_mode", "eval_with_grad", "tensor_losses",
            "zero_grad_after_step")


def training_loop(model, optimizer, batches, clip, x_test, y_test, eval_every, *, mistake: str | None = None):
    """Notebook 03's loop: returns (training losses as floats, test losses every `eval_every` steps).

    `mistake` plants one known variant: "train_mode_not_restored" (no model.train() after evaluating),
    "eval_in_train_mode" (no model.eval()), "eval_with_grad" (no torch.no_grad()), "tensor_losses" (the loss kept
    as a tensor, not loss.item()), or "zero_grad_after_step" (gradients cleared after the step instead of before
    the backward: not a mistake, the check must pass it).
    """
    assert mistake is None or mistake in MISTAKES, mistake
    losses, test_losses = [], []
    model.train()
    for step, (x, y) in enumerate(batches, start=1):
        loss = nn.functional.mse_loss(model(x), y)
        if mistake != "zero_grad_after_step":
            optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if mistake == "zero_grad_after_step":
            optimizer.zero_grad()
        losses.append(loss if mistake == "tensor_losses" else loss.item())
        if step % eval_every == 0:
            model.train(mistake == "eval_in_train_mode")             # model.eval(), unless that is the mistake
            with torch.set_grad_enabled(mistake == "eval_with_grad"):
                test_losses.append(nn.functional.mse_loss(model(x_test), y_test).item())
            if mistake != "train_mode_not_restored":
                model.train()
    return losses, test_losses


def ctc_nll(log_probs: torch.Tensor, target: list[int], blank: int, *, skip_equal: bool = False,
            end_last_only: bool = False, prob_space: bool = False, no_init1: bool = False,
            blank_zero: bool = False) -> float:
    """-log p(target | log_probs (time, classes)) by the alpha recursion over the target with blanks around and
    between its labels. The switches plant one mistake each: a skip between equal labels (`skip_equal`), only
    alpha_T[S-1] at the end (`end_last_only`), sums of probabilities (`prob_space`), no alpha_1(1) (`no_init1`),
    class 0 as the blank (`blank_zero`)."""
    blank = 0 if blank_zero else blank
    ext = [blank]
    for y in target:
        ext += [y, blank]
    steps, positions = log_probs.shape[0], len(ext)
    alpha = torch.full((steps, positions), -math.inf, dtype=log_probs.dtype)    # (time, 2 * labels + 1)
    alpha[0, 0] = log_probs[0, blank]
    if positions > 1 and not no_init1:
        alpha[0, 1] = log_probs[0, ext[1]]
    for t in range(1, steps):
        for s in range(positions):
            terms = [alpha[t - 1, s]]
            if s >= 1:
                terms.append(alpha[t - 1, s - 1])
            if s >= 2 and ext[s] != blank and (skip_equal or ext[s] != ext[s - 2]):
                terms.append(alpha[t - 1, s - 2])
            if prob_space:
                alpha[t, s] = torch.log(sum(torch.exp(x) for x in terms)) + log_probs[t, ext[s]]
            else:
                alpha[t, s] = torch.logsumexp(torch.stack(terms), 0) + log_probs[t, ext[s]]
    if end_last_only:
        return -float(alpha[steps - 1, positions - 1])
    return -float(torch.logsumexp(alpha[steps - 1, max(positions - 2, 0):], 0))


def torch_twin(params, nonlinearity="tanh"):
    """nn.RNN + nn.Linear (float64) holding the same weights as the numpy params."""
    hidden, inputs = params["W_xh"].shape
    rnn = torch.nn.RNN(inputs, hidden, batch_first=True, nonlinearity=nonlinearity).double()
    head = torch.nn.Linear(hidden, params["W_hy"].shape[0]).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params["W_xh"]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params["W_hh"]))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params["b_h"]))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(params["W_hy"]))
        head.bias.copy_(torch.from_numpy(params["b_y"]))
    return rnn, head
