"""Tables in the columnar layout (protocol.md §10) against the real C# test host: every column type
with and without nulls, empty and one-row tables, unicode and very long strings, chunked transfers,
10 million rows, DataFrames and numpy arrays sent to C#, and dicts of numpy arrays instead of
DataFrames."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

import zerobridge
from conftest import _start

pytestmark = pytest.mark.server

EPOCH = dt.datetime(2024, 1, 2, 3, 4, 5)
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def chunked_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A test host that cuts tables into 64 KiB chunks."""
    process = _start(tmp_path_factory.mktemp("chunked"), "--table-chunk-bytes", str(CHUNK))
    yield process.endpoint
    process.stop()


@pytest.fixture
def chunked(chunked_endpoint: str) -> Iterator[zerobridge.Client]:
    with zerobridge.connect(chunked_endpoint, timeout=60, progress=False) as client:
        yield client


def expected_row(i: int, nulls: bool) -> dict:
    """Row i of tables.types, as Python values (mirrors TableTestCommands.Types)."""
    none = nulls and i % 3 == 1
    return {
        "Flag": i % 2 == 0, "I8": i % 100 - 50, "I16": i * 7 - 300, "I32": i * 1000 - 5,
        "I64": i * 10_000_000_000 - 3, "U8": i % 250, "U16": i * 3, "U32": i * 100_000,
        "U64": i * 10_000_000_000 + (2**64 - 1) // 2, "F32": i + 0.5, "F64": i * 1.25 - 0.1,
        "Money": decimal.Decimal("1234.5600") + i, "Text": None if none else f"row {i} ü€😀",
        "Blob": None if none else bytes([i % 256, 0, 255]),
        "At": pd.Timestamp(EPOCH) + pd.Timedelta(i * 1_234_567 * 100, "ns"),
        "AtTz": pd.Timestamp(EPOCH + dt.timedelta(hours=i)).tz_localize(
            dt.timezone(dt.timedelta(minutes=150))),
        "Took": pd.Timedelta(milliseconds=i * 1500.5) - pd.Timedelta(seconds=1),
        "Id": uuid.UUID(bytes=i.to_bytes(4, "big") + b"\x00\x02\x00\x03" + bytes([4, 5, 6, 7, 8, 9, 10, i % 256])),
        "Level": ["Low", "Medium", "High"][i % 3],
        "MaybeInt": None if none else i, "MaybeFlag": None if none else i % 2 == 1,
        "MaybeDouble": None if none else i / 4.0,
        "MaybeAt": None if none else pd.Timestamp(EPOCH + dt.timedelta(days=i)),
        "MaybeTook": None if none else pd.Timedelta(minutes=i),
        "MaybeId": None if none else uuid.UUID(bytes=i.to_bytes(4, "big") + bytes(12)),
        "MaybeLevel": None if none else ["Low", "Medium", "High"][(i + 1) % 3],
        "MaybeMoney": None if none else decimal.Decimal(i) * decimal.Decimal("0.01"),
    }


EXPECTED_DTYPES = {
    "Flag": "bool", "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64", "U8": "uint8",
    "U16": "uint16", "U32": "uint32", "U64": "uint64", "F32": "float32", "F64": "float64",
    "Money": "object", "Text": "object", "Blob": "object", "At": "datetime64[ns]",
    "AtTz": "datetime64[ns, UTC+02:30]", "Took": "timedelta64[ns]", "Id": "object",
    "Level": "category", "MaybeInt": "Int32", "MaybeFlag": "boolean", "MaybeDouble": "float64",
    "MaybeAt": "datetime64[ns]", "MaybeTook": "timedelta64[ns]", "MaybeId": "object",
    "MaybeLevel": "category", "MaybeMoney": "object",
}


def assert_rows(frame: pd.DataFrame, rows: int, nulls: bool) -> None:
    assert list(frame.columns) == list(EXPECTED_DTYPES)
    assert {c: str(frame[c].dtype) for c in frame} == EXPECTED_DTYPES
    assert len(frame) == rows
    for i in range(rows):
        expected = expected_row(i, nulls)
        for name, value in expected.items():
            got = frame[name].iloc[i]
            if value is None:
                assert pd.isna(got), (i, name, got)
            elif isinstance(value, float):
                assert got == pytest.approx(value, rel=1e-6), (i, name)
            else:
                assert got == value, (i, name, got, value)


@pytest.mark.parametrize("nulls", [False, True])
def test_every_column_type_arrives_with_its_dtype_and_values(client, nulls):
    assert_rows(client.call("tables.types", rows=7, nulls=nulls), 7, nulls)


