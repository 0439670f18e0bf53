"""`make run`'s buffering front: holds slow and idle client connections so gunicorn never
waits on a client.

gunicorn's gthread worker ties a thread to a connection while it reads the request: about a
hundred clients that send headers and then trickle the body took every thread of the default
2 × 8 and `/healthz` stopped answering. In production nginx sits in front
(`deploy/nginx.conf`) and buffers each request before it reaches gunicorn; on one developer
machine this does the same job without installing anything: one asyncio process reads a
whole request (head and body, with timeouts and size limits) while holding no thread, and
only then opens a loopback connection to gunicorn (a unix socket in the data directory),
sends the complete request and relays the answer. Responses are relayed as they arrive
(never held back), so the supervision stream's Server-Sent Events pass through at once; up
to `RESPONSE_BUFFER_BYTES` of a response is buffered for a slow reader, so a slow reader
does not hold a gunicorn thread for a normal answer either.

HTTP/1.1 framing (chunked bodies, keep-alive, pipelining, 100-continue, HEAD) is parsed by
h11, a pure-Python, sans-I/O implementation used by httpcore and uvicorn: parsing HTTP by
hand is where request smuggling comes from. Why not uvicorn or gevent in front of the WSGI
app: both hand the body to the application while it is still arriving (a thread or a
greenlet per slow client again, and gevent monkey-patches pymongo and the rest).

Run by the launcher as `python -m app.platform.front --listen HOST:PORT --upstream PATH`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

import h11

from app.http.raw_errors import error_body, phrase
from app.platform import gunicorn_conf

log = logging.getLogger("onevisit.front")

READ_CHUNK = 64 * 1024
RESPONSE_BUFFER_BYTES = 4 * 1024 * 1024
# Request headers a client may not set for the application: the front states the client's
# address itself, and frames the body it forwards itself.
_DROPPED_REQUEST_HEADERS = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"expect",
        b"content-length",
        b"forwarded",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-real-ip",
    }
)
_DROPPED_RESPONSE_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"transfer-encoding", b"trailer", b"upgrade"}
)


@dataclass(frozen=True)
class Limits:
    """Timeouts and sizes of the front (documented in docs/operations.md)."""

    header_timeout: float = 10.0  # the whole request head, from its first byte
    keepalive_timeout: float = 5.0  # idle wait for the next request on a connection
    body_timeout: float = 15.0  # between two reads of a request body
    request_timeout: float = 60.0  # the whole request, head and body
    upstream_timeout: float = 90.0  # between two reads of gunicorn's answer (SSE beats: 15 s)
    max_header_bytes: int = 16 * 1024  # the whole head
    # gunicorn's own limits (app/platform/gunicorn_conf.py), so that whatever the front
    # forwards gunicorn accepts, and every refusal is the front's, in the envelope.
    max_request_line: int = gunicorn_conf.limit_request_line
    max_header_fields: int = gunicorn_conf.limit_request_fields
    max_header_field_bytes: int = gunicorn_conf.limit_request_field_size
    max_body_bytes: int = 10 * 1024 * 1024 + 128 * 1024
    max_connections: int = 4096
    spool_bytes: int = 1024 * 1024  # bodies above this wait in a temporary file
    shutdown_grace: float = 3.0  # requests in flight get this long to finish on SIGTERM

    @classmethod
    def from_env(cls) -> Limits:
        upload = int(os.environ.get("ONEVISIT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
        body = int(os.environ.get("ONEVISIT_MAX_BODY_BYTES", 1024 * 1024))
        return cls(
            header_timeout=float(os.environ.get("ONEVISIT_FRONT_HEADER_TIMEOUT", 10.0)),
            body_timeout=float(os.environ.get("ONEVISIT_FRONT_BODY_TIMEOUT", 15.0)),
            request_timeout=float(os.environ.get("ONEVISIT_FRONT_REQUEST_TIMEOUT", 60.0)),
            max_connections=int(os.environ.get("ONEVISIT_FRONT_MAX_CONNECTIONS", 4096)),
            # The app answers 413 per endpoint; the front only refuses what no endpoint takes.
            max_body_bytes=max(upload, body) + 128 * 1024,
        )


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error_response(status: int, message: str) -> tuple[h11.Response, bytes]:
    """The front's own refusals, in the API's error envelope."""
    body, headers = error_body(status, message)
    return h11.Response(
        status_code=status,
        headers=[(n.lower().encode(), v.encode()) for n, v in headers],
        reason=phrase(status).encode(),
    ), body


def _check_head(request: h11.Request, limits: Limits) -> None:
    """gunicorn's head limits, refused here in the envelope (gunicorn would answer the same
    statuses, but the front answers before a connection to it is opened)."""
    # The request line as gunicorn counts it: "METHOD TARGET HTTP/1.1".
    if len(request.method) + len(request.target) + 10 > limits.max_request_line:
        raise _Refused(414, "The request line (method and URL) is too long.")
    if len(request.headers) > limits.max_header_fields:
        raise _Refused(431, "The request has too many header fields.")
    total = 0
    for name, value in request.headers:
        size = len(name) + len(value) + 2
        if size > limits.max_header_field_bytes:
            raise _Refused(431, "A request header field is too large.")
        total += size
    # h11 enforces the head size only while the head is incomplete: a head that arrived in
    # one read is measured here, so the limit does not depend on how the bytes were chunked.
    if total > limits.max_header_bytes:
        raise _Refused(431, "The request head (its header fields) is too large.")


def _protocol_refusal(
    conn: h11.Connection, exc: h11.RemoteProtocolError, limits: Limits
) -> tuple[int, str]:
    """What h11's refusal of a request head answers: 431 when the head outgrew the buffer
    (414 when its request line alone did), else 400."""
    if exc.error_status_hint == 431:
        pending = conn.trailing_data[0]
        if b"\n" not in pending[: limits.max_request_line + 1]:
            return 414, "The request line (method and URL) is too long."
        return 431, "The request head (its header fields) is too large."
    if exc.error_status_hint >= 400:
        return exc.error_status_hint, "Malformed request."
    return 400, "Malformed request."


class Front:
    def __init__(self, upstream: str, limits: Limits) -> None:
        self.upstream = upstream
        self.limits = limits
        self.connections: set[asyncio.Task[None]] = set()
        self.idle: set[asyncio.Task[None]] = set()  # not inside a proxied request
        self.stopping = False

    # ------------------------------------------------------------------ reading a request

    async def _event(self, conn: h11.Connection, reader: asyncio.StreamReader, timeout: float):
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await asyncio.wait_for(reader.read(READ_CHUNK), timeout)
            conn.receive_data(data)

    async def _read_request(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        first_request: bool,
    ) -> tuple[h11.Request, Any, int] | None:
        limits = self.limits
        # Wait for the first byte of the request (a reused connection: its keep-alive idle
        # time), then for the whole head.
        if not conn.trailing_data[0] and conn.their_state is h11.IDLE:
            idle = limits.header_timeout if first_request else limits.keepalive_timeout
            first = await asyncio.wait_for(reader.read(READ_CHUNK), idle)
            conn.receive_data(first)
            if not first:
                return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limits.request_timeout
        async with asyncio.timeout(limits.header_timeout):
            event = await self._event(conn, reader, limits.header_timeout)
        if isinstance(event, h11.ConnectionClosed):
            return None
        if not isinstance(event, h11.Request):
            raise _Refused(400, "Malformed request.")
        _check_head(event, limits)
        declared = dict(event.headers).get(b"content-length")
        if declared is not None and int(declared) > limits.max_body_bytes:
            raise _Refused(413, "The request body is larger than any endpoint accepts.")
        if conn.they_are_waiting_for_100_continue:
            writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
        body = tempfile.SpooledTemporaryFile(max_size=limits.spool_bytes)
        size = 0
        async with asyncio.timeout_at(deadline):
            while True:
                part = await self._event(conn, reader, limits.body_timeout)
                if isinstance(part, h11.Data):
                    size += len(part.data)
                    if size > limits.max_body_bytes:
                        body.close()
                        raise _Refused(413, "The request body is larger than any endpoint accepts.")
                    body.write(part.data)
                elif isinstance(part, h11.EndOfMessage):
                    break
                else:  # the client went away mid-body
                    body.close()
                    return None
        body.seek(0)
        return event, body, size

    # ------------------------------------------------------------------ relaying it

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.upstream.startswith("/") or self.upstream.startswith("unix:"):
            return await asyncio.open_unix_connection(self.upstream.removeprefix("unix:"))
        host, _, port = self.upstream.rpartition(":")
        return await asyncio.open_connection(host, int(port))

    async def _relay(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        body: Any,
        size: int,
        client: str,
    ) -> bool:
        """Send the buffered request to gunicorn and its answer to the client; whether the
        client connection can carry another request."""
        try:
            up_reader, up_writer = await asyncio.wait_for(self._open_upstream(), 5.0)
        except (OSError, TimeoutError):
            await self._send_error(conn, writer, 502, "The application server is not answering.")
            return False
        upstream = h11.Connection(h11.CLIENT)
        try:
            headers = [
                (name, value)
                for name, value in request.headers
                if name.lower() not in _DROPPED_REQUEST_HEADERS
            ]
            headers += [
                (b"x-forwarded-for", client.encode()),
                (b"x-forwarded-proto", b"http"),
                (b"content-length", str(size).encode()),
                (b"connection", b"close"),
            ]
            up_writer.write(
                upstream.send(
                    h11.Request(method=request.method, target=request.target, headers=headers)
                )
            )
            while chunk := body.read(READ_CHUNK):
                up_writer.write(upstream.send(h11.Data(data=chunk)))
                await up_writer.drain()
            up_writer.write(upstream.send(h11.EndOfMessage()))
            await up_writer.drain()
            started = False
            while True:
                event = await self._event(upstream, up_reader, self.limits.upstream_timeout)
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    kept = [
                        (n, v)
                        for n, v in event.headers
                        if n.lower() not in _DROPPED_RESPONSE_HEADERS
                    ]
                    if self.stopping:
                        kept.append((b"connection", b"close"))
                    writer.write(
                        conn.send(
                            h11.Response(
                                status_code=event.status_code, headers=kept, reason=event.reason
                            )
                        )
                    )
                    started = True
                elif isinstance(event, h11.Data):
                    writer.write(conn.send(h11.Data(data=event.data)))
                    # Buffer up to RESPONSE_BUFFER_BYTES for a slow reader, then wait for it.
                    await writer.drain()
                elif isinstance(event, h11.EndOfMessage):
                    writer.write(conn.send(h11.EndOfMessage()))
                    await writer.drain()
                    return not self.stopping
                else:
                    break
            if not started:
                await self._send_error(conn, writer, 502, "The application server hung up.")
            return False
        except (h11.ProtocolError, OSError, TimeoutError):
            if conn.our_state is h11.SEND_RESPONSE:
                await self._send_error(conn, writer, 502, "The application server failed.")
            return False
        finally:
            body.close()
            up_writer.close()

    async def _send_error(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int, message: str
    ) -> None:
        if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        response, payload = _error_response(status, message)
        with contextlib.suppress(h11.ProtocolError, OSError):
            writer.write(conn.send(response))
            writer.write(conn.send(h11.Data(data=payload)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()

    # ------------------------------------------------------------------ a connection

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        self.idle.add(task)
        writer.transport.set_write_buffer_limits(high=RESPONSE_BUFFER_BYTES)
        peer = writer.get_extra_info("peername")
        client = peer[0] if isinstance(peer, tuple) else "127.0.0.1"
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
        try:
            if len(self.connections) > self.limits.max_connections:
                await self._send_error(conn, writer, 503, "Too many connections; retry shortly.")
                return
            served = 0
            while not self.stopping:
                try:
                    parsed = await self._read_request(conn, reader, writer, served == 0)
                except _Refused as exc:
                    await self._send_error(conn, writer, exc.status, exc.message)
                    return
                except h11.RemoteProtocolError as exc:
                    status, message = _protocol_refusal(conn, exc, self.limits)
                    await self._send_error(conn, writer, status, message)
                    return
                except TimeoutError:
                    if conn.their_state is not h11.IDLE:
                        await self._send_error(conn, writer, 408, "The request took too long.")
                    return
                if parsed is None:
                    return
                self.idle.discard(task)
                keep = await self._relay(conn, writer, *parsed, client)
                served += 1
                self.idle.add(task)
                if not keep or conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (OSError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            return
        finally:
            self.connections.discard(task)
            self.idle.discard(task)
            writer.close()

    async def run(self, host: str, port: int) -> None:
        server = await asyncio.start_server(self.serve, host, port, backlog=2048)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        log.info("front listening", extra={"listen": f"{host}:{port}", "upstream": self.upstream})
        async with server:
            await stop.wait()
            # Stop accepting; drop connections that are idle or still sending a request
            # (nothing of theirs reached the application), let answers in flight finish.
            self.stopping = True
            server.close()
            for task in list(self.idle):
                task.cancel()
            busy = [t for t in self.connections if t not in self.idle]
            if busy:
                await asyncio.wait(busy, timeout=self.limits.shutdown_grace)
            for task in list(self.connections):
                task.cancel()
            if self.connections:
                await asyncio.wait(list(self.connections), timeout=1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--upstream", required=True, help="unix socket path, or HOST:PORT")
    args = parser.parse_args(argv)
    from app.logs import configure_logging

    configure_logging(os.environ.get("ONEVISIT_LOG_LEVEL", "INFO").upper())
    host, _, port = args.listen.rpartition(":")
    with contextlib.suppress(ValueError, OSError):
        import resource

        # Every held connection is a descriptor (two while relayed): use the hard limit.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(Front(args.upstream, Limits.from_env()).run(host, int(port)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
