"""Notebook 10, section 4-5: the state-space layers, the minGRU with a negative range, the token model, the
selective-step check, the three task generators and their experiments."""

import pytest
import torch

from rnnlab.checks.beyond import check_ssm_step, ssm_step_reference
from rnnlab.data.synthetic import associative_recall, parity, selective_copying
from rnnlab.models.scan import linear_scan_sequential
from rnnlab.models.ssm import MinGRUNegative, SSMLayer, TokenModel, signed_scan


def test_signed_scan_equals_the_loop_for_inputs_of_both_signs():
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(2, 30, 4, generator=gen, dtype=torch.float64) * 0.9 + 0.05
    b = torch.randn(2, 30, 4, generator=gen, dtype=torch.float64)
    assert (b < 0).any() and (b > 0).any()
    h = signed_scan(a.log(), b)
    assert torch.allclose(h, linear_scan_sequential(a, b), atol=1e-9)


@pytest.mark.parametrize("selective", [True, False])
def test_ssm_layer_scan_equals_its_loop_in_values_and_gradients(selective):
    torch.manual_seed(1)
    layer = SSMLayer(6, 3, selective=selective).double()
    x = torch.randn(2, 20, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 20, 6, dtype=torch.float64)
    fast, slow = layer(x), layer(x, parallel=False)
    assert torch.allclose(fast, slow, atol=1e-8)
    g_fast = torch.autograd.grad((fast * w).sum(), [x, *layer.parameters()])
    g_slow = torch.autograd.grad((slow * w).sum(), [x, *layer.parameters()])
    for a, b in zip(g_fast, g_slow, strict=True):
        assert torch.allclose(a, b, atol=1e-7)


def test_selective_layer_depends_on_the_input_where_s4d_is_a_fixed_filter():
    torch.manual_seed(2)
    s4d = SSMLayer(4, 3, selective=False).double()
    x = torch.randn(1, 12, 4, dtype=torch.float64)
    log_a, _, C = s4d.coefficients(torch.nn.functional.silu(s4d.in_proj(x).chunk(2, -1)[0]))
    assert torch.allclose(log_a[:, 0], log_a[:, 7]) and torch.allclose(C[:, 0], C[:, 7])  # the same every step
    ssm = SSMLayer(4, 3, selective=True).double()
    log_a, _, C = ssm.coefficients(torch.nn.functional.silu(ssm.in_proj(x).chunk(2, -1)[0]))
    assert not torch.allclose(log_a[:, 0], log_a[:, 7])


def test_mingru_negative_can_flip_its_state():
    layer = MinGRUNegative(1, 1)
    with torch.no_grad():
        layer.linear_z.weight.fill_(40.0)
        layer.linear_z.bias.fill_(-20.0)         # z = 1 for input 1 (a = -1), z = 0 for input 0 (a = 1)
        layer.linear_h.weight.fill_(0.0)
        layer.linear_h.bias.fill_(1.0)           # h~ = 1
    bits = torch.tensor([[1.0, 0.0, 1.0, 1.0, 0.0, 1.0]]).unsqueeze(-1)
    h = layer(bits)[0, :, 0]
    # h -> -h + 1 at a 1, unchanged at a 0: 1, 1, 0, 1, 1, 0 is the running parity
    assert torch.allclose(h, torch.tensor([1.0, 1.0, 0.0, 1.0, 1.0, 0.0]), atol=1e-6)


@pytest.mark.parametrize(("backbone", "floats"), [("attention", 2 * 8 * 10 * 2), ("gru", 16), ("lstm", 32),
                                                  ("mingru", 16), ("mingru_negative", 16), ("ssm", 8 * 3 * 2),
                                                  ("s4d", 8 * 3 * 2)])
def test_token_model_shapes_and_state_size(backbone, floats):
    model = TokenModel(backbone, [5, 7], 4, d=8, num_layers=2, d_state=3)
    x = torch.stack([torch.randint(0, 5, (3, 10)), torch.randint(0, 7, (3, 10))], dim=-1)
    assert model(x).shape == (3, 10, 4)
    assert model.state_floats(10) == floats
    with pytest.raises(ValueError, match="channel 1 must lie in"):
        model(torch.stack([x[..., 0], x[..., 1] + 7], dim=-1))


