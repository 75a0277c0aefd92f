"""Reading `.env` files, checking `.env` against `.env.example` and the fragments,
and writing `.env` for `devenv env init`.

The only module that imports python-dotenv. Annotations in `.env.example` are comment
lines right above a key: free text describes the key, and these lines constrain it:

    # required            the value must not be empty
    # secret              the value is masked in every output
    # type: port          one of int, bool, port, url, email, path
    # one of: a, b, c     the value must be one of these

`required` and `secret` may share a line. The example's value is the default that
`env init` writes, except for a placeholder: the value of a required key that is
secret or reads like one (`<your token>`, change-me, TODO, xxx), which the developer
must replace.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
import stat
import subprocess
import tempfile
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from dotenv import parser as dotenv_parser
from dotenv.variables import parse_variables

from devenv.errors import DevenvError, InputError
from devenv.profiles import Profile
from devenv.secrets import MASK, Masker, is_secret_name
from devenv.workspace import Workspace
from devenv.yaml_io import load_yaml

ERROR = "error"
WARNING = "warning"

# The rule code of each kind of finding, as `devenv env check --json` reports it.
RULES = {
    "syntax": "a line python-dotenv cannot parse",
    "duplicate": "a key set more than once in one file",
    "missing": "a key of .env.example absent from .env",
    "unknown": "a key of .env that .env.example does not document",
    "required-empty": "a required key with an empty value",
    "placeholder": "a required key whose value is still the example's placeholder",
    "type": "a value that does not fit its `type:` annotation",
    "choice": "a value outside its `one of:` list",
    "undocumented": "a variable that a fragment uses and .env.example lacks",
    "not-ignored": "an env file that git does not ignore",
    "permissions": "an env file with secrets that other users may read",
    "parser-mismatch": "a key that Compose reads differently from python-dotenv",
    "compose-rejects": "an env file that Compose cannot read",
    "no-env": "no env file",
    "no-example": "no .env.example",
    "annotation": "an annotation in .env.example that devenv cannot use",
}

# Compose's interpolation names; other keys cannot be referenced from a fragment.
_VARIABLE_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_PLACEHOLDER = re.compile(
    r"^<.*>$|change[-_ ]?me|replace[-_ ]?me|your[-_ ]|^todo$|^x{3,}$", re.IGNORECASE
)
_FALLBACK_OPERATORS = frozenset({":-", "-", ":+", "+"})


# --- Records ---------------------------------------------------------------------


# EnvEntry and KeySpec are NamedTuples rather than frozen dataclasses because a file
# yields one per line. On CPython 3.11 a NamedTuple is created in about a sixth of
# the time, which matters for a 10,000-key file checked before every `devenv up`.


class EnvEntry(NamedTuple):
    """One `KEY=value` statement as python-dotenv reads it, before expansion."""

    key: str
    value: str | None  # None for a bare `KEY` line without `=`
    line: int
    end_line: int  # differs from `line` for a multi-line quoted value


@dataclass(frozen=True)
class InvalidLine:
    """A statement python-dotenv cannot parse; `key` is a best guess and may be ''."""

    line: int
    key: str
    reason: str
    fix: str


@dataclass(frozen=True)
class EnvFile:
    """A parsed env file, with what `env init` needs to rewrite it in place."""

    path: Path
    entries: tuple[EnvEntry, ...]
    comments: Mapping[int, str] = field(compare=False)  # line -> text after `#`
    invalid: tuple[InvalidLine, ...]
    lines: tuple[str, ...] = field(repr=False)  # the text split on "\n"
    newline: str = "\n"
    bom: bool = False

    def last_entries(self) -> dict[str, EnvEntry]:
        """Map each key to its last statement, the one whose value wins."""
        return {entry.key: entry for entry in self.entries}


class KeySpec(NamedTuple):
    """A key documented in `.env.example`, with its annotations."""

    key: str
    default: str  # the example's value as written
    line: int
    description: str = ""
    required: bool = False
    secret: bool = False
    value_type: str = ""  # a key of VALUE_TYPES, or '' for any text
    choices: tuple[str, ...] = ()

    @property
    def is_secret(self) -> bool:
        return self.secret or is_secret_name(self.key)

    @property
    def has_placeholder(self) -> bool:
        """Whether the example's value only shows where the developer's value goes."""
        if not (self.required and self.default):
            return False
        return self.is_secret or bool(_PLACEHOLDER.search(self.default))

    @property
    def needs_value(self) -> bool:
        """Whether `env init` must ask for the value instead of copying the example's."""
        return self.required and (not self.default or self.has_placeholder)


