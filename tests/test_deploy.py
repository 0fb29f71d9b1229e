"""rnnlab.deploy (issue 25): checkpoints with a record and sha256, resuming exactly, ONNX export with the state as
inputs/outputs at batch sizes and lengths not used at export, streaming equality, int8 quantization, the
exported record, and the command line's one-line errors. A tiny char LM keeps it fast."""

from __future__ import annotations

import dataclasses
import json
import pickle
import warnings

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from rnnlab.data.corpora import build_char_vocab, load_corpus  # noqa: E402
from rnnlab.deploy import load, read_record, save, sha256_file  # noqa: E402
from rnnlab.deploy.onnx import (  # noqa: E402
    ExplicitState,
    export_charlm,
    export_onnx,
    generate,
    load_exported,
    onnx_bits_per_char,
    onnx_file_bytes,
    onnx_session,
    quantize_int8,
    run_onnx,
    stream_onnx,
)
from rnnlab.models.charlm import CharLM, sample_ids, stream_logits  # noqa: E402


@dataclasses.dataclass
class TinyConfig:
    hidden_size: int = 12
    embedding_dim: int = 6


def tiny(cell: str = "lstm", seed: int = 0, vocab_size: int = 20) -> CharLM:
    torch.manual_seed(seed)
    return CharLM(vocab_size, TinyConfig.hidden_size, cell=cell, embedding_dim=TinyConfig.embedding_dim).eval()


def torchscript_export(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)       # the legacy exporter warns that it is legacy
        return export_onnx(model, path, dynamo=False)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = tiny()
    path = torchscript_export(model, tmp_path_factory.mktemp("onnx") / "model.onnx")
    return model, path, onnx_session(path)


# ---- checkpoints --------------------------------------------------------------------------------------------
def test_save_writes_state_dict_record_and_sha256_and_load_restores_the_weights(tmp_path):
    model = tiny(seed=1)
    path = save(model, tmp_path / "ck", record={"config": TinyConfig(), "data": "none", "metrics": {"loss": 1.5}})
    record = json.loads(path.read_text())
    assert record["config"] == {"hidden_size": 12, "embedding_dim": 6}
    assert record["torch"] == torch.__version__ and record["metrics"] == {"loss": 1.5}
    assert record["sha256"] == {"model.pt": sha256_file(tmp_path / "ck" / "model.pt")}
    other = tiny(seed=2)
    assert not torch.equal(other.head.weight, model.head.weight)
    back = load(tmp_path / "ck", other)
    assert all(torch.equal(a, b) for a, b in zip(other.state_dict().values(), model.state_dict().values(), strict=True))
    assert back["data"] == "none" and "training" not in back


def test_a_corrupted_weights_file_is_named_with_what_to_do(tmp_path):
    save(tiny(), tmp_path)
    data = bytearray((tmp_path / "model.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF                                         # flip one byte in the middle
    (tmp_path / "model.pt").write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"model\.pt is corrupt or was changed after saving.*(copy|save) it again"):
        load(tmp_path, tiny())


def test_missing_record_unjsonable_record_wrong_model_and_missing_optimizer_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="record.json is missing"):
        read_record(tmp_path)
    with pytest.raises(TypeError, match=r"record\['metrics'\]\['curve'\] is a Tensor"):
        save(tiny(), tmp_path, record={"metrics": {"curve": torch.zeros(3)}})
    save(tiny(), tmp_path)
    with pytest.raises(RuntimeError, match="does not match the checkpoint"):
        load(tmp_path, CharLM(20, 7, embedding_dim=6))
    opt = torch.optim.AdamW(tiny().parameters())
    with pytest.raises(ValueError, match="no optimizer state"):
        load(tmp_path, tiny(), optimizer=opt)


