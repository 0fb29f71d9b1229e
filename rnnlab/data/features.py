"""Audio features for speech recognition: short-time Fourier transform and log-mel spectrogram.

Built on `torch.stft` and a triangular mel filterbank written out here (no torchaudio, whose releases are
tied to one torch version each). The mel scale is the HTK formula mel(f) = 2595 log10(1 + f / 700)
(Stevens, Volkmann & Newman 1937; O'Shaughnessy 1987); log-mel filterbank energies are the usual input of
recurrent acoustic models (Graves, Mohamed & Hinton 2013).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from rnnlab.validate import check_array, check_float, check_int

LOG_FLOOR = 1e-6   # added to the mel energies before the log, so that silence gives a finite number


@dataclass(frozen=True)
class FeatureConfig:
    sample_rate: int = 8000     # samples per second of the input waveform (Hz)
    n_fft: int = 256            # FFT size = window length in samples (32 ms at 8 kHz)
    hop_length: int = 160       # samples between frame starts (20 ms at 8 kHz -> 50 frames per second)
    n_mels: int = 32            # mel filters
    f_min: float = 60.0         # lowest filter edge (Hz)
    f_max: float = 3800.0       # highest filter edge (Hz); at most sample_rate / 2


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """Hz -> mel (HTK formula 2595 log10(1 + f/700))."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    """mel -> Hz (inverse of `hz_to_mel`)."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, f_min: float = 0.0,
                   f_max: float | None = None) -> torch.Tensor:
    """Triangular filters evenly spaced on the mel scale: (n_mels, n_fft // 2 + 1), each peaking at 1.

    Filter m rises linearly from centre m-1 to centre m and falls to centre m+1 (centres in Hz are
    `mel_to_hz` of n_mels + 2 points evenly spaced in mel between f_min and f_max).
    """
    n_mels = check_int(n_mels, "n_mels", minimum=1)
    n_fft = check_int(n_fft, "n_fft", minimum=2)
    sample_rate = check_int(sample_rate, "sample_rate", minimum=1)
    f_max = sample_rate / 2 if f_max is None else f_max
    f_min = check_float(f_min, "f_min", minimum=0.0)
    f_max = check_float(f_max, "f_max", minimum=f_min, maximum=sample_rate / 2, strict_minimum=True)
    freqs = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)                    # (n_freqs,) bin centres
    edges = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))  # (n_mels + 2,)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]  # (n_mels, 1) each
    rising = (freqs[None, :] - lower) / (centre - lower)                         # (n_mels, n_freqs)
    falling = (upper - freqs[None, :]) / (upper - centre)
    bank = np.clip(np.minimum(rising, falling), 0.0, None)
    return torch.tensor(bank, dtype=torch.float32)


def stft_power(wave: torch.Tensor | np.ndarray, n_fft: int = 256, hop_length: int = 160) -> torch.Tensor:
    """Power spectrogram |STFT|^2 with a Hann window: wave (samples,) or (batch, samples) ->
    (frames, n_fft // 2 + 1) or (batch, frames, n_fft // 2 + 1).

    Frames start every `hop_length` samples; the signal is zero-padded by n_fft // 2 at both ends
    (`center=True`), so there are 1 + samples // hop_length frames.
    """
    check_array(wave, "wave", ndim=(1, 2), floating=True)
    n_fft = check_int(n_fft, "n_fft", minimum=2)
    hop_length = check_int(hop_length, "hop_length", minimum=1)
    x = torch.as_tensor(wave, dtype=torch.float32)
    spec = torch.stft(x, n_fft=n_fft, hop_length=hop_length, window=torch.hann_window(n_fft),
                      center=True, pad_mode="constant", return_complex=True)  # (..., n_freqs, frames)
    return (spec.abs() ** 2).transpose(-1, -2)                                 # (..., frames, n_freqs)


def log_mel(wave: torch.Tensor | np.ndarray, config: FeatureConfig | None = None) -> torch.Tensor:
    """Log-mel spectrogram log(mel energies + 1e-6): wave (samples,) or (batch, samples) at
    config.sample_rate -> (frames, n_mels) or (batch, frames, n_mels). Raises ValueError for a `Waveform`
    (from `rnnlab.data.audio.load_wav`) at another sample rate, saying how to resample it."""
    config = config or FeatureConfig()
    rate = getattr(wave, "sample_rate", None)             # a Waveform from rnnlab.data.audio.load_wav knows its rate
    if rate is not None and rate != config.sample_rate:
        raise ValueError(f"the wave is sampled at {rate} Hz but the features are for {config.sample_rate} Hz: "
                         f"resample it first, resample(wave, {rate}, {config.sample_rate}) from "
                         f"rnnlab.data.features (or use rnnlab.experiments.speech.recognise(path), which does)")
    power = stft_power(wave, config.n_fft, config.hop_length)                  # (..., frames, n_freqs)
    bank = mel_filterbank(config.n_mels, config.n_fft, config.sample_rate, config.f_min, config.f_max)
    return torch.log(power @ bank.T + LOG_FLOOR)                               # (..., frames, n_mels)


def normalize_features(feats: torch.Tensor | np.ndarray) -> torch.Tensor:
    """Per-utterance mean and variance normalisation of each feature channel: (frames, n) -> (frames, n).

    Subtracting each channel's mean removes a fixed channel colouring (microphone, telephone line), which
    narrows the gap between recording conditions.
    """
    check_array(feats, "feats", shape=("frames", "features"), floating=True)
    x = torch.as_tensor(feats, dtype=torch.float32)
    return (x - x.mean(0)) / (x.std(0, unbiased=False) + 1e-3)


