import numpy as np
import pytest

from rnnlab.gradcheck import gradient_check, numerical_gradient, relative_error
from rnnlab.models.numpy_rnn import init_params, rnn_loss_and_grads


def test_numerical_gradient_of_known_functions():
    x = np.linspace(-2, 2, 7)
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(np.sin(x)), x), np.cos(x), atol=1e-9)
    A = np.arange(9.0).reshape(3, 3)
    v = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(numerical_gradient(lambda: v @ A @ v, v), (A + A.T) @ v, atol=1e-7)
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(A**3), A), 3 * A**2, rtol=1e-8, atol=1e-6)


def test_numerical_gradient_restores_x():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()
    numerical_gradient(lambda: float(np.prod(x)), x)
    np.testing.assert_array_equal(x, before)


def test_central_difference_error_is_second_order():
    x = np.array([0.7])
    errors = [abs(numerical_gradient(lambda: float(np.exp(x[0])), x, eps=eps)[0] - np.exp(0.7))
              for eps in (1e-2, 1e-3)]
    assert 50 < errors[0] / errors[1] < 200  # error ~ eps^2: 10x smaller eps, ~100x smaller error


def test_relative_error():
    a = np.array([1.0, 2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        relative_error(a, np.zeros(3))


def test_gradient_check_passes_the_rnn_and_catches_a_wrong_gradient():
    params = init_params(3, 4, 5, seed=0)
    rng = np.random.default_rng(0)
    x, targets = rng.normal(size=(2, 5, 3)), rng.integers(0, 5, size=(2, 5))

    def f():
        return rnn_loss_and_grads(params, x, targets, loss="cross_entropy")[0]

    _, grads, _ = rnn_loss_and_grads(params, x, targets, loss="cross_entropy")
    errors = gradient_check(f, params, grads)
    assert set(errors) == set(params) and max(errors.values()) < 1e-6
    wrong = dict(grads, W_hh=grads["W_hh"].T)
    assert gradient_check(f, {"W_hh": params["W_hh"]}, wrong)["W_hh"] > 1e-2


def test_bad_inputs():
    x = np.zeros(3)
    with pytest.raises(TypeError, match="function of no arguments"):
        numerical_gradient(3.0, x)
    with pytest.raises(TypeError, match="floating-point"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="eps must be > 0"):
        numerical_gradient(lambda: 0.0, x, eps=0.0)
    with pytest.raises(KeyError, match="no analytic gradient for 'x'"):
        gradient_check(lambda: 0.0, {"x": x}, {})
    with pytest.raises(ValueError, match="shape"):
        gradient_check(lambda: 0.0, {"x": x}, {"x": np.zeros(4)})
