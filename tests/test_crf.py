"""The CRF's path score, forward algorithm and Viterbi against brute force over every tag path."""

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.models.crf import CRF, log_partition, path_score, viterbi


def all_paths(time: int, tags: int):
    return [torch.tensor(p) for p in itertools.product(range(tags), repeat=time)]


@settings(max_examples=40, deadline=None)
@given(time=st.integers(1, 5), tags=st.integers(1, 4), seed=st.integers(0, 10_000))
def test_viterbi_and_log_partition_equal_brute_force(time, tags, seed):
    g = torch.Generator().manual_seed(seed)
    emissions = torch.randn(time, tags, generator=g, dtype=torch.float64)
    transitions = torch.randn(tags, tags, generator=g, dtype=torch.float64)
    scores = torch.stack([path_score(emissions, transitions, p) for p in all_paths(time, tags)])
    path, best = viterbi(emissions, transitions)
    assert torch.isclose(best, scores.max()) and torch.isclose(path_score(emissions, transitions, path), best)
    assert torch.isclose(log_partition(emissions, transitions), torch.logsumexp(scores, 0))


def test_a_path_score_adds_emissions_and_transitions():
    emissions = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    transitions = torch.tensor([[0.5, -1.0], [0.25, 0.0]])  # [i, j]: tag i followed by tag j
    assert path_score(emissions, transitions, torch.tensor([0, 1, 0])) == 1 + 2 + 3 + (-1.0) + 0.25


def test_transitions_can_overrule_emissions():
    emissions = torch.tensor([[2.0, 0.0], [0.0, 1.0]])  # step by step: tag 0 then tag 1
    forbid = torch.tensor([[0.0, -100.0], [0.0, 0.0]])  # 0 -> 1 forbidden (like O -> I-PER)
    assert viterbi(emissions, forbid)[0].tolist() == [0, 0]


def test_a_padded_batch_equals_each_sequence_alone():
    g = torch.Generator().manual_seed(0)
    emissions, transitions = torch.randn(3, 5, 4, generator=g), torch.randn(4, 4, generator=g)
    lengths = [5, 2, 1]
    mask = torch.arange(5) < torch.tensor(lengths).unsqueeze(1)
    paths, scores = viterbi(emissions, transitions, mask)
    log_z = log_partition(emissions, transitions, mask)
    for b, n in enumerate(lengths):
        alone, score = viterbi(emissions[b, :n], transitions)
        assert paths[b, :n].tolist() == alone.tolist() and (paths[b, n:] == -1).all()
        assert torch.isclose(scores[b], score)
        assert torch.isclose(log_z[b], log_partition(emissions[b, :n], transitions))


def test_the_crf_layer_learns_a_forbidden_transition():
    torch.manual_seed(0)
    crf = CRF(3)
    gold = torch.tensor([[0, 1, 1, 2], [0, 0, 1, 2]])  # tag 2 never follows tag 0
    emissions = torch.zeros(2, 4, 3)
    optimiser = torch.optim.Adam(crf.parameters(), lr=0.1)
    for _ in range(100):
        optimiser.zero_grad()
        crf.loss(emissions, gold).backward()
        optimiser.step()
    assert crf.transitions[0, 2] < crf.transitions[0, 1] - 1.0
    assert crf.loss(emissions, gold) < 2.0


@pytest.mark.parametrize("bad, message", [
    (dict(emissions=torch.zeros(2, 3, 4, 5)), "emissions must be"),
    (dict(transitions=torch.zeros(3, 3)), "transitions must be"),
    (dict(mask=torch.tensor([[True, False, True]])), "padding only at the end"),
    (dict(mask=torch.tensor([[False, False, False]])), "at least one real step")])
def test_wrong_shapes_and_masks_are_named(bad, message):
    args = dict(emissions=torch.zeros(1, 3, 4), transitions=torch.zeros(4, 4), mask=None) | bad
    with pytest.raises(ValueError, match=message):
        viterbi(**args)
