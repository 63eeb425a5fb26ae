"""A Python task worker for the tests of both languages: ``python task_worker_fixture.py ENDPOINT NAME``.

Kinds: ``square(x)`` and ``fail(message)``. Environment knobs: ``ZB_DELAY`` (seconds per task), ``ZB_HANG`` (take a
task and never answer), ``ZB_SLOW_FIRST`` (task 0 takes 1.5 s). Prints the ServerProcess readiness line on start.
"""

import os
import sys
import time

import zerobridge


def square(x):
    time.sleep(float(os.environ.get("ZB_DELAY", "0")))
    if os.environ.get("ZB_HANG"):
        time.sleep(1000)
    if os.environ.get("ZB_SLOW_FIRST") and x == 0:
        time.sleep(1.5)
    return x * x


def fail(message):
    raise ValueError(message)


if __name__ == "__main__":
    worker = zerobridge.TaskWorker(sys.argv[1], name=sys.argv[2])
    worker.task("square")(square)
    worker.task()(fail)
    print("Listening on " + sys.argv[1], flush=True)
    worker.run()