def test_an_empty_table_keeps_its_columns_and_dtypes(client):
    frame = client.call("tables.types_list", rows=0)
    assert len(frame) == 0 and list(frame.columns) == list(EXPECTED_DTYPES)
    assert str(frame["I64"].dtype) == "int64" and str(frame["MaybeInt"].dtype) == "Int32"


def test_a_one_row_table(client):
    assert_rows(client.call("tables.types_list", rows=1, nulls=True), 1, True)


def test_numeric_columns_share_the_received_frames(client):
    frame = client.call("tables.numbers", rows=1000)
    amount = frame["amount"].to_numpy()
    assert amount.base is not None and not amount.flags.owndata  # a view over the frame
    assert frame["id"].sum() == sum(range(1000))
    assert frame["count"].isna().sum() == 100 and str(frame["count"].dtype) == "Int32"


def test_unicode_empty_null_and_very_long_strings(client):
    values = ["", None, "ascii", "ünïcödé", "日本語テキスト", "emoji 😀🎉", "x" * 5_000_000,
              "é" * 1_000_000, "\x00inner nul\x00"]
    frame = client.call("tables.strings", values=values)
    assert frame["Value"].tolist() == values


def test_arrays_instead_of_a_frame_per_call(client):
    arrays = client.call_with("tables.numbers", kwargs={"rows": 50}, as_frame=False)
    assert isinstance(arrays, dict) and set(arrays) == {"id", "amount", "at", "count"}
    assert arrays["id"].dtype == np.int64 and arrays["at"].dtype == np.dtype("datetime64[ns]")
    assert isinstance(arrays["count"], np.ma.MaskedArray) and arrays["count"].mask.sum() == 5
    typed = client.call_with("tables.types", kwargs={"rows": 4, "nulls": True}, as_frame=False)
    assert typed["Level"].tolist() == ["Low", "Medium", "High", "Low"]
    assert typed["Text"][1] is None and typed["Text"][0] == "row 0 ü€😀"


def test_a_client_can_default_to_arrays(endpoint):
    with zerobridge.connect(endpoint, timeout=10, as_frame=False) as client:
        assert isinstance(client.call("tables.numbers", rows=3), dict)
        assert isinstance(client.call_with("tables.numbers", kwargs={"rows": 3}, as_frame=True),
                          pd.DataFrame)


def test_datatable_and_data_reader_sources(client):
    for command in ("tables.datatable", "tables.reader"):
        frame = client.call(command, rows=10)
        assert frame["id"].tolist() == list(range(10)), command
        assert frame["name"].tolist() == [f"name {i}" for i in range(10)]
        assert frame["score"].isna().tolist() == [i % 4 == 0 for i in range(10)]


def test_sql_query_lands_in_a_typed_frame(client):
    frame = client.sql.query(text="SELECT id, customer_id, status FROM orders ORDER BY id LIMIT 20")
    assert len(frame) == 20 and str(frame["id"].dtype) == "int64"


def test_sql_query_streams_a_large_result_in_chunks_equal_to_the_whole(client, chunked):
    # 40,000 orders are many 64 KiB chunks read straight from the SQLite reader on the chunked host.
    text = "SELECT id, customer_id, status, ordered_at, total_cents / 100.0 AS total FROM orders ORDER BY id"
    whole, streamed = client.sql.query(text=text), chunked.sql.query(text=text)
    assert len(whole) == 40_000
    pd.testing.assert_frame_equal(whole, streamed)


def test_sql_query_whose_column_changes_type_between_chunks_fails_naming_it(chunked):
    # SQLite types each value: the first chunk fixed the column as integers, a later one holds text.
    text = "SELECT CASE WHEN id < 30000 THEN id ELSE 'late' END AS mixed FROM orders ORDER BY id"
    with pytest.raises(zerobridge.RemoteError, match="'mixed'.*first chunk"):
        chunked.sql.query(text=text)
    assert chunked.call("ping") == "pong"


@pytest.mark.parametrize("command", ["tables.types", "tables.types_list"])
def test_chunked_tables_are_reassembled(chunked, command):
    # 3000 rows of every type is several 64 KiB chunks; the generator has no row count up front.
    frame = chunked.call(command, rows=3000, nulls=True)
    assert len(frame) == 3000
    for i in (0, 1, 2, 1499, 2998, 2999):
        expected = expected_row(i, True)
        for name, value in expected.items():
            got = frame[name].iloc[i]
            assert pd.isna(got) if value is None else (
                got == pytest.approx(value, rel=1e-6) if isinstance(value, float) else got == value), \
                (i, name, got, value)
    assert {c: str(frame[c].dtype) for c in frame} == EXPECTED_DTYPES


