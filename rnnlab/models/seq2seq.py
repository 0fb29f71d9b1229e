"""Sequence-to-sequence translation with GRUs: encoder, decoder, attention, greedy and beam search.

- Encoder-decoder without attention (Cho et al. 2014; Sutskever, Vinyals & Le 2014): the decoder sees the
  source only through one fixed context vector, the encoder's final state (the bottleneck).
- Additive attention (Bahdanau, Cho & Bengio 2015, "RNNsearch"): score(s, h_j) = v^T tanh(W s + U h_j), with
  the decoder's previous state s and every encoder state h_j; the context is the weighted sum of the h_j.
- Dot-product ("general") attention (Luong, Pham & Manning 2015): score(s, h_j) = s^T W h_j / sqrt(d).
- Padded source positions get weight exactly 0 (masking), so padding a batch changes nothing.
- Greedy search and batched beam search with length normalisation (score / length^alpha, as in Wu et al.
  2016 with a simpler penalty), over any `step_fn`, so tests can run them on a hand-made toy model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.validate import check_array, check_choice, check_float, check_int

ATTENTIONS = ["additive", "dot", "none"]
StepFn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]


def lengths_to_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """lengths (batch,) -> mask (batch, max_len), True at real tokens, False at padding."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]  # (batch, max_len)


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last axis that gives weight exactly 0 where `mask` is False.

    scores, mask: (batch, src_len). Each row needs at least one True in `mask`.
    """
    if scores.shape != mask.shape:
        raise ValueError(f"scores {tuple(scores.shape)} and mask {tuple(mask.shape)} must have the same shape")
    if not bool(mask.any(-1).all()):
        raise ValueError("every row of the mask needs at least one real (True) position")
    return scores.masked_fill(~mask, float("-inf")).softmax(-1)


class AdditiveAttention(nn.Module):
    """Bahdanau attention: e_j = v^T tanh(W_q q + W_k k_j); weights = masked softmax(e); context = sum_j w_j k_j.

    query: (batch, query_size) the decoder state; keys: (batch, src_len, key_size) the encoder states.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int) -> None:
        super().__init__()
        self.W_q = nn.Linear(check_int(query_size, "query_size", minimum=1),
                             check_int(attention_size, "attention_size", minimum=1), bias=False)
        self.W_k = nn.Linear(check_int(key_size, "key_size", minimum=1), attention_size)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """W_k k_j for every source position, computed once per sentence: (batch, src_len, attention_size)."""
        return self.W_k(keys)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor,
                projected_keys: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """-> context (batch, key_size), weights (batch, src_len)."""
        pk = self.project_keys(keys) if projected_keys is None else projected_keys     # (batch, src_len, A)
        scores = self.v(torch.tanh(self.W_q(query)[:, None, :] + pk)).squeeze(-1)      # (batch, src_len)
        weights = masked_softmax(scores, mask)                                           # (batch, src_len)
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)                       # (batch, key_size)
        return context, weights


class DotProductAttention(nn.Module):
    """Luong 'general' attention: e_j = q^T W k_j / sqrt(query_size); the rest as in AdditiveAttention."""

    def __init__(self, query_size: int, key_size: int, attention_size: int | None = None) -> None:
        super().__init__()
        self.W = nn.Linear(check_int(key_size, "key_size", minimum=1),
                           check_int(query_size, "query_size", minimum=1), bias=False)
        self.scale = 1.0 / math.sqrt(query_size)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.W(keys)                                                              # (batch, src_len, Q)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor,
                projected_keys: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        pk = self.project_keys(keys) if projected_keys is None else projected_keys      # (batch, src_len, Q)
        scores = torch.bmm(pk, query[:, :, None]).squeeze(-1) * self.scale              # (batch, src_len)
        weights = masked_softmax(scores, mask)
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)                       # (batch, key_size)
        return context, weights


