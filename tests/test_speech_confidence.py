"""Per-digit confidence in `transcribe`'s report, and the units of the speech figures (notebook 09)."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from rnnlab.data.audio import example_recording_path  # noqa: E402
from rnnlab.experiments.speech import main, spike_confidence, transcribe  # noqa: E402
from rnnlab.viz.speech import plot_ctc_posteriors, plot_waveform_and_spectrogram  # noqa: E402


def _posteriors(rows: list[dict[int, float]]) -> torch.Tensor:
    """(frames, 11) log-probabilities: each row's given classes, the rest sharing what is left."""
    out = torch.zeros(len(rows), 11)
    for t, row in enumerate(rows):
        rest = (1.0 - sum(row.values())) / (11 - len(row))
        out[t] = rest
        for c, p in row.items():
            out[t, c] = p
    return out.log()


def test_spike_confidence_reports_each_greedy_digit_with_its_runner_up():
    # frames: blank, "6" (class 7) twice (peak on the 2nd), blank, "9" nearly tied with "5" (classes 10, 6)
    lp = _posteriors([{0: 0.9}, {7: 0.6, 0: 0.3}, {7: 0.8, 6: 0.1}, {0: 0.95}, {10: 0.47, 6: 0.45}])
    conf = spike_confidence(lp)
    assert [(f, d, r) for f, d, _, r, _ in conf] == [(2, 6, "5"), (4, 9, "5")]
    assert math.isclose(conf[0][2], 0.8, rel_tol=1e-5) and math.isclose(conf[1][4], 0.45, rel_tol=1e-5)
    assert spike_confidence(_posteriors([{0: 0.9}] * 3)) == []               # all blank: no digit
    with pytest.raises(ValueError, match="must be"):
        spike_confidence(torch.zeros(3, 5))


def test_transcribe_reports_a_confidence_for_every_digit(capsys):
    result = transcribe(example_recording_path())
    assert [d for _, d, *_ in result.confidence] == [4, 8, 2, 6] == [int(c) for c in result.digits]
    assert all(0 <= q <= p <= 1 for *_, p, _, q in result.confidence)
    assert result.steps[-1].startswith("confidence per greedy digit")
    assert main([str(example_recording_path())]) == 0
    out = capsys.readouterr().out
    assert "runner-up" in out and ": 4826" in out


def test_close_calls_are_flagged(monkeypatch):
    import rnnlab.experiments.speech as sp
    lp = _posteriors([{0: 0.9}, {10: 0.47, 6: 0.45}, {0: 0.9}])
    monkeypatch.setattr(sp, "predict_log_probs", lambda model, feats: [lp])
    result = sp.transcribe(example_recording_path(), model=torch.nn.Identity())
    assert result.digits == "9" and "close call on 9" in result.steps[-1]


def test_posterior_plot_has_a_colour_bar_and_seconds():
    fig = plot_ctc_posteriors(_posteriors([{0: 0.9}] * 10), frame_seconds=0.06)
    ax, cbar = fig.axes
    assert "time (s" in ax.get_xlabel() and "60 ms" in ax.get_xlabel()
    assert math.isclose(ax.get_xlim()[1], 0.6) and cbar.get_ylabel() == "probability"
    plt.close(fig)


def test_spectrogram_bands_are_labelled_in_hz():
    feats = np.zeros((50, 32))
    fig = plot_waveform_and_spectrogram(np.zeros(8000), 8000, feats, 160)
    ticks = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert ticks[0] == "0: 102 Hz" and ticks[-1] == "31: 3564 Hz"              # mel-spaced centres, 60-3800 Hz
    assert fig.axes[2].get_ylabel() == "ln(mel power)"
    plt.close(fig)
