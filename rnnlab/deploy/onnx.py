"""Export a char LM to ONNX with its recurrent state in plain sight, run it in ONNX Runtime, stream it, quantize it.

ONNX Runtime is stateless by design (onnxruntime issue #11085): a session keeps nothing between calls. So the
exported graph takes the state as inputs and returns the new state as outputs (`h_in`, `c_in` -> `h_out`,
`c_out`, the "external state" of streaming systems); the caller carries it from one call to the next, one
character at a time or a whole chunk at once, at any batch size and length (both axes are dynamic).
What exports: a CharLM-like model (nn.Embedding -> nn.LSTM, nn.GRU or nn.RNN, unidirectional, batch_first, any
num_layers, float32 -> nn.Linear); an LSTM carries h and c, a GRU or plain RNN h alone; anything else is refused
naming what is supported. `run_onnx` / `stream_onnx` check what a raw session would misread: ids outside
[0, vocab_size) (ONNX's Gather reads a negative id from the end of the table: silently wrong), a state of the
wrong keys, batch or size; int32 ids and float64 or torch states are converted.

Two exporters, chosen knowingly (measured with torch 2.13, onnxscript 0.7, onnxruntime 1.32, notebook 12):
- `dynamo=True` (the default since torch 2.9; needs onnxscript) traces with torch.export and writes the weights
  to `model.onnx.data` beside `model.onnx`. It writes the ONNX `LSTM` op, but feeds it weights re-ordered at
  run time (PyTorch's gate order i, f, g, o -> ONNX's i, o, f, c through Slice/Concat nodes), so the dynamic
  quantizer, which quantizes only weights stored as initializers, finds little to shrink (about 0.92x). ONNX
  Runtime's pre-processing (`quant_pre_process`: shape inference and constant folding) folds the re-ordering
  into stored weights first; then the LSTM and the head shrink (`quantize_int8` does both). Its graph also
  records the output's time axis as the example's length; `export_onnx` names the dynamic axes again.
- `dynamo=False` (the TorchScript-based exporter, deprecated: it warns) writes the `LSTM` op with weights
  already in ONNX's order, one file, which the quantizer shrinks directly.
Both give the same outputs (tests/test_deploy.py). Quantization: `onnxruntime.quantization.quantize_dynamic`
(int8 weights, activations quantized on the fly), which covers LSTM, MatMul and Gather (the embedding),
not GRU (onnxruntime 1.32's IntegerOpsRegistry; a GRU's head and embedding shrink, its recurrent layer does
not); PyTorch's own `torch.ao.quantization` is deprecated and slated for removal, and its output would not leave
PyTorch anyway.

References: ONNX operator LSTM (onnx.ai/onnx/operators); PyTorch "torch.onnx" documentation; ONNX Runtime
"Quantize ONNX models" documentation; Jacob et al. (2018) "Quantization and training of neural networks for
efficient integer-arithmetic-only inference".
"""

from __future__ import annotations

import contextlib
import json
import math
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnnlab.deploy.checkpoint import sha256_file
from rnnlab.validate import check_array, check_int

FORMAT = "rnnlab-onnx/1"
FLOAT_FILE, INT8_FILE, RECORD_FILE = "model.onnx", "model.int8.onnx", "model.json"
INSTALL = 'pip install "rnnlab[deploy]" (onnx, onnxruntime, onnxscript)'


