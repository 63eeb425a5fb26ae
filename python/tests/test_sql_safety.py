"""sql.query against the real demo commands: read-only for real, and bounded by the caller's deadline."""

from __future__ import annotations

import pytest

import zerobridge
from support import mdp_reply, mdp_request, recv_multipart

RUNAWAY = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n WHERE i < 0"


@pytest.mark.parametrize("statement", [
    "PRAGMA query_only = OFF",
    "VACUUM INTO '/tmp/zerobridge-sql-safety-copy.db'",
    "ATTACH DATABASE ':memory:' AS other",
    "DELETE FROM orders",
])
def test_statements_beyond_reading_are_permission_denied(client, statement):
    with pytest.raises(zerobridge.PermissionDenied):
        client.sql.query(statement)
    assert client.ping() == "pong"


def test_runaway_queries_end_at_the_servers_deadline_and_the_server_keeps_serving(raw_socket):
    # The header's deadline is the server's own (the Python client waits less than it, and cancels instead). More
    # runaway queries than cores: without the interrupt they would run until the server restarts, never replying.
    socket = raw_socket()
    for request_id in range(4):
        socket.send_multipart(mdp_request({"v": 1, "id": request_id, "cmd": "sql.query", "timeout": 300},
                                          [[], {"text": RUNAWAY}]))
    codes = {}
    for _ in range(4):
        header, payload = mdp_reply(recv_multipart(socket, timeout=60))
        codes[header["id"]] = payload["code"]
    assert codes == {i: "timeout" for i in range(4)}

