import pytest
import torch
from solutions import gru_step, lstm_step
from torch import nn

from rnnlab.models.cells import (
    GRUCell,
    LSTMCell,
    Recurrent,
    copy_weights_from_torch,
    load_from,
    set_forget_bias,
)
from rnnlab.models.sequence import count_parameters

TORCH = {"lstm": nn.LSTM, "gru": nn.GRU}
TORCH_CELL = {"lstm": nn.LSTMCell, "gru": nn.GRUCell}


def _grads(module: nn.Module) -> dict[str, torch.Tensor]:
    return {n.removesuffix("_l0"): p.grad.clone() for n, p in module.named_parameters()}


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize(("I", "H", "B", "T"), [(1, 1, 1, 1), (3, 5, 4, 7), (8, 16, 2, 12)])
def test_scratch_layer_equals_torch_values_and_gradients(kind, batch_first, I, H, B, T):
    torch.manual_seed(I * 100 + H)
    ref = TORCH[kind](I, H, batch_first=batch_first).double()
    mine = Recurrent(kind, I, H, batch_first=batch_first).double()
    load_from(mine, ref)
    shape = (B, T, I) if batch_first else (T, B, I)
    x1 = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    out_ref, state_ref = ref(x1)
    out_mine, state_mine = mine(x2)
    torch.testing.assert_close(out_mine, out_ref)
    if kind == "lstm":
        torch.testing.assert_close(state_mine[0], state_ref[0][0])
        torch.testing.assert_close(state_mine[1], state_ref[1][0])
    else:
        torch.testing.assert_close(state_mine, state_ref[0])
    # a loss that touches every output and the final cell state
    w = torch.randn(out_ref.shape, dtype=torch.float64)
    loss_ref = (out_ref * w).sum() + (state_ref[1].sum() if kind == "lstm" else 0)
    loss_mine = (out_mine * w).sum() + (state_mine[1].sum() if kind == "lstm" else 0)
    loss_ref.backward()
    loss_mine.backward()
    torch.testing.assert_close(x2.grad, x1.grad)
    g_ref, g_mine = _grads(ref), {n.removeprefix("cell."): g for n, g in _grads(mine).items()}
    assert set(g_ref) == set(g_mine) == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    for name in g_ref:
        torch.testing.assert_close(g_mine[name], g_ref[name], msg=f"gradient of {name} differs")


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_single_step_equals_torch_cell_with_given_state(kind):
    torch.manual_seed(1)
    ref = TORCH_CELL[kind](4, 6)
    mine = (LSTMCell if kind == "lstm" else GRUCell)(4, 6)
    copy_weights_from_torch(mine, ref)
    x, h, c = torch.randn(3, 4), torch.randn(3, 6), torch.randn(3, 6)
    if kind == "lstm":
        for a, b in zip(mine(x, (h, c)), ref(x, (h, c)), strict=True):
            torch.testing.assert_close(a, b)
    else:
        torch.testing.assert_close(mine(x, h), ref(x, h))
    # no state given means a zero state
    torch.testing.assert_close(mine(x)[0] if kind == "lstm" else mine(x),
                               ref(x)[0] if kind == "lstm" else ref(x))


def test_gru_reset_gate_acts_after_the_matrix_product():
    """With b_hn != 0 the two GRU conventions differ; the scratch cell must follow torch's (after)."""
    torch.manual_seed(2)
    ref = nn.GRUCell(2, 3)
    with torch.no_grad():
        ref.bias_hh[6:] = 2.0
    mine = GRUCell(2, 3)
    load_from(mine, ref)
    x, h = torch.randn(5, 2), torch.randn(5, 3)
    torch.testing.assert_close(mine(x, h), ref(x, h))
    g = mine.gates(x, h)
    W_hn, b_hn = ref.weight_hh[6:], ref.bias_hh[6:]
    before = torch.tanh(x @ ref.weight_ih[6:].T + ref.bias_ih[6:] + (g["reset"] * h) @ W_hn.T + b_hn)
    assert not torch.allclose(before, g["new"])


