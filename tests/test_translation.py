import datetime
import math
import random

import numpy as np
import pytest
import sacrebleu
import torch

from rnnlab.data.translation import (
    DATE_FORMATS,
    Clause,
    NounPhrase,
    Sentence,
    format_date,
    grammar_pairs,
    make_dates,
    make_grammar,
    ordinal,
)
from rnnlab.metrics.translation import bucket_labels, corpus_bleu, exact_match, scores_by_length
from rnnlab.models.seq2seq import (
    AdditiveAttention,
    DotProductAttention,
    Seq2Seq,
    Seq2SeqConfig,
    beam_search,
    greedy_search,
    masked_softmax,
    translate_ids,
)


@pytest.fixture(scope="module")
def dates():
    return make_dates(500, 100, seed=1)


@pytest.fixture(scope="module")
def grammar():
    return make_grammar(500, 100, seed=1)


# ------------------------------------------------------------------------------------------------ dates

def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st", "111th"]


def test_date_formats_example():
    d = datetime.date(2026, 11, 25)
    assert format_date(d, "{Weekday}, {ord} of {Month} {year}") == "Wednesday, 25th of November 2026"
    assert format_date(d, "{dd}/{mm}/{yy}", case="lower") == "25/11/26"
    assert format_date(d, "{Wkd} {day} {Mon} {year}", case="upper") == "WED 25 NOV 2026"
    texts = {format_date(d, f) for f in DATE_FORMATS}
    assert len(texts) == len(DATE_FORMATS)  # every format is a different surface form


def test_date_test_set_is_held_out(dates):
    train_targets = {t for _, t in dates.train}
    assert all(t not in train_targets for _, t in dates.test)
    for s, t in dates.test[:20]:
        assert datetime.date.fromisoformat(t)  # a valid ISO date
        assert dates.detokenize(dates.tokenize(s)) == s


# ---------------------------------------------------------------------------------------------- grammar

def test_adjective_reordering_and_agreement():
    assert NounPhrase("cat", after="black").french() == ["le", "chat", "noir"]
    assert NounPhrase("cat", after="black").english() == ["the", "black", "cat"]
    assert " ".join(NounPhrase("car", det="a", after="white").french()) == "une voiture blanche"
    assert " ".join(NounPhrase("horse", det="the", plural=True, after="green").french()) == "les chevaux verts"
    assert " ".join(NounPhrase("house", det="a", plural=True, before="small", after="blue").french()) == \
        "de petites maisons bleues"
    assert " ".join(NounPhrase("house", det="a", plural=True, before="small", after="blue").english()) == \
        "some small blue houses"
    assert " ".join(NounPhrase("mouse", det="this", plural=True).english()) == "these mice"


def test_verbs_tenses_negation():
    obj = NounPhrase("dog", det="a")
    cases = [
        (Clause(NounPhrase("cat"), "eat", obj), "the cat eats a dog", "le chat mange un chien"),
        (Clause("we", "eat", obj), "we eat a dog", "nous mangeons un chien"),
        (Clause("they", "find", obj, tense="past"), "they found a dog", "ils ont trouvé un chien"),
        (Clause("she", "find", obj, tense="past", negated=True), "she did not find a dog",
         "elle n'a pas trouvé un chien"),
        (Clause("you", "watch", obj, tense="future", negated=True), "you will not watch a dog",
         "vous ne regarderez pas un chien"),
        (Clause(NounPhrase("girl", plural=True), "look for", obj, negated=True),
         "the girls do not look for a dog", "les filles ne cherchent pas un chien"),
        (Clause(NounPhrase("girl", plural=True), "be", adjective="happy", negated=True),
         "the girls are not happy", "les filles ne sont pas contentes"),
        (Clause("she", "be", adjective="white", tense="past"), "she was white", "elle était blanche"),
        (Clause("we", "be", adjective="big", tense="future", negated=True), "we will not be big",
         "nous ne serons pas grands"),
        (Clause("he", "carry", obj, prep=("under", NounPhrase("table", after="red"))),
         "he carries a dog under the red table", "il porte un chien sous la table rouge"),
    ]
    for clause, en, fr in cases:
        assert " ".join(clause.english()) == en
        assert " ".join(clause.french()) == fr
    s = Sentence((cases[0][0], cases[1][0]))
    assert s.english() == "the cat eats a dog and we eat a dog"
    assert s.french() == "le chat mange un chien et nous mangeons un chien"


