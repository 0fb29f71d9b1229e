"""The exercise checks of notebooks 01-03: the reference passes, typical mistakes get a message that names them."""

import numpy as np
import pytest

from rnnlab.checks.bptt import (
    check_clip_gradients,
    check_jacobian_product,
    check_numerical_gradient,
    check_rnn_backward,
)
from rnnlab.checks.core import ExerciseFailure
from rnnlab.checks.recurrence import check_rnn_forward, check_rnn_step
from rnnlab.gradcheck import numerical_gradient
from rnnlab.models.numpy_rnn import clip_grad_norm, rnn_backward, rnn_hidden_states, rnn_step

pytestmark = pytest.mark.usefixtures("lenient_checks")


def _verdict(capsys, check, fn):
    ok = check(fn)
    return ok, capsys.readouterr().out.strip()


def todo(*args):
    raise NotImplementedError("write it")


# ---- notebook 01 -------------------------------------------------------------------------------------------

def test_rnn_step_check(capsys):
    assert _verdict(capsys, check_rnn_step, rnn_step)[0]
    ok, out = _verdict(capsys, check_rnn_step, lambda x, h, Wx, Wh, b: x @ Wx.T + h @ Wh.T + b)
    assert not ok and "apply tanh" in out
    ok, out = _verdict(capsys, check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T))
    assert not ok and "misses the bias" in out
    ok, out = _verdict(capsys, check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + b))
    assert not ok and "does not depend on h_prev" in out
    ok, out = _verdict(capsys, check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T + b).T)
    assert not ok and "h_t has shape (6, 3), expected (3, 6)" in out
    ok, out = _verdict(capsys, check_rnn_step, lambda *a: None)
    assert not ok and "returned None" in out
    ok, out = _verdict(capsys, check_rnn_step, todo)
    assert not ok and "not done yet" in out


def test_rnn_forward_check(capsys):
    assert _verdict(capsys, check_rnn_forward, rnn_hidden_states)[0]

    def time_major(x, h0, Wx, Wh, b):
        return rnn_hidden_states(x, h0, Wx, Wh, b).transpose(1, 0, 2)

    ok, out = _verdict(capsys, check_rnn_forward, time_major)
    assert not ok and "(time, batch, hidden)" in out

    def forgets_h0(x, h0, Wx, Wh, b):
        return rnn_hidden_states(x, 0 * h0, Wx, Wh, b)

    ok, out = _verdict(capsys, check_rnn_forward, forgets_h0)
    assert not ok and "started from zeros, not from h0" in out

    def drops_recurrence_late(x, h0, Wx, Wh, b):
        hs = rnn_hidden_states(x, h0, Wx, Wh, b)
        hs[:, 3:] = np.tanh(x[:, 3:] @ Wx.T + b)
        return hs

    ok, out = _verdict(capsys, check_rnn_forward, drops_recurrence_late)
    assert not ok and "from t=3 on" in out
    ok, out = _verdict(capsys, check_rnn_forward, lambda x, h0, Wx, Wh, b: [[1 / 0]])
    assert not ok and "ZeroDivisionError" in out


def test_strict_mode_raises(monkeypatch):
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailure, match="not done yet"):
        check_rnn_step(todo)


# ---- notebook 02 -------------------------------------------------------------------------------------------

def _reference_backward(dy, x, h0, hs, W_hh, W_hy):
    params = {"W_xh": np.zeros((W_hh.shape[0], x.shape[2])), "W_hh": W_hh, "b_h": np.zeros(W_hh.shape[0]),
              "W_hy": W_hy, "b_y": np.zeros(W_hy.shape[0])}
    a = np.arctanh(hs)  # the check only gives hs; recover the pre-activation for the reference call
    return rnn_backward(params, {"x": x, "h0": h0, "hs": hs, "a": a, "activation": "tanh"}, dy)


def test_rnn_backward_check(capsys):
    assert _verdict(capsys, check_rnn_backward, _reference_backward)[0]

    def no_recurrent_gradient(dy, x, h0, hs, W_hh, W_hy):
        g = _reference_backward(dy, x, h0, hs, W_hh, W_hy)
        return {**g, "W_hh": g["W_hh"] * 0}

    ok, out = _verdict(capsys, check_rnn_backward, no_recurrent_gradient)
    assert not ok and "the gradient of W_hh" in out

    def missing(dy, x, h0, hs, W_hh, W_hy):
        g = _reference_backward(dy, x, h0, hs, W_hh, W_hy)
        del g["b_y"]
        return g

    ok, out = _verdict(capsys, check_rnn_backward, missing)
    assert not ok and "no gradient for ['b_y']" in out
    ok, out = _verdict(capsys, check_rnn_backward, lambda *a: 3)
    assert not ok and "return a dict" in out


def test_numerical_gradient_check(capsys):
    assert _verdict(capsys, check_numerical_gradient, numerical_gradient)[0]

    def one_sided(f, x, eps):
        g = np.zeros_like(x)
        base = f()
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            g[i] = (f() - base) / eps
            x[i] = old
        return g

    ok, out = _verdict(capsys, check_numerical_gradient, one_sided)
    assert not ok and ("central difference" in out or "differ" in out)

    def forgets_to_restore(f, x, eps):
        g = numerical_gradient(f, x, eps=eps)
        x += eps
        return g

    ok, out = _verdict(capsys, check_numerical_gradient, forgets_to_restore)
    assert not ok and "put every entry back" in out


# ---- notebook 03 -------------------------------------------------------------------------------------------

def _jacobian_product(W_hh, hs, k):
    J = np.eye(W_hh.shape[0])
    for h in hs[::-1][:k]:
        J = J @ (np.diag(1 - h**2) @ W_hh)
    return J


def test_jacobian_product_check(capsys):
    assert _verdict(capsys, check_jacobian_product, _jacobian_product)[0]

    def wrong_order(W_hh, hs, k):
        J = np.eye(W_hh.shape[0])
        for h in hs[::-1][:k]:
            J = (np.diag(1 - h**2) @ W_hh) @ J
        return J

    ok, out = _verdict(capsys, check_jacobian_product, wrong_order)
    assert not ok and "wrong order" in out

    def no_derivative(W_hh, hs, k):
        return np.linalg.matrix_power(W_hh, k)

    ok, out = _verdict(capsys, check_jacobian_product, no_derivative)
    assert not ok and "the tanh derivative is missing" in out

    def scaled(W_hh, hs, k):  # no known mistake: located by k
        return 1.5 * _jacobian_product(W_hh, hs, k) if k else np.eye(W_hh.shape[0])

    ok, out = _verdict(capsys, check_jacobian_product, scaled)
    assert not ok and "dh_T/dh_(T-1)" in out


def test_clip_gradients_check(capsys):
    assert _verdict(capsys, check_clip_gradients, lambda g, thr: clip_grad_norm(g, thr)[0])[0]

    def per_array(g, thr):
        return {k: v * min(1.0, thr / np.linalg.norm(v)) for k, v in g.items()}

    ok, out = _verdict(capsys, check_clip_gradients, per_array)
    assert not ok and "one norm over all arrays" in out

    def always_scales(g, thr):
        norm = np.sqrt(sum(np.sum(v**2) for v in g.values()))
        return {k: v * thr / norm for k, v in g.items()}

    ok, out = _verdict(capsys, check_clip_gradients, always_scales)
    assert not ok and "below the threshold" in out
