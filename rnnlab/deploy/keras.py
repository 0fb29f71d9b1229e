"""The same recurrent layer in Keras 3: a trained `nn.LSTM` / `nn.GRU`'s weights loaded into `keras.layers.LSTM` /
`keras.layers.GRU`, and the conventions that differ between the two frameworks (`CONVENTIONS`).

Keras 3 runs on the torch backend, so no TensorFlow is needed; it must be chosen before the first `import keras`
(`KERAS_BACKEND=torch`), which this module does with `os.environ.setdefault` when it imports Keras. Keras is
optional (`pip install "rnnlab[keras]"`, Python >= 3.11): without it the functions that build Keras layers raise
an ImportError saying so, while the pure weight conversions (`keras_lstm_weights`, `keras_gru_weights`) need
only numpy. One Keras layer holds one PyTorch layer: num_layers > 1 (notebook 12's exercise 3: one Keras layer
per PyTorch layer), bidirectional=True and an LSTM's proj_size > 0 are refused by name.

What differs (and what does not):
- LSTM gate order is the same in both (input, forget, cell candidate, output: PyTorch's i, f, g, o is Keras's
  i, f, c, o), so the blocks are copied as they are; PyTorch has two bias vectors (b_ih, b_hh) where Keras has
  one: they only ever appear as a sum, so Keras gets b_ih + b_hh.
- GRU gate order differs: PyTorch stacks r, z, n (reset, update, new); Keras stacks z, r, h (update, reset,
  candidate), so the first two blocks swap. PyTorch applies the reset gate after the recurrent matrix product,
  r * (W_hn h + b_hn), which is Keras's `reset_after=True` (its default), with two bias rows (input, recurrent)
  that must stay apart: summing them is wrong for the candidate.
- Kernels are transposed: PyTorch's weight_ih_l0 is (gates * hidden_size, input_size), Keras's kernel is
  (input_size, gates * hidden_size); the same for the recurrent kernel.
- Keras is always batch-major (batch, time, features); PyTorch's default is time-major unless batch_first=True.
  The state is (num_layers, batch, hidden_size) in PyTorch, (batch, hidden_size) per layer in Keras.

Sources: the equations of torch.nn.LSTM / torch.nn.GRU (PyTorch documentation) and of keras.layers.LSTMCell /
GRUCell (keras/src/layers/rnn/lstm.py, gru.py, Keras 3).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

import numpy as np
import torch
from torch import nn

from rnnlab.validate import check_array

INSTALL_HINT = 'pip install "rnnlab[keras]"'

# Keras reads KERAS_BACKEND once, at its first import: choose torch now (unless the user chose), so that a later
# `import keras` in the same process finds no TensorFlow missing. Cheap: Keras itself is imported only when needed.
os.environ.setdefault("KERAS_BACKEND", "torch")

# The conventions table: (what, PyTorch, Keras, what the converter does).
CONVENTIONS: list[tuple[str, str, str, str]] = [
    ("LSTM gate order", "i, f, g, o (input, forget, cell candidate, output)",
     "i, f, c, o (the same four, the same order)", "copies the four blocks as they are"),
    ("LSTM bias", "two vectors: b_ih and b_hh, each (4 * hidden_size,)",
     "one vector: bias (4 * hidden_size,)", "Keras bias = b_ih + b_hh (they only appear as a sum)"),
    ("GRU gate order", "r, z, n (reset, update, new)", "z, r, h (update, reset, candidate)",
     "swaps the first two blocks of every weight and bias"),
    ("GRU reset gate", "n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): reset after the matrix product",
     "reset_after=True (the default) computes the same; reset_after=False resets h before the product",
     "builds the Keras GRU with reset_after=True"),
    ("GRU bias", "b_ih and b_hh, each (3 * hidden_size,)", "bias (2, 3 * hidden_size): input row, recurrent row",
     "keeps the two apart (b_hn sits inside r * (...), so a sum would be wrong)"),
    ("Kernel shapes", "weight_ih_l0 (gates * hidden_size, input_size), weight_hh_l0 (gates * hidden_size, "
     "hidden_size)", "kernel (input_size, gates * hidden_size), recurrent_kernel (hidden_size, "
     "gates * hidden_size)", "transposes both"),
    ("Gate activations", "sigmoid for gates, tanh for candidates", "recurrent_activation='sigmoid', "
     "activation='tanh' (Keras 3 defaults; old tf.keras used hard_sigmoid)", "sets both explicitly"),
    ("Axes", "(time, batch, features) unless batch_first=True", "always (batch, time, features)",
     "`keras_forward` takes PyTorch's layout and transposes if needed"),
    ("State", "h (and c): (num_layers, batch, hidden_size); returned as output, (h, c)",
     "[h, c] each (batch, hidden_size); return_state=True returns them after the output",
     "`keras_forward` converts both ways"),
]


def conventions_markdown() -> str:
    """The conventions table (`CONVENTIONS`) as a Markdown table, for a notebook's display(Markdown(...))."""
    rows = ["| What | PyTorch | Keras 3 | The converter |", "|---|---|---|---|"]
    rows += [f"| {' | '.join(cell.replace('|', '/') for cell in row)} |" for row in CONVENTIONS]
    return "\n".join(rows)


