"""`zbridge status` for operators, and ZEROBRIDGE_ENDPOINT / ZEROBRIDGE_SERVICE as the CLI's defaults: the real CLI
against a real server, a real broker and a real worker."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Dict, Iterator, Optional

import pytest

import zerobridge
from broker_support import HEARTBEAT, LIVENESS, start_broker, wait_for_workers
from support import unlistened_endpoint
from test_cli_errors import DEADLINE, REPO, UNREACHABLE, USAGE, ZBRIDGE, assert_one_error_line



def zbridge(*args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZEROBRIDGE_")}
    return subprocess.run([str(ZBRIDGE), *args], cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=DEADLINE, env={**clean, **(env or {})})


@pytest.fixture(scope="module")
def broker_with_worker() -> Iterator[str]:
    broker = start_broker()
    worker = zerobridge.Worker(broker.endpoint, "maths", heartbeat=HEARTBEAT, liveness=LIVENESS)
    worker.add("add", lambda a, b: a + b)
    worker.start()
    try:
        wait_for_workers(broker.endpoint, "maths", 1)
        yield broker.endpoint
    finally:
        worker.stop()
        broker.stop()


def test_status_of_a_server_says_up_with_its_latency_and_commands(endpoint):
    result = zbridge("status", endpoint, "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["up"] is True and status["kind"] == "server" and status["endpoint"] == endpoint
    assert status["latency_ms"] > 0 and status["commands"] > 5
    human = zbridge("status", endpoint)
    assert human.returncode == 0 and "up, a ZeroBridge server" in human.stdout, human.stderr


def test_status_of_a_broker_lists_its_services_workers_and_load(broker_with_worker):
    result = zbridge("status", broker_with_worker, "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["kind"] == "broker" and status["broker"]["workers"] == 1
    assert [(s["service"], s["workers"]) for s in status["services"]] == [("maths", 1)]
    # With a service named (here by the environment), that service is pinged through the broker as well.
    through = zbridge("status", broker_with_worker, "--json", env={"ZEROBRIDGE_SERVICE": "maths"})
    assert through.returncode == 0, through.stderr
    assert json.loads(through.stdout)["service_latency_ms"] > 0


def test_status_of_nothing_says_down_and_exits_3():
    with unlistened_endpoint() as nowhere:
        result = zbridge("status", nowhere, "--timeout", "1")
    assert_one_error_line(result, UNREACHABLE, "is down")


def test_the_endpoint_and_service_come_from_the_environment(endpoint, broker_with_worker):
    result = zbridge("call", "--timeout", "20", "echo", "value=7", "--json", env={"ZEROBRIDGE_ENDPOINT": endpoint})
    assert result.returncode == 0 and json.loads(result.stdout) == 7, result.stderr
    status = zbridge("status", env={"ZEROBRIDGE_ENDPOINT": endpoint})
    assert status.returncode == 0 and endpoint in status.stdout, status.stderr
    # An endpoint on the command line still wins; the service defaults from the environment.
    via = zbridge("call", broker_with_worker, "add", "a=2", "b=3", env={"ZEROBRIDGE_ENDPOINT": "tcp://127.0.0.1:1",
                                                                        "ZEROBRIDGE_SERVICE": "maths"})
    assert via.returncode == 0 and json.loads(via.stdout) == 5, via.stderr


def test_without_endpoint_or_variable_the_endpoint_is_a_missing_argument():
    result = zbridge("status")
    assert result.returncode == USAGE
    assert "Required argument missing" in result.stderr


def test_python_connect_reads_the_same_variables(endpoint, broker_with_worker, monkeypatch):
    monkeypatch.setenv("ZEROBRIDGE_ENDPOINT", endpoint)
    with zerobridge.connect(timeout=20) as client:
        assert client.echo(value="from the environment") == "from the environment"
    monkeypatch.setenv("ZEROBRIDGE_ENDPOINT", broker_with_worker)
    monkeypatch.setenv("ZEROBRIDGE_SERVICE", "maths")
    with zerobridge.connect(timeout=20) as client:
        assert client.call("add", a=2, b=5) == 7
    with zerobridge.connect(endpoint, service="zerobridge", timeout=20) as client:   # arguments still win
        assert client.ping() == "pong"
