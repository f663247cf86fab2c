"""A loopback reverse proxy that presents the sandbox as a *different* platform.

Other paths, other JSON field names, other state names, other error codes: the sandbox behind it keeps the CONTRACT §1
shapes, the proxy translates both ways (request paths, query strings and JSON bodies going in; JSON answers coming
out). Webhook bodies are the PSP's format and are forwarded byte for byte (their signatures cover the raw body); only
their paths move. Headers (Authorization, Idempotency-Key, X-Webhook-*, Stripe-Signature, Origin,
Access-Control-*) pass through both ways.

The gate must reach GO through it with `fixtures/profiles/renamed-platform.toml` alone: that is CONTRACT §2's
"driven by a profile file alone, with no code change" made into a test.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

# -- the renaming table ---------------------------------------------------------------------------------------------
# (route name, the renamed platform's path, the sandbox's path): first match wins; `{name}` groups carry over.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("health", "/healthz", "/api/health"),
    ("readiness", "/readyz", "/api/readiness"),
    ("version", "/v2/meta/build", "/api/version"),
    ("metrics", "/ops/metrics", "/metrics"),
    ("admin_login", "/v2/admin/session", "/api/v1/auth/login"),
    ("admin_me", "/v2/admin/whoami", "/api/v1/auth/me"),
    ("player_register", "/v2/customers/register", "/api/v1/auth/player/register"),
    ("player_login", "/v2/customers/session", "/api/v1/auth/player/login"),
    ("kyc_review", "/v2/customers/{player_id}/kyc/decision", "/api/v1/kyc/documents/{player_id}/review"),
    ("admin_player_wallet", "/v2/admin/customers/{player_id}/wallet", "/api/v1/admin/players/{player_id}/wallet"),
    ("wallet_balance", "/v2/me/wallet", "/api/v1/player/wallet/balance"),
    ("wallet_transactions", "/v2/me/wallet/transactions", "/api/v1/player/wallet/transactions"),
    ("deposit", "/v2/me/deposits", "/api/v1/player/wallet/deposit"),
    ("withdraw", "/v2/me/withdrawals", "/api/v1/player/wallet/withdraw"),
    ("withdrawal_review", "/v2/finance/withdrawals/{tx_id}/decision", "/api/v1/finance/withdrawals/{tx_id}/review"),
    ("withdrawal_mark_paid", "/v2/finance/withdrawals/{tx_id}/settle",
     "/api/v1/finance/withdrawals/{tx_id}/mark-paid"),
    ("payout_status", "/v2/payouts/status/{tx_id}", "/api/v1/payouts/status/{tx_id}"),
    ("webhook_payout", "/hooks/payouts", "/api/v1/finance/withdrawals/payout/webhook"),
    ("webhook_adyen", "/hooks/adyen", "/api/v1/payments/adyen/webhook"),
    ("webhook_stripe", "/hooks/stripe", "/api/v1/payments/webhook/stripe"),
    # everything else under /v2 is the sandbox's /api/v1 (dashboard, verify, payouts/initiate, withdrawals, payout...)
    ("v2", "/v2/{rest:.+}", "/api/v1/{rest}"),
)
"""Anything else (notably the contract's own `/api/...` paths) answers 404: this platform has no such route."""

ANSWER_KEYS: dict[str, str] = {
    "access_token": "token",
    "available_real": "available",
    "held_real": "on_hold",
    "total_real": "total",
    "git_sha": "commit",
    "items": "data",
    "state": "status",
    "transaction": "payment",
    "wallet": "balances",
    "user": "account",
    "id": "uid",
    "tx_id": "ref",
    "player_id": "customer_id",
    "tenant_id": "tenant",
    "username": "nickname",
    "phone": "mobile",
    "method": "channel",
    "address": "destination",
    "error_code": "code",
    "debug_code": "otp_hint",
    "detail": "description",
}
"""Sandbox key -> platform key, in every JSON answer (recursively)."""

REQUEST_KEYS: dict[str, str] = {
    "tenant": "tenant_id",
    "nickname": "username",
    "mobile": "phone",
    "otp": "code",
    "channel": "method",
    "destination": "address",
    "note": "reason",
    "decision": "action",
}
"""Platform key -> sandbox key, in JSON request bodies (webhooks excluded)."""

REQUEST_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "withdrawal_review": {"action": {"APPROVE": "approve", "REJECT": "reject"}},
    "kyc_review": {"status": {"VERIFIED": "approved", "REJECTED": "rejected"}},
}
"""Per route, sandbox key -> {platform value -> sandbox value} in request bodies (after the key renaming)."""

