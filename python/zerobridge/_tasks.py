"""Task distribution (protocol.md §12): a producer hands tasks to a pool of workers that pull them with credits.

The producer binds a ROUTER; every worker connects a DEALER, announces how many tasks it takes at once
(its credit) and gets no more than that: a slow worker is never handed a queue to hoard. Results come back on
the same connection and each returns one credit. Workers send heartbeats; a worker not heard for
``worker_timeout`` is given up and its tasks go to another worker. Results are de-duplicated by task id, so
each task's result reaches the caller exactly once.

Producer::

    with zerobridge.TaskProducer("tcp://127.0.0.1:5560") as producer:
        squares = producer.map("square", range(1000))       # tqdm progress bar

Worker (any number of processes, any machine)::

    worker = zerobridge.TaskWorker("tcp://127.0.0.1:5560")

    @worker.task("square")
    def square(x):
        return x * x

    worker.run()        # until Ctrl+C

asyncio code uses :class:`AsyncTaskProducer` and :class:`AsyncTaskWorker`: the same names and
parameters, awaited (``await producer.map(...)``, ``async for result in producer.results(...)``).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import logging
import math
import os
import socket as _socket
import threading
import time
from typing import (Any, AsyncIterator, Callable, Deque, Dict, Iterable, Iterator, List, Mapping,
                    Optional, Set, Tuple, Union)

import msgpack
import zmq

from ._allow_list import AllowList
from ._codec import Decoder, Encoder
from ._connection_authentication import ConnectionAuthentication
from ._dispatch import Dispatcher, Outcome
from ._exceptions import (ProtocolError, RemoteError, SerializationError, TimeoutError,
                          Unauthenticated, remote_error_from_map, translate_zmq_errors)
from ._listener_security import CurveServer, plaintext_refusal
from ._peer_disconnects import PeerDisconnects
from ._protocol import UNPACK_ERRORS, ErrorCode, error_map
from ._proving import prove_on
from ._router_proof import answer_proof, is_proof_request
from ._security import CertificatePath, CurveClient, HandshakeWatch, KeySource
from ._task_batch import BATCH, encode_batch, item_outcomes, run_batch
from ._threads import serve_in_daemon_thread

__all__ = ["AsyncTaskProducer", "AsyncTaskWorker", "TaskProducer", "TaskResult", "TaskStats",
           "TaskWorker", "task_worker"]

SIGNATURE = b"ZBTASK01"
UNAUTHENTICATED = "unauthenticated"
"""The producer's notice to a connection that has not proved an allowed key (protocol.md §12.4)."""
_SLICE = 0.1
_REFUSALS_REMEMBERED = 4096  # unproved connections whose first notice was logged; a disconnect forgets one, this bounds the rest
_LISTENER = "This task producer"
# Plain ints: pyzmq's enum arithmetic and attribute sugar cost more than a small send or receive.
_SNDMORE = int(zmq.SNDMORE)
_NOBLOCK = int(zmq.NOBLOCK)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)
_log = logging.getLogger("zerobridge.tasks")


def _header(**fields: Any) -> bytes:
    return msgpack.packb({"v": 1, **fields}, use_bin_type=True)


def _parse(frames: List[bytes]) -> Dict[str, Any]:
    if len(frames) < 2 or frames[0] != SIGNATURE:
        raise ProtocolError("not a task-protocol message")
    try:
        header = msgpack.unpackb(frames[1], raw=False, strict_map_key=False)
    except UNPACK_ERRORS as exc:
        raise ProtocolError(f"undecodable task header: {exc}") from exc
    if not isinstance(header, dict) or header.get("v") != 1 or not isinstance(header.get("type"), str):
        raise ProtocolError(f"not a version 1 task header: {header!r}")
    return header


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """The outcome of one task: ``value`` when ``ok``, else ``error`` (a :class:`RemoteError`)."""

    id: int
    index: int
    kind: str
    ok: bool
    value: Any = None
    error: Optional[RemoteError] = None
    attempts: int = 1
    worker: str = ""

    def get(self) -> Any:
        """The value, or raise the task's error."""
        if not self.ok:
            assert self.error is not None
            raise self.error
        return self.value


@dataclasses.dataclass
class TaskStats:
    """Counters of a producer: ``resent`` tasks (their worker was lost), ``duplicates`` results dropped."""

    submitted: int = 0
    completed: int = 0
    failed: int = 0
    resent: int = 0
    duplicates: int = 0
    workers_lost: int = 0


@dataclasses.dataclass
class _Worker:
    identity: bytes
    name: str
    credit: int
    last_heard: float
    running: Set[int] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class _Task:
    id: int
    index: int  # the position of its (first) item in the job
    kind: str
    frames: List[Any]
    batch: int = 0  # 0: one item; N: a batch of the N items from ``index`` on (protocol.md §12.5)
    attempts: int = 0
    worker: Optional[bytes] = None
    sent_at: float = 0.0


