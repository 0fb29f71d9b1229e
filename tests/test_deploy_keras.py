"""rnnlab.deploy.keras: a PyTorch nn.LSTM / nn.GRU's weights in keras.layers.LSTM / GRU give the same outputs and
final states (largest difference < 1e-5) at several batch sizes, lengths and layouts; plausible conversion bugs
(GRU gates left in PyTorch's order, one LSTM bias dropped, GRU biases summed, LSTM gates reordered) are caught.

The weight conversions are also checked against numpy transcriptions of Keras 3's LSTMCell / GRUCell equations,
so they are tested where Keras is not installed; the Keras tests skip with a message without it.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from torch import nn

from rnnlab.deploy import keras as rk

TOL = 1e-5


@pytest.fixture(scope="module")
def keras():
    """Keras on the torch backend, imported only by the tests that need it; they skip without it."""
    try:
        return rk.require_keras()
    except ImportError as err:
        pytest.skip(str(err))


def _randomised(rnn: nn.RNNBase, seed: int) -> nn.RNNBase:
    """Random weights AND biases of a visible size, so a dropped or misplaced bias changes the output."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
    return rnn.eval()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def keras_lstm_numpy(weights, x):
    """Keras 3's LSTMCell (keras/src/layers/rnn/lstm.py), run over x (batch, time, features): outputs, h, c."""
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units), np.float32)
    c = np.zeros_like(h)
    outs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent + bias
        z0, z1, z2, z3 = np.split(z, 4, axis=1)          # Keras: i, f, c, o
        i, f, o = _sigmoid(z0), _sigmoid(z1), _sigmoid(z3)
        c = f * c + i * np.tanh(z2)
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs, 1), h, c


def keras_gru_numpy(weights, x):
    """Keras 3's GRUCell with reset_after=True (keras/src/layers/rnn/gru.py): outputs, h."""
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units), np.float32)
    outs = []
    for t in range(x.shape[1]):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + bias[0], 3, axis=1)     # Keras: z, r, h
        r_z, r_r, r_h = np.split(h @ recurrent + bias[1], 3, axis=1)
        z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
        hh = np.tanh(x_h + r * r_h)
        h = z * h + (1 - z) * hh
        outs.append(h)
    return np.stack(outs, 1), h


# ---- without Keras: shapes, block order and the cell equations -------------------------------------------------

