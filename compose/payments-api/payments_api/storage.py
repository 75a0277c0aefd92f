"""PostgreSQL and Redis adapters for the stores that the handlers use."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import redis
from psycopg.rows import dict_row

from payments_api.api import KeyRecord, Payment, StoreUnavailable
from payments_api.validation import PaymentRequest

CONNECT_TIMEOUT_SECONDS = 3
# A claim expires if its request dies before it stores a payment.
PENDING_TTL_SECONDS = 30
# A retry with the same key returns the same payment for this long.
COMPLETED_TTL_SECONDS = 24 * 60 * 60

_KEY_PREFIX = "idempotency:"


class PostgresPayments:
    """Payments in the `payments` table, which `payments_api.migrate` creates.

    The connection settings come from libpq's environment variables (PGHOST,
    PGPORT, PGUSER, PGPASSWORD, PGDATABASE) unless `conninfo` names them.
    """

    def __init__(self, conninfo: str = "") -> None:
        self.conninfo = conninfo

    def create(self, request: PaymentRequest) -> Payment:
        with self._connection() as connection:
            row = connection.execute(
                "INSERT INTO payments (amount, currency, reference)"
                " VALUES (%s, %s, %s)"
                " RETURNING id, amount, currency, reference, created_at",
                (request.amount, request.currency, request.reference),
            ).fetchone()
        return Payment(**row)

    def get(self, payment_id: uuid.UUID) -> Payment | None:
        with self._connection() as connection:
            row = connection.execute(
                "SELECT id, amount, currency, reference, created_at"
                " FROM payments WHERE id = %s",
                (payment_id,),
            ).fetchone()
        return Payment(**row) if row else None

    def ping(self) -> None:
        with self._connection() as connection:
            connection.execute("SELECT 1")

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """Open a connection, commit when the block ends, and close it.

        One short connection a request keeps the example simple and recovers
        by itself after a database restart. A busy service would use
        psycopg_pool instead.
        """
        try:
            with psycopg.connect(
                self.conninfo,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                row_factory=dict_row,
            ) as connection:
                yield connection
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"postgres: {_first_line(error)}") from error


class RedisKeys:
    """Idempotency keys in Redis, each mapped to a request hash and a payment."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @classmethod
    def connect(cls, host: str, port: int, password: str | None) -> RedisKeys:
        client = redis.Redis(
            host=host,
            port=port,
            password=password,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=CONNECT_TIMEOUT_SECONDS,
        )
        return cls(client)

    def claim(self, key: str, fingerprint: str) -> KeyRecord | None:
        pending = json.dumps({"fingerprint": fingerprint, "payment_id": None})
        with _redis_errors():
            # SET NX makes the claim atomic: of two concurrent requests with
            # the same key, exactly one gets None back.
            if self.client.set(
                _KEY_PREFIX + key, pending, nx=True, ex=PENDING_TTL_SECONDS
            ):
                return None
            stored = self.client.get(_KEY_PREFIX + key)
        if stored is None:
            # The claim expired between SET and GET, so claim the key again.
            return self.claim(key, fingerprint)
        record = json.loads(stored)
        payment_id = record["payment_id"]
        return KeyRecord(
            fingerprint=record["fingerprint"],
            payment_id=uuid.UUID(payment_id) if payment_id else None,
        )

    def complete(self, key: str, fingerprint: str, payment_id: uuid.UUID) -> None:
        record = json.dumps({"fingerprint": fingerprint, "payment_id": str(payment_id)})
        with _redis_errors():
            self.client.set(_KEY_PREFIX + key, record, ex=COMPLETED_TTL_SECONDS)

    def release(self, key: str) -> None:
        with _redis_errors():
            self.client.delete(_KEY_PREFIX + key)

    def ping(self) -> None:
        with _redis_errors():
            self.client.ping()


@contextmanager
def _redis_errors() -> Iterator[None]:
    """Turn Redis connection, authentication and reply errors into StoreUnavailable."""
    try:
        yield
    except redis.RedisError as error:
        raise StoreUnavailable(f"redis: {_first_line(error)}") from error


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
