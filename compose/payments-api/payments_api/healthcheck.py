"""Container health check: exit 0 when GET /healthz returns 200, else 1."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8080/healthz"


def main() -> int:
    try:
        with urllib.request.urlopen(URL, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        # Docker stores this output with the probe's result.
        print(f"{URL}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
