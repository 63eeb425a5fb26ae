"""zbridge's long-running commands keep their banner out of their log (issue 15): the banner and summaries go to
stdout, log entries to stderr, configured as .NET programs are (``Logging__Console__FormatterName=json``), so a log
collector reading stderr sees nothing but log entries, each with its event id."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess

from test_submit_cli import BUILD_DEADLINE
from test_tasks import REPO, ZBRIDGE

DEADLINE = 60.0


def test_the_broker_logs_json_on_stderr_and_its_banner_alone_on_stdout() -> None:
    env = dict(os.environ, Logging__Console__FormatterName="json")
    broker = subprocess.Popen([str(ZBRIDGE), "broker", "--bind", "tcp://127.0.0.1:*", "--verbose"], cwd=REPO, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        assert broker.stdout is not None
        ready, _, _ = select.select([broker.stdout], [], [], BUILD_DEADLINE)
        assert ready, "no banner on stdout"
        banner = broker.stdout.readline()
        assert banner.startswith("ZeroBridge broker: Listening on tcp://127.0.0.1:"), banner
        broker.send_signal(signal.SIGTERM)
        stdout, stderr = broker.communicate(timeout=DEADLINE)
    finally:
        if broker.poll() is None:
            broker.kill()
            broker.communicate(timeout=DEADLINE)
    assert broker.returncode == 0, stderr
    assert stdout.strip() == "", stdout  # nothing but the banner
    entries = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert [entry["EventId"] for entry in entries] == [3001, 3003], entries  # listening, stopped
    assert all(entry["Category"] == "ZeroBridge.Majordomo.ZeroBridgeBroker" for entry in entries)
