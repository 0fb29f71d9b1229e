"""Figures for speech recognition: waveform, log-mel spectrogram, mel filterbank, CTC posteriors."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from rnnlab.models.ctc import SYMBOLS
from rnnlab.validate import check_array
from rnnlab.viz.figure import figure_of, subplots


def _np(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _mel_centres_hz(n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """Centre frequency (Hz) of each of n_mels triangular filters evenly spaced in mel between f_min and f_max."""
    mel = np.linspace(2595 * np.log10(1 + f_min / 700), 2595 * np.log10(1 + f_max / 700), n_mels + 2)[1:-1]
    return 700 * (10 ** (mel / 2595) - 1)


def plot_waveform_and_spectrogram(wave: np.ndarray, sample_rate: int, feats: torch.Tensor | np.ndarray,
                                  hop_length: int = 160, title: str = "", f_min: float = 60.0,
                                  f_max: float | None = 3800.0) -> Figure:
    """The waveform (top) and its log-mel spectrogram feats: (frames, n_mels) (bottom), on one time axis.

    The mel bands are labelled with their centre frequencies in Hz, for filters evenly spaced in mel between
    f_min and f_max (Hz; None: sample_rate / 2; defaults: rnnlab's speech front end). The colour is the value
    of feats: the natural log of the mel power (or the normalised log-mel, if that is what is passed).
    """
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
    centres = _mel_centres_hz(feats.shape[1], f_min, f_max if f_max is not None else sample_rate / 2)
    ticks = list(range(0, feats.shape[1], 8)) + [feats.shape[1] - 1]
    ax2.set_yticks(ticks, [f"{k}: {centres[k]:.0f} Hz" for k in ticks])
    ax2.set_ylabel("mel band: centre")
    fig.colorbar(im, ax=[ax1, ax2], label="ln(mel power)", shrink=0.6)
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
    """Heatmap of the per-frame CTC posteriors: log_probs (frames, 11) -> rows blank, 0, ..., 9.

    frame_seconds: the duration of one output frame (notebook 09: 3 x 20 ms = 0.06 s); the x axis is then in
    seconds, otherwise in output frames. A colour bar gives the probability (white 0, black 1).
    """
    check_array(log_probs, "log_probs", ndim=2, nonempty=False)
    probs = np.exp(_np(log_probs))
    fig, ax = (subplots(figsize=(9, 3)) if ax is None else (figure_of(ax), ax))
    width = len(probs) * (frame_seconds or 1.0)
    im = ax.imshow(probs.T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1,
                   extent=(0, max(width, 1e-9), -0.5, probs.shape[1] - 0.5))
    fig.colorbar(im, ax=ax, label="probability", fraction=0.05, pad=0.02)
    ax.set_yticks(range(probs.shape[1]), SYMBOLS[:probs.shape[1]])
    ax.set_ylabel("class")
    ax.set_xlabel(f"time (s; one output frame = {frame_seconds * 1000:.0f} ms)" if frame_seconds else "output frame")
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
