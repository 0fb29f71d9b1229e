"""A small causal Transformer: masked self-attention, a pre-norm block, and a sequence regressor.

Vaswani et al. 2017, "Attention Is All You Need" (scaled dot-product attention, multi-head attention,
sinusoidal positions); the pre-norm block of GPT-2 (Radford et al. 2019) as in karpathy's nanoGPT.
A causal mask lets position t attend to positions <= t only, so an output never depends on the future.
`step` runs the same attention one token at a time with a key/value cache: the Transformer's memory at
inference grows with the number of tokens seen, where an RNN carries a fixed-size state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnlab.validate import check_array, check_int

KVCache = list[tuple[torch.Tensor, torch.Tensor]]


def causal_mask(T: int) -> torch.Tensor:
    """(T, T) bool mask, True where query t may attend to key s (s <= t): the lower triangle."""
    T = check_int(T, "T", minimum=1)
    return torch.ones(T, T, dtype=torch.bool).tril()


def sinusoidal_positions(T: int, d_model: int) -> torch.Tensor:
    """(T, d_model) fixed position codes: sin/cos of t / 10000^(2i/d) (Vaswani et al. 2017, section 3.5)."""
    T = check_int(T, "T", minimum=1)
    d_model = check_int(d_model, "d_model", minimum=2)
    t = torch.arange(T, dtype=torch.float32).unsqueeze(1)                         # (T, 1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2) / d_model)  # (ceil(d/2),)
    pe = torch.zeros(T, d_model)
    pe[:, 0::2] = torch.sin(t * freq)
    pe[:, 1::2] = torch.cos(t * freq[: d_model // 2])
    return pe


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees positions 0..t only.

    x: (batch, time, d_model) -> (batch, time, d_model). The attention weights of the last call are kept in
    `self.last_weights`: (batch, heads, time, time).
    """

    def __init__(self, d_model: int, n_heads: int) -> None:
        super().__init__()
        check_int(d_model, "d_model", minimum=1)
        check_int(n_heads, "n_heads", minimum=1)
        if d_model % n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got d_model={d_model}, n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)   # queries, keys and values in one matrix
        self.proj = nn.Linear(d_model, d_model)      # mixes the heads back together
        self.last_weights: torch.Tensor | None = None

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        return x.view(B, T, self.n_heads, self.d_head).transpose(1, 2)            # (batch, heads, time, d_head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array(x, "x", shape=("batch", "time", self.d_model), floating=True)
        B, T, _ = x.shape
        q, k, v = self.qkv(x).split(self.d_model, dim=-1)                         # 3 x (batch, time, d_model)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)                  # (batch, heads, time, d_head)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)                 # (batch, heads, time, time)
        scores = scores.masked_fill(~causal_mask(T).to(x.device), float("-inf"))  # no peeking at the future
        weights = torch.softmax(scores, dim=-1)
        self.last_weights = weights.detach()
        out = (weights @ v).transpose(1, 2).reshape(B, T, self.d_model)          # (batch, time, d_model)
        return self.proj(out)

    def step(self, x_t: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One new token: x_t (batch, d_model) and the keys/values of the tokens before it ->
        (y_t (batch, d_model), the cache grown by one token: 2 x (batch, heads, t + 1, d_head))."""
        check_array(x_t, "x_t", shape=("batch", self.d_model), floating=True)
        q, k, v = self.qkv(x_t.unsqueeze(1)).split(self.d_model, dim=-1)          # 3 x (batch, 1, d_model)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)                  # (batch, heads, 1, d_head)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)  # (batch, heads, t+1, d_head)
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.d_head), dim=-1)  # (batch, heads, 1, t+1)
        out = (weights @ v).transpose(1, 2).reshape(x_t.shape[0], self.d_model)   # (batch, d_model)
        return self.proj(out), (k, v)


class TransformerBlock(nn.Module):
    """Pre-norm block: x + attention(LayerNorm(x)), then x + MLP(LayerNorm(x)). (batch, time, d) -> same."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int) -> None:
        super().__init__()
        check_int(d_ff, "d_ff", minimum=1)
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))

    def step(self, x_t: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None
             ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One token through the block, x_t: (batch, d_model), with the attention's key/value cache."""
        a, cache = self.attn.step(self.ln1(x_t), cache)
        x_t = x_t + a
        return x_t + self.mlp(self.ln2(x_t)), cache


@dataclass
class TransformerConfig:
    d_model: int = 32     # width of every token's vector
    n_heads: int = 2      # attention heads (d_model must be divisible by it)
    d_ff: int = 64        # hidden units of each block's MLP
    num_layers: int = 1     # stacked blocks


class TransformerRegressor(nn.Module):
    """Input projection + sinusoidal positions -> causal Transformer blocks -> LayerNorm -> head on the last
    position: (batch, time, input_size) -> (batch, output_size). No recurrence: every position is computed
    at once."""

    def __init__(self, input_size: int, output_size: int, config: TransformerConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or TransformerConfig()
        self.input_size = check_int(input_size, "input_size", minimum=1)
        check_int(output_size, "output_size", minimum=1)
        check_int(config.num_layers, "num_layers", minimum=1)
        self.embed = nn.Linear(input_size, config.d_model)
        self.blocks = nn.ModuleList(TransformerBlock(config.d_model, config.n_heads, config.d_ff)
                                    for _ in range(config.num_layers))
        self.ln = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_array(x, "x", shape=("batch", "time", self.input_size), floating=True)
        h = self.embed(x) + sinusoidal_positions(x.shape[1], self.config.d_model).to(x.device)  # (batch, time, d)
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln(h[:, -1]))                                       # (batch, output_size)

    def step(self, x_t: torch.Tensor, t: int, cache: KVCache | None) -> tuple[torch.Tensor, KVCache]:
        """Streaming form: token x_t (batch, input_size) at position t, with one key/value cache per block ->
        (the prediction after this token (batch, output_size), the grown caches)."""
        check_array(x_t, "x_t", shape=("batch", self.input_size), floating=True)
        t = check_int(t, "t", minimum=0)
        h = self.embed(x_t) + sinusoidal_positions(t + 1, self.config.d_model)[t].to(x_t.device)  # (batch, d)
        new_cache = []
        for k, block in enumerate(self.blocks):
            h, c = block.step(h, None if cache is None else cache[k])
            new_cache.append(c)
        return self.head(self.ln(h)), new_cache


def attention_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """torch's fused causal attention, the reference that the explicit version is tested against.
    q, k, v: (batch, heads, time, d_head) -> (batch, heads, time, d_head).

    numpy arrays are converted to tensors; mixed float dtypes are computed in the widest of them. Raises
    TypeError for an argument that is not an array or not floating-point, ValueError (naming it) for a wrong
    or mismatched shape, an empty array, or a NaN or infinite entry.
    """
    q, k, v = (torch.from_numpy(np.ascontiguousarray(z)) if isinstance(z, np.ndarray) else z for z in (q, k, v))
    check_array(q, "q", shape=("batch", "heads", "time", "d_head"), floating=True, finite=True)
    B, H, _, D = q.shape
    check_array(k, "k", shape=(B, H, "time", D), floating=True, finite=True)
    check_array(v, "v", shape=(B, H, k.shape[2], "d_v"), floating=True, finite=True)
    dtype = torch.promote_types(torch.promote_types(q.dtype, k.dtype), v.dtype)
    return F.scaled_dot_product_attention(q.to(dtype), k.to(dtype), v.to(dtype), is_causal=True)
