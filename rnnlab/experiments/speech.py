"""Recognise spoken digit strings with a bidirectional GRU/LSTM trained with CTC (Graves et al. 2006).

Trains on synthetic speech (eSpeak NG, Flite and Festival voices; rnnlab.data.speech), and reports the digit
error rate on held-out synthetic voices (`digit_error_rate`, every held-out clip) and on real recordings of
one human speaker (`real_digit_error_rate`, with a 95% bootstrap interval over the strings).

The pieces a notebook shows are public here: `speech_batch` (one augmented training batch), `speech_loss`
(the CTC loss with its input and target lengths) and `check_alignable` (rejects settings that leave a clip
fewer output frames than CTC needs). `load_shipped_model` loads the model trained with this recipe by
`python -m tools.train_speech_model` (its weights and record ship in rnnlab/data/files/speech_model/).

Your own recording: `recognise(path)` returns the digits said in a WAV file (any sample rate, channel count
and the usual bit depths), and `transcribe(path)` also says what was done to the file; from a terminal:

    python -m rnnlab.experiments.speech FILE.wav [--beam 8]
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rnnlab.data.audio import read_wav
from rnnlab.data.features import FeatureConfig, normalize_features, prepare_wave, speech_features
from rnnlab.data.speech import feature_config, load_speech_digits, real_digit_strings
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.metrics.edit_distance import digit_error_rate, error_rate_by_recording_interval, error_rate_interval
from rnnlab.models.ctc import (
    BLANK,
    NUM_CLASSES,
    SYMBOLS,
    AcousticConfig,
    CTCAcousticModel,
    decode,
    digits_to_tokens,
    min_ctc_frames,
    pad_features,
    predict_log_probs,
)
from rnnlab.train import Callback, CosineLR, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_device, check_float, check_int

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]

# `python -m rnnlab.experiments.speech FILE.wav`: the package imports this module before runpy runs it as
# __main__; runpy's warning about that is harmless here (the __main__ copy only calls `main`, below).
warnings.filterwarnings("ignore", message=r"'rnnlab\.experiments\.speech' found in sys\.modules",
                        category=RuntimeWarning)
if __name__ == "__main__":                      # the copy runpy runs: use the imported module's `main`
    from rnnlab.experiments.speech import main as _main

    sys.exit(_main())


@dataclass(kw_only=True)
class SpeechConfig(TrainingBlock):
    model: str = field(default="gru", metadata={"choices": ["gru", "lstm"], "help": "recurrent layer"})
    hidden_size: int = 64          # recurrent units per direction
    num_layers: int = 1            # stacked recurrent layers
    bidirectional: bool = True     # a backward layer too (--no-bidirectional: each frame sees only the past)
    subsample: int = 3             # the strided convolution keeps every 3rd frame (50 -> 16.7 per second)
    concat_prob: float = 0.3       # chance that a training example joins two clips (longer strings)
    mask_prob: float = 0.5         # chance of one time mask and one frequency mask per example (SpecAugment)
    stretch: float = 0.15          # time stretch: each example's frames resampled by a factor in 1 +- stretch
    warp_bands: float = 2.0        # frequency warp: each example's mel bands shifted by up to +- this many bands
    lr_schedule: str = field(default="cosine", metadata={"choices": ["constant", "cosine"],
                             "help": "learning rate over the steps: constant, or cosine decay from lr to 0"})
    beam_width: int = 8            # prefix beam search width for the *_beam metrics
    n_real: int = 120              # real digit strings made from the human recordings (the real test set)
    seed: int = 0                  # seeds the model, the batches and the augmentation
    steps: int = 1200              # optimisation steps
    batch_size: int = 32           # clips per training step
    lr: float = 3e-3               # AdamW learning rate
    clip_grad_norm: float | None = 5.0  # rescale the gradient to this norm when larger (None: no clipping)
    eval_every: int = 100          # steps between evaluations on every held-out clip

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks); each error names the option, e.g.
        "subsample (--subsample) must be >= 1, got 0". Raises TypeError or ValueError."""
        for name in ("hidden_size", "num_layers", "subsample", "beam_width"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        for name in ("concat_prob", "mask_prob"):
            check_float(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=0.0, maximum=1.0)
        check_float(self.stretch, "stretch (--stretch)", minimum=0.0, maximum=0.5)
        check_float(self.warp_bands, "warp_bands (--warp-bands)", minimum=0.0, maximum=8.0)


def output_frames(frames: np.ndarray, subsample: int) -> np.ndarray:
    """Frames the acoustic model emits for clips of `frames` input frames: ceil(frames / subsample)."""
    return -(-np.asarray(frames) // subsample)


def check_alignable(frame_counts: dict[str, Sequence[int]], labels: dict[str, Sequence[list[int]]],
                    subsample: int, option: str = "--subsample") -> None:
    """Raise ValueError when `subsample` leaves any clip fewer output frames than CTC needs for its digits
    (one per digit plus a blank between equal neighbours, `min_ctc_frames`).

    frame_counts, labels: per named set ("training", "held-out", ...), the input frames and digits of each
    clip. The message says how many clips of each set cannot be aligned and the largest subsample that
    works for all of them (CTC's `zero_infinity=True` would silently zero their loss instead).
    """
    needed = {name: np.array([min_ctc_frames(y) for y in labels[name]]) for name in frame_counts}
    frames = {name: np.asarray(frame_counts[name]) for name in frame_counts}
    failing = {name: int((output_frames(frames[name], subsample) < needed[name]).sum()) for name in frames}
    if not any(failing.values()):
        return
    best = max((s for s in range(1, subsample)
                if all((output_frames(frames[n], s) >= needed[n]).all() for n in frames)), default=None)
    counts = ", ".join(f"{failing[n]:,} of {len(frames[n]):,} {n} clips" for n in frames if failing[n])
    fix = (f"the largest subsample that works for every clip is {best}: use {option} {best} or less" if best
           else "even subsample 1 does not work: some clip has fewer frames than its digits need")
    raise ValueError(f"{option} {subsample} leaves {counts} fewer output frames than CTC needs (one per digit "
                     f"plus a blank between repeated digits), so they could not be aligned; {fix}")


def speech_batch(feats: Sequence[torch.Tensor], labels: Sequence[list[int]], rng: random.Random, *,
                 batch_size: int, concat_prob: float = 0.0, mask_prob: float = 0.0,
                 subsample: int = 1, stretch: float = 0.0, warp_bands: float = 0.0) -> Batch:
    """One training batch: `batch_size` random clips, some joined in pairs (probability `concat_prob`, only
    when the joined clip stays alignable at `subsample`), each stretched in time and warped in frequency
    (`stretch_and_warp`, when `stretch` or `warp_bands` is above 0), some masked (SpecAugment, probability
    `mask_prob`).

    Returns x (batch, max_frames, n_mels), lengths (batch,), targets (sum of target lengths,) with class ids
    1-10 of all clips concatenated, target_lengths (batch,): what `torch.nn.functional.ctc_loss` takes.
    """
    xs, ys = [], []
    for _ in range(batch_size):
        i = rng.randrange(len(feats))
        x, y = feats[i], list(labels[i])
        if rng.random() < concat_prob:
            j = rng.randrange(len(feats))
            joined = y + list(labels[j])
            if output_frames(len(x) + len(feats[j]), subsample) >= min_ctc_frames(joined):
                x, y = torch.cat([x, feats[j]]), joined                    # (frames_i + frames_j, n_mels)
        if stretch > 0 or warp_bands > 0:
            x = stretch_and_warp(x, rng, stretch, warp_bands, min_frames=subsample * min_ctc_frames(y))
        xs.append(spec_augment(x, rng, mask_prob))
        ys.append(digits_to_tokens(y))
    x, lengths = pad_features(xs)                                          # (batch, max_frames, n_mels)
    targets = torch.tensor([t for y in ys for t in y], dtype=torch.long)   # all targets, concatenated
    return x, lengths, targets, torch.tensor([len(y) for y in ys], dtype=torch.long)


def stretch_and_warp(x: torch.Tensor, rng: random.Random, stretch: float, warp_bands: float,
                     min_frames: int = 1) -> torch.Tensor:
    """Speak faster or slower, with a longer or shorter vocal tract: (frames, n_mels) -> (frames', n_mels).

    Time: the frames are resampled by linear interpolation to round(frames * r) frames, r uniform in
    1 +- `stretch` (kept at >= `min_frames`, so that the clip stays alignable). Frequency: every band reads the
    log-mel value `shift` bands lower (linear interpolation, edge bands repeated), shift uniform in
    +- `warp_bands`. Above ~700 Hz the mel scale is nearly logarithmic, so a shift of one band (~60 mel here)
    scales those frequencies by ~1.05: a cheap stand-in for vocal tract length perturbation (Jaitly & Hinton
    2013, "VTLP") on features already computed.
    """
    frames, n_mels = x.shape
    if stretch > 0:
        n = max(int(round(frames * rng.uniform(1 - stretch, 1 + stretch))), min_frames, 1)
        x = _interpolate(x, torch.linspace(0, frames - 1, n), dim=0)                    # (n, n_mels)
    if warp_bands > 0:
        shift = rng.uniform(-warp_bands, warp_bands)
        x = _interpolate(x, (torch.arange(n_mels) - shift).clamp(0, n_mels - 1), dim=1)  # (frames', n_mels)
    return x


def _interpolate(x: torch.Tensor, positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Values of x at fractional `positions` along `dim` (0 or 1 of a matrix), by linear interpolation."""
    low = positions.floor().long().clamp(0, x.shape[dim] - 1)
    high = (low + 1).clamp(max=x.shape[dim] - 1)
    w = (positions - low).to(x.dtype)
    if dim == 0:
        return x[low] * (1 - w)[:, None] + x[high] * w[:, None]
    return x[:, low] * (1 - w) + x[:, high] * w


def spec_augment(x: torch.Tensor, rng: random.Random, mask_prob: float) -> torch.Tensor:
    """One random time mask (up to 6 frames) and frequency mask (up to 5 bands) set to 0 (Park et al. 2019)."""
    if rng.random() >= mask_prob:
        return x
    x = x.clone()
    t0, tw = rng.randrange(len(x)), rng.randint(1, 6)
    f0, fw = rng.randrange(x.shape[1]), rng.randint(1, 5)
    x[t0:t0 + tw] = 0.0
    x[:, f0:f0 + fw] = 0.0
    return x


def speech_loss(model: nn.Module, batch: Batch) -> torch.Tensor:
    """Mean CTC loss of a batch (per target digit, averaged over the batch, torch's 'mean' reduction).

    Raises ValueError naming the first example whose output frames are fewer than its digits need (CTC
    would give it an infinite loss; `zero_infinity=True` would hide it as 0).
    """
    x, lengths, targets, target_lengths = batch
    device = next(model.parameters()).device
    log_probs, out_lengths = model(x.to(device), lengths)                  # (batch, time', 11)
    starts = np.concatenate([[0], np.cumsum(target_lengths.tolist())])
    for k, n in enumerate(out_lengths.tolist()):
        need = min_ctc_frames(targets[starts[k]:starts[k + 1]].tolist())
        if n < need:
            raise ValueError(f"example {k} of the batch gets {n} output frames but its {int(target_lengths[k])} "
                             f"digits need {need}; use less subsampling")
    return nn.functional.ctc_loss(log_probs.transpose(0, 1), targets.to(device), out_lengths.cpu(),
                                  target_lengths.cpu(), blank=BLANK)      # ctc_loss wants (time', batch, 11)


@dataclass
class SpeechResult(Result):
    """What `run_speech` returns: `metrics` (the numbers the command line prints as JSON), the trained
    `model`, its `history`, and the data and outputs a notebook looks at (fields below, no string keys)."""

    test_features: list[torch.Tensor] = field(default_factory=list)  # held-out clips, each (frames, n_mels)
    test_labels: list[list[int]] = field(default_factory=list)       # their digits
    test_voices: list[str] = field(default_factory=list)             # their voices ("accent+variant", ...)
    test_log_probs: list[torch.Tensor] = field(default_factory=list)  # model output, each (frames', 11)
    test_hypotheses: list[list[int]] = field(default_factory=list)   # greedy decoding of each clip
    real_waves: list[np.ndarray] = field(default_factory=list)       # real strings as audio (samples,) at 8 kHz
    real_features: list[torch.Tensor] = field(default_factory=list)  # their features, each (frames, n_mels)
    real_labels: list[list[int]] = field(default_factory=list)       # their digits (one recording per digit)
    real_log_probs: list[torch.Tensor] = field(default_factory=list)  # model output, each (frames', 11)
    real_hypotheses: list[list[int]] = field(default_factory=list)   # greedy decoding
    real_hypotheses_beam: list[list[int]] = field(default_factory=list)  # prefix beam search (config.beam_width)
    feature_config: FeatureConfig | None = None                      # how the features were computed
    train_features: list[torch.Tensor] = field(default_factory=list)  # training clips, normalised
    train_labels: list[list[int]] = field(default_factory=list)      # their digits


def check_model_contract(model: nn.Module, feats: Sequence[torch.Tensor], option: str = "model") -> None:
    """Refuse a model that `run_speech` would train silently wrong, before any training step.

    The contract: `model(x: (batch, time, n_mels), lengths: (batch,)) -> (log_probs: (batch, time', 11),
    lengths': (batch,))`. Checked on the clips `feats` (at least two, of different lengths) in eval mode:
    - the output is a pair, log_probs of shape (batch, time', 11) with time' >= every length';
    - log_probs are log-probabilities: every frame's exp() sums to 1 (a head without log_softmax gives raw
      scores, and CTC then trains on a meaningless number, even a negative "loss");
    - the examples of a batch stay apart: the longest clip alone gives the same outputs as in the batch (a
      recurrent layer left at batch_first=False reads (batch, time, n_mels) as (time, batch, n_mels) and mixes
      the examples at every step).
    Raises TypeError or ValueError naming `option` and what to change.
    """
    device = next(model.parameters()).device
    x, lengths = pad_features(list(feats))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(x.to(device), lengths)
            longest = int(lengths.argmax())
            alone = model(x[longest:longest + 1, :int(lengths[longest])].to(device), lengths[longest:longest + 1])
    finally:
        model.train(was_training)
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise TypeError(f"{option} must return (log_probs, lengths), got {type(out).__name__}; end forward() with "
                        f"`return log_probs, out_lengths`")
    log_probs, out_lengths = out
    if not isinstance(log_probs, torch.Tensor) or log_probs.ndim != 3 or log_probs.shape[0] != len(feats) \
            or log_probs.shape[2] != NUM_CLASSES:
        shape = tuple(log_probs.shape) if isinstance(log_probs, torch.Tensor) else type(log_probs).__name__
        raise ValueError(f"{option} must return log_probs of shape (batch={len(feats)}, time', {NUM_CLASSES}) for "
                         f"x of shape {tuple(x.shape)} (batch first), got {shape}")
    out_lengths = torch.as_tensor(out_lengths).cpu()
    if out_lengths.shape != (len(feats),) or int(out_lengths.max()) > log_probs.shape[1] or int(out_lengths.min()) < 1:
        raise ValueError(f"{option} returned lengths {out_lengths.tolist()} for outputs of {log_probs.shape[1]} "
                         f"frames: give each example's number of real output frames (1..time')")
    sums = log_probs.float().exp().sum(-1)                                      # (batch, time')
    mask = torch.arange(log_probs.shape[1])[None, :] < out_lengths[:, None]
    frame_sums = sums.cpu()[mask]
    worst = float(frame_sums[(frame_sums - 1).abs().argmax()])
    if not torch.isfinite(log_probs.cpu()[mask]).all() or not math.isclose(worst, 1.0, abs_tol=1e-3):
        raise ValueError(f"{option} must return log-probabilities (log_softmax over the {NUM_CLASSES} classes), "
                         f"but exp() of a frame sums to {worst:.3g}, "
                         f"not 1: end forward() with `.log_softmax(-1)` (CTC on raw scores trains on a "
                         f"meaningless number)")
    n = int(out_lengths[longest])
    a, b = alone[0][0, :n].float().cpu(), log_probs[longest, :n].float().cpu()
    if a.shape != b.shape or not torch.allclose(a, b, atol=1e-3, rtol=1e-3):
        diff = float((a - b).abs().max()) if a.shape == b.shape else math.inf
        raise ValueError(f"{option} mixes the examples of a batch: clip {longest} alone gives other outputs than "
                         f"in a batch of {len(feats)} (largest difference {diff:.3g}). The input is batch first, "
                         f"(batch, time, n_mels): build recurrent layers with batch_first=True (nn.GRU(..., "
                         f"batch_first=True)), or transpose to (time, batch, n_mels) before them and back after")


@experiment("speech", SpeechConfig, help="spoken digit strings -> bidirectional GRU/LSTM with CTC (metrics: "
            "digit_error_rate on held-out synthetic voices, real_digit_error_rate on real recordings)")
def run_speech(config: SpeechConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> SpeechResult:
    """Train a CTC acoustic model on the synthetic training voices and test it on held-out voices and on real
    recordings.

    model: None builds `CTCAcousticModel` from the config; else any nn.Module with the same contract,
    `forward(x: (batch, time, n_mels), lengths: (batch,)) -> (log_probs: (batch, time', 11), lengths')`.
    callbacks: extra rnnlab.train callbacks (e.g. rnnlab.viz.live.LivePlot). device: where the model and the
    batches go (CPU by default). Raises ValueError when `subsample` leaves a clip too few frames for CTC,
    and (`check_model_contract`) for a model whose outputs are not log-probabilities or that mixes the examples
    of a batch. Returns a `SpeechResult`.
    """
    seed_everything(config.seed)
    device = check_device(device)
    rng = random.Random(config.seed)
    train_set, test_set = load_speech_digits("train"), load_speech_digits("test")
    train_x = [normalize_features(f) for f in train_set.feats]                  # each (frames, n_mels)
    test_x = [normalize_features(f) for f in test_set.feats]
    fconfig = feature_config()
    real_waves, real_labels, _ = real_digit_strings(config.n_real, seed=1)
    real_x = [speech_features(w, fconfig) for w in real_waves]
    if model is None:
        model = CTCAcousticModel(AcousticConfig(n_mels=fconfig.n_mels, hidden_size=config.hidden_size,
                                                num_layers=config.num_layers, cell=config.model,
                                                subsample=config.subsample, bidirectional=config.bidirectional))
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    subsample = model.config.subsample if isinstance(model, CTCAcousticModel) else config.subsample
    check_alignable({"training": [len(f) for f in train_x], "held-out": [len(f) for f in test_x],
                     "real": [len(f) for f in real_x]},
                    {"training": train_set.labels, "held-out": test_set.labels, "real": real_labels}, subsample)
    model = model.to(device)
    order = sorted(range(len(test_x)), key=lambda k: -len(test_x[k]))
    check_model_contract(model, [test_x[order[0]], test_x[order[len(order) // 2]], test_x[order[-1]]])

    def batch() -> Batch:
        return speech_batch(train_x, train_set.labels, rng, batch_size=config.batch_size,
                            concat_prob=config.concat_prob, mask_prob=config.mask_prob, subsample=subsample,
                            stretch=config.stretch, warp_bands=config.warp_bands)

    def evaluate(model: nn.Module) -> dict[str, float]:                      # every held-out clip
        return {"digit_error_rate": digit_error_rate(decode(predict_log_probs(model, test_x)), test_set.labels)}

    schedule = [CosineLR(config.lr, config.steps)] if config.lr_schedule == "cosine" else []
    history = train(model, batch, speech_loss, config.train_config(f"speech {config.model}"),
                    evaluate=evaluate, callbacks=[*schedule, *callbacks])
    test_lp, real_lp = predict_log_probs(model, test_x), predict_log_probs(model, real_x)
    test_hyp = decode(test_lp)
    nprng = np.random.default_rng(config.seed)
    guesses = [[int(d) for d in nprng.integers(0, 10, len(y))] for y in test_set.labels]  # right length, random
    real = real_speech_metrics(real_lp, real_labels, config.beam_width, seed=config.seed)
    metrics = {
        "digit_error_rate": digit_error_rate(test_hyp, test_set.labels),
        "digit_error_rate_beam": digit_error_rate(decode(test_lp, config.beam_width), test_set.labels),
        **{k: v for k, v in real.items() if k.startswith("real_")},
        "chance_digit_error_rate": float(digit_error_rate(guesses, test_set.labels)),
        "n_real": len(real_labels),
        "steps": history.steps[-1],
    }
    return SpeechResult(metrics=metrics, config=config, model=model, history=history,
                        test_features=test_x, test_labels=test_set.labels, test_voices=test_set.voices,
                        test_log_probs=test_lp, test_hypotheses=test_hyp, real_waves=real_waves,
                        real_features=real_x, real_labels=real_labels, real_log_probs=real_lp,
                        real_hypotheses=real["hypotheses"], real_hypotheses_beam=real["hypotheses_beam"],
                        feature_config=fconfig, train_features=train_x, train_labels=train_set.labels)


def real_speech_metrics(log_probs: Sequence[torch.Tensor], labels: Sequence[list[int]], beam_width: int = 8,
                        seed: int = 0) -> dict:
    """Digit error rates on the real strings from their per-frame log-probabilities [(frames_i', 11)]:
    greedy and prefix beam search (`beam_width`), each with its 95% bootstrap interval over the strings
    (`error_rate_interval`, resampling seeded by `seed`: `_low`, `_high`), and the interval that resamples the
    ten recordings instead (`error_rate_by_recording_interval`: `_rec_low`, `_rec_high`; the strings reuse
    one recording per digit, so this is the honest one). Returns the `real_digit_error_rate*` metrics
    (fractions) and the decoded digit lists (`hypotheses`, `hypotheses_beam`)."""
    greedy, beam = decode(list(log_probs)), decode(list(log_probs), beam_width)
    out: dict = {"hypotheses": greedy, "hypotheses_beam": beam}
    for suffix, hyp in (("", greedy), ("_beam", beam)):
        low, high = error_rate_interval(hyp, labels, seed=seed)
        rec_low, rec_high = error_rate_by_recording_interval(hyp, labels, seed=seed)
        out |= {f"real_digit_error_rate{suffix}": digit_error_rate(hyp, labels),
                f"real_digit_error_rate{suffix}_low": low, f"real_digit_error_rate{suffix}_high": high,
                f"real_digit_error_rate{suffix}_rec_low": rec_low, f"real_digit_error_rate{suffix}_rec_high": rec_high}
    return out


SHIPPED_DIR = "speech_model"               # rnnlab/data/files/speech_model/: the trained model that ships
SHIPPED_WEIGHTS = "speech_model.pt"        # float16 state dict of a CTCAcousticModel
SHIPPED_INFO = "speech_model.json"         # how it was trained (config, command, minutes) and its metrics


def shipped_model_dir() -> Path:
    """The folder of the trained model that ships with rnnlab (made by `python -m tools.train_speech_model`)."""
    return Path(str(resources.files("rnnlab.data") / "files" / SHIPPED_DIR))


def load_shipped_model(folder: Path | None = None) -> tuple[CTCAcousticModel, dict]:
    """The trained acoustic model that ships with rnnlab, in eval mode, and its record (a dict: `config` the
    SpeechConfig fields it was trained with, `acoustic_config`, `command`, `minutes`, `sha256`, `metrics`
    measured on the same real strings as `run_speech`).

    The weights are float16 on disk and float32 in the model. Raises FileNotFoundError when a file is
    missing and ValueError when the weights' sha256 differs from the record and SHA256SUMS (a corrupt or
    replaced file: restore it from git, or retrain with `python -m tools.train_speech_model`).
    """
    folder = Path(folder) if folder is not None else shipped_model_dir()
    weights, record = folder / SHIPPED_WEIGHTS, folder / SHIPPED_INFO
    for path in (weights, record, folder / "SHA256SUMS"):
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; restore it from git or retrain the model with "
                                    f"`python -m tools.train_speech_model`")
    info = json.loads(record.read_text())
    sums = dict(reversed(line.split()) for line in (folder / "SHA256SUMS").read_text().splitlines() if line.strip())
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    if digest != info["sha256"] or digest != sums.get(weights.name):
        raise ValueError(f"{weights} is corrupt or replaced: its sha256 {digest[:12]}... differs from "
                         f"{record.name} and SHA256SUMS ({str(info['sha256'])[:12]}...); restore it from git")
    model = CTCAcousticModel(AcousticConfig(**info["acoustic_config"]))
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval(), info


def make_real_batches(feats: Sequence[torch.Tensor], labels: Sequence[list[int]], seed: int = 0,
                      batch_size: int = 8) -> Callable[[], Batch]:
    """A batch factory over a few real strings (for fine-tuning, notebook 09 exercise 5), without augmentation."""
    rng = random.Random(seed)
    return lambda: speech_batch(feats, labels, rng, batch_size=batch_size)


@dataclass
class Transcript:
    """What `transcribe` heard in a WAV file, and how it got there."""

    digits: str                   # the recognised digits, e.g. "6685" ("" when none)
    steps: list[str]              # what was done to the file, in words (read, mono, resampled, scaled...)
    wave: np.ndarray              # the audio the model heard: (samples,) float32 at feature_config's rate
    features: torch.Tensor        # what the model read: (frames, n_mels) normalised log-mel
    log_probs: torch.Tensor       # what it emitted: (frames', 11) log-probabilities (class 0: blank)
    # per greedy spike: (output frame, digit, its probability, runner-up symbol "_" or "0"-"9", its probability)
    confidence: list[tuple[int, int, float, str, float]] = field(default_factory=list)


def spike_confidence(log_probs: torch.Tensor) -> list[tuple[int, int, float, str, float]]:
    """How sure the model was of each digit greedy decoding emits: log_probs (frames', 11), class 0 blank.

    For every run of frames whose best class is the same digit (one greedy output digit), the frame where
    that digit is most probable; returns per digit (frame, digit, its probability, the runner-up class at
    that frame as a symbol: "_" for blank or the digit, its probability). A runner-up close to the best
    (e.g. 0.47 against 0.45) means the digit was nearly another one. Raises ValueError for a log_probs that
    is not 2-D with 11 classes.
    """
    if log_probs.ndim != 2 or log_probs.shape[1] != len(SYMBOLS):
        raise ValueError(f"log_probs must be (frames, {len(SYMBOLS)}), got {tuple(log_probs.shape)}")
    probs = log_probs.detach().float().exp().cpu()
    best = probs.argmax(1).tolist()
    out, t = [], 0
    while t < len(best):
        end = t
        while end + 1 < len(best) and best[end + 1] == best[t]:
            end += 1
        if best[t] != BLANK:
            frame = t + int(probs[t:end + 1, best[t]].argmax())
            top2 = probs[frame].topk(2)
            second = int(top2.indices[1])
            out.append((frame, best[t] - 1, float(top2.values[0]), SYMBOLS[second], float(top2.values[1])))
        t = end + 1
    return out


def transcribe(path: str | Path, model: nn.Module | None = None, beam_width: int = 1) -> Transcript:
    """Recognise the digits said in a WAV file, step by step: read it (`read_wav`: 8/16/24/32-bit PCM or
    32/64-bit float, any channel count), average the channels, resample to the model's 8 kHz, scale, compute
    the features, run the model (default: the shipped one) and decode (greedy, or prefix beam search when
    beam_width > 1). Returns a `Transcript` whose `steps` say what was done to the file.

    Raises FileNotFoundError for a missing file, ValueError naming the file for one that is not a readable
    WAV, is silent, or is shorter than 0.1 s.
    """
    recording = read_wav(path)
    fconfig = feature_config()
    try:
        wave, steps = prepare_wave(recording.samples, recording.sample_rate, fconfig)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from err
    if model is None:
        model, _ = load_shipped_model()
    feats = speech_features(wave, fconfig)                                       # (frames, n_mels)
    log_probs = predict_log_probs(model, [feats])[0]                             # (frames', 11)
    digits = decode([log_probs], beam_width)[0]
    confidence = spike_confidence(log_probs)
    sure = ", ".join(f"{d} {p:.2f} (runner-up {r} {q:.2f})" for _, d, p, r, q in confidence)
    steps = [f"read {recording.path}: {recording.describe()}", *steps,
             f"computed {len(feats)} log-mel frames ({fconfig.n_mels} bands, every {fconfig.hop_length} samples)",
             f"decoded {len(log_probs)} output frames " + ("greedily" if beam_width == 1 else
                                                           f"with prefix beam search (width {beam_width})")]
    if confidence:
        close = [d for _, d, p, _, q in confidence if p - q < 0.2]
        steps.append("confidence per greedy digit (its probability at its spike, then the runner-up's): " + sure
                     + (f"; close call on {', '.join(map(str, close))}: the runner-up was within 0.2, so that "
                        f"digit may be wrong" if close else ""))
    return Transcript("".join(map(str, digits)), steps, wave, feats, log_probs, confidence)


def recognise(path: str | Path, model: nn.Module | None = None, beam_width: int = 1) -> str:
    """The digits said in a WAV file, as a string ("6685"; "" when none): `transcribe(path).digits`."""
    return transcribe(path, model, beam_width).digits


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m rnnlab.experiments.speech FILE.wav [FILE.wav ...] [--beam N]`: print the digits and what was
    done to each file. Every error is one line naming the file; exit status 2 when a file failed."""
    from rnnlab.experiments.__main__ import OneLineParser  # here: that module imports every experiment

    parser = OneLineParser(prog="python -m rnnlab.experiments.speech",
                           description="Recognise the digits said in WAV files with the shipped model.")
    parser.add_argument("files", nargs="+", metavar="FILE.wav", help="recordings (any sample rate and channels)")
    parser.add_argument("--beam", type=int, default=1, help="prefix beam search width (1: greedy)")
    argv = list(sys.argv[1:] if argv is None else argv)
    known = {"--beam", "-h", "--help", "--"}
    unknown = [a for a in argv[:argv.index("--") if "--" in argv else len(argv)]
               if a.startswith("-") and len(a) > 1 and not a[1:2].isdigit() and a.split("=", 1)[0] not in known]
    if unknown:                                       # before argparse says "FILE.wav is required" instead
        parser.error(f"unrecognized option {unknown[0]} (the options are --beam N and --help)")
    args = parser.parse_args(argv)
    if args.beam < 1:
        parser.error(f"--beam must be at least 1, got {args.beam}")
    status = 0
    for name in args.files:
        try:
            result = transcribe(name, beam_width=args.beam)
        except (OSError, ValueError) as err:
            print(f"error: {name}: {err}", file=sys.stderr)
            status = 2
            continue
        print(f"{name}: {result.digits or '(no digits)'}")
        for step in result.steps:
            print(f"  - {step}")
    return status

