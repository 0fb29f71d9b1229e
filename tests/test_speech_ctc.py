"""Notebook 09's CTC pieces: impossible settings rejected (issue 15 case C), the training step the notebook
writes out, the alpha-recursion exercise check, the bootstrap interval, and each end-of-notebook exercise's
tiny reference solution (issue 13)."""

import math
import random

import numpy as np
import pytest
import torch
from solutions import ctc_nll

from rnnlab.checks.ctc import CTC_CASES, check_ctc_forward, reference_nll
from rnnlab.data.speech import load_speech_digits
from rnnlab.experiments.speech import (
    SpeechConfig,
    check_alignable,
    make_real_batches,
    output_frames,
    run_speech,
    speech_batch,
    speech_loss,
)
from rnnlab.metrics.edit_distance import digit_error_rate, error_rate_interval
from rnnlab.models.ctc import (
    BLANK,
    AcousticConfig,
    CTCAcousticModel,
    min_ctc_frames,
    pad_features,
    predict_log_probs,
)


def tiny_model(**kw) -> CTCAcousticModel:
    torch.manual_seed(0)
    return CTCAcousticModel(AcousticConfig(n_mels=32, hidden_size=8, num_layers=1, subsample=3, **kw))


# ---------------------------------------------------------------- impossible settings (issue 15 C)
def test_min_ctc_frames_counts_a_blank_between_repeats():
    assert min_ctc_frames([]) == 0 and min_ctc_frames([4]) == 1
    assert min_ctc_frames([3, 3, 7]) == 4 and min_ctc_frames([1, 1, 1]) == 5 and min_ctc_frames([1, 2, 1]) == 3


def test_check_alignable_names_the_clips_and_the_largest_subsample():
    frames = {"training": [6, 3, 30], "held-out": [5]}
    labels = {"training": [[1, 1], [2], [1, 2, 3]], "held-out": [[5, 6, 7]]}
    check_alignable(frames, labels, 2)                     # ceil(6/2) = 3 >= 3, ceil(5/2) = 3 >= 3
    with pytest.raises(ValueError, match=r"--subsample 3 leaves 1 of 3 training clips, 1 of 1 held-out clips.*"
                                         r"largest subsample that works for every clip is 2: use --subsample 2"):
        check_alignable(frames, labels, 3)
    with pytest.raises(ValueError, match="even subsample 1"):
        check_alignable({"x": [1]}, {"x": [[1, 2]]}, 1)


def test_speech_experiment_rejects_a_subsample_that_leaves_clips_unalignable():
    train, test = load_speech_digits("train"), load_speech_digits("test")
    frames = np.array([len(f) for f in train.feats] + [len(f) for f in test.feats])
    need = np.array([min_ctc_frames(y) for y in train.labels + test.labels])
    assert (output_frames(frames, 20) < need).any(), "the data changed: pick a subsample that fails"
    largest = max(s for s in range(1, 20) if (output_frames(frames, s) >= need).all())
    n_bad = int((output_frames(frames[:len(train)], 20) < need[:len(train)]).sum())
    with pytest.raises(ValueError, match=rf"--subsample 20 leaves {n_bad:,} of {len(train):,} training clips"):
        run_speech(SpeechConfig(subsample=20, steps=3, seed=0, progress=False, n_real=3))
    with pytest.raises(ValueError, match=rf"use --subsample {largest} or less"):
        run_speech(SpeechConfig(subsample=20, steps=3, seed=0, progress=False, n_real=3))


def test_empty_clip_and_bad_lengths_are_named():
    model = tiny_model().eval()
    with pytest.raises(ValueError, match=r"feats\[1\] has 0 frames"):
        predict_log_probs(model, [torch.randn(50, 32), torch.zeros(0, 32)])
    with pytest.raises(ValueError, match=r"feats\[0\] has 0 frames"):
        predict_log_probs(model, [torch.zeros(0, 32)])
    with pytest.raises(ValueError, match=r"feats\[1\] has 31 features"):
        pad_features([torch.randn(5, 32), torch.randn(5, 31)])
    x = torch.randn(2, 9, 32)
    with pytest.raises(ValueError, match=r"lengths\[1\] is 0"):
        model(x, torch.tensor([9, 0]))
    with pytest.raises(ValueError, match=r"lengths\[0\] is 12, longer than the padded length 9"):
        model(x, torch.tensor([12, 4]))
    with pytest.raises(ValueError, match="has 2 entries but the batch has 3 sequences"):
        model(torch.randn(3, 9, 32), torch.tensor([9, 4]))
    with pytest.raises(TypeError, match="integer dtype"):
        model(x, torch.tensor([1.5, 2.0]))
    log_probs, out_lengths = model(x, torch.tensor([9, 4]))   # (2, 9', 11), the frames after subsampling
    assert out_lengths.tolist() == model.output_lengths(torch.tensor([9, 4])).tolist()


