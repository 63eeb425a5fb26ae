"""The package installs the normal way (pip, from pyproject.toml) and ships what it declares."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import zerobridge

PROJECT = Path(__file__).resolve().parents[1]


def test_pip_installs_the_package_with_its_type_marker(tmp_path: Path) -> None:
    # Looked up, not imported: importing setuptools here would fight distutils already loaded by numpy.
    for tool in ("pip", "setuptools", "wheel"):
        if importlib.util.find_spec(tool) is None:
            pytest.fail(f"{tool} is needed to build the package (Debian: python3-{tool}); .ci/run installs it")
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-input",
         "--target", str(target), str(PROJECT)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    installed = target / "zerobridge"
    assert (installed / "py.typed").is_file()
    check = subprocess.run(
        [sys.executable, "-c", "import zerobridge, sys; print(zerobridge.__file__); print(zerobridge.__version__)"],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(target)}, cwd=tmp_path,
    )
    assert check.returncode == 0, check.stderr
    path, version = check.stdout.split()
    assert Path(path).resolve().is_relative_to(installed.resolve())
    assert version == zerobridge.__version__
    metadata = next(target.glob("zerobridge-*.dist-info")) / "METADATA"
    requires = [line for line in metadata.read_text().splitlines() if line.startswith("Requires-Dist:")]
    assert any(r.startswith("Requires-Dist: pyzmq") for r in requires)
    assert any(r.startswith("Requires-Dist: msgpack") for r in requires)
    assert any("pandas" in r and "extra ==" in r for r in requires)
