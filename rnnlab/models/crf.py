"""A linear-chain conditional random field (CRF) on top of per-step scores: path score, forward algorithm, Viterbi.

Lafferty, McCallum and Pereira 2001 ("Conditional random fields"); on top of a BiLSTM: Huang, Xu and Yu 2015
("Bidirectional LSTM-CRF models for sequence tagging") and Lample et al. 2016 ("Neural architectures for named
entity recognition"). The forward algorithm is the same dynamic programme as CTC's alpha recursion (notebook 09):
a log-sum-exp over the ways to reach each state, one step at a time.

Conventions, shared by every function here:
- emissions `(time, tags)` or `(batch, time, tags)`: the score of each tag at each step (a tagger's logits);
- transitions `(tags, tags)`: `transitions[i, j]` is the score of tag i followed by tag j;
- a path's score is the sum of its emissions and of the transitions between its consecutive tags;
- mask `(batch, time)` of bools, True on real steps, each row a run of True then False (padding at the end).
"""

from __future__ import annotations

import torch
from torch import nn


def _batched(emissions: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, bool]:
    if emissions.dim() not in (2, 3):
        raise ValueError(f"emissions must be (time, tags) or (batch, time, tags), got shape {tuple(emissions.shape)}")
    single = emissions.dim() == 2
    if single:
        emissions = emissions.unsqueeze(0)
    batch, time, _ = emissions.shape
    if time == 0:
        raise ValueError("emissions has no time step")
    if mask is None:
        mask = torch.ones(batch, time, dtype=torch.bool, device=emissions.device)
    else:
        mask = mask.unsqueeze(0) if single and mask.dim() == 1 else mask
        if mask.shape != (batch, time):
            raise ValueError(f"mask must be (batch, time) = {(batch, time)}, got {tuple(mask.shape)}")
        mask = mask.bool()
        if not mask[:, 0].all():
            raise ValueError("every sequence needs at least one real step (mask[:, 0] must be True)")
        if (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError("mask must be True then False along time (padding only at the end)")
    return emissions, mask, single


def _check_transitions(transitions: torch.Tensor, tags: int) -> None:
    if transitions.shape != (tags, tags):
        raise ValueError(f"transitions must be (tags, tags) = {(tags, tags)}, got {tuple(transitions.shape)}")


def path_score(emissions: torch.Tensor, transitions: torch.Tensor, tags: torch.Tensor,
               mask: torch.Tensor | None = None) -> torch.Tensor:
    """The score of the tag path `tags` ((time,) or (batch, time) ints): emissions of its tags plus the
    transitions between consecutive real steps. Returns a scalar, or (batch,)."""
    emissions, mask, single = _batched(emissions, mask)
    _check_transitions(transitions, emissions.shape[-1])
    tags = tags.unsqueeze(0) if single else tags
    emitted = emissions.gather(-1, tags.unsqueeze(-1)).squeeze(-1)                # (batch, time)
    moved = transitions[tags[:, :-1], tags[:, 1:]]                                # (batch, time - 1)
    score = (emitted * mask).sum(1) + (moved * mask[:, 1:]).sum(1)
    return score[0] if single else score


def log_partition(emissions: torch.Tensor, transitions: torch.Tensor,
                  mask: torch.Tensor | None = None) -> torch.Tensor:
    """log Z: the log-sum-exp of the scores of every tag path (the forward algorithm, O(time * tags^2)).

    alpha_t[j] = emissions[t, j] + logsumexp_i(alpha_(t-1)[i] + transitions[i, j]); log Z = logsumexp(alpha_T).
    Returns a scalar, or (batch,)."""
    emissions, mask, single = _batched(emissions, mask)
    _check_transitions(transitions, emissions.shape[-1])
    alpha = emissions[:, 0]                                                       # (batch, tags)
    for t in range(1, emissions.shape[1]):
        step = torch.logsumexp(alpha.unsqueeze(2) + transitions, dim=1) + emissions[:, t]  # (batch, tags)
        alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)                 # padding keeps the last alpha
    log_z = torch.logsumexp(alpha, dim=1)
    return log_z[0] if single else log_z


def viterbi(emissions: torch.Tensor, transitions: torch.Tensor,
            mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The best tag path and its score (Viterbi: the forward algorithm with max in place of log-sum-exp).

    Returns (path, score): path (time,) or (batch, time) int64 (padding steps hold -1), score scalar or (batch,).
    """
    emissions, mask, single = _batched(emissions, mask)
    _check_transitions(transitions, emissions.shape[-1])
    batch, time, _ = emissions.shape
    best = emissions[:, 0]                                                        # (batch, tags)
    back = []
    for t in range(1, time):
        candidates = best.unsqueeze(2) + transitions                              # (batch, from, to)
        step, came_from = candidates.max(dim=1)                                   # (batch, tags) each
        real = mask[:, t].unsqueeze(1)
        best = torch.where(real, step + emissions[:, t], best)
        back.append(torch.where(real, came_from, torch.arange(best.shape[1]).expand_as(came_from)))
    score, last = best.max(dim=1)
    path = torch.full((batch, time), -1, dtype=torch.long, device=emissions.device)
    lengths = mask.sum(1)
    for b in range(batch):
        tag = int(last[b])
        n = int(lengths[b])
        path[b, n - 1] = tag
        for t in range(n - 1, 0, -1):
            tag = int(back[t - 1][b, tag])
            path[b, t - 1] = tag
    return (path[0], score[0]) if single else (path, score)


class CRF(nn.Module):
    """A CRF layer: learned transitions; `loss` is the negative log-likelihood of the gold paths, `decode` Viterbi.

    tags: the number of tags. Use it on a tagger's emissions `(batch, time, tags)` with a `(batch, time)` mask.
    """

    def __init__(self, tags: int):
        super().__init__()
        if tags < 1:
            raise ValueError(f"tags must be at least 1, got {tags}")
        self.transitions = nn.Parameter(torch.zeros(tags, tags))

    def loss(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Mean over the batch of log Z - score(gold path): what training minimises."""
        gold = path_score(emissions, self.transitions, tags, mask)
        return (log_partition(emissions, self.transitions, mask) - gold).mean()

    def decode(self, emissions: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """The best path of each sequence (padding steps hold -1)."""
        return viterbi(emissions, self.transitions, mask)[0]
