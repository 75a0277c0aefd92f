"""Policy rules over a profile's rendered model, its fragments and its Dockerfiles."""

from __future__ import annotations

from devenv.lint.findings import RULES, Finding, LintReport, Rule
from devenv.lint.report import FORMATS, format_report, report_data
from devenv.lint.runner import lint_profiles, require_profiles

__all__ = [
    "FORMATS",
    "RULES",
    "Finding",
    "LintReport",
    "Rule",
    "format_report",
    "lint_profiles",
    "report_data",
    "require_profiles",
]