def require_keras() -> ModuleType:
    """Import Keras on the torch backend and return the module.

    Sets KERAS_BACKEND=torch unless it is already set. Raises ImportError naming `pip install "rnnlab[keras]"`
    when Keras is not installed, and ImportError saying what to change when Keras is already running on
    another backend (KERAS_BACKEND set to jax/tensorflow, or keras imported earlier with another backend).
    """
    chosen = os.environ.setdefault("KERAS_BACKEND", "torch")
    if chosen != "torch":
        raise ImportError(f"KERAS_BACKEND is {chosen!r}, but rnnlab.deploy.keras needs Keras on the torch backend: "
                          "set KERAS_BACKEND=torch before Python starts (or before the first `import keras`)")
    if importlib.util.find_spec("keras") is None:
        raise ImportError(f"Keras is not installed: {INSTALL_HINT} (Keras 3 needs Python >= 3.11; "
                          "TensorFlow is not needed: it runs on torch)")
    try:
        keras = importlib.import_module("keras")
    except ImportError as err:
        raise ImportError(f"Keras is installed but could not be imported on the torch backend ({err}); "
                          f"reinstall it with {INSTALL_HINT}, and set KERAS_BACKEND=torch before Python "
                          "starts if something imported keras earlier") from err
    backend = keras.backend.backend()
    if backend != "torch":
        raise ImportError(f"Keras is already running on the {backend!r} backend (imported before "
                          "KERAS_BACKEND=torch was set): restart Python with KERAS_BACKEND=torch")
    return keras


def keras_available() -> bool:
    """True when Keras can be imported on the torch backend (no exception escapes)."""
    try:
        require_keras()
    except ImportError:
        return False
    return True


def _not_a_layer(rnn: object, wanted: str, name: str) -> TypeError:
    """The TypeError for a module that is not the recurrent layer; for a whole model, it names the layer inside."""
    inside = [f"model.{n}" for n, m in rnn.named_modules() if n and isinstance(m, nn.LSTM | nn.GRU)] \
        if isinstance(rnn, nn.Module) else []
    hint = ""
    if inside:
        hint = (f": that is a whole model; pass its recurrent layer, {' or '.join(inside[:3])} (or use "
                "charlm_to_keras(model) for an embedding -> LSTM/GRU -> linear character model)")
    return TypeError(f"{name} must be a torch.nn.{wanted}, got {type(rnn).__name__}{hint}")


def _check_rnn(rnn: nn.Module, kind: type[nn.RNNBase], name: str) -> None:
    if not isinstance(rnn, kind):
        raise _not_a_layer(rnn, kind.__name__, name)
    if rnn.num_layers != 1:
        raise ValueError(f"{name} has num_layers={rnn.num_layers}: convert one layer at a time (one Keras "
                         "layer per PyTorch layer; this converter takes num_layers=1)")
    if rnn.bidirectional:
        raise ValueError(f"{name} has bidirectional=True: wrap two converted layers in "
                         "keras.layers.Bidirectional (this converter takes bidirectional=False)")
    if getattr(rnn, "proj_size", 0):
        raise ValueError(f"{name} has proj_size={rnn.proj_size}: Keras's LSTM has no projection of h, so the "
                         "converter takes proj_size=0 only (train without proj_size to export to Keras)")


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().to(torch.float32).numpy()


