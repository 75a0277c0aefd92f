"""Each lint rule, on an input that breaks it and one that does not.

Compose renders every case for real (`docker compose config`), so these
tests need the docker CLI with its Compose plugin, but no running engine.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from devenv.errors import InputError
from devenv.lint import lint_profiles
from devenv.workspace import Workspace

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None,
    reason="needs the docker CLI to render Compose files",
)

HEALTHY = """\
services:
  web:
    image: devenv-test/busybox:1
    healthcheck:
      test: ["CMD", "true"]
"""

BUILT = """\
services:
  app:
    image: app:dev
    build: ./app
    healthcheck:
      test: ["CMD", "true"]
"""

GOOD_DOCKERFILE = """\
FROM python:3.11-slim AS build
COPY requirements.txt .
RUN pip install --no-cache-dir --prefix=/install -r requirements.txt
FROM python:3.11-slim
COPY --from=build /install /usr/local
RUN useradd --system app
USER app
HEALTHCHECK CMD ["true"]
COPY . /app
"""


@dataclass(frozen=True)
class Case:
    """Files of a one-profile workspace, and where `rule` must be found (or None)."""

    name: str
    rule: str
    files: dict[str, str]
    where: tuple[str, int] | None
    env_example: str = ""


def fragment(name: str, rule: str, text: str, line: int | None, **kw) -> Case:
    where = ("compose/x.yaml", line) if line is not None else None
    return Case(name, rule, {"compose/x.yaml": text}, where, **kw)


def rejected(name: str, text: str, line: int, env_example: str = "") -> Case:
    """A DV100 case: a sound fragment a.yaml and the broken x.yaml."""
    files = {"compose/a.yaml": HEALTHY.replace("web:", "db:"), "compose/x.yaml": text}
    return Case(name, "DV100", files, ("compose/x.yaml", line), env_example)


def dockerfile(name: str, rule: str, text: str, line: int | None) -> Case:
    where = ("compose/app/Dockerfile", line) if line is not None else None
    files = {"compose/x.yaml": BUILT, "compose/app/Dockerfile": text}
    return Case(name, rule, files, where)


CASES = [
    # DV101: a long-running service without a health check.
    fragment(
        "no-healthcheck",
        "DV101",
        "services:\n  web:\n    image: devenv-test/busybox:1\n",
        2,
    ),
    fragment(
        "healthcheck-disabled",
        "DV101",
        "services:\n  web:\n    image: devenv-test/busybox:1\n"
        "    healthcheck:\n      disable: true\n",
        4,
    ),
    # A one-shot job that another service awaits needs no health check.
    fragment(
        "one-shot-job-exempt",
        "DV101",
        HEALTHY + "    depends_on:\n      seed:\n"
        "        condition: service_completed_successfully\n"
        '  seed:\n    image: devenv-test/busybox:1\n    restart: "no"\n',
        None,
    ),
    fragment("healthcheck-present", "DV101", HEALTHY, None),
    # The image's own HEALTHCHECK counts when devenv builds the image.
    Case(
        "image-healthcheck-counts",
        "DV101",
        {
            "compose/x.yaml": "services:\n  app:\n    image: app:dev\n    build: ./app\n",
            "compose/app/Dockerfile": GOOD_DOCKERFILE,
        },
        None,
    ),
    # DV102: host network or Docker's default bridge.
    fragment("network-host", "DV102", HEALTHY + "    network_mode: host\n", 6),
    fragment("network-bridge", "DV102", HEALTHY + "    network_mode: bridge\n", 6),
    fragment(
        "user-defined-network",
        "DV102",
        HEALTHY + "    networks: [backend]\nnetworks:\n  backend: {}\n",
        None,
    ),
    # DV103: anonymous volumes.
    fragment("anonymous-volume", "DV103", HEALTHY + "    volumes:\n      - /data\n", 7),
    fragment(
        "named-volume-and-bind-mount",
        "DV103",
        HEALTHY
        + "    volumes:\n      - data:/data\n      - ./src:/src\nvolumes:\n  data: {}\n",
        None,
    ),
    # DV104: hard-coded secrets in the fragment as written.
    fragment(
        "secret-in-map",
        "DV104",
        HEALTHY + "    environment:\n      DB_PASSWORD: hunter2\n",
        7,
    ),
    fragment(
        "secret-in-list",
        "DV104",
        HEALTHY
        + "    environment:\n      - LOG_LEVEL=info\n      - API_TOKEN=abc123\n",
        8,
    ),
    fragment(
        "secret-as-default",
        "DV104",
        HEALTHY + "    environment:\n      DB_PASSWORD: ${DB_PASSWORD:-hunter2}\n",
        7,
        env_example="DB_PASSWORD=\n",
    ),
    fragment(
        "secret-from-anchor",
        "DV104",
        "x-env: &env\n  DB_PASSWORD: hunter2\n"
        + HEALTHY
        + "    environment:\n      <<: *env\n",
        2,
    ),
    fragment(
        "secret-by-reference",
        "DV104",
        HEALTHY + "    environment:\n      DB_PASSWORD: ${DB_PASSWORD:?set it}\n"
        '      DB_PASSWORD_FILE: /run/secrets/db\n      API_KEY_ENABLED: "true"\n',
        None,
        env_example="DB_PASSWORD=change-me\n",
    ),
    # DV105: variables missing from .env.example.
    fragment(
        "undocumented-variable",
        "DV105",
        HEALTHY + "    environment:\n      LEVEL: ${LOG_LEVEL:-info}\n",
        7,
    ),
    fragment(
        "documented-and-escaped",
        "DV105",
        HEALTHY + "    environment:\n      LEVEL: ${LOG_LEVEL}\n      RAW: $$HOME\n",
        None,
        env_example="# Level of the log.\nLOG_LEVEL=info\n",
    ),
    # DV106: images without a tag, or with `latest`.
    fragment("bare-image", "DV106", HEALTHY.replace("busybox:1", "busybox"), 3),
    fragment(
        "latest-image", "DV106", HEALTHY.replace("busybox:1", "busybox:latest"), 3
    ),
    fragment(
        "digest-and-registry-port",
        "DV106",
        HEALTHY.replace(
            "devenv-test/busybox:1", "localhost:5000/busybox@sha256:" + "a" * 64
        ),
        None,
    ),
    # A service that builds its image names it freely.
    Case(
        "built-image-exempt",
        "DV106",
        {
            "compose/x.yaml": BUILT.replace("app:dev", "app"),
            "compose/app/Dockerfile": GOOD_DOCKERFILE,
        },
        None,
    ),
    # DV107: ports published on all interfaces.
    fragment(
        "port-all-interfaces", "DV107", HEALTHY + '    ports:\n      - "8080:80"\n', 7
    ),
    fragment(
        "long-syntax-port",
        "DV107",
        HEALTHY + "    ports:\n      - target: 80\n        published: 8080\n",
        7,
    ),
    fragment(
        "port-on-loopback",
        "DV107",
        HEALTHY + '    ports:\n      - "127.0.0.1:8080:80"\n      - "[::1]:8081:81"\n',
        None,
    ),
    fragment(
        "suppressed-with-reason",
        "DV107",
        HEALTHY
        + "    ports:\n      # devenv: ignore[DV107] the team's shared VM needs it\n"
        '      - "8080:80"\n      - "8081:81"  # devenv: ignore[DV107] same VM\n',
        None,
    ),
    # A comment after a value covers its own line, not the next one.
    fragment(
        "trailing-suppression-own-line-only",
        "DV107",
        HEALTHY + '    ports:\n      - "8080:80"  # devenv: ignore[DV107] shared VM\n'
        '      - "8081:81"\n',
        8,
    ),
    fragment(
        "suppression-without-reason-keeps-finding",
        "DV107",
        HEALTHY + '    ports:\n      - "8080:80"  # devenv: ignore[DV107]\n',
        7,
    ),
    # DV108 and DV109: privileged containers and the Docker socket.
    fragment("privileged", "DV108", HEALTHY + "    privileged: true\n", 6),
    fragment("not-privileged", "DV108", HEALTHY + "    privileged: false\n", None),
    fragment(
        "docker-socket",
        "DV109",
        HEALTHY
        + "    volumes:\n      - ./src:/src\n      - /var/run/docker.sock:/var/run/docker.sock\n",
        8,
    ),
    fragment(
        "other-bind-mount",
        "DV109",
        HEALTHY + "    volumes:\n      - ./src:/src\n",
        None,
    ),
    # DV001 and DV002: the suppressions themselves.
    fragment(
        "suppression-without-reason",
        "DV001",
        HEALTHY + '    ports:\n      # devenv: ignore[DV107]\n      - "8080:80"\n',
        7,
    ),
    fragment(
        "suppression-with-reason",
        "DV001",
        HEALTHY
        + '    ports:\n      # devenv: ignore[DV107] shared VM\n      - "8080:80"\n',
        None,
    ),
    fragment(
        "suppression-of-unknown-rule",
        "DV002",
        HEALTHY + "    privileged: true  # devenv: ignore[DV999] typo\n",
        6,
    ),
    # DV100: Compose cannot render the profile. Each case has a second, sound
    # fragment, so the finding must name the broken one and its line.
    rejected("unrenderable-port", HEALTHY + '    ports:\n      - "not-a-port"\n', 7),
    rejected("unknown-service-key", HEALTHY + "    restrat: always\n", 6),
    rejected("unknown-top-level-key", HEALTHY + "volumez: {}\n", 6),
    rejected("list-given-a-number", HEALTHY + "    ports: 8080\n", 6),
    rejected("invalid-duration", HEALTHY + "      interval: fast\n", 6),
    rejected("duplicate-key", HEALTHY + "    image: other\n", 6),
    rejected("missing-env-file", HEALTHY + "    env_file: nope.env\n", 6),
    rejected("undefined-volume", HEALTHY + "    volumes:\n      - nosuch:/data\n", 7),
    rejected("undefined-network", HEALTHY + "    networks:\n      - nonet\n", 7),
    rejected(
        "depends-on-undefined-service",
        HEALTHY + "    depends_on:\n      nodb:\n        condition: service_started\n",
        7,
    ),
    # Compose names only the value, which .env.example supplies: the fragment
    # is found by rendering each alone, and no line can be named.
    rejected(
        "invalid-port-from-variable",
        HEALTHY + '    ports:\n      - "127.0.0.1:${BAD_PORT}:80"\n',
        1,
        env_example="BAD_PORT=99999\n",
    ),
    rejected("invalid-yaml", HEALTHY + "\tbad: 1\n", 6),
    Case("renderable-fragment", "DV100", {"compose/x.yaml": HEALTHY}, None),
    # DV100 for the profile file itself, at the line of the problem.
    Case(
        "profile-unknown-setting",
        "DV100",
        {
            "compose/x.yaml": HEALTHY,
            "profiles/p.yaml": "fragments: [x]\nfragmnets: []\n",
        },
        ("profiles/p.yaml", 2),
    ),
    Case(
        "profile-missing-fragment",
        "DV100",
        {
            "compose/x.yaml": HEALTHY,
            "profiles/p.yaml": "fragments:\n  - x\n  - nosuch\n",
        },
        ("profiles/p.yaml", 3),
    ),
    # DV201: build tools in the final image.
    dockerfile(
        "single-stage-pip-install",
        "DV201",
        GOOD_DOCKERFILE.split("FROM python:3.11-slim\n")[1].replace(
            "COPY --from=build /install /usr/local\n",
            "FROM python:3.11-slim\nRUN pip install --no-cache-dir flask\n",
        ),
        2,
    ),
    dockerfile(
        "final-stage-installs-gcc",
        "DV201",
        GOOD_DOCKERFILE.replace(
            "RUN useradd --system app\n",
            "RUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*\n",
        ),
        6,
    ),
    dockerfile("pip-in-build-stage", "DV201", GOOD_DOCKERFILE, None),
    # DV202: the final stage runs as root.
    dockerfile("no-user", "DV202", GOOD_DOCKERFILE.replace("USER app\n", ""), 4),
    dockerfile(
        "user-root", "DV202", GOOD_DOCKERFILE.replace("USER app", "USER 0:0"), 7
    ),
    dockerfile(
        "user-from-parent-stage",
        "DV202",
        "FROM python:3.11-slim AS base\nRUN useradd app\nUSER app\n"
        'FROM base\nHEALTHCHECK CMD ["true"]\n',
        None,
    ),
    # DV203: no HEALTHCHECK in the final image.
    dockerfile(
        "no-healthcheck-instruction",
        "DV203",
        GOOD_DOCKERFILE.replace('HEALTHCHECK CMD ["true"]\n', ""),
        4,
    ),
    dockerfile(
        "healthcheck-none",
        "DV203",
        GOOD_DOCKERFILE.replace('HEALTHCHECK CMD ["true"]', "HEALTHCHECK NONE"),
        4,
    ),
    dockerfile("healthcheck-instruction", "DV203", GOOD_DOCKERFILE, None),
    # DV204: base images without a tag, or with `latest`.
    dockerfile(
        "untagged-build-base",
        "DV204",
        GOOD_DOCKERFILE.replace(
            "FROM python:3.11-slim AS build", "FROM python AS build"
        ),
        1,
    ),
    dockerfile(
        "latest-final-base",
        "DV204",
        GOOD_DOCKERFILE.replace("FROM python:3.11-slim\n", "FROM alpine:latest\n"),
        4,
    ),
    dockerfile(
        "stage-reference-and-arg",
        "DV204",
        "ARG PY=3.11\nFROM python:${PY}-slim AS base\nFROM base\nUSER 1000\n"
        'HEALTHCHECK CMD ["true"]\n',
        None,
    ),
    # DV205: a full distribution as the final base.
    dockerfile(
        "full-final-base",
        "DV205",
        GOOD_DOCKERFILE.replace(
            "FROM python:3.11-slim\n", "FROM python:3.11-bookworm\n"
        ),
        4,
    ),
    dockerfile(
        "distroless-final-base",
        "DV205",
        GOOD_DOCKERFILE.replace(
            "FROM python:3.11-slim\n",
            "FROM gcr.io/distroless/python3-debian12:nonroot\n",
        ),
        None,
    ),
    # DV206: the whole context copied before the manifests.
    dockerfile(
        "copy-all-before-manifest",
        "DV206",
        "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nCOPY requirements.txt .\n"
        'USER app\nHEALTHCHECK CMD ["true"]\n',
        3,
    ),
    dockerfile(
        "copy-all-then-install",
        "DV206",
        "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"
        'USER node\nHEALTHCHECK CMD ["true"]\n',
        3,
    ),
    dockerfile(
        "manifest-first",
        "DV206",
        "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
        'RUN npm ci\nCOPY . .\nUSER node\nHEALTHCHECK CMD ["true"]\n',
        None,
    ),
    # DV207: secrets in ENV or ARG.
    dockerfile(
        "secret-env",
        "DV207",
        GOOD_DOCKERFILE.replace(
            "USER app\n", "ENV LOG=1 \\\n    DB_PASSWORD=hunter2\nUSER app\n"
        ),
        7,
    ),
    dockerfile(
        "secret-arg-default",
        "DV207",
        "ARG API_TOKEN=abc123\n" + GOOD_DOCKERFILE,
        1,
    ),
    dockerfile(
        "secret-arg-without-default",
        "DV207",
        GOOD_DOCKERFILE.replace(
            "USER app\n", "ARG API_TOKEN\nENV TOKEN_FILE=/run/t\nUSER app\n"
        ),
        None,
    ),
    # DV208: ADD of a remote URL.
    dockerfile(
        "add-url",
        "DV208",
        GOOD_DOCKERFILE.replace(
            "USER app\n", "ADD https://example.com/tool.tgz /opt/\nUSER app\n"
        ),
        7,
    ),
    dockerfile(
        "add-url-with-checksum",
        "DV208",
        GOOD_DOCKERFILE.replace(
            "USER app\n",
            "ADD --checksum=sha256:"
            + "b" * 64
            + " https://example.com/t.tgz /opt/\nUSER app\n",
        ),
        None,
    ),
    # DV209: package caches left in a layer of the final image.
    dockerfile(
        "apt-lists-kept",
        "DV209",
        GOOD_DOCKERFILE.replace(
            "RUN useradd --system app\n",
            "RUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        ),
        6,
    ),
    dockerfile(
        "pip-cache-kept",
        "DV209",
        GOOD_DOCKERFILE.replace(
            "RUN useradd --system app\n", "RUN pip install flask\n"
        ),
        6,
    ),
    dockerfile(
        "apk-index-kept",
        "DV209",
        'FROM alpine:3.20\nRUN apk add curl\nUSER 1000\nHEALTHCHECK CMD ["true"]\n',
        2,
    ),
    dockerfile(
        "caches-cleaned",
        "DV209",
        "FROM python:3.11-slim\nENV PIP_NO_CACHE_DIR=1\n"
        "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
        "RUN pip install flask\n"
        "RUN --mount=type=cache,target=/var/cache/apk apk add curl\n"
        'USER 1000\nHEALTHCHECK CMD ["true"]\n',
        None,
    ),
    # Suppressions work in Dockerfiles too, on the line above.
    dockerfile(
        "dockerfile-suppression",
        "DV205",
        GOOD_DOCKERFILE.replace(
            "FROM python:3.11-slim\n",
            "# devenv: ignore[DV205] the tests need the full image's tools\n"
            "FROM python:3.11-bookworm\n",
        ),
        None,
    ),
]


def write_workspace(root: Path, case: Case) -> Workspace:
    fragments = sorted(
        Path(name).stem
        for name in case.files
        if name.count("/") == 1 and name.endswith(".yaml")
    )
    files = {
        "profiles/p.yaml": f"fragments: [{', '.join(fragments)}]\n",
        ".env.example": case.env_example,
        "compose/app/requirements.txt": "flask==3.0.0\n",
        **case.files,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Workspace(root)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_rule_table(case: Case, tmp_path: Path) -> None:
    workspace = write_workspace(tmp_path, case)

    report = lint_profiles(workspace, ["p"])

    found = [
        (report.relative(item.path), item.line)
        for item in report.findings
        if item.rule == case.rule
    ]
    expected = [case.where] if case.where else []
    assert found == expected, report.findings


def test_baselines_break_no_rule(tmp_path: Path) -> None:
    case = Case(
        "baseline",
        "",
        {
            "compose/x.yaml": BUILT + HEALTHY.replace("services:\n", ""),
            "compose/app/Dockerfile": GOOD_DOCKERFILE,
        },
        None,
    )
    workspace = write_workspace(tmp_path, case)

    report = lint_profiles(workspace, ["p"])

    assert report.findings == ()
    assert report.status == "pass"


def test_secret_value_never_in_findings(tmp_path: Path) -> None:
    case = fragment(
        "secret", "DV104", HEALTHY + "    environment:\n      DB_PASSWORD: hunter2\n", 7
    )
    workspace = write_workspace(tmp_path, case)

    report = lint_profiles(workspace, ["p"])

    assert [item.rule for item in report.findings] == ["DV104"]
    assert all("hunter2" not in item.message + item.fix for item in report.findings)


def test_shared_fragment_reported_once(tmp_path: Path) -> None:
    case = fragment("shared", "DV107", HEALTHY + '    ports:\n      - "8080:80"\n', 7)
    workspace = write_workspace(tmp_path, case)
    (tmp_path / "profiles" / "q.yaml").write_text("extends: [p]\n")

    report = lint_profiles(workspace, ["p", "q"])

    assert [(item.rule, item.line) for item in report.findings] == [("DV107", 7)]
    assert report.profiles == ("p", "q")


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ("python:3.11-bookworm", "a full distribution"),
        ("python:3.11", "a full distribution"),  # Debian with compilers
        ("devenv-test/busybox:1", "which is not a slim, alpine or distroless image"),
        ("nginx:1.25", "which is not a slim, alpine or distroless image"),
    ],
)
def test_large_base_message_fits_image(base: str, message: str, tmp_path: Path) -> None:
    text = f'FROM {base}\nUSER 1000\nHEALTHCHECK CMD ["true"]\n'
    workspace = write_workspace(tmp_path, dockerfile("base", "DV205", text, 1))

    report = lint_profiles(workspace, ["p"])

    [found] = [item for item in report.findings if item.rule == "DV205"]
    assert found.message == f"The final image starts from {base}, {message}" + (
        " with tools the service does not need at run time."
        if message == "a full distribution"
        else ", so it may carry tools the service does not need at run time."
    )


def test_unknown_profile_raises_did_you_mean(tmp_path: Path) -> None:
    workspace = write_workspace(tmp_path, fragment("any", "", HEALTHY, None))

    with pytest.raises(InputError) as raised:
        lint_profiles(workspace, ["pp"])

    assert str(raised.value) == (
        f"Profile 'pp' not found in {tmp_path / 'profiles'}. "
        "Did you mean 'p'? Available: p."
    )
