import matplotlib
import numpy as np
import pytest
import torch

from rnnlab.models import SequenceModel
from rnnlab.models.cells import set_forget_bias
from rnnlab.models.gradient_flow import hidden_gradient_norms
from rnnlab.viz.gates import plot_gates, plot_gradient_flow
from rnnlab.widgets.gates import (
    adding_example,
    describe_step,
    gate_activations,
    gates_at,
    make_gate_explorer,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {c: SequenceModel(c, 2, 5, 1) for c in ("lstm", "gru", "rnn")}


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_gate_activations_shapes_and_agreement_with_torch(models, kind):
    x, _ = adding_example(12, 2, 9)
    gates = gate_activations(models[kind], x)
    expected = {"lstm": {"input", "forget", "cell", "output", "c", "h"}, "gru": {"reset", "update", "new", "h"},
                "rnn": {"h"}}[kind]
    assert set(gates) == expected | {"prediction"}
    for name in expected:
        assert gates[name].shape == (12, 5)
    # the scratch copy of the trained weights reproduces the built-in layer's hidden states and output
    with torch.no_grad():
        out, _ = models[kind].rnn(x.unsqueeze(0))
        np.testing.assert_allclose(gates["h"], out[0].numpy(), atol=1e-6)
        if kind == "rnn":  # the explorer calls nn.RNN itself here: compare with a loop written out, not with itself
            rnn, h, hs = models[kind].rnn, torch.zeros(5), []
            for x_t in x:                                                # x: (time, 2)
                h = torch.tanh(rnn.weight_ih_l0 @ x_t + rnn.bias_ih_l0 + rnn.weight_hh_l0 @ h + rnn.bias_hh_l0)
                hs.append(h)                                             # (hidden,)
            np.testing.assert_allclose(gates["h"], torch.stack(hs).numpy(), atol=1e-6)
        np.testing.assert_allclose(gates["prediction"], models[kind](x.unsqueeze(0))[0].numpy(), atol=1e-6)
    for name in ("input", "forget", "output", "reset", "update"):
        if name in gates:
            assert 0 <= gates[name].min() and gates[name].max() <= 1


def test_gate_activations_token_model_and_bad_input(models):
    tok = SequenceModel("lstm", 4, 3, 2, vocab_size=6)
    assert gate_activations(tok, torch.tensor([1, 2, 3]))["forget"].shape == (3, 3)
    with pytest.raises(TypeError, match="token ids"):
        gate_activations(tok, torch.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        gate_activations(models["lstm"], torch.zeros(0, 2))
    with pytest.raises(ValueError, match=r"\(time, 2\)"):
        gate_activations(models["lstm"], torch.zeros(5, 3))
    with pytest.raises(ValueError, match="one sequence"):
        gate_activations(models["gru"], torch.zeros(2, 5, 2))
    with pytest.raises(TypeError, match="SequenceModel"):
        gate_activations(torch.nn.LSTM(2, 3), torch.zeros(5, 2))
    with pytest.raises(ValueError, match="one-layer"):
        gate_activations(SequenceModel("lstm", 2, 3, 1, num_layers=2), torch.zeros(5, 2))


def test_gates_at_and_describe_step(models):
    gates = gate_activations(models["lstm"], adding_example(8, 1, 6)[0])
    step = gates_at(gates, 3)
    np.testing.assert_array_equal(step["forget"], gates["forget"][3])
    np.testing.assert_array_equal(gates_at(gates, -1)["h"], gates["h"][7])
    with pytest.raises(ValueError, match="t must be <= 7"):
        gates_at(gates, 8)
    text = describe_step(gates, 3)
    assert text.startswith("t = 3:") and "mean forget gate" in text and "max |c|" in text
    assert "forget" not in describe_step(gate_activations(models["gru"], adding_example(8, 1, 6)[0]), 0)


def test_adding_example():
    x, target = adding_example(10, 3, 7, seed=1)
    assert x.shape == (10, 2) and x[:, 1].sum() == 2 and x[3, 1] == 1 and x[7, 1] == 1
    assert target == pytest.approx(float(x[3, 0] + x[7, 0]))
    with pytest.raises(ValueError, match="different steps"):
        adding_example(10, 3, 3)
    with pytest.raises(ValueError, match="second must be <= 9"):
        adding_example(10, 3, 10)


def test_gate_explorer_widget_reacts(models):
    seqs = {"markers at 2 and 9": adding_example(12, 2, 9)[0], "short": adding_example(4, 0, 3)[0],
            "empty": torch.zeros(0, 2)}
    w = make_gate_explorer(models, seqs, max_units=3)
    model_dd, seq_dd, slider, out = w.children
    assert slider.max == 11 and w.shown["t"] == 0 and w.shown["model"] == "lstm"
    slider.value = 11
    assert w.shown["t"] == 11 and w.shown["text"].startswith("t = 11:")
    seq_dd.value = "short"   # the slider shrinks with the sequence
    assert slider.max == 3 and slider.value == 3 and w.shown["t"] == 3 and w.shown["sequence"] == "short"
    model_dd.value = "rnn"
    assert w.shown["model"] == "rnn" and "model output" in w.shown["text"] and "gate" not in w.shown["text"]
    # the output is printed rounded, not as float32 noise such as 0.4050000011920929
    import re
    assert re.fullmatch(r"\[-?\d+\.\d{1,3}(, -?\d+\.\d{1,3})*\]", w.shown["text"].split("model output: ")[1])
    seq_dd.value = "empty"   # an extreme input: a message, no traceback
    assert w.shown["t"] is None and "Cannot show this input" in w.shown["text"] and "empty" in w.shown["text"]
    seq_dd.value = "short"   # and it recovers
    assert w.shown["t"] == 3
    with pytest.raises(ValueError, match="at least one model"):
        make_gate_explorer({}, seqs)


def test_plot_gates_and_gradient_flow_figures(models):
    gates = gate_activations(models["lstm"], adding_example(12, 2, 9)[0])
    fig = plot_gates(gates, t=4, inputs=adding_example(12, 2, 9)[0], names=["input", "forget", "c", "h"])
    assert len(fig.axes) == 5 + 5  # input strip, four heatmaps, five colour bars (one hidden, for alignment)
    with pytest.raises(KeyError, match="not found"):
        plot_gates(gates, names=["reset"])
    with pytest.raises(ValueError, match=r"\(time, units\)"):
        plot_gates({"h": np.zeros(5)})
    fig = plot_gradient_flow({"a": np.array([1.0, 0.0, 1e-3])})
    assert fig.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="empty"):
        plot_gradient_flow({})
    matplotlib.pyplot.close("all")


def test_hidden_gradient_norms_match_a_scratch_computation():
    torch.manual_seed(0)
    model = SequenceModel("rnn", 2, 4, 1)
    x, y = torch.randn(3, 6, 2), torch.randn(3, 1)
    norms = hidden_gradient_norms(model, x, y)
    assert norms.shape == (6,)
    # by hand: dL/dh_t through h_{t+1} = tanh(W x + U h_t + b)
    W, U = model.rnn.weight_ih_l0.double(), model.rnn.weight_hh_l0.double()
    b = (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).double()
    h, hs = torch.zeros(3, 4, dtype=torch.float64), []
    for t in range(6):
        h = torch.tanh(x[:, t].double() @ W.T + h @ U.T + b)
        hs.append(h)
    pred = hs[-1] @ model.head.weight.double().T + model.head.bias.double()
    grad = 2 * (pred - y.double()) / 3 @ model.head.weight.double()        # dL/dh_T, (batch, H)
    expected = [grad.norm(dim=1).mean().item()]
    for t in range(5, 0, -1):
        grad = (grad * (1 - hs[t] ** 2)) @ U                               # dL/dh_{t-1}
        expected.append(grad.norm(dim=1).mean().item())
    np.testing.assert_allclose(norms, expected[::-1], rtol=1e-8)
    assert model.rnn.weight_hh_l0.dtype == torch.float32 and model.rnn.weight_hh_l0.grad is None


def test_forget_bias_one_carries_the_gradient_further_back():
    torch.manual_seed(0)
    x, y = adding_example(60, 5, 40)[0].unsqueeze(0).repeat(4, 1, 1), torch.ones(4, 1)
    norms = {}
    for fb in (0.0, 1.0):
        torch.manual_seed(0)
        model = SequenceModel("lstm", 2, 16, 1)
        set_forget_bias(model.rnn, fb)
        norms[fb] = hidden_gradient_norms(model, x, y)
    assert norms[1.0][0] > 100 * norms[0.0][0]
    with pytest.raises(ValueError, match=r"shape \(batch, time, 2\)"):
        hidden_gradient_norms(model, torch.zeros(5, 2), y)
