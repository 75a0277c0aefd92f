"""Schema migrations, run once before the API starts: `python -m payments_api.migrate`.

Each migration runs once, in order, in its own transaction, and is recorded in
`schema_migrations`. An advisory lock makes concurrent runs wait for each other.
"""

from __future__ import annotations

import logging
import sys

import psycopg

from payments_api.logs import configure_logging

log = logging.getLogger("payments_api.migrate")

# Any 64-bit number that no other part of the application locks.
_LOCK_ID = 0x7061796D656E7473

# (version, description, SQL). Append new migrations, and never edit one that a
# database may have applied already.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "create the payments table",
        """
        CREATE TABLE payments (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            amount bigint NOT NULL CHECK (amount > 0),
            currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
            reference text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
        """,
    ),
)


def apply_migrations(connection: psycopg.Connection) -> list[int]:
    """Apply the migrations that the database lacks and return their versions."""
    connection.autocommit = True
    connection.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
    try:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = connection.execute("SELECT version FROM schema_migrations").fetchall()
        done = {row[0] for row in rows}
        applied = []
        for version, description, sql in MIGRATIONS:
            if version in done:
                continue
            with connection.transaction():
                connection.execute(sql)
                connection.execute(
                    "INSERT INTO schema_migrations (version) VALUES (%s)", (version,)
                )
            log.info("applied migration %s: %s", version, description)
            applied.append(version)
        return applied
    finally:
        connection.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))


def main() -> int:
    configure_logging()
    try:
        # libpq reads PGHOST, PGUSER, PGPASSWORD and the rest from the environment.
        with psycopg.connect("", connect_timeout=10) as connection:
            applied = apply_migrations(connection)
    except psycopg.Error as error:
        log.error("migration failed: %s", error)
        return 1
    log.info("schema is up to date (%s migrations applied now)", len(applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
