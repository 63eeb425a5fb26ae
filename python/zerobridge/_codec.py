"""Values on the wire (protocol.md §4): msgpack with the ZeroBridge ext types.

| ext | Python                                  |
|-----|-----------------------------------------|
| 1   | ``datetime.datetime`` (naive or aware)  |
| 2   | ``datetime.timedelta``                  |
| 3   | ``decimal.Decimal``                     |
| 4   | ``uuid.UUID``                           |
| 5   | ``pandas.DataFrame`` (dict of numpy arrays without pandas; §10) |
| 6   | ``bytes`` held in an attachment frame   |
| -1  | msgpack timestamp, decoded as an aware UTC ``datetime`` |

pandas and numpy are never imported here: they are used only when the caller already has them
(values of their types can only exist once they are imported), and pandas is imported lazily
when a table arrives.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import enum
import math
import struct
import sys
import uuid
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import msgpack

from ._exceptions import SerializationError
from ._packing import pack_exact
from ._protocol import ATTACHMENT_THRESHOLD
from ._tables import AttachmentRef, Table, TableAssembler, TablePart, decode_columns, encode_columns

__all__ = [
    "EXT_ATTACHMENT",
    "EXT_DATETIME",
    "EXT_DECIMAL",
    "EXT_TABLE",
    "EXT_TIMESPAN",
    "EXT_UUID",
    "Decoder",
    "Encoder",
    "decode",
    "encode",
    "encode_arguments",
]

EXT_DATETIME = 1
EXT_TIMESPAN = 2
EXT_DECIMAL = 3
EXT_UUID = 4
EXT_TABLE = 5
EXT_ATTACHMENT = 6

_TICKS_PER_MICROSECOND = 10
_DOTNET_EPOCH = _dt.datetime(1, 1, 1)
_UNIX_EPOCH_TICKS = 621_355_968_000_000_000  # DateTime(1970, 1, 1).Ticks
_MICROSECOND = _dt.timedelta(microseconds=1)
_MINUTE = _dt.timedelta(minutes=1)
_INT64 = struct.Struct(">q")
_INT16 = struct.Struct(">h")
_UINT32 = struct.Struct(">I")

_INTEGER_TYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
_FLOAT_TYPES = ("float32", "float64")

_pandas_module: Any = None


def _import_pandas() -> Any:
    """pandas, imported on first use; ``None`` when it is not installed."""
    global _pandas_module
    if _pandas_module is None:
        try:
            import pandas  # noqa: PLC0415 - lazy on purpose
        except ImportError:
            _pandas_module = False
        else:
            _pandas_module = pandas
    return _pandas_module or None


# --------------------------------------------------------------------------- scalars


def datetime_to_ext(value: _dt.datetime) -> msgpack.ExtType:
    """Ext 1: int64 wall-clock ticks since 0001-01-01, plus int16 offset minutes when aware."""
    pd = sys.modules.get("pandas")
    offset = value.utcoffset()
    if offset is not None and offset % _MINUTE:
        value = value.astimezone(_dt.timezone.utc)  # offsets with seconds do not fit: send UTC
        offset = _dt.timedelta(0)
    if pd is not None and isinstance(value, pd.Timestamp):
        wall = value.tz_localize(None) if value.tzinfo is not None else value
        ticks = wall.value // 100 + _UNIX_EPOCH_TICKS  # keeps the 100 ns the Timestamp holds
    else:
        wall = value.replace(tzinfo=None)
        ticks = ((wall - _DOTNET_EPOCH) // _MICROSECOND) * _TICKS_PER_MICROSECOND
    data = _INT64.pack(ticks)
    if offset is not None:
        data += _INT16.pack(offset // _MINUTE)
    return msgpack.ExtType(EXT_DATETIME, data)


def datetime_from_ext(data: bytes) -> _dt.datetime:
    """Inverse of :func:`datetime_to_ext`; ticks are rounded down to a microsecond."""
    if len(data) not in (8, 10):
        raise ValueError(f"ext 1 (datetime) needs 8 or 10 bytes, got {len(data)}")
    (ticks,) = _INT64.unpack_from(data)
    wall = _DOTNET_EPOCH + _dt.timedelta(microseconds=ticks // _TICKS_PER_MICROSECOND)
    if len(data) == 8:
        return wall
    (minutes,) = _INT16.unpack_from(data, 8)
    tz = _dt.timezone.utc if minutes == 0 else _dt.timezone(_dt.timedelta(minutes=minutes))
    return wall.replace(tzinfo=tz)


def timedelta_to_ext(value: _dt.timedelta) -> msgpack.ExtType:
    """Ext 2: int64 ticks of a signed duration."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(value, pd.Timedelta):
        ticks = value.value // 100
    else:
        ticks = (value // _MICROSECOND) * _TICKS_PER_MICROSECOND
    return msgpack.ExtType(EXT_TIMESPAN, _INT64.pack(ticks))


def timedelta_from_ext(data: bytes) -> _dt.timedelta:
    """Inverse of :func:`timedelta_to_ext`; ticks are rounded down to a microsecond."""
    if len(data) != 8:
        raise ValueError(f"ext 2 (timespan) needs 8 bytes, got {len(data)}")
    (ticks,) = _INT64.unpack(data)
    return _dt.timedelta(microseconds=ticks // _TICKS_PER_MICROSECOND)


def decimal_to_ext(value: decimal.Decimal) -> msgpack.ExtType:
    """Ext 3: the number as invariant text, fixed-point (no exponent), scale kept."""
    if not value.is_finite():
        raise SerializationError(f"{value} has no .NET decimal equivalent")
    return msgpack.ExtType(EXT_DECIMAL, format(value, "f").encode("ascii"))


# --------------------------------------------------------------------------- encoder


_PLAIN_SCALARS = frozenset({str, int, float, bool, type(None)})
"""Types :meth:`Encoder._prepare` passes through as they are (exactly these; subclasses take the long way)."""


class _AttachmentRef:
    """Placeholder for a binary value moved to an attachment frame."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


class Encoder:
    """Packs one message body; large binary values go to :attr:`attachments` (ext 6).

    One encoder per message: the attachment indexes count from the first frame after the body.
    """

    def __init__(self, attachment_threshold: Optional[int] = ATTACHMENT_THRESHOLD) -> None:
        self.attachment_threshold = attachment_threshold
        self.attachments: List[Any] = []

    def pack(self, value: Any) -> bytes:
        """Pack ``value``; raises :class:`SerializationError` for values that have no encoding."""
        try:
            return msgpack.packb(self._prepare(value), default=self._default, use_bin_type=True)
        except SerializationError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:
            raise SerializationError(f"cannot encode value: {exc}") from exc

    def _attach(self, data: Any) -> _AttachmentRef:
        self.attachments.append(data)
        return _AttachmentRef(len(self.attachments) - 1)

    def _prepare(self, value: Any) -> Any:
        """Walk containers: large binaries become attachment references, sets/tuples lists."""
        kind = type(value)  # the common cases first, by exact type: no isinstance chain
        if kind in _PLAIN_SCALARS:
            return value
        if kind is dict:
            return {self._prepare(k): self._prepare(v) for k, v in value.items()}
        if kind is list:
            return [self._prepare(v) for v in value]
        if isinstance(value, (str, int, float, type(None))):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            size = value.nbytes if isinstance(value, memoryview) else len(value)
            threshold = self.attachment_threshold
            if threshold is not None and size >= threshold:
                return self._attach(value)
            return bytes(value) if isinstance(value, memoryview) else value
        if isinstance(value, dict):
            return {self._prepare(k): self._prepare(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._prepare(v) for v in value]
        return value

    def _default(self, value: Any) -> Any:  # noqa: C901 - one dispatch table, kept flat
        """msgpack's ``default`` hook: every type msgpack does not know itself."""
        if isinstance(value, _AttachmentRef):
            return msgpack.ExtType(EXT_ATTACHMENT, _UINT32.pack(value.index))
        pd = sys.modules.get("pandas")
        np = sys.modules.get("numpy")
        if pd is not None:
            if value is pd.NaT or value is getattr(pd, "NA", None):
                return None
            if isinstance(value, pd.DataFrame):
                columns = {str(name): value.iloc[:, i] for i, name in enumerate(value.columns)}
                return self._table(columns, {}, len(value))
            if isinstance(value, (pd.Series, pd.Index, pd.Categorical)):
                return self._prepare(list(value))
        if isinstance(value, Table):
            return self._table(value.columns, value.masks, value.rows)
        if isinstance(value, _dt.datetime):
            return datetime_to_ext(value)
        if isinstance(value, _dt.date):  # DateOnly: midnight, naive
            return datetime_to_ext(_dt.datetime(value.year, value.month, value.day))
        if isinstance(value, _dt.time):  # TimeOnly: time since midnight
            return timedelta_to_ext(_dt.timedelta(hours=value.hour, minutes=value.minute,
                                                  seconds=value.second,
                                                  microseconds=value.microsecond))
        if isinstance(value, _dt.timedelta):
            return timedelta_to_ext(value)
        if isinstance(value, decimal.Decimal):
            return decimal_to_ext(value)
        if isinstance(value, uuid.UUID):
            return msgpack.ExtType(EXT_UUID, value.bytes)
        if isinstance(value, enum.Enum):
            return value.name
        if np is not None:
            if isinstance(value, np.ndarray):
                return self._prepare(value.tolist())
            if isinstance(value, np.datetime64):
                return self._default(_numpy_datetime(value, pd))
            if isinstance(value, np.timedelta64):
                return self._default(_numpy_timedelta(value, pd))
            if isinstance(value, np.generic):
                return self._prepare(value.item())
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._prepare({f.name: getattr(value, f.name)
                                  for f in dataclasses.fields(value)})
        raise SerializationError(f"cannot encode a value of type {type(value).__qualname__}")


    def _table(self, columns: Dict[str, Any], masks: Dict[str, Any], rows: int) -> msgpack.ExtType:
        """A table in the "columns" layout (§10): one attachment frame per column buffer."""
        table = encode_columns(columns, masks, rows, self._attach)
        return msgpack.ExtType(EXT_TABLE, msgpack.packb(
            self._prepare(table), default=self._default, use_bin_type=True))


def _numpy_datetime(value: Any, pd: Any) -> Any:
    if pd is not None:
        return pd.Timestamp(value)
    return None if value != value else value.astype("datetime64[us]").item()


def _numpy_timedelta(value: Any, pd: Any) -> Any:
    if pd is not None:
        return pd.Timedelta(value)
    return None if value != value else value.astype("timedelta64[us]").item()


def encode(value: Any, attachment_threshold: Optional[int] = ATTACHMENT_THRESHOLD,
           ) -> Tuple[bytes, List[Any]]:
    """Pack ``value``; returns the body and the attachment frames it references."""
    encoder = Encoder(attachment_threshold)
    return encoder.pack(value), encoder.attachments


def encode_arguments(args: Sequence[Any], kwargs: Mapping[str, Any]) -> Tuple[bytes, List[Any]]:
    """A request's arguments frame, the ``[positional, keyword]`` array (protocol.md §2), and the
    attachment frames it references.

    Arguments made only of plain values (exactly ``str``, ``bytes``, ``int``, ``float``, ``bool``,
    ``None``, lists and dicts: most calls) are packed as they are, without the :class:`Encoder`'s
    walk, which would hand them back unchanged: the same bytes, for a fraction of the cost. Packed
    smaller than :data:`ATTACHMENT_THRESHOLD`, they cannot hold a binary that belongs in an
    attachment frame. Anything else (a tuple or set inside, a subclass, a datetime, a large
    binary, an int beyond 64 bits) takes the walk, which converts it or names what it cannot encode.
    """
    positional = list(args)
    try:
        packed = pack_exact([positional, kwargs])
    except (TypeError, ValueError, OverflowError):
        packed = None
    if packed is not None and len(packed) < ATTACHMENT_THRESHOLD:
        return packed, []
    return encode([positional, dict(kwargs)])


# --------------------------------------------------------------------------- decoder


class Decoder:
    """Unpacks one message body whose ext 6 references point into ``attachments``.

    Tables in the "columns" layout become DataFrames when ``as_frame`` (else dicts of numpy arrays);
    a table sent in chunks becomes a :class:`TableAssembler` listed in :attr:`pending`, for the caller
    to complete with ``table.next``. With ``raw_tables`` every table stays a :class:`TablePart`.
    With ``decimals="float"`` decimal values become ``float`` and decimal columns float64.
    """

    def __init__(self, attachments: Sequence[Any] = (), *, as_frame: Optional[bool] = None,
                 raw_tables: bool = False, decimals: str = "decimal") -> None:
        self.attachments = attachments
        self.as_frame = (_import_pandas() is not None) if as_frame is None else bool(as_frame)
        self.raw_tables = raw_tables
        self.decimals_as_float = decimals == "float"
        self.pending: List[TableAssembler] = []

    def unpack(self, body: bytes) -> Any:
        """Decode ``body``; raises :class:`SerializationError` when it cannot be decoded."""
        try:
            return self._unpackb(body)
        except SerializationError:
            raise
        except Exception as exc:  # msgpack and the hooks raise many kinds
            raise SerializationError(f"cannot decode value: {exc}") from exc

    def _unpackb(self, body: bytes) -> Any:
        return msgpack.unpackb(body, raw=False, strict_map_key=False,
                               ext_hook=self.ext_hook, timestamp=3)

    def ext_hook(self, code: int, data: bytes) -> Any:
        """msgpack's ``ext_hook``: the ZeroBridge ext types; unknown codes stay ``ExtType``."""
        if code == EXT_DATETIME:
            return datetime_from_ext(data)
        if code == EXT_TIMESPAN:
            return timedelta_from_ext(data)
        if code == EXT_DECIMAL:
            text = data.decode("utf-8")
            return float(text) if self.decimals_as_float else decimal.Decimal(text)
        if code == EXT_UUID:
            return uuid.UUID(bytes=bytes(data))
        if code == EXT_TABLE:
            return self._table(data)
        if code == EXT_ATTACHMENT:
            if len(data) != 4:
                raise ValueError(f"ext 6 (attachment) needs 4 bytes, got {len(data)}")
            (index,) = _UINT32.unpack(data)
            if index >= len(self.attachments):
                raise ValueError(f"attachment {index} referenced, but the message has "
                                 f"{len(self.attachments)}")
            return bytes(self.attachments[index])
        return msgpack.ExtType(code, bytes(data))  # opaque, and sent back unchanged


    def _ref_hook(self, code: int, data: bytes) -> Any:
        if code == EXT_ATTACHMENT and len(data) == 4:
            return AttachmentRef(_UINT32.unpack(data)[0])
        return self.ext_hook(code, data)

    def _table(self, data: bytes) -> Any:
        header = msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=self._ref_hook,
                                 timestamp=3)
        layout = header.get("layout") if isinstance(header, dict) else None
        if layout == "lists":
            return table_to_frame(self._unpackb(data), self.as_frame, self.decimals_as_float)
        if layout != "columns":
            raise ValueError(f"unsupported table layout {layout!r}")
        part = decode_columns(header, self.attachments, self.decimals_as_float)
        if self.raw_tables:
            return part
        assembler = TableAssembler(part)
        if part.more is not None:
            self.pending.append(assembler)
            return assembler
        return assembler.finish(self.as_frame)


def decode(body: bytes, attachments: Sequence[bytes] = (), *,
           as_frame: Optional[bool] = None) -> Any:
    """Decode one message body (a table chunked by the server is not completed here)."""
    return Decoder(attachments, as_frame=as_frame).unpack(body)


# --------------------------------------------------------------------------- tables


def table_to_frame(table: Any, as_frame: bool = True, decimals_as_float: bool = False) -> Any:
    """An ext 5 map in the "lists" layout (§4.2) as a ``pandas.DataFrame``, or a list of row dicts
    without pandas (or when ``as_frame`` is false). With ``decimals_as_float`` the decimal columns
    (whose values the decoder already made floats) become float64."""
    if not isinstance(table, dict) or table.get("layout") != "lists":
        layout = table.get("layout") if isinstance(table, dict) else type(table).__name__
        raise ValueError(f"unsupported table layout {layout!r}")
    columns = table.get("columns") or []
    data = table.get("data") or []
    rows = int(table.get("rows") or 0)
    if len(data) != len(columns) or any(len(values) != rows for values in data):
        raise ValueError("table data does not match its columns and rows")
    names = [str(column.get("name")) for column in columns]
    pd = _import_pandas() if as_frame else None
    if pd is None:
        return [{name: values[r] for name, values in zip(names, data)} for r in range(rows)]
    def column_type(column: Mapping[str, Any]) -> str:
        ctype = str(column.get("type") or "object")
        return "float64" if decimals_as_float and ctype == "decimal" else ctype

    series = {
        name: pd.Series(_column_values(pd, column_type(column), bool(column.get("nullable")), values),
                        index=pd.RangeIndex(rows), name=name)
        for name, column, values in zip(names, columns, data)
    }
    return pd.DataFrame(series, columns=names, index=pd.RangeIndex(rows))


def _object_array(values: Sequence[Any]) -> Any:
    import numpy as np  # noqa: PLC0415 - pandas is present, so numpy is

    array = np.empty(len(values), dtype=object)
    array[:] = list(values) if values else []
    return array


def _column_values(pd: Any, ctype: str, nullable: bool, values: List[Any]) -> Any:
    """One column's values with the dtype §4.2 names for its type."""
    import numpy as np  # noqa: PLC0415

    has_null = any(v is None for v in values)
    try:
        if ctype in _INTEGER_TYPES:
            if nullable or has_null:
                nullable_dtype = "U" + ctype[1:].capitalize() if ctype[0] == "u" else ctype.capitalize()
                return pd.array(values, dtype=nullable_dtype)
            return np.array(values, dtype=ctype)
        if ctype == "bool":
            if nullable or has_null:
                return pd.array(values, dtype="boolean")
            return np.array(values, dtype=bool)
        if ctype in _FLOAT_TYPES:
            return np.array([math.nan if v is None else v for v in values], dtype=ctype)
        if ctype == "datetime":
            return pd.to_datetime(pd.Series(_object_array(values))).astype("datetime64[ns]")
        if ctype == "datetimetz":
            offsets = {v.utcoffset() for v in values if v is not None}
            column = pd.to_datetime(pd.Series(_object_array(values)), utc=True)
            if len(offsets) == 1:
                (offset,) = offsets
                if offset:
                    column = column.dt.tz_convert(_dt.timezone(offset))
            return column
        if ctype == "timespan":
            return pd.to_timedelta(pd.Series(_object_array(values)))
        if ctype == "category":
            return pd.Categorical(values)
    except (TypeError, ValueError, OverflowError):
        pass  # out of range for the dtype (e.g. DateTime.MinValue in datetime64[ns]): keep objects
    return _object_array(values)


def _dtype_column_type(pd: Any, dtype: Any) -> Optional[str]:
    """The §4.2 column type for a dtype that decides it alone, else ``None`` (object)."""
    api = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetimetz"
    if api.is_datetime64_dtype(dtype):
        return "datetime"
    if api.is_timedelta64_dtype(dtype):
        return "timespan"
    if api.is_bool_dtype(dtype):
        return "bool"
    if api.is_integer_dtype(dtype) or api.is_float_dtype(dtype):
        name = str(dtype).lower()
        return name if name in _INTEGER_TYPES or name in _FLOAT_TYPES else None
    if api.is_string_dtype(dtype) and not api.is_object_dtype(dtype):
        return "string"
    return None


_INFER: List[Tuple[str, Callable[[Any], bool]]] = [
    ("string", lambda v: isinstance(v, str)),
    ("bool", lambda v: isinstance(v, bool)),
    ("int64", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    ("float64", lambda v: isinstance(v, float)),
    ("decimal", lambda v: isinstance(v, decimal.Decimal)),
    ("bytes", lambda v: isinstance(v, (bytes, bytearray, memoryview))),
    ("uuid", lambda v: isinstance(v, uuid.UUID)),
    ("datetimetz", lambda v: isinstance(v, _dt.datetime) and v.utcoffset() is not None),
    ("datetime", lambda v: isinstance(v, _dt.datetime) and v.utcoffset() is None),
    ("timespan", lambda v: isinstance(v, _dt.timedelta)),
]


def _is_null(pd: Any, value: Any) -> bool:
    if value is None or value is pd.NaT or value is getattr(pd, "NA", None):
        return True
    return isinstance(value, float) and math.isnan(value)


def table_from_frame(frame: Any) -> Dict[str, Any]:
    """A ``pandas.DataFrame`` as an ext 5 map; column types come from the dtypes.

    The index is not sent (call ``reset_index()`` first to keep it). Object columns get the type
    all their non-null values share, else ``object``.
    """
    pd = sys.modules["pandas"]
    columns: List[Dict[str, Any]] = []
    data: List[List[Any]] = []
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        ctype = _dtype_column_type(pd, column.dtype)
        raw = column.tolist()
        if ctype in _FLOAT_TYPES:
            values = [None if v is pd.NA else v for v in raw]  # NaN stays a float
            nullable = any(v is None for v in values)
        else:
            values = [None if _is_null(pd, v) else v for v in raw]
            nullable = any(v is None for v in values)
            if ctype is None:
                present = [v for v in values if v is not None]
                ctype = next((t for t, test in _INFER if present and all(map(test, present))),
                             "object")
            if ctype == "category":
                values = [None if v is None else str(v) for v in values]
        nullable = nullable or str(column.dtype) in ("boolean", "string") or \
            str(column.dtype)[:1] in ("I", "U", "F")
        columns.append({"name": str(name), "type": ctype, "nullable": nullable})
        data.append(values)
    return {"layout": "lists", "rows": len(frame), "columns": columns, "data": data}
