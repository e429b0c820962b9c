"""All outbound policy in one place, and the connections allowed requests use.

A call may reach only its Siptel base URL (the host's ``siptel_base_url``, or
the call's own), whatever the config's ``base-url`` says: the same scheme,
host and port, and a path under the base URL's path prefix (an API gateway
may serve several tenants under one host, each under its own path). Any
other request is answered ``HTTP-request-denied`` without leaving the
machine, logged (logger ``siptel_sms.egress``) and listed in
:attr:`Egress.denied`. Redirects are never followed. This mirrors
``Scope::admits`` in ``host-harness/src/egress.rs``.

The same check then puts the host's secrets on the request
(:mod:`siptel_sms.secrets`): an ``Authorization: Bearer secret:<name>``
becomes ``Bearer <key>`` when the call was granted ``name``; a name not
granted (or not held) refuses the request, so the placeholder never leaves
the machine either.
"""

from __future__ import annotations

import logging
import re
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from .secrets import Vault, reference

log = logging.getLogger("siptel_sms.egress")

#: Idle keep-alive connections kept per authority.
MAX_IDLE = 16

#: A path segment of a base URL: RFC 3986 ``pchar``s, escapes well-formed.
_PCHARS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+")
_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Authority:
    """A scheme with a host and an explicit port, compared as text."""

    https: bool
    host_port: str

    @classmethod
    def parse(cls, https: bool, authority: str) -> Authority:
        """``authority`` with the scheme's default port made explicit. Kept as
        text on purpose: parsing would drop userinfo and let ``user@host``
        pass as ``host``."""
        authority = authority.lower()
        host, _, port = authority.rpartition(":")
        has_port = bool(host) and not host.endswith(":") and port.isdigit() and not authority.endswith("]")
        if has_port and int(port) > 65535:
            has_port = False
        if not has_port:
            authority = f"{authority}:{443 if https else 80}"
        return cls(https, authority)

    @property
    def host(self) -> str:
        host = self.host_port.rpartition(":")[0]
        return host[1:-1] if host.startswith("[") else host

    @property
    def port(self) -> int:
        return int(self.host_port.rpartition(":")[2])

    def __str__(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.host_port}"


def _percent_decode(segment: str) -> bytes | None:
    """``segment`` with its ``%XX`` escapes decoded; ``None`` for a malformed one."""
    raw = segment.encode("utf-8")
    if raw.count(b"%") != len(_ESCAPE.findall(raw)):
        return None
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def normalized_segments(path: str) -> tuple[bytes, ...] | None:
    """The segments of an absolute path, each percent-decoded, with ``.`` and
    ``..`` resolved as RFC 3986 ``remove_dot_segments`` does (after decoding,
    so ``%2e%2e`` counts as ``..``). ``None`` for a malformed escape."""
    out: list[bytes] = []
    for raw in path.split("/")[1:]:
        segment = _percent_decode(raw)
        if segment is None:
            return None
        if segment == b"..":
            if out:
                out.pop()
        elif segment != b".":
            out.append(segment)
    # A trailing slash leaves an empty last segment; it names no resource.
    if out and not out[-1]:
        out.pop()
    return tuple(out)


