import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlab.train import History  # noqa: E402
from rnnlab.viz import plot_history, plot_learning_curves, smooth  # noqa: E402


def test_smooth_is_a_running_mean():
    assert np.allclose(smooth([1, 3, 5, 7], window=2), [1, 2, 4, 6])
    assert smooth([], window=3).size == 0
    with pytest.raises(ValueError, match="window must be >= 1"):
        smooth([1.0], window=0)


def test_plot_history_draws_loss_and_metrics():
    h = History(steps=[1, 2, 3], loss=[3.0, 2.0, 1.0], evals=[{"step": 3, "mse": 0.5}])
    fig = plot_history(h, metrics=["mse"])
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["train loss", "mse"]
    with pytest.raises(TypeError, match="History"):
        plot_history({"loss": [1]})


def test_plot_learning_curves_with_baseline():
    fig = plot_learning_curves({"lstm": ([1, 2], [0.2, 0.1]), "rnn": ([1, 2], [0.2, 0.2])}, baseline=1 / 6)
    assert len(fig.axes[0].lines) == 3
    with pytest.raises(ValueError, match="curves is empty"):
        plot_learning_curves({})
    with pytest.raises(ValueError, match="differ in shape"):
        plot_learning_curves({"x": ([1, 2], [1.0])})


def test_non_finite_values_are_marked_not_drawn():
    """A blown-up run: its NaN / inf steps are marked on the top edge, never plotted as huge numbers."""
    fig = plot_learning_curves({"raw": ([1, 2, 3, 4], [1.0, 1e30, np.inf, np.nan]), "clipped": ([1, 2], [1.0, 0.5])})
    lines = {line.get_label(): line for line in fig.axes[0].lines}
    assert lines["raw"].get_ydata().tolist() == [1.0, 1e30]
    marks = lines["raw: NaN / inf from step 3"]
    assert marks.get_xdata().tolist() == [3, 4] and marks.get_marker() == "x"
    assert "clipped: NaN / inf from step 3" not in lines
    assert fig.axes[0].get_ylim()[1] < 1e32


def _fake_notebook(monkeypatch, live):
    """Pretend to run in a kernel: record each picture drawn and whether it was displayed or updated."""
    shown, drawn = [], []

    def fake_data(fig):
        drawn.append(([len(line.get_xdata()) for line in fig.axes[0].lines], fig.axes[0].get_title()))
        return {"image/png": "png", "text/plain": "figure"}, {}

    class Handle:
        def update(self, data, raw=False, metadata=None):
            assert raw and data["image/png"] == "png"
            shown.append(("update", *drawn[-1]))

    def fake_display(data, raw=False, metadata=None, display_id=False):
        assert display_id is True and raw
        shown.append(("display", *drawn[-1]))
        return Handle()

    monkeypatch.setattr(live, "in_notebook", lambda: True)
    monkeypatch.setattr(live, "rich_display_data", fake_data)
    monkeypatch.setattr(live, "display", fake_display)
    return shown


def test_live_plot_draws_in_place_and_keeps_the_last_drawing(monkeypatch):
    """LivePlot displays once with a display_id, then updates that output; the end draws the final curve."""
    import torch
    from torch import nn

    import rnnlab.viz.live as live
    from rnnlab.train import TrainConfig, train

    shown = _fake_notebook(monkeypatch, live)
    x, y = torch.randn(8, 2), torch.randn(8, 1)
    train(nn.Linear(2, 1), lambda: (x, y), lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]),
          TrainConfig(steps=7, eval_every=3, progress=False, desc="linear"), evaluate=lambda m: {"mse": 1.0},
          callbacks=[live.LivePlot(every=3, metrics=("mse",))])
    # drawn at steps 3 and 6 (before that step's evaluation) and at the end (evaluations at 3, 6, 7), each
    # titled with the training's label and the step reached
    assert shown == [("display", [3], "linear: step 3 of 7"), ("update", [6, 1], "linear: step 6 of 7"),
                     ("update", [7, 3], "linear: step 7 of 7")]


def test_live_plot_takes_a_title(monkeypatch):
    import torch
    from torch import nn

    import rnnlab.viz.live as live
    from rnnlab.train import TrainConfig, train

    shown = _fake_notebook(monkeypatch, live)
    x, y = torch.randn(8, 2), torch.randn(8, 1)
    train(nn.Linear(2, 1), lambda: (x, y), lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]),
          TrainConfig(steps=2, progress=False), callbacks=[live.LivePlot(every=2, title="my GRU")])
    assert shown[-1][2] == "my GRU: step 2 of 2"


