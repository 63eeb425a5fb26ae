"""The client as an analyst meets it: per-call options on attribute-style calls, decimals as floats,
internal commands out of sight, signatures, interrupts, remote stacks and quiet progress bars.

All against the real C# test host (the demo's commands plus test ones)."""

from __future__ import annotations

import _thread
import asyncio
import decimal
import inspect
import threading
import traceback
from pathlib import Path

import pytest

import zerobridge
from support import RECV_TIMEOUT, probe_tag
from test_notebook import execute, kernel_manager  # noqa: F401 - the fixture, shared
from test_tables import chunked_endpoint  # noqa: F401 - the fixture, shared

pd = pytest.importorskip("pandas")
pytestmark = pytest.mark.server

SHORT = 0.5
"""A per-call timeout far below how long the held command runs (until released, 30 s at most)."""


# --------------------------------------------------------------------------- per-call options


def test_attribute_calls_take_per_call_options(client):
    frame = client.orders.recent(3, timeout=RECV_TIMEOUT, as_frame=False, progress=False)
    assert isinstance(frame, dict) and len(frame["Id"]) == 3  # as_frame reached the client, not the server
    tag = probe_tag()
    with pytest.raises(zerobridge.TimeoutError):
        client.probe.hold(tag=tag, timeout=SHORT)  # the option: the command has no such parameter
    assert client.probe.cancellations(tag=tag, at_least=1) == 1  # and the server was told
    client.probe.release(tag=tag)


def test_a_parameter_of_the_command_wins_over_the_option_of_that_name(client):
    assert client.test.own_timeout(timeout=7.5) == 7.5
    assert client.test.own_timeout(2.5, retries=0) == 2.5
    # The option stays reachable through call_with.
    assert client.call_with("test.own_timeout", kwargs={"timeout": 4.0}, timeout=RECV_TIMEOUT) == 4.0
    assert "Per-call options (keywords): as_frame, decimals, progress, retries." in client.test.own_timeout.__doc__


def test_the_sync_clients_acall_bridge_takes_the_options_too(client):
    frame = asyncio.run(client.orders.recent.acall(2, as_frame=False))
    assert isinstance(frame, dict) and len(frame["Id"]) == 2


def test_async_attribute_calls_take_options_before_and_after_the_descriptions(endpoint):
    async def main():
        async with zerobridge.AsyncClient(endpoint, timeout=RECV_TIMEOUT) as client:
            # Not fetched yet: an unchecked path; an option-like keyword makes it look the command up.
            assert client.__dict__.get("_tree") is None
            assert await client.test.own_timeout(timeout=7.5) == 7.5
            tag = probe_tag()
            with pytest.raises(zerobridge.TimeoutError):
                await client.probe.hold(tag=tag, timeout=SHORT)
            await client.probe.release(tag=tag)
            frame = await client.orders.recent(2, as_frame=False)
            assert isinstance(frame, dict) and len(frame["Id"]) == 2

    asyncio.run(main())


# --------------------------------------------------------------------------- decimals


def test_decimals_as_float_per_call(client):
    assert client.typed.decimal(decimal.Decimal("1.25")) == decimal.Decimal("1.25")
    value = client.typed.decimal(decimal.Decimal("1.25"), decimals="float")
    assert type(value) is float and value == 1.25
    frame = client.orders.recent(5, decimals="float")
    assert str(frame["Total"].dtype) == "float64"
    assert str(client.orders.recent(5)["Total"].dtype) == "object"  # exact Decimals otherwise
    with pytest.raises(ValueError, match="decimals must be"):
        client.orders.recent(5, decimals="double")


