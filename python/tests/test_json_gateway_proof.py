"""The JSON gateway's own key proof (docs/protocol.md §6.1) against the real C# server with an
allow-list: a bare pyzmq REQ socket, with PyNaCl doing the crypto and nothing of ``zerobridge``,
proves an allowed key with JSON ``auth.hello``/``auth.prove`` and then calls; before that, and with an
unknown key, every JSON request is refused ``unauthenticated`` and nothing runs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Dict

import nacl.public
import nacl.utils
import zmq
import zmq.auth
import zmq.utils.z85

from test_client_auth import keys, server  # noqa: F401 - the shared fixtures: keys, and the demo serving them


LABEL = b"zerobridge-client-proof-v1"


class JsonClient:
    """A REQ socket speaking the JSON gateway over CURVE as ``name``: pyzmq and PyNaCl only."""

    def __init__(self, endpoint: str, keys: Path, name: str) -> None:
        self.public, self.secret = zmq.auth.load_certificate(str(keys / f"{name}.key_secret"))
        self.server_key, _ = zmq.auth.load_certificate(str(keys / "server.key"))
        self.socket = zmq.Context.instance().socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.RCVTIMEO, 30_000)
        self.socket.curve_serverkey = self.server_key
        self.socket.curve_publickey = self.public
        self.socket.curve_secretkey = self.secret
        self.socket.connect(endpoint)

    def request(self, command: str, **args: Any) -> Dict[str, Any]:
        self.socket.send_string(json.dumps({"command": command, "args": args, "id": command}))
        reply = json.loads(self.socket.recv_string())
        assert reply.get("id", command) == command  # refusals before the request is read carry no id
        return reply

    def prove(self) -> Dict[str, Any]:
        """``auth.hello``, then ``auth.prove`` with a PyNaCl box of the label, both keys and the challenge."""
        hello = self.request("auth.hello")
        assert hello["ok"], hello
        challenge = base64.b64decode(hello["result"]["challenge"])
        assert len(challenge) == 32
        server, client = zmq.utils.z85.decode(self.server_key), zmq.utils.z85.decode(self.public)
        box = nacl.public.Box(nacl.public.PrivateKey(zmq.utils.z85.decode(self.secret)), nacl.public.PublicKey(server))
        nonce = nacl.utils.random(nacl.public.Box.NONCE_SIZE)
        proof = box.encrypt(LABEL + server + client + challenge, nonce).ciphertext

        def text(raw: bytes) -> str:
            return base64.b64encode(raw).decode("ascii")
        return self.request("auth.prove", key=self.public.decode("ascii"), challenge=text(challenge),
                            nonce=text(nonce), proof=text(proof))

    def close(self) -> None:
        self.socket.close()


def test_a_bare_json_client_proves_an_allowed_key_and_then_calls(server: str, keys: Path) -> None:  # noqa: F811
    client = JsonClient(server, keys, "analyst")
    try:
        refused = client.request("echo", value="before")
        assert not refused["ok"] and refused["error"]["code"] == "unauthenticated", refused
        assert "result" not in refused

        proved = client.prove()
        assert proved["ok"], proved
        assert proved["result"]["key"] == client.public.decode("ascii")

        assert client.request("echo", value=[1, 2]) == {"ok": True, "result": [1, 2], "id": "echo"}
        denied = client.request("sql.query", sql="select 1")  # proved, but outside the key's commands
        assert denied["error"]["code"] == "permission_denied", denied
    finally:
        client.close()


def test_a_json_proof_of_an_unknown_key_or_a_malformed_one_is_refused_and_nothing_runs(
        server: str, keys: Path) -> None:  # noqa: F811
    client = JsonClient(server, keys, "stranger")
    try:
        refused = client.prove()
        assert not refused["ok"] and refused["error"]["code"] == "unauthenticated", refused
        assert "allow-list" in refused["error"]["message"]
        malformed = client.request("auth.prove", key=client.public.decode("ascii"), challenge="%%%",
                                   nonce="AA==", proof="AA==")
        assert malformed["error"]["code"] == "bad_request", malformed
        still = client.request("echo", value="after")
        assert not still["ok"] and still["error"]["code"] == "unauthenticated", still
    finally:
        client.close()
