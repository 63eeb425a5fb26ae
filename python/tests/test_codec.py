"""Codec round trips in pure Python (protocol.md §4), no server."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import struct
import uuid

import msgpack
import numpy as np
import pandas as pd
import pytest

from zerobridge import SerializationError, _codec
from zerobridge._codec import decode, encode

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def roundtrip(value):
    body, attachments = encode(value)
    return decode(body, [bytes(a) for a in attachments])


@pytest.mark.parametrize("value", [
    None, True, False, 0, -1, 2**63 - 1, -2**63, 2**64 - 1, 1.5, "", "héllo ✓ 日本 🎉",
    b"", b"\x00\xff", [1, "a", None], {"a": {"b": [1, 2]}}, {1: "int key"},
    dt.datetime(2024, 3, 1, 12, 34, 56, 789123),
    dt.datetime(2024, 3, 1, 12, 34, 56, tzinfo=PLUS2),
    dt.datetime(2024, 3, 1, 12, 34, 56, tzinfo=UTC),
    dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
    dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5), dt.timedelta(-1, 5), dt.timedelta(0),
    decimal.Decimal("-1234.5600"), decimal.Decimal("0.0000001"), decimal.Decimal("79228162514264337593543950335"),
    uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e"),
])
def test_values_survive_a_round_trip(value):
    result = roundtrip(value)
    assert result == value
    assert type(result) is type(value)
    if isinstance(value, dt.datetime):
        assert result.utcoffset() == value.utcoffset()


def test_decimal_keeps_its_scale_and_never_uses_an_exponent():
    body, _ = encode(decimal.Decimal("1E+3"))
    assert msgpack.unpackb(body) == msgpack.ExtType(3, b"1000")
    assert str(roundtrip(decimal.Decimal("1.2300"))) == "1.2300"
    with pytest.raises(SerializationError):
        encode(decimal.Decimal("NaN"))


def test_datetime_wire_format_is_ticks_and_offset_minutes():
    body, _ = encode(dt.datetime(2024, 3, 1, 12, 34, 56, tzinfo=PLUS2))
    ext = msgpack.unpackb(body)
    assert ext.code == 1 and len(ext.data) == 10
    ticks, offset = struct.unpack(">qh", ext.data)
    assert ticks == 638448932960000000  # new DateTime(2024,3,1,12,34,56).Ticks
    assert offset == 120
    naive = msgpack.unpackb(encode(dt.datetime(1970, 1, 1))[0])
    assert naive.data == struct.pack(">q", 621355968000000000)


def test_ticks_round_down_to_a_microsecond():
    ext = msgpack.ExtType(1, struct.pack(">q", 621355968000000000 + 19))
    assert decode(msgpack.packb(ext)) == dt.datetime(1970, 1, 1, 0, 0, 0, 1)
    span = msgpack.ExtType(2, struct.pack(">q", 19))
    assert decode(msgpack.packb(span)) == dt.timedelta(microseconds=1)


def test_msgpack_timestamp_decodes_as_utc_datetime():
    body = msgpack.packb(msgpack.Timestamp(seconds=1, nanoseconds=2000))
    assert decode(body) == dt.datetime(1970, 1, 1, 0, 0, 1, 2, tzinfo=UTC)


def test_unknown_ext_codes_stay_opaque():
    assert decode(msgpack.packb(msgpack.ExtType(42, b"xy"))) == msgpack.ExtType(42, b"xy")


def test_uuid_is_16_bytes_in_network_order():
    value = uuid.uuid4()
    assert msgpack.unpackb(encode(value)[0]) == msgpack.ExtType(4, value.bytes)


def test_large_binaries_become_attachments():
    big, small = b"a" * 65536, b"b" * 65535
    body, attachments = encode({"big": big, "small": small, "view": memoryview(big),
                                "array": bytearray(big)})
    assert len(attachments) == 3
    raw = msgpack.unpackb(body)
    assert raw["big"] == msgpack.ExtType(6, struct.pack(">I", 0))
    assert raw["small"] == small
    assert decode(body, attachments) == {"big": big, "small": small, "view": big, "array": big}


def test_attachment_reference_out_of_range_is_an_error():
    with pytest.raises(SerializationError):
        decode(msgpack.packb(msgpack.ExtType(6, struct.pack(">I", 1))), [b"only one"])


def test_sets_tuples_numpy_and_pandas_scalars_are_encoded_sensibly():
    value = {"set": {3}, "tuple": (1, 2), "np_int": np.int16(7), "np_float": np.float32(0.5),
             "np_bool": np.bool_(True), "array": np.arange(3),
             "ts": pd.Timestamp("2024-01-01 00:00:00.0000001"), "td": pd.Timedelta("1s"),
             "nat": pd.NaT, "date": dt.date(2024, 5, 6)}
    result = roundtrip(value)
    assert result["set"] == [3] and result["tuple"] == [1, 2]
    assert result["np_int"] == 7 and result["np_float"] == 0.5 and result["np_bool"] is True
    assert result["array"] == [0, 1, 2]
    assert result["ts"] == dt.datetime(2024, 1, 1)  # 100 ns sent, microseconds kept
    assert result["td"] == dt.timedelta(seconds=1)
    assert result["nat"] is None and result["date"] == dt.datetime(2024, 5, 6)
    ticks = struct.unpack(">q", msgpack.unpackb(encode(value["ts"])[0]).data)[0]
    assert ticks % 10 == 1


def test_unsupported_values_raise_serialization_error():
    with pytest.raises(SerializationError, match="object"):
        encode(object())
    with pytest.raises(SerializationError):
        encode(2**64)


def _frame():
    return pd.DataFrame({
        "i": np.array([1, 2, 3], dtype="int32"), "f": [1.0, math.nan, 3.0],
        "s": ["a", None, "ü"], "b": [True, False, True],
        "t": pd.to_datetime(["2024-01-01", "2024-01-02", None]),
        "tz": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]).tz_localize(PLUS2),
        "d": [decimal.Decimal("1.50")] * 3, "c": pd.Categorical(["x", "y", "x"]),
        "ni": pd.array([1, None, 3], dtype="Int64"),
        "td": pd.to_timedelta([1, 2, None], unit="s"),
        "o": [[1], {"a": 1}, None],
    })


def test_dataframe_columns_get_types_from_dtypes():
    table = _codec.table_from_frame(_frame())
    types = {c["name"]: (c["type"], c["nullable"]) for c in table["columns"]}
    assert types == {
        "i": ("int32", False), "f": ("float64", False), "s": ("string", True),
        "b": ("bool", False), "t": ("datetime", True), "tz": ("datetimetz", False),
        "d": ("decimal", False), "c": ("category", False), "ni": ("int64", True),
        "td": ("timespan", True), "o": ("object", True),
    }
    assert table["layout"] == "lists" and table["rows"] == 3


def test_dataframe_round_trip_keeps_values_and_dtypes():
    frame = _frame()
    result = roundtrip(frame)
    assert list(result.columns) == list(frame.columns)
    assert str(result["i"].dtype) == "int32"
    assert str(result["f"].dtype) == "float64" and math.isnan(result["f"][1])
    assert str(result["b"].dtype) == "bool"
    assert str(result["t"].dtype) == "datetime64[ns]" and pd.isna(result["t"][2])
    assert isinstance(result["tz"].dtype, pd.DatetimeTZDtype)
    assert result["tz"][0].utcoffset() == dt.timedelta(hours=2)
    assert result["d"][0] == decimal.Decimal("1.50")
    assert str(result["c"].dtype) == "category"
    assert str(result["ni"].dtype) == "Int64" and pd.isna(result["ni"][1])
    assert str(result["td"].dtype) == "timedelta64[ns]" and pd.isna(result["td"][2])
    assert result["o"][0] == [1] and result["o"][1] == {"a": 1}
    assert result["s"].tolist() == ["a", None, "ü"]


def _table(columns, data, rows):
    return msgpack.packb(msgpack.ExtType(5, msgpack.packb(
        {"layout": "lists", "rows": rows, "columns": columns, "data": data})))


def test_table_dtypes_follow_the_protocol():
    columns = [{"name": n, "type": t, "nullable": nl} for n, t, nl in [
        ("u8", "uint8", False), ("n16", "int16", True), ("nb", "bool", True),
        ("f32", "float32", True), ("cat", "category", False)]]
    data = [[1, 255], [None, -3], [True, None], [None, 1.5], ["Red", "Blue"]]
    result = decode(_table(columns, data, 2))
    assert [str(t) for t in result.dtypes] == ["uint8", "Int16", "boolean", "float32", "category"]
    assert result["u8"].tolist() == [1, 255]


def test_mixed_offsets_become_utc():
    stamps = [msgpack.ExtType(1, struct.pack(">qh", 638448932960000000, m)) for m in (60, 120)]
    body = _table([{"name": "t", "type": "datetimetz", "nullable": False}], [stamps], 2)
    column = decode(body)["t"]
    assert str(column.dt.tz) == "UTC"
    assert column[0] == pd.Timestamp("2024-03-01 11:34:56", tz="UTC")


def test_empty_table_keeps_its_columns():
    columns = [{"name": "X", "type": "float64", "nullable": False},
               {"name": "Label", "type": "string", "nullable": True}]
    result = decode(_table(columns, [[], []], 0))
    assert list(result.columns) == ["X", "Label"] and len(result) == 0
    assert str(result["X"].dtype) == "float64"


def test_out_of_range_datetimes_stay_python_objects():
    minimum = msgpack.ExtType(1, struct.pack(">q", 0))
    body = _table([{"name": "t", "type": "datetime", "nullable": False}], [[minimum]], 1)
    assert decode(body)["t"][0] == dt.datetime(1, 1, 1)


def test_without_pandas_a_table_is_a_list_of_dicts(monkeypatch):
    monkeypatch.setattr(_codec, "_import_pandas", lambda: None)
    columns = [{"name": "X", "type": "float64", "nullable": False},
               {"name": "Label", "type": "string", "nullable": True}]
    assert decode(_table(columns, [[1.0, 2.0], ["a", None]], 2)) == [
        {"X": 1.0, "Label": "a"}, {"X": 2.0, "Label": None}]


def test_nested_table_inside_a_map():
    columns = [{"name": "X", "type": "int32", "nullable": False}]
    inner = msgpack.ExtType(5, msgpack.packb({"layout": "lists", "rows": 1, "columns": columns,
                                              "data": [[7]]}))
    result = decode(msgpack.packb({"points": inner, "tags": ["x"]}))
    assert isinstance(result["points"], pd.DataFrame) and result["points"]["X"][0] == 7
