"""Demo commands, errors and introspection against the real C# test host."""

from __future__ import annotations

import inspect
import pydoc

import pandas as pd
import pytest

import zerobridge


def test_ping_and_commands(client):
    assert client.ping() == "pong"
    names = [c["name"] for c in client.commands()]
    assert names == sorted(names)
    assert {"ping", "commands", "echo", "orders.recent", "test.sleep"} <= set(names)


def test_orders_recent_is_a_dataframe_with_dtypes(client):
    frame = client.orders.recent(n=5)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 5
    assert {"Id", "CustomerId", "CustomerName", "OrderedAt", "Total", "Status"} <= set(frame)
    assert pd.api.types.is_integer_dtype(frame["Id"])
    assert pd.api.types.is_datetime64_any_dtype(frame["OrderedAt"])
    assert str(frame["Status"].dtype) == "category"
    assert frame["Total"].map(type).eq(__import__("decimal").Decimal).all()
    assert len(client.call("orders.recent")) == 10  # the default


def test_orders_get_and_not_found(client):
    first = int(client.orders.recent(n=1)["Id"][0])
    order = client.orders.get(first)
    assert isinstance(order, dict) and order["Id"] == first
    with pytest.raises(zerobridge.NotFound) as info:
        client.call("orders.get", -12345)
    assert info.value.code == "not_found"


def test_customers_and_sql(client):
    assert isinstance(client.customers.find(name="a"), pd.DataFrame)
    assert isinstance(client.sql.query("SELECT 1 AS one"), pd.DataFrame)
    with pytest.raises(zerobridge.PermissionDenied) as info:
        client.sql.query("DELETE FROM orders")
    assert info.value.code == "permission_denied"
    assert len(client.orders.recent(n=1)) == 1  # nothing was deleted


def test_unknown_command_names_it_and_suggests(client):
    with pytest.raises(zerobridge.CommandNotFound) as info:
        client.call("orders.recnt")
    error = info.value
    assert error.code == "unknown_command" and error.command == "orders.recnt"
    assert "orders.recnt" in str(error)
    assert error.suggestions[0] == "orders.recent" and "orders.recent" in str(error)


def test_missing_argument_names_the_parameter(client):
    with pytest.raises(zerobridge.InvalidArgument) as info:
        client.call("orders.get")
    assert info.value.parameter == "id" and "id" in str(info.value)


def test_wrong_type_names_the_parameter_and_expected_type(client):
    with pytest.raises(zerobridge.InvalidArgument) as info:
        client.call("orders.get", "abc")
    assert info.value.parameter == "id" and info.value.expected == "int"
    with pytest.raises(zerobridge.InvalidArgument):
        client.call("typed.uint8", 256)  # does not fit
    with pytest.raises(zerobridge.InvalidArgument):
        client.call("orders.get", 1, id=1)  # bound twice
    with pytest.raises(zerobridge.InvalidArgument):
        client.call("orders.recent", bogus=1)  # unknown keyword


def test_handler_exception_arrives_with_type_message_and_stack(client):
    with pytest.raises(zerobridge.RemoteError) as info:
        client.call("test.fail", "boom ✓")
    error = info.value
    assert error.code == "command_failed"
    assert error.remote_type == "System.InvalidOperationException"
    assert error.message == "boom ✓"
    assert str(error).startswith("System.InvalidOperationException: boom ✓")
    assert error.remote_stack and error.remote_stack.strip()
    if hasattr(error, "__notes__"):
        assert error.remote_stack.strip() in error.__notes__[0]


def test_oversized_request_is_refused_and_server_keeps_serving(small_server):
    with zerobridge.connect(small_server.endpoint, timeout=10) as client:
        with pytest.raises(zerobridge.RequestTooLarge) as info:
            client.call("test.length", b"x" * 2_000_000)
        assert info.value.code == "too_large"
        assert info.value.details.get("limit") == 1048576
        assert info.value.details.get("size", 0) > 1048576
        assert client.ping() == "pong"
        assert client.call("test.length", b"x" * 500_000) == 500_000


def test_signature_docstring_dir_and_help(client):
    description = next(c for c in client.commands() if c["name"] == "orders.recent")
    recent = client.orders.recent
    signature = inspect.signature(recent)
    assert signature.parameters["n"].default == 10
    assert signature.parameters["n"].annotation == "int"
    assert recent.__name__ == "recent"
    assert description["description"] and description["description"] in recent.__doc__
    assert {"orders", "typed", "types", "test", "echo", "call", "ping"} <= set(dir(client))
    assert {"recent", "get"} <= set(dir(client.orders))
    text = pydoc.render_doc(recent, renderer=pydoc.plaintext)
    assert description["description"] in text and "n: int = 10" in text


def test_unknown_attributes_do_not_call_the_server_every_time(client, monkeypatch):
    client.orders  # loads the command list once
    calls = []
    original = client._perform
    monkeypatch.setattr(client, "_perform", lambda attempt: calls.append(attempt) or original(attempt))
    for _ in range(3):
        with pytest.raises(AttributeError, match="ordrs"):
            client.ordrs
        with pytest.raises(AttributeError):
            client.orders.nope
    assert not hasattr(client, "_repr_html_")
    assert calls == []
    client.refresh()
    assert len(calls) == 1


def test_proxy_acall(client):
    import asyncio
    assert asyncio.run(client.echo.acall([1, 2])) == [1, 2]
