"""The `translate` experiment: a GRU encoder-decoder, with or without attention, on dates, the grammar or real
interface strings (JupyterLab's English -> French catalogue).

Bahdanau, Cho & Bengio 2015: the fixed-context encoder-decoder degrades on long sentences, attention does not
(their Figure 2); here measured as BLEU and exact match per bucket of source length on a held-out test set.
Metrics: `bleu`, `exact_match` (test set), `baseline_bleu` (word-by-word translation with IBM Model 1
alignments, `rnnlab.models.word_by_word`; word-level tasks, when `baseline` is on), `bleu_len_A_B` /
`exact_match_len_A_B` / `n_len_A_B` per source-length bucket, and for the grammar `combos_bleu` /
`combos_exact_match` on held-out adjective-noun combinations.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.translation import TASKS, ParallelData, Seq2SeqBatch, make_task
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.metrics.translation import corpus_bleu, exact_match, scores_by_length
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, translate_texts
from rnnlab.models.word_by_word import WordByWord
from rnnlab.train import Callback, EarlyStopping, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice, check_float, check_int

__all__ = ["LENGTH_EDGES", "TranslateConfig", "evaluate_translations", "load_task", "make_model", "run_translate",
           "seq2seq_loss", "translate_texts", "word_by_word_bleu"]

LENGTH_EDGES = {"dates": (12, 16, 20, 24, 40), "grammar": (5, 10, 15, 20, 25, 40), "ui": (3, 6, 12)}
BLEU_TOKENIZE = {"dates": "char", "grammar": "13a", "ui": "13a"}


@dataclass(kw_only=True)
class TranslateConfig(TrainingBlock):
    task: str = field(default="dates", metadata={"choices": TASKS})  # data set: dates, grammar or ui (real)
    attention: bool = True                 # attend over the encoder states (else one fixed context vector)
    score: str = field(default="additive", metadata={"choices": ["additive", "dot"]})  # Bahdanau or Luong score
    bidirectional: bool = True             # bidirectional encoder (else left to right only)
    decode: str = field(default="greedy", metadata={"choices": ["greedy", "beam"]})  # search at test time
    beam_width: int = 5                    # hypotheses kept by beam search
    length_penalty: float = 1.0            # beam ranks log_prob / length^length_penalty
    data_seed: int = 0                     # seeds the data set (the same test set for every training seed)
    n_train: int = 10_000                  # training pairs (ui: all 2,189 when larger)
    n_test: int = 500                      # held-out test pairs (and held-out combinations, grammar)
    embedding_size: int = 64               # token embedding size
    hidden_size: int = 128                 # GRU units (encoder per direction, decoder)
    batch_size: int = 128                  # pairs per step
    bucket: int = 1                        # batches drawn at once and grouped by sentence length (1: random)
    steps: int = 800                       # optimisation steps (the budget)
    lr: float = 3e-3                       # Adam learning rate
    teacher_forcing: float = 1.0           # probability of feeding the true previous token in training
    eval_every: int = 200                  # steps between evaluations (greedy exact match on n_eval pairs)
    n_eval: int = 200                      # test pairs scored during training
    stop_at: float | None = None           # stop once that exact match reaches this (time-to-target)
    baseline: bool = True                  # also score the word-by-word baseline (word-level tasks)

    def __post_init__(self) -> None:
        check_choice(self.task, "task", TASKS)
        check_choice(self.score, "score", ["additive", "dot"])
        check_choice(self.decode, "decode", ["greedy", "beam"])
        check_int(self.beam_width, "beam_width", minimum=1)
        check_int(self.n_test, "n_test", minimum=1)
        check_int(self.n_eval, "n_eval", minimum=1)
        check_int(self.steps, "steps", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_int(self.bucket, "bucket", minimum=1)
        check_float(self.teacher_forcing, "teacher_forcing", minimum=0.0, maximum=1.0)
        check_float(self.length_penalty, "length_penalty", minimum=0.0)
        check_int(self.n_train, "n_train", minimum=1)
        check_int(self.embedding_size, "embedding_size", minimum=1)
        check_int(self.hidden_size, "hidden_size", minimum=1)


@functools.lru_cache(maxsize=4)
def load_task(task: str, n_train: int, n_test: int, data_seed: int) -> ParallelData:
    """The data set of a task (cached: notebooks train several models on the same data)."""
    return make_task(task, n_train, n_test, data_seed)


def make_model(config: TranslateConfig, data: ParallelData) -> Seq2Seq:
    """The Seq2Seq that `config` describes, sized to `data`'s vocabularies."""
    return Seq2Seq(Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), embedding_size=config.embedding_size,
                                 hidden_size=config.hidden_size, attention_size=config.hidden_size,
                                 attention=config.score if config.attention else "none",
                                 bidirectional=config.bidirectional),
                   bos_id=data.tgt_vocab.stoi["<bos>"], eos_id=data.tgt_vocab.stoi["<eos>"])


def seq2seq_loss(model: nn.Module, batch: Seq2SeqBatch, teacher_forcing: float = 1.0) -> torch.Tensor:
    """Mean cross-entropy per target token (padding ignored): the decoder reads `tgt_in` = <bos> y_1..y_{n-1}
    and must predict `tgt_out` = y_1..y_n <eos>, one position ahead."""
    logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing=teacher_forcing)
    return nn.functional.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=0)


def word_by_word_bleu(data: ParallelData, pairs: Sequence[tuple[str, str]]) -> tuple[float, list[str]]:
    """BLEU of the word-by-word baseline fitted on `data.train`, on `pairs` -> (BLEU, translations)."""
    if data.level == "char":
        raise ValueError("the word-by-word baseline needs a word-level task (grammar or ui), not characters")
    table = _fit_word_by_word(data)
    hyps = [data.detokenize(table.translate(data.tokenize(s))) for s, _ in pairs]
    return corpus_bleu(hyps, [t for _, t in pairs], tokenize=BLEU_TOKENIZE[data.task]), hyps