def _require(module: str):
    """Import an optional dependency, or raise ImportError saying how to install it (also when it is installed
    but broken: the reason is given)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        raise ImportError(f"{module} is not installed; {INSTALL}") from None
    except ImportError as err:
        raise ImportError(f"{module} is installed but cannot be imported ({' '.join(str(err).split())[:200]}); "
                          f"reinstall it: {INSTALL}") from None


RECURRENT = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn"}
SUPPORTED = ("nn.LSTM (state h and c), nn.GRU and nn.RNN (state h alone), unidirectional, batch_first, "
             "float32 weights")


class ExplicitState(nn.Module):
    """A CharLM (embedding -> nn.LSTM / nn.GRU / nn.RNN -> linear head) with its state as plain inputs/outputs.

    LSTM: forward(x, h_in, c_in) -> (logits, h_out, c_out); GRU, RNN: forward(x, h_in) -> (logits, h_out).
    x: (batch, time) int64 ids; h_in, c_in, h_out, c_out: (num_layers, batch, hidden_size) float32;
    logits: (batch, time, vocab_size). The same weights as the wrapped model (shared, not copied).
    Raises TypeError naming what is supported (`SUPPORTED`) for any other model: a bidirectional layer (it
    needs the whole sequence: it cannot stream), batch_first=False, an LSTM with proj_size, float64 weights,
    weights on the meta device.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module (a CharLM), got {type(model).__name__}")
        for part in ("embedding", "rnn", "head"):
            if not isinstance(getattr(model, part, None), nn.Module):
                raise TypeError(f"model must be a CharLM-like module with .embedding, .rnn and .head, got "
                                f"{type(model).__name__} without .{part}")
        rnn = model.rnn
        if type(rnn) not in RECURRENT:
            raise TypeError(f"model.rnn is a {type(rnn).__name__}; export supports {SUPPORTED}")
        if rnn.bidirectional:
            raise TypeError(f"model.rnn is bidirectional: a bidirectional layer needs the whole sequence, so it "
                            f"cannot stream; export supports {SUPPORTED}")
        if not rnn.batch_first:
            raise TypeError(f"model.rnn has batch_first=False; export supports {SUPPORTED} (build it with "
                            "batch_first=True, as CharLM does)")
        if getattr(rnn, "proj_size", 0):
            raise TypeError(f"model.rnn has proj_size={rnn.proj_size} (h and c differ in size); export supports "
                            f"{SUPPORTED}")
        if not isinstance(model.embedding, nn.Embedding) or not isinstance(model.head, nn.Linear):
            raise TypeError(f"model.embedding must be an nn.Embedding and model.head an nn.Linear, got "
                            f"{type(model.embedding).__name__} and {type(model.head).__name__}")
        params = list(model.parameters())
        if any(p.dtype != torch.float32 for p in params):
            kinds = sorted({str(p.dtype).replace("torch.", "") for p in params})
            raise TypeError(f"model's weights are {', '.join(kinds)}; export supports float32 weights (the "
                            "state inputs are float32): call model.float() first (outputs change by rounding)")
        if any(p.is_meta for p in params):
            raise TypeError("model's weights are on the meta device (shapes without values): load its weights "
                            "first (model.to_empty(device='cpu') then load_state_dict)")
        self.embedding, self.rnn, self.head = model.embedding, model.rnn, model.head
        self.cell = RECURRENT[type(rnn)]
        self.is_lstm = self.cell == "lstm"

    def forward(self, x: torch.Tensor, h_in: torch.Tensor, c_in: torch.Tensor | None = None):
        emb = self.embedding(x)                                     # (batch, time, embedding_dim)
        if self.is_lstm:
            out, (h_out, c_out) = self.rnn(emb, (h_in, c_in))       # out: (batch, time, hidden)
            return self.head(out), h_out, c_out                     # (batch, time, vocab), 2 x (layers, batch, hidden)
        out, h_out = self.rnn(emb, h_in)
        return self.head(out), h_out


