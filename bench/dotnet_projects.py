"""The C# programs under ``bench/`` (servers and baselines a benchmark starts), built in Release on demand."""

from __future__ import annotations

import subprocess
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def build(project: str) -> Path:
    """Builds ``bench/<project>`` in Release (a no-op when it is up to date) and returns its dll."""
    path = BENCH / project
    result = subprocess.run(["dotnet", "build", "-c", "Release", "-nologo", "-v", "q", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"build of {project} failed:\n{result.stdout[-3000:]}")
    return next(path.glob(f"bin/Release/net*/{project}.dll"))
