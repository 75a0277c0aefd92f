"""Reading `.env` files with python-dotenv's grammar, and expanding their values.

The only module of devenv that imports python-dotenv.
"""

from __future__ import annotations

import codecs
import re
from collections import ChainMap
from collections.abc import Iterable, Mapping
from pathlib import Path

from dotenv import parser as dotenv_parser
from dotenv.variables import parse_variables

from devenv.envfile.records import EnvEntry, EnvFile, InvalidLine
from devenv.errors import InputError


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
# read samples alike with the installed python-dotenv.
# An unquoted value that starts with `#` is left to the parser too, because
# releases read `KEY= #c` differently: 1.2.4 reads an empty value and a comment,
# earlier ones the value `#c`.
_LINE = re.compile(
    r"^[^\S\n]*(?:"
    r"#(?P<comment>[^\n]*)"
    r"|(?:export[^\S\n]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[^\S\n]*=[^\S\n]*"
    r"(?:(?:'(?P<quoted>[^'\\\n]*)'|(?P<plain>[^\s'\"#]\S*))[^\S\n]*(?:#[^\n]*)?)?"
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
