"""Annotations in `.env.example`, and the value checks they ask for.

Annotations are comment lines right above a key: free text describes the key, and
these lines constrain it:

    # required            the value must not be empty
    # secret              the value is masked in every output
    # type: port          one of int, bool, port, url, email, path
    # one of: a, b, c     the value must be one of these

`required` and `secret` may share a line. A short comment line that is one edit or
so away from an annotation, such as `# requird` or `# tpye: port`, gets a warning
with the annotation it most likely means. The example's value is the default that
`env init` writes, except for a placeholder: the value of a required key that is
secret or reads like one (`<your token>`, change-me, TODO, xxx), which the developer
must replace.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from devenv.envfile.records import WARNING, EnvEntry, EnvFile, EnvFinding, KeySpec


def _is_int(value: str) -> bool:
    return re.fullmatch(r"[+-]?[0-9]+", value) is not None


def _is_bool(value: str) -> bool:
    return value.lower() in {"true", "false", "1", "0", "yes", "no", "on", "off"}


def _is_port(value: str) -> bool:
    return re.fullmatch(r"[0-9]{1,5}", value) is not None and 1 <= int(value) <= 65535


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    scheme = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme)
    return bool(scheme) and "://" in value and bool(parts.netloc or parts.path)


def _is_email(value: str) -> bool:
    return re.fullmatch(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+", value) is not None


def _is_path(value: str) -> bool:
    return "\0" not in value and "\n" not in value


# Each type's check, and how a message names a valid value.
VALUE_TYPES: dict[str, tuple[Callable[[str], bool], str]] = {
    "int": (_is_int, "a whole number, such as 42"),
    "bool": (_is_bool, "true or false (also 1/0, yes/no, on/off)"),
    "port": (_is_port, "a port number from 1 to 65535"),
    "url": (_is_url, "a URL with a scheme, such as https://example.com"),
    "email": (_is_email, "an e-mail address, such as dev@example.com"),
    "path": (_is_path, "a file path on one line"),
}

_ANNOTATION = re.compile(
    r"type\s*:\s*(?P<type>.*)"
    r"|one\s+of\s*:\s*(?P<choices>.*)"
    r"|(?P<flags>(?:required|secret)(?:[\s,]+(?:required|secret))*\.?)",
    re.IGNORECASE,
)


def read_specs(example: EnvFile) -> tuple[dict[str, KeySpec], list[EnvFinding]]:
    """Read each key's annotations; the first statement of a repeated key counts."""
    specs: dict[str, KeySpec] = {}
    findings: list[EnvFinding] = []
    for entry in example.entries:
        if entry.key in specs:
            continue
        block = _comment_block(example.comments, entry.line)
        specs[entry.key] = _annotate(entry, block, example.path, findings)
    return specs, findings


def _comment_block(comments: Mapping[int, str], line: int) -> list[tuple[int, str]]:
    """Return the comment lines directly above `line`, top to bottom."""
    block: list[tuple[int, str]] = []
    above = line - 1
    while above in comments:
        block.append((above, comments[above]))
        above -= 1
    return block[::-1]


def _annotate(
    entry: EnvEntry,
    block: list[tuple[int, str]],
    path: Path,
    findings: list[EnvFinding],
) -> KeySpec:
    """Build the key's spec from its comment block, adding any problems to `findings`."""
    description: list[str] = []
    flags: set[str] = set()
    value_type = ""
    choices: tuple[str, ...] = ()

    for line, raw in block:
        text = raw.strip()
        annotation = _ANNOTATION.fullmatch(text)
        if annotation is None:
            if text:
                description.append(text)
            meant = _likely_annotation(text)
            if meant:
                findings.append(_misspelt(path, line, entry.key, text, meant))
        elif annotation["type"] is not None:
            value_type = annotation["type"].strip().lower()
            if value_type not in VALUE_TYPES:
                findings.append(_unknown_type(path, line, entry.key, value_type))
                value_type = ""
        elif annotation["choices"] is not None:
            choices = _split_choices(annotation["choices"])
            if not choices:
                findings.append(_empty_choices(path, line, entry.key))
        else:
            flags.update(re.findall(r"required|secret", text.lower()))

    return KeySpec(
        entry.key,
        entry.value or "",
        entry.line,
        " ".join(description),
        "required" in flags,
        "secret" in flags,
        value_type,
        choices,
    )


