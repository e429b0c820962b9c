"""``wasi:http`` (types and outgoing-handler) implemented in Python.

HTTP/1.1 is spoken with h11 (a sans-I/O parser) over a new plain or TLS
socket per request (no keep-alive pool), driven from :func:`~.io.poll`:

* ``handle`` answers at once; nothing is sent yet. Every request goes where
  the guest aims it, with the headers it set: there is no egress policy
  and no secret substitution here (trusted, single-tenant use only).
* The first time the guest waits on the response, the exchange connects,
  sends the request (the body is buffered: the guest finishes it before
  waiting) and reads until the head arrives.
* The body is read as the guest reads it, at most 64 KiB ahead.

Every blocking step is bounded by the request's own timeouts
(``request-options``), the earliest timer the guest waits on, and the call's
hang guard. Receiving is resumable, so a guest timer firing first loses
nothing; connecting and sending are not, so an exchange whose connect or
send a guest timer cuts short fails as ``connection-timeout``.
"""

from __future__ import annotations

import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

import h11

from ..call import CallState
from ..values import Case, Err, Ok
from .interface import Interface
from .io import InputStream, OutputStream, Pollable

#: Most response bytes read ahead of the guest, and read per ``recv``.
READ_AHEAD = 64 << 10

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: Headers a guest may not set (the host frames the message), as wasmtime.
_FORBIDDEN = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host", "http2-settings"}
)


class Fields:
    """``fields`` (also ``headers`` and ``trailers``): ordered name/value pairs."""

    def __init__(self, entries: list[tuple[str, bytes]] | None = None, mutable: bool = True) -> None:
        self.entries = entries or []
        self.mutable = mutable

    def values(self, name: str) -> list[bytes]:
        name = name.lower()
        return [v for n, v in self.entries if n.lower() == name]


def _field_error(name: str, value: bytes = b"") -> Case | None:
    if not _TOKEN.fullmatch(name) or any(b in value for b in b"\r\n\0"):
        return Case("invalid-syntax")
    if name.lower() in _FORBIDDEN:
        return Case("forbidden")
    return None


def _from_list(call: CallState, entries: list[tuple[str, bytes]]) -> Ok | Err:
    for name, value in entries:
        error = _field_error(name, value)
        if error is not None:
            return Err(error)
    return Ok(Fields(list(entries)))


def _edit(fields: Fields, name: str, values: list[bytes], replace: bool) -> Ok | Err:
    if not fields.mutable:
        return Err(Case("immutable"))
    for value in values or [b""]:
        error = _field_error(name, value)
        if error is not None:
            return Err(error)
    if replace:
        fields.entries = [(n, v) for n, v in fields.entries if n.lower() != name.lower()]
    fields.entries += [(name, v) for v in values]
    return Ok(None)


class OutgoingRequest:
    """A request the guest builds; its headers are frozen from the start."""

    def __init__(self, headers: Fields) -> None:
        headers.mutable = False
        self.headers = headers
        self.method = "GET"
        self.scheme: Case | None = None
        self.authority: str | None = None
        self.path = "/"
        self.body: OutgoingBody | None = None
        self.body_taken = False


def _set_method(call: CallState, request: OutgoingRequest, method: Case) -> Ok | Err:
    name = method.value if method.tag == "other" else method.tag.upper()
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        return Err(None)
    request.method = name
    return Ok(None)


def _set_authority(call: CallState, request: OutgoingRequest, authority: str | None) -> Ok | Err:
    if authority is not None and (not authority or re.search(r"[/?#\s\\]", authority)):
        return Err(None)
    request.authority = authority
    return Ok(None)


def _set_path(call: CallState, request: OutgoingRequest, path: str | None) -> Ok | Err:
    path = path or "/"
    if not path.startswith("/") or re.search(r"[\s#]", path):
        return Err(None)
    request.path = path
    return Ok(None)


def _set_scheme(call: CallState, request: OutgoingRequest, scheme: Case | None) -> Ok:
    request.scheme = scheme
    return Ok(None)


def _request_body(call: CallState, request: OutgoingRequest) -> Ok | Err:
    if request.body_taken:
        return Err(None)
    request.body_taken = True
    request.body = OutgoingBody()
    return Ok(request.body)


