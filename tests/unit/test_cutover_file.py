"""The cutover file is validated when loaded: every problem at once, each with its key path; defaults otherwise."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cutover_gate.config.cutover_file import load_cutover
from cutover_gate.core.errors import UsageError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "cutover.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cutover.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fixture_loads_typed() -> None:
    cutover = load_cutover(FIXTURE)
    assert cutover.canary.max_amount == Decimal("10") and cutover.canary.poll_interval_s == 0.25
    assert cutover.owners["incident_commander"] == "Ayşe Yılmaz (IC)"
    assert cutover.backup.restore_procedure == "restore/restore-procedure.md"


def test_no_file_is_every_default() -> None:
    cutover = load_cutover(None)
    assert cutover.canary.deposit_amount == Decimal("10") and cutover.owners == {} and cutover.release.sha is None


def test_every_problem_is_listed_with_its_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, '[canary]\nmax_amount = "ten"\npoll_deadline_s = "soon"\nwithdraw_amount = -1\n'
                           '[backup]\nrestor_procedure = "x.md"\n[record.window_hours]\nt99 = 1\n[owners]\nic = 7\n'
                           '[surprise]\nkey = 1\n')
    with pytest.raises(UsageError) as info:
        load_cutover(path)
    message = str(info.value)
    for expected in ("canary.max_amount: not a decimal", "canary.poll_deadline_s: not a number",
                     "canary.withdraw_amount: input should be greater than 0", "backup.restor_procedure: unknown key",
                     "record.window_hours.t99: not a phase", "owners.ic: not a string", "surprise: unknown key"):
        assert expected in message, message
    assert str(path) in message


def test_unreadable_or_broken_toml_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read cutover file"):
        load_cutover(tmp_path / "absent.toml")
    with pytest.raises(UsageError, match="is not valid TOML"):
        load_cutover(write(tmp_path, "[canary\n"))


def test_the_migration_dry_run_command_is_split_like_a_shell_and_validated(tmp_path: Path) -> None:
    cutover = load_cutover(write(tmp_path, '[migrations]\ndry_run_command = "alembic -c \'deploy/alembic.ini\' '
                                           'upgrade head"\ndry_run_dsn_env = "APP_DB"\n'))
    assert cutover.migrations.dry_run_command == ["alembic", "-c", "deploy/alembic.ini", "upgrade", "head"]
    assert cutover.migrations.dry_run_dsn_env == "APP_DB" and cutover.migrations.dry_run_timeout_s == 900
    assert load_cutover(FIXTURE).migrations.dry_run_command == ["python", "-m", "cutover_sandbox", "migrate"]
    assert load_cutover(None).migrations.dry_run_command is None
    path = write(tmp_path, '[migrations]\ndry_run_command = "alembic \\"upgrade"\ndry_run_dsn_env = "DB-URL"\n'
                           'dry_run_timeout_s = 0\n')
    with pytest.raises(UsageError) as info:
        load_cutover(path)
    message = str(info.value)
    assert "migrations.dry_run_command: cannot split the command (no closing quotation)" in message
    assert "migrations.dry_run_dsn_env: not an environment variable name" in message
    assert "migrations.dry_run_timeout_s: input should be greater than 0" in message
    for bad, phrase in (('""', "an empty command"), ("[]", "empty"), ("7", "not a string or a list of strings")):
        with pytest.raises(UsageError, match=f"migrations.dry_run_command: {phrase}"):
            load_cutover(write(tmp_path, f"[migrations]\ndry_run_command = {bad}\n"))