def resample(wave: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling by the FFT: (n,) float samples at `rate_in` Hz -> (round(n * out / in),) at
    `rate_out` Hz, float32.

    The spectrum is truncated (downsampling: everything above the new Nyquist frequency rate_out / 2 is
    removed, so nothing aliases) or zero-padded (upsampling). The signal is padded with 0.1 s of zeros at
    both ends first, so that the FFT's wrap-around does not leak the end of the clip into its start.
    Raises ValueError for rates below 1 Hz or a wave that is not 1-D floats.
    """
    check_array(wave, "wave", ndim=1, floating=True)
    rate_in = check_int(rate_in, "rate_in", minimum=1)
    rate_out = check_int(rate_out, "rate_out", minimum=1)
    if rate_in == rate_out:
        return np.asarray(wave, dtype=np.float32).copy()
    step = rate_in // math.gcd(rate_in, rate_out)           # a pad of k * step input samples is a whole number
    pad = step * -(-(rate_in // 10) // step)                 # of output samples: no fractional shift
    x = np.concatenate([np.zeros(pad), np.asarray(wave, dtype=np.float64), np.zeros(pad)])
    n_out = int(round(len(x) * rate_out / rate_in))
    spectrum = np.fft.rfft(x)
    keep = min(len(spectrum), n_out // 2 + 1)
    out = np.fft.irfft(spectrum[:keep], n=n_out) * (n_out / len(x))
    start = pad * rate_out // rate_in
    return out[start:start + int(round(len(wave) * rate_out / rate_in))].astype(np.float32)


def prepare_wave(samples: np.ndarray, sample_rate: int, config: FeatureConfig | None = None,
                 peak: float = 0.7) -> tuple[np.ndarray, list[str]]:
    """Bring any recording to what the model was trained on, saying each step: (samples,) or (samples,
    channels) float in [-1, 1] at `sample_rate` -> ((samples',) float32 at config.sample_rate, steps in words).

    Steps: channels averaged into one (mono); resampled to config.sample_rate (`resample`); scaled to a peak of
    `peak` (the real test strings' level; the features are normalised per utterance anyway). Raises
    ValueError for a silent recording (peak below 1e-4: nothing to recognise), one shorter than 0.1 s, or one
    with NaN or infinite samples; clipping (1% of samples at full scale) is reported as a step, not refused.
    """
    config = config or FeatureConfig()
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim not in (1, 2) or x.size == 0:
        raise ValueError(f"samples must be (samples,) or (samples, channels) and not empty, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the recording has NaN or infinite samples; it is damaged")
    sample_rate = check_int(sample_rate, "sample_rate", minimum=1)
    steps = []
    if x.ndim == 2 and x.shape[1] > 1:
        steps.append(f"averaged its {x.shape[1]} channels into one (mono)")
    x = x.mean(axis=1) if x.ndim == 2 else x
    seconds = len(x) / sample_rate
    if seconds < 0.1:
        raise ValueError(f"the recording lasts {seconds * 1000:.0f} ms; a spoken digit needs at least 0.1 s")
    full = np.abs(x).max()
    if full < 1e-4:
        raise ValueError(f"the recording is silent (its loudest sample is {full:.1e} of full scale): check the "
                         f"microphone and record again")
    if np.mean(np.abs(x) >= 0.999) > 0.01:
        steps.append(f"note: {np.mean(np.abs(x) >= 0.999):.1%} of the samples are at full scale (clipped: "
                     f"recorded too loud), which distorts the sound")
    if sample_rate != config.sample_rate:
        x = resample(x.astype(np.float32), sample_rate, config.sample_rate).astype(np.float64)
        what = "down" if sample_rate > config.sample_rate else "up"
        steps.append(f"resampled from {sample_rate} Hz to the model's {config.sample_rate} Hz ({what}sampled"
                     + (f"; everything above {config.sample_rate // 2} Hz removed" if what == "down" else
                        f"; the file has no sound above {sample_rate // 2} Hz, the model's features go to "
                        f"{config.f_max:.0f} Hz") + ")")
    else:
        steps.append(f"kept its sample rate ({sample_rate} Hz, the model's)")
    steps.append(f"scaled to a peak of {peak} (was {full:.3g} of full scale)")
    return (x / np.abs(x).max() * peak).astype(np.float32), steps


def mu_law_encode(wave: np.ndarray, mu: int = 255) -> np.ndarray:
    """Float samples in [-1, 1] -> uint8 codes with mu-law companding (ITU-T G.711): (n,) -> (n,)."""
    check_array(wave, "wave", ndim=1, floating=True, nonempty=False)
    x = np.clip(wave, -1.0, 1.0)
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)                  # in [-1, 1]
    return np.round((y + 1) / 2 * mu).astype(np.uint8)


def mu_law_decode(codes: np.ndarray, mu: int = 255) -> np.ndarray:
    """uint8 mu-law codes -> float32 samples in [-1, 1] (inverse of `mu_law_encode`)."""
    check_array(codes, "codes", ndim=1, integer=True, nonempty=False)
    y = codes.astype(np.float64) / mu * 2 - 1
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu).astype(np.float32)


def speech_features(wave: torch.Tensor | np.ndarray, config: FeatureConfig | None = None) -> torch.Tensor:
    """What the acoustic model reads: per-utterance normalised log-mel, (samples,) -> (frames, n_mels)."""
    check_array(wave, "wave", ndim=1, floating=True)
    return normalize_features(log_mel(wave, config))
