"""A training callback that redraws the learning curve in place while a model trains.

It draws with `display(..., display_id=True)` and updates that one output, which works in JupyterLab, under
nbclient/nbmake (no widget, no output capture) and in a static site built from executed notebooks (the
last drawing stays). It lives with `viz` because `rnnlab.train` imports no plotting code.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from IPython.display import display

from rnnlab.train import Callback, TrainState
from rnnlab.validate import check_int
from rnnlab.viz.curves import plot_history


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

    def _draw(self, state: TrainState) -> None:
        # on_step runs before that step's evaluation: draw only the metrics recorded so far
        recorded = [m for m in self.metrics if any(m in e for e in state.history.evals)]
        fig = plot_history(state.history, metrics=recorded, logy=self.logy)
        label = self.title if self.title is not None else state.config.desc
        fig.axes[0].set_title(f"{label}: step {state.step} of {state.config.steps}", fontsize=10)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)

    def on_step(self, state: TrainState) -> None:
        if state.step % self.every == 0:
            self._draw(state)

    def on_end(self, state: TrainState) -> None:
        self._draw(state)
