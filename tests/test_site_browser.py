"""The offline site in a real browser: every page's maths typeset by the local MathJax, with no error.

Builds the site from every notebook without executing them (the maths is in the text), opens each page from
file:// in Debian's chromium (Playwright) with no network, waits for MathJax to finish and counts formulas and
errors ("[Math Processing Error]", MathJax's merror boxes, a font file that failed to load). Skipped, saying why,
without chromium.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.build_site import build

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser

COUNT = """() => ({
  maths: document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_SVG, mjx-container').length,
  errors: document.querySelectorAll('.MathJax_Error, merror, .merror').length
          + (document.body.innerText.match(/Math Processing Error/g) || []).length,
  lastError: window.MathJax && MathJax.Hub && MathJax.Hub.lastError ? String(MathJax.Hub.lastError.message ||
             MathJax.Hub.lastError) : null,
  failed: (document.querySelector('#MathJax_Message') || {}).innerText || '',
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    out = tmp_path_factory.mktemp("site") / "html"
    build(sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), out, execute=False)
    return out


def test_every_page_typesets_its_maths_without_an_error(site):
    from playwright.sync_api import sync_playwright

    pages = sorted((site / "notebooks").glob("*.html")) + [site / "docs" / "teaching.html"]
    results, failed_requests = {}, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"])
        page = browser.new_page()
        page.on("requestfailed", lambda r: failed_requests.append(r.url))
        for path in pages:
            page.goto(path.as_uri())
            page.wait_for_function("() => !window.MathJax || !MathJax.Hub || "
                                   "MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0",
                                   timeout=120_000)
            page.wait_for_timeout(300)
            results[path.stem] = page.evaluate(COUNT)
        browser.close()
    with_maths = [name for name, r in results.items() if r["maths"] > 0]
    assert len(with_maths) >= 5, f"maths typeset on too few pages: {results}"
    bad = {name: r for name, r in results.items() if r["errors"] or r["lastError"] or "failed" in r["failed"]}
    assert not bad, f"MathJax errors: {bad}"
    # MathJax probes for locally installed TeX fonts (.otf) before it uses its STIX-Web web fonts: harmless. A
    # script it cannot load (fontdata.js, the cause of the "[Math Processing Error]"s) is not.
    assert not [u for u in failed_requests if "mathjax" in u.lower() and ".js" in u], failed_requests


def test_a_feedback_page_made_offline_typesets_its_maths(tmp_path):
    """nbgrader's feedback template (nbconvert's mathjax macro, from a CDN) after tools.offline_feedback."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from tools.offline_feedback import make_offline

    page_dir = tmp_path / "feedback" / "alice" / "rnnlab"
    page_dir.mkdir(parents=True)
    cdn = ('<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js?config=TeX-AMS_CHTML-full,'
           'Safe"> </script>')
    body = r"<p>$J_k = \frac{\partial h_k}{\partial h_{k-1}}$, $\tanh'(a) = 1 - h^2$, $c = [\overrightarrow{h}_S]$</p>"
    config = ('<script type="text/x-mathjax-config">init_mathjax = function() { if (window.MathJax) {'
              "MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$'], ['\\\\(','\\\\)']], processEscapes: true}});"
              'MathJax.Hub.Queue(["Typeset", MathJax.Hub]); } }; init_mathjax();</script>')  # as nbconvert writes it
    (page_dir / "01_recurrence.html").write_text(f"<html><head>{cdn}{config}</head><body>{body}</body></html>")
    assert make_offline(tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        remote = []
        page.on("request", lambda r: remote.append(r.url) if r.url.startswith("http") else None)
        page.goto((page_dir / "01_recurrence.html").as_uri())
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                               "&& MathJax.Hub.queue.running === 0", timeout=60_000)
        page.wait_for_timeout(300)
        result = page.evaluate(COUNT)
        browser.close()
    assert result["maths"] == 3 and result["errors"] == 0 and not result["lastError"], result
    assert not remote, remote
