"""The war room's channels (CUTOVER_COMMS_URLS, Apprise URLs) and posting to them with a hard bound.

A channel URL is a secret: its host, port, path, user, password and tokens are registered with the redactor when it
is read, and a report names a channel only by its scheme and a masked form (`json://…`, `slack://… #2` when a scheme
repeats). A post never raises and never takes longer than its deadline: Apprise's own socket timeouts are set to it,
and the post runs in a daemon thread joined with the same timeout. A channel whose earlier post is still hanging is
not posted to again until that post ends. Each channel has one worker thread that posts its messages in order, so
the run never waits on a chat service; only `Poster.close` waits, once, for at most the deadline.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cutover_gate.core.clock import iso, utcnow
from cutover_gate.core.redact import MASK, REDACTOR

ELLIPSIS = "…"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""Hosts registered with the redactor only with their port: masking them alone would blank every local URL."""
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_SPLIT = re.compile(r"[\s,]+(?=[A-Za-z][A-Za-z0-9+.\-]*://)|\s+")
NOTIFY_TYPES = {"info": "info", "success": "success", "warning": "warning", "failure": "failure"}

CAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("refused", re.compile(r"(?i)connection refused|errno 111|actively refused")),
    ("dns", re.compile(r"(?i)name or service not known|nodename nor servname|getaddrinfo|name resolution")),
    ("tls", re.compile(r"(?i)certificate_verify_failed|sslerror|ssl:")),
    ("timeout", re.compile(r"(?i)timed out|timeout")),
)
"""How a low-level error reads as a cause: the first pattern found in Apprise's log of the post wins."""
_HTTP = re.compile(r"(?i)error=(\d{3})")


def split_urls(value: str | None) -> list[str]:
    """CUTOVER_COMMS_URLS as Apprise reads it: URLs separated by commas and/or white space (a comma inside a URL's
    query string stays)."""
    return [u.strip(",") for u in _SPLIT.split((value or "").strip()) if u.strip(",")]


def scheme_of(url: str) -> str:
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else "?"


def labels(urls: Iterable[str]) -> list[str]:
    """Each URL's masked name: its scheme and an ellipsis, numbered when a scheme repeats. Nothing else of it."""
    schemes = [scheme_of(u) for u in urls]
    seen: dict[str, int] = {}
    out = []
    for scheme in schemes:
        seen[scheme] = seen.get(scheme, 0) + 1
        numbered = schemes.count(scheme) > 1
        out.append(f"{scheme}://{ELLIPSIS}" + (f" #{seen[scheme]}" if numbered else ""))
    return out


def _token_like(part: str) -> bool:
    return len(part) >= 12 or (len(part) >= 6 and any(ch.isdigit() for ch in part))


def secret_parts(url: str) -> list[str]:
    """What of `url` must never be shown on its own: the URL, its netloc, user, password, host with port (a host
    alone unless it is a loopback name), its path (unless short and generic), token-like path segments and query
    values; longest first."""
    parts = {url, url.split("://", 1)[-1]}
    try:
        split = urlsplit(url)
        hostname, _ = split.hostname, split.port  # .port raises ValueError on a bad port
    except ValueError:  # an unparseable URL: the whole value and what follows the scheme stay masked
        return sorted(parts, key=len, reverse=True)
    parts.update(p for p in (split.netloc, split.username, split.password, split.query) if p)
    if len(split.path) >= 8:  # a short generic path ("/api") alone names no channel, and masking it would blank routes
        parts.add(split.path)
    host_port = split.netloc.rsplit("@", 1)[-1]
    parts.add(host_port)
    if hostname and hostname not in LOOPBACK_HOSTS:
        parts.add(hostname)
    parts.update(seg for seg in split.path.split("/") if _token_like(seg))
    parts.update(value for _, value in parse_qsl(split.query) if len(value) >= 6)
    parts.discard("/")
    return sorted((p for p in parts if len(p) >= 4), key=len, reverse=True)


