"""Tests of the char-level language model, its metrics, sampling, the widgets and the exercise checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnnlab.checks.textgen import check_bits_per_char, check_temperature_softmax
from rnnlab.data.corpora import build_char_vocab, encode_text
from rnnlab.metrics.language import (
    bigram_bits_per_char,
    bits_per_char,
    fit_bigram,
    fit_unigram,
    unigram_bits_per_char,
    unit_correlations,
)
from rnnlab.models.charlm import (
    CharLM,
    StatefulLoss,
    detach_state,
    hidden_activations,
    next_char_distribution,
    sample_ids,
    stream_logits,
)
from rnnlab.widgets.textgen import (
    generate_text,
    generation_view,
    make_neuron_widget,
    make_textgen_widget,
    neuron_view,
)


@pytest.fixture()
def small():
    torch.manual_seed(0)
    vocab = build_char_vocab("abc de\n")
    return CharLM(len(vocab), 16, embedding_dim=4), vocab


# ---- metrics ---------------------------------------------------------------------------------------------
def test_bits_per_char_against_hand_values():
    assert bits_per_char(torch.zeros(5, 4), torch.arange(4).repeat(2)[:5]) == pytest.approx(2.0)
    logits = torch.log(torch.tensor([[0.5, 0.25, 0.25]]))
    assert bits_per_char(logits, torch.tensor([1])) == pytest.approx(2.0)
    assert bits_per_char(logits.expand(2, 3, 3), torch.zeros(2, 3, dtype=torch.long)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="targets of shape"):
        bits_per_char(torch.zeros(5, 4), torch.zeros(4, dtype=torch.long))
    with pytest.raises(TypeError, match="integer"):
        bits_per_char(torch.zeros(5, 4), torch.zeros(5))


def test_unigram_and_bigram_baselines_by_hand():
    train = np.array([0, 1, 0, 1, 0, 1])
    p1 = fit_unigram(train, 3, alpha=1.0)
    assert np.allclose(p1, [4 / 9, 4 / 9, 1 / 9])
    p2 = fit_bigram(train, 2, alpha=1.0)
    assert np.allclose(p2, [[1 / 5, 4 / 5], [3 / 4, 1 / 4]])
    test = np.array([1, 0, 1])  # scored characters: 0 (after 1) and 1 (after 0)
    assert unigram_bits_per_char(train, test, 2, alpha=1.0) == pytest.approx(1.0)
    expected = -(math.log2(3 / 4) + math.log2(4 / 5)) / 2
    assert bigram_bits_per_char(train, test, 2, alpha=1.0) == pytest.approx(expected)
    rows = np.array([[1, 0, 1], [1, 0, 1]])
    assert bigram_bits_per_char(train, rows, 2, alpha=1.0) == pytest.approx(expected)
    with pytest.raises(ValueError, match="lie in"):
        fit_unigram(np.array([0, 5]), 3)
    with pytest.raises(ValueError, match="alpha"):
        fit_bigram(train, 2, alpha=0.0)


def test_unit_correlations():
    t = np.arange(20.0)
    acts = np.stack([t, -2 * t + 1, np.ones(20), np.sin(t)], axis=1)
    r = unit_correlations(acts, t)
    assert r[:3] == pytest.approx([1.0, -1.0, 0.0])
    assert abs(r[3]) < 0.5
    with pytest.raises(ValueError, match="shape"):
        unit_correlations(acts, t[:5])


# ---- model -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forward_shapes_and_state_carry(cell):
    torch.manual_seed(0)
    model = CharLM(7, 12, cell=cell, embedding_dim=3)
    x = torch.randint(0, 7, (2, 10))
    logits, state = model(x)
    assert logits.shape == (2, 10, 7)
    first, s1 = model(x[:, :4])
    second, _ = model(x[:, 4:], s1)
    assert torch.allclose(torch.cat([first, second], 1), logits, atol=1e-6)  # carrying state = one long pass
    detached = detach_state(state)
    assert all(not s.requires_grad for s in (detached if isinstance(detached, tuple) else (detached,)))
    with pytest.raises(ValueError, match="ids must lie"):
        model(torch.tensor([[7]]))
    with pytest.raises(ValueError, match="cell must be one of"):
        CharLM(7, 12, cell="rnn")


def test_stream_logits_equal_one_pass(small):
    model, _ = small
    streams = torch.randint(0, model.vocab_size, (3, 40))
    full, _ = model(streams[:, :-1])
    assert torch.allclose(stream_logits(model, streams, chunk=7), full, atol=1e-5)


def test_stateful_loss_resets_on_first_window(small):
    model, _ = small
    loss_fn = StatefulLoss()
    x = torch.randint(0, model.vocab_size, (2, 5))
    a = loss_fn(model, (x, x, True))
    assert loss_fn.state is not None and not loss_fn.state[0].requires_grad
    b = loss_fn(model, (x, x, False))  # carried state changes the loss
    c = loss_fn(model, (x, x, True))   # reset gives the first value again
    assert not torch.isclose(a, b) and torch.isclose(a, c)


def test_temperature_and_top_k_distribution():
    logits = torch.tensor([1.0, 3.0, 2.0, 0.0])
    assert torch.allclose(next_char_distribution(logits, 1.0), torch.softmax(logits, 0))
    assert torch.equal(next_char_distribution(logits, 0.0), torch.tensor([0.0, 1.0, 0.0, 0.0]))
    cold, hot = next_char_distribution(logits, 0.1), next_char_distribution(logits, 10.0)
    assert cold.max() > 0.99 and hot.max() < 0.3
    top2 = next_char_distribution(logits, 1.0, top_k=2)
    assert top2[0] == 0 and top2[3] == 0 and torch.isclose(top2.sum(), torch.tensor(1.0))
    with pytest.raises(ValueError, match="temperature"):
        next_char_distribution(logits, -1.0)
    with pytest.raises(ValueError, match="top_k"):
        next_char_distribution(logits, 1.0, top_k=0)


@pytest.mark.parametrize("temperature", [1e-40, 1e-30, 1e-8, 1e-3, 0.5, 1.0, 7.0, 1e30])
def test_any_positive_temperature_gives_a_finite_distribution(temperature):
    # issue 15 case D: softmax(logits / 1e-40) overflowed to inf / inf = NaN
    for logits in (torch.tensor([5.0, 1.0, 0.5]), torch.tensor([[5.0, 1.0, 0.5], [-3.0, 2.0, 2.5]]),
                   torch.tensor([5.0, 1.0, 0.5], dtype=torch.float64), torch.tensor([1e4, -1e4, 0.0])):
        p = next_char_distribution(logits, temperature)
        assert torch.isfinite(p).all() and torch.allclose(p.sum(-1), torch.ones(p.shape[:-1], dtype=p.dtype))
        if temperature < 100:                                          # (at 1e30 it is uniform to float precision)
            assert torch.equal(p.argmax(-1), logits.argmax(-1))
    tiny = next_char_distribution(torch.tensor([5.0, 1.0, 0.5]), 1e-40)
    assert torch.equal(tiny, torch.tensor([1.0, 0.0, 0.0]))         # tends to the argmax
    assert torch.allclose(next_char_distribution(torch.tensor([5.0, 5.0, 0.5]), 1e-40),
                          torch.tensor([0.5, 0.5, 0.0]))            # ties share the mass in the limit
    huge = next_char_distribution(torch.tensor([5.0, 1.0, 0.5]), 1e30)
    assert torch.allclose(huge, torch.full((3,), 1 / 3))             # tends to uniform
    # a masked (-inf) character keeps probability 0 at any temperature
    masked = next_char_distribution(torch.tensor([5.0, float("-inf"), 0.5]), 1e-40)
    assert masked[1] == 0 and torch.isfinite(masked).all()


def test_distribution_rejects_impossible_settings_by_name():
    logits = torch.tensor([5.0, 1.0, 0.5])
    with pytest.raises(ValueError, match=r"top_k must lie in \[1, 3\].*got 4"):
        next_char_distribution(logits, 1.0, top_k=4)                  # larger than the vocabulary
    with pytest.raises(ValueError, match=r"top_k must lie in \[1, 3\].*got -2"):
        next_char_distribution(logits, 1.0, top_k=-2)
    with pytest.raises(TypeError, match="top_k"):
        next_char_distribution(logits, 1.0, top_k=2.5)
    assert torch.allclose(next_char_distribution(logits, 1.0, top_k=3), torch.softmax(logits, 0))  # k = vocab: no cut
    for bad in (-1e-40, float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="temperature"):
            next_char_distribution(logits, bad)
    with pytest.raises(ValueError, match="NaN"):
        next_char_distribution(torch.tensor([1.0, float("nan")]), 1.0)
    with pytest.raises(ValueError, match="every logit is -inf"):
        next_char_distribution(torch.full((3,), float("-inf")), 1.0)


def test_sampling_seeded_greedy_and_top_k(small):
    model, _ = small
    a = sample_ids(model, [1, 2], 30, temperature=1.0, seed=3)
    assert a == sample_ids(model, [1, 2], 30, temperature=1.0, seed=3)
    assert a != sample_ids(model, [1, 2], 30, temperature=1.0, seed=4)
    greedy = sample_ids(model, [1, 2], 10, temperature=0.0)
    # temperature 0 is argmax: rebuild it by hand
    ids, expected = [1, 2], []
    for _ in range(10):
        logits, _ = model(torch.tensor([ids]))
        expected.append(int(logits[0, -1].argmax()))
        ids.append(expected[-1])
    assert greedy == expected
    assert sample_ids(model, [1], 10, temperature=5.0, top_k=1, seed=0) == sample_ids(model, [1], 10, temperature=0)
    assert sample_ids(model, [1], 0) == []
    assert 0 not in sample_ids(model, [1], 200, temperature=3.0, seed=0, exclude=[0])
    with pytest.raises(ValueError, match="at least one"):
        sample_ids(model, [], 5)


def test_hidden_activations_h_and_c(small):
    model, vocab = small
    ids = encode_text(vocab, "abc de\nab")
    h = hidden_activations(model, ids, "h")
    c = hidden_activations(model, ids, "c")
    assert h.shape == c.shape == (9, 16)
    assert np.abs(h).max() <= 1
    out, (hn, cn) = model.rnn(model.embedding(ids[None]))
    assert np.allclose(c[-1], cn[0, 0].detach().numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="cell state"):
        hidden_activations(CharLM(5, 4, cell="gru"), [1, 2], "c")


# ---- widgets ---------------------------------------------------------------------------------------------
def test_generate_text_good_and_bad_input(small):
    model, vocab = small
    text = generate_text(model, vocab, "ab", 20, temperature=0.5, seed=1)
    assert text.startswith("ab") and len(text) == 22 and set(text) <= set("abc de\n")
    assert len(generate_text(model, vocab, "", 5)) == 5
    with pytest.raises(ValueError, match="never seen"):
        generate_text(model, vocab, "xyz", 5)
    assert generation_view(model, vocab, "Q", 1.0, 0, 10, 0)[0] == "message"
    kind, text = generation_view(model, vocab, "a", 100.0, 3, 50, 0)  # extreme but valid
    assert kind == "text" and len(text) == 51
    assert generation_view(model, vocab, "a", 1.0, 0, 10**6, 0)[0] == "message"


def test_textgen_widget_reacts(small):
    model, vocab = small
    w = make_textgen_widget(model, vocab, prompt="ab", length=30)
    prompt, temperature, top_k, length, button, out = w.children
    first = out.value
    assert "ab" in first
    temperature.value = 0.0
    greedy = out.value
    button.click()  # a new seed; greedy output does not depend on it
    w.view  # clicks are coalesced like released sliders: reading the view draws what is pending  # noqa: B018
    assert out.value == greedy
    temperature.value = 1.5
    before = out.value
    button.click()
    assert w.pending  # not drawn yet: outside a kernel nothing schedules it ...
    w.view  # noqa: B018
    assert out.value != before  # ... and reading the view draws it
    prompt.value = "ZZ"
    assert "never seen" in out.value
    prompt.value = ""
    length.value = 0
    assert "never seen" not in out.value


def test_neuron_view_and_widget(small):
    model, vocab = small
    acts = np.linspace(-1, 1, 12).reshape(6, 2)
    html = neuron_view("abc de", acts, 1)
    assert html.count("<span") == 6 and "unit 1" in html
    assert "between 0 and 1" in neuron_view("abc de", acts, 5)
    assert "No text" in neuron_view("", acts[:0], 0)
    assert "one activation row" in neuron_view("abc", acts, 0)
    w = make_neuron_widget(model, vocab, "abc de\nabc")
    slider, out = w.children
    slider.value = 7
    assert "unit 7" in out.value and out.value.count("<span") == 10
    w = make_neuron_widget(model, vocab, "aXb")
    assert "unknown" in w.children[1].value
    assert "No text" in make_neuron_widget(model, vocab, "").children[1].value


# ---- checks ----------------------------------------------------------------------------------------------
def test_checks_pass_reference_and_catch_mistakes(capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_bits_per_char(bits_per_char)
    assert not check_bits_per_char(lambda lg, t: float(torch.nn.functional.cross_entropy(lg, t)))
    assert "nats" in capsys.readouterr().out

    def stub(*_):
        raise NotImplementedError("use torch.softmax")

    assert not check_bits_per_char(stub)
    assert "not done yet" in capsys.readouterr().out
    assert check_temperature_softmax(lambda lg, t: torch.softmax(lg / t, -1))
    assert not check_temperature_softmax(lambda lg, t: torch.softmax(lg * t, -1))
    assert "temperature 0.5" in capsys.readouterr().out
    assert not check_temperature_softmax(lambda lg, t: torch.softmax(lg / t, 0))
    assert "wrong axis" in capsys.readouterr().out   # every known mistake: tests/test_charlm_checks.py


# ---- experiment ------------------------------------------------------------------------------------------
def test_charlm_experiment_reports_the_issue_metrics():
    from rnnlab.experiments.charlm import CharLMConfig, run_charlm
    from rnnlab.experiments.registry import EXPERIMENTS

    assert "charlm" in EXPERIMENTS
    config = CharLMConfig(corpus="names", seed=1, steps=3, hidden_size=8, embedding_dim=4, batch_size=4, seq_len=8,
                          max_chars=2000, eval_streams=2, eval_every=3, progress=False)
    result = run_charlm(config)
    m = result.metrics
    for key in ("bits_per_char", "unigram_bits_per_char", "bigram_bits_per_char", "trigram_bits_per_char"):
        assert 0.5 < m[key] < 8  # held-out bits per character on names: between a perfect and a hopeless model
    assert m["train_chars"] + m["held_out_chars"] == 2000 and m["steps"] == 3
    assert result.held_out_text == result.text[-200:] and result.extras == {}  # typed fields, no extras
    again = run_charlm(config).metrics
    assert again["bits_per_char"] == pytest.approx(m["bits_per_char"])  # seeded
    _, bits = result.history.metric("bits_per_char")
    _, nats = result.history.metric("held_out_loss")                    # the same held-out loss in nats
    assert nats == pytest.approx([b * np.log(2) for b in bits]) and bits[-1] == pytest.approx(m["bits_per_char"])
    assert result.config.hidden_size == 8 and result.config.seq_len == 8
    defaults = run_charlm(CharLMConfig(corpus="names", steps=1, max_chars=2000, progress=False)).config
    assert (defaults.hidden_size, defaults.seq_len) == (64, 32)  # the corpus defaults fill what was left None
    with pytest.raises(ValueError, match=r"corpus.* must be one of \[.shakespeare., .names.\]"):
        run_charlm(CharLMConfig(corpus="tolstoy", progress=False))


def test_stateful_loss_without_carry_resets_every_window(small):
    model, _ = small
    x = torch.randint(0, model.vocab_size, (2, 5))
    carried, alone = StatefulLoss(carry=True), StatefulLoss(carry=False)
    first = alone(model, (x, x, True))
    assert torch.isclose(alone(model, (x, x, False)), first)           # no state carried: same window, same loss
    carried(model, (x, x, True))
    assert not torch.isclose(carried(model, (x, x, False)), first)


def test_notebook_truncated_bptt_loop_equals_the_experiment():
    """The loop notebook 06 writes out (carry, detach, reset) gives the experiment's losses, step for step."""
    from rnnlab.data.corpora import StatefulBatches, build_char_vocab, encode_text, load_corpus, split_ids
    from rnnlab.experiments.charlm import CharLMConfig, run_charlm
    from rnnlab.utils import seed_everything

    config = CharLMConfig(corpus="names", seed=3, steps=6, hidden_size=8, embedding_dim=4, batch_size=4,
                          seq_len=8, max_chars=160, eval_every=6, progress=False)
    text = load_corpus("names")[:160]
    vocab = build_char_vocab(text)
    train_ids, _ = split_ids(encode_text(vocab, text), 0.1)
    seed_everything(3)
    model = CharLM(len(vocab), 8, embedding_dim=4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    losses, state, windows = [], None, StatefulBatches(train_ids, 4, 8)
    stream = (w for _ in range(10) for w in windows)                   # passes over the text, one after another
    for _ in range(6):
        x, y, first = next(stream)
        if first:
            state = None
        logits, state = model(x, state)
        state = detach_state(state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    assert len(windows) < 6                                              # the state was reset at a new pass
    assert run_charlm(config).history.loss == pytest.approx(losses, abs=1e-6)


def test_charlm_experiment_takes_a_model_callbacks_and_a_device():
    from rnnlab.experiments.charlm import CharLMConfig, run_charlm
    from rnnlab.train import Callback

    class Count(Callback):
        steps = 0

        def on_step(self, state):
            Count.steps += 1

    config = CharLMConfig(corpus="names", steps=4, seq_len=8, batch_size=4, max_chars=600, eval_every=4,
                          progress=False)
    vocab_size = run_charlm(config).metrics["vocab_size"]
    mine = CharLM(vocab_size, 6, cell="gru", embedding_dim=3)
    result = run_charlm(config, model=mine, callbacks=[Count()], device="cpu")
    assert result.model is mine and Count.steps == 4 and result.metrics["parameters"] == sum(
        p.numel() for p in mine.parameters())
    with pytest.raises(ValueError, match=f"vocab_size={vocab_size}"):
        run_charlm(config, model=CharLM(vocab_size + 1, 6))
    no_carry = run_charlm(CharLMConfig(corpus="names", steps=4, seq_len=8, batch_size=4, max_chars=600,
                                       eval_every=4, progress=False, carry_state=False))
    assert no_carry.history.loss[1] != pytest.approx(run_charlm(config).history.loss[1])


def test_a_temperature_below_float32s_smallest_still_gives_the_argmax_limit():
    """1e-300 is 0 in float32: dividing the logits by it gave 0/0 = NaN; ties share the mass, as documented."""
    from rnnlab.models.charlm import next_char_distribution

    for temperature in (1e-300, 1e-46):
        probs = next_char_distribution(torch.tensor([1.0, 3.0, 3.0, -2.0]), temperature)
        assert probs.dtype == torch.float32
        assert torch.equal(probs, torch.tensor([0.0, 0.5, 0.5, 0.0]))