def io_names(is_lstm: bool) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(input names, output names, state pairs (input, output)) of an exported char LM."""
    if is_lstm:
        return ["x", "h_in", "c_in"], ["logits", "h_out", "c_out"], [("h_in", "h_out"), ("c_in", "c_out")]
    return ["x", "h_in"], ["logits", "h_out"], [("h_in", "h_out")]


def _axes(is_lstm: bool) -> dict[str, dict[int, str]]:
    """Which axes are dynamic, by tensor name: batch everywhere, time on x and logits."""
    axes = {"x": {0: "batch", 1: "time"}, "logits": {0: "batch", 1: "time"},
            "h_in": {1: "batch"}, "h_out": {1: "batch"}}
    if is_lstm:
        axes |= {"c_in": {1: "batch"}, "c_out": {1: "batch"}}
    return axes


def name_axes(path: str | Path, axes: dict[str, dict[int, str]]) -> None:
    """Rewrite the declared shapes of a graph's inputs and outputs so the given axes are symbolic (named).

    The dynamo exporter records the logits' time axis as the example's length (a frozen axis: ONNX Runtime
    warns at every other length, and tools that trust the shape would pre-allocate wrongly). The graph itself
    computes any length; only the declaration is fixed here. External data files are left as they are.
    """
    onnx = _require("onnx")
    model = onnx.load(str(path), load_external_data=False)
    del model.graph.value_info[:]              # shape hints of inner tensors, frozen the same way: ORT re-infers them
    for value in [*model.graph.input, *model.graph.output]:
        for axis, label in axes.get(value.name, {}).items():
            dim = value.type.tensor_type.shape.dim[axis]
            dim.Clear()
            dim.dim_param = label
    onnx.save(model, str(path))


def export_onnx(model: nn.Module, path: str | Path, *, dynamo: bool = True, example_batch: int = 2,
                example_seq_len: int = 16) -> Path:
    """Export a CharLM to ONNX with the state as inputs/outputs and dynamic batch and time axes.

    model: a CharLM (LSTM or GRU, unidirectional), put in eval mode. path: the .onnx file to write (its folder
    is created); dynamo=True also writes path + ".data" (the weights). The example input used to trace is
    (example_batch, example_seq_len); test the file at other sizes (the notebook and tests do).
    Returns the path. Raises TypeError for a model that is not a unidirectional CharLM-like module, ImportError
    when onnx / onnxscript are missing.
    """
    check_int(example_batch, "example_batch", minimum=1)
    check_int(example_seq_len, "example_seq_len", minimum=2)
    wrapper = ExplicitState(model)
    path = Path(path).expanduser()
    if path.is_dir():
        raise IsADirectoryError(f"path {str(path)!r} is a folder: give the .onnx file to write, e.g. "
                                f"{path / 'model.onnx'}")
    with _eval_mode(model):
        return _export(wrapper, path, dynamo, example_batch, example_seq_len)


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    """model (and every submodule) in eval mode inside, each module's own mode restored after: exporting in
    the middle of training must not switch dropout off for the steps that follow."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, mode in modes:
            m.training = mode


def _export(wrapper: ExplicitState, path: Path, dynamo: bool, example_batch: int, example_seq_len: int) -> Path:
    if dynamo and wrapper.cell == "rnn":
        raise TypeError("model.rnn is a plain nn.RNN, which exports only with dynamo=False (torch.export unrolls "
                        "its time loop and freezes the length); nn.LSTM and nn.GRU export with both")
    path.parent.mkdir(parents=True, exist_ok=True)
    inputs, outputs, _ = io_names(wrapper.is_lstm)
    rnn = wrapper.rnn
    device = next(wrapper.parameters()).device                 # trace where the weights are (cpu, cuda...)
    x = torch.randint(0, wrapper.embedding.num_embeddings, (example_batch, example_seq_len), device=device)
    state = torch.zeros(rnn.num_layers, example_batch, rnn.hidden_size, device=device)
    args = (x, state, state.clone()) if wrapper.is_lstm else (x, state)
    axes = _axes(wrapper.is_lstm)
    _require("onnx")
    if dynamo:
        _require("onnxscript")
        from torch.export import Dim

        batch, time = Dim.DYNAMIC, Dim.DYNAMIC
        shapes = {"x": {0: batch, 1: time}, "h_in": {1: batch}, **({"c_in": {1: batch}} if wrapper.is_lstm else {})}
        with open_quietly():
            torch.onnx.export(wrapper, args, str(path), dynamo=True, input_names=inputs, output_names=outputs,
                              dynamic_shapes=shapes, verbose=False)
    else:
        with warnings.catch_warnings():    # it warns to give h0/c0 as inputs, which they are; its deprecation stays
            warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)   # shape checks traced as constants
            torch.onnx.export(wrapper, args, str(path), dynamo=False, input_names=inputs, output_names=outputs,
                              dynamic_axes=axes)
    name_axes(path, axes)
    return path


