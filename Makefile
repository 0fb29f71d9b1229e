# rnnlab: two commands on a fresh machine that has only Python.
#   make lab    install everything into .venv and open JupyterLab on notebooks/ (http://127.0.0.1:8888, token)
#   make test   install everything into .venv and run every test: lint, unit tests, all notebooks, browser, hub
#   make student    student versions through nbgrader generate_assignment (solutions become stubs) in student/
#   make app        serve notebook 12's app (Voila) on http://127.0.0.1:8866
#   make html       execute every notebook and build the offline course site (Sphinx) in build/html/
#
# TORCH_SPEC picks the torch build that is installed first. Its default pins the release this course is
# tested with; on Linux without a GPU, PyPI's wheel is a large CUDA build, so add the CPU index, e.g.
#   make lab TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
PYTEST_WORKERS ?= 2
STAMP := $(VENV)/.rnnlab-installed

.PHONY: install lab test lint unit notebooks browser hub app student html benchmarks bench-load claims clean versions-lowest versions-newest

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Jupyter refuses to run as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(ALLOW_ROOT)

test: install lint unit notebooks browser hub

lint: install
	$(BIN)/ruff check rnnlab tests notebooks benchmarks tools apps conftest.py
	$(BIN)/nbstripout --verify notebooks/*.ipynb apps/*.ipynb

# The tests run PYTEST_WORKERS processes side by side; one torch thread each keeps them from fighting for cores.
unit notebooks browser hub: export OMP_NUM_THREADS ?= 1

unit: install
	$(BIN)/python -m pytest tests -n $(PYTEST_WORKERS) -m "not browser and not hub"

notebooks: install
	RNNLAB_STRICT_CHECKS=1 $(BIN)/python -m pytest --nbmake --nbmake-timeout=900 -n $(PYTEST_WORKERS) notebooks

browser: install
	$(BIN)/python -m pytest tests/test_browser.py tests/test_site_browser.py tests/test_app_browser.py -m browser -ra

# A real JupyterHub from docs/hub/jupyterhub_config.py: two students pull the course and run a notebook.
hub: install
	$(BIN)/python -m pytest tests/test_hub.py -m hub -ra

# Notebook 12's app: a notebook served by Voila (no code shown) on 127.0.0.1:8866; no browser is opened.
APP ?= apps/text_generator.ipynb
app: install
	$(BIN)/voila $(APP) --no-browser --Voila.ip=127.0.0.1 --port=8866

student: install
	$(BIN)/python -m tools.make_student --out student

html: install
	$(BIN)/python -m tools.build_site --out build/html

benchmarks: install
	$(BIN)/python -m benchmarks.run

# Each notebook alone and beside one busy process (a browser tab, a classmate): times and their ratio.
bench-load: install
	$(BIN)/python -m benchmarks.load

# Re-run the experiments behind every asserted notebook claim on 3 seeds the notebooks do not use.
claims: install
	OMP_NUM_THREADS=1 $(BIN)/python -m benchmarks.claims

# The lowest versions pyproject.toml allows (uv's lowest-direct resolution; torch held at TORCH_SPEC) and the newest
# releases on the newest Python: each installs its own venv, runs the unit tests and three notebooks.
VERSION_NOTEBOOKS ?= notebooks/03_vanishing_gradients.ipynb notebooks/07_translation.ipynb notebooks/08_forecasting.ipynb
NEWEST_PYTHON ?= python3.13

versions-lowest:
	$(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet uv
	echo "$(TORCH_SPEC)" > .venv-lowest/constraints.txt
	.venv-lowest/bin/python -m uv pip install --quiet --python .venv-lowest/bin/python --resolution lowest-direct \
		--constraint .venv-lowest/constraints.txt "$(TORCH_SPEC)" -e ".[dev]" $(TORCH_PIP_ARGS)
	OMP_NUM_THREADS=1 .venv-lowest/bin/python -m pytest tests -n $(PYTEST_WORKERS) -m "not browser and not hub" -p no:cacheprovider
	OMP_NUM_THREADS=1 RNNLAB_STRICT_CHECKS=1 .venv-lowest/bin/python -m pytest --nbmake --nbmake-timeout=900 -n $(PYTEST_WORKERS) $(VERSION_NOTEBOOKS)

versions-newest:
	$(NEWEST_PYTHON) -m venv .venv-newest
	.venv-newest/bin/python -m pip install --quiet --upgrade pip
	.venv-newest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager "$(TORCH_SPEC)" -e ".[dev]" $(TORCH_PIP_ARGS)
	OMP_NUM_THREADS=1 .venv-newest/bin/python -m pytest tests -n $(PYTEST_WORKERS) -m "not browser and not hub" -p no:cacheprovider
	OMP_NUM_THREADS=1 RNNLAB_STRICT_CHECKS=1 .venv-newest/bin/python -m pytest --nbmake --nbmake-timeout=900 -n $(PYTEST_WORKERS) $(VERSION_NOTEBOOKS)

clean:
	rm -rf $(VENV) .venv-lowest .venv-newest build .pytest_cache
