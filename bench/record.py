"""Where a benchmark's raw results go: ``bench/results/<name>-<UTC time>.json`` (committed beside the README, so
every published figure can be traced to its run) and ``<name>-latest.json`` (ignored by git), each with the
machine, the versions, the CPU placement and the load the machine had while it ran."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

RESULTS = Path(__file__).resolve().parent / "results"
LABEL_VARIABLE = "ZEROBRIDGE_BENCH_LABEL"
"""A label for the run's document (``"loaded"``: taken while other work shared the machine), from the environment."""


def _dotnet_version() -> str:
    try:
        return subprocess.run(["dotnet", "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def environment() -> Dict[str, Any]:
    """Machine, versions, this process's CPU affinity (children inherit it: ``taskset`` pins the whole run)
    and the load average when called."""
    import msgpack
    import zmq

    sys.path.insert(0, str(RESULTS.parent.parent / "python"))
    import zerobridge

    return {
        "python": sys.version.split()[0],
        "pyzmq": zmq.__version__,
        "libzmq": zmq.zmq_version(),
        "msgpack": ".".join(map(str, msgpack.version)),
        "zerobridge": zerobridge.__version__,
        "dotnet": _dotnet_version(),
        "platform": platform.platform(),
        "cpu_model": _cpu_model(),
        "cpus": os.cpu_count(),
        "affinity": sorted(os.sched_getaffinity(0)),
        "loadavg_at_start": list(os.getloadavg()),
    }


def write(name: str, document: Dict[str, Any]) -> Path:
    """Writes the run's document (with ``environment()`` taken at its start and the load at its end) and
    returns the dated path."""
    now = _dt.datetime.now(_dt.timezone.utc)
    document = {"benchmark": name, "finished": now.isoformat(timespec="seconds"), **document}
    if os.environ.get(LABEL_VARIABLE):
        document["label"] = os.environ[LABEL_VARIABLE]
    document.setdefault("environment", {})["loadavg_at_end"] = list(os.getloadavg())
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, default=str) + "\n"
    dated = RESULTS / f"{name}-{now.strftime('%Y-%m-%dT%H%MZ')}.json"
    dated.write_text(text, encoding="utf-8")
    (RESULTS / f"{name}-latest.json").write_text(text, encoding="utf-8")
    print(f"Results written to {dated}", file=sys.stderr)
    return dated
