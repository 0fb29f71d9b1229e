"""Notebook 11's data (punctuation restoration, CoNLL files), tagger models and the `tagging` experiment."""

import json

import pandas as pd
import pytest
import torch

from rnnlab.data.tagging import (
    EXAMPLE_CONLL,
    EXAMPLES,
    PUNCT_TAGS,
    TaggedSentence,
    TagSet,
    build_word_vocab,
    capital_tags,
    clause_tags,
    load_punctuation_corpus,
    punctuation_corpus,
    read_conll,
    restore_text,
    split_sentences,
    tag_batch,
    words_and_marks,
)
from rnnlab.experiments.__main__ import main
from rnnlab.experiments.tagging import TaggingConfig, run_tagging, tag_sentence
from rnnlab.models.crf import viterbi
from rnnlab.models.tagger import MostFrequentTagger, RNNTagger, length_mask

# ---- data ------------------------------------------------------------------------------------------------------


def test_words_and_marks_read_the_strongest_mark_between_words():
    text = "\u201cOh dear!\u201d said Alice, \u2018what--now?\u2019 The end. And; so"
    assert words_and_marks(text) == [("oh", ""), ("dear", "EXCLAIM"), ("said", ""), ("alice", "COMMA"),
                                     ("what", "COMMA"), ("now", "QUESTION"), ("the", ""), ("end", "PERIOD"),
                                     ("and", "COMMA"), ("so", "")]


def test_clause_tags_label_each_word_by_the_mark_ending_its_clause():
    assert clause_tags(["", "COMMA", "", "PERIOD"]) == ["B-COMMA", "I-COMMA", "B-PERIOD", "I-PERIOD"]
    assert clause_tags(["QUESTION", "", ""]) == ["B-QUESTION", "B-PERIOD", "I-PERIOD"]  # words after the last mark
    with pytest.raises(ValueError, match="marks must be"):
        clause_tags(["SEMICOLON"])


def test_restore_text_inverts_the_tags():
    text = "So she was considering, in her own mind. What is the use of a book? Oh dear!"
    (sentence,) = punctuation_corpus(text, max_words=40)
    assert restore_text(sentence.tokens, sentence.tags) == text


def test_the_corpus_groups_whole_sentences_and_splits_in_order():
    corpus = load_punctuation_corpus(max_words=40)
    assert len(corpus) == 245 and sum(map(len, corpus)) == 8648
    for s in corpus:
        assert s.tags[-1][2:] in ("PERIOD", "QUESTION", "EXCLAIM") and s.tags[0].startswith("B-")
        assert set(s.tags) <= set(PUNCT_TAGS)
    assert max(len(s) for s in corpus if len(s) <= 40) <= 40
    assert corpus[0].tokens[:4] == ("alice", "was", "beginning", "to")          # no chapter heading, no side-note
    train, held = split_sentences(corpus, 0.2)
    assert train + held == corpus and len(held) == 49


def test_read_conll_reads_tokens_tags_comments_and_blank_lines(tmp_path):
    path = tmp_path / "mine.conll"
    path.write_text("# a comment\n-DOCSTART- O\n\nAlice NNP B-PER\nran VBD O\n\n\nParis B-LOC\n", encoding="utf-8")
    assert read_conll(path) == [TaggedSentence(("Alice", "ran"), ("B-PER", "O")),
                                TaggedSentence(("Paris",), ("B-LOC",))]


@pytest.mark.parametrize("content, message", [
    ("Alice B-PER\nran\n", r"line 2: 'ran' has one column"),
    ("\n\n# only a comment\n", "has no tagged sentence"),
])
def test_read_conll_names_the_malformed_line(tmp_path, content, message):
    path = tmp_path / "bad.conll"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_conll(path, option="--conll-file")


def test_read_conll_says_which_encoding_a_file_looks_like(tmp_path):
    path = tmp_path / "cp1252.conll"
    path.write_bytes("\u201cCaf\u00e9\u201d O\n".encode("cp1252"))
    with pytest.raises(ValueError, match="cp1252|1252"):
        read_conll(path)
    assert read_conll(path, encoding="cp1252")[0].tokens == ("\u201cCaf\u00e9\u201d",)


def test_the_shipped_example_file_is_rebuilt_by_its_recipe():
    rebuilt = [s for t in pd.read_csv(EXAMPLES / "reviews.csv").review.head(80) for s in capital_tags(t)]
    assert read_conll(EXAMPLE_CONLL) == rebuilt
    assert capital_tags("We love Green Mountain coffee. Great.") == [
        TaggedSentence(("we", "love", "green", "mountain", "coffee"), ("O", "O", "B-CAP", "I-CAP", "O")),
        TaggedSentence(("great",), ("O",))]


def test_tag_batch_pads_ids_and_tags():
    sentences = [TaggedSentence(("a", "b", "c"), ("B-COMMA", "I-COMMA", "B-PERIOD")),
                 TaggedSentence(("b",), ("B-PERIOD",))]
    vocab, tagset = build_word_vocab(sentences), TagSet(PUNCT_TAGS)
    ids, tags, lengths = tag_batch(sentences, vocab, tagset)
    assert ids.shape == tags.shape == (2, 3) and lengths.tolist() == [3, 1]
    assert tags[1].tolist() == [2, -100, -100] and ids[1, 1:].tolist() == [vocab.pad_id] * 2
    with pytest.raises(ValueError, match="not in the tag set"):
        tagset.encode(["B-SEMICOLON"])


