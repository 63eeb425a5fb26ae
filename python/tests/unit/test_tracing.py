"""Trace context in the request header (no sockets)."""

from __future__ import annotations

import msgpack
import pytest

from zerobridge import _tracing
from zerobridge._protocol import build_request

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_the_header_carries_the_trace_context_it_is_given():
    frames = build_request("zerobridge", 1, "ping", None, trace={"traceparent": TRACEPARENT, "tracestate": "a=b"})
    header = msgpack.unpackb(frames[3], raw=False)
    assert header["traceparent"] == TRACEPARENT and header["tracestate"] == "a=b"


def test_without_a_trace_context_the_header_has_no_trace_keys():
    header = msgpack.unpackb(build_request("zerobridge", 1, "ping", None)[3], raw=False)
    assert "traceparent" not in header and "tracestate" not in header


@pytest.mark.skipif(_tracing._trace is not None, reason="opentelemetry is installed here")
def test_without_opentelemetry_nothing_is_sent_and_spans_are_no_ops():
    with _tracing.client_span("ping"):
        assert _tracing.trace_headers() == {}
