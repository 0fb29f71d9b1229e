import pytest
import torch

from rnnlab.models.attention import (
    CausalSelfAttention,
    TransformerBlock,
    TransformerConfig,
    TransformerRegressor,
    attention_reference,
    causal_mask,
    sinusoidal_positions,
)


def test_causal_mask_is_the_lower_triangle():
    m = causal_mask(3)
    assert m.dtype == torch.bool
    assert m.tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    with pytest.raises(ValueError, match="T must be >= 1"):
        causal_mask(0)


def test_sinusoidal_positions_values():
    pe = sinusoidal_positions(4, 6)
    assert pe.shape == (4, 6)
    assert torch.allclose(pe[0, 0::2], torch.zeros(3)) and torch.allclose(pe[0, 1::2], torch.ones(3))
    assert torch.isclose(pe[2, 0], torch.sin(torch.tensor(2.0)))
    assert sinusoidal_positions(3, 5).shape == (3, 5)  # odd width works


def test_attention_equals_torch_fused_causal_attention():
    torch.manual_seed(0)
    attn = CausalSelfAttention(8, 2)
    x = torch.randn(3, 7, 8)
    q, k, v = attn.qkv(x).split(8, dim=-1)
    heads = [t.view(3, 7, 2, 4).transpose(1, 2) for t in (q, k, v)]          # (batch, heads, time, d_head)
    ref = attn.proj(attention_reference(*heads).transpose(1, 2).reshape(3, 7, 8))
    assert torch.allclose(attn(x), ref, atol=1e-6)
    w = attn.last_weights
    assert w.shape == (3, 2, 7, 7)
    assert torch.allclose(w.sum(-1), torch.ones(3, 2, 7))
    assert (w[..., ~causal_mask(7)] == 0).all()


@pytest.mark.parametrize("module", ["attention", "block", "regressor"])
def test_future_positions_cannot_change_past_outputs(module):
    torch.manual_seed(1)
    x = torch.randn(2, 10, 4)
    x2 = x.clone()
    x2[:, 6:] = torch.randn(2, 4, 4) * 5                   # change the future of t = 5
    if module == "regressor":
        model = TransformerRegressor(4, 1, TransformerConfig(d_model=8, n_heads=2, d_ff=16, num_layers=2))
        assert torch.allclose(model(x[:, :6]), model(x2[:, :6]))
        assert not torch.allclose(model(x), model(x2))
        return
    model = CausalSelfAttention(4, 2) if module == "attention" else TransformerBlock(4, 2, 8)
    y, y2 = model(x), model(x2)
    assert torch.allclose(y[:, :6], y2[:, :6], atol=1e-6)
    assert not torch.allclose(y[:, 6:], y2[:, 6:])
    # and the gradient of an early output with respect to later inputs is exactly zero
    xg = x.clone().requires_grad_()
    (grad,) = torch.autograd.grad(model(xg)[:, 3].sum(), xg)
    assert (grad[:, 4:] == 0).all() and (grad[:, :4] != 0).any()


def test_step_with_cache_equals_the_full_forward():
    torch.manual_seed(2)
    model = TransformerRegressor(2, 1, TransformerConfig(d_model=8, n_heads=2, d_ff=16, num_layers=2))
    x = torch.randn(3, 9, 2)
    cache = None
    for t in range(9):
        y_t, cache = model.step(x[:, t], t, cache)
        assert torch.allclose(y_t, model(x[:, : t + 1]), atol=1e-5)
    assert len(cache) == 2 and cache[0][0].shape == (3, 2, 9, 4)   # the cache grows with every token


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="divisible by n_heads"):
        CausalSelfAttention(6, 4)
    attn = CausalSelfAttention(4, 2)
    with pytest.raises(ValueError, match=r"shape \(batch, time, 4\)"):
        attn(torch.randn(2, 3, 5))
    model = TransformerRegressor(2, 1)
    with pytest.raises(ValueError, match=r"shape \(batch, time, 2\)"):
        model(torch.randn(2, 3))
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        TransformerRegressor(2, 1, TransformerConfig(num_layers=0))


def test_check_causal_attention_verdicts(capsys, monkeypatch):
    from rnnlab.checks.beyond import check_causal_attention

    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_causal_attention(attention_reference)

    def no_mask(q, k, v):
        return torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1) @ v

    def no_scale(q, k, v):
        return attention_reference(q * q.shape[-1] ** 0.5, k, v)

    assert not check_causal_attention(no_mask)
    assert "see the future" in capsys.readouterr().out
    assert not check_causal_attention(no_scale)
    assert "sqrt(d_head)" in capsys.readouterr().out
    assert not check_causal_attention(lambda q, k, v: q)
    assert "differ" in capsys.readouterr().out


def test_plot_cost_vs_length():
    import matplotlib

    matplotlib.use("Agg")
    from rnnlab.viz.costs import plot_cost_vs_length

    fig = plot_cost_vs_length([64, 128, 256], {"attention": [1.0, 4.0, 16.0], "gru": [1.0, 2.0, 4.0]},
                              ylabel="seconds", title="t")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "sequence length T" and ax.get_ylabel() == "seconds"
    assert len(ax.lines) == 4  # two curves, two guides
    with pytest.raises(ValueError, match="2 values for 3 lengths"):
        plot_cost_vs_length([1, 2, 3], {"a": [1, 2]}, ylabel="s")
    with pytest.raises(ValueError, match="at least two positive"):
        plot_cost_vs_length([0, 2], {"a": [1, 2]}, ylabel="s")
    with pytest.raises(ValueError, match="costs is empty"):
        plot_cost_vs_length([1, 2], {}, ylabel="s")