def test_lstm_gates_follow_the_equations_by_hand():
    cell = LSTMCell(1, 1)
    with torch.no_grad():
        for p in cell.parameters():
            p.zero_()
        cell.bias_ih.copy_(torch.tensor([0.0, 100.0, 0.0, 100.0]))  # forget and output gates wide open
        cell.weight_ih[2, 0] = 1.0                                  # g = tanh(x)
    x, h, c = torch.tensor([[0.5]]), torch.zeros(1, 1), torch.tensor([[2.0]])
    g = cell.gates(x, (h, c))
    assert g["input"].item() == pytest.approx(0.5)
    assert g["forget"].item() == pytest.approx(1.0)
    expected_c = 2.0 + 0.5 * torch.tanh(torch.tensor(0.5)).item()
    assert g["c"].item() == pytest.approx(expected_c, rel=1e-6)
    assert g["h"].item() == pytest.approx(torch.tanh(torch.tensor(expected_c)).item(), rel=1e-6)


def test_recurrent_returns_gates_batch_first():
    torch.manual_seed(0)
    layer = Recurrent("lstm", 2, 3, batch_first=False)
    out, (h, c), gates = layer(torch.randn(5, 4, 2), return_gates=True)
    assert out.shape == (5, 4, 3)
    assert set(gates) == {"input", "forget", "cell", "output", "c", "h"}
    assert all(v.shape == (4, 5, 3) for v in gates.values())
    torch.testing.assert_close(gates["h"][:, -1], h)
    gru_gates = Recurrent("gru", 2, 3)(torch.randn(4, 5, 2), return_gates=True)[2]
    assert set(gru_gates) == {"reset", "update", "new", "h"}


def test_stacked_layers_copy_by_layer():
    torch.manual_seed(3)
    ref = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    l0, l1 = Recurrent("lstm", 3, 4), Recurrent("lstm", 4, 4)
    load_from(l0, ref, layer=0)
    load_from(l1, ref, layer=1)
    x = torch.randn(2, 6, 3)
    torch.testing.assert_close(l1(l0(x)[0])[0], ref(x)[0])
    with pytest.raises(ValueError, match="layer must be < num_layers=2"):
        load_from(l0, ref, layer=2)


def test_forget_bias_and_count_parameters_by_formula():
    lstm = nn.LSTM(2, 5, num_layers=2)
    set_forget_bias(lstm, 1.0)
    for layer in (0, 1):
        b = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
        torch.testing.assert_close(b[5:10], torch.ones(5))
    cell = LSTMCell(2, 5)
    set_forget_bias(cell, 0.0)
    assert (cell.bias_ih[5:10] + cell.bias_hh[5:10]).abs().max() == 0
    with pytest.raises(TypeError, match="needs an LSTM"):
        set_forget_bias(nn.GRU(2, 3), 1.0)
    for kind, ref in [("lstm", nn.LSTM(3, 7)), ("gru", nn.GRU(3, 7)), ("rnn", nn.RNN(3, 7))]:
        assert count_parameters(kind, 3, 7) == sum(p.numel() for p in ref.parameters()) == count_parameters(ref)
        assert count_parameters(kind, 3, 7) + 7 * 2 + 2 == count_parameters(kind, 3, 7, 2)
    assert count_parameters(LSTMCell(3, 7)) == count_parameters("lstm", 3, 7) == 4 * (7 * 3 + 7 * 7 + 2 * 7)
    with pytest.raises(ValueError, match="cell"):
        count_parameters("transformer", 3, 7)
    with pytest.raises(TypeError, match="nn.Module or a cell name"):
        count_parameters(3, 3, 7)
    frozen = nn.GRU(3, 7)
    frozen.bias_hh_l0.requires_grad_(False)
    assert count_parameters(frozen) == count_parameters("gru", 3, 7) - 3 * 7  # trainable parameters only