def test_decimals_as_float_per_client_in_columns_lists_and_chunks(endpoint, chunked_endpoint):  # noqa: F811
    with zerobridge.connect(endpoint, timeout=RECV_TIMEOUT, decimals="float") as client:
        types = client.call("tables.types", rows=6, nulls=True)
        assert str(types["Money"].dtype) == "float64" and str(types["MaybeMoney"].dtype) == "float64"
        assert types["MaybeMoney"].isna().tolist() == [i % 3 == 1 for i in range(6)]
        order = client.orders.get(id=42)
        assert type(order["Total"]) is float
        assert str(order["Lines"]["UnitPrice"].dtype) == "float64"  # a nested table
        exact = client.call_with("orders.get", kwargs={"id": 42}, decimals="decimal")
        assert float(exact["Total"]) == order["Total"]
    with zerobridge.connect(chunked_endpoint, timeout=60, progress=False, decimals="float") as client:
        frame = client.call("tables.types", rows=20_000, nulls=True)  # many chunks
        assert str(frame["MaybeMoney"].dtype) == "float64" and int(frame["MaybeMoney"].isna().sum()) == 6667


# --------------------------------------------------------------------------- what the namespace shows


def test_internal_commands_are_hidden_from_attributes_but_callable(script_server):
    with zerobridge.connect(script_server.endpoint, timeout=RECV_TIMEOUT) as client:
        described = {d["name"]: d for d in client.commands()}
        assert described["table.next"].get("internal") is True      # marked by the server
        assert described["csharp.run"].get("internal") is True
        assert "internal" not in described["orders.recent"]
        names = dir(client)
        assert "orders" in names and "table" not in names and "csharp" not in names
        with pytest.raises(AttributeError):
            client.table  # noqa: B018
        with pytest.raises(AttributeError):
            client.csharp  # noqa: B018
        assert client.call("table.close", cursor="0" * 32) is False  # still callable by name
        assert client.call("csharp.sessions") is not None


def test_signatures_say_dataframe_where_a_table_comes_back(client):
    assert str(inspect.signature(client.orders.recent).return_annotation) == "DataFrame"
    assert str(inspect.signature(client.customers.find).return_annotation) == "DataFrame"
    assert str(inspect.signature(client.orders.get).return_annotation) != "DataFrame"


# --------------------------------------------------------------------------- interrupts and errors


def test_an_interrupted_call_is_cancelled_on_the_server_and_the_interrupt_raised(client, endpoint):
    tag = probe_tag()
    with zerobridge.connect(endpoint, timeout=RECV_TIMEOUT) as watcher:
        def interrupt_once_running() -> None:
            if watcher.probe.started(tag=tag):
                _thread.interrupt_main()  # as Ctrl+C or the notebook's stop button

        thread = threading.Thread(target=interrupt_once_running)
        thread.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.call("probe.hold", tag=tag, timeout=None)  # waits forever unless interrupted
        finally:
            thread.join(RECV_TIMEOUT)
        assert watcher.probe.cancellations(tag=tag, at_least=1) == 1
        watcher.probe.release(tag=tag)
    assert client.ping() == "pong"  # the client is usable after the interrupt


def test_the_remote_csharp_stack_is_in_the_traceback(client):
    with pytest.raises(zerobridge.RemoteError) as info:
        client.test.fail("boom")
    text = "".join(traceback.format_exception(info.value))
    assert "System.InvalidOperationException: boom" in text
    assert info.value.remote_stack.strip().splitlines()[0].strip() in text
    assert "   at " in info.value.remote_stack


# --------------------------------------------------------------------------- progress bars in Jupyter


def test_no_tqdm_warning_in_a_notebook_without_ipywidgets(chunked_endpoint, kernel_manager,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    pytest.importorskip("tqdm")
    try:
        import ipywidgets  # noqa: F401
        pytest.skip("ipywidgets is installed here: the widget bar is used, nothing to warn about")
    except ImportError:
        pass
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import os, warnings, zerobridge\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    client = zerobridge.connect(os.environ['ZEROBRIDGE_ENDPOINT'], timeout=60)\n"
        "    frame = client.call_with('tables.numbers', kwargs={'rows': 200_000}, progress=True)\n"
        "print('rows', len(frame), 'warnings', [str(w.message) for w in caught])\n"))
    path = tmp_path / "progress.ipynb"
    nbformat.write(notebook, path)
    outputs = execute(path, chunked_endpoint, kernel_manager, monkeypatch, tmp_path)
    assert "rows 200000 warnings []" in outputs
    assert "IProgress" not in outputs