# ---- models ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_sentence_gets_the_same_emissions_alone_and_in_a_padded_batch(bidirectional):
    torch.manual_seed(0)
    model = RNNTagger(20, 5, embedding_dim=6, hidden_size=7, bidirectional=bidirectional).eval()
    ids = torch.randint(1, 20, (3, 6))
    lengths = torch.tensor([6, 2, 4])
    batch = model(ids, lengths)
    for b, n in enumerate(lengths.tolist()):
        alone = model(ids[b:b + 1, :n], torch.tensor([n]))
        assert torch.allclose(batch[b, :n], alone[0], atol=1e-6)


def test_the_crf_tagger_decodes_by_viterbi_and_its_loss_is_the_crf_nll():
    torch.manual_seed(0)
    model = RNNTagger(20, 4, embedding_dim=6, hidden_size=5, crf=True).eval()
    torch.nn.init.normal_(model.crf.transitions)
    ids, lengths = torch.randint(1, 20, (2, 5)), torch.tensor([5, 3])
    mask = length_mask(lengths, 5)
    emissions = model(ids, lengths)
    assert torch.equal(model.decode(ids, lengths), viterbi(emissions, model.crf.transitions, mask)[0])
    assert torch.equal(model.decode(ids, lengths, use_crf=False), emissions.argmax(-1).masked_fill(~mask, -1))
    tags = torch.tensor([[0, 1, 2, 3, 0], [1, 1, 2, -100, -100]])
    # per real token: the CRF's per-sequence mean NLL times batch / tokens (2 sequences, 8 real tokens)
    assert torch.isclose(model.loss(ids, lengths, tags), model.crf.loss(emissions, tags.clamp(min=0), mask) * 2 / 8)


@pytest.mark.parametrize("ids, lengths, message", [
    (torch.zeros(2, 3), torch.tensor([3, 3]), "int64"),
    (torch.full((1, 3), 99), torch.tensor([3]), r"must lie in \[0, 20\)"),
    (torch.zeros(1, 3, dtype=torch.long), torch.tensor([4]), "lengths must lie"),
])
def test_the_tagger_names_bad_batches(ids, lengths, message):
    with pytest.raises(ValueError, match=message):
        RNNTagger(20, 4)(ids, lengths)


def test_most_frequent_tagger_counts_and_backs_off():
    table = MostFrequentTagger().fit([TaggedSentence(("a", "a", "b"), ("X", "Y", "Y")),
                                      TaggedSentence(("a", "c"), ("X", "Y"))])
    assert table.predict(["a", "b", "zzz"]) == ["X", "Y", "Y"]       # unseen word: the most frequent tag (Y, 3 of 5)


# ---- experiment ------------------------------------------------------------------------------------------------


def test_most_frequent_run_is_the_table_on_the_held_out_split():
    result = run_tagging(TaggingConfig(model="most_frequent"))
    assert result.model is None and result.accuracy == pytest.approx(0.5367, abs=1e-3)
    assert result.predictions == [result.baseline.predict(s.tokens) for s in result.data.held_out]
    assert set(result.metrics) == {"accuracy", "f1", "invalid_transitions"}


def test_a_short_crf_run_reports_both_decodings_and_tags_a_typed_sentence():
    result = run_tagging(TaggingConfig(model="bilstm_crf", steps=3, eval_every=3, hidden_size=8, progress=False))
    assert result.history.steps[-1] == 3 and result.f1_argmax is not None
    assert len(result.predictions) == len(result.data.held_out) == 49
    assert all(len(p) == len(s) for p, s in zip(result.predictions, result.data.held_out, strict=True))
    tokens, plain, with_crf = tag_sentence(result.model, result.data.vocab, result.data.tagset, "Oh dear, I'm late!")
    assert tokens == ["oh", "dear", "i'm", "late"] and len(plain) == len(with_crf) == 4
    lstm = run_tagging(TaggingConfig(model="lstm", steps=2, hidden_size=8, progress=False))
    assert lstm.f1_argmax is None and not lstm.model.bidirectional


def test_a_model_of_the_wrong_size_is_refused_by_name():
    with pytest.raises(ValueError, match="num_tags=3"):
        run_tagging(TaggingConfig(model="lstm", steps=1), model=RNNTagger(621, 3))
    with pytest.raises(TypeError, match="loss"):
        run_tagging(TaggingConfig(model="lstm", steps=1), model=torch.nn.Linear(2, 2))


def test_the_command_line_prints_accuracy_and_f1(capsys, tmp_path):
    assert main(["tagging", "--model", "most_frequent"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["metrics"]
    assert 0.5 < metrics["accuracy"] < 0.6 and 0 < metrics["f1"] < 0.1
    assert main(["tagging", "--model", "most_frequent", "--conll-file", str(EXAMPLE_CONLL)]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["metrics"]
    assert metrics["accuracy"] > 0.9
    bad = tmp_path / "bad.conll"
    bad.write_text("Alice B-PER\nran\n")
    with pytest.raises(SystemExit) as exit_:
        main(["tagging", "--conll-file", str(bad)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--conll-file" in err and "line 2: 'ran' has one column" in err