def _zeros_if_no_bias(rnn: nn.RNNBase, gates: int) -> tuple[np.ndarray, np.ndarray]:
    if rnn.bias:
        return _numpy(rnn.bias_ih_l0), _numpy(rnn.bias_hh_l0)
    zero = np.zeros(gates * rnn.hidden_size, dtype=np.float32)
    return zero, zero.copy()


def keras_lstm_weights(lstm: nn.LSTM) -> list[np.ndarray]:
    """[kernel (input_size, 4h), recurrent_kernel (h, 4h), bias (4h,)] for keras.layers.LSTM.set_weights, float32.

    Same gate order (i, f, g, o = Keras i, f, c, o), transposed kernels, bias = b_ih + b_hh (zeros when
    bias=False). Raises TypeError for a module that is not nn.LSTM, ValueError for num_layers > 1,
    bidirectional or proj_size > 0.
    """
    _check_rnn(lstm, nn.LSTM, "lstm")
    b_ih, b_hh = _zeros_if_no_bias(lstm, 4)
    return [_numpy(lstm.weight_ih_l0).T.copy(), _numpy(lstm.weight_hh_l0).T.copy(), b_ih + b_hh]


def _rz_to_zr(a: np.ndarray, hidden_size: int) -> np.ndarray:
    """Swap the first two blocks along axis 0: PyTorch's r, z, n -> Keras's z, r, h."""
    r, z, n = a[:hidden_size], a[hidden_size: 2 * hidden_size], a[2 * hidden_size:]
    return np.concatenate([z, r, n], axis=0)


def keras_gru_weights(gru: nn.GRU) -> list[np.ndarray]:
    """[kernel (input_size, 3h), recurrent_kernel (h, 3h), bias (2, 3h)] for keras.layers.GRU(reset_after=True).

    Gate blocks reordered from PyTorch's r, z, n to Keras's z, r, h; kernels transposed; bias row 0 = b_ih,
    row 1 = b_hh (kept apart: reset_after). Raises like `keras_lstm_weights`.
    """
    _check_rnn(gru, nn.GRU, "gru")
    h = gru.hidden_size
    b_ih, b_hh = _zeros_if_no_bias(gru, 3)
    return [_rz_to_zr(_numpy(gru.weight_ih_l0), h).T.copy(), _rz_to_zr(_numpy(gru.weight_hh_l0), h).T.copy(),
            np.stack([_rz_to_zr(b_ih, h), _rz_to_zr(b_hh, h)])]


def lstm_to_keras(lstm: nn.LSTM, *, return_sequences: bool = True, return_state: bool = True):
    """A built keras.layers.LSTM holding `lstm`'s weights (see `keras_lstm_weights`); the layer maps
    (batch, time, input_size) to the outputs (batch, time, hidden_size) (the last step only when
    return_sequences=False), followed by h and c (batch, hidden_size) when return_state=True.
    Raises ImportError without Keras (`pip install "rnnlab[keras]"`)."""
    weights = keras_lstm_weights(lstm)
    keras = require_keras()
    layer = keras.layers.LSTM(lstm.hidden_size, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                              unit_forget_bias=False, return_sequences=return_sequences, return_state=return_state)
    layer.build((None, None, lstm.input_size))
    layer.set_weights(weights)
    layer.rnnlab_batch_first = bool(lstm.batch_first)     # keras_forward's default layout: the module's own
    return layer


def gru_to_keras(gru: nn.GRU, *, return_sequences: bool = True, return_state: bool = True):
    """A built keras.layers.GRU(reset_after=True) holding `gru`'s weights (see `keras_gru_weights`); outputs
    (batch, time, hidden_size) (or the last step), then h (batch, hidden_size) when return_state=True.
    Raises ImportError without Keras (`pip install "rnnlab[keras]"`)."""
    weights = keras_gru_weights(gru)
    keras = require_keras()
    layer = keras.layers.GRU(gru.hidden_size, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                             reset_after=True, return_sequences=return_sequences, return_state=return_state)
    layer.build((None, None, gru.input_size))
    layer.set_weights(weights)
    layer.rnnlab_batch_first = bool(gru.batch_first)      # keras_forward's default layout: the module's own
    return layer


