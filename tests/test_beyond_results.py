"""`run_beyond` returns a typed result (issue 23): fields, not extras[...] string keys."""

import dataclasses

from rnnlab.experiments.beyond import BeyondConfig, BeyondResult, run_beyond
from rnnlab.experiments.registry import Result


def test_run_beyond_returns_typed_fields_equal_to_its_metrics():
    config = BeyondConfig(model="mingru", seq_len=8, steps=2, batch_size=4, n_test=10, eval_every=1, progress=False)
    result = run_beyond(config)
    assert isinstance(result, BeyondResult) and isinstance(result, Result)
    for name in ("test_mse", "best_test_mse", "baseline_mse", "predict_one_mse", "parameters"):
        assert getattr(result, name) == result.metrics[name], name
    assert abs(result.theoretical_baseline_mse - 1 / 6) < 1e-12
    assert result.parameters == sum(p.numel() for p in result.model.parameters())
    assert result.extras == {}
    assert {f.name for f in dataclasses.fields(BeyondResult)} >= {"test_mse", "baseline_mse", "train_seconds"}
