"""Tables in the "columns" layout (protocol.md §10): column buffers as attachment frames.

Receiving: each numeric, bool and datetime column is ``numpy.frombuffer`` over its received frame (no
copy); strings and other objects are built from their offsets and bytes. A table sent in chunks is
collected by :class:`TableAssembler` into arrays allocated once for the whole table when its row count
is known. Sending: a ``pandas.DataFrame`` (or a :class:`Table` of numpy arrays) becomes one header
plus one frame per buffer, the buffers of numeric columns passed to ZeroMQ without a copy.

numpy is needed for this layout; pandas only to get a ``DataFrame``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = ["Column", "Table", "TableAssembler", "TablePart", "decode_columns", "encode_columns"]

LAYOUT = "columns"

_FIXED = {
    "bool": "?", "int8": "<i1", "int16": "<i2", "int32": "<i4", "int64": "<i8",
    "uint8": "<u1", "uint16": "<u2", "uint32": "<u4", "uint64": "<u8",
    "float32": "<f4", "float64": "<f8",
}
_TIMES = {"datetime": "datetime64", "datetimetz": "datetime64", "timespan": "timedelta64"}
_NULLABLE_DTYPES = {
    "int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
    "uint8": "UInt8", "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
}


def _np() -> Any:
    try:
        import numpy  # noqa: PLC0415 - lazy: only tables need it
    except ImportError as exc:  # pragma: no cover - numpy is a dependency
        raise ImportError("columnar tables need numpy (pip install numpy)") from exc
    return numpy


class Table:
    """Columns to send as a table argument without pandas: ``Table({"x": np.arange(3)})``.

    Each value is a 1-D numpy array (or anything ``numpy.asarray`` accepts); all have one length.
    ``masks`` optionally maps a column name to a boolean array, ``True`` where the value is null.
    """

    def __init__(self, columns: Mapping[str, Any],
                 masks: Optional[Mapping[str, Any]] = None) -> None:
        np = _np()
        self.columns: Dict[str, Any] = {str(k): np.asarray(v) for k, v in columns.items()}
        self.masks: Dict[str, Any] = {str(k): np.asarray(v, dtype=bool)
                                      for k, v in (masks or {}).items()}
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"table columns differ in length: {sorted(lengths)}")
        self.rows = lengths.pop() if lengths else 0

    def __repr__(self) -> str:
        return f"<zerobridge.Table {self.rows} rows: {', '.join(self.columns)}>"


# --------------------------------------------------------------------------- receiving


@dataclass
class Column:
    """One decoded column: ``values`` (numpy), ``mask`` (``True`` = null) or ``None``, and extras."""

    name: str
    type: str
    nullable: bool
    values: Any
    mask: Any = None
    categories: List[str] = field(default_factory=list)
    tz: int = 0


@dataclass
class TablePart:
    """One chunk of a table (or the whole of it): its columns and, if more follow, the cursor."""

    rows: int
    columns: List[Column]
    more: Optional[str] = None
    total: Optional[int] = None


class AttachmentRef:
    """An ext 6 reference met inside a table header, resolved by :func:`decode_columns`."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def decode_columns(header: Mapping[str, Any], frames: Sequence[Any],
                   decimals_as_float: bool = False) -> TablePart:
    """A "columns" ext 5 map whose buffers are :class:`AttachmentRef` into ``frames``; decimal
    columns as float64 (nulls NaN) with ``decimals_as_float``."""
    np = _np()
    rows = header.get("rows")
    if not isinstance(rows, int) or rows < 0:
        raise ValueError(f"table has no valid 'rows': {rows!r}")

    def buffer(column: Mapping[str, Any], key: str) -> Any:
        ref = column.get(key)
        if not isinstance(ref, AttachmentRef):
            raise ValueError(f"column {column.get('name')!r}: {key!r} is not an attachment reference")
        if ref.index >= len(frames):
            raise ValueError(f"attachment {ref.index} referenced, but the message has {len(frames)}")
        return frames[ref.index]

    def array(column: Mapping[str, Any], key: str, dtype: str, count: int) -> Any:
        data = np.frombuffer(buffer(column, key), dtype=np.dtype(dtype))
        if len(data) != count:
            raise ValueError(f"column {column.get('name')!r}: {key!r} holds {len(data)} values, "
                             f"expected {count}")
        return data

    columns: List[Column] = []
    for spec in header.get("columns") or []:
        name, ctype = str(spec.get("name")), str(spec.get("type") or "object")
        nullable = bool(spec.get("nullable"))
        mask = array(spec, "mask", "?", rows) if spec.get("mask") is not None else None
        column = Column(name, ctype, nullable, None, mask)
        if "values" in spec:
            values = spec["values"]
            if not isinstance(values, list) or len(values) != rows:
                raise ValueError(f"column {name!r}: 'values' must hold {rows} values")
            column.values = _object_array(np, [
                bytes(frames[v.index]) if isinstance(v, AttachmentRef) and v.index < len(frames)
                else v for v in values])
        elif ctype in _FIXED:
            column.values = array(spec, "data", _FIXED[ctype], rows)
        elif ctype in _TIMES:
            unit = spec.get("unit", "ns")
            if unit not in ("ns", "us"):
                raise ValueError(f"column {name!r}: unknown time unit {unit!r}")
            column.values = array(spec, "data", "<i8", rows).view(
                f"{_TIMES[ctype]}[{unit}]")
            column.tz = int(spec.get("tz") or 0)
        elif ctype == "string" and spec.get("indices") is not None:
            column.values = _dictionary(np, array(spec, "indices", "<i4", rows),
                                        buffer(spec, "offsets"), buffer(spec, "data"), name)
        elif ctype in ("string", "bytes", "decimal"):
            offsets = array(spec, "offsets", "<i4", rows + 1)
            data = buffer(spec, "data")
            column.values = _variable(np, data, offsets, mask, ctype != "bytes", name)
            if ctype == "decimal" and decimals_as_float:
                column.type = "float64"
                column.values = np.array([math.nan if v is None else float(v)
                                          for v in column.values.tolist()], dtype=np.float64)
            elif ctype == "decimal":  # exact: invariant text, one Decimal per cell
                column.values = _object_array(np, [None if v is None else decimal.Decimal(v)
                                                   for v in column.values.tolist()])
        elif ctype == "category":
            column.values = array(spec, "data", "<i4", rows)
            column.categories = [str(c) for c in spec.get("categories") or []]
            if rows and (column.values.max(initial=-1) >= len(column.categories)
                         or column.values.min(initial=0) < -1):
                raise ValueError(f"column {name!r}: category code out of range")
        elif ctype == "uuid":
            raw = bytes(buffer(spec, "data"))
            if len(raw) != rows * 16:
                raise ValueError(f"column {name!r}: {len(raw)} bytes for {rows} uuids")
            values = [uuid.UUID(bytes=raw[i * 16:i * 16 + 16]) for i in range(rows)]
            if mask is not None:
                values = [None if m else v for v, m in zip(values, mask.tolist())]
            column.values = _object_array(np, values)
        else:
            raise ValueError(f"column {name!r} has the unknown type {ctype!r}")
        columns.append(column)
    more = header.get("more")
    total = header.get("total")
    return TablePart(rows, columns, str(more) if more is not None else None,
                     int(total) if isinstance(total, int) else None)


