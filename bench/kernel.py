"""The C# Jupyter kernel beside ipykernel, through the same jupyter_client, in one run.

    /usr/bin/python3 bench/kernel.py [--rounds N] [--cells N] [--json FILE]

Raw results go to bench/results/kernel-<UTC time>.json (bench/record.py), with the machine's load.

Installs the kernelspec "C# (ZeroBridge)" into a temporary directory on JUPYTER_PATH (`./zbridge kernel install
--prefix`, which builds the CLI first if needed) and a `python3` kernelspec for this interpreter, then measures:
  first       the first cell (`1 + 1`) after the kernel reports ready: start-up cost as a notebook user meets it
  warm        `1 + 1` again and again: execute_request to idle, including execute_result; median per round,
              C# and Python interleaved round by round so both see the same machine load
  completion  complete_request for `Console.Wri` (C#) / `print` (Python), warm: median per round
  roslyn      Roslyn alone on the same warm cell (bench/RoslynCell: compile, emit, load and run `1 + 1` with the
              kernel's references and submission rules, no sockets or messages), in its own process after the kernels
  ready       from launching the kernel to its kernel_info reply (jupyter_client's start_new_kernel); ready + first
              is what a notebook user waits for from starting a kernel to seeing a first result
Targets (issue 13): warm within 2x ipykernel, first cell < 1.5 s, completion < 100 ms warm.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

from jupyter_client.manager import start_new_kernel

import dotnet_projects
import record

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 60.0


def install_kernelspecs(prefix: Path) -> None:
    subprocess.run([str(REPO / "zbridge"), "kernel", "install", "--prefix", str(prefix)], check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL)
    python = prefix / "share" / "jupyter" / "kernels" / "python3"
    python.mkdir(parents=True, exist_ok=True)
    (python / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")


def execute(kc: Any, code: str) -> float:
    """Milliseconds from sending execute_request to the kernel's idle status for it."""
    start = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                and msg["content"]["execution_state"] == "idle":
            break
    elapsed = (time.perf_counter() - start) * 1000
    reply = shell_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok", reply["content"]
    return elapsed


def shell_reply(kc: Any, msg_id: str) -> Dict[str, Any]:
    """The shell reply to ``msg_id``, past any left over (the kernel_info replies of start-up)."""
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def complete(kc: Any, code: str) -> float:
    start = time.perf_counter()
    reply = shell_reply(kc, kc.complete(code))
    elapsed = (time.perf_counter() - start) * 1000
    assert reply["content"]["matches"], reply["content"]
    return elapsed


def roslyn_alone(cells: int) -> Dict[str, Any]:
    """bench/RoslynCell's numbers (built in Release first): Roslyn's own cost of the warm cell."""
    dll = dotnet_projects.build("RoslynCell")
    result = subprocess.run(["dotnet", str(dll), str(cells), "100"], capture_output=True, text=True, check=True,
                            timeout=600)
    return json.loads(result.stdout.strip().splitlines()[-1])


def median_of(action: Callable[[], float], count: int) -> float:
    return statistics.median(action() for _ in range(count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cells", type=int, default=50, help="cells (and completions) per round")
    parser.add_argument("--roslyn-cells", type=int, default=300, help="cells Roslyn alone compiles (after 100 to warm up)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    environment = record.environment()

    with tempfile.TemporaryDirectory(prefix="zbridge-bench-kernel-") as prefix:
        install_kernelspecs(Path(prefix))
        kernels: Dict[str, Any] = {}
        first: Dict[str, float] = {}
        ready: Dict[str, float] = {}
        try:
            for name, spec in (("C# (ZeroBridge)", "csharp-zerobridge"), ("Python (ipykernel)", "python3")):
                launched = time.perf_counter()
                km, kc = start_new_kernel(kernel_name=spec, startup_timeout=TIMEOUT)
                ready[name] = (time.perf_counter() - launched) * 1000
                kernels[name] = (km, kc)
                first[name] = execute(kc, "1 + 1")
            warm: Dict[str, List[float]] = {name: [] for name in kernels}
            completion: Dict[str, List[float]] = {name: [] for name in kernels}
            samples = {"C# (ZeroBridge)": "Console.Wri", "Python (ipykernel)": "prin"}
            for _ in range(args.rounds):
                for name, (_, kc) in kernels.items():  # interleaved: both kernels see the same load each round
                    warm[name].append(median_of(lambda: execute(kc, "1 + 1"), args.cells))
                    completion[name].append(median_of(lambda: complete(kc, samples[name]), args.cells))
        finally:
            for km, kc in kernels.values():
                kc.stop_channels()
                km.shutdown_kernel(now=False)
                if km.is_alive():
                    km.kill_kernel()

    roslyn = roslyn_alone(args.roslyn_cells)
    results = {name: {"ready_ms": round(ready[name], 1),
                      "first_cell_ms": round(first[name], 1),
                      "warm_cell_ms": round(statistics.median(warm[name]), 2),
                      "warm_cell_ms_per_round": [round(v, 2) for v in warm[name]],
                      "completion_ms": round(statistics.median(completion[name]), 2)}
               for name in kernels}
    csharp, python = results["C# (ZeroBridge)"], results["Python (ipykernel)"]
    print(f"{'kernel':<22}{'ready ms':>10}{'first cell ms':>15}{'warm 1 + 1 ms':>15}{'completion ms':>15}")
    for name, row in results.items():
        print(f"{name:<22}{row['ready_ms']:>10}{row['first_cell_ms']:>15}{row['warm_cell_ms']:>15}{row['completion_ms']:>15}")
    ratio = csharp["warm_cell_ms"] / python["warm_cell_ms"]
    print(f"\nRoslyn alone, warm 1 + 1 (compile, emit, load, run; no messages): p50 {roslyn['wall_ms_p50']} ms wall, "
          f"{roslyn['thread_cpu_ms_p50']} ms of its thread's CPU = {roslyn['wall_ms_p50'] / csharp['warm_cell_ms']:.0%} "
          f"of the C# kernel's warm cell, {roslyn['wall_ms_p50'] / python['warm_cell_ms']:.2f}x ipykernel's whole cell")
    print(f"\nwarm C# / ipykernel: {ratio:.2f}x (target <= 2x); first C# cell {csharp['first_cell_ms']} ms "
          f"(target < 1500); C# completion {csharp['completion_ms']} ms (target < 100)")
    document = {"results": results, "warm_ratio": round(ratio, 2), "roslyn_alone": roslyn, "rounds": args.rounds, "cells": args.cells,
                "environment": environment}
    record.write("kernel", document)
    if args.json:
        args.json.write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
