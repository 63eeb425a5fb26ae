"""C# scripts run inside the real C# test host (``--allow-scripts``) from the Python client."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import zerobridge
from support import ServerProcess

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
SCRIPT_WAIT = 240.0  # the first run compiles with Roslyn: slow on a loaded machine (the host allows 3 min)


@pytest.fixture
def scripts(script_server: ServerProcess) -> Iterator[zerobridge.Client]:
    with zerobridge.connect(script_server.endpoint, timeout=SCRIPT_WAIT) as client:
        yield client


def test_the_value_of_the_last_expression_comes_back_as_a_python_value(scripts: zerobridge.Client) -> None:
    assert scripts.run_csharp("6 * 7") == 42
    assert scripts.run_csharp('new[] { "a", "b" }') == ["a", "b"]


def test_scripts_see_the_application_and_tables_arrive_as_dataframes(scripts: zerobridge.Client) -> None:
    pandas = pytest.importorskip("pandas")
    frame = scripts.run_csharp("Orders.Recent(3)")
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["Id"]) == sorted(frame["Id"], reverse=True)
    assert len(frame) == 3


def test_state_persists_between_runs_of_a_session_and_reset_clears_it(scripts: zerobridge.Client) -> None:
    scripts.run_csharp("var total = 40; int Twice(int x) => 2 * x;")
    assert scripts.run_csharp("total + Twice(1)") == 42
    assert scripts.reset_csharp() is True
    with pytest.raises(zerobridge.RemoteError) as caught:
        scripts.run_csharp("total")
    assert caught.value.code == "compile_error"


def test_console_output_is_printed_and_kept(scripts: zerobridge.Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert scripts.run_csharp('Console.WriteLine("hello from C#"); 1') == 1
    assert "hello from C#" in capsys.readouterr().out
    assert scripts.last_csharp_output.strip() == "hello from C#"
    scripts.run_csharp('Console.Write("quiet")', echo=False)
    assert capsys.readouterr().out == ""


def test_compile_errors_give_line_and_column(scripts: zerobridge.Client) -> None:
    with pytest.raises(zerobridge.RemoteError) as caught:
        scripts.run_csharp('var a = 1;\nint b = "text";')
    error = caught.value
    assert error.code == "compile_error"
    diagnostic = error.details["diagnostics"][0]
    assert (diagnostic["line"], diagnostic["column"], diagnostic["id"]) == (2, 9, "CS0029")


def test_runtime_exceptions_carry_the_script_exception(scripts: zerobridge.Client) -> None:
    with pytest.raises(zerobridge.RemoteError) as caught:
        scripts.run_csharp('throw new ArgumentException("bad input");')
    assert caught.value.code == "script_error"
    assert caught.value.remote_type == "System.ArgumentException"
    assert "bad input" in str(caught.value)


def test_a_timeout_stops_an_endless_loop_and_the_server_goes_on(scripts: zerobridge.Client) -> None:
    with pytest.raises(zerobridge.RemoteError) as caught:
        scripts.run_csharp("while (true) { }", timeout=1)
    assert caught.value.code == "timeout"
    assert scripts.run_csharp("1 + 1") == 2


def test_two_sessions_running_at_once_are_isolated(script_server: ServerProcess) -> None:
    results: Dict[str, Any] = {}

    def work(name: str) -> None:
        with zerobridge.connect(script_server.endpoint, timeout=SCRIPT_WAIT) as client:
            client.run_csharp(f'var who = "{name}";', echo=False)
            value = client.run_csharp('for (var i = 0; i < 100; i++) Console.Write(who[0]); who', echo=False)
            results[name] = (value, client.last_csharp_output)

    threads: List[threading.Thread] = [threading.Thread(target=work, args=(n,)) for n in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SCRIPT_WAIT * 3)
    assert results == {"left": ("left", "l" * 100), "right": ("right", "r" * 100)}


def test_scripts_are_refused_by_default(client: zerobridge.Client) -> None:
    with pytest.raises(zerobridge.PermissionDenied) as caught:
        client.run_csharp("1")
    assert "--allow-scripts" in str(caught.value)


def test_the_cli_refuses_scripts_on_a_non_loopback_endpoint(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(REPO / "zbridge"), "demo", "--allow-scripts", "--bind", "tcp://0.0.0.0:*", "--data", str(tmp_path / "demo.db")],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "loopback" in result.stderr
