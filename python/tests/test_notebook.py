"""Runs examples/quickstart.ipynb end to end against a real `zbridge demo` server.

The server is started on an ephemeral port with a temporary database (its "Listening on" line is read
with a deadline) and stopped at teardown: SIGTERM to its process group, then SIGKILL after a deadline.
The notebook runs in a kernel of *this* interpreter (a temporary kernelspec named ``python3`` pointing
at ``sys.executable``, so a ``python3`` kernelspec of another Python on the machine cannot interfere),
with the repository's ``python/`` first on ``PYTHONPATH``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Iterator

import pytest
from support import ServerProcess

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("pandas")
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
PYTHON_DIR = REPO / "python"
NOTEBOOK = REPO / "examples" / "quickstart.ipynb"
ZBRIDGE = REPO / "zbridge"
START_DEADLINE = 180.0  # the first run builds the CLI and generates the database
CELL_TIMEOUT = 120
STARTUP_TIMEOUT = 120


@contextlib.contextmanager
def demo_server(data: Path, *flags: str) -> Iterator[str]:
    """`zbridge demo` on an ephemeral port; yields its endpoint, stops it on exit."""
    if shutil.which("dotnet") is None:
        pytest.fail("dotnet is not installed (install the .NET 10 SDK): the notebooks need the zbridge demo server")
    server = ServerProcess([str(ZBRIDGE), "demo", "--bind", "tcp://127.0.0.1:*", "--data", str(data), *flags], cwd=REPO)
    try:
        yield server.wait_ready(START_DEADLINE)
    finally:
        server.stop()


@pytest.fixture
def kernel_manager(tmp_path: Path) -> KernelManager:
    """A manager for a ``python3`` kernel running this interpreter, whatever kernelspecs are installed."""
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (test)",
        "language": "python",
    }), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")], ensure_native_kernel=False)
    assert specs.get_kernel_spec("python3").argv[0] == sys.executable
    return KernelManager(kernel_name="python3", kernel_spec_manager=specs)


def execute(notebook_path: Path, endpoint: str, kernel_manager: KernelManager,
            monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Run every cell of a notebook against ``endpoint``; fail on the first failing cell; return the text outputs."""
    # The kernel inherits this process's environment.
    monkeypatch.setenv("ZEROBRIDGE_ENDPOINT", endpoint)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(PYTHON_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets ipykernel's debugger warning
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # no user profile or startup files

    notebook = nbformat.read(notebook_path, as_version=4)
    assert not any(cell.get("outputs") or cell.get("execution_count")
                   for cell in notebook.cells if cell.cell_type == "code"), \
        f"{notebook_path.name} should be committed with its outputs cleared"

    client = nbclient.NotebookClient(
        notebook, km=kernel_manager, timeout=CELL_TIMEOUT, startup_timeout=STARTUP_TIMEOUT,
        kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(REPO / "examples")}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"a cell of {notebook_path.name} failed:\n{error}")
    return _text_outputs(notebook)


def test_quickstart_notebook_runs(kernel_manager: KernelManager, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with demo_server(tmp_path / "demo.db") as endpoint:
        outputs = execute(NOTEBOOK, endpoint, kernel_manager, monkeypatch, tmp_path)
    assert "pong" in outputs
    assert "orders.recent" in outputs
    assert "[unknown_command]" in outputs or "unknown_command" in outputs
    assert "'ok': True, 'result': [1, 2]" in outputs


def test_csharp_notebook_runs_its_magics_in_a_real_kernel(kernel_manager: KernelManager, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    with demo_server(tmp_path / "demo.db", "--allow-scripts") as endpoint:
        outputs = execute(REPO / "examples" / "csharp.ipynb", endpoint, kernel_manager, monkeypatch, tmp_path)
    assert "Connected to" in outputs
    assert "1000 orders, revenue" in outputs          # console output of a %%csharp cell
    assert "CustomerName" in outputs                   # a DataFrame result displayed
    assert "line 2, column 9: CS0029" in outputs       # compile error positions
    assert "timeout -" in outputs                      # runaway loop stopped

def _text_outputs(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                parts.append(output["text"])
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)