def _mistakes():
    def good(h, u, dt, A, B, C):
        return ssm_step_reference(h, u, dt, A, B, C)

    def no_exp(h, u, dt, A, B, C):
        h = dt[..., None] * A * h + dt[..., None] * B * u[..., None]
        return h, (C * h).sum(-1)

    def no_delta_decay(h, u, dt, A, B, C):
        h = torch.exp(A) * h + dt[..., None] * B * u[..., None]
        return h, (C * h).sum(-1)

    def no_delta_input(h, u, dt, A, B, C):
        h = torch.exp(dt[..., None] * A) * h + B * u[..., None]
        return h, (C * h).sum(-1)

    def old_state(h, u, dt, A, B, C):
        new = torch.exp(dt[..., None] * A) * h + dt[..., None] * B * u[..., None]
        return new, (C * h).sum(-1)

    def wrong_axis(h, u, dt, A, B, C):
        h = torch.exp(dt[..., None] * A) * h + dt[..., None] * B * u[..., None]
        return h, (C * h).sum(1)

    def swapped(h, u, dt, A, B, C):
        return tuple(reversed(ssm_step_reference(h, u, dt, A, B, C)))

    return good, [(no_exp, "not Delta_t A"), (no_delta_decay, "not exp(A)"), (no_delta_input, "left out Delta_t"),
                  (old_state, "old state"), (wrong_axis, "state axis N"), (swapped, "order is (h_t, y_t)")]


def test_ssm_step_check_passes_the_reference_and_names_each_mistake(capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    good, mistakes = _mistakes()
    assert check_ssm_step(good)
    for answer, words in mistakes:
        assert not check_ssm_step(answer), answer.__name__
        out = capsys.readouterr().out
        assert words in out, (answer.__name__, out)


def test_associative_recall_answers_are_the_values_of_the_asked_keys():
    x, y = associative_recall(50, 6, 10, n_keys=8, n_values=5, seed=3)
    assert x.shape == (50, 10, 2) and y.shape == (50, 4)
    assert torch.equal(x, associative_recall(50, 6, 10, n_keys=8, n_values=5, seed=3)[0])
    for i in range(50):
        pairs = {int(k): int(v) for k, v in x[i, :6]}
        assert len(pairs) == 6                                            # keys distinct
        assert (x[i, 6:, 1] == 0).all()                                   # queries carry no value
        assert [pairs[int(k)] - 1 for k in x[i, 6:, 0]] == y[i].tolist()
    with pytest.raises(ValueError, match="--seq-len"):
        associative_recall(2, 6, 6)
    with pytest.raises(ValueError, match="n_keys"):
        associative_recall(2, 9, 12, n_keys=8)


def test_selective_copying_puts_the_symbols_in_order_among_noise():
    x, y = selective_copying(40, 12, n_tokens=3, vocab=5, seed=4)
    assert x.shape == (40, 15) and y.shape == (40, 3)
    assert (x[:, 12:] == 6).all()
    for i in range(40):
        symbols = x[i, :12][x[i, :12] > 0]
        assert (symbols - 1).tolist() == y[i].tolist()
    positions = [tuple((x[i, :12] > 0).nonzero().flatten().tolist()) for i in range(40)]
    assert len(set(positions)) > 20                                       # positions vary between sequences
    with pytest.raises(ValueError, match="do not fit"):
        selective_copying(2, 2, n_tokens=3)


def test_parity_is_the_running_xor():
    x, y = parity(20, 9, seed=5)
    assert set(x.unique().tolist()) == {0, 1}
    expected = torch.zeros_like(y)
    acc = torch.zeros(20, dtype=torch.long)
    for t in range(9):
        acc = acc ^ x[:, t]
        expected[:, t] = acc
    assert torch.equal(y, expected)


@pytest.mark.parametrize(("name", "options"), [("recall", dict(model="gru", pairs=4, seq_len=8)),
                                               ("selective_copy", dict(model="s4d", seq_len=8)),
                                               ("parity", dict(model="mingru_negative", seq_len=6, test_len=10))])
def test_task_experiments_report_accuracy_and_state_size(name, options):
    from rnnlab.experiments import EXPERIMENTS
    from rnnlab.experiments.tasks import TaskResult

    exp = EXPERIMENTS[name]
    config = exp.config_class(steps=3, n_test=20, eval_every=3, progress=False, **options)
    result = exp.run(config)
    assert isinstance(result, TaskResult)
    assert 0.0 <= result.accuracy <= 1.0 and result.metrics["accuracy"] == result.accuracy
    assert result.state_floats == result.metrics["state_floats"] > 0
    assert result.parameters == sum(p.numel() for p in result.model.parameters())
    again = exp.run(config)
    assert again.accuracy == result.accuracy                              # same seed, same numbers


def test_task_configs_name_the_option():
    from rnnlab.experiments.tasks import ParityConfig, RecallConfig

    with pytest.raises(ValueError, match="--seq-len"):
        RecallConfig(pairs=16, seq_len=16)
    with pytest.raises(ValueError, match="model"):
        ParityConfig(model="attention")
