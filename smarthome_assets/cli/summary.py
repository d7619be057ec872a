"""The table `smarthome run` ends with: rows per table, quarantined rows and why, time, where things are.

Each domain can add a section: a function (settings, resources) -> list of (label, value) rows.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import dagster as dg

from smarthome_assets.settings import Settings

Section = Callable[[Settings, dict[str, Any]], list[tuple[str, str]]]
SECTIONS: list[tuple[str, Section]] = []
#: Modules that register sections, in the order the summary shows them (the data's order through the pipeline).
SECTION_MODULES = (
    "smarthome_assets.cli.summary_sections",
    "smarthome_assets.warehouse.summary",
    "smarthome_assets.dashboard.summary",
)


def section(title: str) -> Callable[[Section], Section]:
    def register(fn: Section) -> Section:
        SECTIONS.append((title, fn))
        return fn

    return register


def _table(title: str, rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return []
    width = max(len(label) for label, _ in rows)
    return [f"  {title}"] + [f"    {label.ljust(width)}  {value}" for label, value in rows]


def render(
    settings: Settings,
    resources: dict[str, Any],
    result: dg.ExecuteInProcessResult,
    seconds: float,
    instance: dg.DagsterInstance,
) -> str:
    for module in SECTION_MODULES:
        importlib.import_module(module)  # each registers its sections once, on first import

    status = "succeeded" if result.success else "FAILED"
    lines = ["", f"smarthome run {status} in {seconds:.1f}s (run {result.run_id[:8]})"]
    failed_checks = [
        f"{e.asset_key.to_user_string()}:{e.check_name} ({e.severity.value})"
        for e in result.get_asset_check_evaluations()
        if not e.passed
    ]
    for title, fn in SECTIONS:
        try:
            rows = fn(settings, resources)
        except Exception as exc:  # a summary must not hide the run's own outcome
            rows = [("unavailable", f"{type(exc).__name__}: {exc}")]
        lines += _table(title, rows)
    if failed_checks:
        lines += _table("checks that did not pass", [(c, "") for c in failed_checks])
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.step_key:
                lines.append(f"  step {event.step_key} failed: {event.message}")
    lines.append(f"  Dagster run history: DAGSTER_HOME={settings.dagster_home}; browse it with `make dev`")
    return "\n".join(lines)
