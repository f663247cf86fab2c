"""The restore drill's rules without a database: comparison, refusal, where a DSN points, the scratch-name guard, the
dry-run's environment, the maintenance probe and the runbook command's verdict."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cutover_gate.checks.dry_run import DryRunSpec, child_environment, program, run_dry_run
from cutover_gate.checks.maintenance import MaintenanceProbe, probe_of
from cutover_gate.checks.restore_drill import (
    NEVER_IN_PROD,
    NO_SERVER,
    DrillReport,
    TableState,
    compare,
    endpoint,
    refusal,
)
from cutover_gate.checks.scratch import RestoreServer, _scratch, url_of, with_dbname
from cutover_gate.config.target_profile import Profile, load_profile
from cutover_gate.core.reasons import Reason, texts
from cutover_gate.core.redact import REDACTOR
from cutover_gate.runbook_commands import COMMANDS, EXIT_CLEAN, EXIT_FINDINGS, EXIT_UNCHECKED, env_name_of, verdict

PASSWORD = "Rd8-drill-secret-pw-5521"
TARGET = f"postgresql://app:{PASSWORD}@db.staging.internal:5432/payments"


# -- comparison -------------------------------------------------------------------------------------------------
def state(alembic: tuple[str, ...] = ("0002",), **tables: int | str) -> TableState:
    return TableState({f"public.{k}": v for k, v in tables.items()}, alembic)


def test_an_identical_copy_has_no_difference() -> None:
    assert texts(compare(state(wallets=3, players=3), state(wallets=3, players=3))) == []


def test_every_kind_of_difference_is_one_sentence() -> None:
    source = state(("0002",), wallets=3, players=3, ledger=7, audit="permission denied for table audit")
    restored = state(("0001",), wallets=0, players=3, extra=1, audit=2)
    assert texts(compare(source, restored)) == [
        "public.audit: rows not counted in the source: permission denied for table audit",
        "public.extra: in the restored copy, not in the source",
        "public.ledger: missing from the restored copy (7 rows in the source)",
        "public.wallets: 3 rows in the source, 0 restored",
        "alembic version: 0002 in the source, 0001 restored",
    ]


def test_a_copy_that_cannot_be_counted_or_a_source_never_read_is_a_difference() -> None:
    assert texts(compare(state(t=1), state(t="relation does not exist"))) == [
        "public.t: rows not counted in the restored copy: relation does not exist"]
    assert texts(compare(None, state(t=1))) == [
        "the source was not read when the snapshot was taken: nothing to compare the restore with"]
    assert texts(compare(TableState(error="profile SQL 'user_tables': boom"), state(t=1))) == [
        "source: profile SQL 'user_tables': boom"]
    assert texts(compare(state(()), state(()))) == [
        "the source lists no table (profile SQL 'user_tables'): a drill of nothing proves nothing"]


def test_problems_name_pg_restore_errors_differences_and_a_scratch_left_behind() -> None:
    report = DrillReport("snap-1", "host=h port=5432 dbname=postgres user=u", scratch="cutover_drill_x",
                         restore_exit=1, restore_errors=['pg_restore: error: COPY failed for table "wallets"'],
                         differences=[Reason.verbatim("public.wallets: 3 rows in the source, 0 restored")],
                         dropped=False, drop_error="connection refused")
    assert texts(report.problems()) == [
        "pg_restore exited 1 (1 error(s)): pg_restore: error: COPY failed for table \"wallets\"",
        "public.wallets: 3 rows in the source, 0 restored",
        "scratch database cutover_drill_x was not dropped (connection refused): drop it by hand"]
    assert not report.restored_ok
    clean = DrillReport("snap-1", "h", scratch="cutover_drill_x", restore_exit=0, dropped=True)
    assert clean.restored_ok and clean.problems() == []


# -- refusal rules ----------------------------------------------------------------------------------------------
def test_prod_never_runs_the_drill_whatever_the_server() -> None:
    refused = refusal("prod", "postgresql://u:p@scratch.internal/postgres", TARGET)
    assert refused is not None and refused.message == NEVER_IN_PROD and not refused.fails
    assert refusal("staging", None, TARGET) == refusal("staging", "", TARGET)
    assert refusal("staging", None, TARGET).message == NO_SERVER  # type: ignore[union-attr]


@pytest.mark.parametrize("restore", [
    TARGET,
    f"host=db.staging.internal port=5432 dbname=payments user=other password={PASSWORD}",
    "postgresql://admin@DB.STAGING.INTERNAL/payments",  # the default port, host case
    "postgresql://admin@db.staging.internal:5433,db.staging.internal:5432/payments",  # one of several hosts
])
def test_the_targets_own_database_is_refused_as_a_fail_without_the_password(restore: str) -> None:
    refused = refusal("staging", restore, TARGET)
    assert refused is not None and refused.fails
    assert "target's own database" in refused.message and "database payments" in refused.message
    assert PASSWORD not in refused.message


def test_loopback_spellings_and_a_socket_are_one_host() -> None:
    target = "postgresql://app:pw@127.0.0.1:6543/sandbox"
    for restore in ("postgresql://app:pw@localhost:6543/sandbox", "host=/tmp/sock port=6543 dbname=sandbox user=x",
                    "postgresql://app:pw@[::1]:6543/sandbox"):
        refused = refusal("sandbox", restore, target)
        assert refused is not None and refused.fails, restore


@pytest.mark.parametrize("restore", [
    "postgresql://app:pw@db.staging.internal:5432/postgres",  # the same server, another database: a scratch there
    "postgresql://app:pw@db.staging.internal:5433/payments",  # another server on the same host
    "postgresql://app:pw@restore.internal:5432/payments",  # another host
])
def test_another_database_or_server_may_run(restore: str) -> None:
    assert refusal("staging", restore, TARGET) is None


def test_an_unparseable_restore_dsn_is_refused_without_echoing_it() -> None:
    refused = refusal("staging", f"postgresql://u:{PASSWORD}@h:notaport/x?bad=%zz", TARGET)
    assert refused is not None and refused.fails and PASSWORD not in refused.message


def test_endpoint_applies_libpq_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER"):
        monkeypatch.delenv(var, raising=False)
    assert endpoint("user=alice host=db") == (frozenset({("db", "5432")}), "alice")
    monkeypatch.setenv("PGDATABASE", "fromenv")
    monkeypatch.setenv("PGPORT", "6000")
    assert endpoint("host=db user=alice") == (frozenset({("db", "6000")}), "fromenv")


# -- the scratch database ---------------------------------------------------------------------------------------
def test_only_scratch_names_of_the_drill_pass_the_guard() -> None:
    name = RestoreServer.scratch_name()
    assert _scratch(name) == name and name.startswith("cutover_drill_")
    for other in ("payments", "postgres", "cutover_drill_", f"{name}; DROP DATABASE payments", name.upper()):
        with pytest.raises(ValueError, match="not a scratch database name"):
            _scratch(other)
    server = RestoreServer(TARGET)
    with pytest.raises(ValueError):
        server.drop("payments")  # before anything connects
    with pytest.raises(ValueError):
        server.url_for("payments")


def test_urls_for_the_dry_run_encode_the_password_and_keep_every_parameter() -> None:
    assert url_of({"user": "app", "password": "p@ss:w/rd", "host": "db", "port": "5432", "dbname": "cutover_drill_x",
                   "sslmode": "require"}) == "postgresql://app:p%40ss%3Aw%2Frd@db:5432/cutover_drill_x?sslmode=require"
    assert url_of({"user": "app", "host": "::1", "port": "6543", "dbname": "d"}) == "postgresql://app@[::1]:6543/d"
    assert url_of({"user": "app", "host": "/run/pg", "dbname": "d"}) == "postgresql://app@/d?host=%2Frun%2Fpg"
    assert "dbname=postgres" in with_dbname(TARGET, "postgres") and "payments" not in with_dbname(TARGET, "postgres")


def test_a_restore_server_registers_its_password_with_the_redactor() -> None:
    RestoreServer(f"host=h user=u password={PASSWORD}-solo dbname=postgres")
    assert REDACTOR.scrub(f"boom {PASSWORD}-solo") == "boom ***"


# -- the dry-run's environment and judgement --------------------------------------------------------------------
def test_the_migration_command_sees_the_scratch_url_and_nothing_of_the_target() -> None:
    base = {"PATH": "/bin", "DATABASE_URL": TARGET, "PGHOST": "db.staging.internal", "PGPASSWORD": PASSWORD,
            "CUTOVER_DB_DSN": TARGET, "CUTOVER_ADMIN_PASSWORD": "x", "HOME": "/root"}
    env = child_environment("DATABASE_URL", "postgresql://u@h/cutover_drill_x", ["CUTOVER_DB_DSN",
                                                                                 "CUTOVER_ADMIN_PASSWORD"], base)
    assert env == {"PATH": "/bin", "HOME": "/root", "DATABASE_URL": "postgresql://u@h/cutover_drill_x"}
    other = child_environment("APP_DB", "postgresql://u@h/cutover_drill_x", [], base)
    assert "DATABASE_URL" not in other and other["APP_DB"].endswith("cutover_drill_x")


def test_programs_are_found_beside_the_gates_python_first(tmp_path: Path) -> None:
    assert program("python") == str(Path(sys.executable).parent / "python")
    assert program("./migrate.sh") == "./migrate.sh"
    assert program("no-such-program-anywhere") == "no-such-program-anywhere"


def spec(*command: str, head: str | None = None, timeout: float = 60) -> DryRunSpec:
    return DryRunSpec(command, None, "DATABASE_URL", timeout, head)


def test_the_dry_run_judges_exit_code_version_and_head() -> None:
    url = f"postgresql://u:{PASSWORD}-url@h/cutover_drill_x"
    ok = run_dry_run(spec(sys.executable, "-c", "print('up')"), url, before=("0001",), read_version=lambda: ("0002",))
    assert ok.ok and ok.message.startswith("migrations ran on the restored copy from 0001 to 0002")
    failed = run_dry_run(spec(sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"), url, before=(),
                         read_version=lambda: ("0002",))
    assert not failed.ok and failed.exit_code == 3 and failed.message == "the migration command exited 3: boom"
    wrong = run_dry_run(spec(sys.executable, "-c", "pass", head="0003"), url, before=("0001",),
                        read_version=lambda: ("0002",))
    assert not wrong.ok and "not the release's head 0003" in wrong.message
    empty = run_dry_run(spec(sys.executable, "-c", "pass"), url, before=(), read_version=lambda: ())
    assert not empty.ok and "no alembic version" in empty.message

    def unreadable() -> tuple[str, ...]:
        raise RuntimeError("cannot read the scratch database")

    assert "cannot be read" in run_dry_run(spec(sys.executable, "-c", "pass"), url, before=(),
                                           read_version=unreadable).message
    missing = run_dry_run(spec("no-such-migration-tool"), url, before=(), read_version=lambda: ("0002",))
    assert not missing.ok and "cannot start" in missing.message


def test_the_dry_run_output_never_shows_the_scratch_url() -> None:
    url = f"postgresql://u:{PASSWORD}-out@h/cutover_drill_x"
    result = run_dry_run(spec(sys.executable, "-c", "import os; print(os.environ['DATABASE_URL'])"), url,
                         before=(), read_version=lambda: ("0002",))
    assert result.ok and PASSWORD not in result.output and PASSWORD not in json.dumps(result.evidence(spec("x")))


def test_a_hung_migration_is_stopped_and_fails() -> None:
    result = run_dry_run(spec(sys.executable, "-c", "import time; time.sleep(60)", timeout=0.5), "postgresql://h/d",
                         before=(), read_version=lambda: ("0002",))
    assert not result.ok and result.exit_code is None and "did not finish within 0.5 s (stopped)" in result.message


# -- the maintenance probe --------------------------------------------------------------------------------------
PROBE = MaintenanceProbe("/api/v1/player/wallet/balance", 503, "MAINTENANCE")


def test_the_maintenance_page_is_its_status_and_marker() -> None:
    page = '{"error_code":"MAINTENANCE"}'
    assert PROBE.is_page(503, page) and PROBE.page_problem(503, page) is None
    assert PROBE.open_problem(503, page) is not None
    assert "without the maintenance marker" in text_of(PROBE.page_problem(503, '{"error_code":"DB_DOWN"}'))
    assert "ingress is not blocked" in text_of(PROBE.page_problem(401, "{}"))
    assert PROBE.open_problem(401, "{}") is None and PROBE.open_problem(200, "{}") is None
    assert "answered 404: not a route of this platform" in text_of(PROBE.open_problem(404, "{}"))
    assert "does not serve" in text_of(PROBE.open_problem(503, '{"error_code":"DB_DOWN"}'))
    assert MaintenanceProbe("/", 503, "").is_page(503, "anything")


def text_of(reason: Reason | None) -> str:
    assert reason is not None
    return reason.text()


def test_the_profile_names_the_probe_or_turns_it_off() -> None:
    assert probe_of(load_profile(None)) == PROBE
    off = Profile("off", {**load_profile(None).data, "maintenance": {"call": ""}})
    assert probe_of(off) is None


# -- the runbook command ----------------------------------------------------------------------------------------
def decision(**results: str) -> dict[str, object]:
    return {"checklist": [{"id": k, "result": v, "message": "m" if v != "PASS" else ""} for k, v in results.items()]}


def test_the_drill_command_answers_for_snapshot_and_drill_and_reports_the_dry_run() -> None:
    drill = COMMANDS["db_restore_drill"]
    code, lines = verdict(drill, 0, decision(t30_snapshot_taken="PASS", t30_restore_drill="PASS",
                                             t30_migration_dry_run="NOT_RUN"))
    assert code == EXIT_CLEAN and any("t30_migration_dry_run" in line for line in lines)
    assert verdict(drill, 1, decision(t30_snapshot_taken="PASS", t30_restore_drill="PASS",
                                      t30_migration_dry_run="FAIL"))[0] == EXIT_FINDINGS
    assert verdict(drill, 0, decision(t30_snapshot_taken="PASS", t30_restore_drill="NOT_RUN"))[0] == EXIT_UNCHECKED
    assert verdict(drill, 1, decision(t30_snapshot_taken="FAIL", t30_restore_drill="NOT_RUN"))[0] == EXIT_FINDINGS


def test_go_live_smoke_answers_for_the_mandatory_t15_lines_only() -> None:
    assert "t15_maintenance_page" not in COMMANDS["go_live_smoke"].lines
    assert "t15_payouts_router" in COMMANDS["go_live_smoke"].lines


@pytest.mark.parametrize(("args", "environ", "env"), [
    ([], {}, "sandbox"),
    (["--target-url=http://127.0.0.1:1"], {}, "prod"),
    ([], {"CUTOVER_TARGET_URL": "http://127.0.0.1:1"}, "prod"),
    (["--target-url=http://127.0.0.1:1", "--env-name=staging"], {}, "staging"),
    (["--env-name", "prod"], {}, "prod"),
])
def test_the_commands_read_the_environment_as_the_gate_does(args: list[str], environ: dict[str, str],
                                                            env: str) -> None:
    assert env_name_of(args, environ) == env


def test_the_restore_dsn_is_a_secret_and_its_password_is_masked_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from cutover_gate.config.settings import resolve

    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("CUTOVER_RESTORE_DSN", "host=restore.internal dbname=postgres user=drill password=Kv-5-solo-pw")
    option = SimpleNamespace(target_url="http://127.0.0.1:9", cutover_file=str(root / "fixtures" / "cutover.toml"),
                             release_sha=None, decider=None, reports_dir=None, env_name="staging", lang="en",
                             profile=None, plan=True)
    settings = resolve(option, root)
    secret = settings.secret("restore_dsn")
    assert secret is not None and "Kv-5-solo-pw" not in repr(secret)
    assert REDACTOR.scrub("FATAL: password Kv-5-solo-pw refused") == "FATAL: password *** refused"


def test_only_with_names_the_tag_of_each_lines_scenarios_in_both_languages() -> None:
    """The catalogue's `only_with` and the feature files agree: a scenario of such a line carries its tag (its own or
    its feature's), and no other scenario carries one of those tags."""
    import re

    from cutover_gate.core.catalogue import LINES_BY_ID, SELECTED_ONLY_TAGS

    root = Path(__file__).resolve().parents[2] / "features"
    for lang in ("en", "tr"):
        seen: dict[str, set[str | None]] = {}
        for feature in sorted((root / lang).glob("*.feature")):
            feature_tags: set[str] = set()
            pending: set[str] = set()
            for line in feature.read_text(encoding="utf-8").splitlines():
                text = line.strip()
                if text.startswith("@"):
                    pending |= set(re.findall(r"@(\w+)", text))
                elif re.match(r"(Feature|Özellik):", text):
                    feature_tags, pending = pending, set()
                elif re.match(r"(Scenario|Senaryo|Scenario Outline|Senaryo taslağı):", text):
                    tags = feature_tags | pending
                    gate_tags = tags & SELECTED_ONLY_TAGS.keys()
                    for lid in tags & LINES_BY_ID.keys():
                        seen.setdefault(lid, set()).add(next(iter(gate_tags), None))
                    pending = set()
        for lid, tags in seen.items():
            assert tags == {LINES_BY_ID[lid].only_with}, (lang, lid, tags)
        assert {lid for lid, line in LINES_BY_ID.items() if line.only_with} <= seen.keys()
