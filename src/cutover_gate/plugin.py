"""The pytest11 entry point: options, markers, and the wiring of a gate run. Logic lives in the other modules."""

from __future__ import annotations

import sys
from pathlib import Path
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
    _check_rootdir(config)
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


def _check_rootdir(config: pytest.Config) -> None:
    """pytest fixes its rootdir before plugin options are known: `--reports-dir DIR` (two words) with an existing DIR
    makes DIR the rootdir, and the gate would run without its configuration. Say so instead of running wrongly."""
    root = Path(config.rootpath).resolve()
    for name, flag in (("reports_dir", "--reports-dir"), ("cutover_file", "--cutover-file"), ("profile", "--profile")):
        value = getattr(config.option, name, None)
        if value and root in (Path(value).resolve(), Path(value).resolve().parent) and config.inipath is None:
            raise pytest.UsageError(f"cutover gate: pytest took {value} for the rootdir; write {flag}={value} "
                                    "(with '=') or run from the project directory with --rootdir=.")


def main() -> int:  # pragma: no cover - convenience for `python -m cutover_gate.plugin`
    return pytest.main(sys.argv[1:])
