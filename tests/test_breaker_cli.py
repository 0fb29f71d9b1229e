"""Breaker findings on the command line: option values, check order, unknown options, links, speech's parser."""

from __future__ import annotations

import dataclasses
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnlab.data.reading import read_text
from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.__main__ import main
from rnnlab.experiments.speech import main as speech_main

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JUNK = st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8).filter(
    lambda t: t not in ("none", "inf", "nan", "infinity"))


def _error(argv, capsys, entry=main):
    with pytest.raises(SystemExit) as exit_info:
        entry(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1                       # one line
    return err


@SETTINGS
@given(junk=JUNK, where=st.sampled_from([("clipping", "--clip-grad-norm", "a number or 'none'"),
                                         ("charlm", "--steps", "an integer or 'none'"),
                                         ("clipping", "--lr", "a number"), ("clipping", "--steps", "an integer")]))
def test_a_number_option_given_a_word_says_what_it_expected(junk, where, capsys):
    name, option, expected = where
    err = _error([name, option, junk], capsys)
    assert f"{option}" in err and f"expected {expected}, got {junk!r}" in err and "invalid" not in err


@pytest.mark.parametrize("name", ["clipping", "charlm", "adding"])
@pytest.mark.parametrize("field", ["steps", "hidden_size", "seq_len", "horizon"])
def test_the_bound_named_for_a_negative_value_is_the_one_for_zero_too(name, field):
    cls = EXPERIMENTS[name].config_class
    if field not in {f.name for f in dataclasses.fields(cls)}:
        pytest.skip(f"{name} has no {field}")
    messages = []
    for value in (-3, 0):
        try:
            cls(**{field: value})
        except (ValueError, TypeError) as err:
            messages.append(str(err).split("got")[0])
    if len(messages) == 2:                            # both refused: by the same limit, not ">= 0" then ">= 1"
        assert messages[0] == messages[1]
    elif messages:                                    # only -3 refused: 0 is allowed, so ">= 0" is the limit
        assert ">= 0" in messages[0]


def test_an_unknown_option_points_to_the_experiments_own_help(capsys):
    err = _error(["adding", "--bogus", "1"], capsys)
    assert "--bogus" in err and "python -m rnnlab.experiments adding --help" in err


def test_an_unknown_encoding_names_the_option(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abc")
    with pytest.raises(ValueError, match=r"--encoding nonsense"):
        read_text(path, encoding="nonsense", option="--text-file")


def test_dangling_link_and_link_loop_are_told_apart(tmp_path):
    os.symlink(tmp_path / "gone.txt", tmp_path / "dangling.txt")
    os.symlink(tmp_path / "loop2", tmp_path / "loop1")
    os.symlink(tmp_path / "loop1", tmp_path / "loop2")
    with pytest.raises(FileNotFoundError, match="symbolic link to .*gone.txt.*does not exist"):
        read_text(tmp_path / "dangling.txt", option="--csv")
    with pytest.raises(FileNotFoundError, match="link loop"):
        read_text(tmp_path / "loop1", option="--csv")


@pytest.mark.parametrize("argv", [["--bogus"], ["--bogus", "x.wav"], ["x.wav", "--bogus=3"]])
def test_speech_command_line_names_an_unknown_option_on_one_line(argv, capsys):
    err = _error(argv, capsys, speech_main)
    assert "unrecognized option --bogus" in err and "required" not in err and "usage" not in err


def test_speech_command_line_errors_are_one_line(capsys):
    err = _error(["--beam", "0", "x.wav"], capsys, speech_main)
    assert "--beam must be at least 1" in err and "usage" not in err
