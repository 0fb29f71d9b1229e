"""Sequence labelling: punctuation restoration on real prose, or your own CoNLL-style file (notebook 11).

Models (`--model`): `most_frequent` (each word's most frequent training tag; no training), `lstm` (an LSTM
reading left to right), `bilstm` (both ways), `bilstm_crf` (both ways, with a linear-chain CRF on top: Huang,
Xu and Yu 2015; Lample et al. 2016). The built-in data are chapters I-IV of *Alice's Adventures in Wonderland*
with each word tagged by the clause it belongs to and the mark that ends that clause (rnnlab.data.tagging);
the first 80% of the sequences train, the last 20% are held out.

Metrics (on the held-out sequences): `accuracy` (token accuracy), `f1` (span F1, seqeval's definition:
rnnlab.metrics.tagging), `invalid_transitions` (I-X tags following neither B-X nor I-X); for `bilstm_crf`
also `accuracy_argmax`, `f1_argmax`, `invalid_transitions_argmax`: the same model decoded token by token
(argmax of its emissions), without the CRF's transitions.

Your own data: `conll_file=PATH` (`--conll-file PATH`) trains on a CoNLL-style file (rnnlab.data.tagging.read_conll:
token and tag per line, blank line between sentences), split in order 80/20.

`run_tagging(config, model=None, callbacks=(), device=None) -> TaggingResult`: `model` may be your own nn.Module
with `forward(ids (batch, time) int64, lengths (batch,) int64) -> emissions (batch, time, num_tags)` and a
`loss(ids, lengths, tags)` method (tags padded with -100); a `decode(ids, lengths)` method is used when present,
else the argmax of the emissions. Or a function `(vocab_size, num_tags) -> nn.Module`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnlab.data.tagging import (
    PUNCT_TAGS,
    TaggedSentence,
    TagSet,
    build_word_vocab,
    load_punctuation_corpus,
    read_conll,
    split_sentences,
    tag_batch,
    words_and_marks,
)
from rnnlab.data.vocab import Vocab
from rnnlab.experiments.registry import Result, TrainingBlock, experiment
from rnnlab.metrics.tagging import invalid_transitions, span_f1, token_accuracy
from rnnlab.models.tagger import MostFrequentTagger, RNNTagger, length_mask, tagger_loss
from rnnlab.train import Callback, train
from rnnlab.utils import seed_everything
from rnnlab.validate import check_device, check_float, check_int

MODELS = ["most_frequent", "lstm", "bilstm", "bilstm_crf"]
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass(kw_only=True)
class TaggingConfig(TrainingBlock):
    model: str = field(default="bilstm_crf", metadata={
        "choices": MODELS, "help": "the tagger: a table, or an LSTM (one-way, two-way, two-way + CRF)"})
    embedding_dim: int = 32            # word-vector size
    hidden_size: int = 64              # LSTM units per direction
    dropout: float = 0.2               # dropout on word vectors and LSTM outputs
    min_freq: int = 2                  # words seen fewer times in the training sequences become <unk>
    max_words: int = 40                # built-in data: whole sentences grouped into sequences of at most this
    held_out_fraction: float = 0.2     # the last this share of the sequences is held out
    conll_file: str | None = None      # your own CoNLL-style file (None: the built-in punctuation task)
    encoding: str | None = None        # the file's encoding, e.g. cp1252 (None: UTF-8 or a byte-order mark)
    steps: int = 300                   # optimisation steps (the budget)
    batch_size: int = 16               # sequences per step
    lr: float = 5e-3                   # AdamW learning rate

    def __post_init__(self) -> None:
        """The task fields' ranges, each error naming its option as typed. Raises TypeError or ValueError."""
        for name in ("embedding_dim", "hidden_size", "min_freq"):
            check_int(getattr(self, name), f"{name} (--{name.replace('_', '-')})", minimum=1)
        check_int(self.max_words, "max_words (--max-words)", minimum=2)
        check_float(self.dropout, "dropout (--dropout)", minimum=0.0, maximum=1.0)
        check_float(self.held_out_fraction, "held_out_fraction (--held-out-fraction)", minimum=0.0, maximum=1.0,
                    strict_minimum=True)
        if self.held_out_fraction >= 1.0:
            raise ValueError("held_out_fraction (--held-out-fraction) must be below 1: something must be left to "
                             f"train on, got {self.held_out_fraction}")


