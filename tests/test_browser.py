"""A real-browser test: a real JupyterLab, Debian's chromium driven by Playwright, a real ipywidgets slider.

It opens the vanishing-gradient notebook (a copy, so autosave never touches the committed file), runs all
cells, moves the first slider of the explorer and checks that the plot redraws. A screenshot is saved to
build/e2e-vanishing-gradients.png. Without chromium (install Debian's `chromium`) the test is skipped with a
message saying so.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_vanishing_gradients.ipynb"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
IDLE = """() => { const ok = /ipykernel\\) \\| Idle/.test(document.querySelector('#jp-main-statusbar')?.innerText);
    window.t0 = ok ? (window.t0 || Date.now()) : 0; return ok && Date.now() - window.t0 > 1000; }"""

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) "
                    "to run the real-browser test")
    pytest.importorskip("playwright", reason="the Python package playwright is not installed")
    if not NOTEBOOK.exists():
        pytest.skip(f"{NOTEBOOK.name} does not exist yet")
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    settings = tmp_path / "settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), "e2e-token"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={tmp_path}", "--LabApp.news_url=None",
         "--LabApp.extension_manager=readonly", f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
         f"--LabApp.workspaces_dir={tmp_path / 'ws'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}")
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("JupyterLab did not start within 120 s")
        yield f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}&reset"
    finally:
        server.terminate()  # started with `python -m jupyterlab`, so this also stops its kernel
        server.wait(timeout=60)


def test_explorer_slider_redraws_the_plot_in_a_real_browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(600_000)

        def wait_idle(ms: int) -> None:
            page.evaluate("window.t0 = 0")
            page.wait_for_function(IDLE, timeout=ms)

        try:
            page.goto(lab)
            wait_idle(120_000)                                      # the kernel has started
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
            slider = page.locator(".widget-slider").first
            slider.wait_for(timeout=600_000)
            wait_idle(600_000)                                      # every cell has run
            box = page.locator(".widget-output:has(img)").first
            box.scroll_into_view_if_needed()
            readout = slider.locator(".widget-readout")
            img = box.locator("img").first
            before, src = readout.inner_text(), img.get_attribute("src")
            slider.locator(".noUi-handle").first.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            page.wait_for_function("s => ![...document.querySelectorAll('.widget-output img')].some(i => i.src === s)",
                                   arg=src, timeout=120_000)                # the old plot is gone
            wait_idle(120_000)
            after = readout.inner_text()
            box.scroll_into_view_if_needed()                        # the redrawn plot in the screenshot
            errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']")
            tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t]
        finally:
            (ROOT / "build").mkdir(exist_ok=True)
            page.screenshot(path=str(ROOT / "build" / "e2e-vanishing-gradients.png"))
            browser.close()
    assert after != before, f"the slider did not move (readout {before!r} -> {after!r})"
    assert not tracebacks, f"a cell printed a traceback: {tracebacks[0][:500]}"
