"""Broker, workers and client on three separate hosts: network namespaces joined by veth links.

    [zbc: client 10.77.2.2] --veth-- [zbb: broker 10.77.1.1 / 10.77.2.1] --veth-- [zbw: workers 10.77.1.2]

The namespaces, links and addresses are created by the test (as root) and deleted at teardown.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from broker_support import HEARTBEAT, LIVENESS, Process, REPO, start_broker, start_worker, stop_all
from netns import link, namespaces

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None,
    reason="needs root and iproute2's `ip` to create network namespaces (CI runs as root)")

PORT = 5555


@pytest.fixture
def hosts() -> Iterator[Tuple[str, str, str]]:
    """Three namespaces (broker, workers, client) with veth links; deleted afterwards."""
    tag = str(os.getpid() % 100000)
    broker, workers, client = f"zbb{tag}", f"zbw{tag}", f"zbc{tag}"
    with namespaces(broker, workers, client):
        for side, subnet, peer in ((workers, "1", f"zw{tag}"), (client, "2", f"zc{tag}")):
            link(broker, f"zb{subnet}{tag}", f"10.77.{subnet}.1/24", side, peer, f"10.77.{subnet}.2/24")
        yield broker, workers, client


def _bytes_received(namespace: str, device: str) -> int:
    out = subprocess.run(["ip", "-n", namespace, "-j", "-s", "link", "show", device],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    return int(json.loads(out)[0]["stats64"]["rx"]["bytes"])


CLIENT_SCRIPT = """
import json, sys, time
import zerobridge
endpoint = sys.argv[1]
with zerobridge.connect(endpoint, service="erp", timeout=10, retries=3) as client:
    names = [client.call("broker.whoami") for _ in range(12)]
    recent = client.orders.recent(n=2)
    status, services = zerobridge.mmi(endpoint, "mmi.services")
with zerobridge.connect(endpoint, service="py", timeout=10) as client:
    tripled = client.triple(x=14)
print(json.dumps({"names": names, "rows": len(recent), "services": services, "tripled": tripled}))
"""

PY_WORKER_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[4])
import zerobridge
worker = zerobridge.Worker(sys.argv[1], "py", heartbeat=float(sys.argv[2]), liveness=int(sys.argv[3]))
worker.add("triple", lambda x: 3 * x)
print("serving py", flush=True)
worker.run()
"""


def test_broker_workers_and_client_on_separate_hosts(hosts, tmp_path: Path):
    broker_ns, workers_ns, client_ns = hosts
    tag = broker_ns[3:]
    processes: List[Process] = []
    try:
        processes.append(start_broker(f"tcp://*:{PORT}", "--insecure", netns=broker_ns))
        for name in ("net-w1", "net-w2"):
            processes.append(start_worker(f"tcp://10.77.1.1:{PORT}", "erp", name, tmp_path, netns=workers_ns))
        env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
        py_worker = Process(["ip", "netns", "exec", workers_ns, sys.executable, "-c", PY_WORKER_SCRIPT,
                             f"tcp://10.77.1.1:{PORT}", str(HEARTBEAT), str(LIVENESS), str(REPO / "python")])
        processes.append(py_worker)
        py_worker.wait_for("serving py")
        # Only the veth links join the namespaces: the client cannot reach anything but the broker.
        result = subprocess.run(["ip", "netns", "exec", client_ns, sys.executable, "-c", CLIENT_SCRIPT,
                                 f"tcp://10.77.2.1:{PORT}"],
                                capture_output=True, text=True, timeout=120, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert sorted(set(report["names"])) == ["net-w1", "net-w2"]
        assert report["rows"] == 2 and report["tripled"] == 42
        erp = next(s for s in report["services"] if s["service"] == "erp")
        assert erp["workers"] == 2
        assert _bytes_received(broker_ns, f"zb1{tag}") > 0 and _bytes_received(broker_ns, f"zb2{tag}") > 0
    finally:
        stop_all(processes)
