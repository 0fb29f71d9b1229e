"""Tiny versions of notebook 07's end-of-notebook exercises: each is doable with the installed package."""

import pytest
import torch

import rnnlab.data.translation as translation_data
from rnnlab.data.translation import NounPhrase, make_grammar
from rnnlab.experiments.translation import TranslateConfig, load_task, make_model, run_translate
from rnnlab.models.seq2seq import DotProductAttention, translate_ids
from rnnlab.widgets.translation import explain_translation

TINY = dict(steps=2, hidden_size=8, embedding_dim=8, batch_size=8, n_train=200, n_test=20, n_eval=5,
            eval_every=2, progress=False, baseline=False)


def test_ex1_bigger_fixed_context_model_reports_length_buckets():
    r = run_translate(TranslateConfig(task="grammar", attention=False, **{**TINY, "hidden_size": 16}))
    assert r.model.attention is None and r.model.config.hidden_size == 16
    assert {"bleu_len_1_5", "bleu_len_26_40"} <= set(r.metrics)


def test_ex2_teacher_forcing_below_one_changes_training():
    full = run_translate(TranslateConfig(task="grammar", **TINY)).history.loss
    half = run_translate(TranslateConfig(task="grammar", teacher_forcing=0.5, **TINY)).history.loss
    assert full[0] == pytest.approx(half[0], rel=0.2) and full != half  # same start, other inputs fed


def test_ex3_unidirectional_encoder_from_the_config():
    r = run_translate(TranslateConfig(task="grammar", bidirectional=False, **TINY))
    assert not r.model.encoder.rnn.bidirectional and r.model.encoder.output_size == 8
    data = load_task("grammar", 200, 20, 0)
    info = explain_translation(r.model, data, data.test[0][0])
    assert info["ok"] and info["weights"].shape[1] == len(info["source_tokens"])


def test_ex4_beam_without_length_penalty_runs():
    data = load_task("grammar", 200, 20, 0)
    torch.manual_seed(0)
    model = make_model(TranslateConfig(task="grammar", hidden_size=8, embedding_dim=8), data)
    src, lengths = data.encode_sources([s for s, _ in data.test[:4]])
    r0 = translate_ids(model, src, lengths, method="beam", beam_width=3, length_penalty=0.0)
    r1 = translate_ids(model, src, lengths, method="beam", beam_width=3, length_penalty=1.0)
    assert r0.tokens.shape[0] == r1.tokens.shape[0] == 4
    assert bool((r0.log_prob >= r1.log_prob - 1e-5).all())  # alpha=0 maximises the plain log-probability


def test_ex5_dot_product_attention_on_dates():
    r = run_translate(TranslateConfig(task="dates", score="dot", **TINY))
    assert isinstance(r.model.attention, DotProductAttention)


def test_ex6_new_adjective_from_the_notebook():
    translation_data.ADJECTIVES_BEFORE["old"] = ("vieux", "vieille", "vieux", "vieilles")
    try:
        assert " ".join(NounPhrase("cat", before="old", after="white").french()) == "le vieux chat blanc"
        assert " ".join(NounPhrase("house", det="a", plural=True, before="old").french()) == "de vieilles maisons"
        data = make_grammar(300, 20, seed=0)
        assert any("old" in s.split() for s, _ in data.train)
        assert "vieux" in data.tgt_vocab or "vieille" in data.tgt_vocab
    finally:
        del translation_data.ADJECTIVES_BEFORE["old"]
    assert "old" not in translation_data.adjectives()
