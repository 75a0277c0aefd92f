"""devenv: bring up, watch and check Docker Compose stacks on a developer's machine."""

__version__ = "0.1.0"