def test_grammar_rejects_bad_structures():
    with pytest.raises(ValueError, match="noun"):
        NounPhrase("unicorn")
    with pytest.raises(ValueError, match="needs an object"):
        Clause("he", "eat")
    with pytest.raises(ValueError, match="adjective"):
        Clause("he", "be", obj=NounPhrase("cat"))


def test_held_out_combinations(grammar):
    held = {("black", "horse"), ("white", "car"), ("red", "flower"), ("green", "mouse"), ("small", "dog"),
            ("happy", "girl")}
    pairs = grammar_pairs(200, random.Random(0))
    assert len({s for s, _ in pairs}) == 200
    train = {s for s, _ in grammar.train}
    assert not train & {s for s, _ in grammar.test}
    assert not train & {s for s, _ in grammar.extra_tests["combos"]}
    for s, _ in grammar.train:
        words = s.split()
        for i in range(len(words) - 1):
            for a, n in held:
                plural = {"horse": "horses", "car": "cars", "flower": "flowers", "mouse": "mice", "dog": "dogs",
                          "girl": "girls"}[n]
                if words[i] == a and words[i + 1] in (n, plural):
                    raise AssertionError(f"held-out combination {a} {n} in training sentence {s!r}")


def test_tokenisation_round_trip(grammar):
    for s, t in grammar.train[:200] + grammar.test[:50]:
        assert grammar.detokenize(grammar.tokenize(s)) == s
        assert grammar.detokenize(grammar.tokenize_target(t)) == t
    for _, t in grammar.train[:200]:  # every training word is in the vocabulary
        ids = grammar.tgt_vocab.encode(grammar.tokenize_target(t), add_bos=True, add_eos=True)
        assert grammar.detokenize(grammar.tgt_vocab.decode(ids)) == t
    assert grammar.tokenize("The black CAT, sleeps!") == ["the", "black", "cat", ",", "sleeps", "!"]


def test_batches(grammar):
    b = grammar.batch(grammar.train[:4])
    assert b.src.shape[0] == 4 and b.tgt_in.shape == b.tgt_out.shape
    assert (b.tgt_in[:, 0] == grammar.tgt_vocab.stoi["<bos>"]).all()
    words = (b.tgt_out[:, :-1] != 0) & (b.tgt_out[:, :-1] != grammar.tgt_vocab.stoi["<eos>"])
    assert torch.equal(b.tgt_in[:, 1:][words], b.tgt_out[:, :-1][words])  # tgt_in is tgt_out shifted right
    n_tokens = (b.tgt_out != 0).sum(1)
    assert (b.tgt_out[torch.arange(4), n_tokens - 1] == grammar.tgt_vocab.stoi["<eos>"]).all()
    with pytest.raises(ValueError, match="at least one"):
        grammar.batch([])
    with pytest.raises(TypeError, match="list of texts"):
        grammar.encode_sources("the cat")
    src, _ = grammar.encode_sources(["the zebra eats"])
    assert src[0, 1].item() == grammar.src_vocab.unk_id


