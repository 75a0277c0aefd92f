"""HTTP layer: routes requests of http.server to the PaymentsApi handlers."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from payments_api.api import PaymentsApi, Response, error_response

log = logging.getLogger("payments_api")

MAX_BODY_BYTES = 64 * 1024

_PAYMENT_PATH = re.compile(r"/payments/([^/]+)")


class PaymentsRequestHandler(BaseHTTPRequestHandler):
    """Handler of one HTTP request, which calls the PaymentsApi in `self.server.api`."""

    server: PaymentsServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle(self._route_get)

    def do_POST(self) -> None:
        self._handle(self._route_post)

    def do_DELETE(self) -> None:
        self._handle(self._no_route)

    do_PUT = do_PATCH = do_DELETE

    def _handle(self, route: Callable[[str], Response]) -> None:
        path = self.path.split("?", 1)[0]
        try:
            response = route(path)
        except Exception:
            log.exception("unhandled error in %s %s", self.command, path)
            response = error_response(
                HTTPStatus.INTERNAL_SERVER_ERROR, "internal error"
            )
        self._send(response)

    def _route_get(self, path: str) -> Response:
        if path == "/healthz":
            return self.server.api.health()
        match = _PAYMENT_PATH.fullmatch(path)
        if match:
            return self.server.api.get_payment(match.group(1))
        return self._no_route(path)

    def _route_post(self, path: str) -> Response:
        if path != "/payments":
            return self._no_route(path)
        length = self.headers.get("Content-Length")
        if length is None:
            return self._reject(
                HTTPStatus.LENGTH_REQUIRED, "Content-Length is required"
            )
        if not length.isdigit():
            return self._reject(HTTPStatus.BAD_REQUEST, "invalid Content-Length")
        if int(length) > MAX_BODY_BYTES:
            return self._reject(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"request body is larger than {MAX_BODY_BYTES} bytes",
            )
        body = self.rfile.read(int(length))
        key = self.headers.get("Idempotency-Key")
        return self.server.api.create_payment(body, key)

    def _no_route(self, path: str) -> Response:
        allowed = _allowed_methods(path)
        if not allowed:
            return self._reject(HTTPStatus.NOT_FOUND, f"no route for {path}")
        return self._reject(
            HTTPStatus.METHOD_NOT_ALLOWED,
            f"{path} accepts {allowed} only",
            headers={"Allow": allowed},
        )

    def _reject(
        self, status: HTTPStatus, reason: str, headers: dict[str, str] | None = None
    ) -> Response:
        """Build an error response for a request whose body is not read.

        The connection closes after the response, because the unread body
        would otherwise be parsed as the next request.
        """
        self.close_connection = True
        return error_response(status, reason, headers)

    def _send(self, response: Response) -> None:
        payload = json.dumps(response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        # http.server writes access lines to stderr, so send them to logging.
        # Health probes arrive every few seconds, so they log at DEBUG only.
        level = logging.DEBUG if self.path == "/healthz" else logging.INFO
        log.log(level, "%s %s", self.address_string(), format % args)


def _allowed_methods(path: str) -> str | None:
    if path == "/payments":
        return "POST"
    if path == "/healthz" or _PAYMENT_PATH.fullmatch(path):
        return "GET"
    return None


class PaymentsServer(ThreadingHTTPServer):
    """A threading HTTP server that serves one PaymentsApi."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: PaymentsApi) -> None:
        super().__init__(address, PaymentsRequestHandler)
        self.api = api

    def handle_error(self, request: object, client_address: object) -> None:
        # `_handle` turns errors in the handlers into 500 responses, so an
        # error that arrives here failed while reading or writing the socket.
        log.exception("connection error with %s", client_address)