def test_a_pickled_python_object_fails_under_weights_only_and_the_message_gives_the_fix(tmp_path):
    torch.save({"state": tiny().state_dict(), "config": TinyConfig()}, tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError):                          # torch's own refusal (since 2.6)
        torch.load(tmp_path / "model.pt", weights_only=True)
    save(tiny(), tmp_path)                                                # a real record, then the bad file
    torch.save({"state": tiny().state_dict(), "config": TinyConfig()}, tmp_path / "model.pt")
    record = json.loads((tmp_path / "record.json").read_text())
    record["sha256"]["model.pt"] = sha256_file(tmp_path / "model.pt")
    (tmp_path / "record.json").write_text(json.dumps(record))
    with pytest.raises(pickle.UnpicklingError, match="add_safe_globals.*state_dict|state_dict.*add_safe_globals"):
        load(tmp_path, tiny())


def _train(model, opt, batches, state):
    losses = []
    for x, y in batches:
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, state


def test_resuming_with_optimizer_and_carried_state_repeats_the_uninterrupted_curve_and_without_does_not(tmp_path):
    g = torch.Generator().manual_seed(0)
    data = [(torch.randint(0, 20, (4, 8), generator=g), torch.randint(0, 20, (4, 8), generator=g)) for _ in range(6)]
    model = tiny(seed=3).train()
    full, _ = _train(model, torch.optim.AdamW(model.parameters(), lr=1e-2), data, None)
    model = tiny(seed=3).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    first, state = _train(model, opt, data[:3], None)
    save(model, tmp_path, optimizer=opt, training={"step": 3, "h": state[0], "c": state[1]})
    for with_optimizer in (True, False):
        fresh = tiny(seed=9).train()
        opt2 = torch.optim.AdamW(fresh.parameters(), lr=1e-2)
        record = load(tmp_path, fresh, optimizer=opt2 if with_optimizer else None)
        assert record["training"]["step"] == 3
        rest, _ = _train(fresh, opt2, data[3:], (record["training"]["h"], record["training"]["c"]))
        gap = np.abs(np.array(first + rest) - np.array(full)).max()
        assert (gap < 1e-6) if with_optimizer else (gap > 1e-4), (with_optimizer, gap)


# ---- export, run, stream ------------------------------------------------------------------------------------
def test_explicit_state_wrapper_equals_the_model_and_refuses_a_bidirectional_layer():
    model = tiny()
    x = torch.randint(0, 20, (2, 5))
    h = torch.randn(1, 2, 12)
    c = torch.randn(1, 2, 12)
    with torch.no_grad():
        ref, (h2, c2) = model(x, (h, c))
        got, h3, c3 = ExplicitState(model)(x, h, c)
    assert torch.equal(ref, got) and torch.equal(h2, h3) and torch.equal(c2, c3)
    model.rnn = torch.nn.LSTM(6, 12, batch_first=True, bidirectional=True)
    with pytest.raises(TypeError, match="bidirectional"):
        ExplicitState(model)


@pytest.mark.parametrize("batch,seq_len", [(1, 1), (3, 11), (5, 40)])
def test_onnx_runtime_equals_eager_pytorch_at_sizes_not_used_at_export(exported, batch, seq_len):
    model, _, session = exported                                       # exported at batch 2, length 16
    g = torch.Generator().manual_seed(batch * 100 + seq_len)
    x = torch.randint(0, 20, (batch, seq_len), generator=g)
    h, c = torch.randn(1, batch, 12, generator=g), torch.randn(1, batch, 12, generator=g)
    with torch.no_grad():
        ref, (h_ref, c_ref) = model(x, (h, c))
    logits, state = run_onnx(session, x, {"h_in": h.numpy(), "c_in": c.numpy()})
    assert logits.shape == (batch, seq_len, 20)
    assert np.abs(logits - ref.numpy()).max() < 1e-5
    assert np.abs(state["h_in"] - h_ref.numpy()).max() < 1e-5 and np.abs(state["c_in"] - c_ref.numpy()).max() < 1e-5


def test_one_step_at_a_time_with_the_state_carried_equals_the_whole_sequence(exported):
    _, _, session = exported
    x = np.random.default_rng(0).integers(0, 20, (3, 25))
    whole, s_whole = run_onnx(session, x)
    steps, s_steps = stream_onnx(session, x)
    assert np.abs(whole - steps).max() < 1e-5 and np.abs(s_whole["c_in"] - s_steps["c_in"]).max() < 1e-5
    # dropping the carried state (what a stateless server does by mistake) changes the outputs
    restarted = np.concatenate([run_onnx(session, x[:, t:t + 1])[0] for t in range(x.shape[1])], axis=1)
    assert np.abs(restarted - whole).max() > 1e-3


