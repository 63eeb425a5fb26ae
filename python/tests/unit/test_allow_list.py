"""Allow-lists and permissions on the Python side, without sockets: the same dotted-name globs and
certificate metadata as the C# AllowList (docs/security.md, "Authorization")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zerobridge._allow_list import AllowList, Permissions, matches


@pytest.mark.parametrize("pattern, name, expected", [
    ("orders.*", "orders.get", True),
    ("orders.*", "orders.lines.add", True),
    ("orders.*", "ordersx", False),
    ("orders.*", "orders", False),
    ("orders.*", "ordersx.get", False),
    ("*", "anything.at.all", True),
    ("sql.query", "sql.query", True),
    ("sql.query", "sql.query2", False),
    ("*.get", "orders.get", True),
    ("*.get", "orders.lines.get", False),
])
def test_patterns_match_whole_dotted_names(pattern: str, name: str, expected: bool) -> None:
    assert matches(pattern, name) is expected


def test_permissions_come_from_certificate_metadata() -> None:
    permissions = Permissions.from_metadata({"commands": "orders.*, sql.query", "services": "erp",
                                             "scripts": "true"})
    assert permissions.allows_command("orders.get") and permissions.allows_command("sql.query")
    assert not permissions.allows_command("customers.get")
    assert permissions.allows_service("erp") and not permissions.allows_service("hr")
    assert not permissions.allows_topic("prices.x") and permissions.scripts
    assert not Permissions().allows_command("ping")  # nothing listed: nothing allowed


def _write(directory: Path, name: str, key: str, commands: str) -> Path:
    path = directory / f"{name}.key"
    path.write_text(f'metadata\n    name = "{name}"\n    commands = "{commands}"\ncurve\n    public-key = "{key}"\n')
    return path


def test_the_directory_is_read_again_when_a_file_is_added_changed_or_removed(tmp_path: Path) -> None:
    allow = AllowList(tmp_path)
    assert allow.find("A" * 40) is None

    path = _write(tmp_path, "alice", "A" * 40, "orders.*")
    name, permissions = allow.find("A" * 40)  # type: ignore[misc]
    assert name == "alice" and permissions.allows_command("orders.get")

    _write(tmp_path, "alice", "A" * 40, "sql.*, customers.*")
    os.utime(path, ns=(1, 1))  # a different time even on a coarse clock
    assert allow.find("A" * 40)[1].allows_command("sql.query")  # type: ignore[index]

    path.unlink()
    assert allow.find("A" * 40) is None