def to_keras(rnn: nn.LSTM | nn.GRU, **kwargs):
    """`lstm_to_keras` or `gru_to_keras`, chosen by the module's type (TypeError for anything else)."""
    if isinstance(rnn, nn.LSTM):
        return lstm_to_keras(rnn, **kwargs)
    if isinstance(rnn, nn.GRU):
        return gru_to_keras(rnn, **kwargs)
    raise _not_a_layer(rnn, "LSTM or torch.nn.GRU", "rnn")


def charlm_to_keras(model: nn.Module):
    """The whole character model in Keras: keras.Sequential [Embedding, LSTM/GRU, Dense] mapping ids (batch, time)
    int to logits (batch, time, vocab_size), with the weights of `model` (an `rnnlab.models.charlm.CharLM` or any
    module with `.embedding` nn.Embedding, `.rnn` one-layer batch-first nn.LSTM/nn.GRU and `.head` nn.Linear).
    The state starts at zeros (no state in or out). Raises TypeError for another kind of module, ImportError
    without Keras."""
    parts = [getattr(model, name, None) for name in ("embedding", "rnn", "head")]
    kinds = (nn.Embedding, nn.LSTM | nn.GRU, nn.Linear)
    if not all(isinstance(p, k) for p, k in zip(parts, kinds, strict=True)):
        raise TypeError("model must have .embedding (nn.Embedding), .rnn (nn.LSTM or nn.GRU) and .head (nn.Linear), "
                        f"like rnnlab.models.charlm.CharLM; got {type(model).__name__}")
    embedding, rnn, head = parts
    extra = [n for n, child in model.named_children() if n not in ("embedding", "rnn", "head")
             and not isinstance(child, nn.Dropout) and any(True for _ in child.parameters())]
    if extra:
        raise TypeError(f"model has layers besides .embedding, .rnn and .head ({', '.join(extra)}) that the Keras "
                        "copy would leave out: convert such a model layer by layer (to_keras(model.rnn))")
    if embedding.max_norm is not None:
        raise ValueError(f"model.embedding has max_norm={embedding.max_norm}: PyTorch renormalises rows at "
                         "lookup, Keras's Embedding does not; convert a model trained with max_norm=None")
    if not rnn.batch_first:
        raise ValueError("model.rnn must be batch_first=True (ids arrive as (batch, time))")
    keras = require_keras()
    recurrent = to_keras(rnn, return_sequences=True, return_state=False)
    emb = keras.layers.Embedding(embedding.num_embeddings, embedding.embedding_dim)
    dense = keras.layers.Dense(head.out_features)
    net = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), emb, recurrent, dense])
    emb.set_weights([_numpy(embedding.weight)])
    dense.set_weights([_numpy(head.weight).T.copy(),
                       _numpy(head.bias) if head.bias is not None else np.zeros(head.out_features, np.float32)])
    return net