class _Producer:
    """What :class:`TaskProducer` and :class:`AsyncTaskProducer` share: the arguments, the ROUTER
    socket and the credit scheduler (workers, credits, queue, re-sends, de-duplication)."""

    def __init__(self, bind: str = "tcp://127.0.0.1:5560", *, worker_timeout: float = 5.0,
                 task_timeout: Optional[float] = None, max_attempts: int = 3,
                 context: Optional[zmq.Context] = None, cert: Optional[CertificatePath] = None,
                 insecure: bool = False,
                 allow_list: Union[str, "os.PathLike[str]", None] = None,
                 handshake_timeout: Optional[float] = 30.0) -> None:
        if handshake_timeout is not None and not (handshake_timeout > 0 and math.isfinite(handshake_timeout)):
            raise ValueError(f"handshake_timeout must be a positive, finite number of seconds, or None for no limit (it is {handshake_timeout!r})")
        curve = CurveServer.configure(cert)
        refusal = plaintext_refusal("task producer", bind, curve is not None, insecure)
        if refusal is not None:
            raise ValueError(refusal)
        self._authentication: Optional[ConnectionAuthentication] = None
        if allow_list is not None:
            if curve is None:
                raise ValueError("allow_list= needs cert= too: workers prove their keys to the producer's key pair")
            self._authentication = ConnectionAuthentication(curve, AllowList(allow_list), "task producer", _log)
        self._refusals_logged: "collections.OrderedDict[bytes, None]" = collections.OrderedDict()
        self.worker_timeout = worker_timeout
        self.task_timeout = task_timeout
        self.max_attempts = max_attempts
        self.stats = TaskStats()
        self._context = context or zmq.Context.instance()
        self._socket = self._context.socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self._socket.setsockopt(zmq.MAXMSGSIZE, 1 << 30)
        # libzmq's own handshake limit (0: none), stated rather than left to its default: a connection that never
        # finishes the ZeroMQ handshake is closed, as the C# components do (ConnectionLimits.HandshakeTimeout).
        self._socket.setsockopt(zmq.HANDSHAKE_IVL, 0 if handshake_timeout is None else max(1, round(handshake_timeout * 1000)))
        if curve is not None:
            curve.apply(self._socket)
        with translate_zmq_errors(bind):
            self._socket.bind(bind)
        self.endpoint = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        # With an allow-list, a proof is forgotten (and its worker dropped) as soon as its connection goes.
        self._disconnects = PeerDisconnects(self._socket) if self._authentication is not None else None
        _log.info("task producer waiting for workers on %s (%s)", self.endpoint,
                  "plain text" if curve is None else
                  f"CURVE, server key {curve.public_key.decode('ascii')}" if self._authentication is None else
                  f"CURVE, server key {curve.public_key.decode('ascii')}, workers proved against the "
                  f"allow-list {self._authentication.allow_list}")
        self._poller = zmq.Poller()  # kept: Socket.poll builds a Poller on every call
        self._poller.register(self._socket, zmq.POLLIN)
        self._workers: Dict[bytes, _Worker] = {}
        self._ready: Deque[bytes] = collections.deque()  # workers with credit, least recently served first
        self._queue: Deque[int] = collections.deque()
        self._tasks: Dict[int, _Task] = {}
        self._done: Set[int] = set()
        self._next_id = 1
        self._closed = False
        self._step_lock = threading.Lock()  # the async producer steps on worker threads, one at a time

    @property
    def workers(self) -> List[str]:
        """The names of the workers connected now."""
        return [w.name for w in self._workers.values()]

    def close(self) -> None:
        """Close the socket (idempotent); tasks still running are forgotten."""
        with self._step_lock:
            if not self._closed:
                self._closed = True
                if self._disconnects is not None:
                    self._disconnects.close()
                self._socket.close(linger=0)

    def _workers_missing(self, count: int, deadline: Optional[float], timeout: Optional[float]) -> bool:
        """Whether fewer than ``count`` workers are connected; raises once ``deadline`` passed."""
        if len(self._workers) >= count:
            return False
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"{len(self._workers)} of {count} worker(s) connected after {timeout} s",
                               endpoint=self.endpoint, seconds=timeout)
        return True

    def _locked_step(self, deadline: Optional[float]) -> List[TaskResult]:
        with self._step_lock:
            return self._step(deadline)

    # -- internals

    def _submit(self, kind: str, items: Iterable[Any], chunksize: int = 1) -> Tuple[Set[int], int]:
        """Queue one task per item, or per ``chunksize`` items as batches; the task ids, and how many items."""
        if chunksize < 1:
            raise ValueError("chunksize must be at least 1")
        ids: Set[int] = set()
        submitted = 0
        for index, chunk in _chunks(items, chunksize):
            if chunksize == 1:
                encoder = Encoder()
                frames = [encoder.pack([[chunk], {}]), *encoder.attachments]
            else:
                frames = encode_batch(chunk)
            task_id = self._next_id
            self._next_id += 1
            self._tasks[task_id] = _Task(task_id, index, kind, frames, len(chunk) if chunksize > 1 else 0)
            self._queue.append(task_id)
            ids.add(task_id)
            submitted += len(chunk) if chunksize > 1 else 1
        self.stats.submitted += submitted
        return ids, submitted

    def _forget(self, task_id: int) -> None:
        task = self._tasks.pop(task_id, None)
        self._done.add(task_id)
        if task is not None and task.worker in self._workers:
            self._workers[task.worker].running.discard(task_id)

    def _step(self, deadline: Optional[float]) -> List[TaskResult]:
        """Dispatch, wait a slice for messages, check liveness; the results that completed."""
        results: List[TaskResult] = []
        self._revoke(results)
        self._drop_disconnected(results)  # right before sending: nothing goes to a newcomer under an old id
        self._dispatch(results)
        wait = _SLICE if deadline is None else max(0.0, min(_SLICE, deadline - time.monotonic()))
        with translate_zmq_errors(self.endpoint):
            if self._poller.poll(int(wait * 1000)):
                for frames in self._received():
                    self._handle(frames, results)
        self._check_liveness(results)
        return results

    def _handle(self, frames: List[bytes], results: List[TaskResult]) -> None:
        identity, body = frames[0], frames[1:]
        if is_proof_request(body):
            reply = answer_proof(self._authentication, identity, body, _LISTENER)
            if reply is not None:
                self._send_to(identity, reply)
            return
        try:
            header = _parse(body)
        except ProtocolError:
            return  # not a worker of this protocol: ignored
        if self._authentication is not None and not self._proved(identity, header):
            return
        now = time.monotonic()
        worker = self._workers.get(identity)
        kind = header["type"]
        if kind == "bye":
            if worker is not None:
                self._lose(worker, results, reason="left")
            return
        if worker is None:
            credit = header.get("credit")
            if not isinstance(credit, int) or credit < 0:
                credit = 0
            worker = _Worker(identity, str(header.get("name") or identity.hex()), 0, now)
            self._workers[identity] = worker
            self._grant(worker, credit)
        worker.last_heard = now
        if kind == "ready" and isinstance(header.get("credit"), int) and worker.credit == 0 \
                and not worker.running:
            self._grant(worker, header["credit"])
        elif kind == "result":
            task_id = header.get("id")
            self._grant(worker, 1)
            if isinstance(task_id, int):
                worker.running.discard(task_id)
                self._complete(task_id, header, body[2:], worker, results)

    def _proved(self, identity: bytes, header: Dict[str, Any]) -> bool:
        """Whether the connection proved an allowed key. One that has not is no worker: its
        ``ready`` and heartbeats get the ``unauthenticated`` notice (which makes a worker with a
        certificate prove, also after the producer restarted), nothing else of it is heard, and
        it never gets a task (protocol.md §12.4)."""
        assert self._authentication is not None
        if self._authentication.identity_of(identity) is not None:
            return True
        if header["type"] not in ("ready", "hb"):
            return False
        if identity not in self._refusals_logged:
            self._refusals_logged[identity] = None
            while len(self._refusals_logged) > _REFUSALS_REMEMBERED:
                self._refusals_logged.popitem(last=False)
            _log.warning("task producer: worker %s (connection %s) has not proved a key on the allow-list %s; "
                         "it gets no task", header.get("name") or "(unnamed)", identity.hex(),
                         self._authentication.allow_list)
        self._send_to(identity, [SIGNATURE, _header(
            type=UNAUTHENTICATED, message="This task producer gives tasks only to workers that proved a key on "
                                          "its allow-list: prove with auth.hello and auth.prove, then send ready.")])
        return False

    def _received(self) -> Iterator[List[bytes]]:
        """The messages queued now, noting which connection each came from when disconnects are watched."""
        if self._disconnects is None:
            yield from _queued(self._socket)
            return
        while True:
            frames = self._socket.recv_multipart(_NOBLOCK, copy=False)
            self._disconnects.heard(frames[0].bytes, frames[1] if len(frames) > 1 else None)
            yield [frame.bytes for frame in frames]
            if not self._socket.getsockopt(_EVENTS) & _POLLIN:
                return

    def _drop_disconnected(self, results: List[TaskResult]) -> None:
        """Forget the proofs of connections that went, and drop their workers (tasks re-sent)."""
        if self._disconnects is None or self._authentication is None:
            return
        for identity in self._disconnects.gone():
            self._authentication.forget(identity)
            self._refusals_logged.pop(identity, None)
            worker = self._workers.get(identity)
            if worker is not None:
                self._lose(worker, results, reason="disconnected")

    def _revoke(self, results: List[TaskResult]) -> None:
        """Drop at once the workers whose key left the allow-list (checked once a second); their
        tasks go to other workers."""
        if self._authentication is None:
            return
        for identity in self._authentication.revoked():
            worker = self._workers.get(identity)
            if worker is not None:
                self._lose(worker, results, reason="left the allow-list")

    def _send_to(self, identity: bytes, frames: List[bytes]) -> None:
        """Send to one connection; a peer that has gone (or cannot take more now) is not an error."""
        try:
            self._socket.send_multipart([identity, *frames], zmq.NOBLOCK)
        except zmq.ZMQError:
            pass

    def _grant(self, worker: _Worker, credit: int) -> None:
        if credit <= 0:
            return
        if worker.credit == 0:
            self._ready.append(worker.identity)
        worker.credit += credit

    def _complete(self, task_id: int, header: Dict[str, Any], payload: List[bytes], worker: _Worker,
                  results: List[TaskResult]) -> None:
        if task_id in self._done or task_id not in self._tasks:
            self.stats.duplicates += 1
            return
        task = self._tasks.pop(task_id)
        self._done.add(task_id)
        ok = bool(header.get("ok"))
        try:
            if task.batch:
                outcomes = item_outcomes(task.batch, ok, payload, header.get(BATCH))
            else:
                outcomes = [(ok, Decoder(payload[1:]).unpack(payload[0]) if payload else None)]
        except SerializationError as exc:
            outcomes = [(False, error_map(ErrorCode.BAD_REQUEST,
                                          f"the task's result could not be decoded: {exc}"))] * max(1, task.batch)
        for offset, (item_ok, value) in enumerate(outcomes):
            self._deliver(task, offset, item_ok, value, worker.name, results)

    def _deliver(self, task: _Task, offset: int, ok: bool, value: Any, worker: str,
                 results: List[TaskResult]) -> None:
        """One item's result: ``value``, or the error map ``value`` when not ``ok``."""
        if ok:
            self.stats.completed += 1
            results.append(TaskResult(task.id, task.index + offset, task.kind, True, value,
                                      attempts=task.attempts, worker=worker))
        else:
            self.stats.failed += 1
            results.append(TaskResult(task.id, task.index + offset, task.kind, False,
                                      error=remote_error_from_map(value), attempts=task.attempts, worker=worker))

    def _dispatch(self, results: List[TaskResult]) -> None:
        while self._queue and self._ready:
            identity = self._ready.popleft()
            worker = self._workers.get(identity)
            if worker is None or worker.credit <= 0:
                continue
            task_id = self._queue.popleft()
            task = self._tasks.get(task_id)
            if task is None:
                self._ready.appendleft(identity)
                continue
            task.attempts += 1
            task.worker = identity
            task.sent_at = time.monotonic()
            fields = {"type": "task", "id": task.id, "kind": task.kind, "attempt": task.attempts}
            if task.batch:
                fields[BATCH] = task.batch
            try:
                _send(self._socket, [identity, SIGNATURE, _header(**fields), *task.frames])
            except zmq.ZMQError:  # the worker is gone (ROUTER_MANDATORY): requeue, forget the worker
                task.attempts -= 1
                self._queue.appendleft(task_id)
                self._lose(worker, results, reason="unreachable")
                continue
            worker.running.add(task_id)
            worker.credit -= 1
            if worker.credit > 0:
                self._ready.append(identity)

    def _check_liveness(self, results: List[TaskResult]) -> None:
        now = time.monotonic()
        for worker in list(self._workers.values()):
            if now - worker.last_heard > self.worker_timeout:
                self._lose(worker, results, reason=f"not heard for {self.worker_timeout:g} s")
        if self.task_timeout is not None:
            for task in list(self._tasks.values()):
                if task.worker is not None and task.id not in self._queue \
                        and now - task.sent_at > self.task_timeout:
                    self._retry(task, results)

    def _lose(self, worker: _Worker, results: List[TaskResult], reason: str) -> None:
        self._workers.pop(worker.identity, None)
        if self._authentication is not None:
            self._authentication.forget(worker.identity)  # if the connection is still there, it proves again
        _log.info("task producer: worker %s lost (%s)", worker.name, reason)
        self.stats.workers_lost += 1
        for task_id in sorted(worker.running):
            task = self._tasks.get(task_id)
            if task is not None:
                self._retry(task, results, reason=f"worker {worker.name} {reason}")
        worker.running.clear()

    def _retry(self, task: _Task, results: List[TaskResult], reason: str = "timed out") -> None:
        task.worker = None
        if task.attempts >= self.max_attempts:
            self._tasks.pop(task.id, None)
            self._done.add(task.id)
            lost = error_map(ErrorCode.WORKER_LOST, f"task {task.id} ({task.kind}) was sent {task.attempts} "
                                                    f"time(s) and never answered (last: {reason})")
            for offset in range(max(1, task.batch)):
                self._deliver(task, offset, False, lost, "", results)
            return
        self.stats.resent += 1
        self._queue.appendleft(task.id)


