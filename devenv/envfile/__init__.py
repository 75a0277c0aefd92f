"""Reading `.env` files, checking `.env` against `.env.example` and the fragments,
and writing `.env` for `devenv env init`.

Only `dotenv_io` imports python-dotenv. Names with a leading underscore are shared
between the modules of this package and are not part of its interface.
"""

from __future__ import annotations

from devenv.envfile.dotenv_io import expand_values, read_env_file
from devenv.envfile.env_init import InitResult, init_env_file
from devenv.envfile.masking import load_masker, secret_keys
from devenv.envfile.quoting import format_value, unwritable_reason
from devenv.envfile.records import (
    ERROR,
    RULES,
    WARNING,
    EnvEntry,
    EnvFile,
    EnvFinding,
    EnvReport,
    InvalidLine,
    KeySpec,
    display_path,
    env_path_for,
)
from devenv.envfile.references import Reference, fragment_references, scan_references
from devenv.envfile.report import check_environment
from devenv.envfile.specs import VALUE_TYPES, read_specs, validate_value

__all__ = [
    "ERROR",
    "RULES",
    "VALUE_TYPES",
    "WARNING",
    "EnvEntry",
    "EnvFile",
    "EnvFinding",
    "EnvReport",
    "InitResult",
    "InvalidLine",
    "KeySpec",
    "Reference",
    "check_environment",
    "display_path",
    "env_path_for",
    "expand_values",
    "format_value",
    "fragment_references",
    "init_env_file",
    "load_masker",
    "read_env_file",
    "read_specs",
    "scan_references",
    "secret_keys",
    "unwritable_reason",
    "validate_value",
]
