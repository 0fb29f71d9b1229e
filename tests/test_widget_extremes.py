"""Every widget at every extreme (issue 15 kind E, issue 16 item 6): one sweep drives each named control of each
widget over its minimum, its maximum and every option, and checks that the widget shows a result or a message,
never a traceback; and that the widgets follow the one contract (named controls, a View, no experiment import).

The models are small and untrained: the sweep tests the wiring and the view functions, not what a model learned.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

from rnnlab.widgets.contract import View

matplotlib.use("Agg")

WIDGETS_DIR = Path(__file__).resolve().parents[1] / "rnnlab" / "widgets"
TEXTS = ["", "x" * 5000, "ünïcödé 日本語 ✓\n\t<unk>"]


@pytest.fixture(autouse=True)
def small_figures(monkeypatch):
    """Figures rendered at a low resolution: the sweep tests what is drawn, not how sharp it is (and stays fast)."""
    monkeypatch.setitem(matplotlib.rcParams, "savefig.dpi", 12)
    monkeypatch.setitem(matplotlib.rcParams, "figure.dpi", 12)


def _values(control) -> list:
    """The values a student can give `control`: its minimum and maximum, every option, or odd texts."""
    import ipywidgets as widgets

    if isinstance(control, widgets.SelectionSlider | widgets.Dropdown | widgets.ToggleButtons):
        return [v[1] if isinstance(v, tuple) else v for v in control.options]
    if isinstance(control, widgets.IntSlider | widgets.FloatSlider):
        values = [control.min, control.max]
        if isinstance(control, widgets.FloatSlider):
            values.append(control.min + control.step / 1000)           # just above the minimum (0+)
        return values
    if isinstance(control, widgets.Text | widgets.Textarea):
        return TEXTS
    raise AssertionError(f"no sweep values for a {type(control).__name__}: add them here")


def _shown(box) -> str:
    """What the widget's output shows now, as text."""
    out = box.output
    if hasattr(out, "outputs"):
        parts = []
        for o in out.outputs:
            assert o.get("output_type") != "error", f"the widget shows an error output: {o}"
            parts.append(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")))
        return "\n".join(parts)
    return out.value


def sweep(box) -> int:
    """Drive every named control of `box` over its extremes; return how many settings were shown."""
    assert box.children[-1] is box.output, "the output is the last child"
    shown = 0
    for name, control in box.controls.items():
        if "value" not in control.traits():       # a button
            control.click()
            continue
        original = control.value
        for value in _values(control):
            control.value = value
            view = box.view
            assert isinstance(view, View), f"{name}={value!r}: the widget keeps no View"
            assert view.ok or view.message, f"{name}={value!r}: neither a result nor a message"
            text = _shown(box)
            assert "Traceback" not in text and "Error displaying widget" not in text, f"{name}={value!r}: {text}"
            if not view.ok:
                assert view.message.strip() in text or view.message.strip()[:40] in text, \
                    f"{name}={value!r}: the message is not shown"
            shown += 1
        control.value = original
    return shown


# ---- the widgets, on small untrained models ------------------------------------------------------------------

def recurrence_box():
    from rnnlab.widgets.recurrence import make_recurrence_widget

    return make_recurrence_widget()


def recurrence_student_box():
    from rnnlab.models.numpy_rnn import rnn_step
    from rnnlab.widgets.recurrence import make_recurrence_widget

    return make_recurrence_widget(step_fn=rnn_step)


def gradient_box():
    from rnnlab.widgets.gradients import make_gradient_explorer

    return make_gradient_explorer()


def gates_box():
    from rnnlab.models.sequence import SequenceModel
    from rnnlab.widgets.gates import adding_example, make_gate_explorer

    torch.manual_seed(0)
    models = {c: SequenceModel(c, 2, 4, 1) for c in ("lstm", "gru", "rnn")}
    sequences = {"long": adding_example(30, 2, 20)[0], "one step": torch.zeros(1, 2), "empty": torch.zeros(0, 2)}
    return make_gate_explorer(models, sequences, max_units=3)


def _word_vocab():
    from rnnlab.data.vocab import Vocab

    return Vocab([["good", "bad", "food"], ["stale", "bread"]])


def sentiment_box():
    from rnnlab.models.classifier import RNNClassifier
    from rnnlab.widgets.sentiment import make_sentiment_widget

    torch.manual_seed(0)
    vocab = _word_vocab()
    return make_sentiment_widget(RNNClassifier(len(vocab), 4, 4), vocab)


def _char_model(text: str = "abc de"):
    from rnnlab.data.corpora import build_char_vocab
    from rnnlab.models.charlm import CharLM

    torch.manual_seed(0)
    vocab = build_char_vocab(text)
    return CharLM(len(vocab), 8), vocab


def textgen_box():
    from rnnlab.widgets.textgen import make_textgen_widget

    model, vocab = _char_model()                   # a text without a newline
    return make_textgen_widget(model, vocab, prompt="ab", length=20)


def neuron_box():
    from rnnlab.widgets.textgen import make_neuron_widget

    model, vocab = _char_model()
    return make_neuron_widget(model, vocab, "abc dex")


def translation_box():
    from rnnlab.data.translation import make_task
    from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig
    from rnnlab.widgets.translation import make_translation_widget

    torch.manual_seed(0)
    data = make_task("grammar", n_train=200, n_test=10, seed=0)
    model = Seq2Seq(Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), embedding_dim=4, hidden_size=4,
                                  attention_size=4), bos_id=data.tgt_vocab.stoi["<bos>"],
                    eos_id=data.tgt_vocab.stoi["<eos>"]).eval()
    return make_translation_widget(model, data, [data.test_pairs[0][0]] if hasattr(data, "test_pairs") else ())


