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
