"""No secret value reaches any output: up, status, logs, config, env check."""

from __future__ import annotations

from pathlib import Path

import pytest

TOKEN = "tok-4f9a8b7c6d5e"
PASSWORD = "pw-0c1d2e3f4a5b"


@pytest.fixture
def leaky(make_workspace) -> Path:
    root = make_workspace("secrets")
    env = root / ".env"
    env.write_text(f"SERVICE_TOKEN={TOKEN}\nDATABASE_PASSWORD={PASSWORD}\nGREETING=hello\n")
    env.chmod(0o600)
    return root


def assert_no_secret(text: str) -> None:
    assert TOKEN not in text
    assert PASSWORD not in text


@pytest.mark.engine
def test_secrets_masked_in_every_output(devenv, leaky: Path) -> None:
    up = devenv("up", "leaky", cwd=leaky)
    assert up.returncode == 1
    assert "probe sees ******" in up.stdout
    assert "token is ******" in up.stdout
    assert_no_secret(up.stdout + up.stderr)

    for args in (
        ("status", "leaky", "--json"),
        ("status", "leaky"),
        ("logs", "leaky"),
        ("config", "leaky"),
        ("config", "leaky", "--format", "json"),
        ("env", "check", "--json"),
        ("env", "check", "--profile", "leaky"),
    ):
        result = devenv(*args, cwd=leaky)
        assert result.stdout, f"{args} printed nothing"
        assert_no_secret(result.stdout + result.stderr)

    logs = devenv("logs", "leaky", cwd=leaky)
    assert "url is postgres://app:******@db:5432/app" in logs.stdout

    # The running container keeps the values it was created with after .env
    # changes, so they stay masked.
    env = leaky / ".env"
    env.write_text(env.read_text().replace(TOKEN, "tok-rotated-9z8y7x").replace(PASSWORD, "pw-rotated-6w5v4u"))
    rotated = devenv("logs", "leaky", cwd=leaky)
    assert "token is ******" in rotated.stdout
    assert_no_secret(rotated.stdout + rotated.stderr)


def test_masker_hides_values_inside_strings() -> None:
    from devenv.secrets import Masker

    masker = Masker([TOKEN, PASSWORD])
    model = {
        "services": {
            "leaky": {
                "environment": {"SERVICE_TOKEN": TOKEN, "URL": f"postgres://u:{PASSWORD}@db"},
                "command": ["sh", "-c", f"echo {TOKEN}"],
            }
        }
    }
    masked = masker.data(model)
    assert_no_secret(repr(masked))
    assert masked["services"]["leaky"]["environment"]["URL"] == "postgres://u:******@db"
