"""All outbound policy in one place, and the connections allowed requests use.

A call may reach only the scheme, host and port of the host's Siptel base
URL, whatever the config's ``base-url`` says; any other request is answered
``HTTP-request-denied`` without leaving the machine, logged (logger
``siptel_sms.egress``) and listed in :attr:`Egress.denied`. Redirects are
never followed.

Secrets stay outside the sandbox: a config may carry ``secret:<name>`` as its
API key; the component sends ``Authorization: Bearer secret:<name>`` and
:meth:`Egress.admit` puts the host's key in its place, on requests to the
allowed authority only. A name the host does not hold refuses the request.
"""

from __future__ import annotations

import logging
import select
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger("siptel_sms.egress")

#: What an API key starts with when it names a secret the host holds.
SECRET_PREFIX = "secret:"

#: Idle keep-alive connections kept per authority.
MAX_IDLE = 16


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

    @classmethod
    def of_base_url(cls, url: str) -> Authority:
        """The authority of an ``http(s)://`` base URL; ``ValueError`` otherwise."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
            raise ValueError(f"not an http(s) base URL without credentials: {url!r}")
        return cls.parse(parts.scheme == "https", parts.netloc)

    @property
    def host(self) -> str:
        host = self.host_port.rpartition(":")[0]
        return host[1:-1] if host.startswith("[") else host

    @property
    def port(self) -> int:
        return int(self.host_port.rpartition(":")[2])

    def __str__(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.host_port}"


class Egress:
    """One call's view of the policy: what it may reach, and what it was refused."""

    def __init__(self, allowed: Authority, secrets: Mapping[str, str], pool: Pool) -> None:
        self.allowed = allowed
        self.secrets = secrets
        self.pool = pool
        self.denied: list[str] = []

    def admit(self, target: Authority, headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]] | None:
        """The headers to send to ``target`` (the host's secrets put in), or
        ``None`` when the policy refuses the request."""
        if target != self.allowed:
            return self._deny(str(target))
        out = []
        for name, value in headers:
            if name.lower() == "authorization":
                secret = _secret_name(value)
                if secret is not None:
                    if secret not in self.secrets:
                        return self._deny(f"{target} (unknown secret `{secret}`)")
                    value = f"Bearer {self.secrets[secret]}".encode()
            out.append((name, value))
        return out

    def _deny(self, what: str) -> list[tuple[str, bytes]] | None:
        """Records and logs a refusal; answers ``None`` (refused)."""
        self.denied.append(what)
        log.warning("egress refused: %s (allowed: %s)", what, self.allowed)
        return None


def _secret_name(value: bytes) -> str | None:
    """``<name>`` of a ``Bearer secret:<name>`` header value."""
    scheme, _, token = value.decode("latin-1").partition(" ")
    token = token.lstrip()
    if scheme.lower() != "bearer" or not token.startswith(SECRET_PREFIX):
        return None
    return token[len(SECRET_PREFIX) :]


def check_secrets(secrets: Mapping[str, str]) -> None:
    """Every key must be a non-empty header-safe token, or ``ValueError``."""
    for name, key in secrets.items():
        if not key or any(not (0x21 <= ord(c) <= 0x7E) for c in key):
            raise ValueError(f"secret `{name}` is not a valid API key")


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
