"""The offline guard, loaded into every Python process started with this folder on PYTHONPATH (the
notebook kernels of a test book): a network connection to anything but this machine raises, and is
written to $GEDIG_GUARD_LOG, so that a library that swallows the error cannot hide the attempt."""

import os
import socket

_LOCAL = ("127.0.0.1", "::1", "localhost", "0.0.0.0")
_connect = socket.socket.connect
_getaddrinfo = socket.getaddrinfo


def _note(what: str) -> None:
    log = os.environ.get("GEDIG_GUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what}\n")


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else None
    if self.family == getattr(socket, "AF_UNIX", None) or host in _LOCAL:
        return _connect(self, address)
    _note(f"connect {address!r}")
    raise OSError(f"offline guard: a network connection to {address!r} was attempted")


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host in _LOCAL or host is None:
        return _getaddrinfo(host, *args, **kwargs)
    _note(f"resolve {host!r}")
    raise socket.gaierror(f"offline guard: a lookup of {host!r} was attempted")


socket.socket.connect = _guarded_connect
socket.getaddrinfo = _guarded_getaddrinfo