def test_live_plot_outside_a_notebook_says_so_and_prints_the_losses(capsys):
    """Issue 24 kind D: in a script LivePlot cannot draw; it says what it does instead, in one line, then
    prints the step, the loss and the metrics recorded so far at each drawing."""
    import torch
    from torch import nn

    import rnnlab.viz.live as live
    from rnnlab.train import TrainConfig, train

    x, y = torch.randn(8, 2), torch.randn(8, 1)
    history = train(nn.Linear(2, 1), lambda: (x, y), lambda m, b: nn.functional.mse_loss(m(b[0]), b[1]),
                    TrainConfig(steps=7, eval_every=3, progress=False, desc="linear"),
                    evaluate=lambda m: {"mse": 0.5}, callbacks=[live.LivePlot(every=3, metrics=("mse",))])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("LivePlot (linear): not in a notebook, so no plot; printing the training loss every 3 "
                        "steps instead")
    assert lines[1] == f"linear: step 3 of 7, loss {history.loss[2]:.4g}"                # before step 3's eval
    assert lines[2] == f"linear: step 6 of 7, loss {history.loss[5]:.4g}, mse 0.5 (step 3)"
    assert lines[3].startswith("linear: step 7 of 7") and len(lines) == 4
    assert "Figure" not in "".join(lines)


def test_every_viz_function_draws_on_a_figure_shown_once():
    """No viz module creates a plain pyplot figure: each draws on ShownOnceFigure (rnnlab.viz.figure)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "rnnlab" / "viz"
    for path in root.glob("*.py"):
        if path.name == "figure.py":
            continue
        source = path.read_text()
        assert not re.search(r"plt\.(subplots|figure)\(|Figure\(", source), f"{path.name} makes a plain figure"


def test_a_shown_figure_leaves_pyplot_so_the_cell_end_does_not_draw_it_again(monkeypatch):
    import matplotlib.pyplot as plt
    from IPython import display as ipy_display

    from rnnlab.viz import figure
    from rnnlab.viz.curves import plot_history

    published = []
    monkeypatch.setattr(ipy_display, "publish_display_data", lambda data, metadata=None: published.append(data))
    monkeypatch.setattr(figure, "_inline_backend", lambda: True)
    fig = plot_history(History(steps=[1, 2, 3], loss=[1.0, 0.5, 0.3]))
    assert isinstance(fig, figure.ShownOnceFigure) and plt.fignum_exists(fig.number)
    fig._ipython_display_()                        # the display hook (a cell's last line) or display(fig)
    assert len(published) == 1 and "image/png" in published[0] and "1 Axes" in published[0]["text/plain"]
    assert not plt.fignum_exists(fig.number)       # the inline backend will not draw it at the cell's end
    fig._ipython_display_()                        # displayed again on purpose: shown again
    assert len(published) == 2


@pytest.mark.slow  # starts a Jupyter kernel: ~19 s on a loaded 2-core machine
def test_case_double_figure_in_a_kernel():
    """Case double_figure.py, in a real kernel: a plotting function as a cell's last line, `display(fig)` then
    `plt.close(fig)` (the notebooks' pattern), an unused `fig = ...` and `plt.show()`: one image each."""
    import nbformat
    from nbclient import NotebookClient

    cells = ["import numpy as np\nimport matplotlib.pyplot as plt\nfrom rnnlab.viz.forecast import plot_acf\n"
             "from rnnlab.viz.curves import plot_history\nfrom rnnlab.train import History\n"
             "x = np.random.default_rng(0).normal(size=200)",
             "plot_acf({'noise': x}, 20)",
             "plot_history(History(steps=[1, 2, 3], loss=[1.0, 0.5, 0.3]))",
             "fig = plot_acf({'noise': x}, 20)\ndisplay(fig)\nplt.close(fig)",
             "fig = plot_acf({'noise': x}, 20)",
             "plot_acf({'noise': x}, 20)\nplt.show()",
             "fig = plot_acf({'noise': x}, 20)\nfig",
             "fig, ax = plt.subplots()\nplot_history(History(steps=[1, 2], loss=[1.0, 0.5]), ax=ax)"]  # user's ax
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    images = [sum("image/png" in o.get("data", {}) for o in cell.outputs) for cell in nb.cells]
    assert images == [0, 1, 1, 1, 1, 1, 1, 1], images