@dataclass(frozen=True)
class EnvFinding:
    """One problem found in `.env`, `.env.example` or a fragment; line 0 is the file."""

    file: Path
    line: int
    key: str
    severity: str  # ERROR or WARNING
    rule: str  # a key of RULES
    message: str
    fix: str

    def as_dict(self, root: Path | None = None) -> dict[str, Any]:
        return {
            "file": display_path(self.file, root),
            "line": self.line,
            "key": self.key,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class EnvReport:
    """The result of `check_environment`: findings, and the secrets to mask."""

    env_path: Path
    example_path: Path
    findings: tuple[EnvFinding, ...]
    compose_status: str  # "compared" or "skipped"
    compose_skip_reason: str = ""
    # Collects the secret values when `masker()` is called, so a caller that prints
    # nothing, such as `devenv up` on a clean file, never pays for it.
    secret_values: Callable[[], frozenset[str]] = field(
        default=frozenset, repr=False, compare=False
    )

    @property
    def has_errors(self) -> bool:
        return any(finding.severity == ERROR for finding in self.findings)

    @property
    def error_count(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == WARNING)

    def masker(self) -> Masker:
        return Masker(self.secret_values())


def display_path(path: Path, root: Path | None) -> str:
    """Show `path` relative to `root` when it lies inside it."""
    if root is not None and path.is_relative_to(root):
        return str(path.relative_to(root))
    return str(path)


# --- Reading ---------------------------------------------------------------------


class _OffsetReader(dotenv_parser.Reader):
    """python-dotenv's Reader without its line counting on every read.

    `dotenv.parser.parse_binding`, python-dotenv's own grammar, drives it unchanged.
    The stock Reader counts newlines after each regex match, which makes parsing
    a 10,000-key file several times slower, so lines come from offsets instead.
    """

    def __init__(self, text: str) -> None:
        self.string = text
        self.position = dotenv_parser.Position.start()
        self.mark = dotenv_parser.Position.start()

    def set_mark(self) -> None:
        self.mark.chars = self.position.chars

    def get_marked(self) -> dotenv_parser.Original:
        text = self.string[self.mark.chars : self.position.chars]
        return dotenv_parser.Original(string=text, line=0)

    def read(self, count: int) -> str:
        start = self.position.chars
        result = self.string[start : start + count]
        if len(result) < count:
            raise dotenv_parser.Error("read: End of string")
        self.position.chars += count
        return result

    def read_regex(self, regex: re.Pattern[str]) -> tuple[str, ...]:
        match = regex.match(self.string, self.position.chars)
        if match is None:
            raise dotenv_parser.Error("read_regex: Pattern not found")
        self.position.chars = match.end()
        return match.groups()


# Matches each line that is not blank. A comment line and a one-line statement that
# python-dotenv reads plainly are taken apart here: a key of name characters, then
# an unquoted value without inner whitespace or a single-quoted value without
# backslashes, then an optional comment. Any other line is left to python-dotenv's
# parser. This is several times faster on large files, and a test checks that both
# read samples alike.
_LINE = re.compile(
    r"^[^\S\n]*(?:"
    r"#(?P<comment>[^\n]*)"
    r"|(?:export[^\S\n]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[^\S\n]*=[^\S\n]*"
    r"(?:'(?P<quoted>[^'\\\n]*)'|(?P<plain>[^\s'\"]\S*)?)[^\S\n]*(?:#[^\n]*)?"
    r"|(?P<other>\S[^\n]*)"
    r")$",
    re.MULTILINE,
)


def read_env_file(path: Path) -> EnvFile:
    """Parse an env file; raise InputError when it is missing or not UTF-8 text.

    Lines python-dotenv cannot parse are recorded in `invalid`, never raised. CRLF
    line endings are read as LF and a UTF-8 byte order mark is skipped, as Compose
    v2.40 does. A lone CR also ends a line, as in python-dotenv, but Compose reads
    it as part of the value, which the Compose comparison reports.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(
            f"{path}: cannot be read ({error.strerror}). Check that the file exists "
            "and that you may read it."
        ) from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not valid UTF-8 (byte {error.start}). Save the file as UTF-8."
        ) from error

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    entries, comments, invalid = _parse(text)
    return EnvFile(
        path=path,
        entries=tuple(entries),
        comments=comments,
        invalid=tuple(invalid),
        lines=tuple(text.split("\n")),
        newline="\r\n" if b"\r\n" in raw else "\n",
        bom=raw.startswith(codecs.BOM_UTF8),
    )


def _parse(text: str) -> tuple[list[EnvEntry], dict[int, str], list[InvalidLine]]:
    """Split `text` into statements, comments and invalid lines, with line numbers."""
    entries: list[EnvEntry] = []
    comments: dict[int, str] = {}
    invalid: list[InvalidLine] = []
    reader = _OffsetReader(text)
    consumed = 0  # python-dotenv has read the text up to this offset
    line, counted = 1, 0  # the line number at offset `counted`

    for match in _LINE.finditer(text):
        if match.start() < consumed:
            continue  # inside a multi-line value
        line += text.count("\n", counted, match.start())
        counted = match.start()
        kind = match.lastgroup
        if kind == "comment":
            comments[line] = match["comment"]
        elif kind != "other":
            value = match["quoted"] if match["quoted"] is not None else match["plain"]
            entries.append(EnvEntry(match["key"], value or "", line, line))
        else:
            start = reader.position.chars = match.start("other")
            binding = dotenv_parser.parse_binding(reader)
            consumed = reader.position.chars
            end_line = line + text.count("\n", start, consumed - 1)
            if binding.error:
                invalid.append(_invalid_line(text, start, line))
            elif binding.key is not None:
                entries.append(EnvEntry(binding.key, binding.value, line, end_line))
    return entries, comments, invalid


_KEY_GUESS = re.compile(r"(?:export[ \t]+)?([^=\s#'\"]+)")
_OPENING_QUOTE = re.compile(r"[^=\n]*=[ \t]*(['\"])")
_QUOTED = {
    '"': re.compile(r'"(?:\\"|[^"])*"'),
    "'": re.compile(r"'(?:\\'|[^'])*'"),
}


def _invalid_line(text: str, start: int, line: int) -> InvalidLine:
    """Describe why python-dotenv rejected the statement at `start`, not its value."""
    first_line = text[start:].split("\n", 1)[0]
    guess = _KEY_GUESS.match(first_line)
    key = guess.group(1) if guess else ""
    opening = _OPENING_QUOTE.match(first_line)

    if re.match(r"(?:export[ \t]+)?[^=\s]+[ \t]+[^=\s]", first_line):
        reason = "the key contains a space"
        fix = "use letters, digits and '_' in the key, as in MY_KEY=value"
    elif opening:
        quote = opening.group(1)
        if _QUOTED[quote].match(text, start + opening.end() - 1):
            reason = "text follows the closing quote"
            fix = "move that text inside the quotes, or start a comment with ' #'"
        else:
            reason = f"the quoted value opened with {quote} is never closed"
            fix = f"add the closing {quote}"
    elif first_line.lstrip().startswith("="):
        reason, fix = "there is no key before '='", "write a key before '='"
    else:
        reason, fix = "python-dotenv cannot parse it", "write it as KEY=value"
    return InvalidLine(line, key, reason, fix)


def expand_values(
    entries: Iterable[EnvEntry], environ: Mapping[str, str]
) -> dict[str, str | None]:
    """Expand `${VAR}` and `${VAR:-default}` in every value, as python-dotenv does.

    Like `dotenv_values`, earlier keys of the file win over `environ`, and single-
    quoted values are expanded too. A bare `KEY` maps to None.
    """
    values: dict[str, str | None] = {}
    lookup = ChainMap(values, environ)
    for entry in entries:
        value = entry.value
        if value is not None and "${" in value:
            value = "".join(atom.resolve(lookup) for atom in parse_variables(value))
        values[entry.key] = value
    return values


def _read_if_exists(path: Path) -> EnvFile | None:
    return read_env_file(path) if path.exists() else None


# --- Annotations in .env.example -------------------------------------------------


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


# --- Checks over .env and .env.example -------------------------------------------


def _syntax_findings(env: EnvFile, severity: str) -> list[EnvFinding]:
    return [
        EnvFinding(
            env.path,
            bad.line,
            bad.key,
            severity,
            "syntax",
            f"invalid line: {bad.reason}",
            bad.fix,
        )
        for bad in env.invalid
    ]


def _duplicate_findings(env: EnvFile, is_example: bool) -> list[EnvFinding]:
    """Report each repeated key; in `.env`, a repeat with another value is an error."""
    findings: list[EnvFinding] = []
    previous: dict[str, EnvEntry] = {}
    for entry in env.entries:
        earlier = previous.get(entry.key)
        previous[entry.key] = entry
        if earlier is None:
            continue
        differs = earlier.value != entry.value
        severity = ERROR if differs and not is_example else WARNING
        other = "a different value" if differs else "the same value"
        message = f"set again, with {other} than line {earlier.line}; this line wins"
        fix = "delete one of the two lines"
        findings.append(
            EnvFinding(
                env.path, entry.line, entry.key, severity, "duplicate", message, fix
            )
        )
    return findings


def _missing_findings(
    env: EnvFile, example: EnvFile, specs: Mapping[str, KeySpec]
) -> list[EnvFinding]:
    # A key on an invalid line already has a syntax finding.
    present = {entry.key for entry in env.entries} | {bad.key for bad in env.invalid}
    findings = []
    for key, spec in specs.items():
        if key in present:
            continue
        severity = ERROR if spec.required else WARNING
        where = f"{example.path.name}:{spec.line}"
        message = f"documented at {where} but missing from {env.path.name}"
        default = "" if spec.required else " with the example's default"
        fix = f"run `devenv env init` to add it{default}"
        findings.append(EnvFinding(env.path, 0, key, severity, "missing", message, fix))
    return findings


def _unknown_findings(
    env: EnvFile, example: EnvFile, specs: Mapping[str, KeySpec]
) -> list[EnvFinding]:
    findings = []
    index = _KeyIndex(specs)
    seen: set[str] = set()
    for entry in env.entries:
        if entry.key in specs or entry.key in seen:
            continue
        seen.add(entry.key)
        suggestion = index.suggest(entry.key)
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        message = f"not documented in {example.path.name}{hint}"
        fix = (
            f"rename it to {suggestion}" if suggestion else "document it, or delete it"
        )
        findings.append(
            EnvFinding(
                env.path, entry.line, entry.key, WARNING, "unknown", message, fix
            )
        )
    return findings


class _KeyIndex:
    """Finds the documented key a typo most likely meant.

    Checks a case-insensitive match, then every key one edit away (insert, delete,
    replace, swap), so a lookup costs the same in a 10,000-key example as in a small
    one. Small examples also get difflib's fuzzier match.
    """

    _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
    _FUZZY_LIMIT = 1000

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = list(keys)
        self._by_upper: dict[str, str] = {}

    def suggest(self, key: str) -> str | None:
        if not self._by_upper:
            self._by_upper = {known.upper(): known for known in self._keys}
        upper = key.upper()
        if upper in self._by_upper:
            return self._by_upper[upper]
        edits = _edits(upper, self._ALPHABET)
        matches = sorted(
            self._by_upper[edit] for edit in edits if edit in self._by_upper
        )
        if matches:
            return matches[0]
        if len(self._keys) <= self._FUZZY_LIMIT:
            close = difflib.get_close_matches(key, self._keys, n=1, cutoff=0.75)
            return close[0] if close else None
        return None


def _edits(word: str, alphabet: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {left + right[1:] for left, right in splits if right}
    swaps = {
        left + right[1] + right[0] + right[2:]
        for left, right in splits
        if len(right) > 1
    }
    replaces = {
        left + c + right[1:] for left, right in splits if right for c in alphabet
    }
    inserts = {left + c + right for left, right in splits for c in alphabet}
    return deletes | swaps | replaces | inserts


def _value_findings(
    env: EnvFile,
    specs: Mapping[str, KeySpec],
    values: Mapping[str, str | None],
) -> list[EnvFinding]:
    """Check required, placeholder, type and choice rules on each key's final value."""
    findings = []
    for key, entry in env.last_entries().items():
        spec = specs.get(key)
        if spec is None or not (spec.required or spec.value_type or spec.choices):
            continue
        finding = _value_finding(env.path, entry, spec, values.get(key) or "")
        if finding:
            findings.append(finding)
    return findings


def _value_finding(
    path: Path, entry: EnvEntry, spec: KeySpec, value: str
) -> EnvFinding | None:
    key, line = spec.key, entry.line
    if spec.required and not value:
        fix = f"set {key} in {path.name}{_described(spec)}"
        return EnvFinding(
            path, line, key, ERROR, "required-empty", "required but empty", fix
        )
    if spec.has_placeholder and entry.value == spec.default:
        message = "the value is still the example's placeholder"
        fix = f"replace it with your own value{_described(spec)}"
        return EnvFinding(path, line, key, ERROR, "placeholder", message, fix)
    problem = _value_problem(spec, value) if value else None
    if problem is None:
        return None
    rule, expected = problem
    displayed = MASK if spec.is_secret else repr(value)
    message = f"invalid value {displayed}: {expected}"
    fix = f"set {key} to {expected.removeprefix('expected ')}"
    return EnvFinding(path, line, key, ERROR, rule, message, fix)


def _described(spec: KeySpec) -> str:
    return f" ({spec.description})" if spec.description else ""


# --- ${VAR} references in fragments ----------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One `$VAR` or `${VAR...}` that Compose interpolates in a fragment."""

    name: str
    operator: str  # '', ':-', '-', ':?', '?', ':+' or '+'
    path: Path
    line: int
    on_comment_line: bool = False  # a YAML comment, or text in a block scalar

    @property
    def has_fallback(self) -> bool:
        """Whether the reference still works when the variable is unset."""
        return self.operator in _FALLBACK_OPERATORS


_OPERATOR = re.compile(r":?[-?+]")


def scan_references(text: str) -> Iterator[tuple[str, str]]:
    """Yield (name, operator) for each variable Compose interpolates in `text`.

    Covers $VAR, ${VAR} and ${VAR<op>word} with op one of :- - :? ? :+ +, including
    references nested in a default. `$$` is an escaped dollar sign.
    """
    index = text.find("$")
    while index != -1:
        following = text[index + 1 : index + 2]
        if following == "$":
            index = text.find("$", index + 2)
            continue
        braced = following == "{"
        name = _VARIABLE_NAME.match(text, index + 2 if braced else index + 1)
        if name and braced:
            operator = _OPERATOR.match(text, name.end())
            if operator:
                yield name.group(), operator.group()
            elif text.startswith("}", name.end()):
                yield name.group(), ""
        elif name:
            yield name.group(), ""
        index = text.find("$", index + 1)


def fragment_references(path: Path) -> list[Reference]:
    """List the references Compose interpolates in one fragment, with their lines."""
    return _confirm_references(path, _text_references(path))


def _text_references(path: Path) -> list[Reference]:
    """Scan every line of the fragment's text, comments included.

    This is cheap but may include references that sit in YAML comments, which
    `_confirm_references` removes.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({error}).") from error
    references = []
    for number, line in enumerate(text.split("\n"), start=1):
        if "$" not in line:
            continue
        on_comment_line = line.lstrip().startswith("#")
        for name, operator in scan_references(line):
            references.append(Reference(name, operator, path, number, on_comment_line))
    return references


def _confirm_references(path: Path, references: list[Reference]) -> list[Reference]:
    """Keep references to names that the parsed YAML's string values contain.

    A name found on a comment-looking line counts only when the YAML uses it,
    because such a line can be the content of a block scalar. Its occurrences on
    other lines are preferred when both exist.
    """
    if not references:
        return []
    used = {
        name for text in _strings(load_yaml(path)) for name, _ in scan_references(text)
    }
    confirmed = [reference for reference in references if reference.name in used]
    on_value_lines = {r.name for r in confirmed if not r.on_comment_line}
    return [
        r for r in confirmed if not r.on_comment_line or r.name not in on_value_lines
    ]


def _strings(data: Any) -> Iterator[str]:
    """Yield every string value in parsed YAML; Compose never interpolates keys."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _reference_findings(
    references: Iterable[Reference],
    specs: Mapping[str, KeySpec],
    env_keys: set[str],
    environ: Mapping[str, str],
) -> list[EnvFinding]:
    """Report each undocumented variable once, where it is used most riskily.

    It is an error only when some use has no fallback and neither `.env` nor the
    environment sets the variable, because then the stack gets an empty value.
    """
    by_name: dict[str, list[Reference]] = {}
    for reference in references:
        if reference.name not in specs:
            by_name.setdefault(reference.name, []).append(reference)

    findings = []
    for name, uses in by_name.items():
        bare = [use for use in uses if not use.has_fallback]
        reported = bare[0] if bare else uses[0]
        is_set = name in env_keys or name in environ
        severity = ERROR if bare and not is_set else WARNING
        where = "set in .env or the environment" if is_set else "set nowhere"
        message = f"used here, but .env.example does not document it ({where})"
        fix = f"add {name} to .env.example with a comment that describes it"
        findings.append(
            EnvFinding(
                reported.path,
                reported.line,
                name,
                severity,
                "undocumented",
                message,
                fix,
            )
        )
    return findings


