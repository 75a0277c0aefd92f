"""Reading `.env` files, checking them against `.env.example`, and `env init`."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from dotenv.parser import parse_stream

from devenv.envfile import (
    ERROR,
    RULES,
    WARNING,
    KeySpec,
    check_environment,
    expand_values,
    format_value,
    init_env_file,
    load_masker,
    read_env_file,
    read_specs,
    scan_references,
    secret_keys,
)
from devenv.profiles import resolve_profile
from devenv.secrets import MASK
from devenv.workspace import Workspace


def make_workspace(
    root: Path,
    example: str | None,
    env: str | bytes | None,
    fragments: dict[str, str] | None = None,
) -> Workspace:
    """Write a workspace; `.env` gets mode 0600 so only the case's findings appear."""
    (root / "profiles").mkdir(parents=True)
    (root / "compose").mkdir()
    if example is not None:
        (root / ".env.example").write_text(example, encoding="utf-8")
    if env is not None:
        path = root / ".env"
        path.write_bytes(env if isinstance(env, bytes) else env.encode("utf-8"))
        path.chmod(0o600)
    for name, text in (fragments or {}).items():
        (root / "compose" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return Workspace(root)


def check(workspace: Workspace, environ: dict[str, str] | None = None):
    return check_environment(
        workspace, None, environ=environ or {}, compare_with_compose=False
    )


def summary(report) -> list[tuple[str, str, int, str, str]]:
    return [(f.rule, f.file.name, f.line, f.key, f.severity) for f in report.findings]


# --- Reading every form the format allows -----------------------------------------

# (case, file text, expected (key, value after expansion, line) in file order)
# fmt: off
READING_CASES = [
    # `export` prefix is dropped from the key.
    ("export", "export A=1\n", [("A", "1", 1)]),
    # Single quotes keep spaces, `#` and a bare `$` literally.
    ("single quotes", "A='x # y $z'\n", [("A", "x # y $z", 1)]),
    # Double quotes decode \n, \t, \" and \\ escapes.
    ("double quotes", 'A="a\\nb\\t\\"c\\"\\\\"\n', [("A", 'a\nb\t"c"\\', 1)]),
    # No quotes: surrounding spaces are trimmed, inner ones kept.
    ("no quotes", "A=  plain value  \n", [("A", "plain value", 1)]),
    # A quoted value may span lines; the next key's line accounts for them.
    ("multi-line", 'A="one\ntwo\nthree"\nB=2\n',
     [("A", "one\ntwo\nthree", 1), ("B", "2", 4)]),
    # An inline comment after a space ends an unquoted value.
    ("inline comment", "A=value # note\n", [("A", "value", 1)]),
    # An inline comment may follow a quoted value.
    ("comment after quotes", 'A="v" # note\n', [("A", "v", 1)]),
    # `#` without a space before it is part of an unquoted value.
    ("hash inside value", "A=a#b\n", [("A", "a#b", 1)]),
    # `KEY=` is an empty value.
    ("empty value", "A=\n", [("A", "", 1)]),
    # A bare `KEY` has no value at all.
    ("bare key", "A\n", [("A", None, 1)]),
    # ${VAR} reads an earlier key, ${VAR:-x} falls back to x.
    ("expansion", "A=1\nB=${A}-x\nC=${NOPE:-def}\n",
     [("A", "1", 1), ("B", "1-x", 2), ("C", "def", 3)]),
    # CRLF line endings are read as LF.
    ("crlf", "A=1\r\nB=\"x\r\ny\"\r\n", [("A", "1", 1), ("B", "x\ny", 2)]),
    # A lone CR also ends a line.
    ("lone cr", "A=1\rB=2\r", [("A", "1", 1), ("B", "2", 2)]),
    # A UTF-8 byte order mark is not part of the first key.
    ("bom", "\ufeffA=1\n", [("A", "1", 1)]),
    # Spaces around `=` are allowed.
    ("spaces around equals", "A = 1\n", [("A", "1", 1)]),
    # A key may hold dots and dashes.
    ("dotted key", "a.b-c=1\n", [("a.b-c", "1", 1)]),
    # A key may be called `export`.
    ("key named export", "export=1\n", [("export", "1", 1)]),
    # Right after `=`, a `#` starts the value, not a comment.
    ("hash right after equals", "A=#c\n", [("A", "#c", 1)]),
    # Only ` #` ends an unquoted value.
    ("hash then comment", "A=x#y #z\n", [("A", "x#y", 1)]),
    # Empty single quotes.
    ("empty single quotes", "A=''\n", [("A", "", 1)]),
    # A comment may follow a closing quote without a space.
    ("comment after quote", "A='v'#c\n", [("A", "v", 1)]),
    # Single quotes decode only \' and \\.
    ("single-quote escapes", "A='it\\'s \\\\ \\n'\n", [("A", "it's \\ \\n", 1)]),
    # Backslashes stay in an unquoted value.
    ("unquoted backslash", "A=a\\nb\n", [("A", "a\\nb", 1)]),
    # Two assignments on one line make one unquoted value.
    ("two on one line", "A=1 B=2\n", [("A", "1 B=2", 1)]),
    # A quoted key.
    ("quoted key", "'A'=1\n", [("A", "1", 1)]),
    # Leading spaces before a key.
    ("indented", "  A=1\n\tB=2\n", [("A", "1", 1), ("B", "2", 2)]),
    # Comments and blank lines count towards line numbers.
    ("comments and blanks", "# c\n\n  \n# d\nA=1\n\n\nB=2",
     [("A", "1", 5), ("B", "2", 8)]),
]
# fmt: on


@pytest.mark.parametrize(
    ("text", "expected"),
    [case[1:] for case in READING_CASES],
    ids=[case[0] for case in READING_CASES],
)
def test_reader_reads_form(tmp_path: Path, text: str, expected: list) -> None:
    path = tmp_path / ".env"
    path.write_bytes(text.encode("utf-8"))
    env = read_env_file(path)
    values = expand_values(env.entries, {})
    assert env.invalid == ()
    assert [(e.key, values[e.key], e.line) for e in env.entries] == expected


# Lines python-dotenv rejects, between valid ones.
INVALID_SAMPLES = [
    ("text after quote", "A='x' y\nB=2\n"),
    ("unclosed quote", 'A=1\nB="open\nC=3\n'),
    ("space in key", "A B=1\nC=2\n"),
    ("no key", "=1\nC=2\n"),
]


# Lines that python-dotenv releases read differently, so only the comparison with
# the installed release can check them. From 1.2.4 on, `A= #c` is an empty value
# and a comment. Earlier releases read the value `#c`.
RELEASE_DEPENDENT_SAMPLES = [
    ("hash after equals", "A= #c\n"),
    ("hash after tab", "A=\t#c #d\n"),
    ("bare hash after space", "A= #\nB=2\n"),
    ("hash after space then quote", "A= #'c'\n"),
]
PARSE_STREAM_SAMPLES = READING_CASES + INVALID_SAMPLES + RELEASE_DEPENDENT_SAMPLES


@pytest.mark.parametrize(
    "text",
    [case[1] for case in PARSE_STREAM_SAMPLES],
    ids=[case[0] for case in PARSE_STREAM_SAMPLES],
)
def test_reader_matches_dotenv_parse_stream(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".env"
    path.write_bytes(text.encode("utf-8"))
    normalised = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    bindings = list(parse_stream(io.StringIO(normalised)))
    env = read_env_file(path)
    assert [(e.key, e.value) for e in env.entries] == [
        (b.key, b.value) for b in bindings if b.key
    ]
    assert len(env.invalid) == sum(1 for b in bindings if b.error)


def test_expansion_prefers_file_over_environment(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("HOST=file\nURL=http://${HOST}/${PORT}\n")
    values = expand_values(read_env_file(path).entries, {"HOST": "env", "PORT": "80"})
    assert values["URL"] == "http://file/80"


def test_reader_rejects_invalid_utf8(tmp_path: Path) -> None:
    from devenv.errors import InputError

    path = tmp_path / ".env"
    path.write_bytes(b"A=\xff\n")
    with pytest.raises(InputError, match="not valid UTF-8"):
        read_env_file(path)


# --- Findings ---------------------------------------------------------------------

DOCUMENTED = "# required\nA=1\n"

# (case, .env.example, .env, fragments, expected (rule, file, line, key, severity))
# fmt: off
FINDING_CASES = [
    # An opening double quote that never closes.
    ("unclosed quote", DOCUMENTED, 'A=1\nB="open\n', {},
     [("syntax", ".env", 2, "B", ERROR)]),
    # Text after the closing quote.
    ("text after quote", DOCUMENTED, 'A="1" extra\n', {},
     [("syntax", ".env", 1, "A", ERROR)]),
    # A key with a space in it.
    ("space in key", DOCUMENTED, "A=1\nMY KEY=2\n", {},
     [("syntax", ".env", 2, "MY", ERROR)]),
    # A line with no key before `=`.
    ("no key", DOCUMENTED, "A=1\n=2\n", {}, [("syntax", ".env", 2, "", ERROR)]),
    # A syntax error in the example is the repository's to fix: a warning.
    ("example syntax", "A=1\nB='open\n", "A=1\n", {},
     [("syntax", ".env.example", 2, "B", WARNING)]),
    # The same key twice with different values: the later line wins silently.
    ("duplicate differs", DOCUMENTED, "A=1\nA=2\n", {},
     [("duplicate", ".env", 2, "A", ERROR)]),
    # The same key twice with the same value is harmless.
    ("duplicate same", DOCUMENTED, "A=1\nA=1\n", {},
     [("duplicate", ".env", 2, "A", WARNING)]),
    # A key documented twice in the example.
    ("example duplicate", "A=1\nA=2\n", "A=2\n", {},
     [("duplicate", ".env.example", 2, "A", WARNING)]),
    # A required key absent from .env.
    ("missing required", "# required\nA=1\n# required\nB=\n", "A=1\n", {},
     [("missing", ".env", 0, "B", ERROR)]),
    # An optional key absent from .env.
    ("missing optional", "A=1\nB=2\n", "A=1\n", {},
     [("missing", ".env", 0, "B", WARNING)]),
    # A key the example does not know, one edit away from a documented one.
    ("unknown typo", "DB_HOST=x\n", "DB_HOST=x\nDB_HSOT=y\n", {},
     [("unknown", ".env", 2, "DB_HSOT", WARNING)]),
    # A key the example does not know, and nothing like it.
    ("unknown", "A=1\n", "A=1\nZZZ_OTHER=2\n", {},
     [("unknown", ".env", 2, "ZZZ_OTHER", WARNING)]),
    # A required key set to nothing.
    ("required empty", "# required\nA=\n", "A=\n", {},
     [("required-empty", ".env", 1, "A", ERROR)]),
    # A required key written bare, without `=`.
    ("required bare", "# required\nA=\n", "A\n", {},
     [("required-empty", ".env", 1, "A", ERROR)]),
    # A required key whose ${VAR} expands to nothing.
    ("required expands empty", "# required\nA=\n", "A=${NOPE}\n", {},
     [("required-empty", ".env", 1, "A", ERROR)]),
    # A required secret still holding the example's value.
    ("secret placeholder", "# required, secret\nTOKEN=change-me\n",
     "TOKEN=change-me\n", {}, [("placeholder", ".env", 1, "TOKEN", ERROR)]),
    # A required value that reads like a placeholder, left as it was.
    ("placeholder pattern", "# required\nOWNER=<your name>\n",
     "OWNER='<your name>'\n", {}, [("placeholder", ".env", 1, "OWNER", ERROR)]),
    # A value that is not an int.
    ("int", "# type: int\nN=1\n", "N=1.5\n", {}, [("type", ".env", 1, "N", ERROR)]),
    # A value that is not a bool.
    ("bool", "# type: bool\nB=1\n", "B=maybe\n", {}, [("type", ".env", 1, "B", ERROR)]),
    # A port out of range.
    ("port", "# type: port\nP=80\n", "P=70000\n", {},
     [("type", ".env", 1, "P", ERROR)]),
    # A URL without a scheme.
    ("url", "# type: url\nU=http://x\n", "U=example.com\n", {},
     [("type", ".env", 1, "U", ERROR)]),
    # An e-mail address without a domain.
    ("email", "# type: email\nE=a@b.c\n", "E=dev@\n", {},
     [("type", ".env", 1, "E", ERROR)]),
    # A path spanning two lines.
    ("path", "# type: path\nF=/tmp\n", 'F="/a\\nb"\n', {},
     [("type", ".env", 1, "F", ERROR)]),
    # A value outside its `one of:` list.
    ("choice", "# one of: debug, info\nL=info\n", "L=trace\n", {},
     [("choice", ".env", 1, "L", ERROR)]),
    # An unknown type in the example.
    ("unknown type", "# type: float\nN=1\n", "N=1\n", {},
     [("annotation", ".env.example", 1, "N", WARNING)]),
    # `one of:` with nothing after it.
    ("empty one of", "# one of:\nN=1\n", "N=1\n", {},
     [("annotation", ".env.example", 1, "N", WARNING)]),
    # No .env at all.
    ("no env", DOCUMENTED, None, {}, [("no-env", ".env", 0, "", ERROR)]),
    # No .env.example: nothing else can be checked.
    ("no example", None, "A=1\n", {}, [("no-example", ".env.example", 0, "", WARNING)]),
    # A misspelt flag line is reported, not read as a description silently.
    ("misspelt flags", "# requird, secret\nTOKEN=\n", "TOKEN=abcdefgh\n", {},
     [("annotation", ".env.example", 1, "TOKEN", WARNING)]),
    # A misspelt `type:` label.
    ("misspelt type label", "# tpye: port\nP=80\n", "P=80\n", {},
     [("annotation", ".env.example", 1, "P", WARNING)]),
    # A declared secret shorter than 8 characters.
    ("short secret", "# secret\nS=\n", "S=abc\n", {},
     [("short-secret", ".env", 1, "S", WARNING)]),
    # A secret by its name, 7 characters long.
    ("short secret by name", "API_TOKEN=\n", "API_TOKEN=1234567\n", {},
     [("short-secret", ".env", 1, "API_TOKEN", WARNING)]),
    # A secret of exactly 8 characters is long enough.
    ("secret of 8 characters", "API_TOKEN=\n", "API_TOKEN=12345678\n", {}, []),
    # A short value of a key that is no secret.
    ("short plain value", "A=\n", "A=x\n", {}, []),
]
# fmt: on

# Each of Compose's interpolation forms, used in a fragment but not documented.
# Forms with a fallback are warnings; the rest are errors while nothing sets them.
REFERENCE_FORMS = [
    ("$VAR", ERROR),
    ("${VAR}", ERROR),
    ("${VAR:-x}", WARNING),
    ("${VAR-x}", WARNING),
    ("${VAR:?err}", ERROR),
    ("${VAR?err}", ERROR),
    ("${VAR:+x}", WARNING),
    ("${VAR+x}", WARNING),
]
FINDING_CASES += [
    (
        f"undocumented {form}",
        "A=1\n",
        "A=1\n",
        {"app": f"services:\n  app:\n    image: busybox\n    command: echo {form}\n"},
        [("undocumented", "app.yaml", 4, "VAR", severity)],
    )
    for form, severity in REFERENCE_FORMS
]


def _requiring(form: str) -> dict[str, str]:
    """Return one fragment whose command uses the reference `form`."""
    return {"app": f"services:\n  app:\n    image: busybox\n    command: {form}\n"}


# fmt: off
FINDING_CASES += [
    # `:?` fails on an empty value although the example does not mark it required.
    ("fragment requires empty", "P=x\n", "P=\n", _requiring("${P:?set P}"),
     [("required-empty", ".env", 1, "P", ERROR)]),
    # `:?` fails on an unset value too, which is also a missing key.
    ("fragment requires unset", "A=1\nP=x\n", "A=1\n", _requiring("${P:?set P}"),
     [("missing", ".env", 0, "P", WARNING), ("required-empty", ".env", 0, "P", ERROR)]),
    # `?` accepts an empty value.
    ("fragment requires set", "P=x\n", "P=\n", _requiring("${P?set P}"), []),
    # `?` fails on a bare key, which sets nothing.
    ("fragment requires bare", "P=x\n", "P\n", _requiring("${P?set P}"),
     [("required-empty", ".env", 1, "P", ERROR)]),
    # A key the example marks required gets only the example's own finding.
    ("required twice", "# required\nP=x\n", "P=\n", _requiring("${P:?set P}"),
     [("required-empty", ".env", 1, "P", ERROR)]),
    # A fallback form requires nothing.
    ("fragment default", "P=x\n", "P=\n", _requiring("${P:-x}"), []),
]
# fmt: on


@pytest.mark.parametrize(
    ("example", "env", "fragments", "expected"),
    [case[1:] for case in FINDING_CASES],
    ids=[case[0] for case in FINDING_CASES],
)
def test_check_reports_finding(
    tmp_path: Path, example, env, fragments, expected
) -> None:
    workspace = make_workspace(tmp_path, example, env, fragments)
    report = check(workspace)
    assert summary(report) == expected
    assert all(finding.rule in RULES for finding in report.findings)


# (line, expected reason) for lines python-dotenv rejects
INVALID_REASONS = [
    ('A="open', 'the quoted value opened with " is never closed'),
    ("A='x' y", "text follows the closing quote"),
    ('MY KEY="x"', "the key contains a space"),
    ("=x", "there is no key before '='"),
]


@pytest.mark.parametrize(("text", "reason"), INVALID_REASONS)
def test_invalid_line_names_reason(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / ".env"
    path.write_text(text + "\n")
    (invalid,) = read_env_file(path).invalid
    assert invalid.line == 1
    assert invalid.reason == reason


# (comment line above a key, the annotation the warning suggests)
MISSPELT_ANNOTATIONS = [
    ("requird, secret", "required, secret"),
    ("requird", "required"),
    ("Secert.", "secret"),
    ("secret requried", "secret, required"),
    ("tpye: port", "type: port"),
    ("typ: int", "type: int"),
    ("one-of: a, b", "one of: a, b"),
    ("one off: debug, info", "one of: debug, info"),
]


@pytest.mark.parametrize(("comment", "meant"), MISSPELT_ANNOTATIONS)
def test_misspelt_annotation_suggests_fix(
    tmp_path: Path, comment: str, meant: str
) -> None:
    example = f"# Setting of the test.\n# {comment}\nSETTING=\n"
    workspace = make_workspace(tmp_path, example, "SETTING=x\n")
    (finding,) = check(workspace).findings
    assert finding.rule == "annotation"
    assert finding.line == 2
    assert f"unknown annotation `# {comment}`" in finding.message
    assert f"did you mean `# {meant}`?" in finding.message
    assert finding.fix.startswith(f"write `# {meant}`")


# Descriptions that look a little like annotations but must not be reported.
DESCRIPTIONS = [
    "Port of the API.",
    "Note: read once at start",
    "TODO: move to vault",
    "Options: a, b",
    "Default: 8080",
    "Deprecated",
    "Host name",
    "Required by the API",
    "required secret key",
]


@pytest.mark.parametrize("comment", DESCRIPTIONS)
def test_description_is_no_annotation(tmp_path: Path, comment: str) -> None:
    example = f"# {comment}\nSETTING=\n"
    workspace = make_workspace(tmp_path, example, "SETTING=x\n")
    assert check(workspace).findings == ()


def test_misspelt_required_leaves_key_optional(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "# requird\nSETTING=\n", "SETTING=\n")
    assert summary(check(workspace)) == [
        ("annotation", ".env.example", 1, "SETTING", WARNING)
    ]


def test_repository_example_has_no_findings() -> None:
    root = Path(__file__).resolve().parent.parent
    example = read_env_file(root / ".env.example")
    assert read_specs(example)[1] == []


def test_short_secret_message_hides_value(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "# secret\nS=\n", "S=pw1\n")
    (finding,) = check(workspace).findings
    assert "pw1" not in finding.message
    assert "shorter than 8 characters" in finding.message
    assert "mask" in finding.message
    assert finding.fix == "use a longer secret, of 8 characters or more"


def _profile_with_env_file(tmp_path: Path, env_file: str) -> tuple[Workspace, object]:
    workspace = make_workspace(tmp_path / "ws", "A=1\n", None)
    (workspace.root / "compose" / "app.yaml").write_text("services: {}\n")
    (workspace.root / "profiles" / "app.yaml").write_text(
        f"description: app\nfragments: [app]\nenv_file: {env_file}\n"
    )
    return workspace, resolve_profile(workspace, "app")


@pytest.mark.parametrize("env_file", ["{outside}", "../outside.env"])
def test_env_file_outside_workspace_warns(tmp_path: Path, env_file: str) -> None:
    outside = tmp_path / "outside.env"
    outside.write_text("A=1\n")
    outside.chmod(0o600)
    workspace, profile = _profile_with_env_file(
        tmp_path, env_file.format(outside=outside)
    )
    report = check_environment(
        workspace, profile, environ={}, compare_with_compose=False
    )
    (finding,) = report.findings
    assert finding.rule == "outside-workspace"
    assert finding.severity == WARNING
    assert finding.file == workspace.root / "profiles" / "app.yaml"
    assert finding.line == 3
    assert f"env_file points to {outside}, outside the workspace" in finding.message


def test_env_file_inside_workspace_passes(tmp_path: Path) -> None:
    workspace, profile = _profile_with_env_file(tmp_path, "envs/../app.env")
    (workspace.root / "envs").mkdir()
    (workspace.root / "app.env").write_text("A=1\n")
    (workspace.root / "app.env").chmod(0o600)
    report = check_environment(
        workspace, profile, environ={}, compare_with_compose=False
    )
    assert report.findings == ()


def test_symlinked_env_file_passes(tmp_path: Path) -> None:
    outside = tmp_path / "shared.env"
    outside.write_text("A=1\n")
    outside.chmod(0o600)
    workspace, profile = _profile_with_env_file(tmp_path, ".env")
    (workspace.root / ".env").symlink_to(outside)
    report = check_environment(
        workspace, profile, environ={}, compare_with_compose=False
    )
    assert report.findings == ()


def test_unknown_key_suggests_documented_key(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "DB_HOST=x\n", "DB_HOST=x\nDB_HSOT=y\n")
    (finding,) = check(workspace).findings
    assert "did you mean DB_HOST?" in finding.message
    assert finding.fix == "rename it to DB_HOST"


def test_unknown_key_suggests_other_case(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "DB_HOST=x\n", "DB_HOST=x\ndb_host=y\n")
    (finding,) = check(workspace).findings
    assert "did you mean DB_HOST?" in finding.message


def test_clean_files_report_nothing(tmp_path: Path) -> None:
    example = (
        "# Owner of the stack.\n# required\nOWNER=payments\n"
        "# type: port\nPORT=80\n# one of: a, b\nMODE=a\n"
    )
    env = "OWNER=payments\nPORT=8080\nMODE=b\n"
    fragment = "services:\n  app:\n    image: x\n    ports: ['${PORT}:80']\n"
    workspace = make_workspace(tmp_path, example, env, {"app": fragment})
    report = check(workspace)
    assert report.findings == ()
    assert not report.has_errors


def test_escaped_dollar_is_not_a_reference(tmp_path: Path) -> None:
    fragment = "services:\n  app:\n    image: x\n    command: echo $$VAR $${VAR}\n"
    workspace = make_workspace(tmp_path, "A=1\n", "A=1\n", {"app": fragment})
    assert check(workspace).findings == ()


def test_commented_reference_is_ignored(tmp_path: Path) -> None:
    fragment = "# uses ${VAR}\nservices:\n  app:\n    image: x  # and $OTHER\n"
    workspace = make_workspace(tmp_path, "A=1\n", "A=1\n", {"app": fragment})
    assert check(workspace).findings == ()


def test_undocumented_but_set_is_warning(tmp_path: Path) -> None:
    fragment = "services:\n  app:\n    image: ${IMAGE}\n"
    workspace = make_workspace(tmp_path, "A=1\n", "A=1\nIMAGE=x\n", {"app": fragment})
    assert summary(check(workspace)) == [
        ("unknown", ".env", 2, "IMAGE", WARNING),
        ("undocumented", "app.yaml", 3, "IMAGE", WARNING),
    ]


def test_undocumented_from_shell_is_warning(tmp_path: Path) -> None:
    fragment = "services:\n  app:\n    image: x\n    volumes: ['${HOME}:/h']\n"
    workspace = make_workspace(tmp_path, "A=1\n", "A=1\n", {"app": fragment})
    report = check(workspace, environ={"HOME": "/root"})
    assert summary(report) == [("undocumented", "app.yaml", 4, "HOME", WARNING)]


def test_profile_limits_checked_fragments(tmp_path: Path) -> None:
    fragments = {
        "app": "services:\n  app:\n    image: ${APP_IMAGE}\n",
        "other": "services:\n  other:\n    image: ${OTHER_IMAGE}\n",
    }
    workspace = make_workspace(tmp_path, "A=1\n", None, fragments)
    (tmp_path / "profiles" / "app.yaml").write_text(
        "fragments: [app]\nenv_file: app.env\n"
    )
    (tmp_path / "app.env").write_text("A=1\n")
    (tmp_path / "app.env").chmod(0o600)
    profile = resolve_profile(workspace, "app")
    report = check_environment(
        workspace, profile, environ={}, compare_with_compose=False
    )
    assert report.env_path == tmp_path / "app.env"
    assert summary(report) == [("undocumented", "app.yaml", 3, "APP_IMAGE", ERROR)]


def test_required_default_passes(tmp_path: Path) -> None:
    workspace = make_workspace(
        tmp_path, "# required\nUSER=payments\n", "USER=payments\n"
    )
    assert check(workspace).findings == ()


def test_type_error_never_shows_secret_value(tmp_path: Path) -> None:
    example = "# secret\n# type: int\nPIN=1\n"
    workspace = make_workspace(tmp_path, example, "PIN=hunter2hunter2\n")
    (finding,) = check(workspace).findings
    assert "hunter2hunter2" not in finding.message
    assert MASK in finding.message


# --- Checks on the file itself ----------------------------------------------------


def test_unignored_env_with_secrets_fails(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "# secret\nTOKEN=\n", "TOKEN=abcdefgh\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert summary(check(workspace)) == [("not-ignored", ".env", 0, "", ERROR)]


def test_ignored_env_passes(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "# secret\nTOKEN=\n", "TOKEN=abcdefgh\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text(".env\n")
    assert check(workspace).findings == ()


def test_unignored_env_without_secrets_warns(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "A=1\n", "A=1\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert summary(check(workspace)) == [("not-ignored", ".env", 0, "", WARNING)]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX only")
def test_readable_secrets_are_reported(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "# secret\nTOKEN=\n", "TOKEN=abcdefgh\n")
    (tmp_path / ".env").chmod(0o644)
    assert summary(check(workspace)) == [("permissions", ".env", 0, "", WARNING)]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX only")
def test_readable_env_without_secrets_passes(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "A=1\n", "A=1\n")
    (tmp_path / ".env").chmod(0o644)
    assert check(workspace).findings == ()


# --- References in fragments ------------------------------------------------------

# (text, expected (name, operator) pairs)
SCAN_CASES = [
    ("$VAR", [("VAR", "")]),
    ("${VAR}", [("VAR", "")]),
    ("${VAR:-x}", [("VAR", ":-")]),
    ("${VAR-x}", [("VAR", "-")]),
    ("${VAR:?err}", [("VAR", ":?")]),
    ("${VAR?err}", [("VAR", "?")]),
    ("${VAR:+x}", [("VAR", ":+")]),
    ("${VAR+x}", [("VAR", "+")]),
    # `$$` is an escaped dollar, before a name or a brace.
    ("$$VAR $${VAR}", []),
    # An escaped dollar followed by a real reference.
    ("$$$VAR", [("VAR", "")]),
    # A reference nested in a default.
    ("${A:-${B}}", [("A", ":-"), ("B", "")]),
    # Not a variable name: a digit first, or a stray dollar.
    ("$1 ${1X} cost: 5$", []),
    # Several in one string, names ending at non-name characters.
    ("$HOST:${PORT}/x$PATH_1.y", [("HOST", ""), ("PORT", ""), ("PATH_1", "")]),
]


@pytest.mark.parametrize(("text", "expected"), SCAN_CASES)
def test_scan_references_finds(text: str, expected: list) -> None:
    assert list(scan_references(text)) == expected


# --- Secrets ----------------------------------------------------------------------


def test_report_masker_masks_secrets(tmp_path: Path) -> None:
    example = "# secret\nSESSION=\nDB_PASSWORD=example-pass\nPLAIN=visible\n"
    env = "SESSION=s3ss10n-value\nDB_PASSWORD=real-pass\nPLAIN=visible-value\n"
    workspace = make_workspace(tmp_path, example, env)
    masker = check(workspace).masker()
    assert (
        masker.text("s3ss10n-value real-pass example-pass") == f"{MASK} {MASK} {MASK}"
    )
    assert masker.text("visible-value") == "visible-value"


def test_report_repr_hides_secret_values(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "# secret\nS=\n", "S=s3cr3t-value\n")
    assert "s3cr3t-value" not in repr(check(workspace))


def test_load_masker_survives_invalid_env(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "API_TOKEN=t0ken-example\n", b"A=\xff\n")
    masker = load_masker(workspace)
    assert masker.text("t0ken-example") == MASK


def test_load_masker_survives_missing_files(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, None, None)
    assert load_masker(workspace).text("anything") == "anything"


def test_secret_keys_lists_declared_secrets(tmp_path: Path) -> None:
    example = "# secret\nSESSION=\n# required, secret\nPIN=\nDB_PASSWORD=\nPLAIN=\n"
    workspace = make_workspace(tmp_path, example, None)
    assert secret_keys(workspace) == frozenset({"SESSION", "PIN"})


def test_secret_keys_skips_invalid_lines(tmp_path: Path) -> None:
    example = '# secret\nSESSION=\nBROKEN="open\n'
    workspace = make_workspace(tmp_path, example, None)
    assert secret_keys(workspace) == frozenset({"SESSION"})


# (case, what is at the path of .env.example)
BROKEN_EXAMPLES = [
    ("missing", None),
    ("not UTF-8", b"# secret\nS=\xff\n"),
    ("a folder", "folder"),
]


@pytest.mark.parametrize(
    "content",
    [case[1] for case in BROKEN_EXAMPLES],
    ids=[c[0] for c in BROKEN_EXAMPLES],
)
def test_secret_keys_never_raises(tmp_path: Path, content) -> None:
    workspace = make_workspace(tmp_path, None, None)
    if content == "folder":
        workspace.env_example.mkdir()
    elif content is not None:
        workspace.env_example.write_bytes(content)
    assert secret_keys(workspace) == frozenset()


# --- env init ---------------------------------------------------------------------

EXAMPLE = """\
# Settings for the app.

# Owner of the stack.
# required
OWNER=payments

# Password of the database.
# required, secret
DB_PASSWORD=change-me

# type: port
PORT=8080
LEVEL=info
"""


def test_init_creates_env_from_example(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, EXAMPLE, None)
    prompted: list[str] = []

    def ask(spec: KeySpec) -> str:
        prompted.append(spec.key)
        return "pa ss'word"

    result = init_env_file(workspace, ask=ask)
    text = (tmp_path / ".env").read_text()
    assert prompted == ["DB_PASSWORD"]
    assert result.created
    assert result.added == ("OWNER", "DB_PASSWORD", "PORT", "LEVEL")
    assert text == EXAMPLE.replace("DB_PASSWORD=change-me", 'DB_PASSWORD="pa ss\'word"')
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600


def test_init_output_passes_the_check(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, EXAMPLE, None)
    init_env_file(workspace, ask=lambda spec: "s3cret value")
    assert check(workspace).findings == ()


def test_init_without_prompt_lists_missing_keys(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, EXAMPLE, None)
    result = init_env_file(workspace, ask=None)
    assert result.missing == ("DB_PASSWORD",)
    assert not (tmp_path / ".env").exists()


def test_init_without_prompt_copies_defaults(tmp_path: Path) -> None:
    example = EXAMPLE.replace("# required, secret\n", "")
    workspace = make_workspace(tmp_path, example, None)
    result = init_env_file(workspace, ask=None)
    assert result.missing == ()
    assert (tmp_path / ".env").read_text() == example


def test_init_adds_keys_beside_neighbours(tmp_path: Path) -> None:
    env = "# mine\nOWNER=me\nDB_PASSWORD=secret!\n\n# tail\nLEVEL=debug\n"
    workspace = make_workspace(tmp_path, EXAMPLE, env)
    result = init_env_file(workspace, ask=None)
    assert result.added == ("PORT",)
    assert (tmp_path / ".env").read_text() == (
        "# mine\nOWNER=me\nDB_PASSWORD=secret!\n# type: port\nPORT=8080\n"
        "\n# tail\nLEVEL=debug\n"
    )


def test_init_adds_key_above_later_neighbour(tmp_path: Path) -> None:
    env = "DB_PASSWORD=secret!\n# note\nPORT=1\nLEVEL=debug\n"
    workspace = make_workspace(tmp_path, EXAMPLE, env)
    init_env_file(workspace, ask=None)
    assert (tmp_path / ".env").read_text() == (
        "# Owner of the stack.\n# required\nOWNER=payments\n" + env
    )


def test_init_appends_key_without_neighbours(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "A=1\nB=2\n", "OTHER=x")
    init_env_file(workspace, ask=None)
    assert (tmp_path / ".env").read_text() == "OTHER=x\nA=1\nB=2\n"


def test_init_keeps_values_mode_and_crlf(tmp_path: Path) -> None:
    env = "OWNER=someone-else\r\nDB_PASSWORD=x\r\nLEVEL=warn\r\n"
    workspace = make_workspace(tmp_path, EXAMPLE, env)
    (tmp_path / ".env").chmod(0o640)
    init_env_file(workspace, ask=None)
    data = (tmp_path / ".env").read_bytes()
    assert data == (
        b"OWNER=someone-else\r\nDB_PASSWORD=x\r\n# type: port\r\nPORT=8080\r\n"
        b"LEVEL=warn\r\n"
    )
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o640


def test_init_on_complete_env_changes_nothing(tmp_path: Path) -> None:
    env = "LEVEL=x\nPORT=1\nOWNER=me\nDB_PASSWORD=y"
    workspace = make_workspace(tmp_path, EXAMPLE, env)
    result = init_env_file(workspace, ask=None)
    assert result.added == ()
    assert (tmp_path / ".env").read_text() == env


def test_init_rejects_unparsable_env(tmp_path: Path) -> None:
    from devenv.errors import InputError

    workspace = make_workspace(tmp_path, EXAMPLE, 'OWNER="open\n')
    with pytest.raises(InputError, match="line"):
        init_env_file(workspace, ask=None)


# Values written by `env init`, each needing a different quoting.
FORMAT_CASES = [
    "plain-value_1.2:3/x@y",
    "",
    "two words",
    "has # hash",
    "dollar $HOME stays",
    "it's",
    'say "hi"',
    "back\\slash",
    "two\nlines",
    # A `$` before a digit or at the end stays literal in double quotes.
    "it's $5",
    "cost: 5$ 'each'",
    # A `$` that Compose expands, with quotes of both kinds: single quotes.
    "a'b\"c$d",
    "it's $HOME",
    "$$ and 'x'",
    "two\nlines $HOME",
    "back\\slash $HOME",
]


@pytest.mark.parametrize("value", FORMAT_CASES)
def test_format_value_reads_back_unchanged(tmp_path: Path, value: str) -> None:
    path = tmp_path / ".env"
    path.write_text(f"A={format_value(value)}\n")
    env = read_env_file(path)
    assert expand_values(env.entries, {"HOME": "/root"})["A"] == value


# (value no quoting writes alike for both parsers, text the error must contain)
UNWRITABLE_VALUES = [
    ("pre${HOME}post", "`${...}`"),
    ("a\rb", "a carriage return"),
    ("$HOME ends in \\", "a backslash before"),
    ("q\\' $HOME", "a backslash before"),
    ("two\\\\ $HOME", "a backslash before"),
]


@pytest.mark.parametrize(("value", "named"), UNWRITABLE_VALUES)
def test_format_value_rejects_ambiguous_value(value: str, named: str) -> None:
    with pytest.raises(ValueError) as raised:
        format_value(value)
    message = str(raised.value)
    assert named in message
    assert "Enter" in message
    assert value not in message


# --- Comparison with Compose's parser (needs docker compose) --------------------


def _compose_problem() -> str | None:
    try:
        result = subprocess.run(
            ["docker", "compose", "version"],
            check=False,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`docker compose version` failed: {error}"
    if result.returncode != 0:
        return "`docker compose version` failed: no Compose v2 plugin"
    return None


needs_compose = pytest.mark.skipif(
    _compose_problem() is not None,
    reason=f"needs docker with the Compose v2 plugin: {_compose_problem()}",
)

# Lines Compose and python-dotenv read differently, and lines both read alike.
MISMATCH_ENV = """\
A=1
SINGLE='${A} literal'
UNBRACED=x$A
ESCAPED="a\\$b"
PLAIN=same
QUOTED="same too"
EXPORTED=ok
DB_PASSWORD='pass${A}word'
FROM_SHELL=${HOME}/data
"""


@needs_compose
def test_compose_comparison_flags_differences(tmp_path: Path) -> None:
    example = "".join(f"{line.split('=')[0]}=\n" for line in MISMATCH_ENV.splitlines())
    workspace = make_workspace(tmp_path, example, MISMATCH_ENV)
    report = check_environment(workspace, None, environ={})
    assert report.compose_status == "compared"
    assert summary(report) == [
        ("parser-mismatch", ".env", 2, "SINGLE", WARNING),
        ("parser-mismatch", ".env", 3, "UNBRACED", WARNING),
        ("parser-mismatch", ".env", 4, "ESCAPED", WARNING),
        ("parser-mismatch", ".env", 8, "DB_PASSWORD", WARNING),
    ]
    single = report.findings[0].message
    assert "Compose reads '${A} literal'" in single
    assert "python-dotenv reads '1 literal'" in single
    secret = report.findings[3].message
    assert "pass${A}word" not in secret
    assert "pass1word" not in secret
    assert f"Compose reads {MASK}, python-dotenv reads {MASK};" in secret
    assert "characters" not in secret


@needs_compose
def test_compose_comparison_reports_rejected_file(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path, "A=\nB=\n", 'A=1\nB="never closed\n')
    report = check_environment(workspace, None, environ={})
    assert ("compose-rejects", ".env", 3, "", ERROR) in summary(report)


@needs_compose
@pytest.mark.parametrize("value", FORMAT_CASES)
def test_format_value_reads_alike_in_compose(tmp_path: Path, value: str) -> None:
    workspace = make_workspace(tmp_path, "A=\n", f"A={format_value(value)}\n")
    report = check_environment(workspace, None, environ={})
    assert report.compose_status == "compared"
    assert report.findings == ()


def test_compose_comparison_skips_without_docker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    workspace = make_workspace(tmp_path, "A=\n", "A='${B}'\n")
    report = check_environment(workspace, None, environ={})
    assert report.compose_status == "skipped"
    assert "docker CLI was not found" in report.compose_skip_reason
    assert report.findings == ()
