import numpy as np
import pytest

from rnnlab.checks import ExerciseFailure, call_student, check_exercise, compare_arrays


def test_compare_arrays_names_shape_and_time_step():
    ref = np.zeros((5, 3))
    with pytest.raises(ExerciseFailure, match=r"h has shape \(3, 5\), expected \(5, 3\) \(transposed\?\)"):
        compare_arrays("h", ref.T, ref)
    wrong = ref.copy()
    wrong[3:, 1] = 0.5
    with pytest.raises(ExerciseFailure, match="values differ from the reference from t=3 on"):
        compare_arrays("h", wrong, ref, time_axis=0)
    with pytest.raises(ExerciseFailure, match="NaN"):
        compare_arrays("h", np.full((5, 3), np.nan), ref)
    with pytest.raises(ExerciseFailure, match="numpy array or torch tensor"):
        compare_arrays("h", "text", ref)
    compare_arrays("h", ref + 1e-9, ref)


def test_check_exercise_verdicts(capsys, monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)

    def not_done():
        raise NotImplementedError("write the forward pass")

    def wrong():
        raise ExerciseFailure("h has shape (4, 8), expected (8, 4)")

    def crash():
        return call_student(lambda: 1 / 0)

    assert check_exercise("ok", lambda: None) is True
    assert check_exercise("todo", not_done) is False
    assert check_exercise("bad", wrong) is False
    assert check_exercise("boom", crash) is False
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✅ ok: passed"
    assert out[1] == "⏳ todo: not done yet (write the forward pass)"
    assert out[2] == "❌ bad: h has shape (4, 8), expected (8, 4)"
    assert out[3].startswith("❌ boom: your code raised ZeroDivisionError")


def test_strict_mode_raises_for_the_instructor_notebooks(monkeypatch):
    monkeypatch.setenv("RNNLAB_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailure, match="not done yet"):
        check_exercise("todo", lambda: (_ for _ in ()).throw(NotImplementedError()))
    assert check_exercise("ok", lambda: None)


def test_a_students_sys_exit_is_their_crash_not_the_checks():
    """sys.exit() inside the student's function must not end the kernel's check (SystemExit is no Exception)."""
    import sys

    from rnnlab.checks.core import StudentCodeError

    with pytest.raises(StudentCodeError, match="SystemExit"):
        call_student(lambda: sys.exit(3))
