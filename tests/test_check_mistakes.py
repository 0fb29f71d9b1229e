"""Each wrong answer tried on the checks of notebooks 01-04 (reviews/turn3/wrong-answers/t01-t04) gets a message
that names its mistake; right answers in float32, float64 or as torch tensors are not blamed."""

from functools import partial

import numpy as np
import pytest
import torch

from rnnlab.checks.bptt import (
    check_clip_gradients,
    check_jacobian_product,
    check_numerical_gradient,
    check_rnn_backward,
)
from rnnlab.checks.cells import check_gru_cell, check_lstm_cell
from rnnlab.checks.loop import check_training_loop
from rnnlab.checks.recurrence import check_rnn_forward, check_rnn_step

pytestmark = pytest.mark.usefixtures("lenient_checks")


def _message(capsys, check, fn):
    ok = check(fn)
    out = capsys.readouterr().out.strip()
    return ok, out


def _good_step(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


# ---- 01: rnn_step, rnn_forward_hidden ------------------------------------------------------------------------

STEP_MISTAKES = {
    "W_hh not transposed": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b),
                            "h_prev @ W_hh, without the transpose"),
    "W_xh not transposed": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b), "x_t @ W_xh.T"),
    "no tanh": (lambda x, h, Wx, Wh, b: x @ Wx.T + h @ Wh.T + b, "apply tanh"),
    "no bias": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T), "misses the bias b_h"),
    "sigmoid": (lambda x, h, Wx, Wh, b: 1 / (1 + np.exp(-(x @ Wx.T + h @ Wh.T + b))), "logistic sigmoid"),
    "bias after tanh": (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T) + b, "added after tanh"),
    "no input": (lambda x, h, Wx, Wh, b: np.tanh(h @ Wh.T + b), "does not depend on x_t"),
}


@pytest.mark.parametrize("name", list(STEP_MISTAKES))
def test_rnn_step_mistakes_are_named(capsys, name):
    fn, words = STEP_MISTAKES[name]
    ok, out = _message(capsys, check_rnn_step, fn)
    assert not ok and words in out, out
    assert "values differ" not in out


def test_rnn_step_right_answers_in_other_dtypes_pass(capsys):
    assert _message(capsys, check_rnn_step, lambda *a: _good_step(*a).astype(np.float32))[0]
    assert _message(capsys, check_rnn_step, lambda *a: torch.from_numpy(_good_step(*a)))[0]


def _forward(step_order, stack_axis=1, update=True, with_h0=False):
    def forward(x, h0, W_xh, W_hh, b_h):
        h, hs = h0, [h0] if with_h0 else []
        for t in range(x.shape[1] - (1 if with_h0 else 0)):
            new = _good_step(x[:, t], h, W_xh, W_hh, b_h)
            h = new if update else h0
            hs.append(new)
        return np.stack(hs[::step_order], axis=stack_axis)
    return forward


@pytest.mark.parametrize("fn, words", [
    (_forward(1, stack_axis=0), "stack along axis=1"),
    (_forward(1, update=False), "h is never updated"),
    (_forward(1, with_h0=True), "off by one"),
    (_forward(-1), "reverse time order"),
    (lambda x, h0, Wx, Wh, b: _forward(1)(x, h0, Wx, Wh, b)[:, -1], "only the last state"),
    (lambda x, h0, Wx, Wh, b: _forward(1)(x, 0 * h0, Wx, Wh, b), "not from h0"),
])
def test_rnn_forward_mistakes_are_named(capsys, fn, words):
    ok, out = _message(capsys, check_rnn_forward, fn)
    assert not ok and words in out, out


# ---- 02: rnn_backward, numerical_gradient ------------------------------------------------------------------

def _backward(variant=None):
    def rnn_backward(dy, x, h0, hs, W_hh, W_hy):          # the student's code of t02.py, one mistake at a time
        batch, T, H = hs.shape
        grads = {"W_xh": np.zeros((H, x.shape[2])), "W_hh": np.zeros_like(W_hh), "b_h": np.zeros(H)}
        grads["W_hy"] = np.einsum("bto,bth->oh", dy, hs)
        grads["b_y"] = dy.sum(axis=0) if variant == "b_y_batch_only" else dy.sum(axis=(0, 1))
        dh_next = np.zeros((batch, H))
        for t in reversed(range(T)):
            h_prev = hs[:, t - 1] if t > 0 else h0
            if variant == "h0_wrong":
                h_prev = hs[:, t - 1]
            if variant == "h_prev_now":
                h_prev = hs[:, t]                        # off by one: the state step t computes
            dh = dy[:, t] @ W_hy + dh_next
            if variant == "no_carry":
                dh = dy[:, t] @ W_hy
            hh = hs[:, t - 1] if variant == "tanh_prev" else hs[:, t]
            da = dh * (1 - hh ** 2)
            if variant == "no_tanh":
                da = dh
            grads["W_xh"] += da.T @ x[:, t]
            grads["W_hh"] += (h_prev.T @ da) if variant == "WhhT" else da.T @ h_prev
            grads["b_h"] += da.sum(axis=0)
            dh_next = dh @ W_hh if variant == "carry_dh" else (da @ W_hh.T if variant == "carry_T" else da @ W_hh)
        return grads
    return rnn_backward


