"""Tests of the payments API's own code in compose/payments-api.

Validation and the handlers run against in-memory fakes of the two stores,
so they need neither an engine nor the drivers. The tests marked `engine`
run the stores, the migrations and the HTTP server against real PostgreSQL
and Redis containers. Those also need psycopg and redis installed on the host,
and skip without them.
"""

from __future__ import annotations

import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).parent.parent
SERVICE_SOURCE = REPO_ROOT / "compose" / "payments-api"
sys.path.insert(0, str(SERVICE_SOURCE))

from payments_api.api import (  # noqa: E402
    KeyRecord,
    Payment,
    PaymentsApi,
    StoreUnavailable,
)
from payments_api.server import MAX_BODY_BYTES, PaymentsServer  # noqa: E402
from payments_api.validation import (  # noqa: E402
    MAX_AMOUNT,
    MAX_REFERENCE_LENGTH,
    PaymentRequest,
    ValidationError,
    parse_idempotency_key,
    parse_payment_id,
    parse_payment_request,
)

VALID_BODY = {"amount": 1250, "currency": "EUR", "reference": "invoice 2024-118"}


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()


# --- fakes of the two stores ------------------------------------------------


class FakePayments:
    """In-memory PaymentStore. Every call raises `failure` while it is set."""

    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Payment] = {}
        self.failure: Exception | None = None

    def create(self, request: PaymentRequest) -> Payment:
        self._maybe_fail()
        payment = Payment(
            id=uuid.uuid4(),
            amount=request.amount,
            currency=request.currency,
            reference=request.reference,
            created_at=datetime.now(timezone.utc),
        )
        self.rows[payment.id] = payment
        return payment

    def get(self, payment_id: uuid.UUID) -> Payment | None:
        self._maybe_fail()
        return self.rows.get(payment_id)

    def ping(self) -> None:
        self._maybe_fail()

    def _maybe_fail(self) -> None:
        if self.failure is not None:
            raise self.failure


class FakeKeys:
    """In-memory IdempotencyStore with the same claim rules as RedisKeys."""

    def __init__(self) -> None:
        self.records: dict[str, KeyRecord] = {}
        self.failure: Exception | None = None
        self.claims = 0

    def claim(self, key: str, fingerprint: str) -> KeyRecord | None:
        self._maybe_fail()
        self.claims += 1
        if key in self.records:
            return self.records[key]
        self.records[key] = KeyRecord(fingerprint, None)
        return None

    def complete(self, key: str, fingerprint: str, payment_id: uuid.UUID) -> None:
        self._maybe_fail()
        self.records[key] = KeyRecord(fingerprint, payment_id)

    def release(self, key: str) -> None:
        self._maybe_fail()
        self.records.pop(key, None)

    def ping(self) -> None:
        self._maybe_fail()

    def _maybe_fail(self) -> None:
        if self.failure is not None:
            raise self.failure


@pytest.fixture
def payments() -> FakePayments:
    return FakePayments()


@pytest.fixture
def keys() -> FakeKeys:
    return FakeKeys()


@pytest.fixture
def api(payments: FakePayments, keys: FakeKeys) -> PaymentsApi:
    return PaymentsApi(payments, keys)


# --- validation ---------------------------------------------------------------


def test_payment_request_valid_body() -> None:
    request = parse_payment_request(encode(VALID_BODY))

    assert request == PaymentRequest(1250, "EUR", "invoice 2024-118")


