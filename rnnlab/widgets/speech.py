"""The speech widget of notebook 09: pick a clip of a held-out voice, its speaking rate and a noise level;
see its spectrogram and the model's per-frame CTC posteriors, read the decoded string, and hear it.

The logic is `analyse_clip` (a plain function the tests call); `make_speech_widget` only wires ipywidgets to
it, to `rnnlab.viz.speech` and to `IPython.display.Audio`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from rnnlab.data.features import FeatureConfig, speech_features
from rnnlab.data.speech import DemoClip, add_noise
from rnnlab.metrics.edit_distance import edit_distance
from rnnlab.models.ctc import CTCAcousticModel, greedy_decode, predict_log_probs, tokens_to_digits
from rnnlab.validate import check_float
from rnnlab.widgets.contract import View, wire

MAX_NOISE_DB = 40.0   # the noise slider runs from -MAX_NOISE_DB (faint) to +MAX_NOISE_DB (noise swamps speech)


def find_clip(clips: list[DemoClip], voice: str, rate: int) -> DemoClip | None:
    """The demo clip of `voice` spoken at `rate` words per minute, or None."""
    return next((c for c in clips if c.voice == voice and c.rate == rate), None)


def analyse_clip(model: CTCAcousticModel, clips: list[DemoClip], voice: str, rate: int, noise_db: float,
                 feature_config: FeatureConfig | None = None, seed: int = 0) -> dict:
    """Recognise one demo clip after adding white noise.

    noise_db: noise power relative to the speech, in dB (signal-to-noise ratio = -noise_db), clipped to
    [-MAX_NOISE_DB, MAX_NOISE_DB]; even the faintest setting adds some noise, as in every training clip
    (digital silence never occurs in training). Returns a dict with wave (samples,), sample_rate,
    feats (frames, n_mels), log_probs (frames', 11), decoded and reference digit lists, errors (edit
    distance), and message ("" when all is well).
    """
    noise_db = check_float(noise_db, "noise_db", minimum=-1e6, maximum=1e6)
    clip = find_clip(clips, voice, rate)
    if clip is None:
        known = sorted({(c.voice, c.rate) for c in clips})
        return {"message": f"no clip of voice {voice!r} at {rate} words per minute; available: {known}",
                "decoded": [], "reference": [], "errors": 0}
    notes = []
    if abs(noise_db) > MAX_NOISE_DB:
        notes.append(f"noise level clipped to {np.sign(noise_db) * MAX_NOISE_DB:+g} dB")
        noise_db = float(np.clip(noise_db, -MAX_NOISE_DB, MAX_NOISE_DB))
    wave = add_noise(clip.wave, -noise_db, seed=seed)
    peak = float(np.abs(wave).max())
    wave = wave / peak * 0.9 if peak > 0.9 else wave                     # keep playback from clipping
    feats = speech_features(wave, feature_config)                         # (frames, n_mels)
    log_probs = predict_log_probs(model, [feats])[0]                      # (frames', 11)
    decoded = tokens_to_digits(greedy_decode(log_probs))
    errors = edit_distance(decoded, clip.digits)
    if noise_db >= 10:
        notes.append("the noise is louder than the speech")
    return {"wave": wave, "sample_rate": clip.sample_rate, "feats": feats, "log_probs": log_probs,
            "decoded": decoded, "reference": clip.digits, "errors": errors, "noise_db": noise_db,
            "message": "; ".join(notes)}


def speech_view(model: CTCAcousticModel, clips: list[DemoClip], voice: str, rate: int, noise_db: float,
                feature_config: FeatureConfig | None = None, seed: int = 0) -> View:
    """What the speech widget shows: View(data = analyse_clip(...) when there is a clip to show, message)."""
    try:
        with torch.no_grad():
            result = analyse_clip(model, clips, voice, rate, noise_db, feature_config, seed)
    except (ValueError, TypeError) as err:
        return View(None, f"Cannot analyse this clip: {err}")
    return View(result if "wave" in result else None, result["message"])


def make_speech_widget(model: CTCAcousticModel, clips: list[DemoClip],
                       feature_config: FeatureConfig | None = None):
    """A voice slider, a speed slider and a noise slider over the spectrogram, the CTC posteriors, the decoded
    string and an audio player.

    Returns an ipywidgets VBox: `box.controls` = {"voice", "speed", "noise"} (children in that order, then the
    output); the latest View is `box.view`, the latest result dict also `box.state`.
    """
    import ipywidgets as widgets
    from IPython.display import Audio

    from rnnlab.viz.speech import plot_ctc_posteriors
    from rnnlab.widgets.output import show

    voices = sorted({c.voice for c in clips})
    rates = sorted({c.rate for c in clips})
    if not voices:
        raise ValueError("clips is empty; pass rnnlab.data.speech.load_demo_clips()")
    controls = {"voice": widgets.SelectionSlider(options=voices, value=voices[0], description="voice"),
                "speed": widgets.SelectionSlider(options=rates, value=rates[len(rates) // 2], description="words/min"),
                "noise": widgets.FloatSlider(value=-MAX_NOISE_DB, min=-MAX_NOISE_DB, max=MAX_NOISE_DB, step=5,
                                             description="noise (dB)")}
    out = widgets.Output()
    state: dict = {}
    hop = (feature_config or FeatureConfig()).hop_length

    def redraw() -> View:
        voice, speed, noise = (controls[k].value for k in ("voice", "speed", "noise"))
        view = speech_view(model, clips, voice, speed, noise, feature_config)
        state.clear()
        if not view.ok:
            state.update({"message": view.message, "decoded": [], "reference": [], "errors": 0})
            show(out, view.message)
            return view
        result = view.data
        state.update(result)
        sr = result["sample_rate"]
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
        feats = result["feats"].numpy()
        ax1.imshow(feats.T, origin="lower", aspect="auto", cmap="magma",
                   extent=(0, len(feats) * hop / sr, -0.5, feats.shape[1] - 0.5))
        ax1.set_ylabel("mel band")
        ax1.set_title(f"{voice} at {speed} words/min, noise {noise:+g} dB (normalised log-mel)")
        frame_seconds = len(feats) * hop / sr / max(len(result["log_probs"]), 1)
        plot_ctc_posteriors(result["log_probs"], result["reference"], result["decoded"],
                            frame_seconds=frame_seconds, ax=ax2)
        fig.tight_layout()
        summary = (f"reference {''.join(map(str, result['reference']))}   decoded "
                   f"{''.join(map(str, result['decoded'])) or '(nothing)'}   edit distance {result['errors']}")
        notes = [result["message"]] if result["message"] else []
        show(out, fig, summary, *notes, Audio(result["wave"], rate=sr, normalize=False))
        plt.close(fig)
        return view

    box = wire(controls, out, redraw)
    box.state = state
    return box