@dataclass
class TaggingData:
    """What a run trains and evaluates on (prepare_data's result)."""

    train: list[TaggedSentence]        # the training sequences (the first part of the text)
    held_out: list[TaggedSentence]     # the held-out sequences (the last part)
    vocab: Vocab                       # words of the training sequences (rare ones -> <unk>)
    tagset: TagSet                     # the tags and their ids

    @property
    def num_tags(self) -> int:
        return len(self.tagset)


def prepare_data(config: TaggingConfig) -> TaggingData:
    """The split, vocabulary and tag set exactly as run_tagging uses them (no randomness: the split is in order)."""
    if config.conll_file is not None:
        sentences = read_conll(config.conll_file, encoding=config.encoding, option="--conll-file")
        tagset = TagSet.from_sentences(sentences)
    else:
        sentences = load_punctuation_corpus(max_words=config.max_words)
        tagset = TagSet(PUNCT_TAGS)
    train_part, held_out = split_sentences(sentences, config.held_out_fraction)
    return TaggingData(train_part, held_out, build_word_vocab(train_part, min_freq=config.min_freq), tagset)


@dataclass
class TaggingResult(Result):
    """What `run_tagging` returns: `metrics` for the command line, and typed fields for notebooks."""

    data: TaggingData | None = None              # split, vocabulary, tag set
    accuracy: float = float("nan")               # held-out token accuracy
    f1: float = float("nan")                     # held-out span F1 (seqeval's definition)
    invalid_transitions: int = 0                 # I-X tags after neither B-X nor I-X in the held-out predictions
    predictions: list[list[str]] = field(default_factory=list)  # the predicted tags of each held-out sequence
    accuracy_argmax: float | None = None         # bilstm_crf decoded token by token (no CRF): accuracy; else None
    f1_argmax: float | None = None               # ... its span F1; else None
    invalid_transitions_argmax: int | None = None  # ... its invalid transitions; else None
    predictions_argmax: list[list[str]] | None = None  # ... its predicted tags; else None
    baseline: MostFrequentTagger | None = None   # the fitted table of the most_frequent model; else None

    @property
    def gold(self) -> list[list[str]]:
        """The gold tags of each held-out sequence."""
        return [list(s.tags) for s in self.data.held_out]


