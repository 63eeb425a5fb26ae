"""W3C trace context for calls, when OpenTelemetry is installed (docs/protocol.md §2, header ``traceparent``).

With ``opentelemetry-api`` importable, each call runs in a client span named after the command and the request
header carries that span's ``traceparent``/``tracestate``, so the server's span (and a broker worker's) joins the
caller's trace. Without it, nothing is created or sent and nothing is imported beyond this check.
"""

from __future__ import annotations

import contextlib
from typing import ContextManager, Dict, Iterator

try:  # optional: the package works the same without it
    from opentelemetry import propagate as _propagate
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - depends on the environment
    _propagate = None
    _trace = None

__all__ = ["client_span", "trace_headers"]

_TRACE_KEYS = ("traceparent", "tracestate")


_NO_SPAN: ContextManager[None] = contextlib.nullcontext()


def client_span(command: str) -> ContextManager[None]:
    """Run the body in a client span for ``command`` (a no-op without OpenTelemetry, and then nearly free:
    every call enters one)."""
    return _NO_SPAN if _trace is None else _span(command)


@contextlib.contextmanager
def _span(command: str) -> Iterator[None]:
    assert _trace is not None
    tracer = _trace.get_tracer("zerobridge")
    with tracer.start_as_current_span(command, kind=_trace.SpanKind.CLIENT,
                                      attributes={"rpc.system": "zerobridge", "rpc.method": command}):
        yield


def trace_headers() -> Dict[str, str]:
    """The current trace context as request-header entries (empty without OpenTelemetry or a span)."""
    if _propagate is None:
        return {}
    carrier: Dict[str, str] = {}
    _propagate.inject(carrier)
    return {key: carrier[key] for key in _TRACE_KEYS if key in carrier}
