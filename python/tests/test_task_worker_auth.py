"""Task workers that prove their keys (docs/protocol.md §12.4): ``zbridge submit --allow-list`` (the
C# producer) gives tasks only to workers that proved a key on its allow-list. The C# CLI worker
(``zbridge task-worker --cert``) and Python ``TaskWorker(cert=...)`` prove; an unknown key and a
worker without a certificate get nothing, and the tasks still complete on the allowed worker."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path

import pytest
import zmq.auth

import zerobridge
from support import ServerProcess
from test_submit_cli import BUILD_DEADLINE, REPO, ZBRIDGE, Submit



def _square(x: int) -> int:
    return x * x


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``producer``, ``alice`` and ``stranger`` key pairs (pyzmq's), and ``allowed/`` with alice's public key."""
    directory = tmp_path_factory.mktemp("task-keys")
    for name in ("producer", "alice", "stranger"):
        zmq.auth.create_certificates(str(directory), name)
    (directory / "allowed").mkdir()
    shutil.copy(directory / "alice.key", directory / "allowed" / "alice.key")
    return directory


def test_only_a_worker_that_proved_an_allowed_key_gets_tasks(keys: Path) -> None:
    submit = Submit("square", "{i}", "--count", "6", "--workers", "1", "--wait", str(BUILD_DEADLINE),
                    "--cert", str(keys / "producer.key_secret"), "--allow-list", str(keys / "allowed"))
    endpoint = submit.endpoint()
    server_key = keys / "producer.key"
    stranger = zerobridge.AsyncTaskWorker(endpoint, {"square": _square}, name="py-stranger", heartbeat=0.1,
                                          server_key=server_key, cert=keys / "stranger.key_secret")
    anonymous = zerobridge.TaskWorker(endpoint, {"square": _square}, name="py-anonymous", server_key=server_key)
    alice = ServerProcess([str(ZBRIDGE), "task-worker", endpoint, "--server-key", str(server_key),
                           "--cert", str(keys / "alice.key_secret")], cwd=REPO)

    async def main() -> int:
        serving = asyncio.ensure_future(stranger.run())
        try:
            # Without a certificate there is no key to prove: the worker says so instead of idling.
            with pytest.raises(zerobridge.Unauthenticated, match="allow-list"):
                await asyncio.to_thread(anonymous.run, duration=BUILD_DEADLINE)
            return await asyncio.to_thread(submit.finish)
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving

    try:
        assert asyncio.run(main()) == 0, submit.stderr.decode()
    finally:
        submit.kill()
        alice.stop()
    results = submit.results()
    assert sorted(result["value"] for result in results) == [0, 1, 4, 9, 16, 25]
    workers = {result["worker"] for result in results}
    assert len(workers) == 1 and workers.pop().startswith("dotnet-"), results  # all on alice's zbridge task-worker
    assert stranger.completed == 0 and anonymous.completed == 0
