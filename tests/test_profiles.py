"""Profile loading and `extends` resolution, on sample files written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv.errors import InputError
from devenv.profiles import parse_duration, resolve_profile
from devenv.workspace import Workspace, find_workspace


def write_workspace(root: Path, profiles: dict[str, str], fragments: list[str]) -> Workspace:
    (root / "profiles").mkdir(parents=True)
    (root / "compose").mkdir()
    for name, text in profiles.items():
        (root / "profiles" / f"{name}.yaml").write_text(text)
    for name in fragments:
        (root / "compose" / f"{name}.yaml").write_text("services: {}\n")
    return Workspace(root)


def test_extends_puts_parent_fragments_first(tmp_path: Path) -> None:
    workspace = write_workspace(
        tmp_path,
        {
            "base": "fragments: [db, cache]\nwait_timeout: 30s\n",
            "api": "extends: [base]\nfragments: [cache, api]\n",
        },
        ["db", "cache", "api"],
    )
    profile = resolve_profile(workspace, "api")
    assert profile.fragments == ("db", "cache", "api")
    assert profile.chain == ("base", "api")
    assert profile.wait_timeout == 30.0
    assert profile.env_file == tmp_path / ".env"


def test_diamond_extends_keeps_each_fragment_once(tmp_path: Path) -> None:
    workspace = write_workspace(
        tmp_path,
        {
            "root": "fragments: [db]\n",
            "left": "extends: [root]\nfragments: [left]\n",
            "right": "extends: [root]\nfragments: [right]\n",
            "top": "extends: [left, right]\nfragments: [top]\n",
        },
        ["db", "left", "right", "top"],
    )
    assert resolve_profile(workspace, "top").fragments == ("db", "left", "right", "top")


@pytest.mark.parametrize(
    ("profiles", "name", "expected"),
    [
        # a profile that does not exist gets a did-you-mean
        ({"payments": "fragments: [db]\n"}, "payment", "Did you mean 'payments'?"),
        # a cycle names every link
        (
            {"a": "extends: [b]\nfragments: [db]\n", "b": "extends: [a]\n"},
            "a",
            "cycle: a -> b -> a",
        ),
        # an extended profile that does not exist names file and line
        ({"a": "fragments: [db]\nextends: [bsae]\n"}, "a", "a.yaml:2: extends unknown"),
        # unknown fragment names its line in the list
        ({"a": "fragments:\n  - db\n  - dbb\n"}, "a", "a.yaml:3: fragment 'dbb' not found"),
        # invalid names are rejected before any path is built
        ({"a": "fragments: [../etc]\n"}, "a", "invalid fragment name '../etc'"),
        # a typo in a setting is reported, not ignored
        ({"a": "fragmnets: [db]\n"}, "a", "unknown profile setting 'fragmnets'"),
        # malformed YAML names line and column
        ({"a": "fragments: [db\nwait_timeout: 1s\n"}, "a", "a.yaml:2:13: invalid YAML"),
        # a profile must name at least one fragment
        ({"a": "description: nothing\n"}, "a", "names no fragments"),
        # a timeout that is not a duration
        ({"a": "fragments: [db]\nwait_timeout: soon\n"}, "a", "invalid wait_timeout"),
        # a list where a string is expected
        ({"a": "fragments: [db]\ndescription: [x]\n"}, "a", "`description` must be a string"),
    ],
)
def test_bad_profiles_are_rejected(
    tmp_path: Path, profiles: dict[str, str], name: str, expected: str
) -> None:
    workspace = write_workspace(tmp_path, profiles, ["db"])
    with pytest.raises(InputError) as raised:
        resolve_profile(workspace, name)
    assert expected in str(raised.value)


def test_invalid_profile_name_is_rejected(tmp_path: Path) -> None:
    workspace = write_workspace(tmp_path, {}, [])
    with pytest.raises(InputError, match="invalid profile name"):
        resolve_profile(workspace, "Payments")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("2m", 120.0), ("500ms", 0.5), ("1.5s", 1.5)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_workspace_found_from_a_subfolder(tmp_path: Path) -> None:
    write_workspace(tmp_path, {}, [])
    nested = tmp_path / "compose" / "deep"
    nested.mkdir()
    assert find_workspace(nested, environ={}).root == tmp_path.resolve()


def test_workspace_missing_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--root"):
        find_workspace(tmp_path, environ={})


def test_project_names_differ_per_checkout(tmp_path: Path) -> None:
    first = Workspace(tmp_path / "one")
    second = Workspace(tmp_path / "two")
    assert first.key != second.key
