"""The sync and the async client offer the same calls, and attribute access never waits (no I/O)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, List, Tuple

import pytest

import zerobridge
from zerobridge._commands import CommandPath

ASYNC_ONLY = {"aclose"}


def _public(cls: type) -> List[str]:
    return sorted(n for n, v in vars(cls).items() if not n.startswith("_") and callable(v))


def _parameters(function: Any) -> List[Tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", _public(zerobridge.AsyncClient))
def test_every_async_client_method_has_sync_and_bridged_twins_with_the_same_parameters(name: str) -> None:
    method = getattr(zerobridge.AsyncClient, name)
    assert inspect.iscoroutinefunction(method) or name == "close"
    if name in ASYNC_ONLY or name == "close":
        assert hasattr(zerobridge.Client, name)
        return
    sync = getattr(zerobridge.Client, name)
    bridged = getattr(zerobridge.Client, f"a{name}")
    assert not inspect.iscoroutinefunction(sync) and inspect.iscoroutinefunction(bridged)
    assert _parameters(sync) == _parameters(method) == _parameters(bridged)


def test_both_clients_default_to_the_csharp_clients_30_s_timeout() -> None:
    for factory in (zerobridge.connect, zerobridge.Client, zerobridge.AsyncClient):
        assert inspect.signature(factory).parameters["timeout"].default == 30.0


def test_async_attribute_access_before_descriptions_is_an_unchecked_path() -> None:
    client = zerobridge.AsyncClient("tcp://127.0.0.1:9")  # nothing listens: nothing is sent
    seen: List[Any] = []

    async def call_with(command: str, args: Any, kwargs: Any) -> str:
        seen.append((command, tuple(args), dict(kwargs)))
        return "ran"

    client.call_with = call_with  # type: ignore[method-assign]
    try:
        proxy = client.orders.recent
        assert isinstance(proxy, CommandPath)
        assert asyncio.run(proxy(5, status="open")) == "ran"
        assert seen == [("orders.recent", (5,), {"status": "open"})]
        with pytest.raises(AttributeError):
            client._repr_html_  # IPython's probes never become commands
    finally:
        client.close()


def test_async_attribute_access_after_descriptions_gives_async_proxies() -> None:
    client = zerobridge.AsyncClient("tcp://127.0.0.1:9")
    try:
        client._remember_commands([{"name": "orders.recent", "parameters": [
            {"name": "n", "type": "int", "required": False, "default": 10}]}], client.call_with)
        proxy = client.orders.recent
        assert inspect.iscoroutinefunction(proxy)
        assert str(inspect.signature(proxy)) == "(n: int = 10)"
        with pytest.raises(AttributeError, match="did you mean orders"):
            client.ordrs
    finally:
        client.close()


TWINS = [
    (zerobridge.Worker, zerobridge.AsyncWorker),
    (zerobridge.TaskWorker, zerobridge.AsyncTaskWorker),
    (zerobridge.TaskProducer, zerobridge.AsyncTaskProducer),
    (zerobridge.Subscription, zerobridge.AsyncSubscription),
]


@pytest.mark.parametrize("sync,asynchronous", TWINS, ids=[a.__name__ for _, a in TWINS])
def test_async_twins_take_the_same_parameters(sync: type, asynchronous: type) -> None:
    assert _parameters(sync.__init__) == _parameters(asynchronous.__init__)
    for name in ("add", "command", "task", "run", "start", "stop", "results", "map",
                 "wait_for_workers", "receive", "poll", "rolling", "close", "__iter__", "__next__"):
        if not hasattr(sync, name):
            continue
        if name in ("__iter__", "__next__"):  # iteration: ``async for`` on the twin
            assert hasattr(asynchronous, name.replace("__", "__a", 1)), name
            continue
        assert hasattr(asynchronous, name), f"{asynchronous.__name__} lacks {name}"
        assert _parameters(getattr(sync, name)) == _parameters(getattr(asynchronous, name)), name


def test_mmi_and_ammi_take_the_same_parameters() -> None:
    assert _parameters(zerobridge.mmi) == _parameters(zerobridge.ammi)
    assert inspect.iscoroutinefunction(zerobridge.ammi)