@contextlib.contextmanager
def open_quietly():
    """Silence the dynamo exporter's progress lines and its warnings about optional packages (torchvision)."""
    import io
    import logging
    import sys

    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        sys.stdout.flush()


def onnx_file_bytes(path: str | Path) -> int:
    """Bytes on disk of an ONNX model: its file plus every external data file it refers to (model.onnx.data)."""
    onnx = _require("onnx")
    path = Path(path)
    model = onnx.load(str(path), load_external_data=False)
    locations = {entry.value for init in model.graph.initializer for entry in init.external_data
                 if entry.key == "location"}
    return path.stat().st_size + sum((path.parent / loc).stat().st_size for loc in locations)


def external_files(path: str | Path) -> list[str]:
    """Names of the external data files an ONNX model refers to (beside it), sorted."""
    onnx = _require("onnx")
    model = onnx.load(str(path), load_external_data=False)
    return sorted({entry.value for init in model.graph.initializer for entry in init.external_data
                   if entry.key == "location"})


def onnx_session(path: str | Path, threads: int = 1):
    """An ONNX Runtime CPU session for `path`, with `threads` intra-op threads and one inter-op thread."""
    ort = _require("onnxruntime")
    check_int(threads, "threads", minimum=1)
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{path} is {'a folder' if path.is_dir() else 'missing'}: give the .onnx file "
                                "export_onnx wrote")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # noqa: BLE001 - ONNX Runtime's own classes (InvalidProtobuf, Fail...), one line
        reason = " ".join(str(err).split())[:300]
        raise ValueError(f"ONNX Runtime cannot load {path} ({reason}): the file is damaged or incomplete "
                         "(an external data file missing?); export it again") from None


def _vocab_size(session) -> int | None:
    """The vocabulary size of an exported char LM: the last axis of its first output (logits), if fixed."""
    size = session.get_outputs()[0].shape[-1]
    return size if isinstance(size, int) else None


def _token_ids(x, name: str, vocab_size: int | None) -> np.ndarray:
    """x as an int64 (batch, time) array of ids in [0, vocab_size); ValueError / TypeError naming `name`.
    Negative ids are refused: ONNX's Gather would read them from the end of the table (silently wrong)."""
    x = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x)
    check_array(x, name, shape=("batch", "time"), integer=True)
    low, high = int(x.min()), int(x.max())
    if low < 0 or (vocab_size is not None and high >= vocab_size):
        raise ValueError(f"{name} holds ids in [{low}, {high}], outside the vocabulary [0, "
                         f"{vocab_size if vocab_size is not None else 'vocab_size'}): encode text with the "
                         "model's own vocabulary")
    return x.astype(np.int64)


def _checked_state(session, state: dict, batch: int) -> dict[str, np.ndarray]:
    """The state dict checked against the session's state inputs (names, (layers, batch, hidden), float)."""
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict {{'h_in': ..., ...}} (what run_onnx returns) or None, got "
                        f"{type(state).__name__}")
    wanted = {i.name: i.shape for i in session.get_inputs() if i.name != "x"}
    if set(state) != set(wanted):
        raise ValueError(f"state has keys {sorted(state)}, the model's state inputs are {sorted(wanted)}: pass "
                         "the state run_onnx returned (or None for zeros)")
    checked = {}
    for name, shape in wanted.items():
        value = state[name]
        value = np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value)
        want = tuple(batch if i == 1 else d for i, d in enumerate(shape))
        if value.shape != want or value.dtype.kind != "f":
            raise ValueError(f"state[{name!r}] must be a float array of shape (num_layers, batch, hidden_size) = "
                             f"{want} for x's batch of {batch}, got {value.dtype} {tuple(value.shape)}")
        checked[name] = value.astype(np.float32, copy=False)
    return checked


