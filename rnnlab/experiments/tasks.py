"""Where recurrent models and their successors differ (notebook 10, section 6): associative recall, selective
copying and parity, each a small token task trained in seconds on a CPU.

* `recall`: multi-query associative recall (Arora et al. 2023, "Zoology"): attention can look a key up anywhere;
  a fixed-size state holds only so much (Arora et al. 2024, "Based").
* `selective_copy`: selective copying (Gu & Dao 2023, "Mamba"): input-dependent (selective) state updates let a
  recurrence skip the noise; a time-invariant one (S4D) cannot choose what to keep.
* `parity`: running parity, trained on short sequences and tested on longer ones (Grazzi et al. 2024): an LSTM
  can track it; a linear recurrence whose a_t lies in (0, 1) (minGRU) cannot; allowing a_t in (-1, 1) can.

Every experiment reports `accuracy` (held-out sequences, fixed by `TEST_SEED`, never seen in training) and
`state_floats`, the numbers the model carries from one token to the next at the end of a test sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.synthetic import associative_recall, parity, selective_copying
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.models.ssm import TokenModel
from rnnlab.train import Callback, History, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_device, check_int

TEST_SEED = 424_242  # held-out sequences: the same for every run and every training seed


@dataclass
class TaskResult(Result):
    """What `recall`, `selective_copy` and `parity` return (metrics holds the same numbers for the runner)."""

    accuracy: float = float("nan")          # held-out accuracy (fraction of answers right)
    chance: float = float("nan")            # accuracy of guessing (1 / number of classes)
    state_floats: int = 0                   # numbers carried from token to token at the end of a test sequence
    parameters: int = 0                     # trainable parameters
    train_accuracy: float = float("nan")    # parity only: held-out accuracy at the training length


@dataclass(kw_only=True)
class TaskBlock(TrainingBlock):
    """Fields shared by the three tasks (model width and depth, test size), on top of the training block."""

    d: int = 32                            # width of every position's vector (hidden size of recurrent models)
    num_layers: int = 2                      # stacked layers (blocks)
    d_state: int = 4                       # ssm / s4d: state size per channel
    n_test: int = 500                      # held-out sequences
    batch_size: int = 32                   # sequences per step
    eval_every: int = 50                   # steps between evaluations
    lr: float = 3e-3                       # AdamW learning rate

    def __post_init__(self) -> None:
        check_int(self.d, "d (--d)", minimum=2)
        check_int(self.num_layers, "num_layers (--num-layers)", minimum=1)
        check_int(self.d_state, "d_state (--d-state)", minimum=1)
        check_int(self.n_test, "n_test (--n-test)", minimum=1)


def _fit(model: nn.Module, config: TaskBlock, make: Callable[[int, int], tuple[torch.Tensor, torch.Tensor]],
         test: tuple[torch.Tensor, torch.Tensor], callbacks: Sequence[Callback],
         device: torch.device | str | None, desc: str) -> tuple[History, float]:
    """Train `model` with cross-entropy on the answer positions and return (history, held-out accuracy).

    make(n, seed) -> (x, y) makes a batch; y: (batch, k) labels the last k positions of x (the answers).
    """

    def answers(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return logits[:, -y.shape[1]:]                                  # (batch, k, classes)

    device = check_device(device)
    model.to(device)
    x_test, y_test = (t.to(device) for t in test)
    g = torch.Generator().manual_seed(config.seed)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        x, y = make(config.batch_size, int(torch.randint(0, 2**62, (1,), generator=g)))
        return x.to(device), y.to(device)

    def loss_fn(model: nn.Module, b: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        logits = answers(model(b[0]), b[1])                             # (batch, k, classes)
        return nn.functional.cross_entropy(logits.flatten(0, 1), b[1].flatten())

    def evaluate(model: nn.Module) -> dict[str, float]:
        right = answers(model(x_test), y_test).argmax(-1) == y_test     # (n_test, k)
        return {"accuracy": right.float().mean().item()}

    history = train(model, batch, loss_fn, config.train_config(desc=desc), evaluate=evaluate, callbacks=callbacks)
    return history, history.last("accuracy")


def _result(config: TaskBlock, model: nn.Module, history: History, accuracy: float, chance: float, T: int,
            **extra: float) -> TaskResult:
    parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if not hasattr(model, "state_floats"):  # a model of your own: the state of the config's architecture
        model_like = TokenModel(config.model, [2], 2, d=config.d, num_layers=config.num_layers, d_state=config.d_state)
        state = model_like.state_floats(T)
    else:
        state = model.state_floats(T)
    metrics = {"accuracy": accuracy, "chance": chance, "state_floats": state, "parameters": parameters,
               "steps": history.steps[-1], "train_seconds": history.seconds, **extra}
    return TaskResult(metrics=metrics, config=config, model=model, history=history, accuracy=accuracy,
                      chance=chance, state_floats=state, parameters=parameters, **extra)


def _check_model(model: object) -> None:
    if model is not None and not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module mapping token ids (batch, time[, channels]) to logits "
                        f"(batch, time, classes), got {type(model).__name__}")


# ---------------------------------------------------------------------------------------------------------

RECALL_MODELS = ["attention", "gru", "lstm", "mingru", "ssm"]


@dataclass(kw_only=True)
class RecallConfig(TaskBlock):
    model: str = field(default="attention", metadata={"choices": RECALL_MODELS, "help": "architecture"})
    pairs: int = 16                        # key-value pairs shown before the queries
    seq_len: int = 32                      # positions in all: the pairs, then seq_len - pairs queries
    n_keys: int = 64                       # distinct keys
    n_values: int = 16                     # distinct values (chance accuracy 1 / n_values)
    steps: int = 300                       # optimisation steps (the budget)

    def __post_init__(self) -> None:
        TaskBlock.__post_init__(self)
        associative_recall(1, self.pairs, self.seq_len, n_keys=self.n_keys, n_values=self.n_values, seed=0)


@experiment("recall", RecallConfig,
            help="multi-query associative recall: attention, gru, lstm, mingru, ssm (metrics: accuracy, state_floats)")
def run_recall(config: RecallConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> TaskResult:
    """Train on `associative_recall(pairs, seq_len)` and return the held-out accuracy over all queries.
    `model`: any nn.Module mapping (batch, seq_len, 2) int64 ids to (batch, seq_len, n_values) logits."""
    seed_everything(config.seed)
    _check_model(model)
    if model is None:
        model = TokenModel(config.model, [config.n_keys + 1, config.n_values + 1], config.n_values, d=config.d,
                           num_layers=config.num_layers, d_state=config.d_state)
    task = dict(n_keys=config.n_keys, n_values=config.n_values)
    history, accuracy = _fit(model, config, lambda n, s: associative_recall(n, config.pairs, config.seq_len,
                                                                            seed=s, **task),
                             associative_recall(config.n_test, config.pairs, config.seq_len, seed=TEST_SEED, **task),
                             callbacks, device, f"recall {config.model}")
    return _result(config, model, history, accuracy, 1 / config.n_values, config.seq_len)


COPY_MODELS = ["ssm", "s4d", "gru", "lstm", "mingru", "attention"]


@dataclass(kw_only=True)
class SelectiveCopyConfig(TaskBlock):
    model: str = field(default="ssm", metadata={"choices": COPY_MODELS, "help": "architecture"})
    seq_len: int = 32                      # noise steps among which the symbols sit
    n_tokens: int = 4                      # symbols to copy
    vocab: int = 8                         # distinct symbols (chance accuracy 1 / vocab)
    steps: int = 300                       # optimisation steps (the budget)

    def __post_init__(self) -> None:
        TaskBlock.__post_init__(self)
        selective_copying(1, self.seq_len, n_tokens=self.n_tokens, vocab=self.vocab, seed=0)


@experiment("selective_copy", SelectiveCopyConfig,
            help="selective copying: ssm (selective), s4d (time-invariant), gru, lstm, mingru, attention "
                 "(metrics: accuracy, state_floats)")
def run_selective_copy(config: SelectiveCopyConfig, model: nn.Module | None = None,
                       callbacks: Sequence[Callback] = (), device: torch.device | str | None = None) -> TaskResult:
    """Train on `selective_copying(seq_len, n_tokens, vocab)`; accuracy over all symbols of the held-out set.
    `model`: any nn.Module mapping (batch, seq_len + n_tokens) int64 ids to (batch, time, vocab) logits."""
    seed_everything(config.seed)
    _check_model(model)
    if model is None:
        model = TokenModel(config.model, [config.vocab + 2], config.vocab, d=config.d, num_layers=config.num_layers,
                           d_state=config.d_state)
    task = dict(n_tokens=config.n_tokens, vocab=config.vocab)
    history, accuracy = _fit(model, config, lambda n, s: selective_copying(n, config.seq_len, seed=s, **task),
                             selective_copying(config.n_test, config.seq_len, seed=TEST_SEED, **task),
                             callbacks, device, f"selective copy {config.model}")
    return _result(config, model, history, accuracy, 1 / config.vocab, config.seq_len + config.n_tokens)


PARITY_MODELS = ["lstm", "gru", "mingru", "mingru_negative"]


@dataclass(kw_only=True)
class ParityConfig(TaskBlock):
    model: str = field(default="lstm", metadata={"choices": PARITY_MODELS, "help": "architecture"})
    seq_len: int = 16                      # training length (the parity of every prefix is a target)
    test_len: int = 64                     # held-out sequences this long: accuracy is read at their last step
    d: int = 16                            # hidden size
    num_layers: int = 1                      # stacked layers
    steps: int = 300                       # optimisation steps (the budget)
    lr: float = 1e-2                       # AdamW learning rate

    def __post_init__(self) -> None:
        TaskBlock.__post_init__(self)
        check_int(self.seq_len, "seq_len (--seq-len)", minimum=1)
        check_int(self.test_len, "test_len (--test-len)", minimum=1)


@experiment("parity", ParityConfig,
            help="running parity, tested longer than trained: lstm, gru, mingru, mingru_negative "
                 "(metrics: accuracy at test_len, train_accuracy at seq_len)")
def run_parity(config: ParityConfig, model: nn.Module | None = None, callbacks: Sequence[Callback] = (),
               device: torch.device | str | None = None) -> TaskResult:
    """Train on the running parity of `seq_len` bits; `accuracy` is that of the parity of all `test_len` bits of
    held-out sequences (the last step), `train_accuracy` the same at `seq_len`. Chance 0.5.
    `model`: any nn.Module mapping (batch, time) int64 bits to (batch, time, 2) logits."""
    seed_everything(config.seed)
    _check_model(model)
    if model is None:
        model = TokenModel(config.model, [2], 2, d=config.d, num_layers=config.num_layers)
    x_long, y_long = parity(config.n_test, config.test_len, seed=TEST_SEED)
    x_short, y_short = parity(config.n_test, config.seq_len, seed=TEST_SEED + 1)
    history, accuracy = _fit(model, config, lambda n, s: parity(n, config.seq_len, seed=s),
                             (x_long, y_long[:, -1:]), callbacks, device, f"parity {config.model}")
    model.eval()
    with torch.no_grad():
        device_of = next(model.parameters()).device
        short = model(x_short.to(device_of))[:, -1].argmax(-1).cpu() == y_short[:, -1]
    return _result(config, model, history, accuracy, 0.5, config.test_len,
                   train_accuracy=short.float().mean().item())
