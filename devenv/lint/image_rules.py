"""Dockerfile rules about the final image: user, health check, base, secrets, URLs."""

from __future__ import annotations

from devenv.lint.dockerfile import Dockerfile, Stage
from devenv.lint.findings import Finding, finding
from devenv.lint.model_rules import image_tag
from devenv.lint.sources import copy_sources
from devenv.secrets import is_secret_name

_SMALL_BASES = ("slim", "alpine", "distroless", "minimal", "chainguard")
# Images whose default tags are a whole Linux distribution: the distributions
# themselves, and official language images built on one.
_FULL_DISTRIBUTIONS = {
    "almalinux",
    "amazonlinux",
    "archlinux",
    "buildpack-deps",
    "centos",
    "debian",
    "eclipse-temurin",
    "fedora",
    "gcc",
    "golang",
    "maven",
    "node",
    "openjdk",
    "oraclelinux",
    "perl",
    "python",
    "rockylinux",
    "ruby",
    "rust",
    "ubuntu",
}
# Debian and Ubuntu release names, as in `python:3.11-bookworm`.
_DISTRIBUTION_RELEASES = (
    "bookworm",
    "bullseye",
    "buster",
    "trixie",
    "focal",
    "jammy",
    "noble",
)
_ROOT_USERS = {"root", "0"}
_REMOTE_PREFIXES = ("http://", "https://", "git@", "git://")


def root_user(dockerfile: Dockerfile) -> list[Finding]:
    """DV202: the final stage, or the stage it builds on, sets a non-root USER."""
    chain = dockerfile.final_chain()
    final = chain[0]
    for stage in chain:
        users = stage.of_kind("USER")
        if users:
            user = users[-1]
            name = user.value.split(":", 1)[0].strip()
            if name not in _ROOT_USERS:
                return []
            return [_root_finding(dockerfile, user.line, f"sets USER {user.value}")]
    if "nonroot" in image_tag(chain[-1].base):
        return []
    return [_root_finding(dockerfile, final.line, "sets no USER")]


def _root_finding(dockerfile: Dockerfile, line: int, cause: str) -> Finding:
    return finding(
        "DV202",
        dockerfile.path,
        line,
        f"The final stage {cause}, so its processes run as root.",
    )


def declares_healthcheck(dockerfile: Dockerfile) -> bool:
    """Tell whether the final image has a HEALTHCHECK other than `NONE`."""
    for stage in dockerfile.final_chain():
        checks = stage.of_kind("HEALTHCHECK")
        if checks:
            return checks[-1].value.strip().upper() != "NONE"
    return False


def missing_healthcheck(dockerfile: Dockerfile) -> list[Finding]:
    """DV203: the final image declares a HEALTHCHECK (not `HEALTHCHECK NONE`)."""
    final = dockerfile.final
    if final is None or declares_healthcheck(dockerfile):
        return []
    return [
        finding(
            "DV203",
            dockerfile.path,
            final.line,
            "The final image has no HEALTHCHECK, so a container of it reports "
            "no health unless Compose adds a check.",
        )
    ]


def unpinned_bases(dockerfile: Dockerfile) -> list[Finding]:
    """DV204: each FROM that pulls an image names a tag other than `latest`."""
    findings = []
    for stage in dockerfile.stages:
        base = stage.base
        if _is_stage_or_scratch(dockerfile, stage) or "$" in base:
            continue
        tag = image_tag(base)
        if tag not in ("", "latest"):
            continue
        problem = "the tag `latest`" if tag == "latest" else "no tag"
        findings.append(
            finding(
                "DV204",
                dockerfile.path,
                stage.line,
                f"FROM {base} has {problem}, so each build may start from a "
                "different version.",
            )
        )
    return findings


def _is_stage_or_scratch(dockerfile: Dockerfile, stage: Stage) -> bool:
    if stage.base == "scratch":
        return True
    earlier = dockerfile.stage(stage.base)
    return earlier is not None and earlier.index < stage.index


def large_base(dockerfile: Dockerfile) -> list[Finding]:
    """DV205: the final image starts from a slim, alpine or distroless base."""
    origin = dockerfile.final_chain()[-1]
    base = origin.base.lower()
    if base == "scratch" or "$" in base or any(word in base for word in _SMALL_BASES):
        return []
    if is_full_distribution(base):
        message = (
            f"The final image starts from {origin.base}, a full distribution "
            "with tools the service does not need at run time."
        )
        return [finding("DV205", dockerfile.path, origin.line, message)]
    message = (
        f"The final image starts from {origin.base}, which is not a slim, alpine "
        "or distroless image, so it may carry tools the service does not need "
        "at run time."
    )
    fix = (
        "Base the final stage on a -slim, -alpine or distroless image, or, if "
        f"{origin.base} is already minimal, keep it with "
        "`# devenv: ignore[DV205] reason` on the line above the FROM."
    )
    return [finding("DV205", dockerfile.path, origin.line, message, fix)]


def is_full_distribution(image: str) -> bool:
    """Tell whether an image reference names a whole Linux distribution.

    Official language images such as `python:3.11` count, because their
    default tags are built on a full Debian, not on a slim variant.
    """
    tag = image_tag(image)
    name = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    if any(release in tag for release in _DISTRIBUTION_RELEASES):
        return True
    repository = image.split("@", 1)[0].removesuffix(f":{tag}")
    official = "/" not in repository or repository.startswith(
        ("library/", "docker.io/library/")
    )
    return official and name in _FULL_DISTRIBUTIONS


def baked_secrets(dockerfile: Dockerfile) -> list[Finding]:
    """DV207: ENV and ARG give no secret-named variable a literal default."""
    findings = []
    instructions = list(dockerfile.preamble)
    for stage in dockerfile.stages:
        instructions += stage.instructions
    for item in instructions:
        if item.keyword not in ("ENV", "ARG"):
            continue
        for name, value in item.key_values():
            if not _is_literal_secret(name, value):
                continue
            findings.append(
                finding(
                    "DV207",
                    dockerfile.path,
                    item.line,
                    f"{item.keyword} {name} has a literal value, which stays "
                    "readable in the image's history.",
                )
            )
    return findings


def _is_literal_secret(name: str, value: str) -> bool:
    if not is_secret_name(name) or name.upper().endswith("_FILE"):
        return False
    return bool(value.strip()) and "$" not in value


def remote_add(dockerfile: Dockerfile) -> list[Finding]:
    """DV208: ADD fetches no URL unless it verifies a `--checksum`."""
    findings = []
    for stage in dockerfile.stages:
        for item in stage.of_kind("ADD"):
            if "--checksum=" in item.value:
                continue
            urls = [s for s in copy_sources(item) if s.startswith(_REMOTE_PREFIXES)]
            if urls:
                findings.append(
                    finding(
                        "DV208",
                        dockerfile.path,
                        item.line,
                        f"ADD downloads {urls[0]} without verifying it.",
                    )
                )
    return findings
