"""The adversarial suite's short budget (issue 12): every endpoint type gets generated malformed messages from
tests/fuzzing.py, against real processes of its own; the long run is bench/fuzz.py."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import pytest
import zmq

import zerobridge
from broker_support import CLI_DLL, Process, ensure_cli_built, start_broker, start_worker, stop_all, wait_for_workers
from conftest import _start
from fuzzing import Target, reports_table, run, targets
from support import RECV_TIMEOUT

MESSAGES = 150  # per endpoint: about ten seconds each on an idle machine
SEED = 12
CRASHES = Path(__file__).resolve().parents[2] / "bench" / "results" / "fuzz-crashes"


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[List[Target]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    ensure_cli_built()
    host = _start(tmp)
    broker = start_broker()
    processes = [host, broker]
    try:
        worker = start_worker(broker.endpoint, "erp", "fuzz-worker", tmp)
        processes.append(worker)
        producer = Process(["dotnet", str(CLI_DLL), "submit", "tcp://127.0.0.1:*", "square", "{i}", "--count", "1",
                            "--workers", "1000", "--wait", "3600"])
        processes.append(producer)
        producer_endpoint = producer.wait_for(r"Waiting for \d+ worker\(s\) on (tcp://\S+)").group(1)
        wait_for_workers(broker.endpoint, "erp", 1)
        with zerobridge.connect(host.endpoint, timeout=RECV_TIMEOUT) as client:
            snapshot = client.call("stream.start")["snapshot"]
        yield targets(host, snapshot, broker, worker, producer, producer_endpoint)
    finally:
        stop_all(processes)


@pytest.mark.parametrize("name", ["server-bridge", "server-gateway", "publisher-snapshot", "broker-client",
                                  "broker-worker", "task-producer"])
def test_generated_malformed_messages_crash_wedge_and_exhaust_nothing(endpoints, zmq_context, name) -> None:
    target = next(t for t in endpoints if t.name == name)
    report = run(target, MESSAGES, SEED, zmq_context, CRASHES)
    print(reports_table([report]))
    assert not report.failures, report.line()
