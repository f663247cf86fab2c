"""Engine and sessions (SQLAlchemy 2, psycopg 3), and the start-up seed."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from cutover_sandbox.core.config import Settings
from cutover_sandbox.core.security import hash_password
from cutover_sandbox.models import Admin, Tenant, utcnow


def sqlalchemy_url(dsn: str) -> str:
    """`postgresql://...` (libpq style, what the suite and pg_dump take) -> the psycopg 3 SQLAlchemy URL."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix):]
    raise ValueError("not a PostgreSQL DSN (expected postgresql://...)")


def make_engine(dsn: str) -> Engine:
    return create_engine(sqlalchemy_url(dsn), pool_size=10, max_overflow=10, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def init_db(session: Session, settings: Settings) -> Admin:
    """Seed the admin from `CUTOVER_ADMIN_EMAIL` / `CUTOVER_ADMIN_PASSWORD` (reset its password if present) and the
    tenants of `CUTOVER_TENANTS`; the seeded admin is returned."""
    admin = session.scalar(select(Admin).where(Admin.email == settings.admin_email.lower()))
    if admin is None:
        admin = Admin(email=settings.admin_email.lower(), password_hash=hash_password(settings.admin_password),
                      role="super_admin")
        session.add(admin)
    else:
        admin.password_hash = hash_password(settings.admin_password)
    for tenant in settings.tenants:
        session.execute(insert(Tenant).values(id=tenant, created_at=utcnow()).on_conflict_do_nothing())
    session.commit()
    return admin
