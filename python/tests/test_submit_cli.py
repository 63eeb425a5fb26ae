"""`zbridge submit`: the C# task producer from the shell, against real Python and C# worker processes."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import threading
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

from test_tasks import REPO, ZBRIDGE, Workers


BUILD_DEADLINE = 180.0   # the first run of ./zbridge builds the CLI
JOB_DEADLINE = 120.0
_WAITING = re.compile(r"Waiting for \d+ worker\(s\) on (tcp://\S+)")


class Submit:
    """A running `zbridge submit`, its stdout and stderr kept apart."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [str(ZBRIDGE), "submit", "tcp://127.0.0.1:*", *args], cwd=REPO, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.stdout: List[str] = []
        self.stderr = bytearray()
        self._lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self._threads = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout.append(line.decode())

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        line = bytearray()
        while chunk := self.process.stderr.read1(4096):
            self.stderr += chunk
            for byte in chunk:
                line.append(byte)
                if byte == ord("\n"):
                    self._lines.put(line.decode(errors="replace"))
                    line.clear()
        self._lines.put(None)

    def endpoint(self) -> str:
        while True:
            try:
                line = self._lines.get(timeout=BUILD_DEADLINE)
            except queue.Empty:
                line = None
            if line is None:
                self.kill()
                pytest.fail(f"zbridge submit printed no endpoint; stderr:\n{self.stderr.decode(errors='replace')}")
            match = _WAITING.search(line)
            if match:
                return match.group(1)

    def finish(self) -> int:
        try:
            code = self.process.wait(JOB_DEADLINE)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"zbridge submit did not finish; stderr:\n{self.stderr.decode(errors='replace')}")
        for thread in self._threads:
            thread.join(10)
        return code

    def results(self) -> List[dict]:
        return [json.loads(line) for line in self.stdout]

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers()
    yield pool
    for process in pool.processes:
        process.stop()


def test_submit_runs_every_task_on_python_and_csharp_workers(workers) -> None:
    submit = Submit("square", "{i}", "--count", "60", "--workers", "2", "--wait", str(BUILD_DEADLINE))
    endpoint = submit.endpoint()
    workers.python(endpoint, "py-1")
    workers.dotnet(endpoint)
    assert submit.finish() == 0, submit.stderr.decode()
    results = submit.results()
    assert sorted(r["index"] for r in results) == list(range(60))
    assert all(r["ok"] and r["value"] == r["index"] ** 2 for r in results)
    assert {r["worker"].split("-")[0] for r in results} == {"py", "dotnet"}
    errors = submit.stderr.decode()
    assert "60 task(s): 60 ok, 0 failed" in errors
    assert "\r" not in errors   # not a terminal: no progress bar


def test_submit_reports_failed_tasks_with_keyword_arguments_and_draws_its_bar_when_asked(workers) -> None:
    submit = Submit("fail", "message=boom-{i}", "-n", "3", "--progress", "true", "--wait", str(BUILD_DEADLINE))
    workers.python(submit.endpoint(), "py")
    assert submit.finish() == 1
    results = sorted(submit.results(), key=lambda r: r["index"])
    assert [(r["ok"], r["error"]["code"], r["error"]["message"]) for r in results] == [
        (False, "command_failed", f"boom-{i}") for i in range(3)]
    errors = submit.stderr.decode()
    assert "\rfail [" in errors and "3/3" in errors
    assert "3 task(s): 0 ok, 3 failed" in errors


def test_submit_without_workers_gives_up_clearly() -> None:
    submit = Submit("square", "1", "--wait", "0.5")
    submit.endpoint()
    assert submit.finish() == 1
    assert "0 of 1 worker(s) connected" in submit.stderr.decode()
    assert submit.stdout == []
