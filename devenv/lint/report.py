"""Lint reports as text for a terminal, JSON for tools, Markdown for a pull request."""

from __future__ import annotations

import json

from devenv.lint.findings import Finding, LintReport

FORMATS = ("text", "json", "markdown")
_STATUS_MARKS = {"pass": "✅", "warnings": "⚠️", "failed": "❌"}


def format_report(report: LintReport, fmt: str) -> str:
    """Render a report in one of FORMATS."""
    if fmt == "json":
        return json.dumps(report_data(report), indent=2)
    if fmt == "markdown":
        return markdown_report(report)
    return text_report(report)


def report_data(report: LintReport) -> dict:
    return {
        "status": report.status,
        "profiles": list(report.profiles),
        "errors": report.errors,
        "warnings": report.warnings,
        "findings": [
            {
                "rule": item.rule,
                "severity": item.severity,
                "file": report.relative(item.path),
                "line": item.line,
                "message": item.message,
                "fix": item.fix,
            }
            for item in report.findings
        ],
    }


def summary_line(report: LintReport) -> str:
    """Summarize the counts and the profiles checked in one sentence."""
    profiles = ", ".join(report.profiles) or "no profiles"
    if report.status == "pass":
        return f"No findings in {profiles}."
    return f"{_count(report.errors, 'error')}, {_count(report.warnings, 'warning')} in {profiles}."


def text_report(report: LintReport) -> str:
    lines = []
    for item in report.findings:
        where = f"{report.relative(item.path)}:{item.line}"
        lines.append(f"{where}: {item.severity} {item.rule} {item.message}")
        lines.append(f"    fix: {item.fix}")
    mark = {"pass": "✔", "warnings": "!", "failed": "✖"}[report.status]
    lines.append(f"{mark} {summary_line(report)}")
    return "\n".join(lines)


def markdown_report(report: LintReport) -> str:
    mark = _STATUS_MARKS[report.status]
    lines = [
        f"## devenv lint: {report.status}",
        "",
        f"{mark} **Status: {report.status}.** {summary_line(report)}",
        "",
    ]
    if report.findings:
        lines += [
            "| Severity | Rule | File | Line | Finding | Fix |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [_table_row(report, item) for item in report.findings]
        lines.append("")
    lines += ["### Next steps", ""]
    lines += [f"{n}. {step}" for n, step in enumerate(_next_steps(report), start=1)]
    return "\n".join(lines)


def _table_row(report: LintReport, item: Finding) -> str:
    cells = (
        item.severity,
        item.rule,
        f"`{report.relative(item.path)}`",
        str(item.line),
        item.message,
        item.fix,
    )
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _next_steps(report: LintReport) -> list[str]:
    if report.status == "pass":
        return ["Nothing to do: every rule passes."]
    steps = []
    if report.errors:
        steps.append("Fix the errors; the Fix column says how. They fail this check.")
    if report.warnings:
        steps.append("Fix the warnings, or keep them with a stated reason.")
    steps.append(
        "Where a finding is intended, add `# devenv: ignore[RULE] reason` on its "
        "line or the line above; a suppression without a reason does not count."
    )
    steps.append("Run `devenv lint --all` to check again.")
    return steps


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
