"""tools.notebook_tool: the command line shared by the tools that update notebooks in place."""

import nbformat
import pytest

from tools.notebook_tool import update_notebooks


def _write(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t")]
    nbformat.write(nb, path)


def test_only_changed_notebooks_are_written_and_check_names_them(tmp_path, capsys):
    a, b = tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb"
    _write(a), _write(b)

    def update(notebook, path):
        if path.name.startswith("01"):
            notebook.cells[0].source = "# changed"
            return "retitled"
        return None

    def stale(paths):
        return "stale: " + " ".join(p.name for p in paths)

    assert update_notebooks("d", update, stale, ["--check", str(a), str(b)]) == 1
    assert capsys.readouterr().out == "stale: 01_a.ipynb\n" and "# changed" not in a.read_text()
    assert update_notebooks("d", update, stale, [str(a), str(b)]) == 0
    assert capsys.readouterr().out == f"{a}: retitled\n"
    assert "# changed" in a.read_text() and "# changed" not in b.read_text()


def test_no_notebook_at_all_is_an_error_when_required(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert update_notebooks("d", lambda nb, p: None, str, []) == 0
    with pytest.raises(SystemExit):
        update_notebooks("d", lambda nb, p: None, str, [], require=True)
    assert "no notebooks given and none found in notebooks/" in capsys.readouterr().err
