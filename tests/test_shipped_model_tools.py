"""tools.shipped_model: what the tools that train a shipped model (06's CharLM, 09's speech model) share."""

import hashlib
import json

import torch

from tools.shipped_model import main, round_to_float16, train_timed, write_weights


def test_round_to_float16_gives_the_model_the_weights_that_ship():
    model = torch.nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.fill_(0.1)                                   # 0.1 is not a float16 number
    half = round_to_float16(model)
    assert half["weight"].dtype == torch.float16
    assert model.weight.dtype == torch.float32 and torch.equal(model.weight, half["weight"].float())
    assert model.weight[0, 0].item() != 0.1 and abs(model.weight[0, 0].item() - 0.1) < 1e-4


def test_write_weights_records_the_checksum_that_loading_checks(tmp_path):
    digest = write_weights(tmp_path / "m", "w.pt", {"a": torch.ones(2)})
    assert digest == hashlib.sha256((tmp_path / "m" / "w.pt").read_bytes()).hexdigest()
    assert (tmp_path / "m" / "SHA256SUMS").read_text() == f"{digest}  w.pt\n"
    assert torch.equal(torch.load(tmp_path / "m" / "w.pt")["a"], torch.ones(2))


def test_train_timed_uses_one_thread_and_returns_the_result():
    threads = torch.get_num_threads()
    try:
        result, minutes, cpu_minutes = train_timed(lambda: torch.get_num_threads())
        assert result == 1 and minutes >= 0 and cpu_minutes >= 0
    finally:
        torch.set_num_threads(threads)


def test_the_command_line_trains_or_checks_the_folder_it_is_given(tmp_path, capsys):
    calls = []

    def train(folder):
        calls.append(("train", folder))
        return {"minutes": 1.5, "sha256": "ab", "metrics": {"x": 1}, "other": 0}

    def check(folder):
        calls.append(("check", folder))
        return 1

    assert main("doc", lambda: tmp_path / "default", train, check, ("minutes", "metrics"), []) == 0
    assert json.loads(capsys.readouterr().out) == {"minutes": 1.5, "metrics": {"x": 1}}
    assert main("doc", lambda: tmp_path / "default", train, check, (), ["--check", "--out", str(tmp_path)]) == 1
    assert calls == [("train", tmp_path / "default"), ("check", tmp_path)]