@pytest.mark.parametrize(
    "body",
    [
        # the largest amount the bigint column stores
        {**VALID_BODY, "amount": MAX_AMOUNT},
        # one minor unit
        {**VALID_BODY, "amount": 1},
        # a reference of exactly the maximum length
        {**VALID_BODY, "reference": "r" * MAX_REFERENCE_LENGTH},
        # non-ASCII text is fine in a reference
        {**VALID_BODY, "reference": "Überweisung März ✓"},
    ],
)
def test_payment_request_boundaries_accepted(body: dict[str, Any]) -> None:
    request = parse_payment_request(encode(body))

    assert request.amount == body["amount"]
    assert request.reference == body["reference"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # not JSON at all
        (b"amount=1250", "not valid JSON"),
        # not UTF-8
        (b"\xff\xfe", "not valid JSON"),
        # JSON, but not an object
        (b"[1250]", "must be a JSON object"),
        (b"null", "must be a JSON object"),
        # a missing field is named
        (encode({"currency": "EUR", "reference": "r"}), "missing fields: amount"),
        # a typo is reported instead of ignored
        (encode({**VALID_BODY, "refrence": "r"}), "unknown fields: refrence"),
        # amounts are integers of minor units
        (encode({**VALID_BODY, "amount": "1250"}), "integer number of minor units"),
        (encode({**VALID_BODY, "amount": 12.5}), "integer number of minor units"),
        (encode({**VALID_BODY, "amount": True}), "integer number of minor units"),
        (encode({**VALID_BODY, "amount": 0}), "must be positive, got 0"),
        (encode({**VALID_BODY, "amount": -100}), "must be positive, got -100"),
        (encode({**VALID_BODY, "amount": MAX_AMOUNT + 1}), "at most"),
        # currencies are 3 upper-case ASCII letters
        (encode({**VALID_BODY, "currency": "eur"}), "3-letter upper-case"),
        (encode({**VALID_BODY, "currency": "EURO"}), "3-letter upper-case"),
        (encode({**VALID_BODY, "currency": "ÄBC"}), "3-letter upper-case"),
        (encode({**VALID_BODY, "currency": 978}), "3-letter upper-case"),
        # references are non-empty text of bounded length
        (encode({**VALID_BODY, "reference": ""}), "non-empty string"),
        (encode({**VALID_BODY, "reference": "   "}), "non-empty string"),
        (encode({**VALID_BODY, "reference": 42}), "non-empty string"),
        (
            encode({**VALID_BODY, "reference": "r" * (MAX_REFERENCE_LENGTH + 1)}),
            f"at most {MAX_REFERENCE_LENGTH} characters",
        ),
        # PostgreSQL text cannot store NUL
        (encode({**VALID_BODY, "reference": "a\u0000b"}), "control characters"),
        (encode({**VALID_BODY, "reference": "line\nbreak"}), "control characters"),
    ],
)
def test_payment_request_invalid_rejected(body: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_payment_request(body)

    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "header is required"),
        ("", "header is required"),
        ("k" * 256, "longer than 255"),
        ("has space", "visible ASCII"),
        ("ключ", "visible ASCII"),
    ],
)
def test_idempotency_key_invalid_rejected(header: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_idempotency_key(header)

    assert message in str(caught.value)


def test_idempotency_key_valid_returned() -> None:
    assert parse_idempotency_key("order-42:retry#1") == "order-42:retry#1"
    assert parse_idempotency_key("k" * 255) == "k" * 255


def test_payment_id_parsing() -> None:
    known = uuid.uuid4()

    assert parse_payment_id(str(known)) == known
    assert parse_payment_id("not-a-uuid") is None
    assert parse_payment_id("") is None


def test_fingerprint_tells_requests_apart() -> None:
    request = PaymentRequest(1250, "EUR", "r")

    assert request.fingerprint() == PaymentRequest(1250, "EUR", "r").fingerprint()
    assert request.fingerprint() != PaymentRequest(1251, "EUR", "r").fingerprint()
    assert request.fingerprint() != PaymentRequest(1250, "USD", "r").fingerprint()
    assert request.fingerprint() != PaymentRequest(1250, "EUR", "s").fingerprint()


# --- handlers over fakes --------------------------------------------------------


def test_create_payment_returns_stored_payment(
    api: PaymentsApi, payments: FakePayments
) -> None:
    response = api.create_payment(encode(VALID_BODY), "key-1")

    assert response.status == 201
    assert response.body["amount"] == 1250
    assert response.body["currency"] == "EUR"
    assert response.body["reference"] == "invoice 2024-118"
    assert uuid.UUID(response.body["id"]) in payments.rows
    assert "Idempotent-Replayed" not in response.headers


def test_create_payment_same_key_replays(
    api: PaymentsApi, payments: FakePayments
) -> None:
    first = api.create_payment(encode(VALID_BODY), "key-1")
    second = api.create_payment(encode(VALID_BODY), "key-1")

    assert second.status == 201
    assert second.body == first.body
    assert second.headers == {"Idempotent-Replayed": "true"}
    assert len(payments.rows) == 1


def test_create_payment_new_key_creates_another(
    api: PaymentsApi, payments: FakePayments
) -> None:
    first = api.create_payment(encode(VALID_BODY), "key-1")
    second = api.create_payment(encode(VALID_BODY), "key-2")

    assert second.body["id"] != first.body["id"]
    assert len(payments.rows) == 2


def test_create_payment_reused_key_other_body(
    api: PaymentsApi, payments: FakePayments
) -> None:
    api.create_payment(encode(VALID_BODY), "key-1")

    response = api.create_payment(encode({**VALID_BODY, "amount": 999}), "key-1")

    assert response.status == 422
    assert "different request body" in response.body["error"]
    assert len(payments.rows) == 1


def test_create_payment_key_in_progress(api: PaymentsApi, keys: FakeKeys) -> None:
    fingerprint = parse_payment_request(encode(VALID_BODY)).fingerprint()
    keys.records["key-1"] = KeyRecord(fingerprint, None)

    response = api.create_payment(encode(VALID_BODY), "key-1")

    assert response.status == 409
    assert "still in progress" in response.body["error"]


def test_create_payment_key_of_vanished_payment(
    api: PaymentsApi, keys: FakeKeys
) -> None:
    fingerprint = parse_payment_request(encode(VALID_BODY)).fingerprint()
    keys.records["key-1"] = KeyRecord(fingerprint, uuid.uuid4())

    response = api.create_payment(encode(VALID_BODY), "key-1")

    assert response.status == 409
    assert "no longer exists" in response.body["error"]


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (encode(VALID_BODY), None, "Idempotency-Key header is required"),
        (b"{", "key-1", "not valid JSON"),
        (encode({**VALID_BODY, "amount": -1}), "key-1", "must be positive"),
    ],
)
def test_create_payment_bad_input_400(
    api: PaymentsApi,
    payments: FakePayments,
    keys: FakeKeys,
    body: bytes,
    key: str | None,
    message: str,
) -> None:
    response = api.create_payment(body, key)

    assert response.status == 400
    assert message in response.body["error"]
    assert payments.rows == {}
    # A rejected request must not use up its key.
    assert keys.claims == 0


