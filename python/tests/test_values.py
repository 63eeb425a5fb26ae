"""Values round trip through the real C# test host, type by type, both ways."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid

import pandas as pd
import pytest

import zerobridge
from support import expected_blob

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2))
GUID = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")


@pytest.mark.parametrize("kind,value", [
    ("int8", -128), ("int8", 127), ("uint8", 255), ("int16", -32768), ("uint16", 65535),
    ("int32", -2**31), ("int32", 2**31 - 1), ("uint32", 2**32 - 1), ("int64", -2**63),
    ("int64", 2**63 - 1), ("uint64", 2**64 - 1), ("float32", 1.5), ("float64", math.pi),
    ("float64", -0.0), ("float64", math.inf), ("decimal", decimal.Decimal("-1234.5600")),
    ("decimal", decimal.Decimal("79228162514264337593543950335")), ("bool", True),
    ("bool", False), ("string", "héllo ✓ 日本 🎉 \u0000 end"), ("string", ""), ("char", "é"),
    ("bytes", b"\x00\x01\xff"), ("bytes", b""), ("memory", b"abc"),
    ("datetime", dt.datetime(2024, 3, 1, 12, 34, 56, 789123)),
    ("datetimeoffset", dt.datetime(2024, 3, 1, 12, 34, 56, 789123, tzinfo=PLUS2)),
    ("timespan", dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5)),
    ("timespan", dt.timedelta(-1, 5)), ("guid", GUID), ("color", "Green"),
    ("int_array", [1, 2, 3]), ("int_array", []), ("string_list", ["a", "ü"]),
    ("int_map", {"a": 1, "b": -2}), ("point", {"X": 1.5, "Y": -2.0, "Label": "p"}),
    ("point", {"X": 0.0, "Y": 0.0, "Label": None}), ("nullable_int", None),
    ("nullable_int", 5),
])
def test_typed_echo_returns_the_value_unchanged(client, kind, value):
    result = client.call(f"typed.{kind}", value)
    assert result == value
    assert type(result) is type(value)
    if isinstance(value, float) and value == 0:
        assert math.copysign(1, result) == math.copysign(1, value)
    if isinstance(value, dt.datetime):
        assert result.utcoffset() == value.utcoffset()


def test_float64_nan_round_trips(client):
    assert math.isnan(client.call("typed.float64", math.nan))


def test_tuples_and_enums_bind_like_the_protocol_says(client):
    assert client.call("typed.tuple", (7, "seven")) == [7, "seven"]
    assert client.call("typed.color", "blue") == "Blue"  # case-insensitive member name
    assert client.call("typed.color", 1) == "Green"  # by value
    assert client.call("typed.float64", 3) == 3.0  # ints bind to floating point
    assert client.call("typed.decimal", 3) == decimal.Decimal(3)


def test_datetime_parameters_convert_aware_and_naive_values(client):
    aware = dt.datetime(2024, 3, 1, 12, 0, tzinfo=PLUS2)
    as_datetime = client.call("typed.datetime", aware)  # aware -> Kind Utc -> offset 0
    assert as_datetime == aware and as_datetime.utcoffset() == dt.timedelta(0)
    naive = dt.datetime(2024, 3, 1, 12, 0)
    as_offset = client.call("typed.datetimeoffset", naive)  # naive taken as UTC
    assert as_offset == naive.replace(tzinfo=UTC)


def test_records_travel_as_dataframes(client):
    frame = pd.DataFrame({"X": [1.0, 2.5], "Y": [-1.0, 0.0], "Label": ["a", None]})
    result = client.call("typed.points", frame)
    assert isinstance(result, pd.DataFrame)
    assert list(result.columns) == ["X", "Y", "Label"]
    assert result["X"].tolist() == [1.0, 2.5] and result["Label"].tolist() == ["a", None]
    assert str(result["X"].dtype) == "float64"


SAMPLES = {
    "null": None, "int64_max": 9223372036854775807, "uint64_max": 18446744073709551615,
    "int32_min": -2147483648, "float32": 1.5, "decimal": decimal.Decimal("12345.6789"),
    "datetime_utc": dt.datetime(2024, 3, 1, 12, 34, 56, 789000, tzinfo=UTC),
    "datetime_unspecified": dt.datetime(2024, 3, 1, 12, 34, 56),
    "datetimeoffset": dt.datetime(2024, 3, 1, 12, 34, 56, tzinfo=PLUS2),
    "timespan": dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5), "guid": GUID,
    "enum": "Green", "bytes": bytes(range(10)), "tuple": [1, "two"],
    "record": {"X": 1.5, "Y": -2.0, "Label": "p"}, "dictionary": {"a": 1, "b": 2},
    "nullable_null": None,
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sample_values_made_in_csharp(client, kind):
    value = client.call("types.sample", kind)
    expected = SAMPLES[kind]
    assert value == expected and type(value) is type(expected)
    if isinstance(expected, dt.datetime):
        assert value.utcoffset() == expected.utcoffset()


def test_sample_double_nan(client):
    assert math.isnan(client.call("types.sample", "double_nan"))


def test_sample_records_and_nested_values(client):
    records = client.call("types.sample", "records")
    assert isinstance(records, pd.DataFrame) and len(records) == 3
    assert list(records.columns) == ["X", "Y", "Label"]
    assert str(records["X"].dtype) == "float64" and str(records["Y"].dtype) == "float64"
    empty = client.call("types.sample", "empty_records")
    assert isinstance(empty, pd.DataFrame) and len(empty) == 0
    assert list(empty.columns) == ["X", "Y", "Label"]
    nested = client.call("types.sample", "nested")
    assert isinstance(nested["points"], pd.DataFrame) and len(nested["points"]) == 3
    assert nested["tags"] == ["x", "y"]
    assert nested["when"] == SAMPLES["datetime_utc"]


@pytest.mark.parametrize("value,clr", [
    ("text", "String"), (dt.datetime(2024, 1, 1), "DateTime"),
    (dt.datetime(2024, 1, 1, tzinfo=PLUS2), "DateTimeOffset"), (GUID, "Guid"),
    (decimal.Decimal("12.50"), "Decimal"), (dt.timedelta(seconds=5), "TimeSpan"),
    (b"\x01\x02", "Byte[]"), (b"x" * 70000, "Byte[]"), ([1, "a"], "Object[]"),
    ({"a": 1}, "Dictionary`2"), (pd.DataFrame({"a": [1]}), "TableData"),
])
def test_describe_shows_what_csharp_received(client, value, clr):
    assert client.call("types.describe", value)["clr"] == clr


def test_describe_integers_and_values(client):
    assert client.call("types.describe", 2**63 - 1) == {"clr": "Int64",
                                                          "text": "9223372036854775807"}
    assert client.call("types.describe", decimal.Decimal("12.50"))["text"] == "12.50"
    assert client.call("types.describe", GUID)["text"] == str(GUID)
    assert client.call("types.describe", 5)["text"] == "5"


def test_unicode_and_nested_echo(client):
    value = {"ключ": ["ü", {"深": [1, 2.5, None, True]}], "emoji": "🎉" * 1000}
    assert client.call("echo", value) == value


@pytest.mark.parametrize("size", [100, 65535, 65536, 5_000_000])
def test_large_bytes_travel_as_attachments_both_ways(client, size):
    blob = client.call("test.blob", size)
    assert blob == expected_blob(size)
    assert client.call("test.length", blob) == size
    assert client.call("test.length", bytearray(blob)) == size
    assert client.call("echo", {"data": memoryview(blob)}) == {"data": blob}
