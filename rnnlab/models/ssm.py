"""Small state-space models and token models for the tasks of notebook 10, section 6.

* `SSMLayer`: a diagonal state-space layer. `selective=True` is Mamba-style (Gu & Dao 2023, "Mamba: Linear-Time
  Sequence Modeling with Selective State Spaces", arXiv:2312.00752, Algorithm 2 without the short convolution):
  the step size Delta_t and the maps B_t, C_t depend on the input x_t. `selective=False` is S4D-style
  (Gu, Gupta, Goel & Re 2022, "On the Parameterization and Initialization of Diagonal State Space Models"):
  Delta, B, C are learned constants, the same at every step (time-invariant). Per channel d and state n:

      h_t[d, n] = exp(Delta_t[d] A[d, n]) h_{t-1}[d, n] + Delta_t[d] B_t[n] u_t[d],   A < 0
      y_t[d]    = sum_n C_t[n] h_t[d, n] + D[d] u_t[d]

  The states come from the log-space scan of notebook 10 (`rnnlab.models.scan.parallel_scan_log`): log a_t =
  Delta_t A is known directly; b_t may be negative, so `signed_scan` scans its positive and negative parts
  separately (the recurrence is linear in b).
* `MinGRUNegative`: minGRU with a_t = 1 - 2 z_t in (-1, 1) instead of 1 - z_t in (0, 1), after Grazzi et al. 2024,
  "Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues" (arXiv:2411.12537): a negative a_t
  flips the state, which is what tracking parity needs. Computed step by step (short sequences here).
* `TokenModel`: token embedding(s) -> a backbone (attention, GRU, LSTM, minGRU, minGRU with a negative range,
  selective SSM, S4D) -> a linear head at every position: (batch, time[, channels]) int64 -> (batch, time, classes).
  `state_floats(T)` gives the numbers it carries from one token to the next after T tokens.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from rnnlab.models.attention import TransformerBlock, sinusoidal_positions
from rnnlab.models.scan import MinRNN, parallel_scan_log
from rnnlab.validate import check_array, check_choice, check_int

BACKBONES = ["attention", "gru", "lstm", "mingru", "mingru_negative", "ssm", "s4d"]
_EPS = 1e-6  # added to both parts in signed_scan; it cancels exactly in their difference


def signed_scan(log_a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """States of h_t = a_t h_{t-1} + b_t (h_0 = 0) for a_t > 0 given as log_a and b_t of any sign.

    log_a, b: (batch, time, hidden) -> h: (batch, time, hidden). Because h is linear in b, h = scan(b+) - scan(b-)
    with b+ = relu(b) + eps, b- = relu(-b) + eps (both positive, so both go through the log-space scan).
    """
    check_array(b, "b", shape=tuple(log_a.shape), floating=True)
    parts = torch.cat([F.relu(b), F.relu(-b)], dim=-1) + _EPS             # (batch, time, 2 hidden), positive
    h = parallel_scan_log(torch.cat([log_a, log_a], dim=-1), parts.log())  # one scan for both parts
    pos, neg = h.chunk(2, dim=-1)
    return pos - neg


class SSMLayer(nn.Module):
    """A diagonal state-space layer with a gate, (batch, time, d_model) -> (batch, time, d_model).

    selective=True: Delta_t = softplus(W_dt u_t + b_dt), B_t = W_B u_t, C_t = W_C u_t (Mamba-style).
    selective=False: Delta, B, C are parameters, the same at every step (S4D-style, time-invariant).
    A[d, n] = -exp(A_log[d, n]), initialised to -(n + 1) (S4D-real). The state holds d_model * d_state floats.
    dt_range: the initial step sizes Delta (log-uniform; Mamba uses (0.001, 0.1) for long sequences).
    """

    def __init__(self, d_model: int, d_state: int = 8, *, selective: bool = True,
                 dt_range: tuple[float, float] = (0.001, 0.1)) -> None:
        super().__init__()
        self.d_model = check_int(d_model, "d_model", minimum=1)
        self.d_state = check_int(d_state, "d_state", minimum=1)
        self.selective = bool(selective)
        self.in_proj = nn.Linear(d_model, 2 * d_model)          # u (the SSM's input) and z (the gate)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, d_state + 1, dtype=torch.float32)).repeat(d_model, 1))
        self.D = nn.Parameter(torch.ones(d_model))              # skip connection u -> y
        low, high = dt_range                                    # initial step sizes, log-uniform in [low, high]
        dt = torch.exp(torch.rand(d_model) * (math.log(high) - math.log(low)) + math.log(low))
        dt_bias = dt + torch.log(-torch.expm1(-dt))             # softplus^-1(dt), as in Mamba
        if self.selective:
            self.dt_proj = nn.Linear(d_model, d_model)          # Delta_t from u_t
            with torch.no_grad():
                self.dt_proj.bias.copy_(dt_bias)
            self.B_proj = nn.Linear(d_model, d_state, bias=False)  # B_t from u_t
            self.C_proj = nn.Linear(d_model, d_state, bias=False)  # C_t from u_t
        else:
            self.dt_bias = nn.Parameter(dt_bias)                # Delta = softplus(dt_bias), fixed in time
            self.B = nn.Parameter(torch.randn(d_model, d_state) / math.sqrt(d_state))
            self.C = nn.Parameter(torch.randn(d_model, d_state) / math.sqrt(d_state))
        self.out_proj = nn.Linear(d_model, d_model)

    def coefficients(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log a, b, C) for u: (batch, time, d_model): log a and b (batch, time, d_model, d_state),
        C (batch, time, d_model, d_state) (broadcast over d_model for the selective layer)."""
        A = -torch.exp(self.A_log)                                                   # (d, N), negative
        if self.selective:
            delta = F.softplus(self.dt_proj(u))                                      # (batch, time, d)
            B, C = self.B_proj(u)[:, :, None, :], self.C_proj(u)[:, :, None, :]      # (batch, time, 1, N)
        else:
            delta = F.softplus(self.dt_bias).expand_as(u)                            # (batch, time, d)
            B, C = self.B, self.C                                                    # (d, N)
        log_a = delta[..., None] * A                                                 # (batch, time, d, N)
        b = delta[..., None] * B * u[..., None]                                      # (batch, time, d, N)
        return log_a, b, C.expand_as(b)

    def forward(self, x: torch.Tensor, *, parallel: bool = True) -> torch.Tensor:
        check_array(x, "x", shape=("batch", "time", self.d_model), floating=True)
        batch, time, _ = x.shape
        u, z = self.in_proj(x).chunk(2, dim=-1)                                      # (batch, time, d) each
        u = F.silu(u)
        log_a, b, C = self.coefficients(u)                                           # (batch, time, d, N) each
        if parallel:
            h = signed_scan(log_a.reshape(batch, time, -1), b.reshape(batch, time, -1)).view_as(b)
        else:
            state, states = torch.zeros_like(b[:, 0]), []
            for t in range(time):                                                    # one step at a time
                state = torch.exp(log_a[:, t]) * state + b[:, t]                     # (batch, d, N)
                states.append(state)
            h = torch.stack(states, dim=1)                                           # (batch, time, d, N)
        y = (h * C).sum(-1) + self.D * u                                             # (batch, time, d)
        return self.out_proj(y * F.silu(z))


