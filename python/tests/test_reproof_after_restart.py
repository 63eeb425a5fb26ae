"""A client with a certificate keeps working when the server it proved its key to is killed and a new
process starts on the same endpoint (docs/security.md, "When the proof runs"): the client's connection is
a new one, the new process knows nothing of the old proofs and refuses it ``unauthenticated``, and the
client proves again by itself and carries on."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import List

import pytest

import zerobridge
from support import ServerProcess
from test_client_auth import REPO, START_DEADLINE, ZBRIDGE, keys  # noqa: F401 - the shared key fixture



def _demo(keys: Path, bind: str, data: Path) -> ServerProcess:  # noqa: F811
    """``zbridge demo`` over CURVE with ``keys/allowed`` (``analyst``); ``--verbose`` logs each proof."""
    return ServerProcess([str(ZBRIDGE), "demo", "--bind", bind, "--data", str(data), "--verbose",
                          "--cert", str(keys / "server.key_secret"), "--allow-list", str(keys / "allowed")], cwd=REPO)


def _proofs(process: ServerProcess, key: str) -> List[str]:
    return [line for line in process.output if "authenticated as" in line and key in line]


def test_a_python_client_proves_again_to_a_restarted_server(keys: Path, tmp_path: Path) -> None:  # noqa: F811
    analyst_key = (keys / "analyst.key").read_text().split('public-key = "')[1][:40]
    first = _demo(keys, "tcp://127.0.0.1:*", tmp_path / "first.db")
    endpoint = first.wait_ready(START_DEADLINE)
    second = None
    try:
        with zerobridge.connect(endpoint, server_key=keys / "server.key", cert=keys / "analyst.key_secret",
                                timeout=60) as client:
            assert client.call("echo", value="before") == "before"
            assert len(_proofs(first, analyst_key)) == 1

            first._signal(signal.SIGKILL)  # no goodbye: the process is gone with everything it knew
            first.process.wait(30)
            second = _demo(keys, endpoint, tmp_path / "second.db")
            second.wait_ready(START_DEADLINE)

            assert client.call("echo", value="after") == "after"
            assert len(_proofs(second, analyst_key)) == 1, second.output  # the proof ran again, in the new process
            assert client.call("echo", value="again") == "again"
            assert len(_proofs(second, analyst_key)) == 1  # and only once per connection
        with zerobridge.connect(endpoint, server_key=keys / "server.key", timeout=30) as anonymous:
            with pytest.raises(zerobridge.Unauthenticated):
                anonymous.call("echo", value="x")
    finally:
        first.stop()
        if second is not None:
            second.stop()
