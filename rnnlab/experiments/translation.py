"""The `translate` experiment: a GRU encoder-decoder, with or without attention, on dates, the grammar, real
interface strings (JupyterLab's English -> French catalogue), or your own pairs (`--pairs F.tsv`).

Bahdanau, Cho & Bengio 2015: the fixed-context encoder-decoder degrades on long sentences, attention does not
(their Figure 2); here measured as BLEU and exact match per bucket of source length on a held-out test set.
Metrics: `bleu`, `exact_match` (test set), `baseline_bleu` (word-by-word translation with IBM Model 1
alignments, `rnnlab.models.word_by_word`; word-level tasks, when `baseline` is on), `bleu_len_A_B` /
`exact_match_len_A_B` / `n_len_A_B` per source-length bucket, and for the grammar `combos_bleu` /
`combos_exact_match` on held-out adjective-noun combinations. Translations and references are scored in the same
form (`ParallelData.normalize_target`: lower-cased and tokenised for real text), so a perfect model scores 100.
`run_translate` returns a `TranslateResult` (typed fields instead of string keys).

Your own pairs: `python -m rnnlab.experiments translate --pairs F.tsv` (one `source<TAB>target` pair per line,
`rnnlab.data.translation.read_pairs`) trains on them, holds out a tenth, and reports `bleu` and `baseline_bleu`.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from rnnlab.data.translation import TASKS, ParallelData, Seq2SeqBatch, load_pairs, make_task
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.metrics.translation import corpus_bleu, exact_match, scores_by_length
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, check_log_probs, translate_texts
from rnnlab.models.word_by_word import WordByWord
from rnnlab.train import Callback, EarlyStopping, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice, check_device, check_float, check_int

__all__ = ["LENGTH_EDGES", "TranslateConfig", "TranslateResult", "evaluate_translations", "length_edges",
           "load_task", "make_model", "run_translate", "seq2seq_loss", "translate_texts", "word_by_word_bleu"]

LENGTH_EDGES = {"dates": (12, 16, 20, 24, 40), "grammar": (5, 10, 15, 20, 25, 40), "ui": (3, 6, 12)}
DEFAULT_EDGES = (3, 6, 12, 25, 50)    # source-length buckets of any other task (your own pairs)


def length_edges(data: ParallelData) -> tuple[int, ...]:
    """The source-length bucket edges of a data set's task (any task name: DEFAULT_EDGES for your own)."""
    return LENGTH_EDGES.get(data.task, DEFAULT_EDGES)


def bleu_tokenize(data: ParallelData) -> str:
    """sacrebleu's tokeniser for a data set: characters for character-level tasks (dates), else 13a."""
    return "char" if data.level == "char" else "13a"


@dataclass(kw_only=True)
class TranslateConfig(TrainingBlock):
    task: str = field(default="dates", metadata={"choices": TASKS})  # data set: dates, grammar or ui (real)
    pairs: str | None = None               # your own pairs instead of a task: a TSV file, source<TAB>target a line
    encoding: str | None = None            # encoding of the --pairs file (default: UTF-8, or its byte-order mark)
    attention: bool = True                 # attend over the encoder states (else one fixed context vector)
    score: str = field(default="additive", metadata={"choices": ["additive", "dot"]})  # Bahdanau or Luong score
    bidirectional: bool = True             # bidirectional encoder (else left to right only)
    decode: str = field(default="greedy", metadata={"choices": ["greedy", "beam"]})  # search at test time
    beam_width: int = 5                    # hypotheses kept by beam search
    length_penalty: float = 1.0            # beam ranks log_prob / length^length_penalty
    data_seed: int = 0                     # seeds the data set (the same test set for every training seed)
    n_train: int = 10_000                  # training pairs (ui: all 2,179, --pairs: all, when larger)
    n_test: int = 500                      # held-out pairs (grammar: + combinations; --pairs: a tenth, at most this)
    embedding_dim: int = 64               # token embedding size
    hidden_size: int = 128                 # GRU units (encoder per direction, decoder)
    batch_size: int = 128                  # pairs per step
    bucket: int = 1                        # batches drawn at once and grouped by sentence length (1: random)
    steps: int = 800                       # optimisation steps (the budget)
    lr: float = 3e-3                       # AdamW learning rate
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
        check_int(self.embedding_dim, "embedding_dim", minimum=1)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        if self.stop_at is not None:                        # an exact-match share: 0 to 1 (issue 24)
            check_float(self.stop_at, "stop_at (--stop-at)", minimum=0.0, maximum=1.0)
        if self.pairs is not None and (not isinstance(self.pairs, str | Path) or not str(self.pairs).strip()):
            raise ValueError(f"pairs (--pairs) must be the path of a TSV file, got {self.pairs!r}")


