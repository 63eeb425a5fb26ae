"""Running C# inside the application (the ``csharp.*`` commands): arguments in, output out, no I/O.

The clients' ``run_csharp`` call ``csharp.run`` with :func:`script_arguments` and :func:`client_wait`,
then hand the reply to :func:`script_result`.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from ._call import Unset

__all__ = ["COMPILE_MARGIN", "SERVER_DEFAULT_TIMEOUT", "client_wait", "new_session_name",
           "script_arguments", "script_result"]

COMPILE_MARGIN = 10.0
"""Seconds the client waits beyond the script's own timeout: compiling, and the server's hard-stop grace."""

SERVER_DEFAULT_TIMEOUT = 30.0
"""The server's default script timeout (ScriptingOptions.Timeout), used to size the client's wait."""


def new_session_name() -> str:
    """A session name of its own for each client, so two notebooks never share script state."""
    return f"py-{uuid.uuid4().hex[:12]}"


def script_arguments(code: str, session: str, timeout: Union[float, None, Unset]) -> Dict[str, Any]:
    """The ``csharp.run`` keyword arguments for one run."""
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


def script_result(reply: Mapping[str, Any], echo: bool) -> Tuple[Any, str]:
    """``(value, console output)`` of a run; the output is printed first when ``echo``."""
    output = str(reply.get("output") or "")
    if echo and output:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return reply.get("value"), output
