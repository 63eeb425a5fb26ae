"""The README's `zbridge call` and `zbridge sub` lines, as written there, as real CLI processes against the test host."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from support import RECV_TIMEOUT
from test_cli_errors import DEADLINE, REPO, ZBRIDGE, zbridge


_SUB_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} (\S+) #(\d+) (.*)$")


def test_call_orders_recent_as_the_readme_shows(endpoint, client):
    # README: ./zbridge call tcp://127.0.0.1:5555 orders.recent n=3   (JSON into a pipe)
    result = zbridge("call", endpoint, "orders.recent", "n=3")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    expected = client.call("orders.recent", n=3)
    assert [row["Id"] for row in rows] == expected["Id"].tolist()


def test_sub_prints_what_a_publisher_sends_as_the_readme_shows(client):
    # README: ./zbridge sub tcp://127.0.0.1:5556 prices.   (--count 1 so that it ends by itself)
    publisher = client.call("stream.start", snapshot="", name="readme")
    try:
        sub = subprocess.Popen([str(ZBRIDGE), "sub", publisher["endpoint"], "prices.", "--count", "1"], cwd=REPO,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # A subscription takes effect some time after the connect: publish until the CLI prints one value.
            # Another topic first: the CLI must not print it.
            for _ in range(int(DEADLINE / 0.2)):
                client.call("stream.publish", id=publisher["id"], topic="other.x")
                client.call("stream.publish", id=publisher["id"], topic="prices.eurusd")
                try:
                    out, err = sub.communicate(timeout=0.2)
                    break
                except subprocess.TimeoutExpired:
                    continue
            else:
                pytest.fail("zbridge sub printed no value")
        finally:
            if sub.poll() is None:
                sub.kill()
                sub.communicate(timeout=RECV_TIMEOUT)
    finally:
        client.call("stream.stop", id=publisher["id"])
    assert sub.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 1, out
    match = _SUB_LINE.match(lines[0])
    assert match, lines[0]
    topic, sequence, value = match.group(1), int(match.group(2)), json.loads(match.group(3))
    assert topic == "prices.eurusd" and sequence >= 1
    assert value["i"] == 0 and "sent" in value
    assert "Subscribed to 'prices.'" in err and re.search(r"\d+ received, 0 gap", err), err