BACKWARD_WORDS = {
    "h0_wrong": "the previous state is h0: you used hs[:, -1]",
    "no_carry": "does not flow back through time",
    "tanh_prev": "tanh' was taken at the previous state",
    "no_tanh": "the tanh derivative is missing",
    "WhhT": "the gradient of W_hh is transposed",
    "carry_dh": "you carried dh @ W_hh back",
    "carry_T": "you carried da @ W_hh.T back",
    "h_prev_now": "you used h_prev = hs[:, t]",
    "b_y_batch_only": "you summed dy over the batch only",
}


def test_rnn_backward_reference_passes(capsys):
    assert _message(capsys, check_rnn_backward, _backward())[0]


@pytest.mark.parametrize("variant", list(BACKWARD_WORDS))
def test_rnn_backward_each_bug_gets_its_own_diagnosis(capsys, variant):
    ok, out = _message(capsys, check_rnn_backward, _backward(variant))
    assert not ok and BACKWARD_WORDS[variant] in out, out
    others = [w for v, w in BACKWARD_WORDS.items() if v != variant]
    assert not any(w in out for w in others)


def _numgrad(kind):
    def numerical_gradient(f, x, eps=1e-6):
        if kind == "copy":
            x = x.copy()
        g = np.zeros_like(x)
        f0 = f()
        indices = range(len(x)) if kind == "rows" else np.ndindex(x.shape)
        for i in indices:
            old = x[i]
            x[i] = old + eps
            plus = f()
            if kind == "one_sided":
                g[i] = (plus - f0) / eps
                x[i] = old
                continue
            x[i] = old - eps
            minus = f()
            if kind != "no_restore":
                x[i] = old
            g[i] = (plus - minus) / 2 * eps if kind == "precedence" else (
                (plus - minus) / (eps if kind == "over_eps" else 2 * eps))
        return g
    return numerical_gradient


@pytest.mark.parametrize("kind, words", [
    ("one_sided", "one-sided difference"),
    ("no_restore", "put every entry back"),
    ("over_eps", "twice the right one"),
    ("precedence", "operator precedence"),
    ("copy", "zero everywhere"),
    ("rows", "np.ndindex(x.shape)"),
])
def test_numerical_gradient_mistakes_are_named(capsys, kind, words):
    ok, out = _message(capsys, check_numerical_gradient, _numgrad(kind))
    assert not ok and words in out, out


def test_numerical_gradient_reference_passes(capsys):
    assert _message(capsys, check_numerical_gradient, _numgrad("right"))[0]


# ---- 03: jacobian_product, clip_gradients, train_loop --------------------------------------------------------

def _jacobian(kind):
    def jacobian_product(W_hh, hs, k):
        P = np.eye(W_hh.shape[0])
        rows = {"first": hs[:k], "off_by_one": hs[::-1][1:k + 1]}.get(kind, hs[::-1][:k])
        for h in rows:
            if kind == "W_diag":
                P = P @ (W_hh @ np.diag(1 - h**2))
            elif kind == "reversed":
                P = (np.diag(1 - h**2) @ W_hh) @ P
            elif kind == "no_square":
                P = P @ (np.diag(1 - h) @ W_hh)
            else:
                P = P @ (np.diag(1 - h**2) @ W_hh)
        return P
    return jacobian_product


@pytest.mark.parametrize("kind, words", [
    ("W_diag", "each factor is W_hh @ diag(1 - h**2)"),
    ("reversed", "multiplied in the wrong order"),
    ("first", "you used the first states"),
    ("off_by_one", "off by one"),
    ("no_square", "1 - h**2 (squared)"),
])
def test_jacobian_product_mistakes_are_named(capsys, kind, words):
    assert _message(capsys, check_jacobian_product, _jacobian("right"))[0]
    ok, out = _message(capsys, check_jacobian_product, _jacobian(kind))
    assert not ok and words in out, out


def _global_norm(grads):
    return np.sqrt(sum((g**2).sum() for g in grads.values()))


def clip_in_place(grads, th):
    n = _global_norm(grads)
    if n > th:
        for g in grads.values():
            g *= th / n
    return grads


@pytest.mark.parametrize("fn, words", [
    (clip_in_place, "in place"),
    (lambda grads, th: {k: g * min(1, th / np.linalg.norm(g)) for k, g in grads.items()}, "clipped on its own"),
    (lambda grads, th: {k: g * th / _global_norm(grads) for k, g in grads.items()}, "below the threshold"),
    (lambda grads, th: {k: np.clip(g, -th, th) for k, g in grads.items()}, "(np.clip)"),
    (lambda grads, th: {k: g * _global_norm(grads) / th for k, g in grads.items()}, "upside down"),
])
def test_clip_gradients_mistakes_are_named(capsys, fn, words):
    ok, out = _message(capsys, check_clip_gradients, fn)
    assert not ok and words in out, out