def predict_tags(model: nn.Module, sentences: Sequence[TaggedSentence], vocab: Vocab, tagset: TagSet,
                 use_crf: bool = True, batch_size: int = 64) -> list[list[str]]:
    """The model's tags for each sentence (eval mode, no gradients): `model.decode(ids, lengths[, use_crf])` when
    it has one, else the argmax of `model(ids, lengths)`. Tags of the sentences' tokens only (no padding)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out: list[list[str]] = []
    with torch.no_grad():
        for start in range(0, len(sentences), batch_size):
            chunk = list(sentences[start:start + batch_size])
            ids, _, lengths = tag_batch(chunk, vocab, tagset)
            ids, lengths = ids.to(device), lengths.to(device)
            if hasattr(model, "decode"):
                best = model.decode(ids, lengths, use_crf=use_crf) if isinstance(model, RNNTagger) \
                    else model.decode(ids, lengths)
            else:
                best = model(ids, lengths).argmax(-1).masked_fill(~length_mask(lengths, ids.shape[1]), -1)
            out.extend(tagset.decode(best[b, :len(s)].tolist()) for b, s in enumerate(chunk))
    model.train(was_training)
    return out


def tag_sentence(model: nn.Module, vocab: Vocab, tagset: TagSet, sentence: str
                 ) -> tuple[list[str], list[str], list[str]]:
    """(tokens, tags without the CRF, tags with it) for a typed sentence: its words as `words_and_marks` reads
    them (lower case, punctuation dropped). Without a CRF both tag lists are the argmax. Raises ValueError for a
    sentence with no word."""
    tokens = [w for w, _ in words_and_marks(sentence)]
    if not tokens:
        raise ValueError(f"the sentence {sentence!r} has no word to tag: type some words")
    placeholder = TaggedSentence(tuple(tokens), tuple([tagset.itos[0]] * len(tokens)))
    plain = predict_tags(model, [placeholder], vocab, tagset, use_crf=False)[0]
    with_crf = predict_tags(model, [placeholder], vocab, tagset, use_crf=True)[0]
    return tokens, plain, with_crf


def batch_sampler(sentences: Sequence[TaggedSentence], vocab: Vocab, tagset: TagSet, batch_size: int,
                  seed: int) -> Callable[[], Batch]:
    """A function returning random batches `(ids, tags, lengths)` (rnnlab.data.tagging.tag_batch), seeded."""
    g = torch.Generator().manual_seed(seed)

    def batch() -> Batch:
        index = torch.randint(0, len(sentences), (batch_size,), generator=g).tolist()
        return tag_batch([sentences[i] for i in index], vocab, tagset)

    return batch


def make_tagger(config: TaggingConfig, vocab_size: int, num_tags: int, pad_id: int = 0) -> RNNTagger:
    """The RNNTagger that `config.model` names (lstm, bilstm, bilstm_crf)."""
    if config.model == "most_frequent":
        raise ValueError("model (--model) most_frequent is a table, not a network: it has no tagger to build")
    return RNNTagger(vocab_size, num_tags, config.embedding_dim, config.hidden_size,
                     bidirectional=config.model != "lstm", crf=config.model == "bilstm_crf", pad_id=pad_id,
                     dropout=config.dropout)


def _ready_model(model: nn.Module | Callable[[int, int], nn.Module] | None, config: TaggingConfig,
                 data: TaggingData) -> nn.Module:
    if model is None:
        return make_tagger(config, len(data.vocab), data.num_tags, data.vocab.pad_id)
    if not isinstance(model, nn.Module):
        if not callable(model):
            raise TypeError(f"model must be an nn.Module, a function (vocab_size, num_tags) -> nn.Module, or None; "
                            f"got {type(model).__name__}")
        model = model(len(data.vocab), data.num_tags)
        if not isinstance(model, nn.Module):
            raise TypeError(f"the model function must return an nn.Module, got {type(model).__name__}")
    if not callable(getattr(model, "loss", None)):
        raise TypeError("the model needs a loss(ids, lengths, tags) method returning the scalar loss of a batch "
                        "(see rnnlab.models.tagger.RNNTagger.loss)")
    for name, expected in (("vocab_size", len(data.vocab)), ("num_tags", data.num_tags)):
        got = getattr(model, name, expected)
        if got != expected:
            raise ValueError(f"the model was built with {name}={got}, the data have {expected}: build it with "
                             f"{name}={expected} (prepare_data(config))")
    return model


@experiment("tagging", TaggingConfig,
            help="sequence labelling: punctuation restoration on Alice, or your own --conll-file "
                 "(metrics: accuracy, f1)")
def run_tagging(config: TaggingConfig, model: nn.Module | Callable[[int, int], nn.Module] | None = None,
                callbacks: Sequence[Callback] = (), device: torch.device | str | None = None) -> TaggingResult:
    device = check_device(device)
    data = prepare_data(config)
    gold = [list(s.tags) for s in data.held_out]
    if config.model == "most_frequent" and model is None:
        table = MostFrequentTagger().fit(data.train)
        predicted = [table.predict(s.tokens) for s in data.held_out]
        typed = {"accuracy": token_accuracy(gold, predicted), "f1": span_f1(gold, predicted),
                 "invalid_transitions": invalid_transitions(predicted)}
        return TaggingResult(metrics=dict(typed), config=config, data=data, predictions=predicted, baseline=table,
                             **typed)
    seed_everything(config.seed)                            # initial weights, then dropout, from this seed
    model = _ready_model(model, config, data).to(device)
    sample = batch_sampler(data.train, data.vocab, data.tagset, config.batch_size, config.seed)

    def batch() -> Batch:
        return tuple(t.to(device) for t in sample())

    def evaluate(model: nn.Module) -> dict[str, float]:
        return {"held_out_accuracy": token_accuracy(gold, predict_tags(model, data.held_out, data.vocab,
                                                                       data.tagset))}

    history = train(model, batch, tagger_loss, config.train_config(f"tagging {config.model}"),
                    evaluate=evaluate, callbacks=callbacks)
    predicted = predict_tags(model, data.held_out, data.vocab, data.tagset)
    typed = {"accuracy": token_accuracy(gold, predicted), "f1": span_f1(gold, predicted),
             "invalid_transitions": invalid_transitions(predicted)}
    extra: dict = {}
    if getattr(model, "crf", None) is not None:
        plain = predict_tags(model, data.held_out, data.vocab, data.tagset, use_crf=False)
        extra = {"accuracy_argmax": token_accuracy(gold, plain), "f1_argmax": span_f1(gold, plain),
                 "invalid_transitions_argmax": invalid_transitions(plain)}
        metrics_extra = dict(extra)
        extra["predictions_argmax"] = plain
    else:
        metrics_extra = {}
    metrics = {**typed, **metrics_extra, "vocab_size": len(data.vocab), "num_tags": data.num_tags,
               "parameters": sum(p.numel() for p in model.parameters()), "steps": history.steps[-1]}
    return TaggingResult(metrics=metrics, config=config, model=model, history=history, data=data,
                         predictions=predicted, **typed, **extra)
