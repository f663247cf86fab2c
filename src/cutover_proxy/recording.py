"""What the proxy saw: one `Exchange` per request, kept in memory and optionally appended to a JSONL file.

Secrets never enter a recording: headers are recorded by name only (Authorization, signatures and cookies are
secrets), and in a JSON body or the query string every value under a secret-looking key (password, token, secret,
signature, hmac, api key, otp, code...) is masked.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

MASK = "***"
SECRET_KEY = re.compile(r"pass|secret|token|signature|hmac|api[-_]?key|authori[sz]ation|credential|cookie|otp"
                        r"|private|dsn|^code$|^pin$|^key$", re.IGNORECASE)
OUTCOMES = ("hang", "reset", "refused")
"""An exchange's outcome is the HTTP status answered, or one of these when no answer was written."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mask(obj: Any) -> Any:
    """`obj` with every value under a secret-looking key replaced by `***` (recursively)."""
    if isinstance(obj, list):
        return [mask(v) for v in obj]
    if isinstance(obj, dict):
        return {k: MASK if SECRET_KEY.search(str(k)) else mask(v) for k, v in obj.items()}
    return obj


def masked_target(target: str) -> str:
    """The path with its query, secret-looking query parameters masked."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(SECRET_KEY.search(k) for k, _ in pairs):
        return target
    return parts.path + "?" + urlencode([(k, MASK if SECRET_KEY.search(k) else v) for k, v in pairs])


def body_summary(body: bytes, content_type: str | None) -> Any:
    """The body as parsed JSON (masked) when it is JSON, else None (its length is recorded beside it)."""
    if not body:
        return None
    looks_json = "json" in (content_type or "").lower() or body.lstrip()[:1] in (b"{", b"[")
    if not looks_json:
        return None
    try:
        return mask(json.loads(body))
    except ValueError:
        return None


@dataclass(frozen=True)
class Exchange:
    """One request the proxy saw and what became of it."""

    seq: int
    at: str
    """UTC ISO-8601 time the request was read."""
    method: str
    path: str
    """With the query string (secret-looking parameters masked)."""
    headers: tuple[str, ...]
    """Header names only, never values."""
    body: Any
    """Parsed JSON with secret-looking values masked, or None when empty or not JSON."""
    body_length: int
    outcome: int | str
    """The HTTP status answered, or "hang", "reset" or "refused"."""
    delay_ms: float = 0.0
    rules: tuple[str, ...] = ()
    duration_ms: float = 0.0
    upstream: str | None = None
    """The base URL of the upstream the request was forwarded to (None when a rule answered or cut it first)."""

    @property
    def status(self) -> int | None:
        return self.outcome if isinstance(self.outcome, int) else None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["headers"], out["rules"] = list(self.headers), list(self.rules)
        return out


class Recorder:
    """The log, appended from every connection thread; `path` adds one JSON line per exchange, flushed at once."""

    def __init__(self, path: str | Path | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: list[Exchange] = []
        self._file: IO[str] | None = None
        self._seq = 0
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "a", encoding="utf-8")  # kept open for the proxy's life

    def next_seq(self) -> int:
        """The arrival number of a request (the log itself is in the order the requests were settled)."""
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, entry: Exchange) -> None:
        with self._lock:
            self._entries.append(entry)
            if self._file is not None:
                self._file.write(json.dumps(entry.to_json(), default=str) + "\n")
                self._file.flush()

    def entries(self) -> list[Exchange]:
        with self._lock:
            return list(self._entries)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