def test_chunked_reader_and_arrays(chunked):
    frame = chunked.call("tables.reader", rows=20_000)
    assert frame["id"].tolist() == list(range(20_000))
    arrays = chunked.call_with("tables.numbers", kwargs={"rows": 50_000}, as_frame=False)
    assert arrays["id"].tolist() == list(range(50_000)) and arrays["count"].mask.sum() == 5000


def test_a_chunked_table_shows_progress_with_tqdm_unless_turned_off(chunked, monkeypatch):
    import zerobridge._call

    bars = []

    class Recorder:
        def __init__(self, total=None, initial=0, **options):
            self.total, self.n, self.closed, self.options = total, initial, False, options
            bars.append(self)

        def update(self, rows):
            self.n += rows

        def close(self):
            self.closed = True

    monkeypatch.setattr(zerobridge._call, "progress_bar_class", lambda: Recorder)
    frame = chunked.call_with("tables.numbers", kwargs={"rows": 200_000}, progress=True)
    assert len(frame) == 200_000
    assert len(bars) == 1 and bars[0].total == 200_000 and bars[0].n == 200_000 and bars[0].closed
    chunked.call_with("tables.numbers", kwargs={"rows": 200_000}, progress=False)
    assert len(bars) == 1


def test_an_abandoned_cursor_is_refused_and_the_server_keeps_serving(chunked):
    with pytest.raises(zerobridge.NotFound):
        chunked.call("table.next", cursor="0" * 32)
    assert chunked.call("table.close", cursor="0" * 32) is False
    assert chunked.ping() == "pong"


async def _acall(client):
    return await client.acall("tables.numbers", rows=30_000)


def test_async_calls_reassemble_chunks(chunked):
    import asyncio

    frame = asyncio.run(_acall(chunked))
    assert frame["id"].tolist() == list(range(30_000))


def test_ten_million_rows_numeric(endpoint):
    # Numeric and datetime columns only, to keep the test's runtime modest: 290 MB in 64 MiB chunks.
    with zerobridge.connect(endpoint, timeout=300, progress=False) as client:
        arrays = client.call_with("tables.numbers", kwargs={"rows": 10_000_000}, as_frame=False)
    ids = arrays["id"]
    assert len(ids) == 10_000_000 and ids[0] == 0 and ids[-1] == 9_999_999
    assert bool((np.diff(ids) == 1).all())
    assert arrays["amount"][-1] == 9_999_999 * 0.5
    assert arrays["at"][-1] == np.datetime64("2020-01-01") + np.timedelta64(9_999_999, "s")
    assert arrays["count"].mask.sum() == 1_000_000


# ---------------------------------------------------------------- DataFrame -> C#


def test_a_dataframe_argument_arrives_typed_column_by_column(client):
    frame = pd.DataFrame({
        "i64": np.arange(5, dtype=np.int64),
        "i32": pd.array([1, None, 3, None, 5], dtype="Int32"),
        "f64": [0.5, 1.5, np.nan, 3.5, 4.5],
        "flag": [True, False, True, False, True],
        "text": ["a", None, "ü", "日本", ""],
        "at": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-04", "2024-01-05"]),
        "cat": pd.Categorical(["x", "y", None, "x", "y"]),
    })
    described = client.call("tables.describe", table=frame)
    assert described["i64"]["clr"] == "Int64" and described["i64"]["sum"] == 10
    assert described["i32"]["clr"] == "Int32" and described["i32"]["nulls"] == 2
    assert described["i32"]["sum"] == 9
    assert described["f64"]["clr"] == "Double"
    assert described["flag"]["clr"] == "Boolean"
    assert described["text"] == {**described["text"], "clr": "String", "nulls": 1, "first": "a"}
    assert described["at"]["clr"] == "DateTime" and described["at"]["nulls"] == 1
    assert described["at"]["first"] == dt.datetime(2024, 1, 1)
    assert described["cat"]["type"] == "category" and described["cat"]["nulls"] == 1


