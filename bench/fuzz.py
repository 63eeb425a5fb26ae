#!/usr/bin/env python3
"""The adversarial suite's long run (issue 12): at least 10,000 generated malformed messages per endpoint type
against real processes (test host: command server + JSON gateway + publisher snapshots; broker with a C# worker,
client and worker sides; `zbridge submit` as task producer). Prints messages, replies by kind and RSS
start/peak/end per endpoint; exits 1 on any process exit, hang, unanswered request or memory that stays.
A message that broke something is saved under bench/results/fuzz-crashes/.

    /usr/bin/python3 bench/fuzz.py [--messages 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "python" / "tests")]

import zmq  # noqa: E402

from fuzzing import attack_surface, reports_table, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000, help="messages per endpoint (default 10000)")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    context = zmq.Context()
    reports = []
    with tempfile.TemporaryDirectory() as tmp, attack_surface(Path(tmp)) as targets:
        for target in targets:
            reports.append(run(target, options.messages, options.seed, context,
                               ROOT / "bench" / "results" / "fuzz-crashes", batch=200))
            print(reports[-1].line(), flush=True)
    context.term()
    print(reports_table(reports))
    return 1 if any(report.failures for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
