"""A training callback that redraws the learning curve in place while a model trains.

It draws with `display(..., display_id=True)` and updates that one output, which works in JupyterLab, under
nbclient/nbmake (no widget, no output capture) and in a static site built from executed notebooks (the
last drawing stays). Outside a notebook (a script, a terminal) there is nothing to draw in: it says so once and
prints the step, the training loss and the recorded metrics instead, every `every` steps. It lives with `viz`
because `rnnlab.train` imports no plotting code.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from IPython.display import display

from rnnlab.train import Callback, TrainState
from rnnlab.validate import check_int
from rnnlab.viz.curves import plot_history
from rnnlab.viz.figure import rich_display_data


def in_notebook() -> bool:
    """Whether we run in a Jupyter kernel, where a display shows a figure (not a terminal or a script)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LivePlot(Callback):
    """Redraw the learning curve in the notebook every `every` steps (and at the end).

    metrics: evaluation metrics to draw beside the training loss (e.g. "test_mse"), each once it is recorded.
    title: the plot's title; by default the training's own label (its progress bar's `desc`, e.g. "GRU"),
    followed by the step reached, e.g. "GRU: step 400 of 600".
    """

    def __init__(self, every: int = 50, metrics: Sequence[str] = (), logy: bool = True,
                 title: str | None = None) -> None:
        self.every = check_int(every, "every", minimum=1)
        self.metrics, self.logy, self.title = tuple(metrics), logy, title
        self._handle = None
        self._told = False   # outside a notebook: said once that the losses are printed instead

    def _draw(self, state: TrainState) -> None:
        if not in_notebook():
            self._print(state)
            return
        # on_step runs before that step's evaluation: draw only the metrics recorded so far
        recorded = [m for m in self.metrics if any(m in e for e in state.history.evals)]
        fig = plot_history(state.history, metrics=recorded, logy=self.logy)
        label = self.title if self.title is not None else state.config.desc
        fig.axes[0].set_title(f"{label}: step {state.step} of {state.config.steps}", fontsize=10)
        data, metadata = rich_display_data(fig)                  # the picture, so the same output can be updated
        plt.close(fig)
        if self._handle is None:
            self._handle = display(data, raw=True, metadata=metadata, display_id=True)
        else:
            self._handle.update(data, raw=True, metadata=metadata)

    def _print(self, state: TrainState) -> None:
        """Outside a notebook: one line saying so, then one line per drawing: step, loss, metrics so far."""
        label = self.title if self.title is not None else state.config.desc
        if not self._told:
            print(f"LivePlot ({label}): not in a notebook, so no plot; printing the training loss every "
                  f"{self.every} steps instead", flush=True)
            self._told = True
        history = state.history
        parts = [f"{label}: step {state.step} of {state.config.steps}"]
        if history.loss:
            parts.append(f"loss {history.loss[-1]:.4g}")
        for metric in self.metrics:
            rows = [e for e in history.evals if metric in e]
            if rows:
                parts.append(f"{metric} {rows[-1][metric]:.4g} (step {rows[-1]['step']})")
        print(", ".join(parts), flush=True)

    def on_step(self, state: TrainState) -> None:
        if state.step % self.every == 0:
            self._draw(state)

    def on_end(self, state: TrainState) -> None:
        self._draw(state)
