"""Recognise spoken digit strings with a bidirectional GRU/LSTM trained with CTC (Graves et al. 2006).

Trains on synthetic speech (eSpeak NG voices; rnnlab.data.speech), and reports the digit error rate on
held-out synthetic voices (`digit_error_rate`) and on real recordings of one human speaker
(`real_digit_error_rate`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnnlab.data.features import normalize_features, speech_features
from rnnlab.data.speech import feature_config, load_speech_digits, real_digit_strings
from rnnlab.experiments.registry import Result, experiment
from rnnlab.metrics.edit_distance import digit_error_rate
from rnnlab.models.ctc import (
    BLANK,
    AcousticConfig,
    CTCAcousticModel,
    decode,
    digits_to_tokens,
    pad_features,
    predict_log_probs,
)
from rnnlab.train import TrainConfig, train
from rnnlab.utils import seed_everything


@dataclass
class SpeechConfig:
    model: str = field(default="gru", metadata={"choices": ["gru", "lstm"], "help": "recurrent layer"})
    seed: int = 0                  # seeds the model, the batches and the augmentation
    hidden_size: int = 64          # recurrent units per direction
    num_layers: int = 1            # stacked bidirectional layers
    subsample: int = 3             # the strided convolution keeps every 3rd frame (50 -> 16.7 per second)
    batch_size: int = 32           # clips per training step
    steps: int = 800               # optimisation steps
    lr: float = 3e-3               # AdamW learning rate
    concat_prob: float = 0.3       # chance that a training example joins two clips (longer strings)
    mask_prob: float = 0.5         # chance of one time mask and one frequency mask per example (SpecAugment)
    beam_width: int = 8            # prefix beam search width for the *_beam metrics
    n_real: int = 40               # real digit strings made from the human recordings
    eval_every: int = 100          # steps between evaluations on the held-out voices
    progress: bool = True          # show a progress bar


def _augment(x: torch.Tensor, g: random.Random, mask_prob: float) -> torch.Tensor:
    """One random time mask (up to 6 frames) and frequency mask (up to 5 bands) set to 0 (Park et al. 2019)."""
    if g.random() >= mask_prob:
        return x
    x = x.clone()
    t0, tw = g.randrange(len(x)), g.randint(1, 6)
    f0, fw = g.randrange(x.shape[1]), g.randint(1, 5)
    x[t0:t0 + tw] = 0.0
    x[:, f0:f0 + fw] = 0.0
    return x


@experiment("speech", SpeechConfig, help="spoken digit strings -> bidirectional GRU/LSTM with CTC (metrics: "
            "digit_error_rate on held-out synthetic voices, real_digit_error_rate on real recordings)")
def run_speech(config: SpeechConfig) -> Result:
    seed_everything(config.seed)
    g = random.Random(config.seed)
    train_set, test_set = load_speech_digits("train"), load_speech_digits("test")
    train_x = [normalize_features(f) for f in train_set.feats]                  # each (frames, n_mels)
    test_x = [normalize_features(f) for f in test_set.feats]
    fconfig = feature_config()
    real_waves, real_labels, _ = real_digit_strings(config.n_real, seed=1)
    real_x = [speech_features(w, fconfig) for w in real_waves]
    model = CTCAcousticModel(AcousticConfig(n_mels=fconfig.n_mels, hidden_size=config.hidden_size,
                                            num_layers=config.num_layers, cell=config.model,
                                            subsample=config.subsample))

    def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        feats, labels = [], []
        for _ in range(config.batch_size):
            i = g.randrange(len(train_x))
            x, y = train_x[i], list(train_set.labels[i])
            if g.random() < config.concat_prob:
                j = g.randrange(len(train_x))
                x, y = torch.cat([x, train_x[j]]), y + train_set.labels[j]   # (frames_i + frames_j, n_mels)
            feats.append(_augment(x, g, config.mask_prob))
            labels.append(digits_to_tokens(y))
        x, lengths = pad_features(feats)                                     # (batch, max_frames, n_mels)
        targets = torch.tensor([t for y in labels for t in y], dtype=torch.long)  # all targets, concatenated
        return x, lengths, targets, torch.tensor([len(y) for y in labels], dtype=torch.long)

    def loss_fn(model: nn.Module, b: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, lengths, targets, target_lengths = b
        log_probs, out_lengths = model(x, lengths)                           # (batch, time', 11)
        return nn.functional.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, target_lengths,
                                      blank=BLANK, zero_infinity=True)       # ctc_loss wants (time', batch, 11)

    def evaluate(model: nn.Module) -> dict[str, float]:
        hyps = decode(predict_log_probs(model, test_x[:100]))
        return {"digit_error_rate": digit_error_rate(hyps, test_set.labels[:100])}

    history = train(model, batch, loss_fn, TrainConfig(steps=config.steps, lr=config.lr, eval_every=config.eval_every,
                                                       clip_grad_norm=5.0, progress=config.progress,
                                                       desc=f"speech {config.model}"), evaluate=evaluate)
    test_lp, real_lp = predict_log_probs(model, test_x), predict_log_probs(model, real_x)
    test_hyp, real_hyp = decode(test_lp), decode(real_lp)
    rng = np.random.default_rng(config.seed)
    guesses = [[int(d) for d in rng.integers(0, 10, len(y))] for y in test_set.labels]   # right length, random digits
    metrics = {
        "digit_error_rate": digit_error_rate(test_hyp, test_set.labels),
        "digit_error_rate_beam": digit_error_rate(decode(test_lp, config.beam_width), test_set.labels),
        "real_digit_error_rate": digit_error_rate(real_hyp, real_labels),
        "real_digit_error_rate_beam": digit_error_rate(decode(real_lp, config.beam_width), real_labels),
        "chance_digit_error_rate": float(digit_error_rate(guesses, test_set.labels)),
        "steps": history.steps[-1],
    }
    extras = {"test_features": test_x, "test_labels": test_set.labels, "test_voices": test_set.voices,
              "test_log_probs": test_lp, "test_hypotheses": test_hyp, "real_waves": real_waves,
              "real_features": real_x, "real_labels": real_labels, "real_log_probs": real_lp,
              "real_hypotheses": real_hyp, "feature_config": fconfig}
    return Result(metrics=metrics, config=config, model=model, history=history, extras=extras)
