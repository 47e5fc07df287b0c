"""examples/quickstart.ipynb runs from top to bottom (nbmake, Taichi CPU, static 3-D views)."""

import shutil
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    from nbmake.nb_run import NotebookRun  # the test extra installs nbmake

    monkeypatch.setenv("MICROCATH_ARCH", "cpu")
    monkeypatch.setenv("MICROCATH_JUPYTER_BACKEND", "static")  # no trame server in CI
    monkeypatch.setenv("PYVISTA_OFF_SCREEN", "true")
    copy = tmp_path / NOTEBOOK.name  # the notebook writes its example stack beside itself
    shutil.copy(NOTEBOOK, copy)
    result = NotebookRun(copy, default_timeout=180).execute()
    assert result.error is None, result.error and result.error.summary
    assert (tmp_path / "fib_stack.tif").is_file()
