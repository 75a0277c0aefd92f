"""`devenv env check` and `devenv env init`, run through click's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from devenv.cli.env_commands import env_group

EXAMPLE = """\
# Port the API listens on.
# type: port
API_PORT=8080

# Token for the payments provider.
# required, secret
PROVIDER_TOKEN=change-me

# required
DB_PASSWORD=

# one of: debug, info
LOG_LEVEL=info
"""

# Values that must never reach any output.
SECRETS = ("tok-9f8e7d6c5b4a", "pw-1a2b3c4d5e6f", "pw-nested-77aa")


def make_root(tmp_path: Path, env: str | bytes | None) -> Path:
    root = tmp_path / "ws"
    (root / "profiles").mkdir(parents=True)
    (root / "compose").mkdir()
    (root / ".env.example").write_text(EXAMPLE)
    if env is not None:
        path = root / ".env"
        path.write_bytes(env if isinstance(env, bytes) else env.encode())
        path.chmod(0o600)
    return root


def run(root: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(env_group, list(args), obj=str(root), input=input)


CLEAN_ENV = (
    "API_PORT=9000\nPROVIDER_TOKEN=tok-9f8e7d6c5b4a\n"
    "DB_PASSWORD=pw-1a2b3c4d5e6f\nLOG_LEVEL=debug\n"
)


def test_check_passes_clean_env(tmp_path: Path) -> None:
    result = run(make_root(tmp_path, CLEAN_ENV), "check")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(".env: 0 errors, 0 warnings")


def test_check_passes_with_warnings_only(tmp_path: Path) -> None:
    root = make_root(tmp_path, CLEAN_ENV + "EXTRA=1\n")
    result = run(root, "check")
    assert result.exit_code == 0, result.output
    assert ".env: 0 errors, 1 warning" in result.output


def test_check_fails_on_errors(tmp_path: Path) -> None:
    root = make_root(tmp_path, CLEAN_ENV.replace("API_PORT=9000", "API_PORT=abc"))
    result = run(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        ".env:1: error: API_PORT: invalid value 'abc': expected a port number from "
        "1 to 65535 (fix: set API_PORT to a port number from 1 to 65535)"
    )
    assert result.output.splitlines()[1].startswith(".env: 1 error, 0 warnings")


def test_check_line_without_line_number(tmp_path: Path) -> None:
    result = run(make_root(tmp_path, None), "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        ".env: error: .env not found "
        "(fix: run `devenv env init` to create it from .env.example)"
    )


def test_check_json_lists_findings(tmp_path: Path) -> None:
    root = make_root(tmp_path, CLEAN_ENV.replace("LOG_LEVEL=debug", "LOG_LEVEL=loud"))
    result = run(root, "check", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert data["ok"] is False
    assert data["errors"] == 1
    assert data["warnings"] == 0
    assert data["env_file"] == ".env"
    assert data["compose_comparison"]["status"] in {"compared", "skipped"}
    assert data["findings"] == [
        {
            "file": ".env",
            "line": 4,
            "key": "LOG_LEVEL",
            "severity": "error",
            "rule": "choice",
            "message": "invalid value 'loud': expected one of: debug, info",
            "fix": "set LOG_LEVEL to one of: debug, info",
        }
    ]


def test_check_json_notes_skipped_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run(make_root(tmp_path, CLEAN_ENV), "check", "--json")
    comparison = json.loads(result.output)["compose_comparison"]
    assert result.exit_code == 0
    assert comparison["status"] == "skipped"
    assert "docker CLI was not found" in comparison["reason"]


def test_check_profile_reads_its_env_file(tmp_path: Path) -> None:
    root = make_root(tmp_path, None)
    (root / "compose" / "api.yaml").write_text("services:\n  api:\n    image: x\n")
    (root / "profiles" / "api.yaml").write_text("fragments: [api]\nenv_file: api.env\n")
    (root / "api.env").write_text(CLEAN_ENV)
    (root / "api.env").chmod(0o600)
    result = run(root, "check", "--profile", "api")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("api.env: 0 errors")


def test_check_exits_2_on_unreadable_env(tmp_path: Path) -> None:
    from devenv.cli import main

    root = make_root(tmp_path, b"API_PORT=\xff\n")
    result = CliRunner().invoke(main, ["--root", str(root), "env", "check"])
    assert result.exit_code == 2
    assert "not valid UTF-8" in result.output


# Each env makes the check report on a secret: a clean run, a non-secret key that
# contains a secret's value, a duplicate, a Compose mismatch, an unknown key named like
# a secret, and a secret's quoted value that never closes.
SECRET_ENVS = [
    CLEAN_ENV,
    CLEAN_ENV.replace("API_PORT=9000", "API_PORT=tok-9f8e7d6c5b4a"),
    CLEAN_ENV + "DB_PASSWORD=pw-nested-77aa\n",
    CLEAN_ENV.replace("=pw-1a2b3c4d5e6f", "='pw-1a2b3c4d5e6f${API_PORT}'"),
    CLEAN_ENV + "OLD_TOKEN=pw-nested-77aa\n",
    CLEAN_ENV + 'X_TOKEN="pw-nested-77aa\n',
]


@pytest.mark.parametrize("env", SECRET_ENVS)
@pytest.mark.parametrize("output", ["text", "json"])
def test_check_never_prints_secret_values(
    tmp_path: Path, env: str, output: str
) -> None:
    root = make_root(tmp_path, env)
    (root / ".env").chmod(0o644)
    args = ["check", "--json"] if output == "json" else ["check"]
    result = run(root, *args)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for secret in SECRETS:
        assert secret not in result.output


def test_init_non_interactive_lists_missing(tmp_path: Path) -> None:
    root = make_root(tmp_path, None)
    result = run(root, "init", "--non-interactive")
    assert result.exit_code == 1
    assert "PROVIDER_TOKEN\n  DB_PASSWORD\n" in result.output
    assert not (root / ".env").exists()


def test_init_prompts_and_hides_secrets(tmp_path: Path) -> None:
    root = make_root(tmp_path, None)
    result = run(root, "init", input="tok-9f8e7d6c5b4a\npw-1a2b3c4d5e6f\n")
    assert result.exit_code == 0, result.output
    assert "PROVIDER_TOKEN (Token for the payments provider.):" in result.output
    assert "Created .env (mode 0600) with 4 keys." in result.output
    for secret in SECRETS:
        assert secret not in result.output
    text = (root / ".env").read_text()
    assert "PROVIDER_TOKEN=tok-9f8e7d6c5b4a\n" in text
    assert "DB_PASSWORD=pw-1a2b3c4d5e6f\n" in text


def test_init_prompt_repeats_invalid_value(tmp_path: Path) -> None:
    example = "# required\n# type: port\nPORT=\n"
    root = make_root(tmp_path, None)
    (root / ".env.example").write_text(example)
    result = run(root, "init", input="http\n8080\n")
    assert result.exit_code == 0, result.output
    assert "expected a port number from 1 to 65535" in result.output
    assert (root / ".env").read_text() == "# required\n# type: port\nPORT=8080\n"


def test_init_adds_missing_keys_to_existing_env(tmp_path: Path) -> None:
    root = make_root(tmp_path, "PROVIDER_TOKEN=mine\nDB_PASSWORD=secret\n")
    result = run(root, "init", "--non-interactive")
    assert result.exit_code == 0, result.output
    assert result.output == "Added 2 keys to .env: API_PORT, LOG_LEVEL.\n"
    assert (root / ".env").read_text() == (
        "# Port the API listens on.\n# type: port\nAPI_PORT=8080\n"
        "PROVIDER_TOKEN=mine\nDB_PASSWORD=secret\n"
        "# one of: debug, info\nLOG_LEVEL=info\n"
    )


def test_init_on_complete_env_adds_nothing(tmp_path: Path) -> None:
    root = make_root(tmp_path, CLEAN_ENV)
    result = run(root, "init")
    assert result.exit_code == 0
    assert "nothing to add" in result.output
    assert (root / ".env").read_text() == CLEAN_ENV


SECRET_EXAMPLE = "# Password of the database.\n# required, secret\nDB_PASSWORD=\n"


def test_init_writes_both_quotes_and_dollar(tmp_path: Path) -> None:
    root = make_root(tmp_path, None)
    (root / ".env.example").write_text(SECRET_EXAMPLE)
    result = run(root, "init", input="pw'1\"2$HOME\n")
    assert result.exit_code == 0, result.output
    assert "Error" not in result.output
    assert (root / ".env").read_text().endswith("DB_PASSWORD='pw\\'1\"2$HOME'\n")
    check = run(root, "check")
    assert check.output.startswith(".env: 0 errors, 0 warnings"), check.output


def test_init_prompt_names_unwritable_characters(tmp_path: Path) -> None:
    root = make_root(tmp_path, None)
    (root / ".env.example").write_text(SECRET_EXAMPLE)
    result = run(root, "init", input="pw-${HOME}-x\npw-2b3c4d5e6f\n")
    assert result.exit_code == 0, result.output
    assert "Error: `${...}` reads differently in every quoting" in result.output
    assert "Enter a value without `${` followed by `}`." in result.output
    assert "pw-${HOME}-x" not in result.output
    assert (root / ".env").read_text().endswith("DB_PASSWORD=pw-2b3c4d5e6f\n")


def test_init_prompt_requires_a_value(tmp_path: Path) -> None:
    root = make_root(tmp_path, None)
    (root / ".env.example").write_text(SECRET_EXAMPLE)
    result = run(root, "init", input="\npw-2b3c4d5e6f\n")
    assert result.exit_code == 0, result.output
    assert (
        "Error: a value is required, because .env.example marks DB_PASSWORD "
        "required." in result.output
    )
    assert result.output.count("DB_PASSWORD (Password of the database.):") == 2
    assert (root / ".env").read_text().endswith("DB_PASSWORD=pw-2b3c4d5e6f\n")


def test_check_warns_about_short_secret(tmp_path: Path) -> None:
    root = make_root(tmp_path, CLEAN_ENV.replace("tok-9f8e7d6c5b4a", "pw1"))
    result = run(root, "check")
    assert result.exit_code == 0, result.output
    assert (
        ".env:2: warning: PROVIDER_TOKEN: the secret is shorter than 8 characters, "
        "too short for devenv to mask reliably in its output "
        "(fix: use a longer secret, of 8 characters or more)"
    ) in result.output


def test_check_warns_about_misspelt_annotation(tmp_path: Path) -> None:
    root = make_root(tmp_path, CLEAN_ENV)
    example = EXAMPLE.replace("# required, secret", "# requird, secret")
    (root / ".env.example").write_text(example)
    result = run(root, "check")
    assert result.exit_code == 0, result.output
    assert (
        ".env.example:6: warning: PROVIDER_TOKEN: unknown annotation "
        "`# requird, secret`, so it is read as a description; did you mean "
        "`# required, secret`?"
    ) in result.output