class Encoder(nn.Module):
    """Embedding -> (bidirectional) nn.GRU over the packed source, so padding never enters the states.

    src: (batch, src_len) ids, lengths: (batch,) -> outputs (batch, src_len, output_size) (zeros at padding),
    final (batch, output_size): the last forward state and the first backward state, concatenated.
    """

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, bidirectional: bool = True) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.rnn = nn.GRU(embedding_dim, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.output_size = hidden_size * (2 if bidirectional else 1)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.embedding(src)                                                        # (batch, src_len, E)
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)                                                        # h: (dirs, batch, H)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (batch, src_len, D*H)
        final = torch.cat(list(h), dim=-1)                                               # (batch, D*H)
        return out, final


@dataclass
class Memory:
    """What the decoder reads from the source at every step."""

    outputs: torch.Tensor                  # encoder states (batch, src_len, C)
    mask: torch.Tensor                     # (batch, src_len), True at real tokens
    final: torch.Tensor                    # the fixed context of the no-attention model (batch, C)
    projected: torch.Tensor | None = None  # attention keys projected once (batch, src_len, A)

    def repeat(self, k: int) -> Memory:
        """Each sentence k times in a row (for beam search): batch -> batch * k."""
        def rep(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.repeat_interleave(k, dim=0)
        return Memory(rep(self.outputs), rep(self.mask), rep(self.final), rep(self.projected))


@dataclass
class Seq2SeqConfig:
    src_vocab_size: int                    # source vocabulary size (with specials)
    tgt_vocab_size: int                    # target vocabulary size (with specials)
    embedding_dim: int = 64               # token embedding size, both sides
    hidden_size: int = 128                 # GRU units (encoder: per direction; decoder)
    attention: str = "additive"            # 'additive' (Bahdanau), 'dot' (Luong) or 'none' (fixed context)
    attention_size: int = 128              # size of the additive attention's hidden layer
    bidirectional: bool = True             # bidirectional encoder

    def __post_init__(self) -> None:
        check_int(self.src_vocab_size, "src_vocab_size", minimum=5)
        check_int(self.tgt_vocab_size, "tgt_vocab_size", minimum=5)
        check_int(self.embedding_dim, "embedding_dim", minimum=1)
        check_int(self.hidden_size, "hidden_size", minimum=1)
        check_int(self.attention_size, "attention_size", minimum=1)
        check_choice(self.attention, "attention", ATTENTIONS)


class Seq2Seq(nn.Module):
    """GRU encoder -> GRU decoder, with additive, dot-product or no attention.

    Decoder step (Bahdanau 2015, appendix A): c_i = attend(s_{i-1}, h_1..h_S) (or the encoder's final state
    when there is no attention); s_i = GRU([embed(y_{i-1}); c_i], s_{i-1}); logits = W_o [s_i; c_i; embed(y_{i-1})].
    Token ids: 0 is <pad>; `bos_id` and `eos_id` are the target vocabulary's.
    """

    def __init__(self, config: Seq2SeqConfig, bos_id: int = 2, eos_id: int = 3) -> None:
        super().__init__()
        self.config, self.bos_id, self.eos_id = config, bos_id, eos_id
        c = config
        self.encoder = Encoder(c.src_vocab_size, c.embedding_dim, c.hidden_size, c.bidirectional)
        C = self.encoder.output_size
        self.bridge = nn.Linear(C, c.hidden_size)                      # encoder final -> decoder initial state
        self.attention: nn.Module | None = {
            "additive": lambda: AdditiveAttention(c.hidden_size, C, c.attention_size),
            "dot": lambda: DotProductAttention(c.hidden_size, C),
            "none": lambda: None}[c.attention]()
        self.embedding = nn.Embedding(c.tgt_vocab_size, c.embedding_dim, padding_idx=0)
        self.cell = nn.GRUCell(c.embedding_dim + C, c.hidden_size)
        self.out = nn.Linear(c.hidden_size + C + c.embedding_dim, c.tgt_vocab_size)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """-> the Memory and the decoder's initial state (batch, hidden)."""
        check_array(src, "src", shape=("batch", "src_len"), integer=True)
        check_array(lengths, "lengths", shape=(src.shape[0],), integer=True)
        if int(lengths.min()) < 1 or int(lengths.max()) > src.shape[1]:
            raise ValueError(f"lengths must lie in [1, {src.shape[1]}], got [{int(lengths.min())}, "
                             f"{int(lengths.max())}]")
        outputs, final = self.encoder(src, lengths)
        mask = lengths_to_mask(lengths.to(src.device), src.shape[1])                     # (batch, src_len)
        projected = self.attention.project_keys(outputs) if self.attention is not None else None
        return Memory(outputs, mask, final, projected), torch.tanh(self.bridge(final))

    def step(self, y_prev: torch.Tensor, h: torch.Tensor,
             memory: Memory) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoder step. y_prev: (batch,) ids, h: (batch, hidden) ->
        logits (batch, vocab), new h (batch, hidden), attention weights (batch, src_len) or None."""
        e = self.embedding(y_prev)                                                       # (batch, E)
        if self.attention is not None:
            context, weights = self.attention(h, memory.outputs, memory.mask, memory.projected)  # (batch, C)
        else:
            context, weights = memory.final, None                                       # the bottleneck
        h = self.cell(torch.cat([e, context], -1), h)                                    # (batch, hidden)
        logits = self.out(torch.cat([h, context, e], -1))                                # (batch, vocab)
        return logits, h, weights

    def forward(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor,
                teacher_forcing: float = 1.0,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decode along `tgt_in` (batch, tgt_len), which starts with <bos>.

        teacher_forcing: probability of feeding the true previous token; 0.0 feeds the model's own greedy
        prediction at every step (free running, as at test time).
        -> logits (batch, tgt_len, vocab), attention weights (batch, tgt_len, src_len) or None.
        """
        check_float(teacher_forcing, "teacher_forcing", minimum=0.0, maximum=1.0)
        check_array(tgt_in, "tgt_in", shape=(src.shape[0], "tgt_len"), integer=True)
        memory, h = self.encode(src, lengths)
        logits, weights, y = [], [], tgt_in[:, 0]
        for t in range(tgt_in.shape[1]):
            step_logits, h, w = self.step(y, h, memory)
            logits.append(step_logits)
            weights.append(w)
            if t + 1 < tgt_in.shape[1]:
                if teacher_forcing >= 1.0:
                    y = tgt_in[:, t + 1]
                else:
                    own = step_logits.argmax(-1)
                    use_true = torch.rand(own.shape, generator=generator) < teacher_forcing
                    y = torch.where(use_true.to(own.device), tgt_in[:, t + 1], own)
        attn = torch.stack(weights, 1) if weights[0] is not None else None               # (batch, tgt, src)
        return torch.stack(logits, 1), attn                                              # (batch, tgt, vocab)

    def step_fn(self, memory: Memory) -> StepFn:
        """The decoder as a `step_fn(tokens, h) -> (log_probs, h, weights)` for greedy/beam search."""
        def fn(tokens: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
            logits, h, w = self.step(tokens, h, memory)
            return logits.log_softmax(-1), h, w
        return fn


# ---------------------------------------------------------------------------------------------- search

@dataclass
class SearchResult:
    """Best hypothesis per sentence."""

    tokens: torch.Tensor            # (batch, steps) ids; read each row up to its first <eos>
    log_prob: torch.Tensor          # (batch,) sum of token log-probabilities, <eos> included
    length: torch.Tensor            # (batch,) tokens generated, <eos> included
    weights: torch.Tensor | None    # (batch, steps, src_len) attention weights, or None
    finished: torch.Tensor | None = None  # (batch,) bool: False where no hypothesis ended by max_len (cut off)

    def score(self, length_penalty: float = 0.0) -> torch.Tensor:
        """Length-normalised score log_prob / length^alpha (alpha=0: the plain log-probability)."""
        return self.log_prob / self.length.clamp(min=1).float() ** length_penalty


def check_log_probs(logp: object, rows: int, *, name: str = "step_fn") -> torch.Tensor:
    """Refuse decoder outputs that are not log-probabilities over the vocabulary (rows: expected batch rows).

    Search ranks hypotheses by summed log-probabilities: raw logits (a model without log_softmax) or
    probabilities would rank them by something else without a word. Each row must be (-inf or) <= 0 and have
    logsumexp 0 (within 1e-3). Raises ValueError naming what was found and the fix.
    """
    if not isinstance(logp, torch.Tensor) or logp.ndim != 2 or logp.shape[0] != rows:
        shape = tuple(logp.shape) if isinstance(logp, torch.Tensor) else type(logp).__name__
        raise ValueError(f"{name} must return log-probabilities of shape (rows={rows}, vocab), got {shape}")
    if not logp.dtype.is_floating_point:
        raise ValueError(f"{name} must return floating-point log-probabilities, got {logp.dtype}")
    if bool(torch.isnan(logp).any()) or bool((logp == float("inf")).any()):
        raise ValueError(f"{name} returned NaN or +inf log-probabilities: the decoder's output is not finite")
    total = torch.logsumexp(logp.float(), -1)                                            # (rows,)
    worst = float((total.abs()).max())
    if worst > 1e-3:
        if bool((logp >= 0).all()) and float((logp.float().sum(-1) - 1).abs().max()) < 1e-3:
            what = "probabilities (rows sum to 1); take their log, or log_softmax the logits"
        else:
            what = f"raw scores (a row's logsumexp is {float(total[total.abs().argmax()]):.3g}, not 0); " \
                   "apply log_softmax(-1) to the decoder's logits"
        raise ValueError(f"{name} must return log-probabilities (each row's logsumexp 0); got {what}")
    return logp


def _check_step(out: object, rows: int) -> tuple[torch.Tensor, Any, torch.Tensor | None]:
    if not isinstance(out, tuple) or len(out) != 3:
        raise ValueError("step_fn(tokens, state) must return a tuple (log_probs, state, weights or None), got "
                         f"{type(out).__name__}")
    return check_log_probs(out[0], rows), out[1], out[2]


def greedy_search(step_fn: StepFn, state: torch.Tensor, batch_size: int, *, bos_id: int, eos_id: int,
                  max_len: int) -> SearchResult:
    """Pick the most likely token at every step until <eos> (or `max_len` tokens: then `finished` is False).

    step_fn(tokens (batch,), state) -> (log_probs (batch, vocab), state, weights (batch, src_len) or None);
    ValueError when its outputs are not log-probabilities (`check_log_probs`).
    """
    check_int(max_len, "max_len", minimum=1)
    y = torch.full((batch_size,), bos_id, dtype=torch.long, device=state.device)
    done = torch.zeros(batch_size, dtype=torch.bool, device=state.device)
    log_prob = torch.zeros(batch_size, device=state.device)
    length = torch.zeros(batch_size, dtype=torch.long, device=state.device)
    tokens, weights = [], []
    for _ in range(max_len):
        logp, state, w = _check_step(step_fn(y, state), batch_size)                      # (batch, vocab)
        best, y = logp.max(-1)                                                           # (batch,)
        log_prob = log_prob + torch.where(done, torch.zeros_like(best), best)
        length = length + (~done).long()
        y = torch.where(done, torch.full_like(y, eos_id), y)
        tokens.append(y)
        weights.append(w)
        done = done | (y == eos_id)
        if bool(done.all()):
            break
    w = torch.stack(weights, 1) if weights[0] is not None else None                     # (batch, steps, src)
    return SearchResult(torch.stack(tokens, 1), log_prob, length, w, done)


def beam_search(step_fn: StepFn, state: torch.Tensor, batch_size: int, *, bos_id: int, eos_id: int,
                max_len: int, beam_width: int = 5, length_penalty: float = 1.0) -> SearchResult:
    """Batched beam search: keep the `beam_width` best partial translations of each sentence.

    `state` holds batch_size * beam_width rows (each sentence's row repeated beam_width times in a row);
    step_fn(tokens (N,), state (N, ...)) -> (log_probs (N, vocab), state, weights (N, src_len) or None).
    At every step each live hypothesis is extended by every token, and the best `k` extensions are kept
    (ranked by log_prob / length^length_penalty; 0: no normalisation), k = beam_width minus the hypotheses
    already finished. An extension that ends with <eos> is finished: it leaves the beam for the finished pool,
    so the beam narrows by one. The search stops when beam_width hypotheses have finished (or after max_len
    tokens). The answer is the best *finished* hypothesis; an unfinished one (cut off at max_len) is returned
    only for a sentence where none finished, with `finished` False: it never outranks a finished one.
    beam_width=1 is greedy search. ValueError when step_fn's outputs are not log-probabilities.
    """
    K = check_int(beam_width, "beam_width", minimum=1)
    B = check_int(batch_size, "batch_size", minimum=1)
    check_int(max_len, "max_len", minimum=1)
    alpha = check_float(length_penalty, "length_penalty", minimum=0.0)
    if state.shape[0] != B * K:
        raise ValueError(f"state must have batch_size * beam_width = {B * K} rows, got {state.shape[0]}")
    dev = state.device
    NEG = float("-inf")
    scores = torch.full((B, K), NEG, device=dev)
    scores[:, 0] = 0.0                                           # at the start only one hypothesis is alive
    tokens = torch.zeros(B, K, 0, dtype=torch.long, device=dev)
    weights: torch.Tensor | None = None
    n_done = torch.zeros(B, dtype=torch.long, device=dev)        # finished hypotheses per sentence
    best = {"rank": torch.full((B,), NEG, device=dev), "score": torch.zeros(B, device=dev),
            "length": torch.zeros(B, dtype=torch.long, device=dev),
            "tokens": torch.full((B, max_len), eos_id, dtype=torch.long, device=dev), "weights": None}
    y = torch.full((B * K,), bos_id, dtype=torch.long, device=dev)
    offset = (torch.arange(B, device=dev) * K)[:, None]         # (B, 1): first row of each sentence
    for t in range(max_len):
        logp, state, w = _check_step(step_fn(y, state), B * K)  # (B*K, V)
        V = logp.shape[-1]
        cand = scores[..., None] + logp.view(B, K, V)             # (B, K, V); dead slots stay -inf
        ranked = cand / float(t + 1) ** alpha                     # every live hypothesis has t + 1 tokens
        top, idx = ranked.reshape(B, K * V).topk(K, dim=-1)      # (B, K), best first
        beam, tok = idx // V, idx % V                            # which parent, which token
        new_scores = cand.reshape(B, K * V).gather(1, idx)
        keep = (torch.arange(K, device=dev)[None, :] < (K - n_done)[:, None]) & torch.isfinite(top)
        tokens = torch.cat([tokens.gather(1, beam[..., None].expand(B, K, t)), tok[..., None]], -1)
        if w is not None:
            w = w.view(B, K, 1, -1)
            prev = weights.gather(1, beam[..., None, None].expand(B, K, t, w.shape[-1])) if t else w[:, :, :0]
            weights = torch.cat([prev, w.gather(1, beam[..., None, None].expand(B, K, 1, w.shape[-1]))], 2)
            if best["weights"] is None:
                best["weights"] = torch.zeros(B, max_len, w.shape[-1], device=dev)
        ended = keep & (tok == eos_id)                            # (B, K) finished at this step
        for j in range(K):                                        # in rank order: the better one first
            better = ended[:, j] & (top[:, j] > best["rank"])
            if bool(better.any()):
                best["rank"] = torch.where(better, top[:, j], best["rank"])
                best["score"] = torch.where(better, new_scores[:, j], best["score"])
                best["length"] = torch.where(better, torch.full_like(best["length"], t + 1), best["length"])
                row = torch.full((B, max_len), eos_id, dtype=torch.long, device=dev)
                row[:, : t + 1] = tokens[:, j]
                best["tokens"] = torch.where(better[:, None], row, best["tokens"])
                if weights is not None:
                    wrow = torch.zeros(B, max_len, weights.shape[-1], device=dev)
                    wrow[:, : t + 1] = weights[:, j]
                    best["weights"] = torch.where(better[:, None, None], wrow, best["weights"])
        n_done = n_done + ended.sum(-1)
        scores = torch.where(keep & ~ended, new_scores, torch.full_like(new_scores, NEG))  # live hypotheses
        rows = (offset + beam).reshape(-1)                        # (B*K,) parent rows
        state = state.index_select(0, rows)
        y = torch.where(tok == eos_id, torch.zeros_like(tok), tok).reshape(-1)  # dead slots read a harmless id
        if not bool(torch.isfinite(scores).any()):
            break
    finished = torch.isfinite(best["rank"])                       # (B,)
    steps = int(best["length"].max()) if bool(finished.all()) else max(int(best["length"].max()), tokens.shape[-1])
    out_tokens = best["tokens"][:, :steps].clone()
    out_score, out_length = best["score"].clone(), best["length"].clone()
    out_weights = best["weights"][:, :steps].clone() if best["weights"] is not None else None
    if not bool(finished.all()):                                  # no hypothesis ended: the best cut-off one
        alive_rank = scores / float(tokens.shape[-1]) ** alpha
        pick = alive_rank.argmax(-1)                              # (B,)
        T = tokens.shape[-1]
        cut = tokens.gather(1, pick[:, None, None].expand(B, 1, T)).squeeze(1)
        fill = torch.full((B, steps), eos_id, dtype=torch.long, device=dev)
        fill[:, :T] = cut
        out_tokens = torch.where(finished[:, None], out_tokens, fill)
        out_score = torch.where(finished, out_score, scores.gather(1, pick[:, None]).squeeze(1))
        out_length = torch.where(finished, out_length, torch.full_like(out_length, T))
        if out_weights is not None:
            wcut = torch.zeros_like(out_weights)
            wcut[:, :T] = weights.gather(1, pick[:, None, None, None].expand(B, 1, T, weights.shape[-1])).squeeze(1)
            out_weights = torch.where(finished[:, None, None], out_weights, wcut)
    return SearchResult(out_tokens, out_score, out_length, out_weights, finished)


@torch.no_grad()
def translate_ids(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, *, method: str = "greedy",
                  beam_width: int = 5, length_penalty: float = 1.0, max_len: int | None = None) -> SearchResult:
    """Translate a padded batch of source ids with greedy or beam search (model in eval mode).

    max_len defaults to 2 * longest source + 5 tokens.
    """
    check_choice(method, "method", ["greedy", "beam"])
    was_training = model.training
    model.eval()
    memory, h = model.encode(src, lengths)
    max_len = max_len if max_len is not None else 2 * src.shape[1] + 5
    B = src.shape[0]
    if method == "greedy":
        result = greedy_search(model.step_fn(memory), h, B, bos_id=model.bos_id, eos_id=model.eos_id,
                               max_len=max_len)
    else:
        K = check_int(beam_width, "beam_width", minimum=1)
        result = beam_search(model.step_fn(memory.repeat(K)), h.repeat_interleave(K, dim=0), B,
                             bos_id=model.bos_id, eos_id=model.eos_id, max_len=max_len, beam_width=K,
                             length_penalty=length_penalty)
    model.train(was_training)
    return result


def translate_texts(model: Seq2Seq, data: Any, sources: Sequence[str], *, method: str = "greedy",
                    beam_width: int = 5, length_penalty: float = 1.0,
                    chunk: int = 256) -> tuple[list[str], list[SearchResult]]:
    """Translate source texts -> (translations, one SearchResult per chunk of `chunk` sentences).

    `data` turns text into ids and back: `data.encode_sources(texts) -> (ids, lengths)`, `data.tgt_vocab.decode`
    and `data.detokenize` (a `rnnlab.data.translation.ParallelData`). Unknown source words become <unk>.
    """
    if isinstance(sources, str):
        raise TypeError("sources must be a list of texts, got one str; wrap it in a list")
    check_int(chunk, "chunk", minimum=1)
    device = next(model.parameters()).device
    out, results = [], []
    for i in range(0, len(sources), chunk):
        src, lengths = data.encode_sources(sources[i: i + chunk])
        r = translate_ids(model, src.to(device), lengths.to(device), method=method, beam_width=beam_width,
                          length_penalty=length_penalty)
        out += [data.detokenize(data.tgt_vocab.decode(row.tolist())) for row in r.tokens.cpu()]
        results.append(r)
    return out, results
