"""Alembic, driven from code: upgrade, stamp, and where the database stands against the scripts' head.

The scripts ship inside the package (`cutover_sandbox/migrations`), so this works from a non-editable install.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from cutover_sandbox.faults import Faults

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UNKNOWN_REVISION = "ffffdeadbeef"
"""What the `migration_failure` fault leaves in alembic_version: a revision no script knows."""

MigrationState = Literal["ok", "behind", "failed"]


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@lru_cache(maxsize=1)
def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    rev = script().get_current_head()
    assert rev is not None, "no migration scripts"
    return rev


def previous(revision: str) -> str:
    """The revision just before `revision` (it must have one)."""
    down = script().get_revision(revision).down_revision
    if not isinstance(down, str):
        raise ValueError(f"{revision} has no single previous revision")
    return down


def known_revisions() -> set[str]:
    return {rev.revision for rev in script().walk_revisions()}


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, lambda cfg: command.upgrade(cfg, revision))


def stamp(engine: Engine, revision: str) -> None:
    _run(engine, lambda cfg: command.stamp(cfg, revision))


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except SQLAlchemyError:
            return None


UNRESTORABLE_CHECK = (
    # the function names `players` without a schema: resolved through search_path, which pg_restore empties
    """CREATE FUNCTION player_exists(candidate uuid) RETURNS boolean LANGUAGE sql STABLE
       AS $$ SELECT EXISTS (SELECT 1 FROM players WHERE id = candidate) $$""",
    "ALTER TABLE wallets ADD CONSTRAINT wallets_player_exists CHECK (player_exists(player_id))",
)
"""What the `dump_not_restorable` fault adds: a schema change every live query lives with, and a classic reason a
pg_dump archive does not restore (PostgreSQL's documentation: a CHECK condition is assumed to depend on its row
only)."""


def prepare(engine: Engine, faults: Faults) -> None:
    """Migrate to head, then apply the migration faults (if any)."""
    upgrade(engine)
    if faults.active("dump_not_restorable"):  # FAULT: a CHECK whose function a restore cannot resolve
        with engine.begin() as conn:
            for statement in UNRESTORABLE_CHECK:
                conn.execute(text(statement))
    if faults.active("migration_behind"):  # FAULT: one revision behind head
        stamp(engine, previous(head()))
    if faults.active("migration_failure"):  # FAULT: a revision no script knows
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :rev"), {"rev": UNKNOWN_REVISION})


@dataclass(frozen=True)
class MigrationStatus:
    db: str | None
    head: str

    @property
    def state(self) -> MigrationState:
        if self.db == self.head:
            return "ok"
        if self.db is not None and self.db in known_revisions():
            return "behind"
        return "failed"


def status(engine: Engine) -> MigrationStatus:
    return MigrationStatus(db=current(engine), head=head())


def _run(engine: Engine, action: Callable[[Config], None]) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        action(cfg)