@dataclass
class TranslateResult(Result):
    """What `run_translate` returns: `metrics` (plain numbers, printed as JSON by the command line), `config`,
    the trained `model` and its training `history`, and these fields:"""

    data: ParallelData | None = None                 # the data set trained and tested on (vocabularies, pairs)
    test_translations: list[str] = field(default_factory=list)      # the model's translation of each test pair
    references: list[str] = field(default_factory=list)             # each test reference, in the scored form
    baseline_translations: list[str] | None = None   # word-by-word baseline's translations (None: not scored)
    extra_translations: dict[str, list[str]] = field(default_factory=dict)  # e.g. {'combos': [...]} (grammar)


@functools.lru_cache(maxsize=4)
def load_task(task: str, n_train: int, n_test: int, data_seed: int) -> ParallelData:
    """The data set of a task (cached: notebooks train several models on the same data)."""
    return make_task(task, n_train, n_test, data_seed)


def config_data(config: TranslateConfig) -> ParallelData:
    """The data set a config names: its `--pairs` file (read afresh) or its built-in `task`."""
    if config.pairs is None:
        return load_task(config.task, config.n_train, config.n_test, config.data_seed)
    option = "pairs (--pairs)"                                       # the config field / command-line option
    probe = load_pairs(config.pairs, seed=config.data_seed, encoding=config.encoding, option=option)  # default split
    n_test = min(config.n_test, len(probe.test))
    data = load_pairs(config.pairs, n_test=n_test, seed=config.data_seed, encoding=config.encoding, option=option)
    if config.n_train < len(data.train):
        data = ParallelData(data.task, data.level, data.train[: config.n_train], data.test)
    return data


def make_model(config: TranslateConfig, data: ParallelData) -> Seq2Seq:
    """The Seq2Seq that `config` describes, sized to `data`'s vocabularies."""
    return Seq2Seq(Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), embedding_dim=config.embedding_dim,
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
    refs = [data.normalize_target(t) for _, t in pairs]
    return corpus_bleu(hyps, refs, tokenize=bleu_tokenize(data)), hyps


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
    """BLEU, exact match and per-length-bucket scores of `pairs` -> (metrics, translations).

    The references are put in the form the model writes (`data.normalize_target`) before scoring, so both
    sides are tokenised the same way. Works for any task name (buckets: `length_edges`).
    """
    sources, refs = [s for s, _ in pairs], [data.normalize_target(t) for _, t in pairs]
    hyps, _ = translate_texts(model, data, sources, method=method, beam_width=beam_width,
                              length_penalty=length_penalty)
    tok = bleu_tokenize(data)
    metrics = {f"{prefix}bleu": corpus_bleu(hyps, refs, tokenize=tok), f"{prefix}exact_match": exact_match(hyps, refs)}
    if not prefix:
        buckets = scores_by_length(hyps, refs, [data.source_length(s) for s in sources], length_edges(data),
                                   tokenize=tok)
        for label, row in buckets.items():
            key = label.replace("-", "_")
            metrics[f"bleu_len_{key}"] = row["bleu"]
            metrics[f"exact_match_len_{key}"] = row["exact_match"]
            metrics[f"n_len_{key}"] = row["n"]
            metrics[f"bleu_order_len_{key}"] = row["order"]
    return metrics, hyps


def check_model_contract(model: nn.Module, data: ParallelData) -> None:
    """Refuse a model `run_translate` cannot train or search with, naming what is wrong (before any training).

    It needs `encode(src, lengths)`, `step(y_prev, h, memory) -> (logits, h, weights)`, `bos_id`, `eos_id`
    equal to the target vocabulary's; `forward(src, lengths, tgt_in)` giving logits (batch, tgt_len,
    len(tgt_vocab)); and examples that do not mix: a sentence translated inside a padded batch must get the
    logits it gets alone (a model run time-major by mistake, or one whose attention ignores the padding mask,
    fails this). The decoder's scores, after log_softmax, must be log-probabilities (`check_log_probs`).
    """
    for name in ("encode", "step"):
        if not callable(getattr(model, name, None)):
            raise TypeError(f"the model has no {name}() method: run_translate needs a Seq2Seq-like module "
                            "(encode, step, bos_id, eos_id); see rnnlab.models.seq2seq.Seq2Seq")
    for name in ("bos_id", "eos_id"):
        want = data.tgt_vocab.stoi["<bos>" if name == "bos_id" else "<eos>"]
        if getattr(model, name, None) != want:
            raise ValueError(f"model.{name} is {getattr(model, name, None)!r}, but the target vocabulary's "
                             f"{'<bos>' if name == 'bos_id' else '<eos>'} is {want}")
    pairs = sorted(data.train[:50], key=lambda p: data.source_length(p[0]))
    short, long = pairs[0], pairs[-1]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.no_grad():
        alone, both = data.batch([short]).to(device), data.batch([short, long]).to(device)
        out1 = model(alone.src, alone.src_lengths, alone.tgt_in)
        logits1 = out1[0] if isinstance(out1, tuple) else out1
        V = len(data.tgt_vocab)
        if not isinstance(logits1, torch.Tensor) or tuple(logits1.shape) != (1, alone.tgt_in.shape[1], V):
            shape = tuple(logits1.shape) if isinstance(logits1, torch.Tensor) else type(logits1).__name__
            raise ValueError(f"the model's forward(src, lengths, tgt_in) must return logits (batch, tgt_len, "
                             f"vocab) = (1, {alone.tgt_in.shape[1]}, {V}), got {shape}")
        out2 = model(both.src, both.src_lengths, both.tgt_in[:, : alone.tgt_in.shape[1]])
        logits2 = out2[0] if isinstance(out2, tuple) else out2
        check_log_probs(logits1[0].log_softmax(-1), logits1.shape[1], name="the model's forward")
        if tuple(logits2.shape[:2]) != (2, alone.tgt_in.shape[1]) or not torch.allclose(
                logits1[0], logits2[0], atol=1e-4):
            raise ValueError("the model mixes the sentences of a batch: a sentence's logits change when another, "
                             "longer sentence is padded into the batch with it. Check batch_first=True on its "
                             "RNNs (a time-major model reads the batch as time), and that its attention "
                             "masks padded positions (scores -inf before the softmax)")
    model.train(was_training)