def test_clip_gradients_new_dict_passes_in_float32(capsys):
    def clip(grads, th):
        n = _global_norm(grads)
        return {k: (g * min(1.0, th / n)).astype(np.float32) for k, g in grads.items()}
    assert _message(capsys, check_clip_gradients, clip)[0]


def test_training_loop_losses_kept_as_tensors_is_named(capsys):
    from solutions import training_loop

    train_loop = partial(training_loop, mistake="tensor_losses")  # the mistake: not loss.item()
    ok, out = _message(capsys, check_training_loop, train_loop)
    assert not ok and "loss.item()" in out, out


# ---- 04: lstm_cell, gru_cell ---------------------------------------------------------------------------------

def _lstm(variant=None, dtype=None):
    def lstm_cell(x_t, h, c, W_ih, W_hh, b_ih, b_hh):
        if dtype is not None:
            x_t, h, c, W_ih, W_hh, b_ih, b_hh = (t.to(dtype) for t in (x_t, h, c, W_ih, W_hh, b_ih, b_hh))
        z = x_t @ W_ih.T + b_ih + h @ W_hh.T + (0 if variant == "no_bhh" else b_hh)
        if variant == "ifog":
            i, f, o, g = z.chunk(4, dim=1)
        else:
            i, f, g, o = z.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * (c_new if variant == "no_tanh_c" else torch.tanh(c_new))
        return (c_new, h_new) if variant == "swap" else (h_new, c_new)
    return lstm_cell


def _gru(variant=None, dtype=None):
    def gru_cell(x_t, h, W_ih, W_hh, b_ih, b_hh):
        if dtype is not None:
            x_t, h, W_ih, W_hh, b_ih, b_hh = (t.to(dtype) for t in (x_t, h, W_ih, W_hh, b_ih, b_hh))
        i_r, i_z, i_n = (x_t @ W_ih.T + b_ih).chunk(3, dim=1)
        h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        if variant == "rz_swapped":
            r, z = z, r
        if variant == "cho":
            H = h.shape[1]
            n = torch.tanh(i_n + (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:])
        else:
            n = torch.tanh(i_n + r * h_n)
        return z * n + (1 - z) * h if variant == "z_swapped" else (1 - z) * n + z * h
    return gru_cell


@pytest.mark.parametrize("variant, words", [
    ("ifog", "gates are read in the wrong order: you took the chunks of W_ih x + W_hh h as (i, f, o, g)"),
    ("no_bhh", "b_hh is missing"),
    ("no_tanh_c", "left out the tanh on the cell state"),
    ("swap", "you returned (c_new, h_new)"),
])
def test_lstm_cell_mistakes_are_named(capsys, variant, words):
    ok, out = _message(capsys, check_lstm_cell, _lstm(variant))
    assert not ok and words in out, out


@pytest.mark.parametrize("variant, words", [
    ("cho", "the reset gate is in the wrong place"),
    ("z_swapped", "z and 1 - z are swapped"),
    ("rz_swapped", "as (z, r, n)"),
])
def test_gru_cell_mistakes_are_named(capsys, variant, words):
    ok, out = _message(capsys, check_gru_cell, _gru(variant))
    assert not ok and words in out, out


def test_cells_in_float64_are_not_blamed(capsys):
    assert _message(capsys, check_lstm_cell, _lstm(dtype=torch.float64))[0]
    assert _message(capsys, check_gru_cell, _gru(dtype=torch.float64))[0]
    assert _message(capsys, check_lstm_cell, _lstm())[0]
    assert _message(capsys, check_gru_cell, _gru())[0]


# ---- the shared helpers ----------------------------------------------------------------------------------------

def test_name_mistake_names_the_matching_variant_and_never_blames_a_right_answer():
    from rnnlab.checks.core import ExerciseFailure, matches, name_mistake

    reference = np.array([1.0, 2.0, 3.0])
    assert matches(torch.tensor([1.0, 2.0, 3.0]), reference)            # torch float32 against numpy float64
    assert not matches(np.array([1.0, 2.0]), reference) and not matches("text", reference)
    with pytest.raises(ExerciseFailure, match="doubled"):
        name_mistake(2 * reference, [(reference + 1, "shifted"), (2 * reference, "doubled")], reference=reference)
    # a "mistake" that makes no difference on this input equals the reference: skipped, the right answer passes
    name_mistake(reference.copy(), [(reference.copy(), "no bias")], reference=reference)
    name_mistake(reference + 5, [(reference + 1, "shifted")], reference=reference)     # no match: returns