class _Job:
    """The bookkeeping of one ``results`` call: the tasks still pending, the progress bar, the
    deadline. Each result is handed out once; abandoned tasks are forgotten on :meth:`close`."""

    def __init__(self, producer: _Producer, kind: str, items: Iterable[Any], progress: bool,
                 timeout: Optional[float], chunksize: int = 1) -> None:
        self.producer = producer
        self.kind = kind
        self.timeout = timeout
        self.pending, count = producer._submit(kind, items, chunksize)
        self.bar = _progress_bar(count, kind) if progress else None
        self.deadline = None if timeout is None else time.monotonic() + timeout

    @property
    def finished(self) -> bool:
        """Whether every task's result was handed out."""
        return not self.pending

    def take(self, results: List[TaskResult]) -> List[TaskResult]:
        """The results among ``results`` that belong to this job."""
        mine = [r for r in results if r.id in self.pending]  # a batch's items share its id
        for result in mine:
            self.pending.discard(result.id)
            if self.bar is not None:
                self.bar.update(1)
        return mine

    def check_deadline(self) -> None:
        """Raise :class:`zerobridge.TimeoutError` once the job's timeout passed unfinished."""
        if self.deadline is not None and time.monotonic() >= self.deadline and self.pending:
            raise TimeoutError(f"{len(self.pending)} task(s) of {self.kind!r} unfinished after "
                               f"{self.timeout} s ({len(self.producer._workers)} worker(s) connected)",
                               endpoint=self.producer.endpoint, command=self.kind, seconds=self.timeout)

    def close(self) -> None:
        """Close the bar and forget the tasks nobody waits for any more (late results are dropped)."""
        if self.bar is not None:
            self.bar.close()
        for task_id in self.pending:
            self.producer._forget(task_id)


