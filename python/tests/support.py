"""Helpers shared by the tests (imported as a plain module: tests/ is on sys.path)."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket as socketlib
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

import msgpack
import pytest
import zmq

RECV_TIMEOUT = 10.0
SIGNATURE = b"MDPC01"
STOP_DEADLINE = 10.0
_LISTENING = re.compile(r"Listening on (tcp://[^\s]+)")


def recv_multipart(socket: zmq.Socket, timeout: float = RECV_TIMEOUT) -> List[bytes]:
    """Receive one message or fail the test after ``timeout`` seconds."""
    if not socket.poll(int(timeout * 1000), zmq.POLLIN):
        pytest.fail(f"no message within {timeout} s")
    return socket.recv_multipart(flags=zmq.NOBLOCK)


@contextlib.contextmanager
def unlistened_endpoint() -> Iterator[str]:
    """An endpoint where nothing listens, reserved for the block: a TCP socket holds the port (bound by the
    system, never listening), so a connect is refused and no other process can take the port meanwhile."""
    with socketlib.socket(socketlib.AF_INET, socketlib.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"tcp://127.0.0.1:{holder.getsockname()[1]}"


def probe_tag() -> str:
    """A name no other test uses, for the test host's probe.* commands."""
    return f"probe-{uuid.uuid4().hex}"


def mdp_request(header: Dict[str, Any], args: Any = None, *, attachments: Tuple[bytes, ...] = (),
                service: bytes = b"zerobridge", delimiter: bool = True) -> List[bytes]:
    """Frames of a bridge request built by hand (independent of the client's code)."""
    frames = [b""] if delimiter else []
    frames += [SIGNATURE, service, msgpack.packb(header, use_bin_type=True)]
    if args is not None:
        frames.append(msgpack.packb(args, use_bin_type=True))
    frames += list(attachments)
    return frames


def mdp_reply(frames: List[bytes]) -> Tuple[Dict[str, Any], Any]:
    """(header, payload) of a bridge reply received by a DEALER that sent the delimiter."""
    assert frames[0] == b"", frames[:2]
    assert frames[1] == SIGNATURE, frames[:2]
    header = msgpack.unpackb(frames[3], raw=False, strict_map_key=False)
    payload = msgpack.unpackb(frames[4], raw=False, strict_map_key=False) if len(frames) > 4 \
        else None
    return header, payload


def expected_blob(size: int) -> bytes:
    """What test.blob(size) returns: byte i is i % 251."""
    return (bytes(range(251)) * (size // 251 + 1))[:size]


def raw_ping(socket: zmq.Socket, request_id: Optional[int] = 4242) -> None:
    """The server still answers: a hand-built ping on ``socket`` gets "pong"."""
    socket.send_multipart(mdp_request({"v": 1, "id": request_id, "cmd": "ping"}))
    header, payload = mdp_reply(recv_multipart(socket))
    assert header["id"] == request_id and header["ok"] is True and payload == "pong"


class ServerProcess:
    """A server process (the C# test host, `zbridge demo`, a benchmark's baseline) in its own process
    group, and what it printed. ``cpus`` pins it (and every thread it starts) before it runs; ``env`` replaces
    the environment it inherits."""

    def __init__(self, args: List[str], cwd: Optional[Path] = None, cpus: Optional[Set[int]] = None,
                 env: Optional[Dict[str, str]] = None) -> None:
        self.args = args
        self.output: List[str] = []
        self.endpoint = ""
        self._lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.process = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, encoding="utf-8", errors="replace", bufsize=1, start_new_session=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        self._pump = threading.Thread(target=self._read, daemon=True)
        self._pump.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            self._lines.put(line)
        self._lines.put(None)

    def _next_line(self, wanted: Callable[[str], bool], deadline: float) -> Optional[str]:
        """The next line not yet taken for which ``wanted`` holds, waiting for each as it is printed; None when
        none comes within ``deadline`` seconds or the process ends."""
        end = time.monotonic() + deadline
        while (remaining := end - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                return None
            if line is None:
                return None
            if wanted(line):
                return line.rstrip("\n")
        return None

    def wait_ready(self, deadline: float) -> str:
        """The endpoint from the "Listening on" line, or fail with the output so far."""
        line = self._next_line(lambda text: _LISTENING.search(text) is not None, deadline)
        if line is not None:
            match = _LISTENING.search(line)
            assert match is not None
            self.endpoint = match.group(1).rstrip(".,;")
            return self.endpoint
        self.stop()
        raise RuntimeError(f"{Path(self.args[0]).name} {' '.join(self.args[1:2])} did not print 'Listening on "
                           f"tcp://...' within {deadline} s (exit code {self.process.poll()}); output:\n"
                           + "\n".join(self.output[-50:]))

    def wait_for_line(self, needle: str, deadline: float) -> str:
        """The first line printed after "Listening on" that contains ``needle``, waiting for it line by line;
        fails with the output so far when none comes within ``deadline`` seconds."""
        line = self._next_line(lambda text: needle in text, deadline)
        if line is None:
            raise AssertionError(f"no line with {needle!r} within {deadline} s; output:\n" + "\n".join(self.output[-50:]))
        return line

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within the deadline."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(STOP_DEADLINE)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
