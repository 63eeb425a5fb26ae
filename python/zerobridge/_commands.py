"""Command descriptions (the ``commands`` built-in) as namespaces of callable proxies.

``client.orders.recent`` is a real function with an ``inspect.Signature`` and a docstring made from
the C# description, so ``help()``, Jupyter's ``?`` and tab completion show what the server offers.
"""

from __future__ import annotations

import difflib
import inspect
import keyword
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

__all__ = ["CallWith", "CommandPath", "CommandTree", "Namespace", "TypeName", "make_proxy"]

CallWith = Callable[[str, Sequence[Any], Mapping[str, Any]], Any]
"""How a proxy runs its command: ``call_with(command, args, kwargs)`` of a client (a coroutine
function for the async client)."""


class TypeName(str):
    """A Python type name as the server spells it (``"int"``, ``"list[str]"``, ``"DataFrame"``).

    A ``str``, so it compares equal to the name; its ``repr`` is the bare name, so signatures read
    ``(n: int = 10) -> DataFrame``.
    """

    def __repr__(self) -> str:
        return str.__str__(self)


def _annotation(name: Any) -> Any:
    return TypeName(name) if isinstance(name, str) and name else inspect.Parameter.empty


def _signature(description: Mapping[str, Any]) -> inspect.Signature:
    """The command's signature; parameters after an optional one become keyword-only if needed."""
    returns = _annotation(description.get("returns"))
    parameters: List[inspect.Parameter] = []
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    seen_default = False
    for p in description.get("parameters") or []:
        name = str(p.get("name"))
        if not name.isidentifier() or keyword.iskeyword(name):
            # Not expressible as a Python parameter: document it, accept anything.
            return inspect.Signature(
                [inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
                 inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)],
                return_annotation=returns)
        required = bool(p.get("required", "default" not in p))
        default = inspect.Parameter.empty if required else p.get("default")
        if required and seen_default:
            kind = inspect.Parameter.KEYWORD_ONLY
        seen_default = seen_default or not required
        parameters.append(inspect.Parameter(name, kind, default=default,
                                            annotation=_annotation(p.get("type"))))
    return inspect.Signature(parameters, return_annotation=returns)


def _docstring(description: Mapping[str, Any], signature: inspect.Signature) -> str:
    """A numpydoc-style docstring from the C# description and parameter descriptions."""
    name = str(description.get("name"))
    lines = [f"{name}{signature}", ""]
    text = str(description.get("description") or "").strip()
    lines += [text or "(no description)", ""]
    parameters = description.get("parameters") or []
    if parameters:
        lines += ["Parameters", "----------"]
        for p in parameters:
            line = f"{p.get('name')} : {p.get('type') or 'Any'}"
            if not p.get("required", "default" not in p):
                line += f", optional (default {p.get('default')!r})"
            if p.get("clr_type"):
                line += f"  [C#: {p.get('clr_type')}]"
            lines.append(line)
            if p.get("description"):
                lines.append(f"    {str(p.get('description')).strip()}")
        lines.append("")
    if description.get("returns") or description.get("clr_returns"):
        lines += ["Returns", "-------", str(description.get("returns") or "Any")]
        if description.get("clr_returns"):
            lines.append(f"    C#: {description.get('clr_returns')}")
        lines.append("")
    lines.append(f"Runs the remote command {name!r}; errors raise zerobridge.RemoteError.")
    return "\n".join(lines)


