"""A Python task worker for the tests of both languages: ``python task_worker_fixture.py ENDPOINT NAME``.

Kinds: ``square(x)`` and ``fail(message)``. Environment knobs: ``ZB_DELAY`` (seconds per task), ``ZB_HANG`` (take a
task and never answer), ``ZB_SLOW_FIRST`` (the first task this worker takes lasts 1.5 s, whichever it is), ``ZB_GATE``
(a path: every task waits until that file exists), ``ZB_SERVER_KEY`` and ``ZB_CERT`` (paths: the producer's ``NAME.key``
and this worker's ``NAME.key_secret``, for CURVE and the key proof), ``ZB_HEARTBEAT`` (seconds between heartbeats),
``ZB_PREFETCH`` (tasks taken ahead).
Prints the ServerProcess readiness line on start.
"""

import os
import sys
import time

import zerobridge


GATE_DEADLINE = 120.0
_taken = 0


def square(x):
    global _taken
    _taken += 1
    time.sleep(float(os.environ.get("ZB_DELAY", "0")))
    if os.environ.get("ZB_HANG"):
        time.sleep(1000)
    if os.environ.get("ZB_SLOW_FIRST") and _taken == 1:
        time.sleep(1.5)
    gate = os.environ.get("ZB_GATE")
    if gate:
        end = time.monotonic() + GATE_DEADLINE
        while not os.path.exists(gate) and time.monotonic() < end:
            time.sleep(0.01)  # the test opens the gate by creating the file
    return x * x


def fail(message):
    raise ValueError(message)


if __name__ == "__main__":
    worker = zerobridge.TaskWorker(sys.argv[1], name=sys.argv[2], heartbeat=float(os.environ.get("ZB_HEARTBEAT", "1")),
                                   prefetch=int(os.environ.get("ZB_PREFETCH", "0")),
                                   server_key=os.environ.get("ZB_SERVER_KEY"), cert=os.environ.get("ZB_CERT"))
    worker.task("square")(square)
    worker.task()(fail)
    print("Listening on " + sys.argv[1], flush=True)
    worker.run()