def test_declared_axes_are_symbolic_for_both_exporters(tmp_path, exported):
    _, _, session = exported
    shapes = {v.name: v.shape for v in [*session.get_inputs(), *session.get_outputs()]}
    assert shapes == {"x": ["batch", "time"], "h_in": [1, "batch", 12], "c_in": [1, "batch", 12],
                      "logits": ["batch", "time", 20], "h_out": [1, "batch", 12], "c_out": [1, "batch", 12]}


def test_dynamo_exporter_writes_external_data_and_equals_torchscript_and_preprocessing_lets_it_shrink(tmp_path,
                                                                                                      exported):
    model, ts_path, ts_session = exported
    path = export_onnx(model, tmp_path / "model.onnx", dynamo=True)
    assert (tmp_path / "model.onnx.data").is_file()
    assert onnx_file_bytes(path) == path.stat().st_size + (tmp_path / "model.onnx.data").stat().st_size
    session = onnx_session(path)
    assert [o.shape for o in session.get_outputs()][0] == ["batch", "time", 20]   # not frozen at 16
    x = np.random.default_rng(1).integers(0, 20, (4, 29))
    assert np.abs(run_onnx(session, x)[0] - run_onnx(ts_session, x)[0]).max() < 1e-5
    plain = quantize_int8(path, tmp_path / "plain.int8.onnx", preprocess=False)
    folded = quantize_int8(path, tmp_path / "folded.int8.onnx")
    assert onnx_file_bytes(folded) < 0.9 * onnx_file_bytes(plain)     # the LSTM weights became quantizable