QUERY_KEYS: dict[str, str] = {"status": "state", "customer_id": "player_id"}
"""Platform query parameter -> sandbox query parameter (e.g. `GET /v2/finance/withdrawals?status=PENDING_REVIEW`)."""

STATES: dict[str, dict[str, str]] = {
    "withdrawal": {"requested": "PENDING_REVIEW", "approved": "APPROVED", "payout_pending": "PAYOUT_PENDING",
                   "paid": "SETTLED", "payout_failed": "PAYOUT_FAILED", "rejected": "REJECTED",
                   "canceled": "CANCELED"},
    "deposit": {"created": "CREATED", "pending_provider": "AWAITING_PSP", "completed": "SUCCEEDED",
                "failed": "FAILED", "canceled": "CANCELED", "rejected": "REJECTED"},
}
"""Transaction type -> sandbox state -> platform state."""

HEALTH = {"healthy": "UP"}
READINESS = {"ready": "UP", "not_ready": "DOWN"}
MIGRATIONS = {"ok": "in_sync", "behind": "pending", "failed": "broken"}

ERROR_CODES: dict[str, str] = {
    "IDEMPOTENCY_KEY_REUSE_CONFLICT": "IDEMPOTENCY_CONFLICT",
    "IDEMPOTENCY_KEY_REQUIRED": "IDEMPOTENCY_KEY_MISSING",
    "ILLEGAL_TRANSACTION_STATE_TRANSITION": "INVALID_STATE_TRANSITION",
    "KYC_REQUIRED_FOR_WITHDRAWAL": "KYC_NOT_VERIFIED",
    "INVALID_CREDENTIALS": "BAD_CREDENTIALS",
    "INSUFFICIENT_FUNDS": "NOT_ENOUGH_BALANCE",
}
"""Sandbox `error_code` value -> platform `code` value."""

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "trailers", "transfer-encoding", "upgrade", "content-length", "host", "server", "date"})


# -- translation ----------------------------------------------------------------------------------------------------
def _compile(template: str) -> re.Pattern[str]:
    """`/v2/{rest:.+}/x/{id}` -> a full-match regex with named groups (default group pattern: one path segment)."""
    out, pos = "", 0
    for m in re.finditer(r"\{(\w+)(?::([^}]+))?\}", template):
        out += re.escape(template[pos:m.start()]) + f"(?P<{m.group(1)}>{m.group(2) or '[^/]+'})"
        pos = m.end()
    return re.compile(out + re.escape(template[pos:]))


_ROUTES = tuple((name, _compile(platform), sandbox) for name, platform, sandbox in ROUTES)


def route(path: str) -> tuple[str, str] | None:
    """The platform's path -> (route name, the sandbox's path); None when this platform has no such route."""
    for name, pattern, sandbox in _ROUTES:
        m = pattern.fullmatch(path)
        if m:
            return name, sandbox.format(**m.groupdict())
    return None


