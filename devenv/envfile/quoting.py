"""Writing a value into `.env` so that python-dotenv and Compose read it alike.

The rules below were checked against python-dotenv 1.2.2 and 1.2.4 and Compose
v2.40, and a test reads every form back with both parsers.
"""

from __future__ import annotations

import re

_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_./:@%+,=-]*")
_DOTENV_EXPANSION = re.compile(r"\$\{[^}]*\}")
# A `$` that Compose expands, or reads as an escaped `$`, inside double quotes.
# Compose keeps any other `$`, such as one before a digit, a space or the end.
_COMPOSE_DOLLAR = re.compile(r"\$[A-Za-z_{$]")
# Inside single quotes python-dotenv reads `\\` as one backslash, Compose as two.
# Both read `\'` as a quote, so only a backslash before `\`, `'` or the end of
# the value makes single quotes ambiguous.
_SINGLE_QUOTE_AMBIGUOUS = re.compile(r"\\(?:[\\']|$)")


def format_value(value: str) -> str:
    """Write `value` so python-dotenv and Compose both read it back unchanged.

    Raise ValueError for the few values that no quoting achieves that for. Its
    message names the characters at fault and what to change, never the value.
    """
    problem = unwritable_reason(value)
    if problem is not None:
        raise ValueError(problem)
    if _PLAIN_VALUE.fullmatch(value):
        return value
    if not any(char in value for char in "'\\\n"):
        return f"'{value}'"
    if not _COMPOSE_DOLLAR.search(value):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    # Single quotes keep the `$` for Compose. Both parsers read `\'` as a quote.
    escaped = value.replace("'", "\\'")
    return f"'{escaped}'"


def unwritable_reason(value: str) -> str | None:
    """Return why no quoting lets both parsers read `value` alike, or None.

    The text names characters, never the value, so it is safe for a secret.
    """
    if "\r" in value:
        return (
            "a carriage return (\\r) reads differently in Compose and python-dotenv "
            "in every quoting. Enter the value without it."
        )
    if _DOTENV_EXPANSION.search(value):
        return (
            "`${...}` reads differently in every quoting, because python-dotenv "
            "expands it even inside single quotes and Compose does not. Enter a "
            "value without `${` followed by `}`."
        )
    if _COMPOSE_DOLLAR.search(value) and _SINGLE_QUOTE_AMBIGUOUS.search(value):
        return (
            "the value has a `$` before a letter, `_`, `{` or `$`, which Compose "
            "expands inside double quotes, and a backslash before `\\`, `'` or the "
            "end, which the two parsers read differently inside single quotes. "
            "Enter a value without one of the two, for example with a digit or a "
            "space after the `$`."
        )
    return None
