"""The `translate` experiment: a GRU encoder-decoder, with or without attention, on dates or the grammar.

Bahdanau, Cho & Bengio 2015: the fixed-context encoder-decoder degrades on long sentences, attention does not
(their Figure 2); here measured as BLEU and exact match per bucket of source length on a held-out test set.
Metrics: `bleu`, `exact_match` (test set), `bleu_len_A_B` / `exact_match_len_A_B` per source-length bucket,
and for the grammar `combos_bleu` / `combos_exact_match` on held-out adjective-noun combinations.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.translation import ParallelData, Seq2SeqBatch, make_task
from rnnlab.experiments.registry import Result, experiment
from rnnlab.metrics.translation import corpus_bleu, exact_match, scores_by_length
from rnnlab.models.seq2seq import SearchResult, Seq2Seq, Seq2SeqConfig, translate_ids
from rnnlab.train import EarlyStopping, TrainConfig, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_choice, check_int

LENGTH_EDGES = {"dates": (12, 16, 20, 24, 40), "grammar": (5, 10, 15, 20, 25, 40)}  # source tokens per bucket
BLEU_TOKENIZE = {"dates": "char", "grammar": "13a"}


@dataclass
class TranslateConfig:
    task: str = field(default="dates", metadata={"choices": ["dates", "grammar"], "help": "data set"})
    attention: bool = field(default=True, metadata={"help": "attend over the encoder states (else fixed context)"})
    score: str = field(default="additive", metadata={"choices": ["additive", "dot"],
                                                     "help": "attention score: Bahdanau or Luong"})
    decode: str = field(default="greedy", metadata={"choices": ["greedy", "beam"], "help": "search at test time"})
    seed: int = 0                          # seeds initialisation and training batches
    beam_width: int = 5                    # hypotheses kept by beam search
    length_penalty: float = 1.0            # beam ranks log_prob / length^length_penalty
    data_seed: int = 0                     # seeds the data set (the same test set for every training seed)
    n_train: int = 10_000                  # training pairs
    n_test: int = 500                      # held-out test pairs (and held-out combinations, grammar)
    embedding_size: int = 64               # token embedding size
    hidden_size: int = 128                 # GRU units (encoder per direction, decoder)
    batch_size: int = 128                  # pairs per step
    steps: int = 800                       # optimisation steps (the budget)
    lr: float = 3e-3                       # Adam learning rate
    teacher_forcing: float = 1.0           # probability of feeding the true previous token in training
    clip_grad_norm: float = 1.0            # gradient clipping threshold
    eval_every: int = 200                  # steps between evaluations (greedy exact match on n_eval pairs)
    n_eval: int = 200                      # test pairs scored during training
    stop_at: float | None = None           # stop once that exact match reaches this (time-to-target)
    progress: bool = True                  # show a progress bar

    def __post_init__(self) -> None:
        check_choice(self.task, "task", ["dates", "grammar"])
        check_choice(self.score, "score", ["additive", "dot"])
        check_choice(self.decode, "decode", ["greedy", "beam"])
        check_int(self.beam_width, "beam_width", minimum=1)
        check_int(self.n_test, "n_test", minimum=1)
        check_int(self.n_eval, "n_eval", minimum=1)


@functools.lru_cache(maxsize=4)
def load_task(task: str, n_train: int, n_test: int, data_seed: int) -> ParallelData:
    """The data set of a task (cached: notebooks train several models on the same data)."""
    return make_task(task, n_train, n_test, data_seed)


def translate_texts(model: Seq2Seq, data: ParallelData, sources: Sequence[str], *, method: str = "greedy",
                    beam_width: int = 5, length_penalty: float = 1.0,
                    chunk: int = 256) -> tuple[list[str], list[SearchResult]]:
    """Translate source texts -> (translations, one SearchResult per chunk of `chunk` sentences)."""
    if isinstance(sources, str):
        raise TypeError("sources must be a list of texts, got one str; wrap it in a list")
    device = next(model.parameters()).device
    out, results = [], []
    for i in range(0, len(sources), chunk):
        src, lengths = data.encode_sources(sources[i: i + chunk])
        r = translate_ids(model, src.to(device), lengths.to(device), method=method, beam_width=beam_width,
                          length_penalty=length_penalty)
        out += [data.detokenize(data.tgt_vocab.decode(row.tolist())) for row in r.tokens.cpu()]
        results.append(r)
    return out, results


def seq2seq_loss(model: nn.Module, batch: Seq2SeqBatch, teacher_forcing: float = 1.0) -> torch.Tensor:
    """Mean cross-entropy per target token (padding ignored)."""
    logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing=teacher_forcing)
    return nn.functional.cross_entropy(logits.flatten(0, 1), batch.tgt_out.flatten(), ignore_index=0)


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
            help="seq2seq GRU translation, dates or grammar (metrics: bleu, exact_match, per-length buckets)")
def run_translate(config: TranslateConfig) -> Result:
    data = load_task(config.task, config.n_train, config.n_test, config.data_seed)
    seed_everything(config.seed)
    model = Seq2Seq(Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), embedding_size=config.embedding_size,
                                  hidden_size=config.hidden_size, attention_size=config.hidden_size,
                                  attention=config.score if config.attention else "none"),
                    bos_id=data.tgt_vocab.stoi["<bos>"], eos_id=data.tgt_vocab.stoi["<eos>"])
    sample = data.batch_sampler(config.batch_size, config.seed)
    eval_pairs = data.test[: config.n_eval]

    def evaluate(model: nn.Module) -> dict[str, float]:
        hyps, _ = translate_texts(model, data, [s for s, _ in eval_pairs])
        return {"eval_exact_match": exact_match(hyps, [t for _, t in eval_pairs])}

    callbacks = [EarlyStopping("eval_exact_match", mode="max", target=config.stop_at)] if config.stop_at else []
    start = time.perf_counter()
    history = train(model, sample, lambda m, b: seq2seq_loss(m, b, config.teacher_forcing),
                    TrainConfig(steps=config.steps, lr=config.lr, clip_grad_norm=config.clip_grad_norm,
                                eval_every=config.eval_every, progress=config.progress,
                                desc=f"translate {config.task} {'attention' if config.attention else 'no attention'}"),
                    evaluate=evaluate, callbacks=callbacks)
    train_seconds = time.perf_counter() - start
    kw = dict(method=config.decode, beam_width=config.beam_width, length_penalty=config.length_penalty)
    model.eval()
    metrics, hyps = evaluate_translations(model, data, data.test, **kw)
    extras: dict = {"data": data, "test_translations": hyps}
    for name, pairs in data.extra_tests.items():
        m, extras[f"{name}_translations"] = evaluate_translations(model, data, pairs, prefix=f"{name}_", **kw)
        metrics.update(m)
    metrics.update({"steps": history.steps[-1], "train_seconds": train_seconds,
                    "parameters": sum(p.numel() for p in model.parameters())})
    return Result(metrics=metrics, config=config, model=model, history=history, extras=extras)