class Channel:
    """One Apprise URL. Its value is private: `repr` and `str` show the masked label only."""

    def __init__(self, url: str, label: str) -> None:
        self._url = url
        self.label = label
        self.scheme = scheme_of(url)
        self._parts = secret_parts(url)
        for part in self._parts:
            REDACTOR.register(part)
        self.hanging: threading.Thread | None = None
        self.hanging_since: str | None = None

    def scrub(self, text: str) -> str:
        """`text` without any part of this channel's URL (a loopback host too), then through the redactor."""
        for part in self._parts:
            text = text.replace(part, MASK)
        if (host := _host(self._url)) and host in LOOPBACK_HOSTS:
            text = text.replace(host, MASK)
        return REDACTOR.scrub(text)

    def __repr__(self) -> str:
        return f"Channel({self.label})"

    __str__ = __repr__


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def channels_from(value: str | None) -> list[Channel]:
    urls = split_urls(value)
    return [Channel(url, label) for url, label in zip(urls, labels(urls), strict=True)]


@dataclass
class Outcome:
    """A post's outcome: `sent`, or `failed` with a cause (refused, dns, tls, timeout, http, invalid, hanging,
    deadline, error) and a detail that names no part of the channel's URL."""

    status: str
    cause: str = ""
    detail: str = ""
    at: str = ""


class _PostLog(logging.Filter):
    """Apprise's log, kept only for the post of the thread that logs it (the cause of a failure) and dropped for every
    handler: pytest attaches its capture to non-propagating loggers too, and a log line may name the channel's host.
    urllib3's lines of a post's thread are dropped likewise."""

    def __init__(self, keep: bool) -> None:
        super().__init__()
        self.keep = keep
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        lines: list[str] | None = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append(f"{record.levelname} {record.getMessage()}")
        return self.keep and not threading.current_thread().name.startswith(POST_THREAD)


POST_THREAD = "cutover-comms"
APPRISE_LOG = _PostLog(keep=False)
_URLLIB3_LOG = _PostLog(keep=True)
URLLIB3_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.response")


