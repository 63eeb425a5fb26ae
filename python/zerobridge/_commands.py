"""Command descriptions (the ``commands`` built-in) as namespaces of callable proxies.

``client.orders.recent`` is a real function with an ``inspect.Signature`` and a docstring made from
the C# description, so ``help()``, Jupyter's ``?`` and tab completion show what the server offers.

Per-call options on these calls (``client.orders.recent(3, timeout=5)``): a keyword named like an
option (:data:`~._call.CALL_OPTIONS`: ``timeout``, ``retries``, ``as_frame``, ``progress``,
``decimals``) is that option, unless the command has a parameter of that name: the command's
signature wins, and the option is then reachable through the client's ``call_with``.

Internal commands (the protocol's own ``table.*``, ``csharp.*`` and ``auth.*``, and any the server
marks ``"internal": true``) are left out of the attribute namespace and ``dir()``; the client's
``call`` still runs them.
"""

from __future__ import annotations

import difflib
import inspect
import keyword
from typing import (Any, Awaitable, Callable, Collection, Dict, FrozenSet, Iterable, List, Mapping,
                    Optional, Tuple)

from ._call import CALL_OPTIONS

__all__ = ["CallWith", "CommandPath", "CommandTree", "INTERNAL_PREFIXES", "Namespace", "TypeName",
           "is_internal", "make_proxy", "split_options"]

CallWith = Callable[..., Any]
"""How a proxy runs its command: ``call_with(command, args, kwargs, **options)`` of a client (a
coroutine function for the async client)."""

ParametersOf = Callable[[str], Awaitable[Optional[FrozenSet[str]]]]
"""The parameter names of a command, fetched when needed (``None``: the server has no such command)."""

INTERNAL_PREFIXES = frozenset({"table", "csharp", "auth"})
"""Namespaces of the protocol's own commands (chunked tables, C# scripts, the key proof), which
clients call for the user rather than the user directly."""


def is_internal(description: Mapping[str, Any]) -> bool:
    """Whether a command stays out of the attribute namespace (but not out of ``call``)."""
    name = str(description.get("name") or "")
    return bool(description.get("internal")) or name.split(".", 1)[0] in INTERNAL_PREFIXES


def split_options(kwargs: Mapping[str, Any], parameters: Collection[str]
                  ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The command's keyword arguments and the per-call options among ``kwargs``: a keyword named
    like an option is the option unless ``parameters`` (the command's) has that name."""
    arguments: Dict[str, Any] = {}
    options: Dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in CALL_OPTIONS and name not in parameters:
            options[name] = value
        else:
            arguments[name] = value
    return arguments, options


def _parameter_names(description: Mapping[str, Any]) -> FrozenSet[str]:
    return frozenset(str(p.get("name")) for p in description.get("parameters") or [])


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
    options = sorted(CALL_OPTIONS - _parameter_names(description))
    if options:
        lines.append(f"Per-call options (keywords): {', '.join(options)}.")
    return "\n".join(lines)


def make_proxy(call_with: CallWith, description: Mapping[str, Any],
               acall_with: Optional[CallWith] = None) -> Callable[..., Any]:
    """A function that runs the command ``description["name"]`` through ``call_with``.

    Keywords named like a per-call option are that option unless the command has a parameter of
    the name (:func:`split_options`). When ``call_with`` is a coroutine function the proxy is one
    too; ``acall_with`` adds an async variant as ``proxy.acall`` (the sync client's bridge).
    """
    command = str(description["name"])
    signature = _signature(description)
    short = command.rsplit(".", 1)[-1]
    parameters = _parameter_names(description)

    if inspect.iscoroutinefunction(call_with):
        async def proxy(*args: Any, **kwargs: Any) -> Any:
            arguments, options = split_options(kwargs, parameters)
            return await call_with(command, args, arguments, **options)
    else:
        def proxy(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            arguments, options = split_options(kwargs, parameters)
            return call_with(command, args, arguments, **options)
    _describe(proxy, command, short, signature, description)
    if acall_with is not None:
        async def acall(*args: Any, **kwargs: Any) -> Any:
            arguments, options = split_options(kwargs, parameters)
            return await acall_with(command, args, arguments, **options)
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
    unknown name raises :class:`~zerobridge.CommandNotFound` with suggestions then.

    ``call_with`` is a coroutine function. A keyword named like a per-call option needs the
    command's parameters to tell which it is (the command's wins): only then are they fetched,
    with ``parameters_of``, so the rule is the same as on a checked proxy.
    """

    def __init__(self, call_with: CallWith, path: str, parameters_of: ParametersOf) -> None:
        self._zb_call_with = call_with
        self._zb_path = path
        self._zb_parameters_of = parameters_of

    def __getattr__(self, name: str) -> "CommandPath":
        if name.startswith("_"):
            raise AttributeError(name)
        return CommandPath(self._zb_call_with, f"{self._zb_path}.{name}", self._zb_parameters_of)

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        if CALL_OPTIONS.isdisjoint(kwargs):
            return self._zb_call_with(self._zb_path, args, kwargs)
        return self._call_with_options(args, kwargs)

    async def _call_with_options(self, args: Tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        parameters = await self._zb_parameters_of(self._zb_path)
        arguments, options = split_options(kwargs, parameters or frozenset())
        return await self._zb_call_with(self._zb_path, args, arguments, **options)

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
        self._parameters: Dict[str, FrozenSet[str]] = {}
        for description in descriptions:
            name = description.get("name")
            if not isinstance(name, str) or not name:
                continue
            self._parameters[name] = _parameter_names(description)
            if is_internal(description):
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
        """The top-level names (commands and namespaces), internal ones left out."""
        return sorted(self.root._zb_children)

    def parameters(self, command: str) -> Optional[FrozenSet[str]]:
        """The names of a command's parameters; ``None`` when the server has no such command."""
        return self._parameters.get(command)
