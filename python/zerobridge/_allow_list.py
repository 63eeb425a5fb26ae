"""Allow-lists and per-key permissions on the Python side (``docs/security.md``, "Authorization"):
the same directory of public certificate files (``NAME.key``) and the same metadata as the C#
``AllowList``, for a :class:`~zerobridge.Worker` that checks the callers a broker stamps on its
requests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple, Union

__all__ = ["AllowList", "Caller", "Permissions", "matches"]


def matches(pattern: str, name: str) -> bool:
    """Whether the dotted-name ``pattern`` matches ``name`` as a whole: ``orders.*`` matches
    ``orders.get`` and ``orders.lines.add``, not ``ordersx`` nor ``orders``; a ``*`` segment
    elsewhere matches exactly one segment."""
    wanted, parts = pattern.split("."), name.split(".")
    for index, segment in enumerate(wanted):
        if index >= len(parts):
            return False
        if segment == "*":
            if index == len(wanted) - 1:
                return all(parts[index:])
            if not parts[index]:
                return False
        elif segment != parts[index]:
            return False
    return len(parts) == len(wanted)


def _patterns(value: Optional[str]) -> Tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(",") if p.strip())


@dataclass(frozen=True)
class Permissions:
    """What one key may do: dotted-name patterns for commands, broker services and stream topics,
    and whether it may run C# scripts. Anything not listed is denied."""

    commands: Tuple[str, ...] = ()
    services: Tuple[str, ...] = ()
    topics: Tuple[str, ...] = ()
    scripts: bool = False

    @classmethod
    def from_metadata(cls, metadata: Dict[str, str]) -> "Permissions":
        """The permissions in a certificate's ``metadata`` section."""
        return cls(_patterns(metadata.get("commands")), _patterns(metadata.get("services")),
                   _patterns(metadata.get("topics")),
                   (metadata.get("scripts") or "").strip().lower() == "true")

    def allows_command(self, name: str) -> bool:
        """Whether the key may call the command ``name``."""
        return any(matches(p, name) for p in self.commands)

    def allows_service(self, name: str) -> bool:
        """Whether the key may use or serve the broker service ``name``."""
        return any(matches(p, name) for p in self.services)

    def allows_topic(self, name: str) -> bool:
        """Whether the key may read the stream topic ``name``."""
        return any(matches(p, name) for p in self.topics)


@dataclass(frozen=True)
class Caller:
    """A client as a broker proved it and stamped it on a request: its public key (Z85) and the
    ``name`` of its certificate."""

    key: str
    name: Optional[str] = None


def read_certificate(path: Union[str, "os.PathLike[str]"]) -> Tuple[Optional[str], Dict[str, str]]:
    """``(public key, metadata)`` of a certificate file (ZPL: sections ``metadata`` and ``curve``)."""
    section: Optional[str] = None
    metadata: Dict[str, str] = {}
    public: Optional[str] = None
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        content = line.lstrip()
        if not content or content.startswith("#"):
            continue
        if len(content) == len(line):
            section = content
            continue
        name, equals, value = content.partition("=")
        if not equals:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
            value = value[1:-1]
        if section == "metadata":
            metadata[name.strip()] = value
        elif section == "curve" and name.strip() == "public-key":
            public = value
    return public, metadata


class AllowList:
    """The keys of the ``*.key`` files in ``directory`` with their names and permissions, re-read
    whenever a file there is added, removed or changed (checked on every lookup)."""

    def __init__(self, directory: Union[str, "os.PathLike[str]"]) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValueError(f"the allow-list directory {self.directory} does not exist")
        self._stamp: Optional[Tuple[Tuple[str, int, int], ...]] = None
        self._keys: Dict[str, Tuple[Optional[str], Permissions]] = {}

    def find(self, key: str) -> Optional[Tuple[Optional[str], Permissions]]:
        """``(name, permissions)`` of ``key`` (Z85), or ``None`` when it is not on the list."""
        return self.current()(key)

    def current(self) -> Callable[[str], Optional[Tuple[Optional[str], Permissions]]]:
        """:meth:`find` over the directory as it is now, listed once: for checking many keys at
        a time (a listener checking its proved connections again)."""
        files = sorted(self.directory.glob("*.key")) if self.directory.is_dir() else []
        stamp = tuple((f.name, *self._size_and_time(f)) for f in files)
        if stamp != self._stamp:
            keys: Dict[str, Tuple[Optional[str], Permissions]] = {}
            for file in files:
                try:
                    public, metadata = read_certificate(file)
                except (OSError, UnicodeDecodeError):
                    continue
                if public:
                    keys[public] = (metadata.get("name"), Permissions.from_metadata(metadata))
            self._keys, self._stamp = keys, stamp
        return self._keys.get  # a new dict on every change, never mutated

    def __str__(self) -> str:
        return str(self.directory)

    @staticmethod
    def _size_and_time(file: Path) -> Tuple[int, int]:
        try:
            status = file.stat()
        except OSError:
            return (-1, -1)
        return (status.st_size, status.st_mtime_ns)