def test_bad_input_gives_clear_errors():
    lstm, gru = LSTMCell(3, 4), GRUCell(3, 4)
    with pytest.raises(ValueError, match="axis 1 is 2, expected 3"):
        lstm(torch.randn(5, 2))
    with pytest.raises(ValueError, match=r"x_t must have shape \(batch, 3\)"):
        gru(torch.randn(5, 6, 3))
    with pytest.raises(TypeError, match="pair"):
        lstm(torch.randn(5, 3), torch.randn(5, 4))
    with pytest.raises(TypeError, match="not a tuple"):
        gru(torch.randn(5, 3), (torch.randn(5, 4), torch.randn(5, 4)))
    with pytest.raises(ValueError, match="batch size 2 but x_t has 5"):
        gru(torch.randn(5, 3), torch.randn(2, 4))
    with pytest.raises(ValueError, match="axis 1 is 3, expected 4"):
        lstm(torch.randn(5, 3), (torch.randn(5, 4), torch.randn(5, 3)))
    with pytest.raises(TypeError, match="floating-point"):
        gru(torch.ones(5, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        LSTMCell(3, 0)
    with pytest.raises(ValueError, match="cell must be one of"):
        Recurrent("rnn", 3, 4)
    layer = Recurrent("gru", 3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"shape \(batch, time, 3\)"):
        layer(torch.randn(5, 3))
    with pytest.raises(ValueError, match="is empty"):
        layer(torch.randn(2, 0, 3))
    with pytest.raises(TypeError, match="takes weights from LSTM or LSTMCell, got GRU"):
        load_from(lstm, nn.GRU(3, 4))
    with pytest.raises(ValueError, match="shape"):
        load_from(gru, nn.GRU(3, 5))
    with pytest.raises(ValueError, match="bias=False"):
        load_from(gru, nn.GRU(3, 4, bias=False))
    with pytest.raises(TypeError, match="must be an LSTMCell"):
        load_from(nn.Linear(2, 2), nn.LSTM(2, 2))


def test_init_is_seeded():
    torch.manual_seed(5)
    a = LSTMCell(2, 3).weight_hh.detach().clone()
    torch.manual_seed(5)
    b = LSTMCell(2, 3).weight_hh.detach().clone()
    assert torch.equal(a, b)
    assert a.abs().max() <= 1 / 3**0.5


# ---- exercise checks (rnnlab.checks.cells) ----

def test_checks_pass_the_solutions_and_explain_mistakes(capsys, monkeypatch):
    from rnnlab.checks.cells import check_gru_cell, check_lstm_cell

    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_lstm_cell(lstm_step) and check_gru_cell(gru_step)
    assert capsys.readouterr().out.count("passed") == 2

    def lstm_wrong_order(x, h, c, W_ih, W_hh, b_ih, b_hh):  # i, g swapped
        i, f, o, g = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    assert not check_lstm_cell(lstm_wrong_order)
    assert "gates are read in the wrong order: you took the chunks of W_ih x + W_hh h as (i, f, o, g)" in \
        capsys.readouterr().out

    def gru_reset_before(x, h, W_ih, W_hh, b_ih, b_hh):  # the other convention (Cho et al.'s paper)
        i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
        h_r, h_z, _ = (h @ W_hh.T + b_hh).chunk(3, dim=1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        H = h.shape[1]
        n = torch.tanh(i_n + (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:])
        return (1 - z) * n + z * h

    assert not check_gru_cell(gru_reset_before)
    assert "the reset gate is in the wrong place" in capsys.readouterr().out

    def lstm_no_bias_hh(x, h, c, W_ih, W_hh, b_ih, b_hh):
        return lstm_step(x, h, c, W_ih, W_hh, b_ih, torch.zeros_like(b_hh))

    assert not check_lstm_cell(lstm_no_bias_hh)
    assert "b_hh is missing" in capsys.readouterr().out

    def lstm_other_error(x, h, c, W_ih, W_hh, b_ih, b_hh):  # no known mistake: located by time step
        h_new, c_new = lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh)
        return h_new * 0.9, c_new

    assert not check_lstm_cell(lstm_other_error)
    assert "h over time: values differ from the reference from t=0" in capsys.readouterr().out

    def detached(x, h, W_ih, W_hh, b_ih, b_hh):
        return gru_step(x, h, W_ih, W_hh, b_ih, b_hh).detach()

    assert not check_gru_cell(detached)
    assert "autograd" in capsys.readouterr().out

    def stub(*args):
        raise NotImplementedError("write the cell")

    assert not check_lstm_cell(stub)
    assert "not done yet" in capsys.readouterr().out
    assert not check_gru_cell(lambda x, h, *w: (h, h))
    assert "one tensor" in capsys.readouterr().out
    assert not check_lstm_cell(lambda x, h, c, *w: h)
    assert "pair" in capsys.readouterr().out
    assert not check_lstm_cell(lambda x, h, c, *w: (h.T, c))
    assert "shape" in capsys.readouterr().out


def test_checks_raise_in_strict_mode(monkeypatch):
    from rnnlab.checks.cells import check_gru_cell
    from rnnlab.checks.core import ExerciseFailure

    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailure, match="GRU cell"):
        check_gru_cell(lambda x, h, *w: h)