def test_a_gru_exported_by_the_dynamo_exporter_equals_eager_pytorch(tmp_path):
    """onnxscript 0.6.0-0.7.0 wrote a GRU that ONNX Runtime ran 0.14 away from torch (hence the floor 0.7.1)."""
    model = tiny("gru").eval()
    session = onnx_session(export_onnx(model, tmp_path / "gru.onnx", dynamo=True))
    x = torch.randint(0, 20, (3, 23), generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        ref, h_ref = model(x)
    logits, state = run_onnx(session, x)
    assert np.abs(logits - ref.numpy()).max() < 1e-5
    assert np.abs(state["h_in"] - h_ref.numpy()).max() < 1e-5


def test_int8_quantization_shrinks_the_file_and_keeps_most_predictions(tmp_path, exported):
    model, path, session = exported
    q = quantize_int8(path, tmp_path / "model.int8.onnx")
    assert onnx_file_bytes(q) < 0.8 * onnx_file_bytes(path)
    x = np.random.default_rng(2).integers(0, 20, (4, 60))
    a, b = run_onnx(session, x)[0], run_onnx(onnx_session(q), x)[0]
    assert 0 < np.abs(a - b).max() < 1.0                                 # changed, a little
    assert (a.argmax(-1) == b.argmax(-1)).mean() > 0.8


def test_onnx_bits_per_char_equals_pytorch_on_the_same_streams(exported):
    model, _, session = exported
    streams = torch.randint(0, 20, (3, 300), generator=torch.Generator().manual_seed(0))
    logits = stream_logits(model, streams)
    ref = torch.nn.functional.cross_entropy(logits.flatten(0, 1), streams[:, 1:].flatten()).item() / np.log(2)
    assert abs(onnx_bits_per_char(session, streams, chunk=64) - ref) < 1e-4


def test_greedy_generation_from_onnx_equals_pytorch_greedy_sampling(exported):
    model, _, session = exported
    itos = ["<unk>", *"abcdefghijklmnopqrs"]
    text = generate(session, itos, "abc", 15)
    ids = sample_ids(model, [1, 2, 3], 15, temperature=0.0, exclude=[0])
    assert text == "".join(itos[i] for i in ids)
    with pytest.raises(ValueError, match="temperature"):
        generate(session, itos, "abc", 3, temperature=-1)


# ---- the exported folder and its record -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    vocab = build_char_vocab(load_corpus("shakespeare"))
    model = tiny(vocab_size=len(vocab))
    out = tmp_path_factory.mktemp("export")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        record = export_charlm(out, model=model, vocab=vocab, dynamo=False, held_out_chars=800)
    return out, record, model


def test_export_record_names_io_state_pairs_files_and_quality(export_dir):
    out, record, model = export_dir
    assert json.loads((out / "model.json").read_text()) == record
    assert [i["name"] for i in record["inputs"]] == ["x", "h_in", "c_in"]
    assert record["outputs"][0] == {"name": "logits", "shape": ["batch", "time", model.vocab_size],
                                    "dtype": "tensor(float)"}
    assert record["state"] == [{"input": "h_in", "output": "h_out"}, {"input": "c_in", "output": "c_out"}]
    for kind in ("float32", "int8"):
        entry = record["files"][kind]
        assert entry["sha256"] == {n: sha256_file(out / n) for n in entry["sha256"]}
        assert entry["bytes"] == onnx_file_bytes(out / entry["file"])
    assert record["files"]["int8"]["bytes"] < record["files"]["float32"]["bytes"]
    bpc = record["quality"]["bits_per_char"]
    assert abs(bpc["float32"] - bpc["pytorch"]) < 1e-4 and abs(bpc["int8"] - bpc["float32"]) < 0.2
    assert record["config"]["hidden_size"] == 12 and len(record["vocab"]) == model.vocab_size


def test_load_exported_verifies_every_file(export_dir, tmp_path):
    out, record, _ = export_dir
    session, back = load_exported(out, "int8")
    assert back == record and session.get_inputs()[0].name == "x"
    for name in ("model.onnx", "model.int8.onnx", "model.json"):
        (tmp_path / name).write_bytes((out / name).read_bytes())
    (tmp_path / "model.onnx").write_bytes((out / "model.onnx").read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ValueError, match=r"model\.onnx is corrupt or was changed after export.*export again"):
        load_exported(tmp_path)
    with pytest.raises(ValueError, match="no 'int4' model"):
        load_exported(out, "int4")


# ---- the command line ---------------------------------------------------------------------------------------
def _cli(argv, capsys):
    from rnnlab.deploy.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    return info.value.code, err


def test_cli_unknown_model_unwritable_folder_and_corrupt_file_are_one_line_naming_the_option(tmp_path, capsys,
                                                                                              export_dir):
    code, err = _cli(["export", "--model", "gpt", "--out", str(tmp_path)], capsys)
    assert code == 2 and "--model 'gpt'" in err and "charlm" in err and err.count("\n") == 1
    (tmp_path / "file").write_text("x")
    code, err = _cli(["export", "--model", "charlm", "--out", str(tmp_path / "file")], capsys)
    assert code == 2 and "--out" in err and "is a file, not a folder" in err and err.count("\n") == 1
    code, err = _cli(["export", "--model", "charlm", "--out", str(tmp_path / "file" / "sub")], capsys)
    assert code == 2 and "--out" in err and "cannot be created" in err and err.count("\n") == 1
    out, _, _ = export_dir
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("model.onnx", "model.int8.onnx", "model.json"):
        (bad / name).write_bytes((out / name).read_bytes())
    (bad / "model.int8.onnx").write_bytes(b"not an onnx file")
    code, err = _cli(["check", "--dir", str(bad)], capsys)
    assert code == 2 and "--dir" in err and "model.int8.onnx is corrupt" in err and err.count("\n") == 1
    assert "RNNLAB_DEBUG=1" in err


def test_cli_debug_gives_the_traceback(tmp_path, monkeypatch):
    from rnnlab.deploy.__main__ import main

    monkeypatch.setenv("RNNLAB_DEBUG", "1")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        main(["export", "--model", "charlm", "--out", str(tmp_path / "file")])


def test_cli_check_prints_greedy_text_of_both_files(export_dir, capsys):
    from rnnlab.deploy.__main__ import main

    out, _, _ = export_dir
    assert main(["check", "--dir", str(out), "--prompt", "ROMEO:", "--length", "5"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["verified"] and len(report["greedy"]["float32"]) == 5 and set(report["greedy"]) == {"float32",
                                                                                                        "int8"}


# ---- what users try (each of these was silently wrong or a raw traceback before) ----------------------------
def test_gru_and_plain_rnn_export_with_h_alone_and_anything_else_is_refused_naming_what_is_supported(tmp_path):
    for cell in ("gru", "rnn"):
        model = tiny("gru")
        if cell == "rnn":
            torch.manual_seed(4)
            model.rnn = torch.nn.RNN(6, 12, num_layers=2, batch_first=True)
        session = onnx_session(torchscript_export(model, tmp_path / f"{cell}.onnx"))
        assert [i.name for i in session.get_inputs()] == ["x", "h_in"]
        x = torch.randint(0, 20, (7, 9), generator=torch.Generator().manual_seed(5))
        with torch.no_grad():
            ref, h_ref = model(x) if cell == "gru" else model.rnn(model.embedding(x))
            ref = ref if cell == "gru" else model.head(ref)
        logits, state = run_onnx(session, x)
        assert list(state) == ["h_in"] and np.abs(logits - ref.numpy()).max() < 1e-5
        assert np.abs(state["h_in"] - h_ref.numpy()).max() < 1e-5
    with pytest.raises(TypeError, match="plain nn.RNN, which exports only with dynamo=False"):
        export_onnx(model, tmp_path / "rnn_dynamo.onnx", dynamo=True)
    supported = r"nn\.LSTM \(state h and c\), nn\.GRU and nn\.RNN \(state h alone\)"
    for rnn, words in ((torch.nn.Linear(6, 12), "is a Linear"), (torch.nn.GRU(6, 12), "batch_first=False"),
                       (torch.nn.LSTM(6, 12, batch_first=True, proj_size=4), "proj_size=4")):
        model.rnn = rnn
        with pytest.raises(TypeError, match=f"{words}.*{supported}|{supported}.*{words}"):
            ExplicitState(model)


def test_float64_and_meta_models_are_refused_with_the_fix(tmp_path):
    with pytest.raises(TypeError, match=r"weights are float64.*model\.float\(\)"):
        export_onnx(tiny().double(), tmp_path / "m.onnx", dynamo=False)
    with pytest.raises(TypeError, match="meta device"):
        export_onnx(tiny().to("meta"), tmp_path / "m.onnx", dynamo=False)


def test_two_layers_at_batch_1_and_7_and_lengths_1_and_1000(tmp_path):
    torch.manual_seed(6)
    model = CharLM(20, 12, embedding_dim=6, num_layers=2).eval()
    session = onnx_session(torchscript_export(model, tmp_path / "l2.onnx"))
    assert session.get_inputs()[1].shape == [2, "batch", 12]
    for batch, seq_len in ((1, 1), (7, 1000)):
        x = torch.randint(0, 20, (batch, seq_len), generator=torch.Generator().manual_seed(seq_len))
        with torch.no_grad():
            ref, (h, c) = model(x)
        logits, state = run_onnx(session, x)
        assert np.abs(logits - ref.numpy()).max() < 1e-5 and np.abs(state["c_in"] - c.numpy()).max() < 1e-5


def test_ids_outside_the_vocabulary_are_refused_negative_ones_included_and_int32_equals_int64(exported):
    _, _, session = exported
    x = np.random.default_rng(3).integers(0, 20, (2, 6))
    assert np.array_equal(run_onnx(session, x.astype(np.int32))[0], run_onnx(session, x)[0])
    assert np.array_equal(run_onnx(session, torch.from_numpy(x))[0], run_onnx(session, x)[0])
    for bad in (-1, 20, 2**40):          # -1 was read from the end of the table by Gather: silently wrong
        with pytest.raises(ValueError, match=r"x holds ids in .*outside the vocabulary \[0, 20\)"):
            run_onnx(session, np.full((1, 3), bad))
        with pytest.raises(ValueError, match="outside the vocabulary"):
            stream_onnx(session, np.full((1, 3), bad))


def test_a_state_of_the_wrong_batch_shape_or_keys_is_named(exported):
    _, _, session = exported
    x = np.random.default_rng(4).integers(0, 20, (3, 5))
    two = {k: np.zeros((1, 2, 12), np.float32) for k in ("h_in", "c_in")}
    words = r"state\['(h|c)_in'\] must be .*\(1, 3, 12\) for x's batch of 3.*\(1, 2, 12\)"
    with pytest.raises(ValueError, match=words):
        run_onnx(session, x, two)
    with pytest.raises(ValueError, match=r"state\['(h|c)_in'\] must be"):
        stream_onnx(session, x, two)
    with pytest.raises(ValueError, match=r"state has keys \['h_in'\].*\['c_in', 'h_in'\]"):
        run_onnx(session, x, {"h_in": np.zeros((1, 3, 12), np.float32)})
    state = {k: np.full((1, 3, 12), 0.5) for k in ("h_in", "c_in")}                 # float64, torch: accepted
    a = run_onnx(session, x, state)[0]
    assert np.array_equal(a, run_onnx(session, x, {k: torch.from_numpy(v).float() for k, v in state.items()})[0])
    assert not np.array_equal(a, run_onnx(session, x)[0])


def test_generate_refuses_a_vocabulary_of_the_wrong_size_and_unknown_prompt_characters(exported):
    _, _, session = exported
    itos = ["<unk>", *"abcdefghijklmnopqrs"]
    with pytest.raises(ValueError, match="itos has 4 characters but the model predicts 20"):
        generate(session, itos[:4], "ab", 3)
    with pytest.raises(ValueError, match="never seen: 'XZ'.*unknown='unk'"):
        generate(session, itos, "aZbX", 3)
    assert generate(session, itos, "aZbX", 3, unknown="unk") == generate(session, itos, "a\0b\0", 3, unknown="unk")


def _copy_export(out, dst):
    dst.mkdir(exist_ok=True)
    for name in ("model.onnx", "model.int8.onnx", "model.json"):
        (dst / name).write_bytes((out / name).read_bytes())
    return dst


def test_load_exported_refuses_a_hand_edited_record_naming_what_is_wrong(export_dir, tmp_path):
    out, record, _ = export_dir
    cases = [
        (lambda r: [], r'no "files" table'),
        (lambda r: r | {"format": "rnnlab-onnx/9"}, "format 'rnnlab-onnx/9'"),
        (lambda r: r | {"vocab": r["vocab"][:5]}, r'"vocab" must list the model\'s \d+ characters, got 5'),
        (lambda r: {k: v for k, v in r.items() if k != "vocab"}, '"vocab" must list'),
        (lambda r: json.loads(json.dumps(r).replace('"sha256": {"model.onnx": "' + r["files"]["float32"]["sha256"]
                                                    ["model.onnx"] + '"}', '"sha256": {}')), "lists no sha256 for"),
        (lambda r: json.loads(json.dumps(r).replace('"file": "model.onnx"', '"file": "../model.onnx"')),
         "not a file name in the folder"),
    ]
    for i, (edit, words) in enumerate(cases):
        folder = _copy_export(out, tmp_path / str(i))
        (folder / "model.json").write_text(json.dumps(edit(json.loads(json.dumps(record)))))
        with pytest.raises(ValueError, match=words):
            load_exported(folder)


def test_a_truncated_model_whose_sha_was_recomputed_is_one_line_from_onnx_session(export_dir, tmp_path):
    out, record, _ = export_dir
    folder = _copy_export(out, tmp_path / "t")
    (folder / "model.onnx").write_bytes((out / "model.onnx").read_bytes()[:1000])
    record = json.loads(json.dumps(record))
    record["files"]["float32"]["sha256"]["model.onnx"] = sha256_file(folder / "model.onnx")
    (folder / "model.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match=r"ONNX Runtime cannot load .*model\.onnx .*export it again") as info:
        load_exported(folder)
    assert "\n" not in str(info.value)


def test_onnxruntime_missing_names_the_extra_to_install(monkeypatch, exported, export_dir, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match=r'onnxruntime is not installed; pip install "rnnlab\[deploy\]"'):
        onnx_session(exported[1])
    code, err = _cli(["check", "--dir", str(export_dir[0])], capsys)
    assert code == 2 and 'pip install "rnnlab[deploy]"' in err and err.count("\n") == 1


def test_export_replaces_a_stale_external_data_file_and_the_cli_refuses_a_foreign_model_onnx(export_dir, tmp_path,
                                                                                             capsys):
    out, record, model = export_dir
    folder = tmp_path / "with space"
    folder.mkdir()
    (folder / "model.onnx.data").write_bytes(b"an earlier dynamo export's weights")
    vocab = build_char_vocab(load_corpus("shakespeare"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        export_charlm(folder, model=model, vocab=vocab, dynamo=False, held_out_chars=64)
    assert not (folder / "model.onnx.data").exists()                 # the new model.onnx holds its weights
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "model.onnx").write_bytes(b"someone else's model")
    code, err = _cli(["export", "--model", "charlm", "--out", str(foreign)], capsys)
    assert code == 2 and "--out" in err and "already holds model.onnx, not written by this command" in err
    assert (foreign / "model.onnx").read_bytes() == b"someone else's model"
    from rnnlab.deploy.__main__ import _earlier_export

    assert _earlier_export(out) and not _earlier_export(foreign)


def test_cli_check_names_the_prompt_and_a_hand_edited_record(export_dir, tmp_path, capsys):
    out, record, _ = export_dir
    code, err = _cli(["check", "--dir", str(out), "--prompt", "日本"], capsys)
    assert code == 2 and "--prompt '日本'" in err and "never seen" in err and err.count("\n") == 1
    folder = _copy_export(out, tmp_path / "edited")
    (folder / "model.json").write_text(json.dumps({k: v for k, v in record.items() if k != "vocab"}))
    code, err = _cli(["check", "--dir", str(folder)], capsys)
    assert code == 2 and "--dir" in err and '"vocab" must list' in err and err.count("\n") == 1


def test_load_names_mismatching_keys_shapes_and_dtypes(tmp_path):
    save(tiny(), tmp_path, record={"config": {"hidden_size": 12}})
    with pytest.raises(RuntimeError, match=r"shapes differ: rnn\.weight_ih_l0 checkpoint \(48, 6\) vs model \(36, 6\)"):
        load(tmp_path, tiny("gru"))
    with pytest.raises(RuntimeError, match=r"missing from the checkpoint: rnn\.weight_ih_l1"):
        load(tmp_path, CharLM(20, 12, embedding_dim=6, num_layers=2))
    with pytest.raises(RuntimeError, match=r"dtypes differ.*embedding\.weight checkpoint torch\.float32 vs model "
                                           r"torch\.float64"):
        load(tmp_path, tiny().double())                               # was cast silently by load_state_dict
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        load(tmp_path, "charlm")


def test_a_hand_edited_record_another_torch_and_reserved_keys(tmp_path):
    save(tiny(), tmp_path)
    record = json.loads((tmp_path / "record.json").read_text())
    (tmp_path / "record.json").write_text(json.dumps(record | {"torch": "1.13.1"}))
    with pytest.warns(UserWarning, match=r"written by torch 1\.13\.1, loaded with torch"):
        load(tmp_path, tiny())
    (tmp_path / "record.json").write_text(json.dumps(record | {"format": "rnnlab-checkpoint/9"}))
    with pytest.raises(ValueError, match="format 'rnnlab-checkpoint/9'"):
        load(tmp_path, tiny())
    (tmp_path / "record.json").write_text(json.dumps(record | {"sha256": {"model.pt": 5}}))
    with pytest.raises(ValueError, match=r"sha256\['model\.pt'\] = 5 is not"):
        load(tmp_path, tiny())
    with pytest.raises(ValueError, match=r"record keys \['torch'\] are written by save itself"):
        save(tiny(), tmp_path / "b", record={"torch": "mine"})
    with pytest.raises(TypeError, match=r"training\['config'\] is a TinyConfig.*weights_only"):
        save(tiny(), tmp_path / "c", training={"config": TinyConfig()})
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        save(tiny(), tmp_path / "file")


def test_resuming_into_another_optimizer_class_is_refused_and_another_lr_is_said(tmp_path):
    model = tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model(torch.zeros(2, 3, dtype=torch.long))[0].sum().backward()
    opt.step()
    save(model, tmp_path, optimizer=opt)
    with pytest.raises(ValueError, match="optimizer= is SGD, the checkpoint holds AdamW state"):
        load(tmp_path, tiny(), optimizer=torch.optim.SGD(tiny().parameters(), lr=0.1))
    fresh = tiny()
    slow = torch.optim.AdamW(fresh.parameters(), lr=1e-4)
    with pytest.warns(UserWarning, match=r"checkpoint's optimizer settings, not yours \(lr: yours 0\.0001, "
                                         r"checkpoint's 0\.01\)"):
        load(tmp_path, fresh, optimizer=slow)
    assert slow.param_groups[0]["lr"] == 1e-2
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                  # the same settings: nothing to say
        load(tmp_path, fresh, optimizer=torch.optim.AdamW(fresh.parameters(), lr=1e-2))
    with pytest.raises(ValueError, match="optimizer= was built on parameters that are not model's"):
        load(tmp_path, tiny(), optimizer=torch.optim.AdamW(tiny().parameters(), lr=1e-2))   # resumed nothing


def test_exporting_in_the_middle_of_training_leaves_every_module_in_train_mode(tmp_path, export_dir):
    torch.manual_seed(7)
    model = CharLM(20, 12, embedding_dim=6, num_layers=2)
    model.rnn.dropout = 0.5
    model.train()
    torchscript_export(model, tmp_path / "m.onnx")
    assert all(m.training for m in model.modules())        # the LSTM's dropout was switched off before
    _, _, exported_model = export_dir
    exported_model.rnn.train()
    vocab = build_char_vocab(load_corpus("shakespeare"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        export_charlm(tmp_path / "e", model=exported_model, vocab=vocab, dynamo=False, held_out_chars=64)
    assert exported_model.rnn.training and not exported_model.training
    exported_model.eval()
    with pytest.raises(TypeError, match="vocab must be the model's Vocab"):
        export_charlm(tmp_path / "f", model=exported_model, vocab=list(vocab.itos), dynamo=False)


def test_bad_paths_and_files_for_export_quantize_and_bits_per_char_are_named(tmp_path, exported):
    model, path, session = exported
    with pytest.raises(IsADirectoryError, match="is a folder: give the .onnx file to write"):
        export_onnx(model, tmp_path, dynamo=False)
    (tmp_path / "junk.onnx").write_bytes(b"not onnx")
    with pytest.raises(ValueError, match=r"src '.*junk\.onnx' could not be quantized"):
        quantize_int8(tmp_path / "junk.onnx", tmp_path / "q.onnx")
    with pytest.raises(FileNotFoundError, match="src '.*nope.onnx' is missing"):
        quantize_int8(tmp_path / "nope.onnx", tmp_path / "q.onnx")
    assert quantize_int8(path, tmp_path / "new" / "dir" / "q.onnx").is_file()      # its folder is created
    with pytest.raises(ValueError, match="chunk must be >= 1"):
        onnx_bits_per_char(session, np.zeros((2, 10), np.int64), chunk=0)
    with pytest.raises(ValueError, match=r"streams holds ids in \[25, 25\], outside the vocabulary"):
        onnx_bits_per_char(session, np.full((2, 10), 25))


def test_cli_an_empty_out_or_dir_is_refused_not_read_as_the_current_folder(capsys):
    for argv in (["export", "--model", "charlm", "--out", ""], ["check", "--dir", " "]):
        code, err = _cli(argv, capsys)
        assert code == 2 and f"{argv[-2]} is empty" in err and err.count("\n") == 1
