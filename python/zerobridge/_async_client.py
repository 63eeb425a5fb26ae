"""The asyncio client: the same methods and parameters as :class:`~zerobridge.Client`, awaited."""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Union

import zmq

from ._base import DEFAULT_TIMEOUT, TimeoutArg
from ._call import UNSET, Unset
from ._commands import CommandPath
from ._security import CertificatePath, KeySource
from ._socket_client import SocketClient

__all__ = ["AsyncClient"]


class AsyncClient(SocketClient):
    """An asyncio connection to a ZeroBridge server; every call is awaited::

        async with zerobridge.AsyncClient("tcp://127.0.0.1:5555") as client:
            await client.ping()
            frames = await asyncio.gather(*(client.call("orders.get", i) for i in range(10)))
            await client.orders.recent(n=5)

    Parameters, timeouts, retries and errors are those of :class:`~zerobridge.Client`. Many calls
    may be in flight at once: each event loop the client is used from gets one DEALER socket,
    which the loop watches, handing each reply to its caller by request id.

    Attribute access (``client.orders.recent``) never waits for the server: before
    :meth:`commands` has been awaited it gives an unchecked command path, which raises
    :class:`~zerobridge.CommandNotFound` (with suggestions) when called with a wrong name; after
    it, the proxies with signatures and docstrings, as on the sync client. Either takes the per-call
    options as keywords (``await client.orders.recent(3, timeout=5)``), with the sync client's rule
    for a command that has a parameter of the same name (the command's wins): an unchecked path
    fetches the descriptions once to apply it, and only when such a keyword is passed.
    """

    def __init__(self, endpoint: Optional[str] = None, *, timeout: Optional[float] = DEFAULT_TIMEOUT,
                 retries: int = 0, service: Optional[str] = None,
                 context: Optional[zmq.Context] = None, as_frame: Optional[bool] = None,
                 progress: bool = True, server_key: Optional[KeySource] = None,
                 cert: Optional[CertificatePath] = None, decimals: str = "decimal") -> None:
        super().__init__(endpoint, timeout=timeout, retries=retries, service=service,
                         context=context, as_frame=as_frame, progress=progress,
                         server_key=server_key, cert=cert, decimals=decimals)

    # ------------------------------------------------------------------ calls

    async def call(self, command: str, *args: Any, timeout: TimeoutArg = UNSET,
                   retries: Union[int, Unset] = UNSET, **kwargs: Any) -> Any:
        """Run ``command`` with these arguments; see :meth:`zerobridge.Client.call`."""
        return await self.call_with(command, args, kwargs, timeout=timeout, retries=retries)

    async def call_with(self, command: str, args: Sequence[Any] = (),
                        kwargs: Optional[Mapping[str, Any]] = None, *,
                        timeout: TimeoutArg = UNSET,
                        retries: Union[int, Unset] = UNSET,
                        as_frame: Union[Optional[bool], Unset] = UNSET,
                        progress: Union[bool, Unset] = UNSET,
                        decimals: Union[str, Unset] = UNSET) -> Any:
        """Arguments as a sequence and a mapping, and per-call options; see
        :meth:`zerobridge.Client.call_with`."""
        return await self._run_async(command, args, kwargs, timeout=timeout, retries=retries,
                                     as_frame=as_frame, progress=progress, decimals=decimals)

    async def ping(self, *, timeout: TimeoutArg = UNSET) -> str:
        """Run the built-in ``ping`` command; returns ``"pong"``."""
        return await self.call("ping", timeout=timeout)

    async def commands(self, *, timeout: TimeoutArg = UNSET) -> List[Dict[str, Any]]:
        """The server's command descriptions, sorted by name; also builds the attribute proxies."""
        return self._remember_commands(await self.call("commands", timeout=timeout), self.call_with)

    async def refresh(self) -> None:
        """Fetch the command descriptions again (after the server gained or lost commands)."""
        await self.commands()

    async def run_csharp(self, code: str, *, timeout: TimeoutArg = UNSET,
                         session: Optional[str] = None, echo: bool = True) -> Any:
        """Compile and run C# inside the application; see :meth:`zerobridge.Client.run_csharp`."""
        reply = await self.call_with("csharp.run", **self._script_call(code, timeout, session))
        return self._script_done(reply, echo)

    async def reset_csharp(self, session: Optional[str] = None) -> bool:
        """Forget a script session's variables (by default this client's); whether it existed."""
        return bool(await self.call("csharp.reset", session=session or self.csharp_session))

    # ------------------------------------------------------------------ lifetime

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ commands as attributes

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails; never a round trip (see the class docstring).
        if name.startswith("_"):
            raise AttributeError(name)
        tree = self.__dict__.get("_tree")
        if tree is None:
            return CommandPath(self.call_with, name, self._parameters_of)
        try:
            return getattr(tree.root, name)
        except AttributeError:
            raise self._attribute_error(name, tree) from None

    async def _parameters_of(self, command: str) -> Optional[FrozenSet[str]]:
        """A command's parameter names, from the descriptions (fetched once when not yet)."""
        if self._tree is None:
            await self.commands()
        assert self._tree is not None
        return self._tree.parameters(command)

    def __dir__(self) -> Iterable[str]:
        names = set(super().__dir__())
        tree = self.__dict__.get("_tree")
        if tree is not None:
            names.update(tree.names())
        return sorted(names)
