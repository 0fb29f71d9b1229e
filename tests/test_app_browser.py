"""Notebook 12's app (apps/text_generator.ipynb): its generation logic, and the page served by Voila in a real browser.

The first tests run the app's code cells in this process (no server, no browser): good prompts give text that
starts with the prompt, greedy text equals PyTorch's own sampler (so ONNX Runtime runs the same model), and every
bad input (empty prompt, characters outside the vocabulary, out-of-range settings) gives a message, never an
exception. The last test (marker `browser`) starts Voila on a free port exactly as `make app` does, opens the page in
Debian's chromium through Playwright, types a prompt, presses Generate and waits for the text; then it clears the
prompt and waits for the message. A screenshot goes to build/e2e-app.png. Without chromium or playwright it skips.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "apps" / "text_generator.ipynb"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def app():
    """The app's namespace after running its code cells here (the page's widgets are built but not shown)."""
    pytest.importorskip("onnxruntime", reason='the app needs onnxruntime: pip install "rnnlab[deploy]"')
    namespace: dict = {}
    for cell in nbformat.read(APP, as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, f"{APP.name}[{cell.get('id')}]", "exec"), namespace)  # noqa: S102
    return namespace


def test_the_app_continues_the_prompt_and_the_same_seed_gives_the_same_text(app):
    kind, text = app["generate_view"]("ROMEO:", 0.8, 120, 3)
    assert kind == "text" and text.startswith("ROMEO:") and len(text) == len("ROMEO:") + 120
    assert app["generate_view"]("ROMEO:", 0.8, 120, 3) == (kind, text)
    assert app["generate_view"]("ROMEO:", 0.8, 120, 4)[1] != text              # the seed matters


def test_greedy_text_from_onnx_runtime_equals_pytorch_greedy_text(app):
    from rnnlab.widgets.textgen import generate_text
    kind, text = app["generate_view"]("KING:\n", 0.0, 150, 0)
    assert kind == "text"
    assert text == generate_text(app["model"], app["vocab"], "KING:\n", 150, temperature=0.0)


@pytest.mark.parametrize("prompt, temperature, length, expected", [
    ("", 0.8, 100, "Type a prompt first"),
    ("caf\u00e9 \u2603", 0.8, 100, "never seen '\u00e9', '\u2603'"),
    ("a" * 2001, 0.8, 100, "at most 2,000"),
    ("ROMEO:", float("nan"), 100, "temperature must be a number from 0 to 5"),
    ("ROMEO:", -1.0, 100, "temperature must be a number from 0 to 5"),
    ("ROMEO:", 0.8, 0, "length must be a whole number from 1 to 1000"),
    ("ROMEO:", 0.8, 10**6, "length must be a whole number from 1 to 1000"),
])
def test_bad_input_gives_a_message_not_an_exception(app, prompt, temperature, length, expected):
    kind, message = app["generate_view"](prompt, temperature, length, 0)
    assert kind == "message" and expected in message


def test_typographic_characters_are_read_as_the_plain_ones_the_model_knows(app):
    kind, text = app["generate_view"]("ROMEO\u2019s friend \u2014 and\r\n", 0.0, 20, 0)   # curly ', em dash, CRLF
    assert kind == "text" and text.startswith("ROMEO's friend - and\n")
    assert app["generate_view"](None, 0.8, 10, 0) == ("message", "The prompt must be text, got NoneType.")


@pytest.mark.parametrize("temperature", [0.0, 1e-30, 2.0, 5.0])
def test_extreme_temperatures_still_give_text(app, temperature):
    kind, text = app["generate_view"]("To be", temperature, 40, 0)
    assert kind == "text" and text.startswith("To be") and len(text) == 45
    assert "<unk>" not in text


def test_the_button_writes_the_text_or_the_message_into_the_page(app):
    app["prompt_box"].value, app["length_slider"].value = "ROMEO:", 30
    app["button"].click()
    assert '<pre class="generated"' in app["output"].value and "ROMEO:" in app["output"].value
    app["prompt_box"].value = ""
    app["button"].click()
    assert 'class="message"' in app["output"].value and "Type a prompt first" in app["output"].value
    assert not app["button"].disabled


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.browser
def test_the_voila_app_generates_text_in_a_real_browser(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    pytest.importorskip("playwright", reason="the Python package playwright is not installed")
    pytest.importorskip("voila", reason='voila is not installed: pip install "rnnlab[deploy]"')
    from playwright.sync_api import sync_playwright

    port = _free_port()
    log = (tmp_path / "voila.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "voila", str(APP), "--no-browser", "--Voila.ip=127.0.0.1",
                               f"--port={port}"], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}/"
    shot = ROOT / "build" / "e2e-app.png"
    shot.parent.mkdir(exist_ok=True)
    try:
        for _ in range(120):                               # wait until the server listens (GET / would start a kernel)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"Voila did not listen on port {port} within 60 s: {(tmp_path / 'voila.log').read_text()}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.set_default_timeout(60_000)
            try:
                page.goto(base, timeout=90_000)
                prompt = page.locator("textarea").first
                prompt.wait_for(timeout=90_000)            # the notebook ran: the model is exported and loaded
                prompt.fill("ROMEO:")
                page.get_by_role("button", name=re.compile("Generate")).click()
                generated = page.locator("pre.generated")
                generated.wait_for()
                text = generated.inner_text()
                page.screenshot(path=str(shot), full_page=True)
                prompt.fill("")
                page.get_by_role("button", name=re.compile("Generate")).click()
                message = page.locator("p.message")
                message.wait_for()
                said = message.inner_text()
                body = page.locator("body").inner_text()
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert text.startswith("ROMEO:") and len(text) > len("ROMEO:") + 50, text[:200]
    assert "Type a prompt first" in said
    assert "Traceback" not in body and "Error displaying widget" not in body and "Warning" not in body, body[:500]


# ---- found by trying what users type and click (each failed before the fix) --------------------------------------

@pytest.mark.parametrize("prompt", ["   ", "\n\n", " \t\n "])
def test_a_prompt_of_only_spaces_or_line_breaks_gives_a_message(app, prompt):
    kind, message = app["generate_view"](prompt, 0.8, 20, 0)
    assert kind == "message" and "only spaces or line breaks" in message


def test_an_old_mac_line_end_and_numpy_settings_are_read(app):
    import numpy as np
    kind, text = app["generate_view"]("ROMEO\r", 0.0, 10, 0)               # a lone \r: "never seen '\r'"
    assert kind == "text" and text.startswith("ROMEO\n")
    kind, text = app["generate_view"]("ROMEO:", np.float32(0.5), np.int64(10), np.int64(2))   # refused before
    assert (kind, text) == app["generate_view"]("ROMEO:", 0.5, 10, 2) and kind == "text"


def test_a_negative_seed_is_named(app):
    assert app["generate_view"]("ROMEO:", 0.8, 10, -1) == ("message",
                                                          "The seed must be a whole number from 0 up, got -1.")


def test_the_tiniest_temperature_is_the_greedy_text(app):
    # float32 logits / 1e-300 gave NaN probabilities ("Probabilities contain NaN")
    assert app["generate_view"]("To be", 1e-300, 40, 0) == app["generate_view"]("To be", 0.0, 40, 0)


def test_a_double_click_generates_once_and_the_button_always_comes_back(app, monkeypatch):
    calls = []
    real = app["generate_view"]
    monkeypatch.setitem(app, "generate_view", lambda *a: (calls.append(a), real(*a))[1])
    app["prompt_box"].value, app["length_slider"].value, app["seed_box"].value = "ROMEO:", 20, 5
    app["button"].click()
    app["button"].click()                                  # the second click of a double click, queued meanwhile
    assert len(calls) == 1 and '<pre class="generated"' in app["output"].value
    app["seed_box"].value = 6                              # other settings: a new text at once
    app["button"].click()
    assert len(calls) == 2

    def broken(*a):
        raise RuntimeError("boom")

    monkeypatch.setitem(app, "generate_view", broken)
    app["seed_box"].value = 7
    with pytest.raises(RuntimeError):
        app["on_generate"]()                               # (the button's dispatcher would only log it)
    assert not app["button"].disabled                      # it stayed disabled for good before


def test_the_unknown_character_message_names_the_space_it_cannot_show(app):
    kind, message = app["generate_view"]("ROMEO 👍", 0.8, 10, 0)
    assert kind == "message" and "(and the space and the line break): e" in message   # not an invisible " "
