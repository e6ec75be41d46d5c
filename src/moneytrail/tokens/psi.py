"""Bilateral private set intersection (openmined-psi, ECDH-PSI): two members learn which accounts
they share without the hub and without showing each other the rest.

The items are the members' normalised identifiers (not coalition tokens: the hub's key plays no
part). The server answers one query: the client sends its blinded items, the server returns its
setup (a Bloom filter of its blinded items) and the client's items blinded again; only the client
learns the intersection. Messages are length-prefixed protobuf bytes over one TCP connection.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence

import private_set_intersection.python as psi

FALSE_POSITIVE_RATE = 1e-9
_LENGTH = struct.Struct(">I")


def _send(connection: socket.socket, payload: bytes) -> None:
    connection.sendall(_LENGTH.pack(len(payload)) + payload)


def _receive(connection: socket.socket) -> bytes:
    header = _exactly(connection, _LENGTH.size)
    return _exactly(connection, _LENGTH.unpack(header)[0])


def _exactly(connection: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = connection.recv(min(1 << 20, size - len(chunks)))
        if not chunk:
            raise ConnectionError("the other member closed the connection mid-message")
        chunks.extend(chunk)
    return bytes(chunks)


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket (port 0: any free port; read it from getsockname())."""
    server = socket.create_server((host, port))
    return server


def serve_once(listener: socket.socket, items: Sequence[str]) -> int:
    """Answer one member's query with our items; returns the size of the query."""
    server = psi.server.CreateWithNewKey(True)
    connection, _ = listener.accept()
    with connection:
        request = psi.Request()
        request.ParseFromString(_receive(connection))
        client_size = len(request.encrypted_elements)
        setup = server.CreateSetupMessage(FALSE_POSITIVE_RATE, client_size, list(items), psi.DataStructure.RAW)
        _send(connection, setup.SerializeToString())
        _send(connection, server.ProcessRequest(request).SerializeToString())
    return client_size


def query(host: str, port: int, items: Sequence[str], timeout: float = 60.0) -> list[str]:
    """Our items that the serving member also holds."""
    client = psi.client.CreateWithNewKey(True)
    ordered = list(items)
    with socket.create_connection((host, port), timeout=timeout) as connection:
        _send(connection, client.CreateRequest(ordered).SerializeToString())
        setup = psi.ServerSetup()
        setup.ParseFromString(_receive(connection))
        response = psi.Response()
        response.ParseFromString(_receive(connection))
    return sorted(ordered[i] for i in client.GetIntersection(setup, response))