class MinGRUNegative(nn.Module):
    """minGRU whose state may flip sign: h_t = (1 - 2 z_t) h_{t-1} + z_t h~_t, z_t = sigmoid(W_z x_t),
    h~_t = W_h x_t. a_t = 1 - 2 z_t lies in (-1, 1) (Grazzi et al. 2024). (batch, time, input) ->
    (batch, time, hidden), computed with a loop over time."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.linear_z = nn.Linear(input_size, hidden_size)
        self.linear_h = nn.Linear(input_size, hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array(x, "x", shape=("batch", "time", self.input_size), floating=True)
        z = torch.sigmoid(self.linear_z(x))                                          # (batch, time, hidden)
        a, b = 1 - 2 * z, z * self.linear_h(x)                                       # a in (-1, 1)
        h, states = x.new_zeros(x.shape[0], self.hidden_size), []
        for t in range(x.shape[1]):
            h = a[:, t] * h + b[:, t]
            states.append(h)
        return torch.stack(states, dim=1)


class _Residual(nn.Module):
    """x + layer(LayerNorm(x)) for a sequence layer (batch, time, d) -> (batch, time, d)."""

    def __init__(self, layer: nn.Module, d: int) -> None:
        super().__init__()
        self.norm, self.layer = nn.LayerNorm(d), layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layer(self.norm(x))
        return x + (out[0] if isinstance(out, tuple) else out)


class TokenModel(nn.Module):
    """Token ids -> embeddings (one table per channel, summed) -> `num_layers` of a backbone -> LayerNorm -> a
    linear head at every position.

    x: (batch, time) or (batch, time, channels) int64 ids, channel c in [0, vocab_sizes[c]).
    Returns logits (batch, time, num_classes). backbone: one of BACKBONES; d: the width of every position's vector
    (the hidden size of the recurrent backbones); d_state: the state size per channel of ssm/s4d.
    """

    def __init__(self, backbone: str, vocab_sizes: list[int], num_classes: int, *, d: int = 32, num_layers: int = 2,
                 n_heads: int = 2, d_state: int = 8) -> None:
        super().__init__()
        self.backbone = check_choice(backbone, "backbone (--model)", BACKBONES)
        self.vocab_sizes = [check_int(v, "vocab size", minimum=1) for v in vocab_sizes]
        self.d, self.num_layers = check_int(d, "d", minimum=2), check_int(num_layers, "num_layers", minimum=1)
        self.d_state = check_int(d_state, "d_state", minimum=1)
        check_int(num_classes, "num_classes", minimum=2)
        self.embeddings = nn.ModuleList(nn.Embedding(v, d) for v in self.vocab_sizes)
        if backbone == "attention":
            layers = [TransformerBlock(d, n_heads, 2 * d) for _ in range(num_layers)]
        elif backbone in ("gru", "lstm"):
            rnn = nn.GRU if backbone == "gru" else nn.LSTM
            layers = [_Residual(rnn(d, d, batch_first=True), d) for _ in range(num_layers)]
        elif backbone == "mingru":
            layers = [_Residual(MinRNN("mingru", d, d), d) for _ in range(num_layers)]
        elif backbone == "mingru_negative":
            layers = [_Residual(MinGRUNegative(d, d), d) for _ in range(num_layers)]
        else:
            layers = [_Residual(SSMLayer(d, d_state, selective=backbone == "ssm"), d) for _ in range(num_layers)]
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array(x, "x", integer=True)
        if x.dim() == 2:
            x = x.unsqueeze(-1)                                                      # (batch, time, 1)
        if x.dim() != 3 or x.shape[-1] != len(self.embeddings):
            raise ValueError(f"x must be (batch, time) or (batch, time, {len(self.embeddings)}) token ids, "
                             f"got shape {tuple(x.shape)}")
        for c, size in enumerate(self.vocab_sizes):
            if x[..., c].min() < 0 or x[..., c].max() >= size:
                raise ValueError(f"token ids of channel {c} must lie in [0, {size}), got range "
                                 f"[{int(x[..., c].min())}, {int(x[..., c].max())}]")
        h = sum(emb(x[..., c]) for c, emb in enumerate(self.embeddings))            # (batch, time, d)
        if self.backbone == "attention":
            h = h + sinusoidal_positions(x.shape[1], self.d).to(h.device)
        for layer in self.layers:
            h = layer(h)                                                             # (batch, time, d)
        return self.head(self.norm(h))                                               # (batch, time, classes)

    def state_floats(self, T: int) -> int:
        """Numbers carried from one token to the next after T tokens (per sequence): the key/value cache for
        attention (2 d T per layer), h (d) or h and c (2 d) per recurrent layer, d * d_state per SSM layer."""
        T = check_int(T, "T", minimum=1)
        per_layer = {"attention": 2 * self.d * T, "gru": self.d, "lstm": 2 * self.d, "mingru": self.d,
                     "mingru_negative": self.d, "ssm": self.d * self.d_state, "s4d": self.d * self.d_state}
        return per_layer[self.backbone] * self.num_layers
