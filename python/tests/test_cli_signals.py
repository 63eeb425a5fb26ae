"""Ctrl+C and SIGTERM on the CLI's long-running verbs: `submit` prints what is done and what is not and exits 130;
`task-worker` hands its running tasks back so the producer re-sends them at once (not after the worker timeout)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import List


import zerobridge
from broker_support import wait_until
from test_submit_cli import BUILD_DEADLINE, Submit
from test_tasks import REPO, ZBRIDGE


DEADLINE = 60.0


def test_ctrl_c_on_submit_prints_done_and_not_done_and_exits_130() -> None:
    release = threading.Event()

    def gate(i: int) -> int:
        if i > 0:
            release.wait(DEADLINE)   # held until the test is over
        return i

    submit = Submit("gate", "{i}", "--count", "3", "--wait", str(BUILD_DEADLINE))
    worker = zerobridge.TaskWorker(submit.endpoint(), {"gate": gate}, name="py-gate", concurrency=2)
    thread = threading.Thread(target=worker.run, kwargs={"duration": DEADLINE}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(submit.stdout) == 1, "the first result is printed", DEADLINE)
        submit.process.send_signal(signal.SIGINT)
        assert submit.finish() == 130
        errors = submit.stderr.decode()
        assert "1 of 3 task(s) done (1 ok, 0 failed), 2 not done" in errors, errors
        assert "Exception" not in errors and " at " not in errors, errors
    finally:
        release.set()
        submit.kill()
        worker.stop()
        thread.join(DEADLINE)
        assert not thread.is_alive()


def test_sigterm_on_a_task_worker_hands_its_running_task_back_to_the_producer() -> None:
    # The producer would take 60 s to notice a silent worker, and a "cancelled" result would fail the task: only
    # the hand-back gets it re-sent, at once, to the other worker.
    with zerobridge.TaskProducer("tcp://127.0.0.1:*", worker_timeout=60.0) as producer:
        process = subprocess.Popen([str(ZBRIDGE), "task-worker", producer.endpoint, "--verbose"], cwd=REPO,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        running = threading.Event()
        log: List[str] = []

        def watch_the_log() -> None:
            assert process.stderr is not None  # zbridge logs on stderr; its banner and summary go to stdout
            for line in process.stderr:
                log.append(line)
                if "Running sleep" in line:
                    running.set()

        watcher = threading.Thread(target=watch_the_log, daemon=True)
        watcher.start()
        try:
            producer.wait_for_workers(1, timeout=BUILD_DEADLINE)
            taker = zerobridge.TaskWorker(producer.endpoint, {"sleep": lambda ms, value=None: "re-sent"}, name="py-taker")

            def stop_the_cli_then_take_over() -> None:
                if running.wait(DEADLINE):                  # the C# worker is running the task
                    process.send_signal(signal.SIGTERM)     # Ctrl+C goes the same way (StopSignals)
                    taker.run(max_tasks=1, duration=DEADLINE)

            helper = threading.Thread(target=stop_the_cli_then_take_over, daemon=True)
            helper.start()
            results = list(producer.results("sleep", [600_000], timeout=30))
            helper.join(DEADLINE)
            assert [(r.ok, r.value) for r in results] == [(True, "re-sent")], [r.error for r in results]
            assert process.wait(DEADLINE) == 0
            watcher.join(DEADLINE)  # stderr ends with the process
            assert process.stdout is not None
            summary, err = process.stdout.read(), "".join(log)
            assert "0 task(s) done, 1 handed back to the producer" in summary and "Exception" not in err, (summary, err)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