def _to_torch(keras, value) -> torch.Tensor:
    """A Keras output as a float32 CPU tensor without a graph (on the torch backend it already is a tensor)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().to(torch.float32)
    return torch.as_tensor(keras.ops.convert_to_numpy(value), dtype=torch.float32)


def keras_forward(layer, x: torch.Tensor | np.ndarray, state=None, *, batch_first: bool | None = None):
    """Run a Keras LSTM/GRU layer built with return_sequences=True, return_state=True on PyTorch-shaped input.

    x: (batch, time, features) when batch_first, else (time, batch, features), like the nn.LSTM/GRU it came from;
    batch_first=None (the default) takes the layout of the module the layer was converted from (True for a layer
    built elsewhere).
    state: None (zeros) or PyTorch's state: h (1, batch, hidden) for a GRU, (h, c) for an LSTM.
    Returns (output, state) in PyTorch's layout as float32 tensors: output (batch, time, hidden) or
    (time, batch, hidden), state h (1, batch, hidden) or (h, c).
    Raises ValueError for a layer built with return_sequences=False or return_state=False, for x whose features
    are not the layer's input size, and for a state of the wrong kind or shape; ImportError without Keras.
    """
    if batch_first is None:
        batch_first = getattr(layer, "rnnlab_batch_first", True)
    for option in ("return_sequences", "return_state"):
        if not getattr(layer, option, False):
            raise ValueError(f"keras_forward needs a layer built with {option}=True (the outputs at every step "
                             f"and the final state, like PyTorch's); this one has {option}=False: build it with "
                             f"to_keras(rnn) (both True by default)")
    x = torch.as_tensor(x, dtype=torch.float32)
    check_array(x, "x", ndim=3, floating=True)
    keras = require_keras()
    kernel = getattr(getattr(layer, "cell", None), "kernel", None)
    if kernel is not None and x.shape[-1] != kernel.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} features in its last axis, the layer takes {kernel.shape[0]} "
                         f"(input_size); x is (batch, time, features) when batch_first=True, else "
                         f"(time, batch, features)")
    inputs = x if batch_first else x.transpose(0, 1)                       # Keras: (batch, time, features)
    initial = None
    if state is not None:
        is_lstm = type(layer).__name__ == "LSTM"
        parts = tuple(state) if isinstance(state, tuple | list) else (state,)
        if len(parts) != (2 if is_lstm else 1):
            raise ValueError(f"state for a Keras {type(layer).__name__} is "
                             f"{'(h, c), two tensors' if is_lstm else 'h, one tensor'} (1, batch, hidden_size) "
                             f"as PyTorch's; got {len(parts)} tensor{'s' if len(parts) != 1 else ''}")
        units = getattr(layer, "units", None)
        initial = []
        for name, s in zip(("h", "c"), parts, strict=False):
            s = torch.as_tensor(s, dtype=torch.float32)
            if tuple(s.shape) != (1, inputs.shape[0], units if units is not None else s.shape[-1]):
                raise ValueError(f"state {name} has shape {tuple(s.shape)}, expected (1, batch, hidden_size) = "
                                 f"(1, {inputs.shape[0]}, {units}) as PyTorch's (num_layers=1 first; add it "
                                 f"with {name}.unsqueeze(0))")
            initial.append(s[0])                                           # (batch, hidden) each
    results = layer(inputs, initial_state=initial)
    out, *states = [_to_torch(keras, r) for r in results]
    if not batch_first:
        out = out.transpose(0, 1)
    states = [s.unsqueeze(0) for s in states]                               # (1, batch, hidden) each
    return out, (tuple(states) if len(states) == 2 else states[0])


def max_difference(rnn: nn.LSTM | nn.GRU, layer, x: torch.Tensor, state=None, *,
                   relative: bool = False) -> dict[str, float]:
    """Largest absolute differences between `rnn` and the Keras `layer` on input x (PyTorch's layout for rnn):
    {"output": ..., "h": ..., "c": ... (LSTM only)}.

    relative=True divides each by the largest |value| of PyTorch's tensor (the LSTM's cell state c is unbounded,
    so float32 rounding grows with its size: a trained LSTM can reach |c| of tens).
    """
    if not isinstance(rnn, nn.LSTM | nn.GRU):
        raise _not_a_layer(rnn, "LSTM or torch.nn.GRU", "rnn")
    dtype = next(rnn.parameters()).dtype                  # a float64 (or half) model runs in its own dtype
    with torch.no_grad():
        cast = None if state is None else (tuple(torch.as_tensor(s, dtype=dtype) for s in state)
                                           if isinstance(state, tuple | list) else torch.as_tensor(state, dtype=dtype))
        out_t, state_t = rnn(torch.as_tensor(x, dtype=dtype), cast)
    out_k, state_k = keras_forward(layer, x, state, batch_first=rnn.batch_first)
    names = ("output", "h", "c") if isinstance(state_t, tuple) else ("output", "h")
    ours = (out_t, *state_t) if isinstance(state_t, tuple) else (out_t, state_t)
    theirs = (out_k, *state_k) if isinstance(state_k, tuple) else (out_k, state_k)
    diffs = {}
    for name, a, b in zip(names, ours, theirs, strict=True):
        a = a.double()
        diff = float((a - b.double()).abs().max())
        diffs[name] = diff / max(float(a.abs().max()), 1e-30) if relative else diff
    return diffs


__all__ = ["CONVENTIONS", "INSTALL_HINT", "charlm_to_keras", "conventions_markdown", "gru_to_keras",
           "keras_available", "keras_forward", "keras_gru_weights", "keras_lstm_weights", "lstm_to_keras",
           "max_difference", "require_keras", "to_keras"]
