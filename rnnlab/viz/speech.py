"""Figures for speech recognition: waveform, log-mel spectrogram, mel filterbank, CTC posteriors."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from rnnlab.models.ctc import SYMBOLS
from rnnlab.validate import check_array
from rnnlab.viz.figure import subplots


def _np(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def plot_waveform_and_spectrogram(wave: np.ndarray, sample_rate: int, feats: torch.Tensor | np.ndarray,
                                  hop_length: int = 160, title: str = "") -> Figure:
    """The waveform (top) and its log-mel spectrogram feats: (frames, n_mels) (bottom), on one time axis."""
    check_array(wave, "wave", ndim=1)
    check_array(feats, "feats", ndim=2)
    wave, feats = _np(wave), _np(feats)
    fig, (ax1, ax2) = subplots(2, 1, figsize=(9, 4.5), sharex=True, height_ratios=[1, 1.6])
    ax1.plot(np.arange(len(wave)) / sample_rate, wave, lw=0.5, color="C0")
    ax1.set_ylabel("amplitude")
    ax1.set_title(title or "waveform and log-mel spectrogram")
    extent = (0, len(feats) * hop_length / sample_rate, -0.5, feats.shape[1] - 0.5)
    im = ax2.imshow(feats.T, origin="lower", aspect="auto", extent=extent, cmap="magma")
    ax2.set_xlabel("time (s)")
    ax2.set_ylabel("mel band")
    fig.colorbar(im, ax=[ax1, ax2], label="log energy", shrink=0.6)
    return fig


def plot_mel_filterbank(bank: torch.Tensor | np.ndarray, sample_rate: int) -> Figure:
    """Each triangular mel filter as a curve over frequency: bank (n_mels, n_freqs)."""
    check_array(bank, "bank", ndim=2)
    bank = _np(bank)
    freqs = np.linspace(0, sample_rate / 2, bank.shape[1])
    fig, ax = subplots(figsize=(9, 2.8))
    for row in bank:
        ax.plot(freqs, row, lw=1)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight")
    ax.set_title(f"{bank.shape[0]} mel filters: narrow at low frequencies, wide at high ones")
    return fig


def plot_ctc_posteriors(log_probs: torch.Tensor | np.ndarray, reference: list[int] | None = None,
                        decoded: list[int] | None = None, frame_seconds: float | None = None,
                        ax: plt.Axes | None = None) -> Figure:
    """Heatmap of the per-frame CTC posteriors: log_probs (frames, 11) -> rows blank, 0, ..., 9."""
    check_array(log_probs, "log_probs", ndim=2, nonempty=False)
    probs = np.exp(_np(log_probs))
    fig, ax = (subplots(figsize=(9, 3)) if ax is None else (ax.figure, ax))
    width = len(probs) * (frame_seconds or 1.0)
    ax.imshow(probs.T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1,
              extent=(0, max(width, 1e-9), -0.5, probs.shape[1] - 0.5))
    ax.set_yticks(range(probs.shape[1]), SYMBOLS[:probs.shape[1]])
    ax.set_ylabel("class")
    ax.set_xlabel("time (s)" if frame_seconds else "output frame")
    parts = []
    if reference is not None:
        parts.append(f"reference {''.join(map(str, reference)) or '(empty)'}")
    if decoded is not None:
        parts.append(f"decoded {''.join(map(str, decoded)) or '(nothing)'}")
    ax.set_title("CTC posteriors per frame" + (": " + ", ".join(parts) if parts else ""))
    return fig


def plot_error_rates(rates: dict[str, float], chance: float | None = None) -> Figure:
    """Bar chart of digit error rates by test set, with a dashed line at chance level."""
    fig, ax = subplots(figsize=(6, 3))
    names = list(rates)
    ax.bar(names, [rates[n] for n in names], color=[f"C{i}" for i in range(len(names))])
    for i, n in enumerate(names):
        ax.text(i, rates[n], f"{rates[n]:.1%}", ha="center", va="bottom")
    if chance is not None:
        ax.axhline(chance, ls="--", color="grey", label=f"random digits ({chance:.0%})")
        ax.legend(loc="upper left")
    ax.set_ylabel("digit error rate")
    ax.set_ylim(0, max([*rates.values(), chance or 0]) * 1.2 + 1e-3)
    return fig
