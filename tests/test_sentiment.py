import numpy as np
import pytest
import torch

from rnnlab.checks.sentiment import check_bag_of_words, check_last_real_state
from rnnlab.data.sentiment import (
    CONTRAST_NEGATIVE,
    CONTRAST_POSITIVE,
    CONTRAST_TEMPLATES,
    LABELS,
    N_TEST,
    N_TRAIN,
    PROBE_NEGATIVE,
    PROBE_POSITIVE,
    PROBE_TEMPLATES,
    build_vocab,
    contrast_set,
    encode_set,
    encode_texts,
    load_reviews,
    probe_set,
    sentiment_splits,
)
from rnnlab.data.vocab import pad_batch, tokenize_words
from rnnlab.models.classifier import (
    BagOfWordsClassifier,
    RNNClassifier,
    bag_of_words,
    last_real_state,
    make_classifier,
    padding_mask,
)
from rnnlab.widgets.sentiment import analyse_review, analysis_html, make_sentiment_widget, sentiment_view


@pytest.fixture(scope="module")
def splits():
    return sentiment_splits(seed=0)


def test_loader_row_counts_and_labels():
    train, test = load_reviews("train"), load_reviews("test")
    assert len(train) == N_TRAIN == 4000 and len(test) == N_TEST == 1000
    assert list(train.columns) == ["text", "label"]
    assert set(train["label"]) == {0, 1} and set(test["label"]) == {0, 1}
    assert int(train["label"].sum()) == 2600 and int(test["label"].sum()) == 658   # "great" reviews
    assert not train["text"].str.contains("<br").any()
    assert train["text"].str.len().min() > 0
    with pytest.raises(ValueError, match="part must be one of"):
        load_reviews("dev")


def test_splits_are_seeded_and_disjoint(splits):
    assert len(splits.train) == 3600 and len(splits.validation) == 400 and len(splits.test) == 1000
    again = sentiment_splits(seed=0)
    assert splits.validation["text"].tolist() == again.validation["text"].tolist()
    other = sentiment_splits(seed=1)
    assert splits.validation["text"].tolist() != other.validation["text"].tolist()
    together = sorted(splits.train["text"].tolist() + splits.validation["text"].tolist())
    assert together == sorted(load_reviews("train")["text"].tolist())     # a partition of the training rows
    with pytest.raises(ValueError, match="validation_fraction"):
        sentiment_splits(seed=0, validation_fraction=0.9)


def test_vocab_and_encoding(splits):
    vocab = build_vocab(list(splits.train["text"][:200]), min_freq=2)
    assert vocab.itos[:2] == ["<pad>", "<unk>"]
    assert "the" in vocab and vocab.decode(vocab.encode(tokenize_words("the taste"))) [0] == "the"
    ids = encode_texts(["the zzzqqq", "", "the " * 50], vocab, max_len=10)
    assert ids[0][1] == vocab.unk_id                      # unknown word -> <unk>
    assert ids[1] == [vocab.unk_id]                        # empty text -> one <unk>, never length 0
    assert len(ids[2]) == 10                               # truncated to max_len
    encoded = encode_set(splits.validation[:5], vocab)
    batch_ids, lengths, labels = encoded.batch([0, 1, 2])
    assert batch_ids.shape[0] == 3 and labels.dtype == torch.float32
    assert lengths.max() == batch_ids.shape[1]


def test_probe_set_pairs_have_the_same_words_and_opposite_labels():
    probe = probe_set()
    assert len(probe) == 250 and probe["label"].mean() == 0.5
    for pair, rows in probe.groupby("pair"):
        assert len(rows) == 2 and set(rows["label"]) == {0, 1}
        a, b = (sorted(tokenize_words(t)) for t in rows["text"])
        assert a == b, f"pair {pair} does not use the same words"


def test_bag_of_words_ignores_padding():
    ids, lengths = pad_batch([[4, 5, 4], [6]], pad_id=0)
    counts = bag_of_words(ids, lengths, 8)
    assert counts.tolist() == [[0, 0, 0, 0, 2, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 0]]
    assert padding_mask(lengths, 3).tolist() == [[True, True, True], [True, False, False]]


