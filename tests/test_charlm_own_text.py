"""Notebook 06 on a text of your own: load_text_file, the too-short check, run_charlm(text_file=...), the command
line's one-line errors, the typed CharLMResult, and the shipped longer-trained model (checksum, record)."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
import torch

from rnnlab.data.corpora import EXAMPLE_TEXT, check_text_length, load_text_file
from rnnlab.experiments.charlm import CharLMConfig, CharLMResult, load_shipped_charlm, run_charlm, shipped_charlm_dir
from rnnlab.experiments.registry import Result
from rnnlab.metrics.language import real_word_share, words_of

TINY = dict(steps=2, seq_len=8, batch_size=4, hidden_size=8, embedding_dim=4, eval_every=2, progress=False,
            eval_streams=2)


def test_the_example_text_ships_and_loads():
    text = load_text_file(EXAMPLE_TEXT)
    assert text.startswith("CHAPTER I\n") and len(text) == 46887 and text.count("Alice") > 100
    assert "\r" not in text


@pytest.mark.parametrize("data, words", [
    (b"", "is empty"),
    (b"  \n\n\t ", "is empty"),
    (bytes(range(256)) * 4, "not a text file"),
    (b"PK\x03\x04" + bytes(range(1, 9)) * 20 + b"abc", "does not look like plain text"),
    ("caf\u00e9 \u201cquoted\u201d".encode("cp1252"), "cp1252"),
])
def test_bad_files_get_a_message_naming_the_option(tmp_path, data, words):
    path = tmp_path / "mine.txt"
    path.write_bytes(data)
    with pytest.raises(ValueError) as err:
        load_text_file(path)
    assert words in str(err.value) and "--text-file" in str(err.value)


def test_encodings_boms_newlines_and_home(tmp_path, monkeypatch):
    (tmp_path / "win.txt").write_bytes("caf\u00e9 \u201cq\u201d\r\nline two\r\n".encode("cp1252"))
    assert load_text_file(tmp_path / "win.txt", encoding="cp1252") == "caf\u00e9 \u201cq\u201d\nline two\n"
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfhello\n")
    assert load_text_file(tmp_path / "bom.txt") == "hello\n"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_text_file("~/bom.txt") == "hello\n"
    with pytest.raises(FileNotFoundError, match="--text-file"):
        load_text_file("~/missing.txt")


def test_too_short_names_the_options_and_the_boundary_is_exact():
    kwargs = dict(batch_size=4, seq_len=8, held_out_fraction=0.1, eval_streams=2)
    with pytest.raises(ValueError, match=r"--seq-len.*--batch-size|--batch-size.*--seq-len"):
        check_text_length(30, **kwargs)
    n = next(n for n in range(1, 1000) if _passes(n, kwargs))
    assert not _passes(n - 1, kwargs)
    run_charlm(CharLMConfig(corpus="names", max_chars=n, **{**TINY, "held_out_fraction": 0.1}))  # trains at n
    with pytest.raises(ValueError, match="too few"):
        run_charlm(CharLMConfig(corpus="names", max_chars=n - 1, **{**TINY, "held_out_fraction": 0.1}))


def _passes(n, kwargs):
    try:
        check_text_length(n, **kwargs)
    except ValueError:
        return False
    return True


def test_run_on_a_text_file_returns_typed_fields(tmp_path):
    result = run_charlm(CharLMConfig(text_file=str(EXAMPLE_TEXT), max_chars=3000, **TINY))
    assert isinstance(result, CharLMResult) and isinstance(result, Result) and result.extras == {}
    assert result.text == load_text_file(EXAMPLE_TEXT)[:3000]
    assert len(result.train_ids) + len(result.held_out_ids) == 3000 == result.metrics["train_chars"] + \
        result.metrics["held_out_chars"]
    assert result.held_out_text == result.text[len(result.train_ids):]
    assert len(result.vocab) == len(set(result.text)) + 1                      # + <unk>
    assert result.batches.seq_len == 8 and result.config.hidden_size == 8
    names = {f.name for f in dataclasses.fields(CharLMResult)}
    assert {"vocab", "text", "train_ids", "held_out_ids", "held_out_text", "batches"} <= names


def test_encoding_needs_a_text_file():
    with pytest.raises(ValueError, match="--encoding.*--text-file"):
        CharLMConfig(encoding="cp1252")


@pytest.mark.parametrize("content, words", [(b"", "is empty"), (b"short text\n", "too few"),
                                            (b"\x00\x01\x02binary", "not a text file")])
def test_command_line_errors_are_one_line_naming_the_option(tmp_path, capsys, content, words):
    from rnnlab.experiments.__main__ import main

    path = tmp_path / "f.txt"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as done:
        main(["charlm", "--text-file", str(path), "--steps", "1", "--no-progress"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err and "--text-file" in err


def test_command_line_trains_on_the_example(capsys):
    from rnnlab.experiments.__main__ import main

    assert main(["charlm", "--text-file", str(EXAMPLE_TEXT), "--max-chars", "2000", "--steps", "2", "--hidden-size",
                 "8", "--seq-len", "8", "--batch-size", "4", "--eval-streams", "2", "--no-progress"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["metrics"]["steps"] == 2 and record["metrics"]["train_chars"] + \
        record["metrics"]["held_out_chars"] == 2000


def test_words_and_real_word_share():
    assert words_of("Sleep, sleep! _very_ -- x") == ["sleep", "sleep", "very", "x"]
    assert real_word_share("Sleep, sleep! zzq", {"sleep"}) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="no words"):
        real_word_share(" ,; ", {"a"})


# ---- the shipped model (python -m tools.train_charlm_model) ---------------------------------------------------
def test_shipped_model_matches_its_checksum_and_record():
    model, vocab, info = load_shipped_charlm()
    assert info["steps"] == info["config"]["steps"] >= 2000 and info["command"] == "python -m tools.train_charlm_model"
    assert list(vocab.itos) == info["vocab"] and not model.training
    m = info["metrics"]
    assert m["bits_per_char"] < m["fourgram_bits_per_char"]          # the point of training longer
    assert m["real_word_share"] >= m["fourgram_real_word_share"]
    with torch.no_grad():
        logits, _ = model(torch.tensor([[vocab.stoi["T"], vocab.stoi["h"]]]))
    assert vocab.itos[int(logits[0, -1].argmax())] == "e"             # "Th" -> "e"


def test_shipped_model_refuses_a_damaged_or_missing_file(tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(shipped_charlm_dir(), folder)
    weights = folder / "charlm_model.pt"
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt or replaced"):
        load_shipped_charlm(folder)
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="train_charlm_model"):
        load_shipped_charlm(folder)