class RequestOptions:
    """Timeouts of one request, in seconds (``None``: not set)."""

    def __init__(self) -> None:
        self.connect: float | None = None
        self.first_byte: float | None = None
        self.between_bytes: float | None = None


def _timeout_setter(attribute: str) -> Any:
    def set_timeout(call: CallState, options: RequestOptions, nanos: int | None) -> Ok:
        setattr(options, attribute, None if nanos is None else nanos / 1e9)
        return Ok(None)

    return set_timeout


class OutgoingBody:
    """A request body, buffered whole."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.stream_taken = False
        self.finished = False
        self.dropped = False

    def _sink(self, chunk: bytes) -> bool:
        self.data += chunk
        return True

    def write(self) -> Ok | Err:
        if self.stream_taken:
            return Err(None)
        self.stream_taken = True
        return Ok(OutputStream(self._sink, lambda: READ_AHEAD))

    def close(self) -> None:
        # Dropped by the guest: unless finished, the request must not go out.
        self.dropped = not self.finished


def _finish_body(call: CallState, body: OutgoingBody, trailers: Fields | None) -> Ok | Err:
    if trailers is not None and trailers.entries:
        return Err(Case("internal-error", "request trailers are not supported"))
    body.finished = True
    return Ok(None)


def _classify(error: BaseException) -> Case:
    """The ``error-code`` of a failed connect, send or receive."""
    if isinstance(error, ConnectionRefusedError):
        return Case("connection-refused")
    if isinstance(error, socket.gaierror):
        return Case("DNS-error", {"rcode": str(error), "info-code": None})
    if isinstance(error, ssl.SSLCertVerificationError):
        return Case("TLS-certificate-error")
    if isinstance(error, ssl.SSLError):
        return Case("TLS-protocol-error")
    if isinstance(error, (ConnectionError, h11.RemoteProtocolError, EOFError)):
        return Case("connection-terminated")
    return Case("internal-error", f"{type(error).__name__}: {error}")


@dataclass(frozen=True)
class Authority:
    """Where a request goes: the scheme, host and port."""

    https: bool
    host: str
    port: int

    @classmethod
    def parse(cls, https: bool, authority: str) -> Authority:
        """``host[:port]`` (``[v6]:port`` too), the scheme's port by default."""
        if authority.startswith("["):
            host, _, rest = authority[1:].partition("]")
            port = rest.removeprefix(":")
        else:
            host, _, port = authority.partition(":")
        if port and not port.isdigit():
            raise ValueError(f"not a port: {port!r}")
        return cls(https, host, int(port) if port else 443 if https else 80)

    def connect(self, timeout: float) -> socket.socket:
        """A new connection (TLS with the system's roots for https)."""
        sock = socket.create_connection((self.host, self.port), timeout=max(timeout, 0.001))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            try:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        return sock