def test_last_real_state():
    out = torch.arange(12.0).reshape(2, 3, 2)
    assert last_real_state(out, torch.tensor([3, 1]), bidirectional=False).tolist() == [[4.0, 5.0], [6.0, 7.0]]
    with pytest.raises(ValueError, match="outputs"):
        last_real_state(torch.zeros(2, 3), torch.tensor([1, 1]), bidirectional=False)


@pytest.mark.parametrize("kind", ["gru", "lstm", "bigru"])
def test_packing_makes_padding_irrelevant(kind):
    torch.manual_seed(0)
    model = make_classifier(kind, 20, embedding_dim=6, hidden_size=5).eval()
    ids = torch.tensor([[3, 4, 5]])
    short = model(ids, torch.tensor([3]))
    padded = torch.cat([ids, torch.zeros(1, 7, dtype=torch.long)], dim=1)   # (1, 10): 7 pad tokens
    assert torch.allclose(model(padded, torch.tensor([3])), short, atol=1e-6)
    # in a batch with a longer review, the short one still gets the same logit
    batch, lengths = pad_batch([[3, 4, 5], [6, 7, 8, 9, 10, 11]])
    assert torch.allclose(model(batch, lengths)[0], short[0], atol=1e-6)


def test_without_packing_padding_leaks():
    torch.manual_seed(0)
    model = RNNClassifier(20, 6, 5, pack=False).eval()
    ids = torch.tensor([[3, 4, 5]])
    padded = torch.cat([ids, torch.zeros(1, 7, dtype=torch.long)], dim=1)
    assert not torch.allclose(model(padded, torch.tensor([3])), model(ids, torch.tensor([3])), atol=1e-4)


def test_packed_final_state_equals_unpacked_output_at_last_real_token():
    torch.manual_seed(0)
    model = RNNClassifier(20, 6, 5).eval()
    ids, lengths = pad_batch([[3, 4, 5], [6, 7, 8, 9, 10]])
    out, _ = model.rnn(model.embedding(ids))                               # (2, 5, 5), runs over padding
    head = model.head(last_real_state(out, lengths, bidirectional=False)).squeeze(-1)
    assert torch.allclose(head, model(ids, lengths), atol=1e-6)


def test_bow_contributions_sum_to_logit_minus_bias():
    torch.manual_seed(0)
    model = BagOfWordsClassifier(10)
    ids, lengths = pad_batch([[2, 3, 3], [4]])
    contrib = model.contributions(ids, lengths)
    assert contrib[1, 1:].abs().sum() == 0
    assert torch.allclose(contrib.sum(1) + model.linear.bias, model(ids, lengths), atol=1e-6)
    # word order does not matter to a bag of words
    assert torch.allclose(model(torch.tensor([[3, 2, 3]]), torch.tensor([3])), model(ids[:1], lengths[:1]))


def test_rnn_contributions_are_gradient_times_input():
    torch.manual_seed(0)
    model = RNNClassifier(20, 4, 3).eval()
    ids, lengths = pad_batch([[3, 4, 5], [6, 7]])
    contrib = model.contributions(ids, lengths)
    assert contrib.shape == (2, 3) and contrib[1, 2] == 0
    x = model.embedding(ids[:1]).detach().requires_grad_(True)
    model.forward_embedded(x, lengths[:1]).sum().backward()
    assert torch.allclose(contrib[0], (x.grad * x).sum(-1)[0], atol=1e-6)


def test_model_input_errors():
    model = make_classifier("gru", 10)
    with pytest.raises(ValueError, match="token ids must lie in"):
        model(torch.tensor([[12]]), torch.tensor([1]))
    with pytest.raises(ValueError, match="lengths must lie in"):
        model(torch.tensor([[1, 2]]), torch.tensor([3]))
    with pytest.raises(TypeError, match="integer"):
        model(torch.zeros(1, 2), torch.tensor([2]))
    with pytest.raises(ValueError, match="model must be one of"):
        make_classifier("transformer", 10)


def test_checks_accept_the_reference_and_explain_mistakes(capsys):
    assert check_bag_of_words(bag_of_words)
    assert not check_bag_of_words(lambda ids, lengths, v: torch.zeros(ids.shape[0], v).scatter_add_(
        1, ids, torch.ones(ids.shape)))
    assert "padding" in capsys.readouterr().out
    assert check_last_real_state(lambda out, lengths: last_real_state(out, lengths, bidirectional=False))
    assert not check_last_real_state(lambda out, lengths: out[:, -1])
    assert "lengths[b] - 1" in capsys.readouterr().out

    def stub(*args):
        raise NotImplementedError("count the words")

    assert not check_bag_of_words(stub)
    assert "not done yet" in capsys.readouterr().out


