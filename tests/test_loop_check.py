"""The training-loop exercise check of notebook 03: passes the right loop, names each classic mistake."""

from functools import partial

import pytest
from solutions import training_loop

from rnnlab.checks.loop import check_training_loop, reference_loop

pytestmark = pytest.mark.usefixtures("lenient_checks")


def no_zero_grad(model, optimizer, batches, clip, x_test, y_test, eval_every):
    return reference_loop(model, optimizer, batches, clip, x_test, y_test, eval_every, zero_grad=False)


def clip_after_step(model, optimizer, batches, clip, x_test, y_test, eval_every):
    return reference_loop(model, optimizer, batches, clip, x_test, y_test, eval_every, clip_before_step=False)


def _evaluating(train_mode: bool, grad: bool):
    return partial(training_loop, mistake="eval_in_train_mode" if train_mode else "eval_with_grad" if grad else None)


def _verdict(fn, capsys):
    passed = check_training_loop(fn)
    return passed, capsys.readouterr().out


def test_the_reference_and_a_student_style_loop_pass(capsys):
    assert _verdict(training_loop, capsys) == (True, "✅ training loop: passed\n")
    assert _verdict(reference_loop, capsys)[0]
    # evaluation mode and no_grad set per step (model.train() at the top of each step) is right too
    assert _verdict(_evaluating(train_mode=False, grad=False), capsys)[0]


def test_missing_zero_grad_is_named(capsys):
    passed, out = _verdict(no_zero_grad, capsys)
    assert not passed and "gradients accumulate" in out and "zero_grad" in out


def test_clipping_after_the_step_is_named(capsys):
    passed, out = _verdict(clip_after_step, capsys)
    assert not passed and "before optimizer.step()" in out and "clipping after the step" in out


def test_evaluating_in_training_mode_is_named(capsys):
    passed, out = _verdict(_evaluating(train_mode=True, grad=False), capsys)
    assert not passed and "training mode" in out and "model.eval()" in out


def test_evaluating_with_gradients_on_is_named(capsys):
    passed, out = _verdict(_evaluating(train_mode=False, grad=True), capsys)
    assert not passed and "gradients on" in out and "torch.no_grad()" in out


def test_forgetting_model_train_after_evaluation_is_named(capsys):
    loop = partial(training_loop, mistake="train_mode_not_restored")
    passed, out = _verdict(loop, capsys)
    assert not passed and "model.train()" in out


def test_wrong_shapes_and_stubs_get_words_not_crashes(capsys):
    def stub(*args):
        raise NotImplementedError

    assert _verdict(stub, capsys) == (False, "⏳ training loop: not done yet\n")
    passed, out = _verdict(lambda *a: ([0.0] * 6,), capsys)
    assert not passed and "return two lists" in out
    passed, out = _verdict(lambda *a: ([0.0] * 5, [0.0] * 3), capsys)
    assert not passed and "5 entries, expected 6" in out


def test_the_mistakes_really_change_the_losses():
    """The check can only name a mistake whose losses differ from the reference's: pin that they do."""
    from rnnlab.checks.loop import _run

    _, (ref, ref_test) = _run(reference_loop)
    _, (acc, _) = _run(reference_loop, zero_grad=False)
    _, (late, _) = _run(reference_loop, clip_before_step=False)
    assert ref[:2] == acc[:2] and abs(ref[2] - acc[2]) > 0.05    # equal until the accumulated step shows
    assert ref[0] == late[0] and abs(ref[1] - late[1]) > 0.05    # the unclipped first step already differs
    assert len(ref) == 6 and len(ref_test) == 3
