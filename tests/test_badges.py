import nbformat

from tools.badges import BADGE_MARK, COLAB_CELL, COLAB_TAG, REPO, add_badges, badge_line_removed, badges


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 42 · Title\n\nLearning goals."), nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_badges_and_colab_cell_are_added_once():
    nb = _notebook()
    assert add_badges(nb, "42_title.ipynb") is True
    assert nb.cells[0].source.startswith("# 42 · Title\n\n[![Open In Colab]")
    assert "notebooks/42_title.ipynb" in nb.cells[0].source and BADGE_MARK in nb.cells[0].source
    assert nb.cells[1].metadata["tags"] == [COLAB_TAG] and nb.cells[1].source == COLAB_CELL
    assert add_badges(nb, "42_title.ipynb") is False and len(nb.cells) == 3
    nbformat.validate(nb)


def test_colab_cell_does_nothing_where_rnnlab_is_installed(monkeypatch):
    import subprocess
    import sys

    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda *a, **k: calls.append(a))
    before = {name for name in sys.modules if name.split(".")[0] == "rnnlab"}
    exec(COLAB_CELL, {})  # rnnlab is importable here, so no pip call is made
    assert calls == [], "the install cell ran pip although rnnlab is installed"
    assert before <= set(sys.modules), "the install cell forgot rnnlab's modules although nothing was installed"


def test_colab_cell_installs_where_rnnlab_is_missing(monkeypatch):
    import builtins
    import subprocess
    import sys

    calls, real_import = [], builtins.__import__

    def no_rnnlab(name, *args, **kwargs):
        if name.split(".")[0] == "rnnlab":
            raise ModuleNotFoundError(name)
        return real_import(name, *args, **kwargs)

    loaded = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "rnnlab"}
    monkeypatch.setattr(subprocess, "check_call", lambda cmd, **k: calls.append(cmd))
    monkeypatch.setattr(builtins, "__import__", no_rnnlab)
    try:
        exec(COLAB_CELL, {})
    finally:
        monkeypatch.undo()
        forgotten = set(loaded) - set(sys.modules)
        sys.modules.update(loaded)  # the same module objects back: other tests hold references to them
    assert forgotten == set(loaded), "after installing, the cell forgets what the failed import found"
    assert len(calls) == 1 and calls[0][1:4] == ["-m", "pip", "install"] and "git+https://github.com/" in calls[0][-1]


def test_badge_links_point_at_the_notebook():
    text = badges("03_vanishing_gradients.ipynb")
    assert "colab.research.google.com/github/" in text and "mybinder.org/v2/gh/" in text
    assert text.count("notebooks/03_vanishing_gradients.ipynb") == 2


def test_stale_badges_and_install_cell_are_rewritten_for_the_current_repo():
    nb = _notebook()
    add_badges(nb, "42_title.ipynb")
    nb.cells[0].source = nb.cells[0].source.replace(REPO, "someone/old-fork")
    nb.cells[1].source = 'import importlib.util\nif importlib.util.find_spec("rnnlab") is None: pass'
    assert add_badges(nb, "42_title.ipynb") is True
    assert "someone/old-fork" not in nb.cells[0].source and badges("42_title.ipynb") in nb.cells[0].source
    assert nb.cells[1].source == COLAB_CELL and len(nb.cells) == 3


def test_install_cell_guard_imports_a_real_submodule():
    assert "import rnnlab.utils" in COLAB_CELL and "find_spec" not in COLAB_CELL
    assert f"git+https://github.com/{REPO}@" in COLAB_CELL


def test_badge_line_can_be_removed_for_the_static_site():
    source = "# 42 · Title\n\n" + badges("42_title.ipynb") + "\n\nLearning goals."
    assert badge_line_removed(source) == "# 42 · Title\n\nLearning goals."


def test_the_command_line_adds_badges_and_check_says_which_notebook_is_stale(tmp_path, capsys):
    from tools.badges import main

    path = tmp_path / "42_title.ipynb"
    nbformat.write(_notebook(), path)
    assert main(["--check", str(path)]) == 1                      # --check writes nothing...
    assert "badges or Colab cell missing or stale in: " + str(path) in capsys.readouterr().out
    assert BADGE_MARK not in path.read_text()
    assert main([str(path)]) == 0                                  # ... without it, the badges are added
    assert f"{path}: badges and Colab cell added or updated" in capsys.readouterr().out
    assert BADGE_MARK in path.read_text() and main(["--check", str(path)]) == 0