def _object_array(np: Any, values: Sequence[Any]) -> Any:
    array = np.empty(len(values), dtype=object)
    if len(values):
        array[:] = list(values)
    return array


def _variable(np: Any, data: Any, offsets: Any, mask: Any, text: bool, name: str) -> Any:
    """Strings (or bytes) from int32 offsets and their UTF-8 bytes, as an object array."""
    rows = len(offsets) - 1
    raw = bytes(data)
    if rows >= 0 and (offsets[0] != 0 or offsets[-1] != len(raw)):
        raise ValueError(f"column {name!r}: offsets must run from 0 to {len(raw)}")
    if rows > 0 and bool((offsets[1:] < offsets[:-1]).any()):
        raise ValueError(f"column {name!r}: offsets decrease")
    values: List[Any]
    if text and rows > 1 and b"\x00" not in raw:
        values = _split_text(np, raw, offsets)
    elif text and raw.isascii():
        whole = raw.decode("ascii")  # one decode; slicing a str by byte offsets is exact for ASCII
        values = [whole[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    elif text:
        values = [raw[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    else:
        values = [raw[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    if mask is not None and mask.any():
        for index in np.flatnonzero(mask).tolist():
            values[index] = None
    return _object_array(np, values)


def _split_text(np: Any, raw: bytes, offsets: Any) -> List[str]:
    """Every cell as a str at C speed: a NUL byte goes between cells (numpy), then one UTF-8
    decode of the whole buffer and one ``str.split``. Only for text without NUL bytes: a NUL never
    occurs inside a multi-byte UTF-8 sequence, so each piece is exactly one cell."""
    rows = len(offsets) - 1
    joined = np.zeros(len(raw) + rows - 1, dtype=np.uint8)
    cells = np.ones(len(joined), dtype=bool)
    cells[offsets[1:-1].astype(np.int64) + np.arange(rows - 1, dtype=np.int64)] = False
    joined[cells] = np.frombuffer(raw, dtype=np.uint8)
    return str(memoryview(joined), "utf-8").split("\x00")


def _dictionary(np: Any, codes: Any, offsets: Any, data: Any, name: str) -> Any:
    """A dictionary-encoded string column (§10.4): each distinct string made once, then picked
    per row by index (-1 = null) with one numpy take, so rows share their str objects."""
    ends = np.frombuffer(offsets, dtype="<i4")
    if len(ends) < 1:
        raise ValueError(f"column {name!r}: a dictionary needs offsets")
    distinct = _variable(np, data, ends, None, True, name)
    if len(codes) and (int(codes.max()) >= len(distinct) or int(codes.min()) < -1):
        raise ValueError(f"column {name!r}: dictionary index out of range")
    lookup = np.empty(len(distinct) + 1, dtype=object)
    lookup[:len(distinct)] = distinct
    lookup[len(distinct)] = None  # index -1 picks it
    return lookup[codes]


class TableAssembler:
    """Collects the chunks of one table into whole columns, then makes a DataFrame or arrays.

    With the row count known in advance, each column is allocated once and every chunk is copied in
    and dropped, so the table is held about once; without it, chunks are concatenated at the end.
    """

    def __init__(self, first: TablePart, progress: Optional[Callable[[int], None]] = None) -> None:
        self.first = first
        self.total = first.total
        self.rows = 0
        self.progress = progress
        self.more: Optional[str] = first.more
        self._parts: List[TablePart] = []
        self._full: Optional[List[Column]] = None
        self._categories: List[Dict[str, int]] = [
            {c: i for i, c in enumerate(col.categories)} for col in first.columns]
        if first.more is not None and first.total is not None:
            self._allocate(first)
        self.add(first)

    def _allocate(self, first: TablePart) -> None:
        np = _np()
        self._full = []
        for col in first.columns:
            values = np.empty(self.total, dtype=col.values.dtype)
            self._full.append(Column(col.name, col.type, col.nullable, values,
                                     np.zeros(self.total, dtype=bool), list(col.categories), col.tz))

    def add(self, part: TablePart) -> None:
        """Adds the next chunk; its columns must be the first chunk's."""
        if len(part.columns) != len(self.first.columns):
            raise ValueError("a table chunk has different columns than the table's first chunk")
        for index, col in enumerate(part.columns):
            if col.type == "category" and part is not self.first:
                col.values = self._recode(index, col)
        if self._full is None:
            self._parts.append(part)
        else:
            end = self.rows + part.rows
            if end > len(self._full[0].values if self._full else ()):
                raise ValueError(f"the table sent more rows than the {self.total} it announced")
            for target, col in zip(self._full, part.columns):
                target.values[self.rows:end] = col.values
                if col.mask is not None:
                    target.mask[self.rows:end] = col.mask
            for col in part.columns:  # the frames can go now
                col.values = col.mask = None
        self.rows += part.rows
        self.more = part.more
        if self.progress is not None:
            self.progress(part.rows)

    def _recode(self, index: int, col: Column) -> Any:
        """A later chunk's category codes, renumbered into the first chunk's categories."""
        np = _np()
        known = self._categories[index]
        target = (self._full or self.first.columns)[index].categories
        lookup = []
        for name in col.categories:
            if name not in known:
                known[name] = len(target)
                target.append(name)
            lookup.append(known[name])
        table = np.asarray(lookup + [-1], dtype=np.int32)  # code -1 indexes the trailing -1
        return table[col.values]

    def columns(self) -> List[Column]:
        """The whole table's columns."""
        if self._full is not None:
            if self.rows != self.total:
                raise ValueError(f"the table announced {self.total} rows but sent {self.rows}")
            for col in self._full:
                if col.mask is not None and not col.mask.any():
                    col.mask = None
            return self._full
        if len(self._parts) == 1:
            return self._parts[0].columns
        np = _np()
        result = []
        for index, first in enumerate(self.first.columns):
            pieces = [part.columns[index] for part in self._parts]
            values = np.concatenate([p.values for p in pieces])
            mask = None
            if any(p.mask is not None for p in pieces):
                mask = np.concatenate([p.mask if p.mask is not None
                                       else np.zeros(len(p.values), dtype=bool) for p in pieces])
            result.append(Column(first.name, first.type, first.nullable, values, mask,
                                 first.categories, first.tz))
        self._parts = []
        return result

    def finish(self, as_frame: bool) -> Any:
        """A ``pandas.DataFrame`` when ``as_frame``, else a dict of numpy arrays."""
        columns = self.columns()
        if as_frame:
            return to_frame(columns, self.rows)
        return {col.name: to_array(col) for col in columns}


def to_array(col: Column) -> Any:
    """One column as numpy: masked arrays for nulls in integer and bool columns; NaN, NaT and
    ``None`` where the dtype has them; category names as an object array; aware datetimes in UTC."""
    np = _np()
    if col.type == "category":
        names = _object_array(np, list(col.categories) + [None])
        return names[col.values]
    if col.mask is not None and col.type in _FIXED and col.type not in ("float32", "float64"):
        return np.ma.MaskedArray(col.values, mask=col.mask)
    return col.values  # floats hold NaN, times NaT and objects None where null


def to_frame(columns: List[Column], rows: int) -> Any:
    """The columns as a ``pandas.DataFrame``, sharing the numeric buffers (no copy)."""
    import pandas as pd  # noqa: PLC0415 - only when a frame is asked for

    np = _np()
    data: Dict[str, Any] = {}
    for col in columns:
        data[col.name] = pd.Series(_series_values(pd, np, col), name=col.name, copy=False)
    # No columns= argument: with it pandas 1.x turns datetime columns into objects and back.
    frame = pd.DataFrame(data, copy=False) if data else pd.DataFrame(index=pd.RangeIndex(rows))
    if len(frame.index) != rows:
        frame.index = pd.RangeIndex(rows)
    return frame


def _series_values(pd: Any, np: Any, col: Column) -> Any:
    ctype, values, mask = col.type, col.values, col.mask
    if ctype in _NULLABLE_DTYPES and (col.nullable or mask is not None):
        return pd.arrays.IntegerArray(values, mask if mask is not None
                                      else np.zeros(len(values), dtype=bool))
    if ctype == "bool" and (col.nullable or mask is not None):
        return pd.arrays.BooleanArray(values, mask if mask is not None
                                      else np.zeros(len(values), dtype=bool))
    if ctype == "category":
        return pd.Categorical.from_codes(values, categories=list(col.categories))
    if ctype in _TIMES:
        if values.dtype.name.endswith("[us]"):
            try:  # pandas 1.x holds nanoseconds only
                values = values.astype(values.dtype.name.replace("[us]", "[ns]"))
                if (values.astype("<i8") == np.iinfo(np.int64).min).sum() != \
                        (col.values.astype("<i8") == np.iinfo(np.int64).min).sum():
                    raise OverflowError
            except (OverflowError, ValueError):
                return _object_array(np, [None if v is None else v for v in col.values.tolist()])
        if ctype == "datetimetz":
            tz = _dt.timezone.utc if col.tz == 0 else _dt.timezone(_dt.timedelta(minutes=col.tz))
            return pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(tz)
        return values
    return values


# --------------------------------------------------------------------------- sending


def _column_type_of_values(values: Sequence[Any]) -> str:
    present = [v for v in values if v is not None]
    tests: List[Tuple[str, Callable[[Any], bool]]] = [
        ("string", lambda v: isinstance(v, str)),
        ("bytes", lambda v: isinstance(v, (bytes, bytearray, memoryview))),
        ("bool", lambda v: isinstance(v, bool)),
        ("int64", lambda v: isinstance(v, int) and not isinstance(v, bool)),
        ("float64", lambda v: isinstance(v, float)),
        ("decimal", lambda v: isinstance(v, decimal.Decimal)),
        ("uuid", lambda v: isinstance(v, uuid.UUID)),
        ("datetimetz", lambda v: isinstance(v, _dt.datetime) and v.utcoffset() is not None),
        ("datetime", lambda v: isinstance(v, _dt.datetime) and v.utcoffset() is None),
        ("timespan", lambda v: isinstance(v, _dt.timedelta)),
    ]
    return next((t for t, test in tests if present and all(map(test, present))), "object")


def encode_columns(columns: Mapping[str, Any], masks: Mapping[str, Any], rows: int,
                   attach: Callable[[Any], Any]) -> Dict[str, Any]:
    """The ext 5 map of a table; ``attach(buffer)`` adds a frame and returns its reference.

    ``columns`` maps names to numpy arrays or pandas Series/arrays. Object columns holding only
    str (or bytes) travel as offsets plus bytes; other object columns travel inline as msgpack
    values, typed by what they hold.
    """
    np = _np()
    pd = sys.modules.get("pandas")
    specs = []
    for name, column in columns.items():
        spec: Dict[str, Any] = {"name": str(name)}
        mask = masks.get(name)
        dtype = getattr(column, "dtype", None)
        if pd is not None and isinstance(column, (pd.Series, pd.Index)):
            column = column.array
        if pd is not None and isinstance(dtype, pd.CategoricalDtype):
            codes = np.asarray(column.codes, dtype="<i4")
            spec.update(type="category", data=attach(np.ascontiguousarray(codes)),
                        categories=[str(c) for c in column.categories])
            mask = codes < 0
        elif pd is not None and isinstance(dtype, pd.DatetimeTZDtype):
            utc = np.asarray(column.tz_convert("UTC").tz_localize(None).asi8 if hasattr(
                column, "tz_convert") else column.asi8, dtype="<i8")
            offset = _fixed_offset_minutes(dtype.tz)
            mask = utc == np.iinfo(np.int64).min
            spec.update(type="datetimetz", unit="ns", tz=offset, data=attach(utc))
        elif pd is not None and dtype is not None and isinstance(
                dtype, pd.api.extensions.ExtensionDtype) and hasattr(column, "_mask"):
            # pandas' masked arrays (Int32, boolean, Float64): values plus mask, both numpy
            kind = str(dtype).lower()
            kind = "bool" if kind == "boolean" else kind
            if kind not in _FIXED:
                raise ValueError(f"column {name!r}: dtype {dtype} cannot be sent")
            mask = np.asarray(column._mask, dtype=bool)
            values = np.ascontiguousarray(np.asarray(column._data), dtype=_FIXED[kind])
            spec.update(type=kind, data=attach(values))
        else:
            array = np.asarray(column)
            kind = array.dtype.kind
            if kind in "iufb":
                ctype = "bool" if kind == "b" else array.dtype.name
                if ctype not in _FIXED:
                    raise ValueError(f"column {name!r}: dtype {array.dtype} cannot be sent")
                spec.update(type=ctype,
                            data=attach(np.ascontiguousarray(array, dtype=_FIXED[ctype])))
            elif kind in "mM":
                unit = np.datetime_data(array.dtype)[0]
                if unit not in ("ns", "us"):
                    array = array.astype(array.dtype.name.split("[")[0] + "[ns]")
                    unit = "ns"
                ints = np.ascontiguousarray(array.view("<i8"))
                null = ints == np.iinfo(np.int64).min
                mask = null if mask is None else (np.asarray(mask, dtype=bool) | null)
                spec.update(type="datetime" if kind == "M" else "timespan", unit=unit,
                            data=attach(ints))
            else:
                values = array.tolist() if array.dtype != object else list(array)
                nulls = [_is_null(v) for v in values]
                values = [None if n else v for v, n in zip(values, nulls)]
                ctype = _column_type_of_values(values)
                if ctype in ("string", "bytes"):
                    encoded = [b"" if v is None else (v.encode("utf-8") if ctype == "string"
                                                      else bytes(v)) for v in values]
                    offsets = np.zeros(len(encoded) + 1, dtype="<i4")
                    if encoded:
                        np.cumsum([len(e) for e in encoded], out=offsets[1:])
                    spec.update(type=ctype, data=attach(b"".join(encoded)),
                                offsets=attach(offsets))
                    mask = np.asarray(nulls, dtype=bool)
                else:
                    spec.update(type=ctype, values=values)
                    mask = None
                    spec["nulls"] = sum(nulls)
                    spec["nullable"] = any(nulls)
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if len(mask) != rows:
                raise ValueError(f"column {name!r}: mask has {len(mask)} values for {rows} rows")
            count = int(mask.sum())
            spec["nulls"] = count
            spec["nullable"] = count > 0 or _declared_nullable(dtype)
            if count:
                spec["mask"] = attach(np.ascontiguousarray(mask).view("u1"))
        else:
            spec.setdefault("nulls", 0)
            spec.setdefault("nullable", _declared_nullable(dtype))
        specs.append(spec)
    return {"layout": LAYOUT, "rows": rows, "columns": specs}


def _declared_nullable(dtype: Any) -> bool:
    name = str(dtype)
    return name in ("boolean", "string") or name[:1] in ("I", "U", "F")


def _fixed_offset_minutes(tz: Any) -> int:
    """The tz's offset in whole minutes when it is fixed, else 0 (the values travel as UTC)."""
    try:
        jan = tz.utcoffset(_dt.datetime(2000, 1, 1))
        jul = tz.utcoffset(_dt.datetime(2000, 7, 1))
    except Exception:  # noqa: BLE001 - odd tz objects
        return 0
    if jan is None or jan != jul or jan % _dt.timedelta(minutes=1):
        return 0
    return int(jan // _dt.timedelta(minutes=1))


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    pd = sys.modules.get("pandas")
    if pd is not None and (value is pd.NaT or value is getattr(pd, "NA", None)):
        return True
    return isinstance(value, float) and value != value