def test_create_payment_database_down_releases_key(
    api: PaymentsApi, payments: FakePayments, keys: FakeKeys
) -> None:
    payments.failure = StoreUnavailable("postgres: connection refused")

    failed = api.create_payment(encode(VALID_BODY), "key-1")

    assert failed.status == 503
    assert failed.body["error"] == "postgres: connection refused"
    assert "key-1" not in keys.records

    payments.failure = None
    retried = api.create_payment(encode(VALID_BODY), "key-1")

    assert retried.status == 201
    assert len(payments.rows) == 1


def test_create_payment_redis_down_503(
    api: PaymentsApi, payments: FakePayments, keys: FakeKeys
) -> None:
    keys.failure = StoreUnavailable("redis: connection refused")

    response = api.create_payment(encode(VALID_BODY), "key-1")

    assert response.status == 503
    assert response.body["error"] == "redis: connection refused"
    assert payments.rows == {}


def test_get_payment_found(api: PaymentsApi) -> None:
    created = api.create_payment(encode(VALID_BODY), "key-1")

    response = api.get_payment(created.body["id"])

    assert response.status == 200
    assert response.body == created.body


@pytest.mark.parametrize(
    "raw_id",
    [
        # a well-formed id of no stored payment
        "00000000-0000-4000-8000-000000000000",
        # not an id at all
        "latest",
    ],
)
def test_get_payment_unknown_404(api: PaymentsApi, raw_id: str) -> None:
    response = api.get_payment(raw_id)

    assert response.status == 404
    assert "not found" in response.body["error"]


def test_get_payment_database_down_503(
    api: PaymentsApi, payments: FakePayments
) -> None:
    payments.failure = StoreUnavailable("postgres: timeout expired")

    response = api.get_payment(str(uuid.uuid4()))

    assert response.status == 503
    assert response.body["error"] == "postgres: timeout expired"


def test_health_both_up(api: PaymentsApi) -> None:
    response = api.health()

    assert response.status == 200
    assert response.body == {"status": "ok", "postgres": "ok", "redis": "ok"}


@pytest.mark.parametrize("failing", ["postgres", "redis"])
def test_health_names_failing_service(
    api: PaymentsApi, payments: FakePayments, keys: FakeKeys, failing: str
) -> None:
    store = payments if failing == "postgres" else keys
    store.failure = StoreUnavailable(f"{failing}: connection refused")

    response = api.health()

    assert response.status == 503
    assert response.body["status"] == "unavailable"
    assert response.body[failing] == f"error: {failing}: connection refused"
    healthy = "redis" if failing == "postgres" else "postgres"
    assert response.body[healthy] == "ok"