_FLAGS = ("required", "secret")
_LABELS = {"type": "type:", "oneof": "one of:"}
# A comment line of one to three words with no other punctuation, which could be
# misspelt flags, and a short label before a colon, which could be `type:` or
# `one of:`. Longer lines are descriptions and are never compared.
_FLAG_WORDS = re.compile(r"[A-Za-z]+(?:[\s,]+[A-Za-z]+){0,2}\.?")
_LABEL = re.compile(r"(?P<label>[A-Za-z][A-Za-z _-]{0,11}?)\s*:\s*(?P<rest>.*)")
# difflib's similarity ratio from which a word counts as a misspelt annotation:
# `requird` scores 0.93 against `required`, `tpye` 0.75 against `type`, while
# description words such as `note` (0.5) or `optional` (0.12) stay below.
_CUTOFF = 0.75


def _likely_annotation(text: str) -> str | None:
    """Return the annotation that the comment `text` most likely misspells, or None."""
    if _FLAG_WORDS.fullmatch(text):
        return _likely_flags(text)
    label = _LABEL.fullmatch(text)
    if label is None:
        return None
    squeezed = re.sub(r"[\s_-]", "", label["label"].lower())
    close = difflib.get_close_matches(squeezed, list(_LABELS), n=1, cutoff=_CUTOFF)
    if not close:
        return None
    return f"{_LABELS[close[0]]} {label['rest'].strip()}".rstrip()


def _likely_flags(text: str) -> str | None:
    """Return `text` with each word corrected to a flag, or None if one is not close."""
    corrected = []
    for word in re.findall(r"[A-Za-z]+", text.lower()):
        close = difflib.get_close_matches(word, _FLAGS, n=1, cutoff=_CUTOFF)
        if not close:
            return None
        corrected.append(close[0])
    return ", ".join(corrected)


def _misspelt(path: Path, line: int, key: str, text: str, meant: str) -> EnvFinding:
    message = (
        f"unknown annotation `# {text}`, so it is read as a description; "
        f"did you mean `# {meant}`?"
    )
    fix = f"write `# {meant}`, or reword the line if it is a description"
    return EnvFinding(path, line, key, WARNING, "annotation", message, fix)


def _split_choices(text: str) -> tuple[str, ...]:
    return tuple(choice.strip() for choice in text.split(",") if choice.strip())


def _unknown_type(path: Path, line: int, key: str, value_type: str) -> EnvFinding:
    message = f"unknown type {value_type!r}, so the value is not checked"
    fix = f"write `# type: T` with T one of: {', '.join(VALUE_TYPES)}"
    return EnvFinding(path, line, key, WARNING, "annotation", message, fix)


def _empty_choices(path: Path, line: int, key: str) -> EnvFinding:
    message = "`one of:` lists no values, so the value is not checked"
    fix = "list the allowed values after `one of:`, separated by commas"
    return EnvFinding(path, line, key, WARNING, "annotation", message, fix)


def validate_value(spec: KeySpec, value: str) -> str | None:
    """Return why `value` does not fit the spec's type or choices, or None if it fits.

    The text never contains the value, so it is safe to show for a secret.
    """
    problem = _value_problem(spec, value)
    return problem[1] if problem else None


def _value_problem(spec: KeySpec, value: str) -> tuple[str, str] | None:
    """Return the rule code and the expectation that `value` misses."""
    if spec.value_type:
        check, expected = VALUE_TYPES[spec.value_type]
        if not check(value):
            return "type", f"expected {expected}"
    if spec.choices and value not in spec.choices:
        return "choice", f"expected one of: {', '.join(spec.choices)}"
    return None
