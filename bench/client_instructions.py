#!/usr/bin/python3
"""Machine instructions the calling process executes per ``call("echo", value=42)``, counted by valgrind's callgrind:
unlike CPU time, the count does not move with the machine's load, so one change to the Python client can be
measured on a busy machine. Each thread is counted apart (the Python thread, libzmq's I/O thread); the figure is
the difference between runs of 2,500 and 500 measured calls (each after client_cost.py's warm-up, which grows with
them: 2,800 and 800 calls in all), divided by 2,000, so start-up and imports cancel out.

    ./zbridge demo --bind tcp://127.0.0.1:5555 &
    /usr/bin/python3 bench/client_instructions.py tcp://127.0.0.1:5555 call python      # this checkout's client
    /usr/bin/python3 bench/client_instructions.py tcp://127.0.0.1:5555 pyzmq python     # a hand-written DEALER

The third argument is the directory holding the ``zerobridge`` package (``python`` here; for another commit,
``git archive REF python/zerobridge | tar -x -C DIR`` and pass ``DIR/python``). Needs valgrind.
"""

from __future__ import annotations

import glob
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Dict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from client_cost import MEASURE  # noqa: E402 - the same calls as client_cost.py measures in CPU time


def count(endpoint: str, kind: str, calls: int, package: str, directory: str) -> Dict[int, int]:
    """Instructions per thread (by callgrind's thread number) of one run."""
    subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes", f"--callgrind-out-file={directory}/{calls}.%p",
                    sys.executable, "-c", MEASURE, package, endpoint, kind, str(calls)],
                   check=True, capture_output=True, timeout=1800)
    totals: Dict[int, int] = defaultdict(int)
    for path in glob.glob(f"{directory}/{calls}.*"):
        thread = re.search(r"-(\d+)$", path)
        with open(path) as lines:
            for line in lines:
                if line.startswith(("summary:", "totals:")):
                    totals[int(thread.group(1)) if thread else 1] += int(line.split()[1])
                    break
    return totals


def main() -> int:
    if len(sys.argv) != 4 or sys.argv[2] not in ("call", "pyzmq"):
        print(__doc__, file=sys.stderr)
        return 2
    endpoint, kind, package = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="zb-instructions-") as directory:
        few, many = count(endpoint, kind, 500, package, directory), count(endpoint, kind, 2500, package, directory)
    for thread in sorted(set(few) | set(many)):
        per_call = (many.get(thread, 0) - few.get(thread, 0)) / 2000
        if per_call > 100:
            print(f"{kind} ({package}), thread {thread}: {per_call:,.0f} instructions per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