def test_lstm_weights_are_transposed_in_the_same_gate_order_with_the_two_biases_summed():
    lstm = _randomised(nn.LSTM(3, 5), 0)
    kernel, recurrent, bias = rk.keras_lstm_weights(lstm)
    assert kernel.shape == (3, 20) and recurrent.shape == (5, 20) and bias.shape == (20,)
    assert kernel.dtype == np.float32
    np.testing.assert_array_equal(kernel, lstm.weight_ih_l0.detach().numpy().T)
    np.testing.assert_allclose(bias, (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy(), rtol=0, atol=1e-7)


def test_gru_weights_swap_reset_and_update_blocks_and_keep_two_bias_rows():
    gru = _randomised(nn.GRU(3, 5), 1)
    kernel, recurrent, bias = rk.keras_gru_weights(gru)
    assert kernel.shape == (3, 15) and recurrent.shape == (5, 15) and bias.shape == (2, 15)
    w = gru.weight_ih_l0.detach().numpy()                   # rows r, z, n
    np.testing.assert_array_equal(kernel[:, :5], w[5:10].T)  # Keras's z block = PyTorch's z rows
    np.testing.assert_array_equal(kernel[:, 5:10], w[:5].T)  # Keras's r block = PyTorch's r rows
    np.testing.assert_array_equal(kernel[:, 10:], w[10:].T)  # candidate stays last
    np.testing.assert_array_equal(bias[1, 10:], gru.bias_hh_l0.detach().numpy()[10:])


@pytest.mark.parametrize("batch, seq_len", [(1, 1), (4, 9)])
def test_converted_weights_in_keras_equations_match_pytorch_without_keras(batch, seq_len):
    torch.manual_seed(2)
    x = torch.randn(batch, seq_len, 3)
    lstm = _randomised(nn.LSTM(3, 6, batch_first=True), 3)
    gru = _randomised(nn.GRU(3, 6, batch_first=True), 4)
    with torch.no_grad():
        out_l, (h_l, c_l) = lstm(x)
        out_g, h_g = gru(x)
    out, h, c = keras_lstm_numpy(rk.keras_lstm_weights(lstm), x.numpy())
    assert np.abs(out - out_l.numpy()).max() < TOL and np.abs(h - h_l[0].numpy()).max() < TOL
    assert np.abs(c - c_l[0].numpy()).max() < TOL
    out, h = keras_gru_numpy(rk.keras_gru_weights(gru), x.numpy())
    assert np.abs(out - out_g.numpy()).max() < TOL and np.abs(h - h_g[0].numpy()).max() < TOL


def test_gru_in_pytorch_gate_order_fails_the_numpy_keras_equations():
    gru = _randomised(nn.GRU(3, 6, batch_first=True), 5)
    x = torch.randn(2, 7, 3)
    with torch.no_grad():
        expected = gru(x)[0].numpy()
    kernel, recurrent, bias = rk.keras_gru_weights(gru)
    unswapped = [gru.weight_ih_l0.detach().numpy().T, gru.weight_hh_l0.detach().numpy().T,
                 np.stack([gru.bias_ih_l0.detach().numpy(), gru.bias_hh_l0.detach().numpy()])]
    assert np.abs(keras_gru_numpy(unswapped, x.numpy())[0] - expected).max() > 1e-2


def test_a_layer_the_converter_does_not_take_is_refused_by_name():
    with pytest.raises(TypeError, match="nn.LSTM"):
        rk.keras_lstm_weights(nn.GRU(3, 4))
    with pytest.raises(TypeError, match="nn.GRU"):
        rk.keras_gru_weights(nn.RNN(3, 4))
    with pytest.raises(ValueError, match="num_layers=2"):
        rk.keras_lstm_weights(nn.LSTM(3, 4, num_layers=2))
    with pytest.raises(ValueError, match="bidirectional"):
        rk.keras_gru_weights(nn.GRU(3, 4, bidirectional=True))
    with pytest.raises(ValueError, match="proj_size"):
        rk.keras_lstm_weights(nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(TypeError, match="nn.LSTM or torch.nn.GRU"):
        rk.to_keras(nn.RNN(3, 4))


def test_a_layer_without_bias_converts_with_zero_biases():
    lstm = nn.LSTM(3, 4, bias=False)
    assert not rk.keras_lstm_weights(lstm)[2].any()
    assert rk.keras_gru_weights(nn.GRU(3, 4, bias=False))[2].shape == (2, 12)


def test_without_keras_the_error_names_the_extra_to_install(monkeypatch):
    real = rk.importlib.util.find_spec
    monkeypatch.setattr(rk.importlib.util, "find_spec", lambda name, *a: None if name == "keras" else real(name, *a))
    with pytest.raises(ImportError, match=r'pip install "rnnlab\[keras\]"'):
        rk.require_keras()
    with pytest.raises(ImportError, match=r'pip install "rnnlab\[keras\]"'):
        rk.lstm_to_keras(nn.LSTM(3, 4))
    assert rk.keras_available() is False


def test_another_keras_backend_is_refused_with_what_to_change(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    with pytest.raises(ImportError, match="KERAS_BACKEND=torch"):
        rk.require_keras()


def test_importing_the_module_chooses_the_torch_backend_and_imports_no_keras():
    import subprocess
    code = ("import os, sys; os.environ.pop('KERAS_BACKEND', None); import rnnlab.deploy.keras; "
            "print(os.environ['KERAS_BACKEND'], 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["torch", "False"]


def test_the_conventions_table_names_each_difference():
    table = rk.conventions_markdown()
    for needle in ("b_ih + b_hh", "r, z, n", "z, r, h", "reset_after=True", "transposes", "batch_first"):
        assert needle in table
    assert table.count("\n") == len(rk.CONVENTIONS) + 1


# ---- with Keras: the real layers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("batch, seq_len", [(1, 1), (3, 17), (8, 40)])
def test_keras_layer_equals_pytorch_outputs_and_final_states(keras, cell, batch_first, batch, seq_len):
    kind = nn.LSTM if cell == "lstm" else nn.GRU
    rnn = _randomised(kind(4, 7, batch_first=batch_first), 10 + batch)
    layer = rk.to_keras(rnn)
    g = torch.Generator().manual_seed(seq_len)
    x = torch.randn((batch, seq_len, 4) if batch_first else (seq_len, batch, 4), generator=g)
    diffs = rk.max_difference(rnn, layer, x)
    assert set(diffs) == ({"output", "h", "c"} if cell == "lstm" else {"output", "h"})
    assert max(diffs.values()) < TOL, diffs
    h0 = torch.randn(1, batch, 7, generator=g)
    state = (h0, torch.randn(1, batch, 7, generator=g)) if cell == "lstm" else h0
    diffs = rk.max_difference(rnn, layer, x, state)                 # a given initial state is carried in
    assert max(diffs.values()) < TOL, diffs


def test_keras_forward_returns_pytorch_layouts(keras):
    lstm = _randomised(nn.LSTM(4, 6), 0)                              # time-major, like PyTorch's default
    out, (h, c) = rk.keras_forward(rk.lstm_to_keras(lstm), torch.randn(5, 2, 4), batch_first=False)
    assert out.shape == (5, 2, 6) and h.shape == (1, 2, 6) and c.shape == (1, 2, 6)
    out, h = rk.keras_forward(rk.gru_to_keras(_randomised(nn.GRU(4, 6, batch_first=True), 1)), torch.randn(2, 5, 4))
    assert out.shape == (2, 5, 6) and h.shape == (1, 2, 6)


def _keras_layer_with(keras, kind: str, rnn: nn.RNNBase, weights, **kwargs):
    layer = getattr(keras.layers, kind)(rnn.hidden_size, return_sequences=True, return_state=True, **kwargs)
    layer.build((None, None, rnn.input_size))
    layer.set_weights(weights)
    return layer


def test_plausible_conversion_bugs_give_different_outputs_in_keras(keras):
    torch.manual_seed(0)
    x = torch.randn(3, 12, 4)
    gru = _randomised(nn.GRU(4, 6, batch_first=True), 20)
    lstm = _randomised(nn.LSTM(4, 6, batch_first=True), 21)
    np_ = lambda t: t.detach().numpy()  # noqa: E731
    gru_unswapped = [np_(gru.weight_ih_l0).T, np_(gru.weight_hh_l0).T, np.stack([np_(gru.bias_ih_l0),
                                                                                np_(gru.bias_hh_l0)])]
    kernel, recurrent, bias = rk.keras_gru_weights(gru)
    gru_summed = [kernel, recurrent, bias.sum(0)]                      # one bias, reset before the product
    kernel, recurrent, bias = rk.keras_lstm_weights(lstm)
    lstm_one_bias = [kernel, recurrent, np_(lstm.bias_ih_l0)]          # b_hh forgotten
    h = lstm.hidden_size
    ifgo_to_ifog = np.r_[0:2 * h, 3 * h:4 * h, 2 * h:3 * h]            # "Keras is i, f, o, c": wrong
    lstm_reordered = [kernel[:, ifgo_to_ifog], recurrent[:, ifgo_to_ifog], bias[ifgo_to_ifog]]
    bugs = {"GRU gates in PyTorch's r, z, n order": (gru, _keras_layer_with(keras, "GRU", gru, gru_unswapped)),
            "GRU biases summed, reset_after=False":
                (gru, _keras_layer_with(keras, "GRU", gru, gru_summed, reset_after=False)),
            "LSTM with only b_ih": (lstm, _keras_layer_with(keras, "LSTM", lstm, lstm_one_bias)),
            "LSTM gates reordered to i, f, o, c": (lstm, _keras_layer_with(keras, "LSTM", lstm, lstm_reordered))}
    for name, (rnn, layer) in bugs.items():
        assert rk.max_difference(rnn, layer, x)["output"] > 1e-2, f"the bug '{name}' went unnoticed"
    assert max(rk.max_difference(gru, rk.gru_to_keras(gru), x).values()) < TOL   # and the converter is right


def test_the_whole_char_model_in_keras_gives_the_same_logits(keras):
    from rnnlab.models.charlm import CharLM
    for cell in ("lstm", "gru"):
        torch.manual_seed(0)
        model = CharLM(11, 8, cell=cell).eval()
        net = rk.charlm_to_keras(model)
        ids = torch.randint(0, 11, (2, 13))
        with torch.no_grad():
            expected, _ = model(ids)
        got = net(ids.int()).detach().cpu()                             # a tensor (on the GPU where there is one)
        assert got.shape == (2, 13, 11) and float((got - expected).abs().max()) < TOL
    with pytest.raises(TypeError, match="embedding"):
        rk.charlm_to_keras(nn.LSTM(3, 4))


def test_relative_difference_divides_by_the_size_of_the_values(keras):
    lstm = _randomised(nn.LSTM(4, 6, batch_first=True), 30)
    layer = rk.lstm_to_keras(lstm)
    x = torch.randn(2, 9, 4)
    absolute = rk.max_difference(lstm, layer, x)
    relative = rk.max_difference(lstm, layer, x, relative=True)
    with torch.no_grad():
        _, (_, c) = lstm(x)
    assert relative["c"] == pytest.approx(absolute["c"] / float(c.abs().max()))


# ---- found by trying what users do (each failed, or was silently wrong, before the fix) -------------------------

def test_a_whole_model_passed_for_the_layer_names_the_layer_inside():
    from rnnlab.models.charlm import CharLM
    model = CharLM(11, 8, cell="gru")
    for convert in (rk.to_keras, rk.keras_gru_weights):
        with pytest.raises(TypeError, match=r"whole model; pass its recurrent layer, model\.rnn"):
            convert(model)
    with pytest.raises(ValueError, match=r"proj_size=2: .*proj_size=0 only"):
        rk.keras_lstm_weights(nn.LSTM(3, 4, proj_size=2))


def test_keras_missing_by_hiding_the_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)               # what `import keras` sees when it is absent
    with pytest.raises(ImportError, match=r'pip install "rnnlab\[keras\]"'):
        rk.gru_to_keras(nn.GRU(3, 4))
    assert rk.keras_available() is False
    assert len(rk.keras_gru_weights(nn.GRU(3, 4))) == 3           # the weight conversion needs no Keras


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16], ids=["float64", "float16"])
def test_a_model_in_another_dtype_converts_and_is_compared_in_its_own(keras, dtype):
    gru = _randomised(nn.GRU(4, 6), 40).to(dtype)                 # max_difference raised a dtype mismatch
    diffs = rk.max_difference(gru, rk.to_keras(gru), torch.randn(5, 2, 4))
    assert max(diffs.values()) < (TOL if dtype == torch.float64 else 5e-3), diffs


def test_keras_forward_defaults_to_the_layout_of_the_module_it_came_from(keras):
    lstm = _randomised(nn.LSTM(4, 6), 41)                         # time-major: (time, batch, features)
    x = torch.randn(9, 3, 4)
    out, (h, _) = rk.keras_forward(rk.to_keras(lstm), x)         # no batch_first: it was read as (batch, time)
    with torch.no_grad():
        expected, (h_t, _) = lstm(x)
    assert out.shape == (9, 3, 6) and float((out - expected).abs().max()) < TOL
    assert float((h - h_t).abs().max()) < TOL


def test_keras_forward_refuses_what_it_would_get_silently_wrong(keras):
    lstm = _randomised(nn.LSTM(4, 6, batch_first=True), 42)
    x = torch.randn(2, 5, 4)
    for option in ("return_state", "return_sequences"):          # outputs were split along the batch
        with pytest.raises(ValueError, match=f"{option}=False"):
            rk.keras_forward(rk.to_keras(lstm, **{option: False}), x)
    layer = rk.to_keras(lstm)
    with pytest.raises(ValueError, match=r"state h has shape \(2, 6\), expected \(1, batch, hidden_size\)"):
        rk.keras_forward(layer, x, (torch.zeros(2, 6), torch.zeros(2, 6)))   # [-1] took the last example's row
    with pytest.raises(ValueError, match=r"\(h, c\), two tensors"):
        rk.keras_forward(layer, x, torch.zeros(1, 2, 6))
    with pytest.raises(ValueError, match="7 features in its last axis, the layer takes 4"):
        rk.keras_forward(layer, torch.randn(2, 5, 7))


def test_a_char_model_with_layers_keras_would_leave_out_is_refused(keras):
    from rnnlab.models.charlm import CharLM
    model = CharLM(11, 8, cell="lstm")
    model.norm = nn.LayerNorm(8)                                  # a layer charlm_to_keras does not copy
    with pytest.raises(TypeError, match=r"besides .* \(norm\)"):
        rk.charlm_to_keras(model)
    model = CharLM(11, 8, cell="lstm")
    model.embedding.max_norm = 1.0
    with pytest.raises(ValueError, match="max_norm=1.0"):
        rk.charlm_to_keras(model)