def test_speech_loss_rejects_an_unalignable_example_instead_of_zeroing_it():
    model = tiny_model()
    x, lengths = pad_features([torch.randn(6, 32), torch.randn(9, 32)])   # 2 and 3 output frames
    batch = (x, lengths, torch.tensor([2, 2, 2, 5]), torch.tensor([2, 2]))  # "1 1" needs 3 frames, "1 4" 2
    with pytest.raises(ValueError, match="example 0 of the batch gets 2 output frames but its 2 digits need 3"):
        speech_loss(model, batch)


# ---------------------------------------------------------------- the training step of the notebook
def test_speech_loss_is_ctc_loss_with_the_lengths_written_out():
    train = load_speech_digits("train")
    rng = random.Random(0)
    batch = speech_batch(train.feats[:20], train.labels[:20], rng, batch_size=4, concat_prob=0.5, mask_prob=0.5,
                         subsample=3)
    x, lengths, targets, target_lengths = batch
    assert targets.min() >= 1 and int(target_lengths.sum()) == len(targets) and x.shape[0] == 4
    model = tiny_model()
    log_probs, out_lengths = model(x, lengths)                             # (batch, time', 11)
    assert out_lengths.tolist() == [math.ceil(n / 3) for n in lengths.tolist()]
    by_hand = torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), targets, out_lengths, target_lengths,
                                           blank=BLANK, reduction="none")  # (batch,)
    torch.testing.assert_close(speech_loss(model, batch), (by_hand / target_lengths).mean())


# ---------------------------------------------------------------- the alpha-recursion exercise
def test_check_ctc_forward_passes_the_reference_and_names_mistakes(monkeypatch, capsys):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    for _, (lp, target, blank) in CTC_CASES:
        assert ctc_nll(lp, target, blank) == pytest.approx(reference_nll(lp, target, blank), abs=1e-8)
    assert check_ctc_forward(ctc_nll)
    assert check_ctc_forward(lambda lp, t, b: torch.tensor(ctc_nll(lp, t, b), dtype=torch.float32))
    assert not check_ctc_forward(lambda lp, t, b: -ctc_nll(lp, t, b))
    assert "sign is flipped" in capsys.readouterr().out
    assert not check_ctc_forward(lambda lp, t, b: math.exp(-ctc_nll(lp, t, b)))
    assert "probability" in capsys.readouterr().out

    def stub(lp, t, b):
        raise NotImplementedError("write the recursion")

    assert not check_ctc_forward(stub)
    assert "not done yet" in capsys.readouterr().out


# ---------------------------------------------------------------- the confidence interval
def test_error_rate_interval():
    refs = [[1, 2, 3, 4]] * 10
    assert error_rate_interval([[1, 2, 3, 5]] * 10, refs) == pytest.approx((0.25, 0.25))   # every string alike
    hyps = [[1, 2, 3, 4]] * 5 + [[]] * 5
    low, high = error_rate_interval(hyps, refs)
    assert low < digit_error_rate(hyps, refs) == 0.5 < high
    assert 0.15 < low and high < 0.85
    narrow = error_rate_interval(hyps * 10, refs * 10)
    assert narrow[1] - narrow[0] < (high - low) / 2, "ten times the strings should narrow the interval"
    with pytest.raises(ValueError, match="level"):
        error_rate_interval(hyps, refs, level=1.5)


# ---------------------------------------------------------------- the end-of-notebook exercises, tiny
TINY = dict(steps=2, hidden_size=8, batch_size=4, n_real=3, beam_width=2, eval_every=2, progress=False)


@pytest.mark.slow
def test_exercise_1_lstm_and_two_layers():
    result = run_speech(SpeechConfig(model="lstm", num_layers=2, **TINY))
    assert isinstance(result.model.rnn, torch.nn.LSTM) and result.model.rnn.num_layers == 2


@pytest.mark.slow
def test_exercise_2_no_concatenation_no_masks():
    result = run_speech(SpeechConfig(concat_prob=0.0, mask_prob=0.0, **TINY))
    assert result.metrics["steps"] == 2


@pytest.mark.slow
def test_exercise_4_unidirectional_model():
    result = run_speech(SpeechConfig(bidirectional=False, **TINY))
    assert not result.model.rnn.bidirectional and result.model.head.in_features == 8
    own = run_speech(SpeechConfig(**TINY), model=tiny_model(bidirectional=False))
    assert not own.model.rnn.bidirectional


@pytest.mark.slow
def test_exercise_5_fine_tune_on_real_strings():
    from rnnlab.data.features import speech_features
    from rnnlab.data.speech import real_digit_strings
    from rnnlab.train import TrainConfig, train

    waves, labels, _ = real_digit_strings(6, seed=5)
    feats = [speech_features(w) for w in waves]
    model = tiny_model()
    history = train(model, make_real_batches(feats, labels, seed=0, batch_size=3), speech_loss,
                    TrainConfig(steps=2, lr=1e-3, clip_grad_norm=5.0, progress=False))
    assert len(history.loss) == 2 and all(math.isfinite(v) for v in history.loss)