def rename_keys(obj: Any, keys: Mapping[str, str]) -> Any:
    if isinstance(obj, list):
        return [rename_keys(v, keys) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for key, value in obj.items():
        new = keys.get(key, key)
        if new in out and out[new] != value:
            raise ValueError(f"renaming '{key}' to '{new}' collides with another key")
        out[new] = rename_keys(value, keys)
    return out


def _platform_values(obj: Any) -> Any:
    """Transaction states and error codes as this platform names them (on the sandbox's key names)."""
    if isinstance(obj, list):
        return [_platform_values(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _platform_values(v) for k, v in obj.items()}
    states = STATES.get(str(out.get("type")))
    if states is not None and isinstance(out.get("state"), str):
        out["state"] = states.get(out["state"], out["state"].upper())
    if isinstance(out.get("error_code"), str):
        out["error_code"] = ERROR_CODES.get(out["error_code"], out["error_code"])
    return out


def _health(body: dict[str, Any]) -> dict[str, Any]:
    status = str(body.get("status"))
    return {**body, "status": HEALTH.get(status, status.upper())}


def _readiness(body: dict[str, Any]) -> dict[str, Any]:
    deps, alembic = dict(body.get("dependencies") or {}), dict(body.get("alembic") or {})
    migrations = str(deps.get("migrations"))
    status = str(body.get("status"))
    return {"status": READINESS.get(status, status.upper()),
            "checks": {"database": deps.get("database"), "schema": MIGRATIONS.get(migrations, migrations)},
            "schema_version": {"current": alembic.get("db"), "target": alembic.get("head")}}


def _payout_status(body: dict[str, Any]) -> dict[str, Any]:
    """`{"_id", "status", ...tx}` -> `{"withdrawal": {...tx}}`: the state moves to `withdrawal.status`."""
    return {"withdrawal": {k: v for k, v in body.items() if k not in ("_id", "status")}}


ANSWER_SHAPES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "health": _health, "readiness": _readiness, "payout_status": _payout_status}


def translate_answer(name: str, body: Any) -> Any:
    shape = ANSWER_SHAPES.get(name)
    if shape is not None and isinstance(body, dict):
        body = shape(body)
    return rename_keys(_platform_values(body), ANSWER_KEYS)


def translate_request(name: str, body: Any) -> Any:
    body = rename_keys(body, REQUEST_KEYS)
    if isinstance(body, dict):
        for key, values in REQUEST_VALUES.get(name, {}).items():
            if isinstance(body.get(key), str):
                body[key] = values.get(body[key], body[key])
    return body


_SANDBOX_STATE = {platform: sandbox for states in STATES.values() for sandbox, platform in states.items()}


def translate_query(query: str) -> str:
    pairs = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        new = QUERY_KEYS.get(key, key)
        pairs.append((new, _SANDBOX_STATE.get(value, value) if new == "state" else value))
    return urlencode(pairs)


def _is_json(content_type: str | None) -> bool:
    return bool(content_type) and "json" in str(content_type).lower()


# -- the server -----------------------------------------------------------------------------------------------------
class QuietHandler(BaseHTTPRequestHandler):
    """An HTTP/1.1 handler that logs nothing and answers a status, headers and a sized body (none to a HEAD)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Handler(QuietHandler):
    server: _Server

    def _proxy(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        found = route(parts.path)
        if found is None:
            body = json.dumps({"description": f"no route {parts.path}"}).encode()
            self._answer(404, body, [("Content-Type", "application/json")])
            return
        name, upstream_path = found
        webhook = name.startswith("webhook_")
        if raw and not webhook and _is_json(self.headers.get("Content-Type")):
            try:
                raw = json.dumps(translate_request(name, json.loads(raw))).encode()
            except ValueError:
                pass  # not JSON after all: forwarded as it came, the platform refuses it
        if parts.query:
            upstream_path += "?" + translate_query(parts.query)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if raw or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(raw))
        conn = http.client.HTTPConnection(self.server.upstream_host, self.server.upstream_port, timeout=60)
        try:
            conn.request(self.command, upstream_path, body=raw or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            answer_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            status = resp.status
        finally:
            conn.close()
        if payload and _is_json(resp.getheader("Content-Type")):
            try:
                payload = json.dumps(translate_answer(name, json.loads(payload))).encode()
            except ValueError:
                pass
        self._answer(status, payload, answer_headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _proxy


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    upstream_host: str
    upstream_port: int


@dataclass
class RenamingProxy:
    """`with RenamingProxy(sandbox_url) as proxy: proxy.url`: the sandbox, as the renamed platform, on loopback."""

    upstream: str
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "proxy not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RenamingProxy:
        up = urlsplit(self.upstream)
        if up.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the renaming proxy fronts a loopback sandbox only, not {self.upstream}")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.upstream_host, server.upstream_port = up.hostname, up.port or 80
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="renaming-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> RenamingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
