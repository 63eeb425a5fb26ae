"""ZeroBridge: call commands of a running .NET application from Python and Jupyter over ZeroMQ.

Quick start::

    import zerobridge

    with zerobridge.connect("tcp://127.0.0.1:5555") as client:
        client.ping()                       # 'pong'
        df = client.orders.recent(n=5)      # a pandas.DataFrame
        client.call("orders.get", 42)       # the same by name
        help(client.orders.recent)          # the C# description

    # in a notebook (its event loop is already running), a sync client can await too:
    results = await asyncio.gather(*(client.acall("orders.get", i) for i in range(10)))

    # asyncio code throughout: the same methods, awaited
    async with zerobridge.AsyncClient("tcp://127.0.0.1:5555") as client:
        await client.call("orders.get", 42)

Exceptions::

    ZeroBridgeError
    ├── AuthenticationError       the CURVE handshake did not complete, or the key was refused
    ├── TransportError            ZeroMQ failures; the connection is closed
    │   └── TimeoutError          no reply in time (also a builtin TimeoutError)
    ├── ProtocolError             the peer does not speak the protocol
    ├── SerializationError        a value cannot be encoded or decoded
    └── RemoteError               the server answered with an error (.code, .remote_type,
        │                         .message, .remote_stack, .details)
        ├── CommandNotFound       unknown_command (.suggestions)
        ├── InvalidArgument       invalid_argument (.parameter, .expected)
        ├── NotFound              not_found
        ├── PermissionDenied      permission_denied
        ├── RemoteTimeout         timeout: the server's deadline passed
        ├── RequestTooLarge       too_large
        ├── ServiceUnavailable    service_unavailable: a broker had no worker in time
        ├── Unauthenticated       unauthenticated: the connection proved no allowed client key
        └── WorkerLost            worker_lost: a broker lost the worker running the request

Other codes (``bad_request``, ``command_failed``, ``cancelled``, ``internal``) raise
:class:`RemoteError` itself; check ``err.code``.

The wire protocol is described in ``docs/protocol.md``.
"""

from ._call import UNSET
from ._async_client import AsyncClient
from ._allow_list import Caller
from ._caller import current_caller
from ._client import Client, connect
from ._exceptions import (
    AuthenticationError,
    CommandNotFound,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RemoteError,
    RemoteTimeout,
    RequestTooLarge,
    SerializationError,
    ServiceUnavailable,
    TimeoutError,
    Unauthenticated,
    TransportError,
    WorkerLost,
    ZeroBridgeError,
)
from ._mmi import ammi, mmi
from ._streams import (
    AsyncSubscription,
    RollingFrame,
    StreamEvent,
    StreamMessage,
    StreamStats,
    StreamWarning,
    Subscription,
    asubscribe,
    subscribe,
)
from ._tables import Table
from ._tasks import (AsyncTaskProducer, AsyncTaskWorker, TaskProducer, TaskResult, TaskStats,
                     TaskWorker, task_worker)
from ._worker import AsyncWorker, Worker

from ._version import version as _version

__version__ = _version()
"""The repository's one version (``Directory.Build.props``), as the NuGet packages and zbridge have it."""


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext zerobridge``: the ``%zerobridge`` (connect) and ``%%csharp`` magics."""
    from ._magics import load_ipython_extension as load  # IPython is imported only here

    load(ipython)

__all__ = [
    "AsyncClient",
    "AsyncSubscription",
    "AsyncTaskProducer",
    "AsyncTaskWorker",
    "AsyncWorker",
    "AuthenticationError",
    "Caller",
    "Client",
    "CommandNotFound",
    "InvalidArgument",
    "NotFound",
    "PermissionDenied",
    "ProtocolError",
    "RemoteError",
    "RemoteTimeout",
    "RequestTooLarge",
    "RollingFrame",
    "SerializationError",
    "ServiceUnavailable",
    "StreamEvent",
    "StreamMessage",
    "StreamStats",
    "StreamWarning",
    "Subscription",
    "Table",
    "TaskProducer",
    "TaskResult",
    "TaskStats",
    "TaskWorker",
    "TimeoutError",
    "TransportError",
    "UNSET",
    "Unauthenticated",
    "Worker",
    "WorkerLost",
    "ZeroBridgeError",
    "__version__",
    "ammi",
    "asubscribe",
    "connect",
    "current_caller",
    "load_ipython_extension",
    "mmi",
    "subscribe",
    "task_worker",
]
