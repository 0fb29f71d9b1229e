"""Gate explorer: pick a trained model and an input sequence; see its gates, cell state and hidden state over time.

The logic is in plain functions (`gate_activations`, `gates_at`, `describe_step`) that tests call directly;
`make_gate_explorer` only wires two dropdowns and a time-step slider to them and draws with
`rnnlab.viz.gates.plot_gates`. The trained nn.LSTM / nn.GRU weights are copied into the scratch cells of
`rnnlab.models.cells`, which expose every gate (torch's fused layers do not).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch

from rnnlab.models.cells import Recurrent, load_from
from rnnlab.models.sequence import SequenceModel
from rnnlab.validate import check_int
from rnnlab.widgets.contract import View

GATE_NAMES = {"lstm": ["input", "forget", "output", "c", "h"], "gru": ["reset", "update", "h"], "rnn": ["h"]}


def _as_batch(model: SequenceModel, x: torch.Tensor) -> torch.Tensor:
    """One sequence as a batch of one: (1, time, features) floats, or (1, time) token ids."""
    if not isinstance(x, torch.Tensor):
        x = torch.as_tensor(np.asarray(x))
    tokens = model.embedding is not None
    if x.ndim == (1 if tokens else 2):
        x = x.unsqueeze(0)                                               # (1, time[, features])
    want = "(time,) token ids" if tokens else f"(time, {model.input_size})"
    if x.ndim != (2 if tokens else 3) or x.shape[0] != 1:
        raise ValueError(f"the input must be one sequence of shape {want}, got shape {tuple(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError("the input sequence is empty (0 time steps); give it at least one step")
    if tokens:
        if x.is_floating_point():
            raise TypeError(f"this model reads token ids; expected integers, got {x.dtype}")
    else:
        if x.shape[2] != model.input_size:
            raise ValueError(f"the input must have shape {want}, got {tuple(x.shape[1:])}")
        x = x.float()
    return x


@torch.no_grad()
def gate_activations(model: SequenceModel, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Gates and states of a trained one-layer model on one sequence: name -> array (time, hidden).

    x: (time, features), or (time,) token ids for a model with an embedding (a leading batch of 1 is fine).
    LSTM: input, forget, cell (candidate), output, c, h.  GRU: reset, update, new, h.  RNN: h only.
    Also "prediction": the model's output at the last step (many-to-one) or at every step, as an array.
    """
    if not isinstance(model, SequenceModel):
        raise TypeError(f"model must be an rnnlab SequenceModel, got {type(model).__name__}")
    if model.rnn.num_layers != 1:
        raise ValueError(f"the gate explorer shows one-layer models, got num_layers={model.rnn.num_layers}")
    x = _as_batch(model, x)
    inputs = model.embedding(x) if model.embedding is not None else x        # (1, time, features)
    if model.cell == "rnn":
        out, _ = model.rnn(inputs)                                           # (1, time, H)
        record = {"h": out}
    else:
        scratch = Recurrent(model.cell, inputs.shape[-1], model.rnn.hidden_size, batch_first=True)
        load_from(scratch, model.rnn)
        out, _, record = scratch(inputs, return_gates=True)                  # each (1, time, H)
    result = {k: v[0].numpy() for k, v in record.items()}                   # each (time, H)
    pred = model.head(out[:, -1]) if model.many_to_one else model.head(out)
    result["prediction"] = pred[0].numpy()
    return result


def gates_at(gates: Mapping[str, np.ndarray], t: int) -> dict[str, np.ndarray]:
    """The values of every gate/state at time step t: name -> (hidden,). Negative t counts from the end."""
    arrays = {k: v for k, v in gates.items() if k != "prediction"}
    if not arrays:
        raise ValueError("no gate activations given")
    T = next(iter(arrays.values())).shape[0]
    t = check_int(t, "t", minimum=-T, maximum=T - 1)
    return {k: v[t] for k, v in arrays.items()}


def describe_step(gates: Mapping[str, np.ndarray], t: int) -> str:
    """One line of plain words about step t: the mean of each gate and the largest |c| or |h|."""
    step = gates_at(gates, t)
    parts = []
    for name in ("input", "forget", "output", "reset", "update"):
        if name in step:
            parts.append(f"mean {name} gate {step[name].mean():.2f}")
    for name in ("c", "h"):
        if name in step:
            parts.append(f"max |{name}| {np.abs(step[name]).max():.2f}")
    return f"t = {t}: " + ", ".join(parts)


