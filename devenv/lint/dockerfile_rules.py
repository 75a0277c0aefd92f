"""Dockerfile rules about how the image is built: stages, layer order, caches."""

from __future__ import annotations

from devenv.lint import commands, image_rules
from devenv.lint.commands import Command
from devenv.lint.dockerfile import Dockerfile, Instruction, Stage
from devenv.lint.findings import Finding, finding
from devenv.lint.sources import copies_from_stage, copy_sources

_OFF_WORDS = {"", "0", "false", "no", "off"}


def check_dockerfile(dockerfile: Dockerfile) -> list[Finding]:
    if not dockerfile.stages:
        return []
    findings: list[Finding] = []
    for rule in (
        build_tools,
        image_rules.root_user,
        image_rules.missing_healthcheck,
        image_rules.unpinned_bases,
        image_rules.large_base,
        source_before_manifests,
        image_rules.baked_secrets,
        image_rules.remote_add,
        package_caches,
    ):
        findings += rule(dockerfile)
    return findings


def build_tools(dockerfile: Dockerfile) -> list[Finding]:
    """DV201: compiling or installing build tools needs a separate build stage."""
    single = len(dockerfile.stages) == 1
    for stage in dockerfile.final_chain():
        for run in stage.of_kind("RUN"):
            for command in commands.split_run(run.value):
                use = _build_tool_use(command, single)
                if use is None:
                    continue
                return [
                    finding(
                        "DV201",
                        dockerfile.path,
                        run.line,
                        f"The final image {use}, so the build tools and "
                        "intermediate files ship with it.",
                    )
                ]
    return []


def _build_tool_use(command: Command, single_stage: bool) -> str | None:
    """Describe the build work a command does in the final image, or None.

    In a single-stage image any install or compile counts. After a build stage,
    the final stage may still install packages, but not compilers or headers.
    """
    tools = commands.build_packages(command)
    if tools:
        return f"installs {', '.join(tools)}"
    if commands.compiles(command):
        return f"runs `{' '.join([command.program, *command.args[:1]])}`"
    if single_stage and commands.is_build_step(command):
        return f"runs `{command.program} {command.subcommand}`"
    return None


def source_before_manifests(dockerfile: Dockerfile) -> list[Finding]:
    """DV206: `COPY . .` comes after the manifests are copied and installed."""
    findings = []
    for stage in dockerfile.stages:
        copy_all = _copy_all_before_manifests(stage)
        if copy_all is not None:
            findings.append(
                finding(
                    "DV206",
                    dockerfile.path,
                    copy_all.line,
                    "The whole build context is copied before the dependency "
                    "manifests are installed, so every source change reinstalls "
                    "the dependencies.",
                )
            )
    return findings


def _copy_all_before_manifests(stage: Stage) -> Instruction | None:
    """Return the `COPY . .` that precedes the manifest copy or install, if any."""
    copy_all: Instruction | None = None
    manifest_copied = False
    for item in stage.instructions:
        if item.keyword == "RUN":
            if copy_all is not None and not manifest_copied and _installs(item):
                return copy_all
            continue
        if item.keyword not in ("COPY", "ADD") or copies_from_stage(item):
            continue
        sources = copy_sources(item)
        has_manifest = any(commands.is_manifest(source) for source in sources)
        if copy_all is not None and has_manifest:
            return copy_all
        manifest_copied = manifest_copied or has_manifest
        if copy_all is None and any(source in (".", "./") for source in sources):
            copy_all = item
    return None


def _installs(run: Instruction) -> bool:
    return any(map(commands.installs_dependencies, commands.split_run(run.value)))


def package_caches(dockerfile: Dockerfile) -> list[Finding]:
    """DV209: package caches are removed in the RUN that fills them.

    Only the final stage and the stages it builds on are checked, because the
    layers of other stages never reach the image.
    """
    chain = dockerfile.final_chain()
    pip_cache_off = _pip_cache_disabled(chain)
    findings = []
    for stage in reversed(chain):
        for run in stage.of_kind("RUN"):
            if any("type=cache" in flag for flag in commands.run_flags(run.value)):
                continue
            for problem in _cache_problems(run, pip_cache_off):
                findings.append(finding("DV209", dockerfile.path, run.line, problem))
    return findings


def _pip_cache_disabled(chain: list[Stage]) -> bool:
    for stage in chain:
        for item in stage.of_kind("ENV"):
            for name, value in item.key_values():
                if name == "PIP_NO_CACHE_DIR" and value.lower() not in _OFF_WORDS:
                    return True
    return False


def _cache_problems(run: Instruction, pip_cache_off: bool) -> list[str]:
    parsed = commands.split_run(run.value)
    problems = []
    if _apt_lists_left(parsed):
        problems.append("apt-get install leaves /var/lib/apt/lists in the layer.")
    if any(_pip_keeps_cache(command, pip_cache_off) for command in parsed):
        problems.append("pip install without --no-cache-dir keeps pip's cache.")
    if _apk_index_left(parsed):
        problems.append("apk add without --no-cache keeps the package index.")
    return problems


def _apt_lists_left(parsed: list[Command]) -> bool:
    installs = any(
        command.program in ("apt-get", "apt") and commands.installed_packages(command)
        for command in parsed
    )
    return installs and not commands.removes_path(parsed, "/var/lib/apt/lists")


def _pip_keeps_cache(command: Command, pip_cache_off: bool) -> bool:
    if command.program != "pip" or command.subcommand != "install":
        return False
    inline_off = any(
        name == "PIP_NO_CACHE_DIR" and value.lower() not in _OFF_WORDS
        for name, value in command.assignments
    )
    return not (command.has("--no-cache-dir") or pip_cache_off or inline_off)


def _apk_index_left(parsed: list[Command]) -> bool:
    adds = any(
        command.program == "apk"
        and command.subcommand == "add"
        and not command.has("--no-cache")
        for command in parsed
    )
    return adds and not commands.removes_path(parsed, "/var/cache/apk")
