import pytest
import torch

from rnnlab.models.scan import (
    MinGRUCell,
    MinLSTMCell,
    MinRNN,
    MinRNNRegressor,
    g,
    linear_scan_sequential,
    log_g,
    logcumsumexp_scan,
    parallel_scan_log,
)


def test_g_is_positive_continuous_and_log_g_is_its_log():
    x = torch.linspace(-30, 30, 2001, dtype=torch.float64)
    assert (g(x) > 0).all()
    assert torch.allclose(g(torch.tensor([0.0])), torch.tensor([0.5]))
    assert torch.allclose(g(torch.tensor([-1e-7])), torch.tensor([0.5]), atol=1e-6)  # continuous at 0
    assert torch.allclose(log_g(x), g(x).log())
    assert torch.isfinite(log_g(torch.tensor([-200.0]))).all()  # no log(0) for very negative inputs


def test_parallel_scan_equals_the_loop_by_hand_and_in_float64():
    # by hand: a = 1/2, b = 1 -> h = 1, 1.5, 1.75
    a = torch.full((1, 3, 1), 0.5)
    b = torch.ones(1, 3, 1)
    assert torch.allclose(parallel_scan_log(a.log(), b.log()).flatten(), torch.tensor([1.0, 1.5, 1.75]))
    assert torch.allclose(linear_scan_sequential(a, b).flatten(), torch.tensor([1.0, 1.5, 1.75]))
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(3, 200, 5, generator=gen, dtype=torch.float64)
    b = torch.rand(3, 200, 5, generator=gen, dtype=torch.float64)
    h0 = torch.rand(3, 5, generator=gen, dtype=torch.float64) + 0.1
    assert torch.allclose(parallel_scan_log(a.log(), b.log()), linear_scan_sequential(a, b), atol=1e-12)
    assert torch.allclose(parallel_scan_log(a.log(), b.log(), h0.log()), linear_scan_sequential(a, b, h0),
                          atol=1e-12)


def test_parallel_scan_gradients_match_the_loop():
    gen = torch.Generator().manual_seed(1)
    a = torch.rand(2, 30, 4, generator=gen, dtype=torch.float64).requires_grad_()
    b = torch.rand(2, 30, 4, generator=gen, dtype=torch.float64).requires_grad_()
    w = torch.randn(2, 30, 4, generator=gen, dtype=torch.float64)
    ga, gb = torch.autograd.grad((parallel_scan_log(a.log(), b.log()) * w).sum(), (a, b))
    ra, rb = torch.autograd.grad((linear_scan_sequential(a, b) * w).sum(), (a, b))
    assert torch.allclose(ga, ra, atol=1e-10) and torch.allclose(gb, rb, atol=1e-10)


@pytest.mark.parametrize("T", [1, 2, 3, 7, 8, 50, 1000])
def test_logcumsumexp_scan_equals_torch_in_values_and_gradients(T):
    gen = torch.Generator().manual_seed(T)
    x = (5 * torch.randn(3, T, 4, generator=gen, dtype=torch.float64)).requires_grad_()
    w = torch.randn(3, T, 4, generator=gen, dtype=torch.float64)
    ours, ref = logcumsumexp_scan(x), torch.logcumsumexp(x, dim=1)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-10)
    g_ours, g_ref = (torch.autograd.grad((y * w).sum(), x)[0] for y in (ours, ref))
    torch.testing.assert_close(g_ours, g_ref, rtol=0, atol=1e-9)
    # a -inf (log 0) entry takes torch's own path: the same values and the same gradients
    x0 = x.detach().clone()
    x0[:, 0] = float("-inf")
    x0.requires_grad_()
    y0, r0 = logcumsumexp_scan(x0), torch.logcumsumexp(x0, dim=1)
    torch.testing.assert_close(y0, r0)
    torch.testing.assert_close(torch.autograd.grad(y0.sum(), x0)[0], torch.autograd.grad(r0.sum(), x0)[0],
                               equal_nan=True)


