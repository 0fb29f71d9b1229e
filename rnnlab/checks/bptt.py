"""Exercise checks for notebooks 02 (backpropagation through time) and 03 (vanishing and exploding gradients):
the backward pass, a central-difference gradient, the Jacobian product dh_T/dh_{T-k}, and gradient clipping.

Each check compares a wrong answer with the reference's known mistaken variants (the backward pass without the
carried gradient, with tanh' at the wrong step, with a transposed W_hh; a one-sided difference; the Jacobian
factors in the wrong order; clipping in place or element by element ...) and names the one it equals in words.

References: Werbos 1990 (BPTT); Pascanu, Mikolov & Bengio 2013 (the Jacobian product and gradient clipping).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnlab.checks.core import ExerciseFailure, check_exercise, compare_arrays, matches, name_mistake, student_answer
from rnnlab.models.numpy_rnn import clip_grad_norm, hidden_jacobians, init_params, mse_loss, rnn_backward, rnn_forward

GRAD_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def _problem(seed: int = 0, batch: int = 3, time: int = 5, inputs: int = 4, hidden: int = 6, outputs: int = 2):
    rng = np.random.default_rng(seed)
    params = init_params(inputs, hidden, outputs, seed=seed)
    params["b_h"] = rng.normal(size=hidden) * 0.1
    x = rng.normal(size=(batch, time, inputs))                     # (batch, time, input)
    h0 = rng.normal(size=(batch, hidden)) * 0.5                    # (batch, hidden)
    y, cache = rnn_forward(params, x, h0)
    _, dy = mse_loss(y, rng.normal(size=y.shape))                  # dL/dy: (batch, time, output)
    return params, cache, dy


BACKWARD_MISTAKES = {
    "no_carry": "the gradient does not flow back through time: at step t, dh must be dy[:, t] @ W_hy plus the "
                "gradient carried back from step t+1 (dh_next = da @ W_hh); you used dy[:, t] @ W_hy alone",
    "tanh_prev": "tanh' was taken at the previous state: h_t = tanh(a_t), so da = dh * (1 - h_t**2) with "
                 "h_t = hs[:, t], not hs[:, t-1]",
    "tanh_prev_h0": "tanh' was taken at the previous state: h_t = tanh(a_t), so da = dh * (1 - h_t**2) with "
                    "h_t = hs[:, t], not h_{t-1}",
    "no_tanh": "the tanh derivative is missing: da = dh * (1 - hs[:, t]**2) before the weight gradients and the "
               "carry",
    "carry_dh": "you carried dh @ W_hh back to step t-1: the gradient must pass through tanh' first, "
                "dh_next = da @ W_hh with da = dh * (1 - h_t**2)",
    "carry_T": "you carried da @ W_hh.T back: the row form of W_hh^T da is da @ W_hh (no transpose)",
    "WhhT": "the gradient of W_hh is transposed: W_hh is square, so the shape cannot show it; "
            "dW_hh += da.T @ h_prev, (hidden_out, hidden_in) like W_hh itself",
    "h0_last": "at t = 0 the previous state is h0: you used hs[:, -1] (hs[:, t-1] with t = 0 wraps around to the "
               "last state); use h_prev = h0 at the first step",
    "h0_zero": "at t = 0 the previous state is h0, not zeros: use h_prev = h0 at the first step",
    "forward_loop": "the loop runs forward in time: the gradient is carried from step t+1 back to step t, so "
                    "loop over reversed(range(T))",
    "h_prev_now": "the previous state is off by one step: you used h_prev = hs[:, t], the state step t computes; "
                  "W_hh multiplies the state before it, h_prev = hs[:, t-1] (and h0 at t = 0)",
    "h_prev_now_h0": "the previous state is off by one step: you used h_prev = hs[:, t], the state step t "
                     "computes; W_hh multiplies the state before it, h_prev = hs[:, t-1] (and h0 at t = 0)",
}


def _backward_with(mistake: str | None, dy: np.ndarray, x: np.ndarray, h0: np.ndarray, hs: np.ndarray,
                   W_hh: np.ndarray, W_hy: np.ndarray) -> dict[str, np.ndarray]:
    """BPTT for the tanh RNN written the way the exercise asks, with one known `mistake` made (a key of
    BACKWARD_MISTAKES; None: the right answer). Shapes as in `check_rnn_backward`."""
    batch, T, H = hs.shape
    grads = {"W_xh": np.zeros((H, x.shape[2])), "W_hh": np.zeros_like(W_hh), "b_h": np.zeros(H),
             "W_hy": np.einsum("bto,bth->oh", dy, hs), "b_y": dy.sum(axis=(0, 1))}
    dh_next = np.zeros((batch, H))
    order = range(T) if mistake == "forward_loop" else reversed(range(T))
    for t in order:
        h_prev = hs[:, t - 1] if t > 0 else {"h0_last": hs[:, -1], "h0_zero": 0 * h0}.get(mistake or "", h0)
        if mistake == "h_prev_now" or (mistake == "h_prev_now_h0" and t > 0):
            h_prev = hs[:, t]                                        # the state of step t itself: off by one
        dh = dy[:, t] @ W_hy + (0 if mistake == "no_carry" else dh_next)      # (batch, hidden): dL/dh_t
        h_t = {"tanh_prev": hs[:, t - 1], "tanh_prev_h0": hs[:, t - 1] if t > 0 else h0}.get(mistake or "", hs[:, t])
        da = dh if mistake == "no_tanh" else dh * (1 - h_t**2)              # (batch, hidden): dL/da_t
        grads["W_xh"] += da.T @ x[:, t]
        grads["W_hh"] += h_prev.T @ da if mistake == "WhhT" else da.T @ h_prev
        grads["b_h"] += da.sum(axis=0)
        dh_next = dh @ W_hh if mistake == "carry_dh" else da @ W_hh.T if mistake == "carry_T" else da @ W_hh
    return grads


def _same_grads(got: dict, expected: dict) -> bool:
    return all(matches(got.get(k), expected[k], atol=1e-8) for k in GRAD_NAMES)


def check_rnn_backward(rnn_backward_fn: Callable) -> bool:
    """rnn_backward_fn(dy, x, h0, hs, W_hh, W_hy) -> dict of gradients with keys W_xh, W_hh, b_h, W_hy, b_y,
    for the tanh RNN; dy: (batch, time, output), x: (batch, time, input), hs: (batch, time, hidden).

    Names, in words, each of the mistakes in BACKWARD_MISTAKES (the carry missing or taken before tanh', tanh'
    missing or at h_{t-1}, W_hh's gradient or the carry transposed, hs[:, -1] or zeros in place of h0, hs[:, t] in
    place of h_{t-1}, a loop forward in time) and a b_y gradient not summed over batch and time; other errors
    are located by the first gradient that differs.
    """

    def test() -> None:
        for seed, time in ((0, 5), (1, 1)):                          # also a 1-step sequence
            params, cache, dy = _problem(seed, time=time)
            expected = rnn_backward(params, cache, dy)
            args = (dy, cache["x"], cache["h0"], cache["hs"], params["W_hh"], params["W_hy"])
            got = student_answer(rnn_backward_fn, *args, like=expected)
            if not isinstance(got, dict):
                raise ExerciseFailure(f"return a dict of gradients with keys {list(GRAD_NAMES)}, "
                                      f"got {type(got).__name__}")
            missing = [k for k in GRAD_NAMES if k not in got]
            if missing:
                raise ExerciseFailure(f"your dict has no gradient for {missing}")
            by_shape = tuple(getattr(got["b_y"], "shape", np.shape(got["b_y"])))
            summed_over = {tuple(dy.sum(axis=0).shape): "the batch only", tuple(dy.sum(axis=1).shape): "time only",
                           tuple(dy.shape): "neither batch nor time"}
            if by_shape != expected["b_y"].shape and by_shape in summed_over:
                raise ExerciseFailure(f"the gradient of b_y has shape {by_shape}: you summed dy over "
                                      f"{summed_over[by_shape]}; b_y is added at every step of every sequence, so "
                                      "its gradient is dy summed over batch and time, dy.sum(axis=(0, 1)), shape "
                                      f"{tuple(expected['b_y'].shape)}")
            if not _same_grads(got, expected):
                for mistake, message in BACKWARD_MISTAKES.items():
                    wrong = _backward_with(mistake, *args)
                    if not _same_grads(wrong, expected) and _same_grads(got, wrong):
                        raise ExerciseFailure(message)
            for name in GRAD_NAMES:
                compare_arrays(f"the gradient of {name}" + (" (1-step sequence)" if time == 1 else ""),
                               got[name], expected[name], atol=1e-8)

    return check_exercise("backward pass (BPTT)", test)


def _numerical_with(mistake: str, f: Callable[[], float], x: np.ndarray, eps: float) -> np.ndarray:
    """A finite-difference gradient of f() with respect to x (nudged in place and restored) with a known mistake:
    "forward" (f(x+eps) - f(x)) / eps, "backward" (f(x) - f(x-eps)) / eps, "over_eps" the central difference
    divided by eps instead of 2 eps, "rows" x[i] for i in range(len(x)) (a whole row nudged at once)."""
    g = np.zeros_like(x)
    f0 = f()
    indices = [(i,) for i in range(len(x))] if mistake == "rows" else list(np.ndindex(x.shape))
    for i in indices:
        old = x[i]                                                   # for "rows" a view, as in the student's code
        x[i] = old + eps
        plus = f()
        x[i] = old - eps
        minus = f()
        x[i] = old
        g[i] = {"forward": (plus - f0) / eps, "backward": (f0 - minus) / eps, "over_eps": (plus - minus) / eps,
                "precedence": (plus - minus) / 2 * eps}.get(mistake, (plus - minus) / (2 * eps))
    return g


_NUMERICAL_MISTAKES = {
    "forward": "you used a one-sided difference (f(x+eps) - f(x)) / eps: its error is about eps/2 * f'' "
               "(here 1e-5), the central difference (f(x+eps) - f(x-eps)) / (2 eps) is off by about eps**2",
    "backward": "you used a one-sided difference (f(x) - f(x-eps)) / eps: its error is about eps/2 * f'', use the "
                "central difference (f(x+eps) - f(x-eps)) / (2 eps)",
    "over_eps": "your gradient is twice the right one: the central difference divides by 2 eps, "
                "(f(x+eps) - f(x-eps)) / (2 eps)",
    "precedence": "your gradient is eps**2 times the right one: (plus - minus) / 2 * eps divides by 2 and then "
                  "multiplies by eps (operator precedence: / and * go left to right); write "
                  "(plus - minus) / (2 * eps)",
    "rows": "x[i] with i in range(len(x)) nudges a whole row of a 2-D array at once: loop over every entry with "
            "`for i in np.ndindex(x.shape)`",
}


def _name_numerical_mistake(got: object, f: Callable[[], float], x: np.ndarray, eps: float,
                            expected: np.ndarray, mistakes: tuple[str, ...]) -> None:
    if matches(got, expected, atol=1e-7):
        return
    if matches(got, np.zeros_like(expected), atol=1e-12):
        raise ExerciseFailure("your gradient is zero everywhere: f() reads x itself, so nudge the entries of x "
                              "in place (x[i] = old + eps), not of a copy of x")
    name_mistake(got, [(_numerical_with(m, f, x, eps), _NUMERICAL_MISTAKES[m]) for m in mistakes],
                 reference=expected, atol=1e-9, rtol=1e-7)


def check_numerical_gradient(numerical_gradient_fn: Callable) -> bool:
    """numerical_gradient_fn(f, x, eps) -> array like x: central differences of f() while nudging x in place.

    Names, in words: x not restored; a one-sided difference (forward or backward); dividing by eps instead of
    2 eps; `/ 2 * eps` (operator precedence: eps**2 times the gradient); a gradient of zeros (a copy of x
    nudged); range(len(x)) on a 2-D array.
    """

    def test() -> None:
        x = np.linspace(-1.0, 1.0, 5)
        before = x.copy()
        cube = lambda: float(np.sum(x**3))                          # noqa: E731
        got = student_answer(numerical_gradient_fn, cube, x, 1e-5, like=x)
        if not np.array_equal(x, before):
            raise ExerciseFailure("x changed: put every entry back after nudging it")
        _name_numerical_mistake(got, cube, x, 1e-5, 3 * x**2, ("forward", "backward", "over_eps", "precedence"))
        compare_arrays("gradient of sum(x**3)", got, 3 * x**2, atol=1e-7)
        A = np.arange(6.0).reshape(2, 3) / 10                       # a 2-D array too
        sines = lambda: float(np.sum(np.sin(A)))                    # noqa: E731
        got = student_answer(numerical_gradient_fn, sines, A, 1e-5, like=A)
        _name_numerical_mistake(got, sines, A, 1e-5, np.cos(A), ("rows",))
        compare_arrays("gradient of sum(sin(A)) for a (2, 3) array", got, np.cos(A), atol=1e-7)
        # one-sided differences are off by ~eps/2 * f''; central ones by ~eps^2
        got = student_answer(numerical_gradient_fn, lambda: float(np.exp(x[2])), x, 1e-3, like=x)
        compare_arrays("gradient of exp(x[2])", got, np.eye(5)[2] * np.exp(x[2]), atol=1e-3)
        if abs(got[2] - 1.0) > 1e-5:
            raise ExerciseFailure(f"d exp(x)/dx at 0 came out {got[2]:.8f}, expected 1 to within 1e-6: "
                                  "use the central difference (f(x+eps) - f(x-eps)) / (2 eps)")

    return check_exercise("central-difference gradient", test)


def _jacobian_mistakes(W_hh: np.ndarray, hs: np.ndarray, k: int) -> list[tuple[np.ndarray, str]]:
    """dh_T/dh_{T-k} computed with each known mistake, and the message that names it. hs: (T, hidden)."""
    def product(factors: list[np.ndarray]) -> np.ndarray:
        P = np.eye(W_hh.shape[0])
        for J in factors:
            P = P @ J
        return P

    d = 1 - hs**2                                                   # (T, hidden): tanh'(a_t) = 1 - h_t^2
    last = list(range(len(hs) - 1, len(hs) - 1 - k, -1))             # T, T-1, ..., T-k+1 (0-based rows of hs)
    return [
        (product([W_hh @ np.diag(d[t]) for t in last]),
         "each factor is W_hh @ diag(1 - h**2): the one-step Jacobian is dh_t/dh_{t-1} = diag(1 - h_t**2) @ W_hh "
         "(tanh' scales the rows, the outputs of W_hh)"),
        (product([np.diag(d[t]) @ W_hh for t in last[::-1]]),
         f"k={k}: the factors are multiplied in the wrong order: dh_T/dh_(T-k) = J_T @ J_(T-1) @ ... @ J_(T-k+1), "
         "the latest step on the left"),
        (product([np.diag(d[t]) @ W_hh for t in range(k)]),
         "you used the first states h_1, ..., h_k: the product runs back from the end, J_T J_(T-1) ..., with "
         "h_T = hs[-1], h_(T-1) = hs[-2], ..."),
        (product([np.diag(d[t - 1]) @ W_hh for t in last if t >= 1]) if k < len(hs) else None,
         "off by one: J_T uses h_T = hs[-1] itself (dh_T/dh_(T-1) = diag(1 - hs[-1]**2) @ W_hh); you started "
         "from hs[-2]"),
        (product([np.diag(1 - hs[t]) @ W_hh for t in last]),
         "tanh's derivative is 1 - h**2 (squared); you used 1 - h"),
        (np.linalg.matrix_power(W_hh, k), "the tanh derivative is missing: each factor is diag(1 - h_t**2) @ W_hh, "
                                         "not W_hh alone"),
    ]


def check_jacobian_product(jacobian_product_fn: Callable) -> bool:
    """jacobian_product_fn(W_hh, hs, k) -> dh_T/dh_{T-k}: (hidden, hidden) for a tanh RNN, where hs: (T, hidden)
    holds h_1..h_T of one sequence (hs[-1] is h_T).

    Names, in words: factors W_hh @ diag(...) instead of diag(...) @ W_hh; the factors in the wrong order; the
    first states used instead of the last; an off-by-one start; 1 - h instead of 1 - h**2; tanh' missing.
    """

    def test() -> None:
        params, cache, _ = _problem(2, batch=1, time=6)
        hs, a, W_hh = cache["hs"][0], cache["a"][0], params["W_hh"]
        J = hidden_jacobians(W_hh, a, hs)                           # (time, hidden, hidden)
        got = student_answer(jacobian_product_fn, W_hh, hs, 0, like=W_hh)
        compare_arrays("dh_T/dh_T (k=0: the identity)", got, np.eye(W_hh.shape[0]))
        expected = np.eye(W_hh.shape[0])
        for k in range(1, 7):
            expected = expected @ J[-k]                              # J_T J_{T-1} ... J_{T-k+1}
            got = student_answer(jacobian_product_fn, W_hh, hs, k, like=expected)
            if not matches(got, expected, atol=1e-8):
                name_mistake(got, [(w, m) for w, m in _jacobian_mistakes(W_hh, hs, k) if w is not None],
                             reference=expected, atol=1e-8)
            compare_arrays(f"dh_T/dh_(T-{k})", got, expected, atol=1e-8)

    return check_exercise("Jacobian product", test)


def check_clip_gradients(clip_fn: Callable) -> bool:
    """clip_fn(grads: dict, threshold) -> dict: all gradients scaled by threshold/||g|| when the global norm
    ||g|| (over every array together) exceeds threshold; unchanged otherwise. The input dict's arrays must not
    change (a new dict is returned).

    Names, in words: clipping in place (the input's arrays changed); one norm per array; element-wise clipping
    (np.clip); rescaling below the threshold too; the factor upside down (||g|| / threshold).
    """

    def test() -> None:
        rng = np.random.default_rng(0)
        grads = {"W": rng.normal(size=(3, 4)) * 10, "b": rng.normal(size=3) * 10}
        given = {k: v.copy() for k, v in grads.items()}              # what the student's function receives
        expected, norm = clip_grad_norm(grads, 1.0)
        got = student_answer(clip_fn, given, 1.0, like=expected)
        if not all(np.array_equal(given[k], grads[k]) for k in grads):
            raise ExerciseFailure("you changed the input dict's arrays in place (g *= ... or g[...] = ...): the "
                                  "exercise asks for a new dict and leaves the gradients it is given untouched; "
                                  "write {name: g * scale for name, g in grads.items()}")
        if not isinstance(got, dict) or set(got) != set(grads):
            raise ExerciseFailure(f"return a dict of gradients with the keys {sorted(grads)}, got "
                                  f"{sorted(got) if isinstance(got, dict) else type(got).__name__}")
        per_array = {k: v / max(1.0, np.linalg.norm(v)) for k, v in grads.items()}
        if all(matches(got[k], per_array[k]) for k in grads):
            raise ExerciseFailure("each array was clipped on its own: use one norm over all arrays together")
        if all(matches(got[k], np.clip(grads[k], -1.0, 1.0)) for k in grads):
            raise ExerciseFailure("each element was clipped to [-threshold, threshold] (np.clip): clipping by the "
                                  "norm rescales all gradients by one factor, threshold / ||g||, which keeps their "
                                  "direction")
        if all(matches(got[k], grads[k] * norm) for k in grads):
            raise ExerciseFailure("the factor is upside down: scale by threshold / ||g||, not ||g|| / threshold")
        for k in grads:
            compare_arrays(f"clipped gradient {k!r} (norm {norm:.3g} > threshold 1)", got[k], expected[k])
        small = {k: v / 100 for k, v in grads.items()}
        given = {k: v.copy() for k, v in small.items()}
        got = student_answer(clip_fn, given, 1.0, like=small)
        if not isinstance(got, dict) or set(got) != set(grads):
            raise ExerciseFailure("below the threshold, return the dict of gradients unchanged")
        small_norm = float(np.sqrt(sum((v**2).sum() for v in small.values())))
        if all(matches(got[k], small[k] / small_norm) for k in grads):
            raise ExerciseFailure(f"you rescaled gradients whose norm ({small_norm:.3g}) is below the threshold 1: "
                                  "clip only when ||g|| > threshold, and return them unchanged otherwise")
        for k in grads:
            compare_arrays(f"gradient {k!r} below the threshold (should be unchanged)", got[k], small[k])

    return check_exercise("gradient clipping", test)