def _fragment_paths(workspace: Workspace, profile: Profile | None) -> list[Path]:
    if profile is not None:
        return list(profile.fragment_paths)
    return [workspace.fragment_path(name) for name in workspace.fragment_names()]


# --- Checks on the file itself ----------------------------------------------------


def _git_finding(env_path: Path, has_secrets: bool) -> EnvFinding | None:
    """Report an env file git would commit; outside a git checkout, report nothing."""
    command = ["git", "-C", str(env_path.parent), "check-ignore", "-q", "--"]
    try:
        completed = subprocess.run(
            [*command, env_path.name], check=False, capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    # 0: ignored; 1: not ignored; 128: not a git checkout, or git failed.
    if completed.returncode != 1:
        return None
    name = env_path.name
    severity = ERROR if has_secrets else WARNING
    with_secrets = ", which contains secrets," if has_secrets else ""
    message = (
        f"git does not ignore {name}{with_secrets} so `git add` can commit it "
        "(or git tracks it already)"
    )
    fix = (
        f"add {name} to .gitignore; if git tracks it, also run `git rm --cached {name}`"
    )
    return EnvFinding(env_path, 0, "", severity, "not-ignored", message, fix)


def _permission_finding(env_path: Path, has_secrets: bool) -> EnvFinding | None:
    if not has_secrets or os.name != "posix":
        return None
    mode = stat.S_IMODE(env_path.stat().st_mode)
    if not mode & 0o077:
        return None
    message = f"contains secrets, but its mode {mode:04o} lets other users access it"
    fix = f"run `chmod 600 {env_path.name}`"
    return EnvFinding(env_path, 0, "", WARNING, "permissions", message, fix)


# --- Comparison with Compose's own parser -----------------------------------------


def _compose_findings(
    env: EnvFile, specs: Mapping[str, KeySpec]
) -> tuple[list[EnvFinding], str]:
    """Compare python-dotenv's reading of each key with Compose's.

    Return the findings and, when the comparison could not run, the reason.
    """
    from devenv import engine
    from devenv.errors import EngineError, EngineUnavailable

    last = env.last_entries()
    keys = [key for key in last if _VARIABLE_NAME.fullmatch(key)]
    try:
        theirs = engine.compose_env_values(env.path, keys)
    except EngineUnavailable as error:
        return [], str(error)
    except EngineError as error:
        return [], str(error)
    except InputError as error:
        return [_compose_rejects(env.path, str(error))], ""

    # Expand with the few variables Compose's process had, as Compose did.
    ours = expand_values(env.entries, engine.env_probe_environment(keys))
    findings = []
    for key in keys:
        if ours.get(key) != theirs.get(key):
            secret = _is_secret_key(key, specs)
            findings.append(
                _mismatch(env, last[key], ours[key], theirs.get(key), secret)
            )
    return findings, ""


def _compose_rejects(path: Path, message: str) -> EnvFinding:
    match = re.search(r"line (\d+)", message)
    line = int(match.group(1)) if match else 0
    fix = "fix the line Compose names; `docker compose up` fails until then"
    return EnvFinding(path, line, "", ERROR, "compose-rejects", message, fix)


def _mismatch(
    env: EnvFile, entry: EnvEntry, ours: str | None, theirs: str | None, secret: bool
) -> EnvFinding:
    statement = "\n".join(env.lines[entry.line - 1 : entry.end_line])
    cause, fix = _mismatch_cause(statement)
    message = (
        f"Compose reads {_show(theirs, secret)}, python-dotenv reads "
        f"{_show(ours, secret)}; the stack sees Compose's value ({cause})"
    )
    return EnvFinding(
        env.path, entry.line, entry.key, WARNING, "parser-mismatch", message, fix
    )


def _mismatch_cause(statement: str) -> tuple[str, str]:
    value = statement.partition("=")[2].lstrip()
    if value.startswith("'") and "${" in value:
        return (
            "python-dotenv expands ${...} inside single quotes, Compose does not",
            "use double quotes to expand the variable, or drop the ${...}",
        )
    if "\\" in value:
        return (
            "the two parsers read backslash escapes differently",
            'use double quotes with only \\n, \\\\ and \\" escapes',
        )
    if re.search(r"\$(\$|[_A-Za-z])", value):
        return (
            "Compose also expands $NAME and reads $$ as $, python-dotenv does not",
            "write ${NAME} with braces, and avoid $$",
        )
    return (
        "the two parsers read this line differently",
        "write the value plainly or in double quotes",
    )


def _show(value: str | None, secret: bool) -> str:
    if value is None:
        return "nothing (unset)"
    if secret:
        return f"{MASK} ({len(value)} characters)"
    return repr(value)


# --- Public entry points ----------------------------------------------------------


def env_path_for(workspace: Workspace, profile: Profile | None) -> Path:
    return profile.env_file if profile is not None else workspace.root / ".env"


def check_environment(
    workspace: Workspace,
    profile: Profile | None,
    *,
    environ: Mapping[str, str] = os.environ,
    compare_with_compose: bool = True,
) -> EnvReport:
    """Check `.env` against `.env.example` and the fragments' `${VAR}` references.

    Without a profile, every fragment in compose/ is checked. `environ` is the
    environment Compose would see. Raise InputError when a file cannot be read.
    """
    env_path = env_path_for(workspace, profile)
    example = _read_if_exists(workspace.env_example)
    env = _read_if_exists(env_path)
    specs, findings = _example_findings(example, workspace.env_example)

    if env is None:
        findings += _absent_env(env_path, specs)
    else:
        values = expand_values(env.entries, environ)
        has_secrets = _has_secret_value(values, specs)
        findings += _env_findings(env, example, specs, values)
        findings += _file_findings(env_path, has_secrets)
    if example is not None:
        findings += _undocumented_findings(workspace, profile, specs, env, environ)

    skip_reason = "not requested"
    if env is None:
        skip_reason = f"{env_path.name} not found"
    elif compare_with_compose:
        compose_findings, skip_reason = _compose_findings(env, specs)
        findings += compose_findings

    def secret_values() -> frozenset[str]:
        return _secret_values(
            [example, env], _secret_keys([example, env], specs), environ
        )

    return EnvReport(
        env_path=env_path,
        example_path=workspace.env_example,
        findings=tuple(sorted(findings, key=lambda f: (str(f.file), f.line))),
        compose_status="skipped" if skip_reason else "compared",
        compose_skip_reason=skip_reason,
        secret_values=secret_values,
    )


def _undocumented_findings(
    workspace: Workspace,
    profile: Profile | None,
    specs: Mapping[str, KeySpec],
    env: EnvFile | None,
    environ: Mapping[str, str],
) -> list[EnvFinding]:
    # Only a fragment with a name the example lacks needs its YAML parsed.
    references = []
    for path in _fragment_paths(workspace, profile):
        candidates = [r for r in _text_references(path) if r.name not in specs]
        references += _confirm_references(path, candidates)
    env_keys = {entry.key for entry in env.entries} if env else set()
    return _reference_findings(references, specs, env_keys, environ)


def _example_findings(
    example: EnvFile | None, path: Path
) -> tuple[dict[str, KeySpec], list[EnvFinding]]:
    if example is None:
        message = f"{path.name} not found, so nothing documents the variables"
        fix = f"create {path.name} with every variable the fragments use"
        return {}, [EnvFinding(path, 0, "", WARNING, "no-example", message, fix)]
    specs, findings = read_specs(example)
    findings += _syntax_findings(example, WARNING)
    findings += _duplicate_findings(example, is_example=True)
    return specs, findings


def _absent_env(env_path: Path, specs: Mapping[str, KeySpec]) -> list[EnvFinding]:
    if not specs:
        return []
    message = f"{env_path.name} not found"
    fix = "run `devenv env init` to create it from .env.example"
    return [EnvFinding(env_path, 0, "", ERROR, "no-env", message, fix)]


def _env_findings(
    env: EnvFile,
    example: EnvFile | None,
    specs: Mapping[str, KeySpec],
    values: Mapping[str, str | None],
) -> list[EnvFinding]:
    findings = _syntax_findings(env, ERROR) + _duplicate_findings(env, is_example=False)
    if example is None:
        return findings
    findings += _missing_findings(env, example, specs)
    findings += _unknown_findings(env, example, specs)
    findings += _value_findings(env, specs, values)
    return findings


def _file_findings(env_path: Path, has_secrets: bool) -> list[EnvFinding]:
    found = [
        _git_finding(env_path, has_secrets),
        _permission_finding(env_path, has_secrets),
    ]
    return [finding for finding in found if finding is not None]


def _is_secret_key(key: str, specs: Mapping[str, KeySpec]) -> bool:
    spec = specs.get(key)
    return spec.is_secret if spec is not None else is_secret_name(key)


def _has_secret_value(
    values: Mapping[str, str | None], specs: Mapping[str, KeySpec]
) -> bool:
    return any(value and _is_secret_key(key, specs) for key, value in values.items())


def _secret_keys(
    files: Iterable[EnvFile | None], specs: Mapping[str, KeySpec]
) -> set[str]:
    declared = {key for key, spec in specs.items() if spec.secret}
    names = {entry.key for env in files if env is not None for entry in env.entries}
    return declared | {name for name in names if is_secret_name(name)}


def _secret_values(
    files: Iterable[EnvFile | None], secret_keys: set[str], environ: Mapping[str, str]
) -> frozenset[str]:
    """Collect each secret's value both as written and as expanded."""
    values: set[str] = set()
    for env in files:
        if env is None:
            continue
        expanded = expand_values(env.entries, environ)
        for entry in env.entries:
            if entry.key in secret_keys:
                values.update(v for v in (entry.value, expanded[entry.key]) if v)
    return frozenset(values)


def load_masker(workspace: Workspace, profile: Profile | None = None) -> Masker:
    """Build a Masker for the secrets of `.env` and `.env.example`; never raises.

    A file that is missing or unreadable contributes nothing.
    """
    files = [
        _read_quietly(workspace.env_example),
        _read_quietly(env_path_for(workspace, profile)),
    ]
    specs = read_specs(files[0])[0] if files[0] is not None else {}
    return Masker(_secret_values(files, _secret_keys(files, specs), os.environ))


def _read_quietly(path: Path) -> EnvFile | None:
    try:
        return _read_if_exists(path)
    except (DevenvError, OSError):
        return None


# --- env init ---------------------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    """What `init_env_file` did; with `missing` set, it wrote nothing."""

    path: Path
    created: bool
    added: tuple[str, ...] = ()
    prompted: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # required keys that need a value from the user


def init_env_file(
    workspace: Workspace,
    profile: Profile | None = None,
    ask: Callable[[KeySpec], str] | None = None,
) -> InitResult:
    """Create `.env` from `.env.example`, or add the keys it lacks, in example order.

    Values already in `.env` are never changed. Required keys with no value or a
    placeholder in the example get their value from `ask`. Without `ask`, nothing is
    written while such a key lacks a value.
    """
    env_path = env_path_for(workspace, profile)
    if not workspace.env_example.exists():
        raise InputError(
            f"{workspace.env_example} not found, so there is nothing to copy into "
            f"{env_path.name}. Create it with every variable the fragments use."
        )
    example = _read_valid(workspace.env_example)
    env = _read_valid(env_path) if env_path.exists() else None
    specs = read_specs(example)[0]
    present = {entry.key for entry in env.entries} if env else set()
    absent = [key for key in specs if key not in present]
    needs_value = [key for key in absent if specs[key].needs_value]

    if needs_value and ask is None:
        return InitResult(env_path, env is None, missing=tuple(needs_value))
    answers = {key: ask(specs[key]) for key in needs_value} if ask else {}
    if env is None:
        _create_private(env_path, _render_new(example, answers), example.newline)
    elif absent:
        lines = _render_additions(env, example, specs, absent, answers)
        _replace_keeping_mode(env, lines)
    return InitResult(env_path, env is None, tuple(absent), tuple(answers))


def _read_valid(path: Path) -> EnvFile:
    env = read_env_file(path)
    if env.invalid:
        lines = ", ".join(str(bad.line) for bad in env.invalid)
        raise InputError(
            f"{path}: python-dotenv cannot parse line(s) {lines}. Fix them first; "
            "`devenv env check` says what is wrong."
        )
    return env


_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_./:@%+,=-]*")
_DOTENV_EXPANSION = re.compile(r"\$\{[^}]*\}")


