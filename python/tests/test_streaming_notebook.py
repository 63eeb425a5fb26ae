"""Runs examples/streaming.ipynb against a real `zbridge demo --publish` (set-up as in test_notebook.py)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Iterator, Tuple

import pytest
from support import ServerProcess

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("pandas")
from test_notebook import kernel_manager  # noqa: E402,F401 - the fixture, shared

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "streaming.ipynb"
ZBRIDGE = REPO / "zbridge"
START_DEADLINE = 180.0
_PUBLISHING = re.compile(r"Publishing on (tcp://\S+) \(snapshots on (tcp://[^\s)]+)\)")


@pytest.fixture
def demo_stream(tmp_path: Path) -> Iterator[Tuple[str, str]]:
    if shutil.which("dotnet") is None:
        pytest.fail("dotnet is not installed (install the .NET 10 SDK): the notebook needs the zbridge demo server")
    server = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--publish", "tcp://127.0.0.1:*",
                            "--data", str(tmp_path / "demo.db")], cwd=REPO)
    try:
        server.wait_ready(START_DEADLINE)
        match = next(m for m in map(_PUBLISHING.search, server.output) if m)
        yield match.group(1), match.group(2)
    finally:
        server.stop()


def test_streaming_notebook_runs(demo_stream, kernel_manager, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                 tmp_path: Path) -> None:
    stream, snapshot = demo_stream
    monkeypatch.setenv("ZEROBRIDGE_STREAM", stream)
    monkeypatch.setenv("ZEROBRIDGE_SNAPSHOT", snapshot)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(REPO / "python")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") or cell.get("execution_count")
                   for cell in notebook.cells if cell.cell_type == "code"), \
        "examples/streaming.ipynb should be committed with its outputs cleared"
    client = nbclient.NotebookClient(notebook, km=kernel_manager, timeout=120, startup_timeout=120,
                                     kernel_name="python3", allow_errors=False,
                                     resources={"metadata": {"path": str(REPO / "examples")}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"a notebook cell failed:\n{error}")

    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    text = "\n".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "prices." in text and "snapshot" in text and "live" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the live plot was not drawn"
    assert "gaps: 0 restarts: 0" in text
