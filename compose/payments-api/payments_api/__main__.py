"""Run the payments API: `python -m payments_api`.

Settings come from the environment: PGHOST, PGPORT, PGUSER, PGPASSWORD and
PGDATABASE for PostgreSQL (read by libpq), REDIS_HOST, REDIS_PORT and
REDIS_PASSWORD for Redis, PORT for the HTTP port (8080), and LOG_LEVEL.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType

from payments_api.api import PaymentsApi
from payments_api.logs import configure_logging
from payments_api.server import PaymentsServer
from payments_api.storage import PostgresPayments, RedisKeys

log = logging.getLogger("payments_api")


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def main() -> int:
    configure_logging()
    keys = RedisKeys.connect(
        host=os.environ.get("REDIS_HOST", "localhost"),
        port=int(os.environ.get("REDIS_PORT", "6379")),
        password=os.environ.get("REDIS_PASSWORD") or None,
    )
    api = PaymentsApi(PostgresPayments(), keys)
    port = int(os.environ.get("PORT", "8080"))
    server = PaymentsServer(("0.0.0.0", port), api)

    # `docker stop` sends SIGTERM: leave serve_forever and close the socket.
    signal.signal(signal.SIGTERM, _stop)
    log.info("payments API listening on port %s", port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        log.info("payments API stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