# --- HTTP layer over fakes ------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Callable[[PaymentsApi], int]]:
    """Start PaymentsServer on a free loopback port and return the port."""
    servers: list[PaymentsServer] = []

    def start(api: PaymentsApi) -> int:
        server = PaymentsServer(("127.0.0.1", 0), api)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = json.loads(response.read())
        return response.status, dict(response.getheaders()), payload
    finally:
        connection.close()


def test_http_create_then_get(serve, api: PaymentsApi) -> None:
    port = serve(api)

    status, headers, created = request(
        port, "POST", "/payments", encode(VALID_BODY), {"Idempotency-Key": "k"}
    )

    assert status == 201
    assert headers["Content-Type"] == "application/json"

    status, _, fetched = request(port, "GET", f"/payments/{created['id']}")

    assert status == 200
    assert fetched == created


def test_http_replay_has_header(serve, api: PaymentsApi) -> None:
    port = serve(api)
    args = (port, "POST", "/payments", encode(VALID_BODY), {"Idempotency-Key": "k"})

    _, _, first = request(*args)
    status, headers, second = request(*args)

    assert status == 201
    assert headers["Idempotent-Replayed"] == "true"
    assert second == first


def test_http_healthz_ignores_query(serve, api: PaymentsApi) -> None:
    status, _, body = request(serve(api), "GET", "/healthz?verbose=1")

    assert status == 200
    assert body["status"] == "ok"


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", "/nothing-here", 404, None),
        ("GET", "/payments", 405, "POST"),
        ("POST", "/healthz", 405, "GET"),
        ("DELETE", f"/payments/{uuid.uuid4()}", 405, "GET"),
        ("PUT", "/payments", 405, "POST"),
    ],
)
def test_http_routing_errors(
    serve, api: PaymentsApi, method: str, path: str, status: int, allow: str | None
) -> None:
    body = b"{}" if method in ("POST", "PUT") else None

    got_status, headers, payload = request(serve(api), method, path, body)

    assert got_status == status
    assert headers.get("Allow") == allow
    assert "error" in payload


def test_http_post_without_length_411(serve, api: PaymentsApi) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", serve(api), timeout=10)
    connection.putrequest("POST", "/payments")
    connection.putheader("Idempotency-Key", "k")
    connection.endheaders()

    response = connection.getresponse()

    assert response.status == 411
    assert "Content-Length" in json.loads(response.read())["error"]
    connection.close()


def test_http_oversized_body_413(serve, api: PaymentsApi, payments) -> None:
    body = encode({**VALID_BODY, "reference": "r" * MAX_BODY_BYTES})

    status, _, payload = request(
        serve(api), "POST", "/payments", body, {"Idempotency-Key": "k"}
    )

    assert status == 413
    assert str(MAX_BODY_BYTES) in payload["error"]
    assert payments.rows == {}


def test_http_unexpected_error_500(serve, api: PaymentsApi, payments) -> None:
    port = serve(api)
    payments.failure = RuntimeError("bug in a store")

    status, _, payload = request(port, "GET", f"/payments/{uuid.uuid4()}")

    assert status == 500
    assert payload == {"error": "internal error"}

    # The server keeps serving after the error.
    payments.failure = None
    status, _, _ = request(port, "GET", "/healthz")

    assert status == 200


# --- real PostgreSQL and Redis (engine) ------------------------------------------


def fragment_image(fragment: str, service: str) -> str:
    model = yaml.safe_load((REPO_ROOT / "compose" / f"{fragment}.yaml").read_text())
    return model["services"][service]["image"]


def start_container(
    image: str, container_port: int, env: dict[str, str], command: list[str]
) -> tuple[str, int]:
    """Run `image` on a free loopback port and return the container and port."""
    inspect = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
    if inspect.returncode != 0:
        pytest.skip(f"image {image} is missing; run .ci/build-standins")
    name = f"payments-api-test-{secrets.token_hex(4)}"
    env_args = [
        arg for key, value in env.items() for arg in ("--env", f"{key}={value}")
    ]
    run = ["docker", "run", "--detach", "--rm", "--name", name]
    run += ["--publish", f"127.0.0.1::{container_port}", *env_args, image, *command]
    subprocess.run(run, check=True, capture_output=True)

    mapped = subprocess.run(
        ["docker", "port", name, f"{container_port}/tcp"],
        check=True,
        capture_output=True,
        text=True,
    )
    return name, int(mapped.stdout.splitlines()[0].rsplit(":", 1)[1])


