"""The package's version: the repository's one version, ``<Version>`` in ``Directory.Build.props``.

Run from a checkout it is read from that file; installed, from the package's metadata (which the build
took from the same file, see ``setup.py``). This module imports nothing of the package, so the build
runs it on its own.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["VERSION_FILE", "version", "version_in"]

VERSION_FILE = "Directory.Build.props"

_VERSION = re.compile(r"<Version>\s*([^<\s]+)\s*</Version>")


def version_in(props: Path) -> str:
    """The ``<Version>`` of an MSBuild props file; ``ValueError`` when it has none."""
    found = _VERSION.search(props.read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{props} has no <Version> element")
    return found.group(1)


def version() -> str:
    """This package's version (``"0+unknown"`` when neither source is there)."""
    checkout = Path(__file__).resolve().parents[2] / VERSION_FILE
    if checkout.is_file():
        return version_in(checkout)
    from importlib import metadata  # noqa: PLC0415 - only when installed

    try:
        return metadata.version("zerobridge")
    except metadata.PackageNotFoundError:
        return "0+unknown"
