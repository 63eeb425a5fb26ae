"""ZeroBridge: call commands of a running .NET application from Python and Jupyter over ZeroMQ.

Quick start::

    import zerobridge

    with zerobridge.connect("tcp://127.0.0.1:5555") as client:
        client.ping()                       # 'pong'
        df = client.orders.recent(n=5)      # a pandas.DataFrame
        client.call("orders.get", 42)       # the same by name
        help(client.orders.recent)          # the C# description

    # in a notebook (its event loop is already running):
    results = await asyncio.gather(*(client.acall("orders.get", i) for i in range(10)))

Exceptions::

    ZeroBridgeError
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
        └── RequestTooLarge       too_large

Other codes (``bad_request``, ``command_failed``, ``cancelled``, ``internal``) raise
:class:`RemoteError` itself; check ``err.code``.

The wire protocol is described in ``docs/protocol.md``.
"""

from ._call import UNSET
from ._client import Client, connect
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
from ._tasks import TaskProducer, TaskResult, TaskStats, TaskWorker, task_worker
from ._exceptions import (
    CommandNotFound,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RemoteError,
    RemoteTimeout,
    RequestTooLarge,
    SerializationError,
    TimeoutError,
    TransportError,
    ZeroBridgeError,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncSubscription",
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
    "StreamEvent",
    "StreamMessage",
    "StreamStats",
    "StreamWarning",
    "Subscription",
    "TaskProducer",
    "TaskResult",
    "TaskStats",
    "TaskWorker",
    "TimeoutError",
    "TransportError",
    "UNSET",
    "ZeroBridgeError",
    "__version__",
    "asubscribe",
    "connect",
    "subscribe",
    "task_worker",
]