@pytest.fixture(scope="module")
def tiny_model():
    texts = ["delicious and great", "stale and awful", "great taste", "awful taste"]
    vocab = build_vocab(texts, min_freq=1)
    torch.manual_seed(0)
    return make_classifier("gru", len(vocab), embedding_dim=4, hidden_size=3), vocab


def test_widget_function_good_and_bad_input(tiny_model):
    model, vocab = tiny_model
    good = analyse_review("Delicious, great taste!", model, vocab)
    assert good.label in LABELS and 0 <= good.probability <= 1
    assert len(good.scores) == len(good.tokens) == 5 and np.isfinite(good.scores).all()
    assert good.unknown == [",", "!"] and "unknown words" in good.message
    assert "p(great)" in analysis_html(good)
    empty = analyse_review("   ", model, vocab)
    assert empty.probability is None and "Type a review" in empty.message
    unknown = analyse_review("qwerty zxcvb", model, vocab)
    assert unknown.probability is None and "vocabulary" in unknown.message
    assert "vocabulary" in analysis_html(unknown)
    long = analyse_review("great " * 1000, model, vocab)
    assert len(long.tokens) == 400 and "first 400" in long.message
    assert "expected text" in analyse_review(None, model, vocab).message


def test_widget_updates_as_you_type(tiny_model):
    model, vocab = tiny_model
    w = make_sentiment_widget(model, vocab, text="great")
    box, panel = w.children
    assert "p(great)" in panel.value
    box.value = ""
    assert "Type a review" in panel.value
    box.value = "qwerty"
    assert "vocabulary" in panel.value
    box.value = "stale and awful"
    assert "p(great)" in panel.value
    view = sentiment_view("stale and awful", model, vocab)  # the widget draws the plain function's view
    assert w.view.data.probability == view.data.probability and w.view.message == view.message
    assert panel.value == analysis_html(view.data)
    assert not sentiment_view("qwerty", model, vocab).ok


def test_sentiment_loss_is_the_binary_cross_entropy_of_the_logits(tiny_model):
    from rnnlab.experiments.sentiment import sentiment_loss

    model, vocab = tiny_model
    ids = torch.tensor([vocab.encode(["great", "taste"]), vocab.encode(["awful", "taste"])])   # (2, 2)
    lengths, labels = torch.tensor([2, 2]), torch.tensor([1.0, 0.0])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(model(ids, lengths), labels)
    torch.testing.assert_close(sentiment_loss(model, (ids, lengths, labels)), expected)


@pytest.mark.parametrize("kind", ["bow", "bigru"])
def test_experiment_reports_the_issue_metrics(kind):
    from rnnlab.experiments import EXPERIMENTS
    from rnnlab.experiments.sentiment import SentimentConfig

    config = SentimentConfig(model=kind, steps=3, eval_every=3, max_len=20, progress=False)
    result = EXPERIMENTS["sentiment"].run(config)
    from rnnlab.experiments.sentiment import predict_proba

    test, probe = result.extras["test_set"], result.extras["probe_set"]
    p_test, p_probe = predict_proba(result.model, test), predict_proba(result.model, probe)
    assert result.metrics["accuracy"] == pytest.approx(((p_test > 0.5).float() == test.labels).float().mean().item())
    assert result.metrics["probe_accuracy"] == pytest.approx(
        ((p_probe > 0.5).float() == probe.labels).float().mean().item())
    pairs = p_probe.reshape(-1, 2)                                       # rows 2k great, 2k+1 other
    assert result.metrics["probe_pairs_ordered"] == pytest.approx((pairs[:, 0] > pairs[:, 1]).float().mean().item())
    assert probe.labels[:4].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert result.metrics["majority_accuracy"] == pytest.approx(0.658)   # 658 of 1,000 test reviews are great
    if kind == "bow":
        assert result.metrics["probe_accuracy"] <= 0.5                   # identical bags in every pair
        assert result.metrics["probe_pairs_ordered"] == 0.0              # every pair is a tie