def remove_container(name: str) -> None:
    subprocess.run(["docker", "rm", "--force", "--volumes", name], capture_output=True)


def wait_until_ready(
    check: Callable[[], object], what: str, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except Exception as error:
            if time.monotonic() > deadline:
                message = f"{what} not ready after {timeout} s: {error}"
                raise AssertionError(message) from error
            time.sleep(0.5)


@pytest.fixture(scope="module")
def psycopg() -> Any:
    return pytest.importorskip("psycopg", reason="psycopg is not installed here")


@pytest.fixture(scope="module")
def redis_module() -> Any:
    return pytest.importorskip("redis", reason="redis-py is not installed here")


@pytest.fixture(scope="module")
def postgres_conninfo(psycopg: Any) -> Iterator[str]:
    """Start PostgreSQL from the postgres fragment's image and return a conninfo."""
    password = secrets.token_hex(12)
    env = {"POSTGRES_USER": "payments", "POSTGRES_PASSWORD": password}
    env["POSTGRES_DB"] = "payments"
    name, port = start_container(fragment_image("postgres", "postgres"), 5432, env, [])
    conninfo = f"host=127.0.0.1 port={port} user=payments dbname=payments"
    conninfo += f" password={password}"
    try:
        wait_until_ready(
            lambda: psycopg.connect(conninfo, connect_timeout=2).close(), "PostgreSQL"
        )
        yield conninfo
    finally:
        remove_container(name)


@pytest.fixture(scope="module")
def redis_settings(redis_module: Any) -> Iterator[dict[str, Any]]:
    """Start Redis from the redis fragment's image and return its settings."""
    password = secrets.token_hex(12)
    command = ["redis-server", "--requirepass", password]
    name, port = start_container(fragment_image("redis", "redis"), 6379, {}, command)
    settings = {"host": "127.0.0.1", "port": port, "password": password}
    try:
        client = redis_module.Redis(**settings, socket_connect_timeout=2)
        wait_until_ready(client.ping, "Redis")
        yield settings
    finally:
        remove_container(name)


@pytest.fixture
def fresh_database(psycopg: Any, postgres_conninfo: str) -> str:
    """Create an empty database and return its conninfo."""
    database = f"test_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {database}")
    return postgres_conninfo.replace("dbname=payments", f"dbname={database}")


@pytest.fixture(scope="module")
def migrated(psycopg: Any, postgres_conninfo: str) -> str:
    from payments_api.migrate import apply_migrations

    with psycopg.connect(postgres_conninfo) as connection:
        apply_migrations(connection)
    return postgres_conninfo


@pytest.fixture
def redis_keys(redis_settings: dict[str, Any]) -> Any:
    from payments_api.storage import RedisKeys

    return RedisKeys.connect(**redis_settings)


@pytest.mark.engine
def test_migrations_apply_once(psycopg: Any, fresh_database: str) -> None:
    from payments_api.migrate import MIGRATIONS, apply_migrations

    with psycopg.connect(fresh_database) as connection:
        first = apply_migrations(connection)
        second = apply_migrations(connection)

    assert first == [version for version, _, _ in MIGRATIONS]
    assert second == []


@pytest.mark.engine
def test_migrations_concurrent_runs(psycopg: Any, fresh_database: str) -> None:
    from payments_api.migrate import MIGRATIONS, apply_migrations

    def run_once(_: int) -> list[int]:
        with psycopg.connect(fresh_database) as connection:
            return apply_migrations(connection)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = sorted(pool.map(run_once, range(3)))

    # The advisory lock lets exactly one run apply each migration.
    assert results == [[], [], [version for version, _, _ in MIGRATIONS]]


@pytest.mark.engine
def test_schema_rejects_lowercase_currency(psycopg: Any, migrated: str) -> None:
    with psycopg.connect(migrated) as connection:
        with pytest.raises(psycopg.errors.CheckViolation):
            connection.execute(
                "INSERT INTO payments (amount, currency, reference)"
                " VALUES (1, 'eur', 'r')"
            )