def test_bucketed_batches_group_similar_lengths(grammar):
    def padding(batches):  # share of padded source positions
        return float(np.mean([(b.src == 0).float().mean().item() for b in batches]))

    plain = grammar.batch_sampler(16, seed=0)
    first = grammar.batch(random.Random(0).sample(grammar.train, 16))
    assert torch.equal(plain().src, first.src)               # bucket=1: random batches, as before
    grouped = grammar.batch_sampler(16, seed=0, bucket=8)
    pool = [grouped() for _ in range(8)]                     # one pool: 8 batches from 128 random pairs
    assert all(b.src.shape[0] == 16 for b in pool)
    sources = {tuple(row[row != 0].tolist()) for b in pool for row in b.src}
    assert len(sources) == 128                               # each pair once in a pool
    spans = sorted((int(b.src_lengths.min()), int(b.src_lengths.max())) for b in pool)
    assert all(hi <= lo for (_, hi), (lo, _) in zip(spans, spans[1:], strict=False))  # sorted: no overlap
    assert padding(pool) < padding([plain() for _ in range(8)]) / 2
    again = grammar.batch_sampler(16, seed=0, bucket=8)
    assert all(torch.equal(a.src, again().src) for a in pool)  # seeded
    order = [int(b.src_lengths.max()) for b in pool]
    assert order not in (sorted(order), sorted(order, reverse=True))  # served in random order, not short to long
    with pytest.raises(ValueError, match="bucket"):
        grammar.batch_sampler(16, seed=0, bucket=0)


# -------------------------------------------------------------------------------------------- attention

def _model(attention="additive", seed=0, src_vocab=20, tgt_vocab=15):
    torch.manual_seed(seed)
    return Seq2Seq(Seq2SeqConfig(src_vocab, tgt_vocab, embedding_dim=8, hidden_size=12, attention_size=10,
                                 attention=attention)).eval()


