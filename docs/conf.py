"""Sphinx configuration of the offline course site (`make html`, built by tools/build_site.py).

tools/build_site.py stages the source: index.md (docs/index.md), notebooks/*.ipynb (executed, widgets replaced
by a note), docs/teaching.md, and runs `sphinx-build -c docs <staging> build/html`, so this file stays here.
Everything the pages load is local: the theme's assets, Sphinx's search index, and MathJax 2 from the PyPI
package jupyter-server-mathjax (Apache-2.0), copied to _static/mathjax. No CDN.
"""

import sys
from pathlib import Path

import jupyter_server_mathjax

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rnnlab  # noqa: E402
from tools.badges import BRANCH, REPO  # noqa: E402 (the one place the repository's address is written)

project = "rnnlab: recurrent neural networks, hands on"
author = "the rnnlab authors"
copyright = "2026, the rnnlab authors"  # noqa: A001 (Sphinx's name)
version = release = rnnlab.__version__

extensions = ["myst_nb"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # tools/build_site.py executes the notebooks itself (with nbclient) when asked
nb_ipywidgets_js = {}  # widgets need a live kernel; never load the widget manager from a CDN
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header", "myst.xref_missing", "misc.highlighting_failure"]

# Maths offline: MathJax 2 from jupyter-server-mathjax, served from _static/mathjax (copied by tools/build_site.py).
MATHJAX_DIR = Path(jupyter_server_mathjax.__file__).parent / "static"
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
# myst-nb marks notebook sections `tex2jax_ignore mathjax_ignore` and the maths `math`: tell MathJax 2 the same.
mathjax2_config = {"tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                               "processRefs": False, "processEnvironments": False,
                               "ignoreClass": "tex2jax_ignore|mathjax_ignore",
                               "processClass": "tex2jax_process|mathjax_process|math|output_area"},
                   # jupyter-server-mathjax ships STIX-Web fonts only (no TeX folder): asking for TeX fonts made
                   # every formula with a prime or an arrow a "[Math Processing Error]" (fontdata.js not found).
                   "HTML-CSS": {"availableFonts": ["STIX-Web"], "preferredFont": "STIX-Web", "webFont": "STIX-Web",
                                "imageFont": None},
                   "showMathMenu": False}

html_theme = "sphinx_book_theme"
html_title = "rnnlab"
html_static_path = []
html_last_updated_fmt = ""
html_theme_options = {
    "repository_url": f"https://github.com/{REPO}",
    "repository_branch": BRANCH,
    "path_to_docs": "",  # the staged source mirrors the repository: notebooks/NN_name.ipynb
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com",
                       "notebook_interface": "jupyterlab"},
    "show_navbar_depth": 1,
}
