"""Notebook 02's claims on another seed: gradient checks (weights and data from the seed), truncated BPTT on a
noisy sine wave (random RNN and wave from the seed), and the numpy char-RNN on Sonnet 18 (NumpyCharRNNConfig
with the seed)."""

from __future__ import annotations

import re

import numpy as np
import torch

from benchmarks.claims import record
from rnnlab.data.synthetic import sine_waves
from rnnlab.experiments.gradients import SONNET_18, NumpyCharRNNConfig, char_vocabulary, run_numpy_char_rnn
from rnnlab.gradcheck import gradient_check
from rnnlab.models.numpy_rnn import clip_grad_norm, init_params, rnn_loss_and_grads

KS = [1, 5, 10, 25, 50, 100, 300, 600]


def _gradient_claims(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    params = init_params(input_size=5, hidden_size=8, output_size=5, seed=seed)
    x = rng.normal(size=(2, 6, 5))
    targets = rng.integers(0, 5, size=(2, 6))
    _, grads, _ = rnn_loss_and_grads(params, x, targets, loss="cross_entropy")
    errors = gradient_check(lambda: rnn_loss_and_grads(params, x, targets, loss="cross_entropy")[0], params, grads)
    p32 = {k: v.astype(np.float32) for k, v in params.items()}
    x32 = x.astype(np.float32)
    _, g32, _ = rnn_loss_and_grads(p32, x32, targets, loss="cross_entropy")
    err32 = {eps: gradient_check(lambda: rnn_loss_and_grads(p32, x32, targets, loss="cross_entropy")[0],
                                 {"W_hh": p32["W_hh"]}, g32, eps=eps)["W_hh"] for eps in (1e-6, 1e-3)}
    return [
        record("02", "every BPTT gradient agrees with finite differences", seed, max(errors.values()), "<", 1e-6),
        record("02", "float32 (eps=1e-6) far less accurate than float64", seed, err32[1e-6], ">",
               1000 * errors["W_hh"]),
        record("02", "in float32 eps=1e-3 helps by more than 10x", seed, err32[1e-3], "<", err32[1e-6] / 10),
        record("02", "with eps=1e-3 float32 stays far less accurate than float64", seed, err32[1e-3], ">",
               1000 * errors["W_hh"]),
    ]


def _chunked_gradient(model, head, wave, k):
    model.zero_grad()
    head.zero_grad()
    T = wave.shape[1] - 1
    h, largest = None, 0
    for start in range(0, T, k):
        x_chunk, y_chunk = wave[:, start:start + k], wave[:, start + 1:start + k + 1]
        saved = [0]

        def pack(t, saved=saved):
            saved[0] += t.numel() * t.element_size()
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out, h = model(x_chunk, h)
            loss = torch.nn.functional.mse_loss(head(out), y_chunk, reduction="sum") / y_chunk.numel() * (
                y_chunk.shape[1] / T)
        largest = max(largest, saved[0])
        loss.backward()
        h = h.detach()
    return model.weight_hh_l0.grad.clone(), largest


def _full_gradient(model, head, wave):
    """Plain BPTT without chunks: one forward and one backward over the whole wave (the notebook's full_gradient)."""
    model.zero_grad()
    head.zero_grad()
    out, _ = model(wave[:, :-1])
    torch.nn.functional.mse_loss(head(out), wave[:, 1:]).backward()
    return model.weight_hh_l0.grad.clone()


def _truncation_claims(seed: int) -> list[dict]:
    torch.manual_seed(seed)
    wave = sine_waves(4, 601, noise=0.05, seed=seed + 1).double()
    model = torch.nn.RNN(1, 32, batch_first=True).double()
    readout = torch.nn.Linear(32, 1).double()
    with torch.no_grad():
        q, _ = torch.linalg.qr(torch.randn(32, 32, dtype=torch.float64))
        model.weight_hh_l0.copy_(0.95 * q)
    full = _full_gradient(model, readout, wave)
    err, kb = [], []
    for k in KS:
        g, saved = _chunked_gradient(model, readout, wave, k)
        err.append(float((g - full).norm() / full.norm()))
        kb.append(saved / 1024)
    slope = np.polyfit(np.log(KS[2:7]), np.log(err[2:7]), 1)[0]
    per_step = [b / k for b, k in zip(kb[1:], KS[1:], strict=True)]
    return [
        record("02", "one chunk of k = T gives exactly the plain BPTT gradient (no chunks)", seed, err[-1], "<", 1e-12),
        record("02", "a longer truncation is never further from the full gradient", seed,
               min(a / b for a, b in zip(err, err[1:-1], strict=False)), ">=", 0.999),
        record("02", "k = 1 loses several times more than k = 50 (error ratio)", seed, err[0] / err[4], ">", 5),
        record("02", "from k = 10 to 300 the error falls about like 1/k (|log-log slope + 1|)", seed, abs(slope + 1),
               "<", 0.4),
        record("02", "error at k = 300 far above 0.95^300 (ratio)", seed, err[KS.index(300)] / 0.95**300, ">", 100),
        record("02", "memory for backward grows with k (600 vs 5)", seed, kb[-1] / kb[1], ">", 50),
        record("02", "memory for backward grows at every k", seed,
               min(b / a for a, b in zip(kb, kb[1:], strict=False)), ">", 1),
        record("02", "from k = 5 on the memory is proportional to k (max / min KiB per step)", seed,
               max(per_step) / min(per_step), "<", 1.25),
    ]


def _char_rnn_claims(seed: int) -> list[dict]:
    config = NumpyCharRNNConfig(steps=600, hidden_size=64, seed=seed, progress=False)
    result = run_numpy_char_rnn(config)
    m, raw = result.metrics, np.array(result.history["loss"])
    sonnet_words = set(re.findall(r"[a-z']+", SONNET_18.lower()))
    words = re.findall(r"[a-z']+", result.extras["sample"][len("Shall I"):].lower())
    share_real = sum(w in sonnet_words for w in words) / len(words)
    return [
        record("02", "the untrained model starts close to ln V (|initial loss - ln V|)", seed,
               abs(m["initial_loss"] - m["uniform_loss"]), "<", 0.05),
        record("02", "the first Adagrad steps overshoot above ln V + 1", seed, raw[:50].max(), ">",
               m["uniform_loss"] + 1),
        record("02", "the last 100 chunk losses are well below ln V", seed, raw[-100:].mean(), "<",
               m["uniform_loss"] - 0.5),
        record("02", "the RNN beats letter frequencies by a wide margin", seed, m["final_loss"], "<",
               m["unigram_loss"] - 0.5),
        record("02", "most generated words are not words of the sonnet (share that are)", seed, share_real, "<", 0.5),
        record("02", "Adagrad's first step moves most weights with a gradient by > 0.9 lr (share)", seed,
               _adagrad_first_step_share(config, raw[0]), ">", 0.75),
    ]


def _adagrad_first_step_share(config: NumpyCharRNNConfig, first_loss: float) -> float:
    """Share of the weights with a nonzero gradient that Adagrad's first step moves by more than 0.9 lr."""
    chars, ids = char_vocabulary(SONNET_18)
    vocab = len(chars)
    params = init_params(vocab, config.hidden_size, vocab, seed=config.seed)
    chunk = ids[:config.seq_len + 1]
    loss, grads, _ = rnn_loss_and_grads(params, np.eye(vocab)[chunk[:-1]][None], chunk[None, 1:],
                                        loss="cross_entropy")
    assert np.isclose(loss, first_loss), "the same first chunk as the training run"
    grads.pop("h0")
    grads, _ = clip_grad_norm(grads, config.clip_grad_norm)
    g = np.concatenate([v.ravel() for v in grads.values()])
    step = config.lr * np.abs(g) / np.sqrt(g**2 + 1e-8)
    return float(np.mean(step[g != 0] > 0.9 * config.lr))


def claims(seed: int) -> list[dict]:
    return _gradient_claims(seed) + _truncation_claims(seed) + _char_rnn_claims(seed)
