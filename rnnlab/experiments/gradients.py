"""Experiments of notebooks 02 and 03: the numpy char-RNN trained with hand-written BPTT, and exploding gradients
with and without gradient clipping.

References: Karpathy 2015 (min-char-rnn: a numpy character RNN trained with Adagrad and a carried hidden state);
Pascanu, Mikolov & Bengio 2013 (exploding gradients and clipping by the norm).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from rnnlab.experiments.adding_task import adding_batches, adding_test_set, held_out_mse, mse_loss
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models import SequenceModel
from rnnlab.models.numpy_rnn import clip_grad_norm, init_params, rnn_forward, rnn_loss_and_grads
from rnnlab.train import Callback, TrainState, train
from rnnlab.utils import progress, seed_everything
from rnnlab.validate import check_device, check_float, check_int

# Shakespeare, Sonnet 18 (1609; public domain): a short real text for next-character prediction.
SONNET_18 = """Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date;
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance or nature's changing course untrimm'd;
But thy eternal summer shall not fade,
Nor lose possession of that fair thou ow'st;
Nor shall death brag thou wander'st in his shade,
When in eternal lines to time thou grow'st:
So long as men can breathe or eyes can see,
So long lives this, and this gives life to thee.
"""


@dataclass(kw_only=True)
class NumpyCharRNNConfig(TrainingBlock):
    hidden_size: int = 64         # recurrent units
    seq_len: int = 25             # characters per chunk (the truncation length of BPTT)
    steps: int = 1000             # optimisation steps, one chunk each
    batch_size: int = 1           # chunks per step: the numpy RNN reads the text as one stream (only 1)
    lr: float = 0.1               # Adagrad learning rate
    clip_grad_norm: float | None = 5.0  # clip the global gradient norm to this (None: no clipping)
    eval_every: int = 1           # the loss is recorded at every step (the numpy loop has no evaluation)
    sample_length: int = 200      # characters sampled from the trained model

    def __post_init__(self) -> None:
        """Task fields' ranges, the error naming the option as typed (the shared fields are checked first)."""
        for name in ("hidden_size", "seq_len", "sample_length"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        check_int(self.batch_size, "batch_size (--batch-size)", minimum=1, maximum=1)


def char_vocabulary(text: str) -> tuple[list[str], np.ndarray]:
    """The sorted characters of `text`, and the text as ids: (len(text),) int64."""
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    return chars, np.array([index[c] for c in text], dtype=np.int64)


def _one_hot(ids: np.ndarray, vocab: int) -> np.ndarray:
    x = np.zeros((1, len(ids), vocab))                              # (batch=1, time, vocab)
    x[0, np.arange(len(ids)), ids] = 1.0
    return x


def text_loss(params: dict[str, np.ndarray], ids: np.ndarray, vocab: int) -> float:
    """Mean next-character cross-entropy (nats) over the whole text, reading it in one pass."""
    y, _ = rnn_forward(params, _one_hot(ids[:-1], vocab))            # (1, time, vocab)
    logits = y[0] - y[0].max(axis=-1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return float(-log_p[np.arange(len(ids) - 1), ids[1:]].mean())


def sample_text(params: dict[str, np.ndarray], chars: list[str], start: str, length: int, seed: int = 0) -> str:
    """Sample `length` characters after `start` from the model's softmax."""
    rng = np.random.default_rng(seed)
    index = {c: i for i, c in enumerate(chars)}
    ids = [index[c] for c in start]
    h = None
    y, cache = rnn_forward(params, _one_hot(np.array(ids), len(chars)), h)
    out = []
    for _ in range(length):
        logits = y[0, -1] - y[0, -1].max()
        p = np.exp(logits) / np.exp(logits).sum()
        nxt = int(rng.choice(len(chars), p=p))
        out.append(chars[nxt])
        y, cache = rnn_forward(params, _one_hot(np.array([nxt]), len(chars)), cache["hs"][:, -1])
    return start + "".join(out)


@experiment("char_rnn_numpy", NumpyCharRNNConfig,
            help="the numpy RNN learns Sonnet 18 character by character (metrics: final_loss, initial_loss, "
                 "uniform_loss, unigram_loss, in nats per character)")
def run_numpy_char_rnn(config: NumpyCharRNNConfig, model: dict[str, np.ndarray] | None = None,
                       callbacks: tuple = (), device: object = None) -> Result:
    """The experiments' one shape. model: numpy parameters to start from (init_params' dict; copied), else fresh
    ones. callbacks: none are supported by this numpy loop (ValueError if given). device: ignored (numpy)."""
    check_int(config.steps, "steps", minimum=1)
    if callbacks:
        raise ValueError("the numpy char-RNN takes no callbacks (it is a plain numpy loop): pass callbacks=()")
    seq = config.seq_len
    chars, ids = char_vocabulary(SONNET_18)
    vocab = len(chars)
    params = ({k: np.array(v, dtype=float, copy=True) for k, v in model.items()} if model is not None
              else init_params(vocab, config.hidden_size, vocab, seed=config.seed))
    memory = {k: np.zeros_like(v) for k, v in params.items()}      # Adagrad's sums of squared gradients
    counts = np.bincount(ids, minlength=vocab) / len(ids)
    initial = text_loss(params, ids, vocab)
    h, pos, losses, norms = None, 0, [], []
    for _ in progress(range(config.steps), desc="numpy char-RNN", disable=None if config.progress else True):
        if pos + seq + 1 > len(ids):
            h, pos = None, 0                                         # back to the start, fresh state
        chunk = ids[pos:pos + seq + 1]
        loss, grads, h = rnn_loss_and_grads(params, _one_hot(chunk[:-1], vocab), chunk[None, 1:],
                                            loss="cross_entropy", h0=h)
        grads.pop("h0")
        if config.clip_grad_norm is not None:
            grads, norm = clip_grad_norm(grads, config.clip_grad_norm)
        else:                                                        # no clipping: only measure the norm
            norm = float(np.sqrt(sum(float((g * g).sum()) for g in grads.values())))
        for name, g in grads.items():                                # Adagrad step
            memory[name] += g * g
            params[name] -= config.lr * g / np.sqrt(memory[name] + 1e-8)
        losses.append(loss)
        norms.append(norm)
        pos += seq
        if not math.isfinite(loss) or loss > 1e3 * losses[0]:                # never a silently diverged run
            from rnnlab.train import DivergedError

            raise DivergedError(f"training diverged at step {len(losses)} of {config.steps}: the loss is {loss:.4g}"
                                f" ({loss / losses[0]:.3g} times its first value {losses[0]:.4g}). Lower the "
                                f"learning rate (lr / --lr, now {config.lr:g}) or clip the gradient norm "
                                f"(clip_grad_norm / --clip-grad-norm)", len(losses), loss, norm)
    metrics = {"final_loss": text_loss(params, ids, vocab),
               "initial_loss": initial,
               "uniform_loss": math.log(vocab),
               "unigram_loss": float(-(counts * np.log(counts)).sum()),
               "steps": config.steps}
    sample = sample_text(params, chars, "Shall I", config.sample_length, seed=config.seed)
    return Result(metrics=metrics, config=config, model=None,
                  history={"loss": losses, "grad_norm": norms},
                  extras={"params": params, "chars": chars, "sample": sample})


class StopOnNonFinite(Callback):
    """Stop training as soon as the loss or the gradient norm is NaN or infinite (nothing can be learnt after)."""

    def on_step(self, state: TrainState) -> None:
        loss, norm = state.history.loss[-1], state.history.grad_norm[-1]
        if not (math.isfinite(loss) and math.isfinite(norm)):
            state.request_stop(f"loss {loss:.3g}, gradient norm {norm:.3g} at step {state.step}")


@dataclass(kw_only=True)
class ClippingConfig(TrainingBlock):
    seq_len: int = 5              # sequence length of the adding problem
    hidden_size: int = 32         # tanh units
    radius: float = 1.5           # W_hh starts as radius * (random orthogonal): above 1, gradients can explode
    momentum: float = 0.9         # SGD momentum (AdamW would hide the explosion by normalising its steps)
    lr: float = 0.1               # SGD learning rate, the same for both runs
    clip_grad_norm: float | None = 1.0  # threshold of the clipped run: g <- clip * g / ||g|| when ||g|| > clip
    steps: int = 300              # optimisation steps per run
    batch_size: int = 32          # sequences per step
    n_test: int = 500             # held-out sequences (the baseline is the variance of their targets)
    eval_every: int = 50          # steps between evaluations of the test MSE

    def __post_init__(self) -> None:
        """The task fields' ranges (after TrainingBlock's shared checks), each error naming its option as typed,
        e.g. "seq_len (--seq-len) must be >= ...". Raises TypeError or ValueError."""
        for name in ("seq_len", "n_test"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=2)
        check_int(self.hidden_size, "hidden_size (--hidden-size)", minimum=1)
        check_float(self.radius, "radius (--radius)", minimum=0.0, strict_minimum=True)
        check_float(self.momentum, "momentum (--momentum)", minimum=0.0, maximum=1.0)


def _clipping_model(config: ClippingConfig) -> nn.Module:
    seed_everything(config.seed)
    model = SequenceModel("rnn", 2, config.hidden_size, 1)
    q, r = torch.linalg.qr(torch.randn(config.hidden_size, config.hidden_size))
    with torch.no_grad():
        model.rnn.weight_hh_l0.copy_(config.radius * q * torch.sign(torch.diagonal(r)))   # (hidden, hidden)
    return model


@experiment("clipping", ClippingConfig,
            help="exploding gradients on the adding problem, trained with and without gradient clipping (metrics: "
                 "unclipped_diverged, unclipped_max_grad_norm, clipped_test_mse, baseline_mse)")
def run_clipping(config: ClippingConfig, model: nn.Module | Callable[[], nn.Module] | None = None,
                 callbacks: Sequence[Callback] = (), device: torch.device | str | None = None) -> Result:
    """Train the same model twice, from the same weights on the same batches: without clipping and with clipping
    at `clip_grad_norm`. `model`: an nn.Module ((batch, T, 2) -> (batch, 1); each run starts from a copy of it)
    or a factory returning one; default: a tanh RNN whose W_hh is `radius` times a random orthogonal matrix.
    The unclipped run stops at its first non-finite loss or gradient norm."""
    check_int(config.seq_len, "seq_len", minimum=2)
    if config.clip_grad_norm is None:
        raise ValueError("clip_grad_norm is the threshold of the clipped run: give a number such as 1.0, not None")
    device = check_device(device)
    x_test, y_test = adding_test_set(config.seq_len, config.n_test, device)              # (n_test, T, 2), (n_test, 1)
    baseline = ((y_test - y_test.mean()) ** 2).mean().item()                        # predict the test mean
    histories, models = {}, {}
    for name, clip in (("no clipping", None), ("clipping", config.clip_grad_norm)):
        if model is None:
            net = _clipping_model(config)                                           # the same start for both runs
        elif isinstance(model, nn.Module):
            net = copy.deepcopy(model)
        else:
            net = model()
        net.to(device)
        batch = adding_batches(config.seq_len, config.batch_size, config.seed, device)     # the same batches both runs
        histories[name] = train(net, batch, mse_loss,
                                config.train_config(f"adding seq_len={config.seq_len}, {name}", clip_grad_norm=clip),
                                evaluate=held_out_mse(x_test, y_test),
                                optimizer=torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum),
                                callbacks=[StopOnNonFinite(), *callbacks])
        models[name] = net
    raw, clipped = histories["no clipping"], histories["clipping"]
    finite_raw = [v for v in raw.grad_norm if math.isfinite(v)]
    tail = max(1, len(clipped.loss) // 10)
    metrics = {"unclipped_diverged": float(raw.stopped_early is not None),
               "unclipped_steps": raw.steps[-1],
               "unclipped_max_grad_norm": max(finite_raw) if finite_raw else math.nan,
               "unclipped_max_loss": max((v for v in raw.loss if math.isfinite(v)), default=math.nan),
               "clipped_max_grad_norm": max(clipped.grad_norm),
               "clipped_final_loss": float(np.mean(clipped.loss[-tail:])),
               "clipped_test_mse": clipped.last("test_mse"),
               "clipped_diverged": float(clipped.stopped_early is not None),
               "initial_loss": clipped.loss[0],
               "baseline_mse": baseline}
    return Result(metrics=metrics, config=config, model=models["clipping"], history=histories,
                  extras={"models": models})