def test_a_dataframe_round_trips_through_csharp(client):
    frame = pd.DataFrame({
        "id": np.arange(1000, dtype=np.int64),
        "small": np.arange(1000, dtype=np.int16),
        "amount": np.linspace(0, 1, 1000),
        "name": [f"customer {i} ✓" for i in range(1000)],
        "at": pd.date_range("2024-01-01", periods=1000, freq="s"),
        "tz": pd.date_range("2024-01-01", periods=1000, freq="min", tz="UTC"),
        "took": pd.to_timedelta(np.arange(1000), unit="ms"),
        "maybe": pd.array([None if i % 7 == 0 else i for i in range(1000)], dtype="Int64"),
        "flag": pd.array([None if i % 5 == 0 else i % 2 == 0 for i in range(1000)], dtype="boolean"),
        "money": [decimal.Decimal(i) / 100 for i in range(1000)],
        "uid": [uuid.UUID(int=i) for i in range(1000)],
        "level": pd.Categorical(["a", "b", "c", None] * 250),
    })
    back = client.call("tables.echo", table=frame)
    pd.testing.assert_frame_equal(back, frame, check_categorical=False)


def test_a_table_of_numpy_arrays_needs_no_pandas(client):
    table = zerobridge.Table({"x": np.arange(4, dtype=np.int32), "y": np.array([1.0, 2.0, 3.0, 4.0])},
                             masks={"x": np.array([False, True, False, False])})
    described = client.call("tables.describe", table=table)
    assert described["x"]["clr"] == "Int32" and described["x"]["nulls"] == 1
    assert described["x"]["sum"] == 5 and described["y"]["sum"] == 10.0


def test_a_table_with_a_broken_buffer_is_refused_and_the_server_keeps_serving(client, raw_socket):
    import msgpack

    from zerobridge import _protocol

    header = {"layout": "columns", "rows": 10, "columns": [
        {"name": "x", "type": "int64", "data": msgpack.ExtType(6, (0).to_bytes(4, "big"))}]}
    args = msgpack.packb([[], {"table": msgpack.ExtType(5, msgpack.packb(header))}])
    sock = raw_socket()
    sock.send_multipart(_protocol.build_request("zerobridge", 1, "tables.describe", args, [b"\x00" * 12]))
    assert sock.poll(10_000)
    reply = _protocol.parse_reply(sock.recv_multipart())
    error = msgpack.unpackb(reply.payload)
    assert not reply.ok and error["code"] in ("invalid_argument", "bad_request")
    assert "12 bytes" in error["message"]
    assert client.ping() == "pong"


# --------------------------------------------------------------------------- string fast paths

REPEATED = ["Customer 001", "", None, "ünïcödé 😀", "Customer 002", "\x00nul"]


def test_repetitive_strings_travel_dictionary_encoded_and_share_their_objects(client):
    values = [REPEATED[i % len(REPEATED)] for i in range(6000)]
    column = client.call("tables.strings", values=values)["Value"]
    assert column.dtype == object and column.tolist() == values
    assert column[0] is column[6]  # one str per distinct value: the dictionary path ran


def test_distinct_strings_travel_plain_ascii_unicode_and_with_nuls(client):
    ascii_only = [f"name {i:06d}" if i % 7 else ("" if i % 2 else None) for i in range(5000)]
    unicode = [f"é{i}😀" if i % 5 else None for i in range(5000)]
    with_nul = [f"a\x00{i}" for i in range(300)]
    for values in (ascii_only, unicode, with_nul, ["solo"], ["", ""], [None, None]):
        column = client.call("tables.strings", values=values)["Value"]
        assert column.tolist() == values


def _raw_strings_reply(raw_socket, accept):
    """tables.strings over a raw socket, with or without the "accept" header key; the column spec."""
    import msgpack

    from zerobridge import _protocol

    args = msgpack.packb([[], {"values": ["x", "y"] * 100}])
    frames = _protocol.build_request("zerobridge", 5, "tables.strings", args)
    header = msgpack.unpackb(frames[3])
    if accept is None:
        del header["accept"]
    else:
        header["accept"] = accept
    frames[3] = msgpack.packb(header)
    sock = raw_socket()
    sock.send_multipart(frames)
    assert sock.poll(10_000)
    reply = _protocol.parse_reply(sock.recv_multipart())
    assert reply.ok
    table = msgpack.unpackb(reply.payload, ext_hook=lambda code, data: (code, data))
    assert table[0] == 5
    return msgpack.unpackb(table[1], ext_hook=lambda code, data: (code, data))["columns"][0]


def test_dictionary_strings_only_for_clients_that_accept_them(raw_socket):
    assert "indices" in _raw_strings_reply(raw_socket, ["dict"])
    plain = _raw_strings_reply(raw_socket, None)  # an older client: offsets for every row
    assert "indices" not in plain
    assert "indices" not in _raw_strings_reply(raw_socket, ["something-else"])