def gate_view(model: SequenceModel, sequence: torch.Tensor, t: int, *, max_units: int = 32,
              model_name: str = "model", sequence_name: str = "input") -> View:
    """What the gate explorer shows for one model, one sequence and step t (clamped to the sequence).

    View.data = {"gates": name -> (time, units) arrays shown (at most `max_units` units), "all": every gate,
    "t", "T", "text": the words under the plot}; a model or input that cannot be shown gives a message.
    """
    try:
        gates = gate_activations(model, sequence)
    except (ValueError, TypeError) as err:
        return View(None, f"Cannot show this input: {err}")
    T = gates["h"].shape[0]
    t = min(max(int(t), 0), T - 1)
    shown = {n: gates[n][:, :max_units] for n in GATE_NAMES[model.cell] if n in gates}
    text = describe_step(gates, t) + f"\nmodel output: {[round(float(v), 3) for v in np.ravel(gates['prediction'])]}"
    return View({"gates": shown, "all": gates, "t": t, "T": T, "text": text, "model": model_name,
                 "sequence": sequence_name}, "")


def make_gate_explorer(models: Mapping[str, SequenceModel], sequences: Mapping[str, torch.Tensor], *,
                       max_units: int = 32, input_labels: list[str] | None = None):
    """A widget: dropdowns for the model and the input sequence, a slider for the time step, the heatmaps.

    models: label -> trained one-layer SequenceModel; sequences: label -> one input sequence (time, features)
    or (time,) token ids. Shows at most `max_units` hidden units. Returns a VBox: `box.controls` =
    {"model", "sequence", "t"} (children in that order, then the output); set `.value` on them to drive it.
    The latest View is `box.view`; `box.shown` is a dict describing what is on screen now: model, sequence, t,
    and the text printed.
    """
    import ipywidgets as widgets

    from rnnlab.viz.gates import plot_gates
    from rnnlab.widgets.contract import wire
    from rnnlab.widgets.output import show

    if not models or not sequences:
        raise ValueError("make_gate_explorer needs at least one model and one sequence")
    max_units = check_int(max_units, "max_units", minimum=1)
    controls = {"model": widgets.Dropdown(options=list(models), description="model"),
                "sequence": widgets.Dropdown(options=list(sequences), description="input")}
    first = sequences[controls["sequence"].value]
    controls["t"] = widgets.IntSlider(value=0, min=0, max=max(len(first) - 1, 0), description="time step t",
                                      continuous_update=False)
    out = widgets.Output()
    shown_state: dict[str, object] = {}  # what the widget shows now (tests and notebooks can read it)
    busy = [False]  # set while redraw adjusts the slider, so the slider's own events do not redraw twice
    last = [View()]

    def redraw() -> View:
        if busy[0]:
            return last[0]
        key = (controls["model"].value, controls["sequence"].value)
        model, seq = models[key[0]], sequences[key[1]]
        view = gate_view(model, seq, controls["t"].value, max_units=max_units, model_name=key[0],
                         sequence_name=key[1])
        shown_state.clear()
        if not view.ok:
            shown_state.update(model=key[0], sequence=key[1], t=None, text=view.message)
            show(out, view.message)
            last[0] = view
            return view
        if controls["t"].max != view.data["T"] - 1:
            busy[0] = True
            try:
                controls["t"].max = view.data["T"] - 1
            finally:
                busy[0] = False
        t = view.data["t"]
        inputs = None if model.embedding is not None else np.asarray(seq, dtype=float)
        fig = plot_gates(view.data["gates"], t=t, inputs=inputs, input_labels=input_labels,
                         title=f"{key[0]} on {key[1]}")
        shown_state.update(model=key[0], sequence=key[1], t=t, text=view.data["text"])
        show(out, fig, view.data["text"])
        plt.close(fig)
        last[0] = view
        return view

    box = wire(controls, out, redraw)
    box.shown = shown_state
    return box


def adding_example(T: int, first: int, second: int, *, seed: int = 0) -> tuple[torch.Tensor, float]:
    """One adding-problem input (T, 2) with the two markers at steps `first` < `second`; returns (x, target)."""
    T = check_int(T, "T", minimum=2)
    first = check_int(first, "first", minimum=0, maximum=T - 1)
    second = check_int(second, "second", minimum=0, maximum=T - 1)
    if first == second:
        raise ValueError(f"the two markers must be at different steps, got both at {first}")
    g = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
    values = torch.rand(T, generator=g)                                  # (T,)
    markers = torch.zeros(T)
    markers[[first, second]] = 1.0
    x = torch.stack([values, markers], dim=-1)                           # (T, 2)
    return x, float(values[first] + values[second])
