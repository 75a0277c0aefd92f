"""The only dockerfile-parse import: a Dockerfile read into stages of instructions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from dockerfile_parse import DockerfileParser
from dockerfile_parse.util import extract_key_values

from devenv.errors import InputError


@dataclass(frozen=True)
class Instruction:
    """One instruction: keyword in upper case, its arguments, its first line (1-based)."""

    keyword: str
    value: str
    line: int

    def key_values(self) -> list[tuple[str, str]]:
        """Split an ENV or ARG instruction into (name, value) pairs, as written."""
        return extract_key_values(
            env_replace=False, args={}, envs={}, instruction_value=self.value
        )


@dataclass(frozen=True)
class Stage:
    """A build stage: from one FROM to the next."""

    index: int
    name: str
    base: str
    line: int
    instructions: tuple[Instruction, ...]

    def of_kind(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile: global ARGs, stages, and comments with their lines."""

    path: Path
    preamble: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    comments: tuple[tuple[int, str], ...]

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage(self, reference: str) -> Stage | None:
        """Return the stage a FROM names by stage name or index, if any."""
        for stage in self.stages:
            if stage.name and stage.name.lower() == reference.lower():
                return stage
        if reference.isdigit() and int(reference) < len(self.stages):
            return self.stages[int(reference)]
        return None

    def final_chain(self) -> list[Stage]:
        """Return the final stage, then each earlier stage it is built FROM, in turn."""
        chain: list[Stage] = []
        current = self.final
        while current is not None and current not in chain:
            chain.append(current)
            parent = self.stage(current.base)
            current = (
                parent if parent is not None and parent.index < current.index else None
            )
        return chain


def parse_dockerfile(path: Path) -> Dockerfile:
    """Parse a Dockerfile; raise InputError when it cannot be read."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror}).") from error

    parser = DockerfileParser(fileobj=io.BytesIO(content))
    items = sorted(parser.structure, key=lambda item: item["startline"])
    comments = tuple(
        (item["startline"] + 1, item["value"])
        for item in items
        if item["instruction"] == "COMMENT"
    )

    preamble: list[Instruction] = []
    groups: list[list[dict]] = []
    for item in items:
        if item["instruction"] == "COMMENT":
            continue
        if item["instruction"].upper() == "FROM":
            groups.append([])
        if groups:
            groups[-1].append(item)
        else:
            preamble.append(_instruction(item))

    # parent_images has one entry per FROM, with build arguments substituted.
    bases = list(parser.parent_images)
    stages = tuple(
        _stage(index, group, bases[index] if index < len(bases) else "")
        for index, group in enumerate(groups)
    )
    return Dockerfile(path, tuple(preamble), stages, comments)


def _stage(index: int, items: list[dict], base: str) -> Stage:
    tokens = [
        token for token in items[0]["value"].split() if not token.startswith("--")
    ]
    name = tokens[2] if len(tokens) >= 3 and tokens[1].lower() == "as" else ""
    return Stage(
        index=index,
        name=name,
        base=base or (tokens[0] if tokens else ""),
        line=items[0]["startline"] + 1,
        instructions=tuple(_instruction(item) for item in items[1:]),
    )


def _instruction(item: dict) -> Instruction:
    return Instruction(
        item["instruction"].upper(), item["value"], item["startline"] + 1
    )