def make_proxy(call_with: CallWith, description: Mapping[str, Any],
               acall_with: Optional[CallWith] = None) -> Callable[..., Any]:
    """A function that runs the command ``description["name"]`` through ``call_with``.

    Every argument goes to the command (a parameter named ``timeout`` included); for per-call
    options use the client's ``call_with``. When ``call_with`` is a coroutine function the proxy is
    one too; ``acall_with`` adds an async variant as ``proxy.acall`` (the sync client's bridge).
    """
    command = str(description["name"])
    signature = _signature(description)
    short = command.rsplit(".", 1)[-1]

    if inspect.iscoroutinefunction(call_with):
        async def proxy(*args: Any, **kwargs: Any) -> Any:
            return await call_with(command, args, kwargs)
    else:
        def proxy(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            return call_with(command, args, kwargs)
    _describe(proxy, command, short, signature, description)
    if acall_with is not None:
        async def acall(*args: Any, **kwargs: Any) -> Any:
            return await acall_with(command, args, kwargs)
        _describe(acall, f"{command}.acall", f"{short}_acall", signature, description)
        proxy.acall = acall  # type: ignore[attr-defined]
    proxy.command = command  # type: ignore[attr-defined]
    proxy.description = dict(description)  # type: ignore[attr-defined]
    return proxy


def _describe(function: Callable[..., Any], qualname: str, name: str,
              signature: inspect.Signature, description: Mapping[str, Any]) -> None:
    function.__signature__ = signature  # type: ignore[attr-defined]
    function.__doc__ = _docstring(description, signature)
    function.__module__ = "zerobridge.commands"
    function.__name__ = name
    function.__qualname__ = qualname


class CommandPath:
    """A dotted command name not checked against the server's list (``client.orders.recent``
    before the async client has fetched its descriptions): calling it runs the command, and an
    unknown name raises :class:`~zerobridge.CommandNotFound` with suggestions then."""

    def __init__(self, call_with: CallWith, path: str) -> None:
        self._zb_call_with = call_with
        self._zb_path = path

    def __getattr__(self, name: str) -> "CommandPath":
        if name.startswith("_"):
            raise AttributeError(name)
        return CommandPath(self._zb_call_with, f"{self._zb_path}.{name}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._zb_call_with(self._zb_path, args, kwargs)

    def __repr__(self) -> str:
        return f"<zerobridge command {self._zb_path!r} (not checked: descriptions not fetched)>"


class Namespace:
    """The commands under one dotted prefix, as attributes (``client.orders.recent``)."""

    def __init__(self, path: str, command: Optional[Callable[..., Any]] = None) -> None:
        self._zb_path = path
        self._zb_children: Dict[str, Any] = {}
        self._zb_command = command

    def __getattr__(self, name: str) -> Any:
        children = self.__dict__.get("_zb_children", {})
        if name in children:
            return children[name]
        where = f"namespace {self._zb_path!r}" if self.__dict__.get("_zb_path") else "the server"
        message = f"{where} has no command or namespace {name!r}"
        close = difflib.get_close_matches(name, list(children), n=3)
        if close:
            message += f"; did you mean {', '.join(close)}?"
        raise AttributeError(message)

    def __dir__(self) -> Iterable[str]:
        return sorted(self._zb_children)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._zb_command is None:
            raise TypeError(f"{self._zb_path!r} is a namespace of commands, not a command: "
                            f"{', '.join(sorted(self._zb_children))}")
        return self._zb_command(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<zerobridge namespace {self._zb_path!r}: {', '.join(sorted(self._zb_children))}>"


class CommandTree:
    """All commands of a server: the raw descriptions and the namespace tree built from them."""

    def __init__(self, call_with: CallWith, descriptions: List[Dict[str, Any]],
                 acall_with: Optional[CallWith] = None) -> None:
        self.descriptions = descriptions
        self.root = Namespace("")
        for description in descriptions:
            name = description.get("name")
            if not isinstance(name, str) or not name:
                continue
            proxy = make_proxy(call_with, description, acall_with)
            node = self.root
            *parents, leaf = name.split(".")
            for part in parents:
                child = node._zb_children.get(part)
                if not isinstance(child, Namespace):
                    child = Namespace(f"{node._zb_path}.{part}".lstrip("."), command=child)
                    node._zb_children[part] = child
                node = child
            existing = node._zb_children.get(leaf)
            if isinstance(existing, Namespace):
                existing._zb_command = proxy  # both a command and a prefix of others
            else:
                node._zb_children[leaf] = proxy

    def names(self) -> List[str]:
        """The top-level names (commands and namespaces)."""
        return sorted(self.root._zb_children)
