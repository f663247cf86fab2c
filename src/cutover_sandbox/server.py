"""Start and stop the whole sandbox from Python: PostgreSQL, migrations, admin seed, mock PSP, uvicorn.

    with Sandbox(faults=["withdraw_5xx"]) as sb:
        requests.get(sb.url + "/api/health")

`faults=None` (the default) reads `CUTOVER_SANDBOX_FAULTS`; pass a list (even empty) to choose exactly.
`dialect=None` (the default) reads `CUTOVER_SANDBOX_DIALECT` (see `cutover_sandbox.dialects`); a fault the dialect
does not honour is refused (`faults.FaultNotOnDialect`). On the casino dialect `settings.adyen_hmac_key` is the hex
key in effect (`cutover_sandbox.api.casino.adyen`).
`dsn=` uses an existing, empty database instead of starting PostgreSQL. `dsn=` with `attach=True` is another replica
of a running sandbox: it serves the database its first replica migrated and seeded, and neither migrates nor seeds
it (only the admin, idempotently); the faults that change the database at start are the first replica's
(`DATABASE_FAULTS`, refused here).
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from types import TracebackType

import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cutover_sandbox import accounts, dialects, fault_seeds, migrate, payments, withdrawals
from cutover_sandbox import faults as fault_catalogue
from cutover_sandbox.api.alt.wire import AltWire
from cutover_sandbox.api.casino import adyen as casino_adyen
from cutover_sandbox.api.casino.wire import CasinoWire
from cutover_sandbox.app import create_app
from cutover_sandbox.core.config import Settings
from cutover_sandbox.core.context import AppContext
from cutover_sandbox.core.db import init_db, make_engine, make_sessionmaker
from cutover_sandbox.faults import Faults
from cutover_sandbox.models import Admin, Player, Wallet
from cutover_sandbox.pg import PgCluster
from cutover_sandbox.psp import ContractWire, MockPSP, Wire

log = logging.getLogger("cutover_sandbox.server")
HOST = "127.0.0.1"


class SandboxError(RuntimeError):
    """The sandbox could not start (port busy, server did not come up, ...); the message says why."""


DATABASE_FAULTS = ("migration_behind", "migration_failure", "dump_not_restorable", "payout_failure_spike",
                   "finance_jobs_stuck", "deposit_completed_unbooked")
"""Faults honoured by changing the database at start: an attached replica (`attach=True`) refuses them."""


def bind_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # the proto lets asyncio set NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        reason = "port busy" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise SandboxError(f"cannot listen on {HOST}:{port}: {reason}") from None
    sock.listen(128)
    sock.set_inheritable(False)
    return sock


class Sandbox:
    """The reference platform, running in this process (uvicorn in a background thread)."""

    def __init__(self, faults: Iterable[str] | None = None, port: int = 0, git_sha: str | None = None,
                 dsn: str | None = None, settings: Settings | None = None, dialect: str | None = None,
                 maintenance_flag: str | None = None, attach: bool = False) -> None:
        names = fault_catalogue.from_env() if faults is None else faults
        self.faults = Faults(names)  # raises UnknownFault before anything starts
        if attach and not dsn:
            raise SandboxError("a replica attaches to a database: give its DSN")
        owned = [name for name in self.faults.names if name in DATABASE_FAULTS]
        if attach and owned:
            raise SandboxError(f"fault(s) {', '.join(owned)} change the database at start: give them to the "
                               "replica that owns it, not to an attached one")
        self.attach = attach
        self.dialect = dialects.from_env() if dialect is None else dialects.parse(dialect)  # or UnknownDialect
        fault_catalogue.check_dialect(self.faults.names, self.dialect)  # or FaultNotOnDialect
        self.settings = settings or Settings()
        if self.dialect == dialects.CASINO:  # the casino platform's Adyen key is hex (see api/casino/adyen.py)
            self.settings = self.settings.model_copy(
                update={"adyen_hmac_key": casino_adyen.hmac_key(self.settings.adyen_hmac_key)})
        if git_sha:
            self.settings = self.settings.model_copy(update={"sandbox_git_sha": git_sha})
        if maintenance_flag:
            self.settings = self.settings.model_copy(update={"sandbox_maintenance_flag": maintenance_flag})
        self.port = port
        self._external_dsn = dsn
        self.cluster: PgCluster | None = None
        self.engine: Engine | None = None
        self.psp: MockPSP | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @property
    def git_sha(self) -> str:
        return self.settings.sandbox_git_sha

    @property
    def dsn(self) -> str:
        if self._external_dsn:
            return self._external_dsn
        if self.cluster is None:
            raise SandboxError("sandbox not started")
        return self.cluster.dsn

    @property
    def bindir(self) -> Path | None:
        """The PostgreSQL programs' directory (None when running on a database given by `dsn=`)."""
        return self.cluster.bindir if self.cluster else None

    def start(self) -> Sandbox:
        started = time.monotonic()
        sock = bind_socket(self.port)
        try:
            self.port = int(sock.getsockname()[1])
            self.url = f"http://{HOST}:{self.port}"
            if not self._external_dsn:
                self.cluster = PgCluster().start()
            self.engine = make_engine(self.dsn)
            if not self.attach:
                migrate.prepare(self.engine, self.faults)
            elif migrate.current(self.engine) is None:
                raise SandboxError("the database to attach to is not migrated (no alembic_version): start its first "
                                   "replica, or run `cutover-sandbox migrate`, before another")
            sessions = make_sessionmaker(self.engine)
            with sessions() as session:
                admin = init_db(session, self.settings)
            self.psp = self._psp(admin)
            ctx = AppContext(settings=self.settings, faults=self.faults, engine=self.engine, sessions=sessions,
                             psp=self.psp, dialect=self.dialect)
            if self.faults.active("payout_failure_spike"):  # FAULT: the last hour's payouts, mostly failed
                seed_payout_failure_spike(ctx)
            if self.faults.active("dump_not_restorable"):  # FAULT: customers, so that wallets hold rows to restore
                seed_customers(ctx)
            if self.faults.active("finance_jobs_stuck"):  # FAULT: a payout and a deposit stuck for a while
                fault_seeds.seed_finance_jobs_stuck(ctx)
            if self.faults.active("deposit_completed_unbooked"):  # FAULT: a completed deposit never booked
                fault_seeds.seed_deposit_completed_unbooked(ctx)
            config = uvicorn.Config(create_app(ctx), log_config=None, access_log=False, lifespan="off",
                                    timeout_graceful_shutdown=5)
            self._server = uvicorn.Server(config)
            self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                            name=f"sandbox-{self.port}", daemon=True)
            self._thread.start()
            self._wait_started()
            if self.faults.active("error_burst_before_round"):  # FAULT: a 5xx burst before anyone looks
                fault_seeds.error_burst(self.url, "/status/health" if self.dialect == dialects.ALT else "/api/health")
            self.psp.start(self.url)
        except BaseException:
            sock.close()
            self.stop()
            raise
        log.info("sandbox up at %s in %.2fs (dialect: %s, faults: %s)", self.url, time.monotonic() - started,
                 self.dialect, ", ".join(self.faults.names) or "none")
        return self

    def _psp(self, admin: Admin) -> MockPSP:
        """The mock PSP, delivering to this dialect's webhook routes. On alt, the payout webhook also wants an admin
        bearer: the platform provisions its PSP a service token, an admin token of the seeded admin."""
        wires: dict[str, Wire] = {dialects.ALT: AltWire(), dialects.CASINO: CasinoWire()}
        wire = wires.get(self.dialect, ContractWire())
        settings = self.settings
        return MockPSP(settings, self.faults, wire, service_token=lambda: accounts.admin_token(settings, admin))

    def _wait_started(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxError("the HTTP server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop uvicorn, the mock PSP and PostgreSQL. Safe to call more than once."""
        if self.psp is not None:
            self.psp.stop()
            self.psp = None
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._server = self._thread = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def seed_payout_failure_spike(ctx: AppContext, total: int = 10, failed: int = 8) -> None:
    """FAULT `payout_failure_spike` only: players who withdrew and were paid out through the PSP, which failed most
    payouts (the failures applied as the PSP's webhooks would), so the recent payout failure rate is observable."""
    tenant = ctx.settings.tenants[0] if ctx.dialect == dialects.ALT and ctx.settings.tenants else "default"
    with ctx.sessions() as session:
        for i in range(total):
            player = _seeded_player(session, ctx, tenant, "spike", i, f"+9055500{i:04d}")
            payments.create_deposit(session, ctx, player, Decimal("20"), "test", f"spike-deposit-{i}")
            tx, _ = withdrawals.request_withdrawal(session, ctx, player, Decimal("10"), "bank_transfer",
                                                   "SPIKE-IBAN", f"spike-withdraw-{i}")
            withdrawals.review(session, ctx.faults, tx.id, "approve")
            status: withdrawals.PayoutStatus = "failed" if i < failed else "paid"
            withdrawals.start_payout(session, tx.id, f"spike-payout-{i}", "mockpsp", status)
            withdrawals.apply_payout_result(session, ctx, tx.id, "mockpsp", f"spike-event-{i}", status, {"seed": True})
        session.commit()


def seed_customers(ctx: AppContext, count: int = 3) -> None:
    """FAULT `dump_not_restorable` only: a platform with customers (players with their wallets), as prod has."""
    with ctx.sessions() as session:
        for i in range(count):
            _seeded_player(session, ctx, "default", "customer", i, f"+9055510{i:04d}")
        session.commit()


def _seeded_player(session: Session, ctx: AppContext, tenant: str, kind: str, n: int, phone: str) -> Player:
    """A verified player with an empty wallet, who cannot log in (no password), for a fault's seeded data."""
    player = Player(tenant_id=tenant, email=f"{kind}-{n}@players.sandbox.invalid", username=f"{kind}{n}", phone=phone,
                    password_hash="!", email_verified=True, phone_verified=True, kyc_status="verified")
    session.add(player)
    session.flush()
    session.add(Wallet(player_id=player.id, currency=ctx.settings.currency))
    session.flush()
    return player
