"""Running C# inside the application: ``Client.run_csharp`` (the ``csharp.*`` commands)."""

from __future__ import annotations

import sys
import uuid
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from ._call import UNSET, Unset

if TYPE_CHECKING:  # pragma: no cover
    from ._client import Client

COMPILE_MARGIN = 10.0
"""Seconds the client waits beyond the script's own timeout: compiling, and the server's hard-stop grace."""

SERVER_DEFAULT_TIMEOUT = 30.0
"""The server's default script timeout (ScriptingOptions.Timeout), used to size the client's wait."""


def new_session_name() -> str:
    """A session name of its own for each client, so two notebooks never share script state."""
    return f"py-{uuid.uuid4().hex[:12]}"


def script_arguments(code: str, session: str, timeout: Union[float, None, Unset]) -> Dict[str, Any]:
    """The ``csharp.run`` arguments and the client-side wait for one run."""
    kwargs: Dict[str, Any] = {"code": code, "session": session}
    if isinstance(timeout, (int, float)):
        kwargs["timeout"] = float(timeout)
    return kwargs


def client_wait(timeout: Union[float, None, Unset]) -> Optional[float]:
    """How long the client waits for a run's reply: the script's timeout plus a margin."""
    if timeout is None:
        return None
    script = float(timeout) if isinstance(timeout, (int, float)) else SERVER_DEFAULT_TIMEOUT
    return script + COMPILE_MARGIN


def unpack(reply: Dict[str, Any], client: "Client", echo: bool) -> Any:
    """Keep and (optionally) print a run's console output; return its value."""
    output = reply.get("output") or ""
    client.last_csharp_output = output
    if echo and output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return reply.get("value")


def run(client: "Client", code: str, *, timeout: Union[float, None, Unset] = UNSET,
        session: Optional[str] = None, echo: bool = True) -> Any:
    """See :meth:`zerobridge.Client.run_csharp`."""
    kwargs = script_arguments(code, session or client.csharp_session, timeout)
    reply = client.call_with("csharp.run", kwargs=kwargs, timeout=client_wait(timeout))
    return unpack(reply, client, echo)


async def arun(client: "Client", code: str, *, timeout: Union[float, None, Unset] = UNSET,
               session: Optional[str] = None, echo: bool = True) -> Any:
    """See :meth:`zerobridge.Client.arun_csharp`."""
    kwargs = script_arguments(code, session or client.csharp_session, timeout)
    reply = await client.acall_with("csharp.run", kwargs=kwargs, timeout=client_wait(timeout))
    return unpack(reply, client, echo)