def test_parallel_scan_rejects_bad_shapes():
    with pytest.raises(ValueError, match="log_b must have shape"):
        parallel_scan_log(torch.zeros(2, 5, 3), torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match="log_a must have 3 dimensions"):
        parallel_scan_log(torch.zeros(5, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="log_h0 must have shape"):
        parallel_scan_log(torch.zeros(2, 5, 3), torch.zeros(2, 5, 3), torch.zeros(3))


def test_mingru_cell_by_hand():
    cell = MinGRUCell(1, 1)
    with torch.no_grad():
        cell.linear_z.weight.fill_(0.0)
        cell.linear_z.bias.fill_(0.0)    # z = 1/2
        cell.linear_h.weight.fill_(1.0)
        cell.linear_h.bias.fill_(0.0)    # h~ = g(x)
    h = cell(torch.tensor([[2.0]]), torch.tensor([[1.0]]))
    assert torch.allclose(h, torch.tensor([[0.5 * 1.0 + 0.5 * 2.5]]))
    h = cell(torch.tensor([[-1.0]]), torch.tensor([[1.0]]))
    assert torch.allclose(h, torch.tensor([[0.5 + 0.5 * torch.sigmoid(torch.tensor(-1.0)).item()]]))


def test_minlstm_cell_normalises_its_gates():
    cell = MinLSTMCell(1, 1)
    with torch.no_grad():
        for lin, bias in ((cell.linear_f, 2.0), (cell.linear_i, -1.0), (cell.linear_h, 0.0)):
            lin.weight.fill_(0.0)
            lin.bias.fill_(bias)
    f, i = torch.sigmoid(torch.tensor(2.0)), torch.sigmoid(torch.tensor(-1.0))
    h = cell(torch.tensor([[0.3]]), torch.tensor([[1.0]]))
    assert torch.allclose(h, (f / (f + i) * 1.0 + i / (f + i) * 0.5).reshape(1, 1))


@pytest.mark.parametrize("kind", ["mingru", "minlstm"])
def test_layer_parallel_form_equals_sequential_form(kind):
    torch.manual_seed(0)
    layer = MinRNN(kind, 3, 6).double()
    x = torch.randn(4, 80, 3, dtype=torch.float64)
    h0 = torch.rand(4, 6, dtype=torch.float64) + 0.1
    for init in (None, h0):
        par, last_p = layer(x, init)
        seq, last_s = layer(x, init, parallel=False)
        assert par.shape == (4, 80, 6) and last_p.shape == (4, 6)
        assert (par - seq).abs().max() < 1e-10
        assert torch.equal(last_p, par[:, -1])
    # float32, short sequence: within 1e-5
    layer32 = MinRNN(kind, 3, 6)
    x32 = torch.randn(2, 50, 3)
    assert (layer32(x32)[0] - layer32(x32, parallel=False)[0]).abs().max() < 1e-5


def test_layer_gradients_agree_between_forms():
    torch.manual_seed(2)
    layer = MinRNN("mingru", 2, 4).double()
    x = torch.randn(3, 25, 2, dtype=torch.float64)
    gp = torch.autograd.grad(layer(x)[0].sum(), list(layer.parameters()))
    gs = torch.autograd.grad(layer(x, parallel=False)[0].sum(), list(layer.parameters()))
    for a, b in zip(gp, gs, strict=True):
        assert torch.allclose(a, b, atol=1e-9)


def test_layer_rejects_bad_input():
    layer = MinRNN("mingru", 3, 4)
    with pytest.raises(ValueError, match=r"shape \(batch, time, 3\)"):
        layer(torch.randn(2, 5, 2))
    with pytest.raises(ValueError, match="h0 must be positive"):
        layer(torch.randn(2, 5, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="cell must be one of"):
        MinRNN("gru", 3, 4)


def test_regressor_shapes_forms_and_seeding():
    torch.manual_seed(3)
    a = MinRNNRegressor("minlstm", 2, 8, 1, num_layers=2)
    torch.manual_seed(3)
    b = MinRNNRegressor("minlstm", 2, 8, 1, num_layers=2)
    x = torch.randn(5, 12, 2)
    assert a(x).shape == (5, 1)
    assert torch.equal(a(x), b(x))
    assert torch.allclose(a(x), a(x, parallel=False), atol=1e-5)
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        MinRNNRegressor("mingru", 2, 8, 1, num_layers=0)


def test_check_parallel_scan_verdicts(capsys, monkeypatch):
    from rnnlab.checks.beyond import check_parallel_scan

    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_parallel_scan(parallel_scan_log)

    def returns_log(log_a, log_b):
        return parallel_scan_log(log_a, log_b).log()

    def no_decay(log_a, log_b):
        return torch.cumsum(log_b.exp(), dim=1)

    def stub(log_a, log_b):
        raise NotImplementedError("use cumsum and logcumsumexp")

    assert not check_parallel_scan(returns_log)
    assert "apply exp" in capsys.readouterr().out
    assert not check_parallel_scan(no_decay)
    assert "from t=1 on" in capsys.readouterr().out
    assert not check_parallel_scan(stub)
    assert "not done yet" in capsys.readouterr().out


def test_regressor_step_streams_the_same_predictions():
    torch.manual_seed(4)
    model = MinRNNRegressor("mingru", 2, 6, 1, num_layers=2)
    x = torch.randn(3, 8, 2)
    state = None
    for t in range(8):
        y_t, state = model.step(x[:, t], state)
        assert torch.allclose(y_t, model(x[:, : t + 1]), atol=1e-5)
    assert [s.shape for s in state] == [(3, 6), (3, 6)]   # the state never grows


@pytest.mark.parametrize("model", ["transformer", "mingru", "minlstm"])
def test_beyond_experiment_reports_adding_metrics(model):
    from rnnlab.experiments.beyond import BeyondConfig, run_beyond

    cfg = BeyondConfig(model=model, seq_len=10, steps=3, batch_size=8, n_test=20, eval_every=2, progress=False)
    m = run_beyond(cfg).metrics
    assert set(m) >= {"test_mse", "baseline_mse", "parameters", "train_seconds"}
    assert m["steps"] == 3 and m["test_mse"] > 0
    assert m == {**run_beyond(cfg).metrics, "train_seconds": m["train_seconds"]}  # same seed, same numbers


def test_cost_helpers():
    from rnnlab.experiments.beyond import forward_backward, saved_activation_bytes, stream, time_costs
    from rnnlab.models import SequenceModel
    from rnnlab.models.attention import TransformerRegressor

    torch.manual_seed(5)
    gru = torch.nn.GRU(4, 8, batch_first=True)
    small = saved_activation_bytes(lambda: gru(torch.randn(2, 10, 4))[0].sum())
    large = saved_activation_bytes(lambda: gru(torch.randn(2, 40, 4))[0].sum())
    assert 3 < large / small < 5  # linear in T
    t = time_costs({"gru": forward_backward(gru, torch.randn(2, 10, 4))}, repeats=2)
    assert set(t) == {"gru"} and t["gru"] > 0
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        time_costs({}, repeats=0)
    x = torch.randn(3, 6, 2)
    for model, grows in ((SequenceModel("lstm", 2, 5, 1), False), (MinRNNRegressor("mingru", 2, 5, 1), False),
                         (TransformerRegressor(2, 1), True)):
        s = stream(model, x)
        assert torch.allclose(s["outputs"][:, -1], model(x), atol=1e-5)
        assert s["seconds"].shape == (6,) and s["state_floats"].shape == (6,)
        assert (s["state_floats"][-1] == 6 * s["state_floats"][0]) if grows else (s["state_floats"] == 10).all()
    with pytest.raises(TypeError, match="stream\\(\\) knows"):
        stream(torch.nn.Linear(2, 1), x)


def test_10_ex5_minlstm_with_the_mingru_budget():
    """Notebook 10 exercise 5, tiny: the minLSTM trains through the same experiment as the minGRU, on the same
    held-out set, and its normalised gates give it one input map more per layer."""
    from rnnlab.experiments.beyond import BeyondConfig, run_beyond

    common = dict(seq_len=12, steps=3, batch_size=8, n_test=16, eval_every=3, progress=False)
    r = {kind: run_beyond(BeyondConfig(model=kind, num_layers=2, lr=1e-2, **common)) for kind in ("mingru", "minlstm")}
    assert r["minlstm"].metrics["baseline_mse"] == r["mingru"].metrics["baseline_mse"]
    # layer 1 maps the 2 inputs, layer 2 the 32 mixed states: one map more each (weights + biases)
    assert r["minlstm"].metrics["parameters"] - r["mingru"].metrics["parameters"] == (2 * 32 + 32) + (32 * 32 + 32)
    assert r["minlstm"].metrics["test_mse"] != r["mingru"].metrics["test_mse"]
