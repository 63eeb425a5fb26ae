"""Network namespaces for tests that need separate hosts (as root): namespaces with loopback up, joined by veth
links, always deleted afterwards."""

from __future__ import annotations

import subprocess
from contextlib import contextmanager
from typing import Iterator, List


def ip(*args: str) -> None:
    """Run ``ip ARGS`` or raise with its error output."""
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")


@contextmanager
def namespaces(*names: str) -> Iterator[None]:
    """Create the namespaces (loopback up) for the block; delete them after, also when creating one failed."""
    created: List[str] = []
    try:
        for name in names:
            ip("netns", "add", name)
            created.append(name)
            ip("-n", name, "link", "set", "lo", "up")
        yield
    finally:
        for name in created:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def link(namespace: str, device: str, address: str, peer_namespace: str, peer_device: str, peer_address: str) -> None:
    """A veth pair between two namespaces, each end addressed (CIDR) and up."""
    ip("link", "add", device, "netns", namespace, "type", "veth", "peer", "name", peer_device, "netns", peer_namespace)
    ip("-n", namespace, "addr", "add", address, "dev", device)
    ip("-n", peer_namespace, "addr", "add", peer_address, "dev", peer_device)
    ip("-n", namespace, "link", "set", device, "up")
    ip("-n", peer_namespace, "link", "set", peer_device, "up")
