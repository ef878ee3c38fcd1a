"""A TCP proxy in front of PostgreSQL that passes every byte at once but holds back the server's close of a
connection until told: what a client sees between reading a backend's last words (a FATAL "terminating
connection" error, sent when the server ends the backend) and noticing that the socket closed.

Under load that moment lasts one turn of the event loop, long enough for a task waiting on the pool to take the
connection and send a statement; the proxy stretches it until `release()`, so a test can send one there."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection


class HeldCloseProxy:
    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._server: asyncio.Server | None = None
        self._released = asyncio.Event()
        self._pumps: set[asyncio.Task[None]] = set()
        self.closed_by_server = 0
        self._changed = asyncio.Condition()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, database_url: str) -> str:
        """`database_url` through the proxy."""
        return (
            make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)
        )

    async def wait_closed_by_server(self, count: int, within: float = 10.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: self.closed_by_server >= count)

    def release(self) -> None:
        """Passes on the closes held so far, and every later one at once."""
        self._released.set()

    async def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.close()
        for task in list(self._pumps):
            task.cancel()
        for task in list(self._pumps):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self._upstream)
        for pump in (self._to_server(client_r, server_w), self._to_client(server_r, client_w)):
            task = asyncio.create_task(pump)
            self._pumps.add(task)
            task.add_done_callback(self._pumps.discard)

    async def _to_server(self, client_r: asyncio.StreamReader, server_w: asyncio.StreamWriter) -> None:
        try:
            await _copy(client_r, server_w)
        finally:
            server_w.close()

    async def _to_client(self, server_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        await _copy(server_r, client_w)
        async with self._changed:
            self.closed_by_server += 1
            self._changed.notify_all()
        await self._released.wait()
        client_w.close()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


@asynccontextmanager
async def held_close_proxy(host: str = "127.0.0.1", port: int = 5432) -> AsyncIterator[HeldCloseProxy]:
    proxy = HeldCloseProxy(host, port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


async def driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under `conn` (it stays the same one in the pool after `conn` is closed)."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


def _unread_bytes(driver: asyncpg.Connection) -> bool:
    sock = driver._transport.get_extra_info("socket")  # type: ignore[attr-defined]
    peek = socket.socket(fileno=sock.fileno())
    try:
        return peek.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return False
    finally:
        peek.detach()  # the descriptor stays the driver's


async def read_everything(driver: asyncpg.Connection, within: float = 5.0) -> None:
    """Waits until `driver` has read every byte the server sent it (its event-loop reader has run)."""
    async with asyncio.timeout(within):
        while _unread_bytes(driver):  # noqa: ASYNC110 (the driver signals no such event; each turn lets it read)
            await asyncio.sleep(0)
