"""HTTP over a raw socket, for tests that must see what was sent and when the answer came:
a request's headers without the body they announce, a chunked body streamed until the server
refuses it. urllib would send the whole body before reading any answer."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

from sandbox.payloads import FORM


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def post_head(url: str, headers: dict[str, str], path: str = "/slack/events") -> bytes:
    """A POST's request line and headers (the caller adds Content-Length or chunking)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {urlsplit(url).netloc}", f"Content-Type: {FORM}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode()


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body, read until the server closes."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    header, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = header.decode("latin-1").split("\r\n")
    fields = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), fields, body


def send(url: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """The headers, then `body` (possibly not the one announced), then the answer."""
    with connect(url) as sock:
        sock.sendall(post_head(url, headers) + body)
        status, _, answer = read_answer(sock)
    return status, answer


def chunked(data: bytes, size: int = 64 * 1024) -> bytes:
    """`data` in Transfer-Encoding: chunked framing, with the closing chunk."""
    pieces = [data[start : start + size] for start in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


def stream_chunked(url: str, headers: dict[str, str], offered: int) -> tuple[int, bytes, int]:
    """Offer `offered` bytes in 64 KiB chunks, stopping as soon as the server answers or
    closes; returns the status, the answer's body and the bytes the server let us send."""
    block = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
    sent = 0
    with connect(url) as sock:
        sock.sendall(post_head(url, {"Transfer-Encoding": "chunked", **headers}))
        sock.settimeout(0.2)
        try:
            while sent < offered and not select.select([sock], [], [], 0)[0]:
                try:
                    sent += sock.send(block)
                except TimeoutError:
                    continue
        except OSError:  # reset: the server closed with our bytes unread
            pass
        sock.settimeout(10)
        status, _, answer = read_answer(sock)
    return status, answer, sent
