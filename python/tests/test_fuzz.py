"""The adversarial suite's short budget (issue 12): every endpoint type gets generated malformed messages from
tests/fuzzing.py, against real processes of its own; the long run is bench/fuzz.py."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import pytest

from fuzzing import Target, attack_surface, reports_table, run

MESSAGES = 150  # per endpoint: a few seconds each on an idle machine
SEED = 12
CRASHES = Path(__file__).resolve().parents[2] / "bench" / "results" / "fuzz-crashes"


@pytest.fixture(scope="module")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[List[Target]]:
    with attack_surface(tmp_path_factory.mktemp("fuzz")) as targets:
        yield targets


@pytest.mark.parametrize("name", ["server-bridge", "server-gateway", "publisher-snapshot", "broker-client",
                                  "broker-worker", "task-producer", "python-task-producer"])
def test_generated_malformed_messages_crash_wedge_and_exhaust_nothing(endpoints, zmq_context, name) -> None:
    target = next(t for t in endpoints if t.name == name)
    report = run(target, MESSAGES, SEED, zmq_context, CRASHES)
    print(reports_table([report]))
    assert not report.failures, report.line()
