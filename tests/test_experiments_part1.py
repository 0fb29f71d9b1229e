"""The experiments of notebooks 00 and 10 (motif, sine, beyond) take run(config, model=None, callbacks=(),
device=None): a ready model is trained as given, extra callbacks are called, the device is used."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from rnnlab.experiments.registry import TrainingBlock, field_comments
from rnnlab.train import Callback
from rnnlab.utils import set_progress

set_progress(False)


class CountSteps(Callback):
    def __init__(self) -> None:
        self.steps: list[int] = []

    def on_step(self, state) -> None:
        self.steps.append(state.step)


def test_configs_share_the_training_block_and_comment_every_field():
    from rnnlab.experiments.beyond import BeyondConfig
    from rnnlab.experiments.sequences import MotifConfig
    from rnnlab.experiments.sine import SineConfig

    for config_class in (MotifConfig, SineConfig, BeyondConfig):
        assert issubclass(config_class, TrainingBlock)
        comments = field_comments(config_class)
        for f in dataclasses.fields(config_class):
            assert f.metadata.get("help") or comments.get(f.name), f"{config_class.__name__}.{f.name} has no comment"
    assert MotifConfig().eval_every == 50 and SineConfig().eval_every == 50   # no hidden constant any more


def test_run_motif_calls_callbacks_and_uses_the_device():
    from rnnlab.experiments.sequences import MotifConfig, run_motif

    counter = CountSteps()
    result = run_motif(MotifConfig(model="gru", steps=4, n_train=32, n_test=16), callbacks=[counter], device="cpu")
    assert counter.steps == [1, 2, 3, 4]
    assert next(result.model.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="train_positions must look like 'low,high'"):
        run_motif(MotifConfig(train_positions="0-8", steps=1))


def test_run_motif_names_a_wrong_output_shape():
    from rnnlab.experiments.sequences import MotifConfig, run_motif

    class PerStep(torch.nn.Module):   # forgets to reduce over time: (batch, seq_len, 1)
        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(5, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.embed(x)

    with pytest.raises(ValueError, match=r"logits of shape \(batch, 1\)"):
        run_motif(MotifConfig(steps=1, n_train=16, n_test=8), model=PerStep())


def test_run_sine_trains_a_given_model():
    from rnnlab.experiments.sine import SineConfig, run_sine
    from rnnlab.models import SequenceModel

    torch.manual_seed(0)
    model = SequenceModel("gru", 1, 8, 1, many_to_one=False)
    counter = CountSteps()
    result = run_sine(SineConfig(steps=3, seq_len=20, n_test=8), model=model, callbacks=[counter])
    assert result.model is model and counter.steps == [1, 2, 3]
    assert result.extras["test"].shape == (8, 20, 1)


def test_run_beyond_trains_a_given_model_with_the_same_numbers():
    from rnnlab.experiments.beyond import BeyondConfig, build_model, run_beyond

    config = BeyondConfig(model="mingru", seq_len=10, steps=3, batch_size=8, n_test=20, eval_every=1, num_layers=1)
    reference = run_beyond(config)
    torch.manual_seed(config.seed)
    mine = build_model(config)
    result = run_beyond(config, model=mine)
    assert result.model is mine
    assert result.metrics["test_mse"] == pytest.approx(reference.metrics["test_mse"], rel=1e-6)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        run_beyond(config, model="mingru")