@pytest.mark.engine
def test_postgres_store_round_trip(migrated: str) -> None:
    from payments_api.storage import PostgresPayments

    store = PostgresPayments(migrated)

    created = store.create(PaymentRequest(1250, "EUR", "Überweisung ✓"))
    fetched = store.get(created.id)

    assert fetched == created
    assert created.amount == 1250
    assert created.reference == "Überweisung ✓"
    assert created.created_at.tzinfo is not None
    assert store.get(uuid.uuid4()) is None


@pytest.mark.engine
def test_postgres_store_max_amount(migrated: str) -> None:
    from payments_api.storage import PostgresPayments

    created = PostgresPayments(migrated).create(PaymentRequest(MAX_AMOUNT, "JPY", "r"))

    assert created.amount == MAX_AMOUNT


@pytest.mark.engine
def test_postgres_wrong_password_unavailable(postgres_conninfo: str) -> None:
    from payments_api.storage import PostgresPayments

    wrong = postgres_conninfo.rsplit(" password=", 1)[0] + " password=wrong-secret"

    with pytest.raises(StoreUnavailable) as caught:
        PostgresPayments(wrong).ping()

    assert str(caught.value).startswith("postgres: ")
    assert "wrong-secret" not in str(caught.value)


@pytest.mark.engine
def test_redis_claim_complete_release(redis_keys: Any) -> None:
    key = f"key-{secrets.token_hex(4)}"
    payment_id = uuid.uuid4()

    assert redis_keys.claim(key, "hash-a") is None
    assert redis_keys.claim(key, "hash-a") == KeyRecord("hash-a", None)

    redis_keys.complete(key, "hash-a", payment_id)

    assert redis_keys.claim(key, "hash-b") == KeyRecord("hash-a", payment_id)

    redis_keys.release(key)

    assert redis_keys.claim(key, "hash-b") is None


@pytest.mark.engine
def test_redis_claim_sets_expiry(redis_keys: Any) -> None:
    from payments_api.storage import COMPLETED_TTL_SECONDS, PENDING_TTL_SECONDS

    key = f"key-{secrets.token_hex(4)}"
    redis_keys.claim(key, "hash")

    assert 0 < redis_keys.client.ttl(f"idempotency:{key}") <= PENDING_TTL_SECONDS

    redis_keys.complete(key, "hash", uuid.uuid4())

    assert redis_keys.client.ttl(f"idempotency:{key}") > PENDING_TTL_SECONDS
    assert redis_keys.client.ttl(f"idempotency:{key}") <= COMPLETED_TTL_SECONDS


@pytest.mark.engine
def test_redis_concurrent_claims_one_winner(redis_keys: Any) -> None:
    key = f"key-{secrets.token_hex(4)}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: redis_keys.claim(key, "hash"), range(8)))

    assert results.count(None) == 1
    assert results.count(KeyRecord("hash", None)) == 7


@pytest.mark.engine
def test_redis_wrong_password_unavailable(redis_settings: dict[str, Any]) -> None:
    from payments_api.storage import RedisKeys

    keys = RedisKeys.connect(
        redis_settings["host"], redis_settings["port"], "wrong-secret"
    )

    with pytest.raises(StoreUnavailable) as caught:
        keys.ping()

    assert str(caught.value).startswith("redis: ")
    assert "wrong-secret" not in str(caught.value)


@pytest.mark.engine
def test_http_real_stores_one_payment_per_key(
    serve, psycopg: Any, migrated: str, redis_keys: Any
) -> None:
    from payments_api.storage import PostgresPayments

    port = serve(PaymentsApi(PostgresPayments(migrated), redis_keys))
    reference = f"real stores {secrets.token_hex(4)}"
    body = encode({**VALID_BODY, "reference": reference})
    headers = {"Idempotency-Key": f"key-{secrets.token_hex(4)}"}

    first_status, _, first = request(port, "POST", "/payments", body, headers)
    second_status, _, second = request(port, "POST", "/payments", body, headers)
    health_status, _, health = request(port, "GET", "/healthz")

    assert first_status == 201
    assert second_status == 201
    assert second == first
    with psycopg.connect(migrated) as connection:
        count = connection.execute(
            "SELECT count(*) FROM payments WHERE reference = %s", (reference,)
        ).fetchone()[0]
    assert count == 1
    assert health_status == 200
    assert health == {"status": "ok", "postgres": "ok", "redis": "ok"}
