"""The API's request handlers, independent of HTTP parsing and of the drivers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from payments_api.validation import (
    PaymentRequest,
    ValidationError,
    parse_idempotency_key,
    parse_payment_id,
    parse_payment_request,
)

log = logging.getLogger("payments_api")


@dataclass(frozen=True)
class Payment:
    """A stored payment."""

    id: uuid.UUID
    amount: int
    currency: str
    reference: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "amount": self.amount,
            "currency": self.currency,
            "reference": self.reference,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class KeyRecord:
    """Stored state of an idempotency key that a request has already claimed."""

    fingerprint: str
    # None while the request that claimed the key is still being processed.
    payment_id: uuid.UUID | None


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class StoreUnavailable(Exception):
    """Failure to reach a backing service. The message names it and the cause."""


class PaymentStore(Protocol):
    def create(self, request: PaymentRequest) -> Payment: ...

    def get(self, payment_id: uuid.UUID) -> Payment | None: ...

    def ping(self) -> None: ...


class IdempotencyStore(Protocol):
    def claim(self, key: str, fingerprint: str) -> KeyRecord | None:
        """Claim a new key and return None, or return the key's existing record."""
        ...

    def complete(self, key: str, fingerprint: str, payment_id: uuid.UUID) -> None: ...

    def release(self, key: str) -> None: ...

    def ping(self) -> None: ...


class PaymentsApi:
    """Handlers for the API's routes.

    Each returns a Response, also for a client error or an unreachable backing
    service. Other exceptions propagate to the HTTP layer, which returns 500.
    """

    def __init__(self, payments: PaymentStore, keys: IdempotencyStore) -> None:
        self.payments = payments
        self.keys = keys

    def health(self) -> Response:
        checks = {
            "postgres": _check(self.payments.ping),
            "redis": _check(self.keys.ping),
        }
        healthy = all(result == "ok" for result in checks.values())
        body = {"status": "ok" if healthy else "unavailable", **checks}
        return Response(200 if healthy else 503, body)

    def create_payment(self, body: bytes, idempotency_key: str | None) -> Response:
        try:
            key = parse_idempotency_key(idempotency_key)
            request = parse_payment_request(body)
        except ValidationError as error:
            return error_response(400, str(error))

        try:
            return self._create_once(key, request)
        except StoreUnavailable as error:
            log.warning("create payment failed: %s", error)
            return error_response(503, str(error))

    def get_payment(self, raw_id: str) -> Response:
        payment_id = parse_payment_id(raw_id)
        if payment_id is None:
            return error_response(404, f"payment {raw_id!r} not found")
        try:
            payment = self.payments.get(payment_id)
        except StoreUnavailable as error:
            log.warning("get payment %s failed: %s", payment_id, error)
            return error_response(503, str(error))
        if payment is None:
            return error_response(404, f"payment {payment_id} not found")
        return Response(200, payment.to_json())

    def _create_once(self, key: str, request: PaymentRequest) -> Response:
        fingerprint = request.fingerprint()
        existing = self.keys.claim(key, fingerprint)
        if existing is not None:
            return self._replay(key, fingerprint, existing)

        try:
            payment = self.payments.create(request)
        except BaseException:
            # Let the client retry with the same key.
            self.keys.release(key)
            raise
        # NOTE: if Redis fails here, the payment exists but the key stays
        # pending until its claim expires, and a retry after that creates a
        # second payment. A unique key column in PostgreSQL would close this.
        self.keys.complete(key, fingerprint, payment.id)
        log.info("created payment %s for idempotency key %s", payment.id, key)
        return Response(201, payment.to_json())

    def _replay(self, key: str, fingerprint: str, existing: KeyRecord) -> Response:
        if existing.fingerprint != fingerprint:
            return error_response(
                422,
                f"Idempotency-Key {key!r} was already used with a different "
                "request body; use a new key for a new payment",
            )
        if existing.payment_id is None:
            return error_response(
                409,
                f"a request with Idempotency-Key {key!r} is still in progress; "
                "retry later",
            )
        payment = self.payments.get(existing.payment_id)
        if payment is None:
            return error_response(
                409,
                f"Idempotency-Key {key!r} refers to payment {existing.payment_id}, "
                "which no longer exists; use a new key",
            )
        return Response(201, payment.to_json(), {"Idempotent-Replayed": "true"})


def _check(ping: Callable[[], None]) -> str:
    try:
        ping()
    except StoreUnavailable as error:
        return f"error: {error}"
    return "ok"


def error_response(
    status: int, reason: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(status, {"error": reason}, headers or {})
