import pytest
import torch

from rnnlab.models import SequenceModel, count_parameters, matched_hidden_size


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sequence_model_shapes_and_count_parameters(cell):
    model = SequenceModel(cell, 3, 8, 2)
    assert model(torch.randn(5, 7, 3)).shape == (5, 2)
    assert count_parameters(model) == count_parameters(cell, 3, 8, 2)
    many = SequenceModel(cell, 4, 8, 6, vocab_size=6, many_to_one=False)
    assert many(torch.randint(0, 6, (5, 7))).shape == (5, 7, 6)


def test_matched_hidden_size_gives_the_rnn_more_units_than_the_lstm():
    budget = count_parameters("lstm", 2, 32, 1)
    h_rnn = matched_hidden_size("rnn", 2, 1, budget)
    h_gru = matched_hidden_size("gru", 2, 1, budget)
    assert h_rnn > h_gru > 32
    assert abs(count_parameters("rnn", 2, h_rnn, 1) - budget) / budget < 0.03


def test_sequence_model_rejects_bad_input():
    model = SequenceModel("gru", 3, 8, 1)
    with pytest.raises(ValueError, match=r"shape \(batch, time, 3\)"):
        model(torch.randn(5, 7))
    with pytest.raises(ValueError, match="axis 2 is 4, expected 3"):
        model(torch.randn(5, 7, 4))
    with pytest.raises(TypeError, match="floating-point"):
        model(torch.ones(5, 7, 3, dtype=torch.long))
    tokens = SequenceModel("rnn", 4, 8, 1, vocab_size=5)
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 5\)"):
        tokens(torch.tensor([[0, 5]]))
    with pytest.raises(ValueError, match="cell must be one of"):
        SequenceModel("transformer", 3, 8, 1)
    with pytest.raises(ValueError, match="hidden_size must be >= 1"):
        SequenceModel("rnn", 3, 0, 1)
