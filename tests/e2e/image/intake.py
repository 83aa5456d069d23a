#!/usr/bin/python3
"""Stand-in Datadog intake for fips-setup's end-to-end test host.

A TLS HTTP server (certificate from the tests' CA) on 127.0.0.1:443, where
dnsmasq sends every ``*.ddog-gov.com`` name. It answers like the intake
(``202`` to ``POST /api/v1/series``, ``200 {"valid": true}`` to
``GET /api/v1/validate``) and appends one JSON line per request to the records
file: time, method, path, Host header, TLS SNI, the payload's ``seq``,
whether an API key came (never the key itself), and the stand-in package that
sent it (its ``X-E2E-Package`` header: ``datadog-agent`` or ``datadog-fips-agent``). The SNI tells a payload the
Agent sent directly (``app.ddog-gov.com``) from one the FIPS proxy relayed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class IntakeServer(ThreadingHTTPServer):
    """Threaded HTTPS server; the TLS handshake runs in the request's thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, records: str) -> None:
        super().__init__(address, Handler)
        self.context = context
        self.records = records
        self.lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(10)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        super().finish_request(tls, client_address)

    def record(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock, open(self.records, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: IntakeServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the records file is the log."""

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, seq: Any = None) -> None:
        self.server.record(
            {
                "time": time.time(),
                "method": self.command,
                "path": self.path.split("?")[0],
                "host": self.headers.get("Host", ""),
                "sni": getattr(self.connection, "fips_e2e_sni", None),
                "seq": seq,
                "api_key": bool(self.headers.get("DD-API-KEY")),
                "user_agent": self.headers.get("User-Agent", ""),
                "package": self.headers.get("X-E2E-Package"),
                "client": self.client_address[0],
            }
        )

    def do_GET(self) -> None:
        if self.path.startswith("/api/v1/validate"):
            self._record()
            valid = bool(self.headers.get("DD-API-KEY"))
            self._reply(200 if valid else 403, {"valid": valid})
        else:
            self._reply(200, {"status": "ok"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        seq = None
        try:
            payload = json.loads(body or b"null")
            if isinstance(payload, dict):
                seq = payload.get("seq")
        except ValueError:
            pass
        self._record(seq)
        if not self.headers.get("DD-API-KEY"):
            self._reply(403, {"errors": ["Forbidden"]})
        else:
            self._reply(202, {"status": "ok"})


def notify_ready() -> None:
    """Tell systemd (``Type=notify``) that the server is listening."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"READY=1", address)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--records", required=True)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=443)
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def remember_sni(sock: Any, server_name: str | None, _context: ssl.SSLContext) -> None:
        sock.fips_e2e_sni = server_name

    context.sni_callback = remember_sni
    open(args.records, "a", encoding="utf-8").close()
    server = IntakeServer((args.listen, args.port), context, args.records)
    notify_ready()
    server.serve_forever()


if __name__ == "__main__":
    main()
