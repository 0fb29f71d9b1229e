"""Real English -> French pairs, the word-by-word baseline, and the translate experiment's contract."""

import hashlib

import pytest
import torch

from rnnlab.data.real_pairs import FILES, N_PAIRS, load_ui_pairs, tokenize_text, ui_pairs
from rnnlab.data.translation import make_task, make_ui
from rnnlab.experiments.translation import (
    TranslateConfig,
    make_model,
    run_translate,
    seq2seq_loss,
    word_by_word_bleu,
)
from rnnlab.models.seq2seq import translate_texts
from rnnlab.models.word_by_word import WordByWord
from rnnlab.train import Callback

TINY = dict(steps=3, hidden_size=8, embedding_dim=8, batch_size=8, n_test=20, n_eval=5, eval_every=3,
            progress=False)


def test_ui_pairs_file_is_intact_and_real():
    raw = (FILES / "pairs.tsv").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == (FILES / "SHA256SUMS").read_text().split()[0]
    pairs = load_ui_pairs()
    assert len(pairs) == N_PAIRS == 3003
    assert dict(pairs)["Restart Kernel…"] == "Redémarrer le noyau…"
    assert all(en != fr for en, fr in pairs)  # untranslated strings were dropped
    assert "BSD" in (FILES / "LICENSE.txt").read_text() or "Redistribution" in (FILES / "LICENSE.txt").read_text()


def test_tokenize_text_splits_elision_and_is_idempotent():
    assert tokenize_text("L'extension de fichier, %1!") == ["l'", "extension", "de", "fichier", ",", "%", "1", "!"]
    for text in ["Voulez-vous l'ouvrir ?", "Don't save", "Créer un nouveau fichier R"]:
        once = tokenize_text(text)
        assert tokenize_text(" ".join(once)) == once
    with pytest.raises(TypeError):
        tokenize_text(["a"])


def test_ui_split_is_held_out_and_seeded():
    train, test = ui_pairs(n_test=300, seed=0)
    assert len(test) == 300 and len(train) == 2179  # 1-12 tokens ("…" counts as 3: "...")
    assert not {s for s, _ in train} & {s for s, _ in test}
    assert ui_pairs(n_test=300, seed=1)[1] != test
    assert all(1 <= len(s.split()) <= 12 and 1 <= len(t.split()) <= 12 for s, t in train + test)
    with pytest.raises(ValueError, match="n_test"):
        ui_pairs(n_test=5000)
    data = make_task("ui", 10_000, 300, 0)
    assert data.level == "text" and data.train == train and data.test == test
    assert len(make_ui(100, 50).train) == 100


def test_word_by_word_learns_alignments_from_pairs_alone():
    pairs = [("the cat", "le chat"), ("the dog", "le chien"), ("a cat", "un chat"), ("a dog", "un chien"),
             ("the black cat", "le chat noir"), ("a black dog", "un chien noir")]
    m = WordByWord(iterations=10).fit([(s.split(), t.split()) for s, t in pairs])
    assert m.table["cat"] == "chat" and m.table["dog"] == "chien" and m.table["the"] == "le"
    assert m.table["black"] == "noir"
    assert m.translate("the black dog".split()) == ["le", "noir", "chien"]  # no reordering: word by word
    assert m.translate(["the", "zebra"]) == ["le", "zebra"]                   # unknown words are copied
    with pytest.raises(TypeError):
        m.translate("the cat")
    with pytest.raises(RuntimeError):
        WordByWord().translate(["a"])


def test_word_by_word_bleu_on_real_pairs():
    data = make_ui(None, 300, 0)
    bleu, hyps = word_by_word_bleu(data, data.test)
    assert len(hyps) == 300
    assert 8 < bleu < 25  # 13.7 measured: far from 0 (it translates), far from a fluent system
    with pytest.raises(ValueError, match="word-level"):
        word_by_word_bleu(make_task("dates", 50, 10, 0), [("1 May 2000", "2000-05-01")])


def test_config_inherits_training_block_and_checks_values():
    c = TranslateConfig(task="ui", steps=5)
    assert c.seed == 0 and c.clip_grad_norm == 1.0 and c.bidirectional
    with pytest.raises(ValueError, match="task"):
        TranslateConfig(task="klingon")
    with pytest.raises(ValueError, match="teacher_forcing"):
        TranslateConfig(teacher_forcing=1.5)
    with pytest.raises(ValueError, match="bucket"):
        TranslateConfig(bucket=0)


def test_bucket_option_reaches_the_batches():
    plain, grouped = (run_translate(TranslateConfig(task="grammar", n_train=200, baseline=False, bucket=k, **TINY))
                      for k in (1, 4))
    assert plain.history.loss[0] != grouped.history.loss[0]  # other batches from the same seed
    assert grouped.history.loss == run_translate(grouped.config).history.loss  # and still seeded


def test_run_translate_takes_a_model_callbacks_and_a_device():
    config = TranslateConfig(task="grammar", n_train=200, baseline=False, **TINY)

    class Count(Callback):
        steps = 0

        def on_step(self, state):
            Count.steps += 1

    from rnnlab.experiments.translation import load_task
    data = load_task("grammar", 200, 20, 0)
    mine = make_model(TranslateConfig(task="grammar", hidden_size=8, embedding_dim=8, bidirectional=False), data)
    assert mine.encoder.output_size == 8  # a unidirectional encoder
    before = mine.out.weight.detach().clone()
    r = run_translate(config, model=mine, callbacks=[Count()], device="cpu")
    assert r.model is mine and Count.steps == 3
    assert not torch.equal(before, mine.out.weight)  # the given model itself was trained
    r2 = run_translate(config, model=lambda d: make_model(config, d))
    assert r2.model.config.hidden_size == 8
    with pytest.raises(TypeError, match="model"):
        run_translate(config, model=3)


def test_same_seed_same_loss_and_baseline_reported():
    config = TranslateConfig(task="ui", **TINY)
    a, b = run_translate(config), run_translate(config)
    assert a.history.loss == b.history.loss
    assert a.metrics["baseline_bleu"] == pytest.approx(b.metrics["baseline_bleu"]) and a.metrics["baseline_bleu"] > 5


def test_loss_is_cross_entropy_on_shifted_targets():
    data = make_task("grammar", 50, 10, 0)
    torch.manual_seed(0)
    model = make_model(TranslateConfig(hidden_size=8, embedding_dim=8, attention=False), data)
    batch = data.batch(data.train[:4])
    words = batch.tgt_in[:, 1:] != 0
    assert torch.equal(batch.tgt_in[:, 1:][words], batch.tgt_out[:, :-1][words])  # the same words, shifted by one
    memory, h = model.encode(batch.src, batch.src_lengths)
    total, count = 0.0, 0
    for t in range(batch.tgt_in.shape[1]):
        logits, h, _ = model.step(batch.tgt_in[:, t], h, memory)
        real = batch.tgt_out[:, t] != 0
        total += torch.nn.functional.cross_entropy(logits[real], batch.tgt_out[real, t], reduction="sum")
        count += int(real.sum())
    assert torch.allclose(total / count, seq2seq_loss(model, batch), atol=1e-6)
    hyps, _ = translate_texts(model, data, [s for s, _ in data.test[:3]])
    assert len(hyps) == 3