def speech_box():
    from rnnlab.data import speech
    from rnnlab.models.ctc import AcousticConfig, CTCAcousticModel
    from rnnlab.widgets.speech import make_speech_widget

    torch.manual_seed(0)
    model = CTCAcousticModel(AcousticConfig(hidden_size=4, num_layers=1)).eval()
    return make_speech_widget(model, speech.load_demo_clips())


def forecast_box():
    from rnnlab.experiments.forecast import MODELS, forecast_runner
    from rnnlab.widgets.forecast import make_forecast_widget

    return make_forecast_widget(model="persistence", steps=2, run=forecast_runner, models=MODELS)


def tagging_box():
    from rnnlab.widgets.tagging import tagging_explorer

    return tagging_explorer(lambda tokens: (["O"] * len(tokens), ["B-X"] + ["I-X"] * (len(tokens) - 1)))


BOXES = {"recurrence": recurrence_box, "recurrence with a student's step": recurrence_student_box,
         "gradients": gradient_box, "gates": gates_box, "sentiment": sentiment_box, "textgen": textgen_box,
         "neurons": neuron_box, "translation": translation_box, "speech": speech_box, "forecast": forecast_box,
         "tagging": tagging_box}


@pytest.mark.slow  # 4-22 s a widget on a loaded 2-core machine; CI runs it (make unit), the fast loop skips it
@pytest.mark.parametrize("make", list(BOXES.values()), ids=list(BOXES))
def test_every_control_of_every_widget_at_its_extremes(make):
    box = make()
    assert box.controls and all(isinstance(k, str) for k in box.controls)
    assert sweep(box) >= len(box.controls)


def test_every_widget_module_is_in_the_sweep_and_imports_no_experiment():
    made = {f.__name__ for f in BOXES.values()}
    for path in WIDGETS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text())
        imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module] + \
                  [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        top = [n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.module]
        assert not any(m.startswith("rnnlab.experiments") for m in top + imports), f"{path.name} imports an experiment"
        factories = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("make_")]
        assert len(made) >= len(factories)


# ---- the extremes the issues name, on the view functions directly ------------------------------------------

def test_textgen_view_extremes():
    from rnnlab.widgets.textgen import generation_view, textgen_view

    model, vocab = _char_model()                                        # no newline in its text
    kind, text = generation_view(model, vocab, "", 1.0, 0, 10, 0)
    assert kind == "text" and len(text) == 10, text                     # an empty prompt starts somewhere known
    assert "\\n" not in text and "never seen" not in text
    for temperature in (0.0, 1e-40, 1e-6, 1e6):                         # 0 is greedy; 0+ a finite distribution
        view = textgen_view(model, vocab, "a", temperature, 0, 15, 0)
        assert view.ok or view.message, temperature
    greedy = textgen_view(model, vocab, "a", 0.0, 0, 15, 0)
    assert greedy.ok and "greedy" in greedy.message and greedy.data == textgen_view(model, vocab, "a", 0.0, 0, 15,
                                                                                    5).data
    too_many = textgen_view(model, vocab, "a", 1.0, len(vocab) + 5, 5, 0)            # top-k > vocabulary
    assert not too_many.ok and "top_k must lie in" in too_many.message and "vocabulary" in too_many.message
    every = textgen_view(model, vocab, "a", 1.0, len(vocab), 5, 0)                       # the slider's maximum
    assert every.ok and f"top-k {len(vocab)} keeps every one" in every.message
    assert every.data == textgen_view(model, vocab, "a", 1.0, 0, 5, 0).data              # the same as off
    assert textgen_view(model, vocab, "ab", 1.0, 0, 0, 0).data == "ab"
    assert "length 0" in textgen_view(model, vocab, "ab", 1.0, 0, 0, 0).message
    assert not textgen_view(model, vocab, "a", -1.0, 0, 5, 0).ok
    assert "temperature" in textgen_view(model, vocab, "a", math.nan, 0, 5, 0).message


def test_gradient_view_extremes():
    from rnnlab.widgets.gradients import gradient_view

    assert "overflow" in gradient_view(4.0, 1000, "relu", "identity").message
    assert gradient_view(0.0, 1, "tanh", "random").ok
    assert "length 0" in gradient_view(1.0, 0).message
    huge = gradient_view(1e6, 100, "linear", "orthogonal")
    assert huge.ok and "overflow" in huge.message
    assert not gradient_view(-1.0, 10).ok and "radius" in gradient_view(-1.0, 10).message


def test_recurrence_runs_a_students_step_function():
    from rnnlab.models.numpy_rnn import rnn_step
    from rnnlab.widgets.recurrence import recurrence_view

    mine = recurrence_view("hello", 2, 1.0, step_fn=rnn_step)
    reference = recurrence_view("hello", 2, 1.0)
    assert mine.ok and "your step function" in mine.message
    np.testing.assert_allclose(mine.data["hs"], reference.data["hs"])

    def not_yet(*args):
        raise NotImplementedError

    assert "not written yet" in recurrence_view("hello", 0, 1.0, step_fn=not_yet).message
    transposed = recurrence_view("hello", 0, 1.0, step_fn=lambda *a: rnn_step(*a).T)
    assert not transposed.ok and "expected (1, 16)" in transposed.message
    crashes = recurrence_view("hi", 0, 1.0, step_fn=lambda x, h, Wx, Wh, b: x @ Wh)
    assert not crashes.ok and "your step function raised ValueError at t=0" in crashes.message
    assert recurrence_view("", 5, 1.0).message and recurrence_view("abc", 99, 1.0).data["step"] == 2