def test_contrast_set_is_labelled_by_the_second_slot_and_disjoint_from_the_probe():
    frame = contrast_set(200, seed=3)
    assert len(frame) == 200 and set(frame["label"]) == {0, 1}
    for text, label in frame.itertuples(index=False):
        words = tokenize_words(text)
        pos = [i for i, w in enumerate(words) if w in CONTRAST_POSITIVE]
        neg = [i for i, w in enumerate(words) if w in CONTRAST_NEGATIVE]
        assert len(pos) == 1 and len(neg) == 1
        assert label == int(pos[0] > neg[0])                             # the later word decides
    words = {w for t in frame["text"] for w in tokenize_words(t)}
    assert not words & (set(PROBE_POSITIVE) | set(PROBE_NEGATIVE))
    assert not set(CONTRAST_TEMPLATES) & set(PROBE_TEMPLATES)
    assert not set(frame["text"]) & set(probe_set()["text"])
    assert contrast_set(200, seed=3).equals(frame) and not contrast_set(200, seed=4).equals(frame)
    assert len(contrast_set(0)) == 0
    with pytest.raises(ValueError, match="n"):
        contrast_set(-1)


def test_experiment_adds_contrast_sentences_to_training():
    from rnnlab.experiments.sentiment import SentimentConfig, run_sentiment

    result = run_sentiment(SentimentConfig(model="bow", steps=2, eval_every=2, max_len=20, progress=False,
                                           contrast_examples=50))
    assert "soggy" in result.extras["vocab"].stoi or "tasty" in result.extras["vocab"].stoi
    assert result.metrics["probe_pairs_ordered"] == 0.0                  # still a bag of words


def test_notebook_packed_training_step_equals_the_experiment():
    """Notebook 05's written-out step (embed, dropout, pack, GRU, last real state, head, BCE) gives the
    experiment's losses, step for step, from the same seed."""
    from torch.nn.utils.rnn import pack_padded_sequence

    from rnnlab.experiments.sentiment import SentimentConfig, batch_sampler, prepare_data, run_sentiment
    from rnnlab.utils import seed_everything

    config = SentimentConfig(model="gru", steps=4, eval_every=4, max_len=30, embedding_dim=8, hidden_size=8,
                             batch_size=8, progress=False)
    data = prepare_data(config)
    seed_everything(config.seed)
    model = RNNClassifier(len(data.vocab), 8, 8, dropout=config.dropout)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    next_batch = batch_sampler(data.train_set, 8, config.seed)
    losses = []
    for _ in range(4):
        ids, lengths, labels = next_batch()
        x = model.dropout(model.embedding(ids))                                   # (batch, time, embed)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, h = model.rnn(packed)                                                  # (1, batch, hidden)
        logits = model.head(model.dropout(h[-1])).squeeze(-1)                     # (batch,)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    assert run_sentiment(config).history.loss == pytest.approx(losses, abs=1e-6)


def test_sentiment_takes_a_model_a_factory_callbacks_and_a_device():
    from rnnlab.experiments.sentiment import SentimentConfig, prepare_data, run_sentiment
    from rnnlab.train import Callback

    class Count(Callback):
        steps = 0

        def on_step(self, state):
            Count.steps += 1

    config = SentimentConfig(model="gru", steps=2, eval_every=2, max_len=20, progress=False)
    vocab_size = len(prepare_data(config).vocab)
    mine = RNNClassifier(vocab_size, 4, 4, cell="lstm")
    result = run_sentiment(config, model=mine, callbacks=[Count()], device="cpu")
    assert result.model is mine and Count.steps == 2
    made = run_sentiment(config, model=lambda vocab: RNNClassifier(len(vocab), 4, 4))
    assert made.metrics["parameters"] == sum(p.numel() for p in RNNClassifier(vocab_size, 4, 4).parameters())
    with pytest.raises(ValueError, match=f"vocab_size=len\\(prepare_data\\(config\\).vocab\\) = {vocab_size}"):
        run_sentiment(config, model=RNNClassifier(vocab_size + 3, 4, 4))

    class TwoLogits(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(1, 2)

        def forward(self, ids, lengths):
            return self.linear(lengths[:, None].float())                         # (batch, 2): wrong shape

    with pytest.raises(ValueError, match="one logit per text"):
        run_sentiment(config, model=TwoLogits())