@experiment("translate", TranslateConfig,
            help="seq2seq GRU translation: dates, grammar, ui (real) or your own pairs (--pairs F.tsv); metrics: "
                 "bleu, baseline_bleu, exact_match, per-length buckets")
def run_translate(config: TranslateConfig, model: nn.Module | Callable[[ParallelData], nn.Module] | None = None,
                  callbacks: Sequence[Callback] = (), device: torch.device | str | None = None) -> TranslateResult:
    """Train a translation model on `config.task` (or the `config.pairs` file) and score it on held-out pairs.

    model: None (build `make_model(config, data)`), a ready `Seq2Seq`-like module (trained further from its
    current weights: `forward(src, lengths, tgt_in, teacher_forcing)`, `encode`, `step`, `bos_id`, `eos_id`,
    sized to the task's vocabularies), or a factory `model(data) -> module`. callbacks: extra rnnlab.train
    callbacks (e.g. LivePlot). device: where model and batches live (default: CPU, or the model's device).
    Evaluations during training (every `eval_every` steps) record `eval_loss` (teacher-forced cross-entropy
    per token on `n_eval` held-out pairs, nats), `eval_bleu` and `eval_exact_match` (greedy) in the history.
    A model passed in is checked first (`check_model_contract`). Returns a TranslateResult.
    """
    data = config_data(config)
    seed_everything(config.seed)
    if model is None:
        model = make_model(config, data)
    elif not isinstance(model, nn.Module):
        if not callable(model):
            raise TypeError(f"model must be an nn.Module, a factory model(data) or None; got {type(model).__name__}")
        model = model(data)
    if not isinstance(model, nn.Module):
        raise TypeError(f"the model factory must return an nn.Module, got {type(model).__name__}")
    device = check_device(device) if device is not None else next(model.parameters()).device
    model = model.to(device)
    check_model_contract(model, data)
    sample = data.batch_sampler(config.batch_size, config.seed, config.bucket)
    eval_pairs = data.test[: config.n_eval]
    eval_batch = data.batch(eval_pairs).to(device)
    eval_refs = [data.normalize_target(t) for _, t in eval_pairs]

    def evaluate(model: nn.Module) -> dict[str, float]:
        hyps, _ = translate_texts(model, data, [s for s, _ in eval_pairs])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)     # short references: the final scores say so
            bleu = corpus_bleu(hyps, eval_refs, tokenize=bleu_tokenize(data))
        return {"eval_loss": float(seq2seq_loss(model, eval_batch)), "eval_bleu": bleu,
                "eval_exact_match": exact_match(hyps, eval_refs)}

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
    result = TranslateResult(metrics=metrics, config=config, model=model, history=history, data=data,
                             test_translations=hyps, references=[data.normalize_target(t) for _, t in data.test])
    if config.baseline and data.level != "char":
        metrics["baseline_bleu"], result.baseline_translations = word_by_word_bleu(data, data.test)
    for name, pairs in data.extra_tests.items():
        m, result.extra_translations[name] = evaluate_translations(model, data, pairs, prefix=f"{name}_", **kw)
        metrics.update(m)
    metrics.update({"steps": history.steps[-1], "train_seconds": train_seconds, "n_train": len(data.train),
                    "n_test": len(data.test), "parameters": sum(p.numel() for p in model.parameters())})
    return result


def _loss(model: nn.Module, batch: Seq2SeqBatch, teacher_forcing: float, generator: torch.Generator) -> torch.Tensor:
    if teacher_forcing >= 1.0:
        return seq2seq_loss(model, batch)
    logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing=teacher_forcing,
                      generator=generator)
    return nn.functional.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=0)