@pytest.mark.slow
def test_speech_experiment_curve_ends_on_the_reported_rate():
    result = run_speech(SpeechConfig(**TINY))
    m = result.metrics
    assert result.history.last("digit_error_rate") == m["digit_error_rate"]
    assert m["real_digit_error_rate_low"] <= m["real_digit_error_rate"] <= m["real_digit_error_rate_high"]
    assert m["n_real"] == 3


def test_exercise_3_noise_sweep_with_the_widget_function():
    from rnnlab.data.speech import load_demo_clips
    from rnnlab.widgets.speech import analyse_clip

    clips = load_demo_clips()
    model = tiny_model().eval()
    c = clips[0]
    sweep = [analyse_clip(model, clips, c.voice, c.rate, db) for db in (-40.0, 0.0, 20.0)]
    assert [r["noise_db"] for r in sweep] == [-40.0, 0.0, 20.0]
    assert all(r["errors"] == edit_distance_of(r) for r in sweep)
    assert "louder than the speech" in sweep[2]["message"] and sweep[0]["message"] == ""


def edit_distance_of(r: dict) -> int:
    from rnnlab.metrics.edit_distance import edit_distance

    return edit_distance(r["decoded"], r["reference"])


# ---------------------------------------------------------------- augmentation and schedule of the recipe
class FixedRng:
    """A stand-in for random.Random whose uniform draws are fixed, to test the augmentation by hand."""

    def __init__(self, *values: float) -> None:
        self.values = list(values)

    def uniform(self, a: float, b: float) -> float:
        return self.values.pop(0)


def test_stretch_and_warp_by_hand():
    from rnnlab.experiments.speech import stretch_and_warp

    x = torch.arange(40.0).reshape(10, 4)                                  # (frames=10, n_mels=4)
    same = stretch_and_warp(x, FixedRng(0.0), stretch=0.0, warp_bands=1.0)
    assert torch.equal(same, x)
    warped = stretch_and_warp(x, FixedRng(1.0), stretch=0.0, warp_bands=2.0)   # every band reads one band lower
    assert torch.equal(warped[:, 1:], x[:, :-1]) and torch.equal(warped[:, 0], x[:, 0])
    half = stretch_and_warp(x, FixedRng(-0.5), stretch=0.0, warp_bands=2.0)    # half a band higher
    assert torch.allclose(half[:, 1], (x[:, 1] + x[:, 2]) / 2) and torch.equal(half[:, 3], x[:, 3])
    longer = stretch_and_warp(x, FixedRng(1.2), stretch=0.3, warp_bands=0.0)   # 10 frames -> 12
    assert longer.shape == (12, 4) and torch.equal(longer[0], x[0]) and torch.equal(longer[-1], x[-1])
    assert torch.allclose(longer[:, 0], torch.linspace(0, 36, 12))            # linear in time
    kept = stretch_and_warp(x, FixedRng(0.5), stretch=0.5, warp_bands=0.0, min_frames=8)  # 5 frames < 8
    assert kept.shape == (8, 4)


def test_speech_batch_with_stretch_and_warp_stays_alignable():
    data = load_speech_digits("test")
    rng = random.Random(0)
    x, lengths, targets, target_lengths = speech_batch(data.feats[:20], data.labels[:20], rng, batch_size=16,
                                                       concat_prob=0.5, subsample=3, stretch=0.5, warp_bands=3)
    assert x.shape[0] == 16 and int(target_lengths.sum()) == len(targets)
    starts = np.concatenate([[0], np.cumsum(target_lengths.numpy())])
    for k in range(16):
        need = min_ctc_frames(targets[starts[k]:starts[k + 1]].tolist())
        assert output_frames(int(lengths[k]), 3) >= need


def test_cosine_schedule_runs_the_rate_down_to_zero():
    from rnnlab.train import Callback, CosineLR, TrainConfig, train

    seen = []

    class Watch(Callback):
        def on_step(self, state):
            seen.append(state.optimizer.param_groups[0]["lr"])

    model = torch.nn.Linear(2, 1)
    batch = (torch.randn(8, 2), torch.randn(8, 1))
    train(model, lambda: batch, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(),
          TrainConfig(steps=10, lr=0.1, progress=False), callbacks=[CosineLR(0.1, 10), Watch()])
    assert seen[4] == pytest.approx(0.05) and seen[-1] == pytest.approx(0.0, abs=1e-12)
    assert seen[0] == pytest.approx(0.1 * (1 + math.cos(math.pi / 10)) / 2)


def test_recipe_fields_are_refused_by_name():
    with pytest.raises(ValueError, match="lr_schedule"):
        SpeechConfig(lr_schedule="linear")
    with pytest.raises(ValueError, match="stretch"):
        SpeechConfig(stretch=0.9)
    with pytest.raises(ValueError, match="warp_bands"):
        SpeechConfig(warp_bands=-1.0)