@dataclass(frozen=True)
class Scope:
    """Where a call may send requests: an authority and the base URL's path
    prefix (decoded, dot-free segments; empty: any path)."""

    authority: Authority
    prefix: tuple[bytes, ...] = ()

    @classmethod
    def of_base_url(cls, url: str) -> Scope:
        """The scope of an ``http(s)://host[:port][/prefix]`` base URL;
        ``ValueError`` for userinfo, a query or fragment, or a prefix with
        empty, ``.`` or ``..`` segments or characters a path does not allow
        (the component refuses such base URLs too)."""
        if not url.isascii() or not url.isprintable() or " " in url:
            # urlsplit would silently drop tabs and line breaks.
            raise ValueError(f"a base URL is visible ASCII: {url!r}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
            raise ValueError(f"not an http(s) base URL without credentials: {url!r}")
        if "?" in url or "#" in url:
            raise ValueError(f"a base URL has no query or fragment: {url!r}")
        prefix = parts.path.rstrip("/")
        for segment in prefix.split("/")[1:]:
            if segment in ("", ".", "..") or not _PCHARS.fullmatch(segment):
                raise ValueError(f"not a base URL path prefix: {parts.path!r}")
        segments = normalized_segments(prefix)
        assert segments is not None  # every escape was checked above
        return cls(Authority.parse(parts.scheme == "https", parts.netloc), segments)

    def admits(self, target: Authority, path: str) -> bool:
        """Whether a request to ``target`` for ``path`` (with or without its
        query) lies in this scope: the same scheme, host and port, and a path
        that starts with the prefix's segments once normalized."""
        if target != self.authority:
            return False
        segments = normalized_segments(path.partition("?")[0])
        return segments is not None and segments[: len(self.prefix)] == self.prefix

    def __str__(self) -> str:
        return str(self.authority) + "".join("/" + s.decode("utf-8", "replace") for s in self.prefix)


class Egress:
    """One call's view of the policy: what it may reach, with which secrets,
    and what it was refused."""

    def __init__(self, scope: Scope, vault: Vault, grant: frozenset[str], pool: Pool) -> None:
        self.scope = scope
        self.vault = vault
        self.grant = grant
        self.pool = pool
        self.denied: list[str] = []

    def admit(self, target: Authority, path: str, headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]] | None:
        """The headers to send (the call's secrets put in), or ``None`` when
        the policy refuses the request to ``target`` for ``path``."""
        if not self.scope.admits(target, path):
            return self._deny(str(target))
        out = []
        for name, value in headers:
            if name.lower() == "authorization":
                secret = _secret_name(value)
                if secret is not None:
                    key = self.vault.key(secret, self.grant)
                    if key is None:
                        return self._deny(f"{target} (secret `{secret}` not granted)")
                    value = f"Bearer {key}".encode()
            out.append((name, value))
        return out

    def _deny(self, what: str) -> list[tuple[str, bytes]] | None:
        """Records and logs a refusal; answers ``None`` (refused)."""
        self.denied.append(what)
        log.warning("egress refused: %s (allowed: %s)", what, self.scope)
        return None


def _secret_name(value: bytes) -> str | None:
    """``<name>`` of a ``Bearer secret:<name>`` header value."""
    scheme, _, token = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return reference(token.lstrip())


class Pool:
    """Keep-alive connections by authority, shared by the calls of one host."""

    def __init__(self, tls: ssl.SSLContext) -> None:
        self.tls = tls
        self._idle: dict[Authority, list[socket.socket]] = {}
        self._lock = threading.Lock()

    def take(self, target: Authority) -> socket.socket | None:
        """An idle connection to ``target`` that the server has not closed.

        A kept connection is readable only when the server closed it (or sent
        what it should not have): such a one is dropped, never reused. A
        request is never sent twice by the host; a connection the server
        closes after reading it fails the attempt (the guest retries it
        under the same idempotency key)."""
        while True:
            with self._lock:
                idle = self._idle.get(target)
                sock = idle.pop() if idle else None
            if sock is None:
                return None
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return sock
            sock.close()

    def connect(self, target: Authority, timeout: float) -> socket.socket:
        """A new connection (TLS for https), within ``timeout`` seconds."""
        sock = socket.create_connection((target.host, target.port), timeout=max(timeout, 0.001))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if target.https:
            try:
                sock = self.tls.wrap_socket(sock, server_hostname=target.host)
            except BaseException:
                sock.close()
                raise
        return sock

    def give(self, target: Authority, sock: socket.socket) -> None:
        """Keeps a connection whose last exchange ended cleanly."""
        with self._lock:
            idle = self._idle.setdefault(target, [])
            if len(idle) < MAX_IDLE:
                idle.append(sock)
                return
        sock.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for socks in idle.values():
            for sock in socks:
                sock.close()


def tls_context(extra_roots_pem: str | None = None) -> ssl.SSLContext:
    """The system's trusted roots, plus ``extra_roots_pem`` (a private CA, or a
    test server's certificate)."""
    context = ssl.create_default_context()
    if extra_roots_pem:
        context.load_verify_locations(cadata=extra_roots_pem)
    return context
