"""IPython extension: ``%load_ext zerobridge``, then ``%zerobridge ENDPOINT`` and ``%%csharp`` cells."""

from __future__ import annotations

from typing import Any, Optional

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._client import Client, connect
from ._exceptions import RemoteError


@magics_class
class ZeroBridgeMagics(Magics):
    """``%zerobridge`` connects to a server; ``%%csharp`` runs the cell as C# inside the application."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.client: Optional[Client] = None

    @magic_arguments()
    @argument("endpoint", nargs="?", default="tcp://127.0.0.1:5555", help="the server (default tcp://127.0.0.1:5555)")
    @argument("--name", default="zb", help="also put the client in the namespace under this name (default zb)")
    @argument("--timeout", type=float, default=30.0, help="default call timeout in seconds")
    @argument("--server-key", dest="server_key", metavar="FILE",
              help="CURVE: the server's public key, its NAME.key file (or the 40-character Z85 key)")
    @argument("--cert", metavar="FILE", help="CURVE: this notebook's key pair, a NAME.key_secret file")
    @line_magic
    def zerobridge(self, line: str) -> Client:
        """Connect to a ZeroBridge server: ``%zerobridge tcp://127.0.0.1:5555``; to a CURVE server:
        ``%zerobridge tcp://host:5555 --server-key server.key --cert alice.key_secret`` (the same
        keys as ``connect(..., server_key=, cert=)``)."""
        args = parse_argstring(self.zerobridge, line)
        if self.client is not None:
            self.client.close()
        try:
            client = connect(args.endpoint, timeout=args.timeout, server_key=args.server_key, cert=args.cert)
        except ValueError as error:  # an unreadable key file: the magic's arguments are wrong
            raise UsageError(str(error)) from None
        client.ping()  # fail here, with a clear error, rather than in the first cell
        self.client = client
        if args.name:
            self.shell.user_ns[args.name] = client
        print(f"Connected to {args.endpoint}" + (f" (as {args.name})" if args.name else ""))
        return client

    @magic_arguments()
    @argument("-o", "--output", metavar="NAME", help="store the result in this variable")
    @argument("--timeout", type=float, default=None, help="seconds before the server stops the script")
    @argument("--session", default=None, help="the script session (default: this connection's own)")
    @cell_magic
    def csharp(self, line: str, cell: str) -> Any:
        """Run the cell as C# inside the application; print its console output, show its value."""
        args = parse_argstring(self.csharp, line)
        if self.client is None:
            raise UsageError("Not connected: run %zerobridge tcp://HOST:PORT first.")
        try:
            value = self.client.run_csharp(cell, timeout=args.timeout, session=args.session)
        except RemoteError as error:
            diagnostics = (error.details or {}).get("diagnostics") or []
            if diagnostics:  # show compile errors the way a compiler does, positions first
                lines = [f"({d['line']},{d['column']}): {d['severity']} {d['id']}: {d['message']}" for d in diagnostics]
                raise UsageError("C# compile error:\n" + "\n".join(lines)) from None
            raise
        if args.output:
            self.shell.user_ns[args.output] = value
        return value


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext zerobridge``."""
    ipython.register_magics(ZeroBridgeMagics)