def test_masked_softmax_puts_zero_on_padding():
    scores = torch.tensor([[1.0, 2.0, 100.0], [0.5, 0.5, 0.5]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    w = masked_softmax(scores, mask)
    assert w[0, 2] == 0 and torch.allclose(w.sum(-1), torch.ones(2))
    assert torch.allclose(w[0, :2], torch.softmax(torch.tensor([1.0, 2.0]), 0))
    with pytest.raises(ValueError, match="at least one"):
        masked_softmax(scores, torch.zeros(2, 3, dtype=torch.bool))


@pytest.mark.parametrize("cls", [AdditiveAttention, DotProductAttention])
def test_attention_by_hand(cls):
    torch.manual_seed(0)
    att = cls(4, 6, 5)
    q, k = torch.randn(2, 4), torch.randn(2, 3, 6)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    c, w = att(q, k, mask)
    if cls is AdditiveAttention:
        e = (torch.tanh(att.W_q(q)[:, None] + att.W_k(k)) @ att.v.weight.T).squeeze(-1)
    else:
        e = torch.einsum("bq,bsq->bs", q, att.W(k)) / 2.0
    e = e.masked_fill(~mask, -math.inf)
    want = torch.softmax(e, -1)
    assert torch.allclose(w, want, atol=1e-6)
    assert torch.allclose(c, torch.einsum("bs,bsk->bk", want, k), atol=1e-6)


@pytest.mark.parametrize("attention", ["additive", "dot", "none"])
def test_padding_changes_nothing(attention):
    model = _model(attention)
    src = torch.tensor([[5, 6, 7, 8]])
    tgt = torch.tensor([[2, 5, 6, 7]])
    logits, w = model(src, torch.tensor([4]), tgt)
    # the same sentence padded with 3 extra <pad>, next to a longer sentence in the batch
    padded = torch.tensor([[5, 6, 7, 8, 0, 0, 0], [9, 9, 9, 9, 9, 9, 9]])
    logits2, w2 = model(padded, torch.tensor([4, 7]), tgt.repeat(2, 1))
    assert torch.allclose(logits[0], logits2[0], atol=1e-5)
    if attention != "none":
        assert torch.allclose(w[0], w2[0, :, :4], atol=1e-6)
        assert w2[0, :, 4:].abs().max() == 0  # padded positions get exactly zero weight


def test_attention_reads_the_encoder_states():
    """The old PyTorch tutorial's attention ignored the encoder states; ours must not."""
    model = _model("additive")
    src, lengths, tgt = torch.tensor([[5, 6, 7, 8]]), torch.tensor([4]), torch.tensor([[2, 5]])
    _, w = model(src, lengths, tgt)
    _, w_other = model(torch.tensor([[9, 10, 11, 12]]), lengths, tgt)
    assert not torch.allclose(w, w_other, atol=1e-4)


def test_teacher_forcing_zero_feeds_own_predictions():
    model = _model()
    src, lengths = torch.tensor([[5, 6, 7]]), torch.tensor([3])
    greedy = translate_ids(model, src, lengths, max_len=5)
    tgt_in = torch.cat([torch.tensor([[2]]), greedy.tokens[:, :-1]], 1)
    free, _ = model(src, lengths, torch.tensor([[2, 4, 4, 4, 4]])[:, : tgt_in.shape[1]], teacher_forcing=0.0)
    assert torch.equal(free.argmax(-1), greedy.tokens)


def test_model_rejects_bad_input():
    model = _model()
    with pytest.raises(TypeError, match="integer"):
        model(torch.zeros(1, 3), torch.tensor([3]), torch.tensor([[2]]))
    with pytest.raises(ValueError, match="lengths must lie"):
        model(torch.tensor([[5, 6]]), torch.tensor([3]), torch.tensor([[2]]))
    with pytest.raises(ValueError, match="attention"):
        Seq2SeqConfig(20, 20, attention="multihead")


# ----------------------------------------------------------------------------------------------- search

@pytest.mark.parametrize("attention", ["additive", "none"])
def test_beam_one_is_greedy(attention):
    model = _model(attention, seed=3)
    src = torch.randint(4, 20, (6, 7))
    lengths = torch.tensor([7, 5, 3, 7, 2, 6])
    g = translate_ids(model, src, lengths, method="greedy", max_len=12)
    b = translate_ids(model, src, lengths, method="beam", beam_width=1, max_len=12, length_penalty=0.7)
    for i in range(6):
        n = int(g.length[i])
        assert torch.equal(g.tokens[i, :n], b.tokens[i, :n])
    assert torch.allclose(g.log_prob, b.log_prob, atol=1e-5)
    if attention == "additive":
        assert torch.allclose(g.weights[0, : int(g.length[0])], b.weights[0, : int(g.length[0])], atol=1e-6)


def _toy_step_fn():
    """A fixed Markov decoder. ids: 0 pad, 1 bos, 2 eos, 3 A, 4 B, 5 X, 6 Y, 7 Z, 8 W.
    After <bos>: A 0.6, B 0.4. After A: X 0.34, Y 0.33, Z 0.33. After B: W 1.0. After X/Y/Z/W:
    <eos> 1.0. Greedy: A then X (0.6 * 0.34 = 0.204); the best sequence is B W (0.4)."""
    table = torch.full((9, 9), 1e-9)
    table[1, 3], table[1, 4] = 0.6, 0.4
    table[3, 5], table[3, 6], table[3, 7] = 0.34, 0.33, 0.33
    table[4, 8] = 1.0
    table[5:9, 2] = 1.0
    table[2, 2] = 1.0
    logp = (table / table.sum(-1, keepdim=True)).log()

    def step(tokens, state):
        return logp[tokens], state, None
    return step


def test_beam_beats_greedy_on_a_toy_model():
    step = _toy_step_fn()
    g = greedy_search(step, torch.zeros(1, 1), 1, bos_id=1, eos_id=2, max_len=5)
    assert g.tokens[0, :3].tolist() == [3, 5, 2]
    assert math.isclose(g.log_prob.exp().item(), 0.204, rel_tol=1e-4)
    b = beam_search(step, torch.zeros(2, 1), 1, bos_id=1, eos_id=2, max_len=5, beam_width=2, length_penalty=0.0)
    assert b.tokens[0, :3].tolist() == [4, 8, 2]
    assert math.isclose(b.log_prob.exp().item(), 0.4, rel_tol=1e-4)
    b1 = beam_search(step, torch.zeros(1, 1), 1, bos_id=1, eos_id=2, max_len=5, beam_width=1)
    assert b1.tokens[0, :3].tolist() == [3, 5, 2]


def test_length_normalisation_prefers_longer_when_alpha_is_one():
    """ids: 0 pad, 1 bos, 2 eos, 3 A, 4 B, 5 C. After <bos>: <eos> 0.55, A 0.45; A -> B, B -> C, C -> <eos>,
    each 0.95. Short '<eos>': log 0.55 = -0.60 (length 1). Long 'A B C <eos>': log 0.386 = -0.95 (length 4),
    -0.24 per token. Without normalisation the short one wins; with alpha=1 the long one does."""
    table = torch.full((6, 6), 1e-6)
    table[1, 2], table[1, 3] = 0.55, 0.45
    table[3, 4], table[4, 5], table[5, 2] = 0.95, 0.95, 0.95
    table[2, 2] = 1.0
    logp = (table / table.sum(-1, keepdim=True)).log()

    def step(tokens, state):
        return logp[tokens], state, None
    raw = beam_search(step, torch.zeros(2, 1), 1, bos_id=1, eos_id=2, max_len=8, beam_width=2, length_penalty=0.0)
    norm = beam_search(step, torch.zeros(2, 1), 1, bos_id=1, eos_id=2, max_len=8, beam_width=2, length_penalty=1.0)
    assert int(raw.length[0]) == 1 and raw.tokens[0, 0] == 2
    assert norm.tokens[0, :4].tolist() == [3, 4, 5, 2] and int(norm.length[0]) == 4
    assert norm.score(1.0)[0] > raw.score(1.0)[0] and raw.score(0.0)[0] > norm.score(0.0)[0]


def test_search_rejects_bad_settings():
    step = _toy_step_fn()
    with pytest.raises(ValueError, match="rows"):
        beam_search(step, torch.zeros(1, 1), 1, bos_id=1, eos_id=2, max_len=5, beam_width=3)
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(step, torch.zeros(1, 1), 1, bos_id=1, eos_id=2, max_len=5, beam_width=0)
    with pytest.raises(ValueError, match="method"):
        translate_ids(_model(), torch.tensor([[5]]), torch.tensor([1]), method="sample")


# ---------------------------------------------------------------------------------------------- metrics

def test_bleu_matches_sacrebleu():
    hyps = ["the cat sat on the mat", "le chat noir mange", "a b c d e"]
    refs = ["the cat sat on the mat", "le chat noir mange une souris", "a b x d e"]
    want = sacrebleu.corpus_bleu(hyps, [refs]).score
    assert corpus_bleu(hyps, refs) == pytest.approx(want)
    assert corpus_bleu(["a b c d"], ["a b c d"]) == pytest.approx(100.0)
    assert corpus_bleu(["x y z w"], ["a b c d"]) == pytest.approx(0.0)
    assert corpus_bleu(["2026-11-25"], ["2026-11-24"], tokenize="char") == pytest.approx(
        sacrebleu.corpus_bleu(["2026-11-25"], [["2026-11-24"]], tokenize="char").score)


def test_exact_match_and_buckets():
    assert exact_match(["a b", "c"], ["a b ", "d"]) == 0.5
    assert bucket_labels([5, 10, 20]) == ["1-5", "6-10", "11-20"]
    rows = scores_by_length(["a b c", "x", "p q r s t u v"], ["a b c", "y", "p q r s t u v"], [3, 4, 7], [5, 10])
    assert rows["1-5"]["n"] == 2 and rows["1-5"]["exact_match"] == 0.5
    assert rows["6-10"]["exact_match"] == 1.0
    empty = scores_by_length(["a"], ["a"], [3], [2, 5, 9])
    assert empty["1-2"]["n"] == 0 and np.isnan(empty["1-2"]["bleu"])
    with pytest.raises(ValueError, match="one each"):
        corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(TypeError, match="list of strings"):
        exact_match("abc", "abc")
    with pytest.raises(ValueError, match="increasing"):
        bucket_labels([5, 3])
