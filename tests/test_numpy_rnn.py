import numpy as np
import pytest
import torch
from solutions import torch_twin

from rnnlab.models.numpy_rnn import (
    ACTIVATIONS,
    clip_grad_norm,
    hidden_jacobians,
    init_params,
    jacobian_product_norms,
    mse_loss,
    rnn_backward,
    rnn_forward,
    rnn_hidden_states,
    rnn_loss_and_grads,
    rnn_step,
    softmax_cross_entropy,
)


def _setup(seed=0, batch=3, time=6, inputs=4, hidden=5, outputs=7):
    rng = np.random.default_rng(seed)
    params = init_params(inputs, hidden, outputs, seed=seed)
    params["b_h"] = rng.normal(size=hidden) * 0.1
    params["b_y"] = rng.normal(size=outputs) * 0.1
    x = rng.normal(size=(batch, time, inputs))
    h0 = rng.normal(size=(batch, hidden)) * 0.3
    return params, x, h0, rng


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_forward_equals_torch_rnn(nonlinearity):
    params, x, h0, _ = _setup()
    y, cache = rnn_forward(params, x, h0, activation=nonlinearity)
    rnn, head = torch_twin(params, nonlinearity)
    hs_t, h_last = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
    np.testing.assert_allclose(cache["hs"], hs_t.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(y, head(hs_t).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(rnn_hidden_states(x, h0, params["W_xh"], params["W_hh"], params["b_h"],
                                                 nonlinearity), cache["hs"])


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_all_gradients_equal_torch_autograd(loss, nonlinearity):
    params, x, h0, rng = _setup(1)
    if loss == "mse":
        targets = rng.normal(size=(3, 6, 7))
    else:
        targets = rng.integers(0, 7, size=(3, 6))
    value, grads, h_last = rnn_loss_and_grads(params, x, targets, loss=loss, h0=h0, activation=nonlinearity)
    rnn, head = torch_twin(params, nonlinearity)
    h0_t = torch.from_numpy(h0.copy())[None].requires_grad_(True)
    hs_t, _ = rnn(torch.from_numpy(x), h0_t)
    y_t = head(hs_t)
    if loss == "mse":
        loss_t = torch.nn.functional.mse_loss(y_t, torch.from_numpy(targets))
    else:
        loss_t = torch.nn.functional.cross_entropy(y_t.flatten(0, 1), torch.from_numpy(targets).flatten())
    loss_t.backward()
    assert value == pytest.approx(loss_t.item(), rel=1e-12)
    expected = {"W_xh": rnn.weight_ih_l0.grad, "W_hh": rnn.weight_hh_l0.grad, "b_h": rnn.bias_ih_l0.grad,
                "W_hy": head.weight.grad, "b_y": head.bias.grad, "h0": h0_t.grad[0]}
    np.testing.assert_allclose(rnn.bias_hh_l0.grad.numpy(), grads["b_h"], atol=1e-12)  # same gradient for both biases
    for name, g in expected.items():
        np.testing.assert_allclose(grads[name], g.numpy(), atol=1e-12, err_msg=f"gradient of {name}")
    np.testing.assert_allclose(h_last, hs_t[:, -1].detach().numpy())


def test_float32_works_and_keeps_dtype():
    params = init_params(2, 3, 2, seed=0, dtype=np.float32)
    x = np.ones((1, 4, 2), dtype=np.float32)
    y, cache = rnn_forward(params, x)
    assert y.dtype == np.float32 and cache["hs"].dtype == np.float32
    grads = rnn_backward(params, cache, np.ones_like(y))
    assert all(g.dtype == np.float32 for g in grads.values())


def test_truncated_backward_equals_full_when_window_covers_sequence_and_differs_otherwise():
    params, x, h0, rng = _setup(2, time=8)
    targets = rng.normal(size=(3, 8, 7))
    _, full, _ = rnn_loss_and_grads(params, x, targets, h0=h0)
    _, same, _ = rnn_loss_and_grads(params, x, targets, h0=h0, truncate=8)
    _, short, _ = rnn_loss_and_grads(params, x, targets, h0=h0, truncate=1)
    for name in full:
        np.testing.assert_allclose(same[name], full[name], atol=1e-12)
    assert not np.allclose(short["W_hh"], full["W_hh"])
    np.testing.assert_allclose(short["W_hy"], full["W_hy"])  # the output layer is not recurrent


def test_rnn_step_by_hand():
    W_xh, W_hh, b = np.array([[2.0]]), np.array([[0.5]]), np.array([0.1])
    h = rnn_step(np.array([[1.0]]), np.array([[-1.0]]), W_xh, W_hh, b)
    assert h[0, 0] == pytest.approx(np.tanh(2.0 - 0.5 + 0.1))


def test_losses_by_hand():
    value, grad = mse_loss(np.array([1.0, 3.0]), np.array([0.0, 1.0]))
    assert value == pytest.approx(2.5)
    np.testing.assert_allclose(grad, [1.0, 2.0])
    logits = np.zeros((1, 2, 4))
    value, grad = softmax_cross_entropy(logits, np.array([[0, 3]]))
    assert value == pytest.approx(np.log(4))
    np.testing.assert_allclose(grad[0, 0], np.array([-0.75, 0.25, 0.25, 0.25]) / 2)


def test_activations_derivatives():
    a = np.linspace(-3, 3, 13)
    for name, act in ACTIVATIONS.items():
        h = act.f(a)
        numeric = (act.f(a + 1e-6) - act.f(a - 1e-6)) / 2e-6
        np.testing.assert_allclose(act.df(a, h)[a != 0], numeric[a != 0], atol=1e-6, err_msg=name)
        assert np.abs(act.df(a, h)).max() <= act.gamma + 1e-12
    assert ACTIVATIONS["sigmoid"].f(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_hidden_jacobians_match_autograd():
    params, x, h0, _ = _setup(3, batch=1, time=5)
    _, cache = rnn_forward(params, x, h0)
    J = hidden_jacobians(params["W_hh"], cache["a"][0], cache["hs"][0])
    rnn, _ = torch_twin(params)

    def step(h):  # h_4 -> h_5 for the last step
        return torch.tanh(rnn.weight_ih_l0 @ torch.from_numpy(x[0, 4]) + rnn.bias_ih_l0 + rnn.weight_hh_l0 @ h)

    auto = torch.autograd.functional.jacobian(step, torch.from_numpy(cache["hs"][0, 3]))
    np.testing.assert_allclose(J[4], auto.detach().numpy(), atol=1e-12)
    norms = jacobian_product_norms(J)
    assert norms[0] == pytest.approx(np.linalg.norm(J[4], 2))
    assert norms[1] == pytest.approx(np.linalg.norm(J[4] @ J[3], 2))


def test_jacobian_product_norms_overflow_is_inf_without_warnings():
    J = np.tile(np.eye(3) * 1e200, (4, 1, 1))
    with np.errstate(all="raise"):
        norms = jacobian_product_norms(J)
    assert norms[0] == pytest.approx(1e200) and np.isinf(norms[1:]).all()


def test_clip_grad_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped, norm = clip_grad_norm(grads, 1.0)
    assert norm == pytest.approx(5.0)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0])
    np.testing.assert_allclose(clipped["b"], [[0.8]])
    assert grads["a"][0] == 3.0, "the input must not change"
    same, _ = clip_grad_norm(grads, 10.0)
    np.testing.assert_allclose(same["b"], grads["b"])
    with pytest.raises(ValueError, match="threshold must be > 0"):
        clip_grad_norm(grads, 0.0)


def test_init_params_seeded_and_scaled():
    a, b = init_params(3, 64, 2, seed=5), init_params(3, 64, 2, seed=5)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    scaled = init_params(3, 64, 2, seed=5, scale=0.5)
    radius = np.abs(np.linalg.eigvals(scaled["W_hh"])).max()
    assert 0.4 < radius < 0.6


def test_bad_inputs_give_clear_errors():
    params = init_params(3, 4, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, 3\)"):
        rnn_forward(params, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="axis 2 is 2, expected 3"):
        rnn_forward(params, np.zeros((2, 5, 2)))
    with pytest.raises(TypeError, match="floating-point"):
        rnn_forward(params, np.zeros((2, 5, 3), dtype=int))
    with pytest.raises(KeyError, match="missing"):
        rnn_forward({"W_xh": params["W_xh"]}, np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn_forward(params, np.zeros((2, 5, 3)), activation="gelu")
    with pytest.raises(ValueError, match=r"h0 must have .*\(2, 4\)"):
        rnn_forward(params, np.zeros((2, 5, 3)), h0=np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 2\)"):
        rnn_loss_and_grads(params, np.zeros((1, 2, 3)), np.array([[0, 5]]), loss="cross_entropy")
    with pytest.raises(ValueError, match="truncate must be >= 1"):
        rnn_loss_and_grads(params, np.zeros((1, 2, 3)), np.zeros((1, 2, 2)), truncate=0)


def test_numpy_char_rnn_experiment_learns_a_little():
    from rnnlab.experiments.gradients import NumpyCharRNNConfig, char_vocabulary, run_numpy_char_rnn

    chars, ids = char_vocabulary("abca")
    assert chars == ["a", "b", "c"] and ids.tolist() == [0, 1, 2, 0]
    r = run_numpy_char_rnn(NumpyCharRNNConfig(steps=60, hidden_size=16, progress=False, sample_length=20))
    m = r.metrics
    assert m["final_loss"] < m["initial_loss"] - 0.3
    assert m["initial_loss"] == pytest.approx(m["uniform_loss"], abs=0.1)
    assert len(r.extras["sample"]) == len("Shall I") + 20
    again = run_numpy_char_rnn(NumpyCharRNNConfig(steps=60, hidden_size=16, progress=False, sample_length=20))
    assert again.metrics["final_loss"] == m["final_loss"]  # seeded