def zero_state(session, batch: int) -> dict[str, np.ndarray]:
    """Zero state inputs ({"h_in": ..., "c_in": ...}) of the session's shapes for `batch` streams."""
    check_int(batch, "batch", minimum=1)
    state = {}
    for inp in session.get_inputs():
        if inp.name != "x":
            layers, _, hidden = inp.shape
            state[inp.name] = np.zeros((layers, batch, hidden), dtype=np.float32)
    return state


def run_onnx(session, x: np.ndarray | torch.Tensor, state: dict[str, np.ndarray] | None = None
             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One call: ids x (batch, time) and the state in -> logits (batch, time, vocab) and the state out.

    state: {"h_in": (layers, batch, hidden), "c_in": ...} as returned by the previous call (None: zeros).
    Returns (logits, new state keyed by the *input* names, ready for the next call).
    """
    x = _token_ids(x, "x", _vocab_size(session))          # int32 / torch ids are fine; negative ids are not
    state = zero_state(session, x.shape[0]) if state is None else _checked_state(session, state, x.shape[0])
    outputs = session.run(None, {"x": x, **state})
    names = [o.name for o in session.get_outputs()]
    new = {name.replace("_out", "_in"): value for name, value in zip(names[1:], outputs[1:], strict=True)}
    return outputs[0], new


def stream_onnx(session, x: np.ndarray | torch.Tensor, state: dict[str, np.ndarray] | None = None
                ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The same as run_onnx, fed one time step per call with the state carried: (batch, time, vocab), state."""
    x = _token_ids(x, "x", _vocab_size(session))
    if state is not None:
        state = _checked_state(session, state, x.shape[0])
    pieces = []
    for t in range(x.shape[1]):
        logits, state = run_onnx(session, x[:, t: t + 1], state)      # (batch, 1, vocab)
        pieces.append(logits)
    return np.concatenate(pieces, axis=1), state


def onnx_bits_per_char(session, streams: np.ndarray | torch.Tensor, chunk: int = 512) -> float:
    """Held-out bits per character of an ONNX char LM: streams (batch, n) ids read in chunks, state carried;
    position t predicts t + 1 (the same reading as rnnlab.models.charlm.stream_logits)."""
    check_int(chunk, "chunk", minimum=1)
    streams = _token_ids(streams, "streams", _vocab_size(session))        # (batch, n) int64 ids in the vocabulary
    if streams.shape[1] < 2:
        raise ValueError(f"streams need at least 2 characters to predict one, got {streams.shape[1]}")
    inputs, targets, state, total = streams[:, :-1], streams[:, 1:], None, 0.0
    for start in range(0, inputs.shape[1], chunk):
        logits, state = run_onnx(session, inputs[:, start: start + chunk], state)   # (batch, chunk, vocab)
        logp = logits - logits.max(-1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
        y = targets[:, start: start + chunk]
        total -= np.take_along_axis(logp, y[..., None], axis=-1).sum()
    return float(total / targets.size / math.log(2))


def quantize_int8(src: str | Path, dst: str | Path, *, preprocess: bool = True) -> Path:
    """int8 dynamic quantization with ONNX Runtime: weights of LSTM/MatMul/Gather stored as int8 with a scale,
    activations quantized on the fly at run time. preprocess=True first runs ONNX Runtime's `quant_pre_process`
    (shape inference, constant folding), so weights computed from other weights (the dynamo exporter's gate
    re-ordering) become stored weights the quantizer can shrink. Writes one file (no external data).
    GRU and plain RNN layers stay float (the quantizer has no integer GRU/RNN op): only the embedding and the head
    shrink, so a tiny GRU's file can even grow (the scales); compare the sizes (export_charlm records both).
    Raises FileNotFoundError (no src), ValueError (src is not a readable ONNX model), ImportError."""
    _require("onnxruntime")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src, dst = Path(src).expanduser(), Path(dst).expanduser()
    if not src.is_file():
        raise FileNotFoundError(f"src {str(src)!r} is missing: give the .onnx file export_onnx wrote")
    dst.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = src
        try:
            if preprocess:
                from onnxruntime.quantization.shape_inference import quant_pre_process

                source = Path(tmp) / "pre.onnx"
                quant_pre_process(str(src), str(source))
            quantize_dynamic(str(source), str(dst), weight_type=QuantType.QInt8)
        except (OSError, ImportError):
            raise
        except Exception as err:  # noqa: BLE001 - the quantizer fails on a damaged file in many ways
            reason = " ".join(f"{type(err).__name__}: {err}".split())[:200]
            raise ValueError(f"src {str(src)!r} could not be quantized ({reason}): is it a complete ONNX model "
                             "(with its .data file beside it)? export it again") from None
    return dst


def _shapes(values) -> list[dict[str, Any]]:
    return [{"name": v.name, "shape": list(v.shape), "dtype": v.type} for v in values]


def export_charlm(out: str | Path, *, model: nn.Module | None = None, vocab=None, dynamo: bool = True,
                  held_out_chars: int = 20_000) -> dict:
    """Write out/model.onnx (+ model.onnx.data), out/model.int8.onnx and out/model.json; return the record.

    model, vocab: the char LM and its vocabulary (None: the shipped Shakespeare model of notebook 06,
    `rnnlab.experiments.charlm.load_shipped_charlm`). Quality is measured on the first `held_out_chars`
    characters of the held-out Shakespeare tail (read as 8 streams): bits per character of eager PyTorch, the
    float32 file and the int8 file, and how often the int8 file's most likely next character agrees.
    The record (model.json): inputs and outputs (names, shapes with symbolic axes, dtypes), which input/output
    pairs carry the state, the config, the vocabulary, every file's bytes and sha256, the quality, versions.
    Raises OSError when `out` cannot be created or written (PermissionError, NotADirectoryError...), TypeError
    for a model export cannot take (see ExplicitState) and ValueError for a vocabulary of another size.
    The model's train/eval modes are as before afterwards.
    """
    from rnnlab.experiments.charlm import load_shipped_charlm

    check_int(held_out_chars, "held_out_chars", minimum=16)
    info: dict[str, Any] = {}
    if model is None:
        model, vocab, info = load_shipped_charlm()
    elif vocab is None:
        raise ValueError("give the vocabulary with the model (vocab=...): the record must say what each id means")
    out = Path(out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    wrapper = ExplicitState(model)                                  # refuses what cannot be exported, first
    with _eval_mode(model):                                         # the caller's train/eval modes come back
        return _export_charlm(out, model, wrapper, vocab, info, dynamo, held_out_chars)


def _export_charlm(out: Path, model: nn.Module, wrapper: ExplicitState, vocab, info: dict, dynamo: bool,
                   held_out_chars: int) -> dict:
    from rnnlab.data.corpora import batchify, encode_text, load_corpus, split_ids
    from rnnlab.metrics.language import bits_per_char
    from rnnlab.models.charlm import stream_logits

    if not isinstance(getattr(vocab, "itos", None), list | tuple):
        raise TypeError(f"vocab must be the model's Vocab (rnnlab.data.corpora.build_char_vocab, with .itos), got "
                        f"{type(vocab).__name__}")
    if len(vocab.itos) != wrapper.embedding.num_embeddings:
        raise ValueError(f"vocab has {len(vocab.itos)} characters but the model's embedding has "
                         f"{wrapper.embedding.num_embeddings} rows: give the vocabulary the model was trained with")
    (out / (FLOAT_FILE + ".data")).unlink(missing_ok=True)         # an earlier export's weights, never stale
    float_path = export_onnx(model, out / FLOAT_FILE, dynamo=dynamo)
    int8_path = quantize_int8(float_path, out / INT8_FILE)
    sessions = {"float32": onnx_session(float_path), "int8": onnx_session(int8_path)}
    config = info.get("config", {})
    fraction = config.get("held_out_fraction", 0.1)
    held = split_ids(encode_text(vocab, load_corpus(config.get("corpus", "shakespeare"))), fraction)[1]
    streams = batchify(held[:held_out_chars], 8)                                  # (8, held_out_chars // 8)
    device = next(model.parameters()).device
    torch_logits = stream_logits(model, streams.to(device)).cpu()                 # (8, n - 1, vocab)
    logits = {k: run_onnx(s, streams[:, :-1])[0] for k, s in sessions.items()}
    quality = {"held_out_chars": int(streams.numel()), "streams": int(streams.shape[0]),
               "bits_per_char": {"pytorch": bits_per_char(torch_logits, streams[:, 1:]),
                                 **{k: onnx_bits_per_char(s, streams) for k, s in sessions.items()}},
               "max_abs_logit_difference_float32": float(np.abs(logits["float32"] - torch_logits.numpy()).max()),
               "argmax_agreement_int8": float((logits["int8"].argmax(-1) == logits["float32"].argmax(-1)).mean())}
    files = {}
    for kind, path in (("float32", float_path), ("int8", int8_path)):
        names = [path.name, *external_files(path)]
        files[kind] = {"file": path.name, "external_data": names[1:], "bytes": onnx_file_bytes(path),
                       "sha256": {n: sha256_file(out / n) for n in names}}
    files["int8"]["size_vs_float32"] = files["int8"]["bytes"] / files["float32"]["bytes"]
    ort = _require("onnxruntime")
    s = sessions["float32"]
    _, _, pairs = io_names(wrapper.is_lstm)
    record = {"format": FORMAT, "model": "charlm", "exporter": "dynamo" if dynamo else "torchscript",
              "inputs": _shapes(s.get_inputs()), "outputs": _shapes(s.get_outputs()),
              "state": [{"input": i, "output": o} for i, o in pairs],
              "config": {"vocab_size": wrapper.embedding.num_embeddings, "hidden_size": wrapper.rnn.hidden_size,
                         "cell": wrapper.cell, "num_layers": wrapper.rnn.num_layers,
                         "embedding_dim": wrapper.embedding.embedding_dim,
                         "trained": {k: config[k] for k in ("corpus", "steps", "seed", "seq_len") if k in config}},
              "vocab": list(vocab.itos), "files": files, "quality": quality,
              "versions": {"torch": torch.__version__, "onnxruntime": ort.__version__,
                           "onnx": _require("onnx").__version__}}
    (out / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def load_exported(folder: str | Path, kind: str = "float32", threads: int = 1) -> tuple[Any, dict]:
    """An ONNX Runtime session for folder's model of `kind` ("float32" or "int8") and its record, after
    checking the sha256 of every file it needs against model.json.

    Raises FileNotFoundError (no model.json or a missing file), ValueError naming the corrupt file and what to
    do (export again), or a kind the record does not have.
    """
    folder = Path(folder).expanduser()
    path = folder / RECORD_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: export first with `python -m rnnlab.deploy export --out "
                                f"{folder}`")
    again = f"export again (python -m rnnlab.deploy export --out {folder})"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err}); {again}") from None
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        raise ValueError(f"{path} has no \"files\" table: it was not written by rnnlab.deploy; {again}")
    if record.get("format") != FORMAT:
        raise ValueError(f"{path} has format {record.get('format')!r}, this rnnlab reads {FORMAT!r}; {again}")
    if kind not in record["files"]:
        raise ValueError(f"{path} has no {kind!r} model (kinds: {', '.join(map(str, record['files']))}); {again}")
    entry = record["files"][kind]
    sums = entry.get("sha256") if isinstance(entry, dict) else None
    main = entry.get("file") if isinstance(entry, dict) else None
    external = entry.get("external_data", []) if isinstance(entry, dict) else None
    if not (isinstance(main, str) and isinstance(sums, dict) and isinstance(external, list)):
        raise ValueError(f"{path}: files[{kind!r}] needs \"file\", \"external_data\" and \"sha256\"; {again}")
    for name in [main, *external, *sums]:
        if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"{path}: {name!r} is not a file name in the folder (no paths allowed); {again}")
    for name in [main, *external]:
        if not isinstance(sums.get(name), str):
            raise ValueError(f"{path} lists no sha256 for {name}, so it cannot be verified; {again}")
    for name, expected in sums.items():
        file = folder / name
        if not file.is_file():
            raise FileNotFoundError(f"{file} is missing: copy the whole folder (model.onnx needs its "
                                    f"{', '.join(external) or 'files'}), or export again")
        if sha256_file(file) != expected:
            raise ValueError(f"{file} is corrupt or was changed after export: its sha256 differs from "
                             f"{path.name}; {again}")
    session = onnx_session(folder / main, threads=threads)
    on_disk = set(external_files(folder / main)) if _has("onnx") else set(external)
    if not on_disk <= set(sums):
        raise ValueError(f"{folder / main} reads {', '.join(sorted(on_disk - set(sums)))}, which {path.name} does "
                         f"not list, so it was not verified; {again}")
    vocab, size = record.get("vocab"), _vocab_size(session)
    if not isinstance(vocab, list) or not all(isinstance(c, str) for c in vocab) or len(vocab) != size:
        got = f"{len(vocab)} entries" if isinstance(vocab, list) else type(vocab).__name__
        raise ValueError(f"{path}: \"vocab\" must list the model's {size} characters, got {got}; {again}")
    names = [i.name for i in session.get_inputs()]
    if [i.get("name") for i in record.get("inputs", []) if isinstance(i, dict)] != names:
        raise ValueError(f"{path}: \"inputs\" does not name the model's inputs {names}; {again}")
    return session, record


def _has(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def generate(session, itos: Sequence[str], prompt: str, length: int, *, temperature: float = 0.0,
             seed: int = 0, unknown: str = "error") -> str:
    """Text from an exported char LM: feed the prompt, then draw `length` characters one at a time, the state
    carried between calls. temperature 0: the most likely character (greedy); > 0: sampled (seeded).
    itos: the model's vocabulary (id -> character), as long as its logits. Characters of the prompt outside
    the vocabulary raise ValueError naming them (unknown="error"), or are read as <unk>, id 0 (unknown="unk").
    """
    check_int(length, "length", minimum=0)
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a string of at least one character")
    if temperature < 0 or not math.isfinite(temperature):
        raise ValueError(f"temperature must be >= 0 and finite, got {temperature}")
    if unknown not in ("error", "unk"):
        raise ValueError(f"unknown must be 'error' or 'unk', got {unknown!r}")
    size = _vocab_size(session)
    if size is not None and len(itos) != size:
        raise ValueError(f"itos has {len(itos)} characters but the model predicts {size}: give the vocabulary "
                         "it was exported with (model.json's \"vocab\")")
    stoi = {c: i for i, c in enumerate(itos)}
    missing = sorted({c for c in prompt if c not in stoi})
    if missing and unknown == "error":
        raise ValueError(f"prompt holds characters the model has never seen: {''.join(missing)!r}; remove them "
                         "(or pass unknown='unk' to read them as <unk>)")
    rng = np.random.default_rng(seed)
    logits, state = run_onnx(session, np.array([[stoi.get(c, 0) for c in prompt]]))
    out = []
    for _ in range(length):
        last = logits[0, -1].astype(np.float64)
        last[0] = -np.inf                                                     # never draw <unk>
        if temperature == 0:
            nxt = int(last.argmax())
        else:
            p = np.exp((last - last.max()) / temperature)
            nxt = int(rng.choice(len(p), p=p / p.sum()))
        out.append(itos[nxt])
        logits, state = run_onnx(session, np.array([[nxt]]), state)
    return "".join(out)


__all__ = ["ExplicitState", "export_charlm", "export_onnx", "external_files", "generate", "io_names",
           "load_exported", "name_axes", "onnx_bits_per_char", "onnx_file_bytes", "onnx_session", "quantize_int8",
           "run_onnx", "stream_onnx", "zero_state"]
