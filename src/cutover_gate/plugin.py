"""The pytest11 entry point: options, markers, and the wiring of a gate run. Logic lives in the other modules."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from . import options
from .catalogue import ALL_PHASES, LINES, TRIGGERS
from .settings import SettingsError, resolve

RUN = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.addoption(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for phase in ALL_PHASES:
        config.addinivalue_line("markers", f"{phase}: cutover phase {phase}")
    for line in LINES:
        config.addinivalue_line("markers", f"{line.id}: checklist line - {line.title_en}")
    for row in TRIGGERS:
        config.addinivalue_line("markers", f"trigger_{row.id}: rollback matrix row - {row.title_en}")
    if not config.getini("cutover_gate"):
        return
    try:
        settings = resolve(config)
    except (SettingsError, ValueError) as exc:
        raise pytest.UsageError(f"cutover gate: {exc}") from None
    from .session import GateRun

    run = GateRun(config, settings)
    config.stash[RUN] = run
    run.register()


def main() -> int:  # pragma: no cover - convenience for `python -m cutover_gate.plugin`
    return pytest.main(sys.argv[1:])