class Exchange:
    """One request and its response on one connection, driven by ``poll``.

    States: ``pending`` (not sent), ``sent`` (waiting for the head),
    ``head`` (reading the body), ``done``; ``error`` is set when it failed
    before the head, ``body_error`` after it.
    """

    def __init__(
        self,
        call: CallState,
        target: Authority,
        request: OutgoingRequest,
        headers: list[tuple[str, bytes]],
        options: RequestOptions | None,
    ) -> None:
        self.call = call
        self.target = target
        self.request = request
        self.headers = headers
        self.options = options or RequestOptions()
        self.state = "pending"
        self.error: Case | None = None
        self.body_error: str | None = None
        self.sock: socket.socket | None = None
        self.parser = h11.Connection(h11.CLIENT)
        self.last_progress = 0.0
        self.status = 0
        self.response_headers: list[tuple[str, bytes]] = []
        self.chunks = bytearray()
        self.holders = 0

    # -- readiness ----------------------------------------------------------
    def head_ready(self) -> bool:
        return self.state in ("head", "done") or self.error is not None

    def body_ready(self) -> bool:
        return bool(self.chunks) or self.state == "done" or self.body_error is not None or self.error is not None

    # -- driving ------------------------------------------------------------
    def drive(self, until: float) -> None:
        """Progress until something changed or ``until`` (monotonic) passed."""
        try:
            if self.state == "pending":
                body = self.request.body
                if body is not None and not body.finished:
                    if body.dropped:
                        self._fail(Case("internal-error", "the request body was dropped unfinished"))
                    else:  # The guest waits on a request it has not finished.
                        time.sleep(max(0.0, until - time.monotonic()))
                    return
                self._send(until)
            if self.state in ("sent", "head"):
                self._receive(until)
        except (OSError, h11.ProtocolError, EOFError) as error:
            self._fail(_classify(error))

    def _send(self, until: float) -> None:
        limit = until
        if self.options.connect is not None:
            limit = min(limit, time.monotonic() + self.options.connect)
        try:
            sock = self.target.connect(limit - time.monotonic())
        except TimeoutError:
            self._fail(Case("connection-timeout"))
            return
        self.sock = sock
        body = bytes(self.request.body.data) if self.request.body is not None else b""
        headers = [(b"Host", (self.request.authority or "").encode())]
        headers += [(n.encode("latin-1"), v) for n, v in self.headers]
        if not any(n.lower() == "content-length" for n, _ in self.headers):
            headers.append((b"Content-Length", str(len(body)).encode()))
        wire = self.parser.send(h11.Request(method=self.request.method, target=self.request.path, headers=headers))
        wire += self.parser.send(h11.Data(data=body)) if body else b""
        wire += self.parser.send(h11.EndOfMessage())
        sock.settimeout(max(until - time.monotonic(), 0.001))
        try:
            sock.sendall(wire)
        except TimeoutError:
            self._fail(Case("connection-write-timeout"))
            return
        self.state = "sent"
        self.last_progress = time.monotonic()

    def _receive(self, until: float) -> None:
        while True:
            event = self.parser.next_event()
            if event is h11.NEED_DATA:
                if self.state == "head" and len(self.chunks) >= READ_AHEAD:
                    return
                if not self._read(until):
                    return
                continue
            if isinstance(event, h11.Response):
                self.status = event.status_code
                self.response_headers = [(n.decode("latin-1"), bytes(v)) for n, v in event.headers]
                self.state = "head"
                self.last_progress = time.monotonic()
                return
            if isinstance(event, h11.Data):
                self.chunks += event.data
                return
            if isinstance(event, h11.EndOfMessage):
                self.state = "done"
                self._release()
                return
            if isinstance(event, h11.ConnectionClosed):
                raise EOFError("the server closed the connection")
            # InformationalResponse (1xx): keep reading.

    def _read(self, until: float) -> bool:
        """Feeds the parser what the socket has; ``False`` when time is up."""
        assert self.sock is not None
        option = self.options.first_byte if self.state == "sent" else self.options.between_bytes
        limit, by_option = until, False
        if option is not None and self.last_progress + option < limit:
            limit, by_option = self.last_progress + option, True
        wait = limit - time.monotonic()
        if wait > 0:
            self.sock.settimeout(wait)
            try:
                data = self.sock.recv(READ_AHEAD)
            except TimeoutError:
                data = None
        else:
            data = None
        if data is None:
            if by_option:
                self._fail(Case("connection-read-timeout"))
            return False
        self.last_progress = time.monotonic()
        self.parser.receive_data(data)
        return True

    def _fail(self, code: Case) -> None:
        self._close_socket()
        if self.state in ("head", "done"):
            self.body_error = f"{code.tag}: {code.value}" if code.value else code.tag
        else:
            self.error = code

    def _release(self) -> None:
        self._close_socket()

    def _close_socket(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    # -- lifetime -------------------------------------------------------------
    def hold(self) -> None:
        self.holders += 1

    def release(self) -> None:
        """One holder is gone; with none left an unfinished exchange is cut."""
        self.holders -= 1
        if self.holders <= 0 and self.state != "done":
            self._close_socket()
            if self.state == "head":
                self.body_error = "abandoned"


class _Held:
    """A resource that keeps its exchange alive until dropped."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.closed = False
        exchange.hold()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.exchange.release()


class FutureIncomingResponse(_Held):
    def __init__(self, exchange: Exchange) -> None:
        super().__init__(exchange)
        self.taken = False

    def get(self) -> Ok | Err | None:
        if not self.exchange.head_ready():
            return None
        if self.taken:
            return Err(None)
        self.taken = True
        if self.exchange.error is not None:
            return Ok(Err(self.exchange.error))
        return Ok(Ok(IncomingResponse(self.exchange)))


class IncomingResponse(_Held):
    def __init__(self, exchange: Exchange) -> None:
        super().__init__(exchange)
        self.consumed = False

    def consume(self) -> Ok | Err:
        if self.consumed:
            return Err(None)
        self.consumed = True
        return Ok(IncomingBody(self.exchange))


class IncomingBody(_Held):
    def __init__(self, exchange: Exchange) -> None:
        super().__init__(exchange)
        self.streamed = False

    def stream(self) -> Ok | Err:
        if self.streamed:
            return Err(None)
        self.streamed = True
        return Ok(InputStream(BodyReader(self.exchange)))


class BodyReader(_Held):
    """The :class:`~.io.Reader` of a response body."""

    def take(self, limit: int) -> bytes:
        chunks = self.exchange.chunks
        data = bytes(chunks[:limit])
        del chunks[:limit]
        return data

    def finished(self) -> bool:
        return self.exchange.state == "done" and not self.exchange.chunks

    def error(self) -> str | None:
        if self.exchange.chunks:
            return None
        return self.exchange.body_error

    def pollable(self) -> Pollable:
        return Pollable(self.exchange.body_ready, drive=self.exchange.drive)


def _handle(call: CallState, request: OutgoingRequest, options: RequestOptions | None) -> Ok | Err:
    scheme = request.scheme
    if scheme is None or not request.authority:
        return Err(Case("HTTP-request-URI-invalid"))
    if scheme.tag not in ("HTTP", "HTTPS"):
        return Err(Case("HTTP-protocol-error"))
    try:
        target = Authority.parse(scheme.tag == "HTTPS", request.authority)
    except ValueError:
        return Err(Case("HTTP-request-URI-invalid"))
    return Ok(FutureIncomingResponse(Exchange(call, target, request, list(request.headers.entries), options)))


def _response_headers(call: CallState, response: IncomingResponse) -> Fields:
    return Fields(list(response.exchange.response_headers), mutable=False)


def _future_pollable(call: CallState, future: FutureIncomingResponse) -> Pollable:
    return Pollable(future.exchange.head_ready, drive=future.exchange.drive)


INTERFACES = {
    "wasi:http/types": Interface(
        resources={
            "fields": Fields,
            "outgoing-request": OutgoingRequest,
            "request-options": RequestOptions,
            "outgoing-body": OutgoingBody,
            "future-incoming-response": FutureIncomingResponse,
            "incoming-response": IncomingResponse,
            "incoming-body": IncomingBody,
        },
        functions={
            "[constructor]fields": lambda call: Fields(),
            "[static]fields.from-list": _from_list,
            "[method]fields.get": lambda call, fields, name: fields.values(name),
            "[method]fields.has": lambda call, fields, name: bool(fields.values(name)),
            "[method]fields.set": lambda call, fields, name, values: _edit(fields, name, values, True),
            "[method]fields.append": lambda call, fields, name, value: _edit(fields, name, [value], False),
            "[method]fields.delete": lambda call, fields, name: _edit(fields, name, [], True),
            "[method]fields.entries": lambda call, fields: list(fields.entries),
            "[method]fields.clone": lambda call, fields: Fields(list(fields.entries)),
            "[constructor]outgoing-request": lambda call, headers: OutgoingRequest(headers),
            "[method]outgoing-request.body": _request_body,
            "[method]outgoing-request.set-method": _set_method,
            "[method]outgoing-request.set-path-with-query": _set_path,
            "[method]outgoing-request.set-scheme": _set_scheme,
            "[method]outgoing-request.set-authority": _set_authority,
            "[constructor]request-options": lambda call: RequestOptions(),
            "[method]request-options.set-connect-timeout": _timeout_setter("connect"),
            "[method]request-options.set-first-byte-timeout": _timeout_setter("first_byte"),
            "[method]request-options.set-between-bytes-timeout": _timeout_setter("between_bytes"),
            "[method]outgoing-body.write": lambda call, body: body.write(),
            "[static]outgoing-body.finish": _finish_body,
            "[method]future-incoming-response.subscribe": _future_pollable,
            "[method]future-incoming-response.get": lambda call, future: future.get(),
            "[method]incoming-response.status": lambda call, response: response.exchange.status,
            "[method]incoming-response.headers": _response_headers,
            "[method]incoming-response.consume": lambda call, response: response.consume(),
            "[method]incoming-body.stream": lambda call, body: body.stream(),
        },
    ),
    "wasi:http/outgoing-handler": Interface(functions={"handle": _handle}),
}
