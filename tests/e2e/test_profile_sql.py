"""`cutover-gate profile check FILE --dsn`: the profile's SQL prepared against a real database (the sandbox's),
read-only; a query that lacks the columns the gate reads is named with its key path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, Standalone, serve_sandbox


def profile_check(path: Path, dsn: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cutover_gate.cli", "profile", "check", str(path), "--dsn", dsn],
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_default_sql_answers_the_gates_columns_and_a_wrong_query_is_named(
        standalone_sandbox: Standalone, tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[profile]\nname = "good"\n', encoding="utf-8")
    run = profile_check(good, standalone_sandbox.dsn)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "SQL answers the gate's columns" in run.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text('[sql]\nwallet = "SELECT available_real, held_real FROM wallets WHERE player_id = %(player_id)s"\n'
                   '\n[invariants]\nno_negative_balance = "SELECT player_id FROM wallets WHERE available_real < 0"\n'
                   'movement_balanced = "SELECT ref FROM no_such_table"\n', encoding="utf-8")
    run = profile_check(bad, standalone_sandbox.dsn)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "sql.wallet: lacks the column(s) available, held" in run.stdout
    assert "invariants.no_negative_balance: lacks the column(s) ref" in run.stdout
    assert "invariants.movement_balanced: SQL failed" in run.stdout and "no_such_table" in run.stdout
    password = standalone_sandbox.dsn.split("@")[0].rpartition(":")[2]
    assert not password or password not in run.stdout + run.stderr


def test_an_unreachable_database_is_one_clear_problem(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("", encoding="utf-8")
    run = profile_check(good, "postgresql://gate:s3cret-pass-771@127.0.0.1:1/none")
    assert run.returncode == 1
    assert "database: cannot connect to the database at 127.0.0.1:1/none" in run.stdout, run.stdout
    assert "s3cret-pass-771" not in run.stdout + run.stderr


def test_the_alt_profiles_sql_answers_the_gates_columns_on_the_alt_dialect() -> None:
    with serve_sandbox(extra={"CUTOVER_SANDBOX_DIALECT": "alt"}) as box:
        run = profile_check(ROOT / "fixtures" / "profiles" / "alt.toml", box.dsn)
    assert run.returncode == 0, run.stdout + run.stderr
