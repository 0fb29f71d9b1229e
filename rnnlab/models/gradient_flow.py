"""How far back the gradient reaches: the norm of dL/dh_t for every time step t of a recurrent model.

For a loss L on the last step, dL/dh_t is the product of the step Jacobians from t to T. In a tanh RNN it
shrinks geometrically as t moves back (Bengio, Simard & Frasconi 1994; Pascanu, Mikolov & Bengio 2013); the
LSTM's additive cell state (the constant error carousel of Hochreiter & Schmidhuber 1997) keeps it alive as long
as the forget gate stays near 1, which a forget-gate bias of 1 encourages (Jozefowicz et al. 2015).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from rnnlab.models.sequence import SequenceModel
from rnnlab.validate import check_array


def hidden_gradient_norms(model: SequenceModel, x: torch.Tensor, y: torch.Tensor,
                          loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = nn.functional.mse_loss,
                          ) -> np.ndarray:
    """The norm of dL/dh_t at every step t, averaged over the batch: shape (time,).

    model: a one-layer `SequenceModel` (rnn, lstm or gru). x: its input, (batch, time, features) or
    (batch, time) token ids. y: the target for `loss_fn(model_output, y)`.
    The layer is stepped one time step at a time so that each h_t is a node whose total derivative autograd
    records (the full gradient through all later steps, not only the head's direct contribution).
    dL/dh_t is taken per sequence, its Euclidean norm over the hidden units, then averaged over the batch.
    The computation runs on a float64 copy of the model, so that tiny gradients (1e-30) do not underflow to 0.
    """
    if not isinstance(model, SequenceModel):
        raise TypeError(f"model must be an rnnlab SequenceModel, got {type(model).__name__}")
    if model.rnn.num_layers != 1:
        raise ValueError(f"hidden_gradient_norms needs a one-layer model, got num_layers={model.rnn.num_layers}")
    if model.embedding is not None:
        check_array(x, "x", shape=("batch", "time"), integer=True)
    else:
        check_array(x, "x", shape=("batch", "time", model.input_size), floating=True)
    model = copy.deepcopy(model).double().eval()  # the caller's model is left untouched
    if x.is_floating_point():
        x = x.double()
    if y.is_floating_point():
        y = y.double()
    inputs = model.embedding(x) if model.embedding is not None else x         # (batch, time, features)
    state, hs = None, []
    for t in range(inputs.shape[1]):
        out, state = model.rnn(inputs[:, t:t + 1], state)                      # out: (batch, 1, H)
        h = state[0] if isinstance(state, tuple) else state                   # (1, batch, H)
        h.retain_grad()
        hs.append(h)
        # the next step must consume this very tensor so that its gradient is the total derivative
        state = (h, state[1]) if isinstance(state, tuple) else h
    outs = torch.cat([h.transpose(0, 1) for h in hs], dim=1)                  # (batch, time, H)
    pred = model.head(outs[:, -1]) if model.many_to_one else model.head(outs)
    loss_fn(pred, y).backward()
    return np.array([h.grad[0].norm(dim=-1).mean().item() for h in hs])      # (time,)