def format_value(value: str) -> str:
    """Write `value` so python-dotenv and Compose both read it back unchanged.

    Raise ValueError for the few values no quoting achieves that for: any `${...}`,
    because python-dotenv expands it even in single quotes, a `$` in a value that
    also contains `'`, a backslash or a line break, and a carriage return.
    """
    if _PLAIN_VALUE.fullmatch(value):
        return value
    if _DOTENV_EXPANSION.search(value) or "\r" in value:
        raise ValueError(value)
    if not any(char in value for char in "'\\\n"):
        return f"'{value}'"
    if "$" in value:
        raise ValueError(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _statement(key: str, value: str) -> str:
    return f"{key}={format_value(value)}"


def _render_new(example: EnvFile, answers: Mapping[str, str]) -> list[str]:
    """Copy the example's lines, with each answered key's statement replaced."""
    lines = list(example.lines)
    for entry in reversed(example.entries):
        if entry.key in answers:
            statement = _statement(entry.key, answers[entry.key])
            lines[entry.line - 1 : entry.end_line] = [statement]
    return lines


def _render_additions(
    env: EnvFile,
    example: EnvFile,
    specs: Mapping[str, KeySpec],
    absent: list[str],
    answers: Mapping[str, str],
) -> list[str]:
    """Insert each absent key, with its comments, beside its neighbours in the example.

    A key goes after the nearest earlier example key that `.env` has, else before
    the nearest later one (above that key's comments), else at the end.
    """
    order = list(specs)
    last = env.last_entries()
    first = {entry.key: entry for entry in reversed(env.entries)}
    end = len(env.lines) - 1 if env.lines[-1] == "" else len(env.lines)
    inserts: dict[int, list[str]] = {}

    for key in absent:
        position = _insertion_index(env, order, order.index(key), last, first, end)
        inserts.setdefault(position, []).extend(
            _example_block(example, specs[key], answers)
        )
    lines = list(env.lines)
    for position in sorted(inserts, reverse=True):
        lines[position:position] = inserts[position]
    return lines


def _insertion_index(
    env: EnvFile,
    order: list[str],
    index: int,
    last: Mapping[str, EnvEntry],
    first: Mapping[str, EnvEntry],
    end: int,
) -> int:
    for key in reversed(order[:index]):
        if key in last:
            return last[key].end_line
    for key in order[index + 1 :]:
        if key in first:
            return (
                first[key].line - 1 - len(_comment_block(env.comments, first[key].line))
            )
    return end


def _example_block(
    example: EnvFile, spec: KeySpec, answers: Mapping[str, str]
) -> list[str]:
    entry = next(e for e in example.entries if e.key == spec.key)
    block = _comment_block(example.comments, entry.line)
    comments = [example.lines[line - 1] for line, _ in block]
    if spec.key in answers:
        return [*comments, _statement(spec.key, answers[spec.key])]
    return [*comments, *example.lines[entry.line - 1 : entry.end_line]]


def _encode(lines: list[str], newline: str, bom: bool) -> bytes:
    text = "\n".join(lines)
    if not text.endswith("\n"):
        text += "\n"
    data = text.replace("\n", newline).encode("utf-8")
    return codecs.BOM_UTF8 + data if bom else data


def _create_private(path: Path, lines: list[str], newline: str) -> None:
    """Create the file with mode 0600, failing if it appeared in the meantime."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        message = (
            f"{path}: appeared while devenv was writing it. Run the command again."
        )
        raise InputError(message) from error
    with os.fdopen(descriptor, "wb") as stream:
        os.fchmod(stream.fileno(), 0o600)
        stream.write(_encode(lines, newline, bom=False))


def _replace_keeping_mode(env: EnvFile, lines: list[str]) -> None:
    """Replace the file atomically, keeping its mode, line endings and BOM."""
    mode = stat.S_IMODE(env.path.stat().st_mode)
    descriptor, temporary = tempfile.mkstemp(dir=env.path.parent, prefix=".env-")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(_encode(lines, env.newline, env.bom))
        os.replace(temporary, env.path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
