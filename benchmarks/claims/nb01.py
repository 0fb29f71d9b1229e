"""Notebook 01's claims on another seed: the widget's random RNN at scales 0, 1 and 4 (section 6) and how long a
random tanh RNN remembers its first character (section 7), with the random weights drawn from `seed` instead of 0."""

from __future__ import annotations

import numpy as np

from benchmarks.claims import record
from rnnlab.models.numpy_rnn import rnn_hidden_states
from rnnlab.widgets.recurrence import encode_text, text_hidden_states

SENTENCE = "the cat sat on the mat and the dog sat on the log"
SCALES = (0.3, 0.9, 1.5, 2.0)
WIDGET_TEXT = "hello world, hello rnn"


def letter_effect(text: str, scale: float, seed: int) -> float:
    """Section 6: mean over the steps t of ||h_t - h'_t||, h' reading `text` with only its t-th character replaced."""
    hs = text_hidden_states(text, weight_scale=scale, seed=seed)["hs"]
    effects = []
    for t, c in enumerate(text):
        swapped = text[:t] + ("x" if c != "x" else "q") + text[t + 1:]
        effects.append(np.linalg.norm(hs[t] - text_hidden_states(swapped, weight_scale=scale, seed=seed)["hs"][t]))
    return float(np.mean(effects))


def widget_claims(seed: int) -> list[dict]:
    """Section 6's claims, with the widget's random weights drawn from `seed`."""
    same = [t for t, c in enumerate(WIDGET_TEXT) if c == "l"][:2]
    diff = {}
    for scale in (0.0, 1.0):
        hs = text_hidden_states(WIDGET_TEXT, weight_scale=scale, seed=seed)["hs"]
        diff[scale] = np.abs(hs[same[0]] - hs[same[1]]).max()
    saturated = text_hidden_states(WIDGET_TEXT, weight_scale=4.0, seed=seed)["saturated_fraction"]
    effect = {s: letter_effect(WIDGET_TEXT, s, seed) for s in (1.0, 4.0)}
    return [
        record("01", "with W_hh = 0 the state depends on the current letter only", seed, diff[0.0], "<", 1e-12),
        record("01", "at scale 1 the same letter gives different states", seed, diff[1.0], ">", 0.1),
        record("01", "at scale 4 most values sit beyond +-0.9", seed, saturated, ">", 0.5),
        record("01", "at scale 4 the state follows the current letter less than at scale 1 (ratio)", seed,
               effect[4.0] / effect[1.0], "<", 0.8),
    ]


def memory_measurements(seed: int, hidden: int = 16) -> dict:
    """Section 7 of notebook 01: distances between the states of two sentences that differ in their first
    character, the shrink per step, W_hh's stretch and tanh's slope on the difference, per scale."""
    x_a, _ = encode_text(SENTENCE)
    x_b, _ = encode_text("a" + SENTENCE[1:])
    out = {"distance": {}, "rate": {}, "stretch": {}, "slope": {}, "mean_slope": {}}
    for s in SCALES:
        rng = np.random.default_rng(seed)
        W_xh = rng.normal(0, 1, (hidden, x_a.shape[-1]))
        W_hh = rng.normal(0, s / np.sqrt(hidden), (hidden, hidden))
        h0, b_h = np.zeros((1, hidden)), np.zeros(hidden)
        hs_a = rnn_hidden_states(x_a, h0, W_xh, W_hh, b_h)[0]
        hs_b = rnn_hidden_states(x_b, h0, W_xh, W_hh, b_h)[0]
        d = hs_a - hs_b
        distance = np.linalg.norm(d, axis=1)
        Wd = d[:10] @ W_hh.T
        out["distance"][s] = distance
        out["rate"][s] = (distance[10] / distance[0]) ** (1 / 10)
        out["stretch"][s] = np.exp(np.mean(np.log(np.linalg.norm(Wd, axis=1) / np.linalg.norm(d[:10], axis=1))))
        out["slope"][s] = np.exp(np.mean(np.log(np.linalg.norm(d[1:11], axis=1) / np.linalg.norm(Wd, axis=1))))
        out["mean_slope"][s] = float(np.mean(1 - hs_a[1:11] ** 2))
    return out


def claims(seed: int) -> list[dict]:
    m = memory_measurements(seed)
    distance, rate, stretch, slope, mean_slope = (m[k] for k in ("distance", "rate", "stretch", "slope", "mean_slope"))
    rows = widget_claims(seed) + [
        record("01", "scale 0.3: the first character is forgotten within 10 steps", seed, distance[0.3][10], "<", 1e-3),
        record("01", "distance at t=10: scale 0.3 below scale 0.9", seed, distance[0.3][10], "<", distance[0.9][10]),
        record("01", "distance at t=10: scale 0.9 below scale 1.5", seed, distance[0.9][10], "<", distance[1.5][10]),
        record("01", "scale 0.9: shrinks clearly faster than 0.9 per step", seed, rate[0.9], "<", 0.75),
        record("01", "scale 1.5: the difference dies out (end / start)", seed,
               distance[1.5][-1] / distance[1.5][0], "<", 1e-2),
        record("01", "scale 2: the first character still shows at the end", seed, distance[2.0][-1], ">", 1e-3),
        record("01", "scale 2 remembers longer than scale 1.5 (distance at the end)", seed, distance[2.0][-1], ">",
               distance[1.5][-1]),
    ]
    for s in SCALES:
        rows.append(record("01", f"scale {s}: W_hh stretches by about its scale (|stretch / scale - 1|)", seed,
                           abs(stretch[s] / s - 1), "<", 0.15))
        rows.append(record("01", f"scale {s}: rule scale x slope matches the shrink (|rule / measured - 1|)", seed,
                           abs(s * slope[s] / rate[s] - 1), "<", 0.15))
        rows.append(record("01", f"scale {s}: tanh squashes the difference (slope)", seed, slope[s], "<", 1))
    for s in (1.5, 2.0):
        rows.append(record("01", f"scale {s}: slope on the difference above the mean over all units", seed,
                           slope[s], ">", mean_slope[s]))
    return rows
