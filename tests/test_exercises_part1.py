"""Each end-of-notebook exercise of notebooks 00, 01, 02 and 10 can be done with the installed package (no edit
under rnnlab/): a tiny version (a few steps) of each reference solution runs here, with a value a wrong
solution would change. Exercises that ask only for an explanation (00 ex. 2, 01 ex. 3) have no code."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from rnnlab.utils import set_progress

set_progress(False)


# ---- notebook 00 -------------------------------------------------------------------------------------------

def _autocorrelation(x: np.ndarray, lag: int) -> float:
    return float(np.corrcoef(x[:-lag], x[lag:])[0, 1])


def test_00_ex1_lag7_autocorrelation_of_rain_is_below_temperature():
    from rnnlab.data.timeseries import load_seattle_weather

    weather = load_seattle_weather()
    rain = _autocorrelation(weather["precipitation"].to_numpy(), 7)
    temp = _autocorrelation(weather["temp_max"].to_numpy(), 7)
    assert -0.2 < rain < 0.3 < temp, (rain, temp)   # rain is far less predictable a week ahead


def test_00_ex3_mlp_trained_on_every_position():
    from rnnlab.experiments.sequences import MotifConfig, run_motif

    config = MotifConfig(model="mlp", train_positions="0,22", steps=3, n_train=64, n_test=32, progress=False)
    result = run_motif(config)
    assert result.history.steps[-1] == 3 and 0 <= result.metrics["accuracy_unseen_positions"] <= 1


def test_00_ex4_seq_len_48_grows_the_mlp_not_the_gru():
    from rnnlab.experiments.sequences import MotifConfig, run_motif

    params = {}
    for seq_len, test_positions in ((24, "14,22"), (48, "38,46")):
        for name in ("mlp", "gru"):
            config = MotifConfig(model=name, seq_len=seq_len, test_positions=test_positions, steps=1, n_train=16,
                                 n_test=8, progress=False)
            params[name, seq_len] = run_motif(config).metrics["parameters"]
    assert params["mlp", 48] - params["mlp", 24] == 24 * 5 * 32        # one weight per position, token, unit
    assert params["gru", 48] == params["gru", 24]                       # shared weights: no growth


def test_00_ex5_run_motif_trains_a_students_last_state_model():
    from rnnlab.experiments.sequences import MotifConfig, run_motif
    from rnnlab.models import SequenceModel

    torch.manual_seed(0)
    last_state = SequenceModel("gru", 8, 32, 1, vocab_size=5, many_to_one=True)
    before = [p.detach().clone() for p in last_state.parameters()]
    result = run_motif(MotifConfig(model="gru", steps=3, n_train=64, n_test=32, progress=False), model=last_state)
    assert result.model is last_state
    assert any(not torch.equal(a, b) for a, b in zip(before, last_state.parameters(), strict=True))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        run_motif(MotifConfig(steps=1, progress=False), model="gru")


# ---- notebook 01 -------------------------------------------------------------------------------------------

def test_01_ex1_relu_step_equals_torch_and_grows_at_scale_1_5():
    from rnnlab.widgets.recurrence import encode_text

    def relu_step(x_t, h_prev, W_xh, W_hh, b_h):
        return np.maximum(0, x_t @ W_xh.T + h_prev @ W_hh.T + b_h)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 4))
    W_xh, W_hh, b_h = rng.normal(size=(8, 4)), rng.normal(size=(8, 8)) * 0.3, rng.normal(size=8) * 0.1
    h, hs = np.zeros((2, 8)), []
    for t in range(7):
        h = relu_step(x[:, t], h, W_xh, W_hh, b_h)
        hs.append(h)
    torch_rnn = nn.RNN(4, 8, nonlinearity="relu", batch_first=True).double()
    with torch.no_grad():
        torch_rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh))
        torch_rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh))
        torch_rnn.bias_ih_l0.copy_(torch.from_numpy(b_h))
        torch_rnn.bias_hh_l0.zero_()
        expected = torch_rnn(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(np.stack(hs, axis=1), expected, atol=1e-12)

    x_text, _ = encode_text("the cat sat on the mat and the dog sat on the log")     # section 7 at scale 1.5
    rng = np.random.default_rng(0)
    W_xh, W_hh = rng.normal(0, 1, (16, x_text.shape[-1])), rng.normal(0, 1.5 / 4, (16, 16))
    h, norms = np.zeros((1, 16)), []
    for t in range(x_text.shape[1]):
        h = relu_step(x_text[:, t], h, W_xh, W_hh, np.zeros(16))
        norms.append(np.abs(h).max())
    assert max(norms) > 3       # no ceiling: unlike tanh, the state is not kept inside (-1, 1)


def test_01_ex2_bidirectional_from_two_passes_equals_torch():
    from rnnlab.models.numpy_rnn import rnn_hidden_states

    torch.manual_seed(0)
    rnn = nn.RNN(3, 5, batch_first=True, bidirectional=True).double()
    x = np.random.default_rng(1).normal(size=(2, 6, 3))
    w = {k: v.detach().numpy() for k, v in rnn.named_parameters()}
    h0 = np.zeros((2, 5))
    forward = rnn_hidden_states(x, h0, w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"] + w["bias_hh_l0"])
    backward = rnn_hidden_states(x[:, ::-1], h0, w["weight_ih_l0_reverse"], w["weight_hh_l0_reverse"],
                                 w["bias_ih_l0_reverse"] + w["bias_hh_l0_reverse"])[:, ::-1]
    with torch.no_grad():
        expected = rnn(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(np.concatenate([forward, backward], axis=-1), expected, atol=1e-12)


# ---- notebook 02 -------------------------------------------------------------------------------------------

def test_02_ex1_gradient_with_respect_to_h0_passes_a_gradient_check():
    from rnnlab.gradcheck import gradient_check
    from rnnlab.models.numpy_rnn import init_params, rnn_backward, rnn_forward, softmax_cross_entropy

    params = init_params(3, 5, 3, seed=0)
    rng = np.random.default_rng(0)
    x, targets, h0 = rng.normal(size=(2, 4, 3)), rng.integers(0, 3, size=(2, 4)), rng.normal(size=(2, 5)) * 0.5

    def loss() -> float:
        return softmax_cross_entropy(rnn_forward(params, x, h0)[0], targets)[0]

    y, cache = rnn_forward(params, x, h0)
    _, dy = softmax_cross_entropy(y, targets)
    grads = rnn_backward(params, cache, dy)
    assert gradient_check(loss, {"h0": h0}, {"h0": grads["h0"]})["h0"] < 1e-6


def test_02_ex2_relu_backward_matches_torch():
    from solutions import torch_twin

    from rnnlab.models.numpy_rnn import init_params, rnn_backward, rnn_forward, softmax_cross_entropy

    params = init_params(3, 5, 3, seed=1)
    rng = np.random.default_rng(1)
    x, targets = rng.normal(size=(2, 4, 3)), rng.integers(0, 3, size=(2, 4))
    y, cache = rnn_forward(params, x, activation="relu")
    _, dy = softmax_cross_entropy(y, targets)
    grads = rnn_backward(params, cache, dy)
    rnn, head = torch_twin(params, nonlinearity="relu")
    logits = head(rnn(torch.from_numpy(x))[0])
    nn.functional.cross_entropy(logits.flatten(0, 1), torch.from_numpy(targets).flatten()).backward()
    np.testing.assert_allclose(grads["W_hh"], rnn.weight_hh_l0.grad.numpy(), atol=1e-12)


def test_02_ex3_truncation_error_is_larger_with_a_longer_memory():
    from rnnlab.data.synthetic import sine_waves

    def truncated_error(radius: float, k: int) -> float:
        torch.manual_seed(0)
        wave = sine_waves(2, 61, noise=0.05, seed=1).double()
        model, head = nn.RNN(1, 8, batch_first=True).double(), nn.Linear(8, 1).double()
        with torch.no_grad():
            q, _ = torch.linalg.qr(torch.randn(8, 8, dtype=torch.float64))
            model.weight_hh_l0.copy_(radius * q)

        def gradient(k: int) -> torch.Tensor:
            model.zero_grad()
            h = None
            for start in range(0, 60, k):
                out, h = model(wave[:, start:start + k], h)
                nn.functional.mse_loss(head(out), wave[:, start + 1:start + k + 1], reduction="sum").backward()
                h = h.detach()
            return model.weight_hh_l0.grad.clone()

        full = gradient(60)
        return float((gradient(k) - full).norm() / full.norm())

    assert truncated_error(0.5, 10) < truncated_error(1.0, 10)


def test_02_ex4_char_rnn_with_a_large_lr_and_no_clipping_runs():
    from rnnlab.experiments.gradients import NumpyCharRNNConfig, run_numpy_char_rnn

    result = run_numpy_char_rnn(NumpyCharRNNConfig(steps=5, lr=0.5, clip_grad_norm=None, progress=False))
    assert len(result.history["loss"]) == 5 and np.isfinite(result.history["loss"]).all()


# ---- notebook 10 -------------------------------------------------------------------------------------------

def test_10_ex1_transformer_and_lstm_at_T_200():
    from rnnlab.experiments.beyond import BeyondConfig, run_beyond
    from rnnlab.experiments.long_range import AddingConfig, run_adding

    common = dict(seq_len=200, steps=2, batch_size=4, n_test=8, eval_every=1, progress=False)
    transformer = run_beyond(BeyondConfig(model="transformer", **common))
    lstm = run_adding(AddingConfig(model="lstm", **common))
    assert transformer.metrics["steps"] == lstm.metrics["steps"] == 2
    assert transformer.metrics["baseline_mse"] == pytest.approx(lstm.metrics["baseline_mse"])   # same held-out set


def test_10_ex2_single_layer_mingru_has_fewer_parameters():
    from rnnlab.experiments.beyond import BeyondConfig, run_beyond

    common = dict(model="mingru", seq_len=20, steps=2, batch_size=4, n_test=8, eval_every=1, progress=False)
    one, two = (run_beyond(BeyondConfig(num_layers=n, **common)).metrics["parameters"] for n in (1, 2))
    # a second layer adds its two input maps (32 x 32 + 32 each) and the mixer between the layers
    assert two - one == 3 * (32 * 32 + 32)


def test_10_ex3_scan_without_logs_underflows_in_float32():
    from rnnlab.models.scan import linear_scan_sequential

    def plain_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        A = torch.cumprod(a, dim=1)                                 # a_1 ... a_t
        return A * torch.cumsum(b / A, dim=1)

    a, b = torch.full((1, 400, 2), 0.5), torch.full((1, 400, 2), 0.25)
    torch.testing.assert_close(plain_scan(a[:, :20], b[:, :20]), linear_scan_sequential(a[:, :20], b[:, :20]))
    h = plain_scan(a, b)
    bad = (~torch.isfinite(h[0, :, 0])).nonzero()
    assert len(bad) and 100 < bad[0].item() < 200                   # 0.5^t underflows float32 near t = 150


def test_10_ex4_scan_timings_is_in_the_package():
    from rnnlab.experiments.beyond import scan_timings

    rows = scan_timings([16, 32], batch=2, hidden=4, repeats=1)
    assert [r["T"] for r in rows] == [16, 32]
    for r in rows:
        assert r["loop_over_scan"] == pytest.approx(r["loop_s"] / r["scan_s"])
        assert min(r["scan_s"], r["loop_s"], r["nn_gru_s"]) > 0
    with pytest.raises(ValueError, match="lengths"):
        scan_timings([0])