class _Values:
    """``map``'s list of values in the items' order, and the first failure by index."""

    def __init__(self, count: int) -> None:
        self.values: List[Any] = [None] * count
        self.failures: List[TaskResult] = []

    def add(self, result: TaskResult) -> None:
        """Put one result in its place."""
        self.values[result.index] = result.value if result.ok else result.error
        if not result.ok:
            self.failures.append(result)

    def get(self, return_exceptions: bool) -> List[Any]:
        """The values; raises the first failed task's error unless ``return_exceptions``."""
        if self.failures and not return_exceptions:
            first = min(self.failures, key=lambda r: r.index)
            assert first.error is not None
            raise first.error
        return self.values


class TaskProducer(_Producer):
    """Hands tasks to workers and collects their results (protocol.md §12).

    Args:
        bind: the endpoint to bind (port ``*`` for a free one; :attr:`endpoint` tells which).
        worker_timeout: seconds without a heartbeat or result after which a worker counts as lost
            and its tasks are sent to another (default 5).
        task_timeout: seconds after which a task still unanswered is sent again to another worker even
            though its worker is alive (default None: only lost workers' tasks are re-sent).
        max_attempts: how many times a task is sent before it fails with code ``worker_lost`` (default 3).
        cert: CurveZMQ: the producer's key pair, a ``NAME.key_secret`` file; workers then need its
            public key (``server_key=``). Default: plain text.
        insecure: allow plain text on an endpoint other machines can reach (default: such a ``bind``
            without ``cert`` raises ``ValueError``). Only for networks where every host is trusted.
        allow_list: a directory of public certificates (``NAME.key`` files, as for :class:`Worker`):
            tasks go only to workers that proved one of these keys on their connection
            (``auth.hello``/``auth.prove``, protocol.md §12.4; ``TaskWorker(cert=...)`` does).
            Others get the ``unauthenticated`` notice and no task, logged with their key. The
            directory is read again when it changes: a key added is let in at its next proof, a
            key removed loses its workers within a second (their tasks go to others). Needs ``cert``.
        handshake_timeout: seconds a new connection has to finish the ZeroMQ handshake before it is closed
            (default 30, libzmq's ``ZMQ_HANDSHAKE_IVL``; None: no limit). What a worker is sent stays
            bounded by its credit, so the producer needs no limit on reading (docs/architecture.md).
    """

    def wait_for_workers(self, count: int = 1, timeout: Optional[float] = 10.0) -> List[str]:
        """Wait until ``count`` workers are connected; their names. Raises :class:`zerobridge.TimeoutError`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._workers_missing(count, deadline, timeout):
            self._step(deadline)
        return self.workers

    def results(self, kind: str, items: Iterable[Any], *, progress: bool = False,
                timeout: Optional[float] = None, chunksize: int = 1) -> Iterator[TaskResult]:
        """Submit one task of ``kind`` per item (the item is its one argument) and yield results as they complete.

        Each task's result is yielded exactly once, whatever happens to workers. ``timeout`` bounds the
        whole job (:class:`zerobridge.TimeoutError`). ``progress`` shows a tqdm bar.

        ``chunksize`` (as ``multiprocessing.Pool``'s): send the items in batches of this many, one
        message each, that a worker runs item by item (protocol.md §12.5). Each item still gets its
        own result (error included), but a batch goes to one worker and comes back whole, and is
        re-sent whole if its worker is lost. Worth it for tasks of well under a millisecond; workers
        of this library from this version on understand batches, older ones fail them with
        ``bad_request``.
        """
        job = _Job(self, kind, items, progress, timeout, chunksize)
        try:
            while not job.finished:
                yield from job.take(self._step(job.deadline))
                job.check_deadline()
        finally:
            job.close()

    def map(self, kind: str, items: Iterable[Any], *, progress: bool = True,
            timeout: Optional[float] = None, return_exceptions: bool = False,
            chunksize: int = 1) -> List[Any]:
        """Run one task per item and return their values in the items' order.

        The first failed task raises its error (after all have finished), unless ``return_exceptions``,
        which puts the errors in the list instead. ``chunksize``: see :meth:`results`.
        """
        items = list(items)
        values = _Values(len(items))
        for result in self.results(kind, items, progress=progress, timeout=timeout, chunksize=chunksize):
            values.add(result)
        return values.get(return_exceptions)

    def __enter__(self) -> "TaskProducer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncTaskProducer(_Producer):
    """The asyncio :class:`TaskProducer`: the same arguments and methods, awaited
    (``results`` is an async iterator). The scheduler's steps run on a worker thread, one at a
    time, so the event loop never blocks."""

    async def wait_for_workers(self, count: int = 1, timeout: Optional[float] = 10.0) -> List[str]:
        """Wait until ``count`` workers are connected; their names. Raises :class:`zerobridge.TimeoutError`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._workers_missing(count, deadline, timeout):
            await asyncio.to_thread(self._locked_step, deadline)
        return self.workers

    async def results(self, kind: str, items: Iterable[Any], *, progress: bool = False,
                      timeout: Optional[float] = None, chunksize: int = 1) -> AsyncIterator[TaskResult]:
        """Submit one task of ``kind`` per item and yield results as they complete (see
        :meth:`TaskProducer.results`)."""
        job = _Job(self, kind, items, progress, timeout, chunksize)
        try:
            while not job.finished:
                for result in job.take(await asyncio.to_thread(self._locked_step, job.deadline)):
                    yield result
                job.check_deadline()
        finally:
            job.close()

    async def map(self, kind: str, items: Iterable[Any], *, progress: bool = True,
                  timeout: Optional[float] = None, return_exceptions: bool = False,
                  chunksize: int = 1) -> List[Any]:
        """Run one task per item; their values in the items' order (see :meth:`TaskProducer.map`)."""
        items = list(items)
        values = _Values(len(items))
        async for result in self.results(kind, items, progress=progress, timeout=timeout, chunksize=chunksize):
            values.add(result)
        return values.get(return_exceptions)

    async def __aenter__(self) -> "AsyncTaskProducer":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()


def _chunks(items: Iterable[Any], size: int) -> Iterator[Tuple[int, Any]]:
    """``(index of the first item, item)`` for ``size`` 1, else ``(index, list of up to size items)``."""
    if size == 1:
        yield from enumerate(items)
        return
    chunk: List[Any] = []
    start = 0
    for index, item in enumerate(items):
        if not chunk:
            start = index
        chunk.append(item)
        if len(chunk) == size:
            yield start, chunk
            chunk = []
    if chunk:
        yield start, chunk


def _progress_bar(total: int, kind: str) -> Any:
    try:
        from tqdm.auto import tqdm  # noqa: PLC0415 - optional
    except ImportError:
        return None
    return tqdm(total=total, desc=kind, unit="task")


class _PoolWorker:
    """What :class:`TaskWorker` and :class:`AsyncTaskWorker` share: the arguments, registration and
    the socket loop."""

    def __init__(self, endpoint: str, tasks: Optional[Mapping[str, Callable[..., Any]]] = None, *,
                 name: Optional[str] = None, concurrency: int = 1, prefetch: int = 0,
                 non_blocking: Iterable[str] = (), heartbeat: float = 1.0,
                 context: Optional[zmq.Context] = None, server_key: Optional[KeySource] = None,
                 cert: Optional[CertificatePath] = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if prefetch < 0:
            raise ValueError("prefetch must be at least 0")
        self._curve = CurveClient.configure(server_key, cert)
        self._proves = cert is not None  # a worker with a certificate proves its key (protocol.md §12.4)
        self.endpoint = endpoint
        self.name = name or f"python-{_socket.gethostname()}-{os.getpid()}"
        self.concurrency = concurrency
        self.prefetch = prefetch
        self.heartbeat = heartbeat
        self.completed = 0
        self._stop = threading.Event()
        self._loop: Optional[asyncio.AbstractEventLoop] = None  # AsyncTaskWorker: where coroutines run
        self._dispatcher = Dispatcher()
        for kind, function in (tasks or {}).items():
            self._dispatcher.add(kind, function)
        self._non_blocking: Set[str] = set(non_blocking)
        self._context = context or zmq.Context.instance()

    @property
    def _credit(self) -> int:
        """The credit announced: tasks running on the threads plus tasks waiting their turn here."""
        return self.concurrency + self.prefetch

    def task(self, kind: Optional[str] = None, *, non_blocking: bool = False,
             ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register a function as the handler of ``kind`` (default: its name).

        ``non_blocking=True`` declares that it returns at once (no I/O, no waiting, microseconds of
        work): it then runs on the worker's socket thread as soon as it arrives, without the hand-off to
        a pool thread and back. A function that may take long must not be declared so: while it runs
        the worker sends no heartbeat and takes no task."""
        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            name = kind or fn.__name__
            self._dispatcher.add(name, fn)
            if non_blocking:
                self._non_blocking.add(name)
            else:
                self._non_blocking.discard(name)
            return fn
        return register

    def _serve(self, max_tasks: Optional[int], duration: Optional[float]) -> None:
        """The socket loop: until stopped, ``max_tasks`` results or ``duration`` s; then goodbye."""
        sock = self._context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 1000)
        if self._curve is not None:
            self._curve.apply(sock)
        handshake = HandshakeWatch(sock, self.endpoint, encrypted=self._curve is not None)
        sock.connect(self.endpoint)
        pool = concurrent.futures.ThreadPoolExecutor(self.concurrency, thread_name_prefix="zerobridge-task")
        running: Dict[concurrent.futures.Future, Dict[str, Any]] = {}
        end = None if duration is None else time.monotonic() + duration
        next_beat = 0.0
        wake_read, wake_write = os.pipe()  # a finished task wakes the poll below at once
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        poller.register(wake_read, zmq.POLLIN)
        proof = _Proof(sock, self.endpoint, self.name, self._curve if self._proves else None,
                       self.heartbeat)
        try:
            if proof.start():
                self._ready(sock, len(running))
            while (max_tasks is None or self.completed < max_tasks) and not self._stop.is_set():
                now = time.monotonic()
                if end is not None and now >= end:
                    break
                if now >= next_beat:
                    sock.send_multipart([SIGNATURE, _header(type="hb", name=self.name,
                                                            credit=self._credit - len(running))])
                    next_beat = now + self.heartbeat
                events = dict(poller.poll(int(max(0.0, min(_SLICE, next_beat - now)) * 1000)))
                if not events:
                    handshake.check()  # a wrong key never gets a task: say so instead of waiting forever
                if wake_read in events:
                    os.read(wake_read, 4096)
                if sock in events:
                    for frames in _queued(sock):
                        self._take(sock, frames, proof, pool, running, wake_write)
                for future in [f for f in running if f.done()]:
                    self._answer(sock, running.pop(future), future.result())
        except KeyboardInterrupt:
            pass
        finally:
            try:
                sock.send_multipart([SIGNATURE, _header(type="bye", name=self.name)], zmq.NOBLOCK)
            except zmq.ZMQError:
                pass
            pool.shutdown(wait=False, cancel_futures=True)
            handshake.close()
            sock.close(linger=200)
            os.close(wake_read)
            os.close(wake_write)

    def _take(self, sock: zmq.Socket, frames: List[bytes], proof: "_Proof",
              pool: concurrent.futures.ThreadPoolExecutor, running: Dict[concurrent.futures.Future, Dict[str, Any]],
              wake_write: int) -> None:
        """One message from the producer: a notice, or a task run here (non-blocking kinds) or on the pool."""
        if _is_notice(frames):
            if proof.notified():
                self._ready(sock, len(running))
            return
        header = _task_header(frames)
        if header is None:
            return
        if header.get("kind") in self._non_blocking:
            self._answer(sock, header, self._execute(header, frames[2:]))
            return
        future = pool.submit(self._execute, header, frames[2:])
        running[future] = header
        future.add_done_callback(lambda _f: _wake(wake_write))

    def _ready(self, sock: zmq.Socket, running: int) -> None:
        """``ready`` with the credit free now (all of it at the start; less after a re-proof)."""
        sock.send_multipart([SIGNATURE, _header(type="ready", credit=self._credit - running,
                                                name=self.name)])

    def _execute(self, header: Dict[str, Any], body: List[bytes]) -> Outcome:
        """One task's (or batch's, protocol.md §12.5) outcome; never raises."""
        kind = header.get("kind")
        kind = kind if isinstance(kind, str) else ""
        if BATCH in header:
            return run_batch(self._dispatcher, kind, header[BATCH], body, self._loop)
        return self._dispatcher.run(kind, body, self._loop)

    def _answer(self, sock: zmq.Socket, header: Dict[str, Any], outcome: Outcome) -> None:
        """Send a task's ``result`` (a batch's carries ``batch`` when it ran item by item)."""
        fields: Dict[str, Any] = {"type": "result", "id": header.get("id"), "ok": outcome.ok}
        if BATCH in header and outcome.ok:
            fields[BATCH] = header[BATCH]
        _send(sock, [SIGNATURE, _header(**fields), *outcome.body])
        self.completed += 1

    def stop(self) -> None:
        """Make :meth:`run` return (from another thread, or another task): at the worker's next
        heartbeat at the latest, after saying goodbye to the producer, which re-sends the tasks it
        was running (as at Ctrl+C)."""
        self._stop.set()


class TaskWorker(_PoolWorker):
    """Runs tasks for a :class:`TaskProducer` (or a C# producer): register functions by kind, then :meth:`run`.

    A task's arguments are ``[positional, keyword]`` (§12.3); the function is called as ``fn(*positional,
    **keyword)`` on one of ``concurrency`` threads while the socket keeps sending heartbeats. Its return
    value is the result; failures become error results with the codes a :class:`Worker` uses
    (``command_failed``, ``unknown_command``, ``invalid_argument``, ``bad_request``; see
    ``zerobridge._dispatch``): a task never goes unanswered.

    ``prefetch`` (default 0): how many tasks beyond ``concurrency`` the worker takes ahead, so the
    next task is already here when one finishes instead of a round trip to the producer later (Celery's
    prefetch multiplier). Worth 1 or 2 for tasks of well under a millisecond; a worker then holds up to
    ``concurrency + prefetch`` tasks, so a slow one keeps that many from the others: leave it at 0 for
    long tasks. ``non_blocking`` names kinds that return at once and run on the socket thread (see
    :meth:`task`). Batches (``producer.map(..., chunksize=N)``) run item by item on one thread.

    A producer that uses CURVE needs ``server_key=`` (its ``NAME.key`` file, or the Z85 key), and
    ``cert=`` (this worker's ``NAME.key_secret``) when the worker should have a known key. With
    ``cert=`` the worker proves its key before ``ready`` (``auth.hello``, ``auth.prove``), and
    again whenever the producer says the connection has not proved one (a new connection, e.g.
    after the producer restarted): a producer with an allow-list gives tasks only to proved keys.
    """

    def run(self, *, max_tasks: Optional[int] = None, duration: Optional[float] = None) -> None:
        """Serve until Ctrl+C (or ``max_tasks`` results, or ``duration`` seconds); then say goodbye.

        Raises :class:`zerobridge.AuthenticationError` when the handshake with the producer fails (a
        wrong ``server_key``, or CURVE on one side only), and :class:`zerobridge.Unauthenticated`
        when the producer has an allow-list and the worker no ``cert=`` to prove a key with. A key
        the producer refuses is logged and proved again later (the allow-list may change)."""
        self._serve(max_tasks, duration)


class AsyncTaskWorker(_PoolWorker):
    """The asyncio :class:`TaskWorker`: the same arguments and registration, ``await worker.run()``.

    Coroutine functions run on the event loop that runs the worker; plain functions on the
    worker's threads. Cancelling :meth:`run` says goodbye to the producer and re-raises.
    """

    async def run(self, *, max_tasks: Optional[int] = None, duration: Optional[float] = None) -> None:
        """Serve until cancelled (or ``max_tasks`` results, or ``duration`` seconds)."""
        self._loop = asyncio.get_running_loop()
        self._stop.clear()
        await serve_in_daemon_thread(lambda: self._serve(max_tasks, duration), self._stop,
                                     f"zerobridge task worker {self.name}")


class _Proof:
    """A task worker's proof of its key on its connection (protocol.md §12.4), run on the worker's
    socket loop: at the start, and again on the producer's ``unauthenticated`` notice. A refused
    key waits five heartbeats before it is proved again; notices meanwhile are ignored."""

    def __init__(self, sock: zmq.Socket, endpoint: str, name: str, curve: Optional[CurveClient],
                 heartbeat: float) -> None:
        """``curve``: the worker's keys when it has a certificate to prove, else ``None``."""
        self._sock = sock
        self._endpoint = endpoint
        self._name = name
        self._curve = curve
        self._patience = 5 * heartbeat
        self._retry_at = 0.0

    def start(self) -> bool:
        """At the start: whether the worker may send ``ready`` now (proved, nothing to prove, or
        no certificate: a producer without an allow-list needs none)."""
        return self._curve is None or self._run()

    def notified(self) -> bool:
        """The producer's ``unauthenticated`` notice: prove again (unless refused a moment ago);
        whether the worker may send ``ready``.

        Raises:
            Unauthenticated: the worker has no certificate to prove a key with.
        """
        if self._curve is None:
            raise Unauthenticated(
                f"the task producer at {self._endpoint} gives tasks only to workers whose key is on "
                "its allow-list: give this worker its certificate (cert=NAME.key_secret)",
                code=UNAUTHENTICATED)
        return time.monotonic() >= self._retry_at and self._run()

    def _run(self) -> bool:
        assert self._curve is not None
        try:
            prove_on(self._sock, self._endpoint, self._curve, self._patience, other=_is_task_message)
        except RemoteError as error:
            self._retry_at = time.monotonic() + self._patience  # the allow-list may change: later
            _log.error("task worker %s: the producer at %s refused this worker's key %s: %s",
                       self._name, self._endpoint, self._curve.public_key.decode("ascii"), error)
            return False
        except TimeoutError:
            return False  # the producer's next notice starts again
        return True


def _queued(sock: zmq.Socket) -> Iterator[List[bytes]]:
    """The messages queued on ``sock`` now (at least one is), without an exception at their end."""
    while True:
        yield sock.recv_multipart(_NOBLOCK)
        if not sock.getsockopt(_EVENTS) & _POLLIN:
            return


def _task_header(frames: List[bytes]) -> Optional[Dict[str, Any]]:
    """The header of a ``task`` message; ``None`` for anything else (ignored)."""
    try:
        header = _parse(frames)
    except ProtocolError:
        return None
    return header if header["type"] == "task" else None


def _send(sock: zmq.Socket, frames: List[Any]) -> None:
    """``send_multipart`` without its per-frame checks and enum flags (the frames are our own)."""
    last = len(frames) - 1
    for index, frame in enumerate(frames):
        sock.send(frame, _SNDMORE if index < last else 0, copy=False)


def _is_task_message(frames: List[bytes]) -> bool:
    return bool(frames) and frames[0] == SIGNATURE


def _is_notice(frames: List[bytes]) -> bool:
    """Whether ``frames`` is the producer's ``unauthenticated`` notice."""
    try:
        return _parse(frames)["type"] == UNAUTHENTICATED
    except ProtocolError:
        return False


def _wake(fd: int) -> None:
    try:
        os.write(fd, b".")
    except OSError:  # the worker has stopped and closed its pipe
        pass


def task_worker(endpoint: str, tasks: Mapping[str, Callable[..., Any]], **options: Any) -> None:
    """Serve ``tasks`` (kind -> function) for the producer at ``endpoint`` until Ctrl+C: a worker in one line."""
    TaskWorker(endpoint, tasks, **options).run()
