"""Figures drawn from arrays and histories; one module per topic. Nothing here trains or loads data."""

from rnnlab.viz.curves import plot_history, plot_learning_curves, smooth

__all__ = ["plot_history", "plot_learning_curves", "smooth"]
