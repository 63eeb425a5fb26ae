"""`zbridge` as an operator types it: results for humans and for pipes, and one `error:` line with a documented exit
status for every mistake (never a stack trace)."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import List

import pytest


REPO = Path(__file__).resolve().parents[2]
ZBRIDGE = REPO / "zbridge"
DEADLINE = 300.0  # the first run of ./zbridge builds the CLI

USAGE, REMOTE, UNREACHABLE = 2, 1, 3


def zbridge(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ZBRIDGE), *args], cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=DEADLINE)


def assert_one_error_line(result: subprocess.CompletedProcess, code: int, *words: str) -> None:
    errors: List[str] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert result.returncode == code, result.stderr
    assert len(errors) == 1, result.stderr
    assert " at " not in result.stderr and "Exception:" not in result.stderr, result.stderr
    for word in words:
        assert word in errors[0], errors[0]


def test_a_result_with_a_nested_table_prints_as_json(endpoint):
    result = zbridge("call", endpoint, "orders.get", "id=42")
    assert result.returncode == 0, result.stderr
    order = json.loads(result.stdout)
    assert order["Id"] == 42 and isinstance(order["Lines"], list) and order["Lines"]


def test_positional_arguments_and_one_json_line(endpoint):
    result = zbridge("call", endpoint, "orders.recent", "3", "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and len(json.loads(lines[0])) == 3


def test_text_is_not_escaped(endpoint):
    result = zbridge("call", endpoint, "echo", "value=héllo <'x'>", "--json")
    assert result.stdout.strip() == "\"héllo <'x'>\"", result.stdout


def test_host_port_means_tcp(endpoint):
    result = zbridge("call", endpoint.removeprefix("tcp://"), "ping")
    assert result.returncode == 0 and json.loads(result.stdout) == "pong", result.stderr


@pytest.mark.parametrize("target, words", [
    ("http://127.0.0.1:5555", ("not a ZeroMQ endpoint", "http")),
    ("tcp://127.0.0.1", ("no port",)),
])
def test_a_malformed_endpoint_is_a_usage_error(target, words):
    assert_one_error_line(zbridge("call", target, "ping"), USAGE, *words)


def test_mixed_positional_and_named_arguments_are_a_usage_error(endpoint):
    assert_one_error_line(zbridge("call", endpoint, "orders.recent", "3", "n=2"), USAGE, "not both")


def test_an_unknown_option_is_a_usage_error(endpoint):
    result = zbridge("call", endpoint, "ping", "--no-such-option")
    assert result.returncode == USAGE, result.stderr


def test_an_unknown_command_is_a_remote_error(endpoint):
    assert_one_error_line(zbridge("call", endpoint, "orders.recnt"), REMOTE, "unknown_command")


def test_an_unknown_host_is_unreachable():
    assert_one_error_line(zbridge("call", "tcp://no-such-host.invalid:5555", "ping", "--timeout", "5"),
                          UNREACHABLE, "unknown host")


def test_no_server_is_unreachable():
    with socket.socket() as closed:  # a port nobody listens on: bound here, never listened
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        assert_one_error_line(zbridge("call", f"tcp://127.0.0.1:{port}", "ping", "--timeout", "1"),
                              UNREACHABLE, "No reply")


@pytest.mark.parametrize("verb", ["broker", "demo"])
def test_a_busy_port_names_the_port(verb, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = f"tcp://127.0.0.1:{busy.getsockname()[1]}"
        extra = ["--data", str(tmp_path / "demo.db")] if verb == "demo" else []
        assert_one_error_line(zbridge(verb, "--bind", taken, *extra), UNREACHABLE, taken, "in use")
