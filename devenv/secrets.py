"""Recognising secret values and masking them in any text devenv writes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "******"
_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|(^|_)KEY$|API_?KEY|PRIVATE|CREDENTIAL)",
    re.IGNORECASE,
)
# Values this short are too likely to occur inside ordinary words to mask in text.
_MIN_MASKED_LENGTH = 4
# The password of a URL such as postgres://user:password@host/db, which may
# reach a container under a name that does not look secret (DATABASE_URL).
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s/]+)(@)")


def is_secret_name(name: str) -> bool:
    """Tell whether a variable name looks like it contains a secret (PASSWORD, TOKEN...)."""
    return bool(_SECRET_NAME.search(name))


class Masker:
    """Replaces known secret values with a mask in text and in nested data."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(values)

    def add(self, values: Iterable[str]) -> None:
        new = {
            value
            for value in values
            if value and len(value) >= _MIN_MASKED_LENGTH and value not in self._values
        }
        if not new:
            return
        self._values |= new
        # Longest first, so a secret that contains another is masked whole.
        ordered = sorted(self._values, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def add_from_environment(
        self, environment: Mapping[str, str], secret_keys: Iterable[str] = ()
    ) -> None:
        """Add the values of keys that are declared secret or named like one."""
        declared = set(secret_keys)
        self.add(
            value
            for key, value in environment.items()
            if key in declared or is_secret_name(key)
        )

    def text(self, text: str) -> str:
        if not text:
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        return _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", text)

    def data(self, value: Any, key: str = "") -> Any:
        """Mask a JSON-like structure: secret-named keys whole, known values anywhere."""
        if isinstance(value, dict):
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(item, key) for item in value]
        if isinstance(value, str):
            if key and is_secret_name(key) and value and not _is_reference(value):
                return MASK
            return self._mask_assignment(self.text(value))
        return value

    def _mask_assignment(self, text: str) -> str:
        """Mask `NAME=value` list items whose name looks secret."""
        name, sep, value = text.partition("=")
        if sep and value and is_secret_name(name) and " " not in name:
            return f"{name}={MASK}"
        return text


def _is_reference(value: str) -> bool:
    return value.startswith("${") or value.startswith("$")
