"""Reading shell commands of RUN instructions: installs, builds and cache cleanup."""

from __future__ import annotations

import fnmatch
import json
import shlex
from dataclasses import dataclass
from pathlib import PurePosixPath

_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")"}
_WRAPPERS = {"sudo", "env", "exec", "nohup", "time"}

# Packages whose only use is compiling: a compiler, make, or C headers.
BUILD_PACKAGES = {
    "autoconf",
    "automake",
    "build-base",
    "build-essential",
    "clang",
    "cmake",
    "g++",
    "gcc",
    "gcc-c++",
    "libtool",
    "make",
    "pkg-config",
}
_COMPILERS = {"gcc", "g++", "cc", "c++", "clang", "make", "cmake", "javac", "rustc"}

MANIFESTS = (
    "requirements*.txt",
    "constraints*.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile",
    "Pipfile.lock",
    "setup.py",
    "setup.cfg",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "go.mod",
    "go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "Gemfile",
    "Gemfile.lock",
    "composer.json",
    "composer.lock",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
)


@dataclass(frozen=True)
class Command:
    """One simple command of a RUN: program name, arguments, and inline NAME=value."""

    program: str
    args: tuple[str, ...]
    assignments: tuple[tuple[str, str], ...]

    def has(self, *words: str) -> bool:
        return any(word in self.args for word in words)

    @property
    def subcommand(self) -> str:
        return next((arg for arg in self.args if not arg.startswith("-")), "")


def run_flags(value: str) -> list[str]:
    """Leading `--flag` options of a RUN, such as `--mount=type=cache,...`."""
    flags = []
    for token in value.split():
        if not token.startswith("--"):
            break
        flags.append(token)
    return flags


def split_run(value: str) -> list[Command]:
    """Split a RUN instruction's arguments (shell or JSON form) into commands."""
    tokens = _tokens(value)
    while tokens and tokens[0].startswith("--"):
        tokens.pop(0)
    commands: list[Command] = []
    current: list[str] = []
    for token in [*tokens, ";"]:
        if token in _OPERATORS:
            if current:
                commands.append(_command(current))
            current = []
        else:
            current.append(token)
    return [command for command in commands if command.program]


def _tokens(value: str) -> list[str]:
    text = value.strip()
    if text.startswith("["):
        try:
            words = json.loads(text)
        except json.JSONDecodeError:
            words = None
        if isinstance(words, list):
            return [str(word) for word in words]
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:
        return text.split()


def _command(tokens: list[str]) -> Command:
    assignments = []
    words = list(tokens)
    while words:
        head = words.pop(0)
        if "=" in head and not head.startswith("-"):
            name, _, value = head.partition("=")
            assignments.append((name, value))
        elif PurePosixPath(head).name in _WRAPPERS:
            while words and words[0].startswith("-"):
                words.pop(0)
        else:
            words.insert(0, head)
            break
    if not words:
        return Command("", (), tuple(assignments))
    program = PurePosixPath(words[0]).name
    args = words[1:]
    # `python -m pip install` is pip.
    if program.startswith("python") and args[:2] == ["-m", "pip"]:
        program, args = "pip", args[2:]
    if program.startswith("pip"):
        program = "pip"
    return Command(program, tuple(args), tuple(assignments))


def installed_packages(command: Command) -> list[str]:
    """Packages named by an apt-get, apt, apk, yum, dnf or microdnf install."""
    verbs = {"apt-get": "install", "apt": "install", "apk": "add", "yum": "install"}
    verbs.update({"dnf": "install", "microdnf": "install"})
    verb = verbs.get(command.program)
    if verb is None or command.subcommand != verb:
        return []
    return [arg for arg in command.args if not arg.startswith("-") and arg != verb]


def build_packages(command: Command) -> list[str]:
    """Installed packages that exist to compile: compilers, make, -dev headers."""
    return [
        name
        for name in installed_packages(command)
        if name in BUILD_PACKAGES or name.endswith(("-dev", "-devel"))
    ]


def installs_dependencies(command: Command) -> bool:
    """Tell whether a command installs a project's dependencies from its manifests."""
    if command.program == "pip":
        sources = {"-r", "--requirement", "-e", "--editable", ".", "./"}
        return command.subcommand == "install" and (
            command.has(*sources) or any(arg.startswith("-r") for arg in command.args)
        )
    verbs = {
        "npm": {"ci", "install", "i"},
        "yarn": {"", "install"},
        "pnpm": {"install", "i"},
        "go": {"mod"},
        "bundle": {"install"},
        "composer": {"install"},
        "poetry": {"install"},
        "pipenv": {"install", "sync"},
        "uv": {"sync"},
        "cargo": {"fetch", "build"},
    }
    return command.subcommand in verbs.get(command.program, set())


def is_build_step(command: Command) -> bool:
    """Tell whether a command installs packages, compiles, or adds build tools."""
    if command.program == "pip" and command.subcommand == "install":
        return True
    return (
        installs_dependencies(command)
        or compiles(command)
        or bool(build_packages(command))
    )


def compiles(command: Command) -> bool:
    """Tell whether a command compiles code or builds a package."""
    if command.program in _COMPILERS:
        return True
    builds = {"go": {"build"}, "cargo": {"build"}, "mvn": {"package", "install"}}
    builds.update({"gradle": {"build"}, "./gradlew": {"build"}, "gradlew": {"build"}})
    return command.subcommand in builds.get(command.program, set())


def removes_path(commands: list[Command], prefix: str) -> bool:
    """Tell whether some `rm` among the commands deletes files under `prefix`."""
    return any(
        command.program == "rm" and any(arg.startswith(prefix) for arg in command.args)
        for command in commands
    )


def is_manifest(source: str) -> bool:
    name = PurePosixPath(source.rstrip("/")).name
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in MANIFESTS)
