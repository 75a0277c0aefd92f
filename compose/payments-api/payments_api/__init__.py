"""A small payments API: payments in PostgreSQL, idempotency keys in Redis."""
