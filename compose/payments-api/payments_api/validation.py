"""Validation of the API's request bodies, headers and path parameters."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from dataclasses import asdict, dataclass

# The `payments.amount` column is a PostgreSQL bigint.
MAX_AMOUNT = 2**63 - 1
MAX_REFERENCE_LENGTH = 140
MAX_IDEMPOTENCY_KEY_LENGTH = 255

_CURRENCY = re.compile(r"[A-Z]{3}")
# Visible ASCII characters only, so a key is safe to log and to use in Redis.
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]+")
_FIELDS = ("amount", "currency", "reference")


class ValidationError(ValueError):
    """Invalid input, which the API rejects with status 400 and this message."""


@dataclass(frozen=True)
class PaymentRequest:
    """A validated request to create a payment."""

    amount: int
    currency: str
    reference: str

    def fingerprint(self) -> str:
        """Return a hash of the request, to tell a retry from a reused key."""
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_payment_request(body: bytes) -> PaymentRequest:
    """Parse and validate the JSON body of `POST /payments`."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(f"request body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValidationError("request body must be a JSON object")

    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise ValidationError(
            f"unknown fields: {', '.join(unknown)}. Expected: {', '.join(_FIELDS)}"
        )
    missing = [field for field in _FIELDS if field not in data]
    if missing:
        raise ValidationError(f"missing fields: {', '.join(missing)}")

    return PaymentRequest(
        amount=_amount(data["amount"]),
        currency=_currency(data["currency"]),
        reference=_reference(data["reference"]),
    )


def parse_idempotency_key(value: str | None) -> str:
    """Validate the `Idempotency-Key` header of `POST /payments`."""
    if value is None or value == "":
        raise ValidationError("the Idempotency-Key header is required")
    if len(value) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationError(
            f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
        )
    if not _IDEMPOTENCY_KEY.fullmatch(value):
        raise ValidationError(
            "Idempotency-Key may contain only visible ASCII characters"
        )
    return value


def parse_payment_id(text: str) -> uuid.UUID | None:
    """Return the payment id in a path, or None when it is not a UUID."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _amount(value: object) -> int:
    # bool is a subclass of int, and `true` is no amount.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError("amount must be an integer number of minor units")
    if value <= 0:
        raise ValidationError(f"amount must be positive, got {value}")
    if value > MAX_AMOUNT:
        raise ValidationError(f"amount must be at most {MAX_AMOUNT}")
    return value


def _currency(value: object) -> str:
    if not isinstance(value, str) or not _CURRENCY.fullmatch(value):
        raise ValidationError(
            f"currency must be a 3-letter upper-case code such as EUR, got {value!r}"
        )
    return value


def _reference(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("reference must be a non-empty string")
    if len(value) > MAX_REFERENCE_LENGTH:
        raise ValidationError(
            f"reference must be at most {MAX_REFERENCE_LENGTH} characters"
        )
    # PostgreSQL text cannot store NUL, and other control characters in a
    # reference are a client bug rather than data.
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValidationError("reference must not contain control characters")
    return value