def quiet_apprise() -> None:
    """Apprise logs to no handler (APPRISE_LOG), then it is imported once in the calling thread without its
    import-time deprecation warnings, its plugins loaded (nothing is sent)."""
    log = logging.getLogger("apprise")
    if APPRISE_LOG in log.filters:
        return
    log.addFilter(APPRISE_LOG)
    log.setLevel(logging.DEBUG)  # the low-level cause of a failure is a DEBUG line
    for name in URLLIB3_LOGGERS:  # a filter holds for the records of its own logger only, not its children's
        logging.getLogger(name).addFilter(_URLLIB3_LOG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import apprise

            apprise.Apprise().add("json://localhost")
        except Exception:  # no Apprise: each post fails, saying why, and the run goes on
            pass


def _notify(url: str, title: str, body: str, level: str, timeout_s: float) -> tuple[bool, list[str]]:
    """One Apprise post in the calling thread (no Apprise thread pool): (sent, what Apprise logged of it)."""
    import apprise

    logs: list[str] = []
    APPRISE_LOG.local.lines = logs
    try:
        try:  # no Apprise thread: this daemon thread is the post's hard bound
            asset = apprise.AppriseAsset(async_mode=False, service_timeout=0)
        except TypeError:  # an Apprise without a service timeout runs a single service in the calling thread anyway
            asset = apprise.AppriseAsset(async_mode=False)
        notifier = apprise.Apprise(asset=asset)
        if not notifier.add(url):
            raise _Invalid()
        for service in notifier:
            service.socket_connect_timeout = service.socket_read_timeout = timeout_s
        result = notifier.notify(body=body, title=title,
                                 notify_type=apprise.NotifyType(NOTIFY_TYPES.get(level, "info")))
        return bool(result), list(logs)
    finally:
        APPRISE_LOG.local.lines = None


class _Invalid(Exception):
    pass


def cause_of(logs: list[str]) -> tuple[str, str]:
    """(cause, detail) from Apprise's log of a failed post."""
    text = "\n".join(logs)
    if match := _HTTP.search(text):
        return "http", f"HTTP {match.group(1)}"
    for cause, pattern in CAUSES:
        if pattern.search(text):
            return cause, ""
    warnings = [line.split(" ", 1)[-1] for line in logs if line.startswith(("WARNING", "ERROR"))]
    return "error", (warnings[0] if warnings else "the service did not accept the message")[:200]


def deliver(channel: Channel, title: str, body: str, level: str, timeout_s: float,
            notify: Callable[[str, str, str, str, float], tuple[bool, list[str]]] = _notify) -> Outcome:
    """Post once to `channel`, bounded by `timeout_s`; never raises."""
    if channel.hanging is not None and channel.hanging.is_alive():
        return Outcome("failed", "hanging", channel.hanging_since or "", iso(utcnow()))
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = notify(channel._url, title, body, level, timeout_s)
        except _Invalid:
            box["invalid"] = True
        except Exception as exc:  # any error of Apprise or its plugin is this channel's failure, never the gate's
            box["error"] = f"{type(exc).__name__}: {exc}"

    started = iso(utcnow())
    worker = threading.Thread(target=work, name=f"{POST_THREAD} {channel.label}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    at = iso(utcnow())
    if worker.is_alive():
        channel.hanging, channel.hanging_since = worker, started
        return Outcome("failed", "timeout", f"{timeout_s:g}", at)
    if box.get("invalid"):
        return Outcome("failed", "invalid", "", at)
    if "error" in box:
        return Outcome("failed", "error", channel.scrub(str(box["error"]))[:200], at)
    sent, logs = box["result"]
    if sent:
        return Outcome("sent", at=at)
    cause, detail = cause_of(logs)
    return Outcome("failed", cause, channel.scrub(detail), at)


@dataclass
class Job:
    """One message for one channel: what to post and where its outcome goes."""

    title: str
    body: str
    level: str
    done: Callable[[Outcome], None]


class Poster:
    """One worker thread per channel posting its jobs in order. `close` waits for what is queued for at most the
    deadline; a job still waiting then is failed with cause `deadline` and never posted."""

    def __init__(self, channels: list[Channel], timeout_s: float,
                 notify: Callable[[str, str, str, str, float], tuple[bool, list[str]]] = _notify) -> None:
        self.channels = channels
        self.timeout_s = timeout_s
        self._notify = notify
        self._queues: dict[str, queue.Queue[Job | None]] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._closed = threading.Event()
        self._lock = threading.Lock()

    def submit(self, channel: Channel, job: Job) -> None:
        if self._closed.is_set():
            job.done(Outcome("failed", "deadline", f"{self.timeout_s:g}", iso(utcnow())))
            return
        with self._lock:
            if channel.label not in self._queues:
                quiet_apprise()
                self._queues[channel.label] = queue.Queue()
                thread = threading.Thread(target=self._work, args=(channel, self._queues[channel.label]),
                                          name=f"{POST_THREAD}-worker {channel.label}", daemon=True)
                self._threads[channel.label] = thread
                thread.start()
            self._queues[channel.label].put(job)

    def _work(self, channel: Channel, jobs: queue.Queue[Job | None]) -> None:
        while (job := jobs.get()) is not None:
            if self._closed.is_set():
                job.done(Outcome("failed", "deadline", f"{self.timeout_s:g}", iso(utcnow())))
                continue
            job.done(deliver(channel, job.title, job.body, job.level, self.timeout_s, self._notify))

    def close(self) -> float:
        """Wait for the queued posts, at most `timeout_s` in all; answers the seconds waited."""
        started = time.monotonic()
        with self._lock:
            for jobs in self._queues.values():
                jobs.put(None)
            threads = list(self._threads.values())
        deadline = started + self.timeout_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._closed.set()
        return time.monotonic() - started