_BASELINES: dict[int, tuple[ParallelData, WordByWord]] = {}  # id(data) -> (data, its fitted baseline)


def _fit_word_by_word(data: ParallelData) -> WordByWord:
    """The baseline fitted on `data.train` (fitted once per data set: the notebooks score it several times)."""
    if id(data) not in _BASELINES or _BASELINES[id(data)][0] is not data:
        table = WordByWord().fit([(data.tokenize(s), data.tokenize_target(t)) for s, t in data.train])
        _BASELINES[id(data)] = (data, table)
    return _BASELINES[id(data)][1]


def evaluate_translations(model: Seq2Seq, data: ParallelData, pairs: Sequence[tuple[str, str]], *,
                          method: str = "greedy", beam_width: int = 5, length_penalty: float = 1.0,
                          prefix: str = "") -> tuple[dict[str, float], list[str]]:
    """BLEU, exact match and per-length-bucket scores of `pairs` -> (metrics, translations)."""
    sources, refs = [s for s, _ in pairs], [t for _, t in pairs]
    hyps, _ = translate_texts(model, data, sources, method=method, beam_width=beam_width,
                              length_penalty=length_penalty)
    tok = BLEU_TOKENIZE[data.task]
    metrics = {f"{prefix}bleu": corpus_bleu(hyps, refs, tokenize=tok), f"{prefix}exact_match": exact_match(hyps, refs)}
    if not prefix:
        buckets = scores_by_length(hyps, refs, [data.source_length(s) for s in sources], LENGTH_EDGES[data.task],
                                   tokenize=tok)
        for label, row in buckets.items():
            key = label.replace("-", "_")
            metrics[f"bleu_len_{key}"] = row["bleu"]
            metrics[f"exact_match_len_{key}"] = row["exact_match"]
            metrics[f"n_len_{key}"] = row["n"]
    return metrics, hyps


@experiment("translate", TranslateConfig,
            help="seq2seq GRU translation: dates, grammar or ui (real); metrics: bleu, baseline_bleu, exact_match, "
                 "per-length buckets")
def run_translate(config: TranslateConfig, model: nn.Module | Callable[[ParallelData], nn.Module] | None = None,
                  callbacks: Sequence[Callback] = (), device: torch.device | str | None = None) -> Result:
    """Train a translation model on `config.task` and score it on the held-out pairs.

    model: None (build `make_model(config, data)`), a ready `Seq2Seq`-like module (trained further from its
    current weights: `forward(src, lengths, tgt_in, teacher_forcing)`, `encode`, `step`, `bos_id`, `eos_id`,
    sized to the task's vocabularies), or a factory `model(data) -> module`. callbacks: extra rnnlab.train
    callbacks (e.g. LivePlot). device: where model and batches live (default: CPU, or the model's device).
    """
    data = load_task(config.task, config.n_train, config.n_test, config.data_seed)
    seed_everything(config.seed)
    if model is None:
        model = make_model(config, data)
    elif not isinstance(model, nn.Module):
        if not callable(model):
            raise TypeError(f"model must be an nn.Module, a factory model(data) or None; got {type(model).__name__}")
        model = model(data)
    if not isinstance(model, nn.Module):
        raise TypeError(f"the model factory must return an nn.Module, got {type(model).__name__}")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model = model.to(device)
    sample = data.batch_sampler(config.batch_size, config.seed, config.bucket)
    eval_pairs = data.test[: config.n_eval]

    def evaluate(model: nn.Module) -> dict[str, float]:
        hyps, _ = translate_texts(model, data, [s for s, _ in eval_pairs])
        return {"eval_exact_match": exact_match(hyps, [t for _, t in eval_pairs])}

    callbacks = list(callbacks)
    if config.stop_at is not None:
        callbacks.append(EarlyStopping("eval_exact_match", mode="max", target=config.stop_at))
    generator = torch.Generator().manual_seed(config.seed)
    kind = "attention" if getattr(model, "attention", None) is not None else "no attention"
    start = time.perf_counter()
    history = train(model, lambda: sample().to(device),
                    lambda m, b: _loss(m, b, config.teacher_forcing, generator),
                    config.train_config(f"translate {config.task} {kind}"), evaluate=evaluate, callbacks=callbacks)
    train_seconds = time.perf_counter() - start
    kw = dict(method=config.decode, beam_width=config.beam_width, length_penalty=config.length_penalty)
    model.eval()
    metrics, hyps = evaluate_translations(model, data, data.test, **kw)
    extras: dict = {"data": data, "test_translations": hyps}
    if config.baseline and data.level != "char":
        metrics["baseline_bleu"], extras["baseline_translations"] = word_by_word_bleu(data, data.test)
    for name, pairs in data.extra_tests.items():
        m, extras[f"{name}_translations"] = evaluate_translations(model, data, pairs, prefix=f"{name}_", **kw)
        metrics.update(m)
    metrics.update({"steps": history.steps[-1], "train_seconds": train_seconds,
                    "parameters": sum(p.numel() for p in model.parameters())})
    return Result(metrics=metrics, config=config, model=model, history=history, extras=extras)


def _loss(model: nn.Module, batch: Seq2SeqBatch, teacher_forcing: float, generator: torch.Generator) -> torch.Tensor:
    if teacher_forcing >= 1.0:
        return seq2seq_loss(model, batch)
    logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing=teacher_forcing,
                      generator=generator)
    return nn.functional.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=0)
