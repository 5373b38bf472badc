"""The listening socket of ``serve`` and its workers: accepted connections have Nagle off.

With Nagle on, a keep-alive answer that uvicorn writes in two parts (head, then body)
waits for the client's delayed ACK: ~40 ms per request, 22 requests/s on one connection
(measured before the fix). asyncio turns Nagle off only on sockets it can tell are TCP;
uvicorn's ``fd=`` path reopened the inherited descriptor as ``AF_UNIX`` and lost it.
"""

from __future__ import annotations

import asyncio
import os
import socket

from ledger_service.cli import workers


def _nodelay_of_accepted(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by asyncio's own server on ``listener``."""
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(main())
    assert seen, "no connection was accepted"
    return seen[0]


def test_the_bound_socket_is_tcp_and_accepted_connections_have_nagle_off() -> None:
    listener = workers.bind("127.0.0.1", 0)
    assert (listener.family, listener.proto) == (socket.AF_INET, socket.IPPROTO_TCP)
    assert _nodelay_of_accepted(listener) != 0


def test_a_worker_adopts_the_inherited_descriptor_as_tcp_with_nagle_off() -> None:
    listener = workers.bind("127.0.0.1", 0)
    adopted = workers.adopt(os.dup(listener.fileno()))  # what a child gets via pass_fds
    assert (adopted.family, adopted.type, adopted.proto) == (
        socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # fmt: skip
    assert _nodelay_of_accepted(adopted) != 0
    listener.close()
