"""Exercise feedback: checks that compare a student's code with the reference and say in words what differs.

Every check prints one line: passed, what is wrong (shape, the time step where values differ, which
gradient), or "not done yet" when the exercise still raises NotImplementedError. A check never raises in a
student's notebook, so the cells after it still run. With RNNLAB_STRICT_CHECKS=1 (set by the test suite for
the instructor notebooks) a check that does not pass raises, so CI sees a broken solution.
"""

from rnnlab.checks.core import (
    ExerciseFailure,
    StudentCodeError,
    as_reference,
    call_student,
    check_exercise,
    compare_arrays,
    student_answer,
)

__all__ = ["ExerciseFailure", "StudentCodeError", "as_reference", "call_student", "check_exercise",
           "compare_arrays", "student_answer"]
