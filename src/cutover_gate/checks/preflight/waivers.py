"""The prod-env waiver register (`artifacts/prod_env_waiver_register.md`).

A markdown table with the columns Secret/Config | Risk Level | Owner | Deadline | Mitigation (the Turkish headers
Risk Seviyesi | Sorumlu | Son Tarih | Azaltım are accepted too), plus a ticket id: either a `Ticket` column or an id
such as `OPS-123`, `SEC-42` or `#123` in the Mitigation cell. Other tables and prose in the file are ignored.

Rules (fail-closed: a malformed register raises `WaiverRegisterError` naming the file and the line):
- a deadline is an ISO date `YYYY-MM-DD` or the Turkish style `DD.MM.YYYY`; anything else (`T+24h`, `-`) is an error;
- a row without a ticket id is not a valid waiver and is an error;
- a waiver is valid through its deadline day inclusive;
- the Secret/Config cell names the key(s) it covers (`JWT_SECRET`, `` `ADYEN_API_KEY` (test) ``); a waiver covers a
  finding whose subject is one of those keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from markdown_it import MarkdownIt


class WaiverRegisterError(ValueError):
    """The register cannot be read or a row is malformed; the message names the file and the line."""


@dataclass(frozen=True)
class Waiver:
    subject: str
    risk: str
    owner: str
    deadline: date
    mitigation: str
    ticket: str
    line: int = 0
    """Line number in the register (1-based), for traceability."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The configuration keys the Secret/Config cell names (upper-case identifiers such as `JWT_SECRET`)."""
        found = tuple(dict.fromkeys(_KEY.findall(self.subject)))
        return found or (self.subject.strip().upper(),)

    def covers(self, subject: str) -> bool:
        return subject.strip().upper() in self.keys

    def valid_on(self, today: date) -> bool:
        return today <= self.deadline


_KEY = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]{1,}(?![A-Za-z0-9_])")
_TICKET = re.compile(r"(?<![A-Za-z0-9_-])(?:[A-Z][A-Z0-9]{1,9}-\d+|#\d+)(?![A-Za-z0-9_])")
_NOT_TICKETS = frozenset({"SHA", "AES", "RSA", "TLS", "ISO", "UTF", "RFC", "HMAC", "PCI", "CVE"})
"""Prefixes of ids that look like tickets but name standards (SHA-256, ISO-8601, UTF-8)."""

_COLUMNS: dict[str, tuple[str, ...]] = {
    "subject": ("secret/config", "secret / config", "config", "secret", "key"),
    "risk": ("risk level", "risk", "risk seviyesi"),
    "owner": ("owner", "sorumlu", "sahip"),
    "deadline": ("deadline", "son tarih", "due date"),
    "mitigation": ("mitigation", "azaltım", "önlem"),
    "ticket": ("ticket", "ticket id", "bilet", "issue"),
}
_REQUIRED = ("subject", "risk", "owner", "deadline", "mitigation")
_MARKDOWN = MarkdownIt("commonmark").enable("table")


def load_waivers(path: Path) -> list[Waiver]:
    """Every waiver in the register at `path`; a header-only register answers an empty list."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WaiverRegisterError(f"waiver register {path} cannot be read ({type(exc).__name__})") from None
    return parse_waivers(text, source=str(path))


def parse_waivers(text: str, *, source: str = "<register>") -> list[Waiver]:
    """The waiver rows of every table whose header names the register's columns (markdown-it's GFM tables)."""
    lines = text.splitlines()
    waivers: list[Waiver] = []
    found_table = False
    for header, rows in _tables(text):
        columns = _header(header)
        if columns is None:
            continue
        found_table = True
        for number, cells in rows:
            waiver = _row(cells, lines[number - 1], number, columns, source)
            if waiver is not None:
                waivers.append(waiver)
    if not found_table:
        raise WaiverRegisterError(
            f"{source}: no waiver table found (expected the columns Secret/Config | Risk Level | Owner | Deadline | "
            "Mitigation)"
        )
    return waivers


def _tables(text: str) -> list[tuple[list[str], list[tuple[int, list[str]]]]]:
    """Each table as (header cells, [(1-based line number, cells)]), cell text as written (escaped pipes undone)."""
    tables: list[tuple[list[str], list[tuple[int, list[str]]]]] = []
    row: list[str] | None = None
    row_line, in_head = 0, False
    for token in _MARKDOWN.parse(text):
        if token.type == "table_open":
            tables.append(([], []))
        elif token.type in ("thead_open", "thead_close"):
            in_head = token.type == "thead_open"
        elif token.type == "tr_open":
            row, row_line = [], (token.map[0] + 1 if token.map else 0)
        elif token.type == "inline" and row is not None:
            row.append(token.content.strip())
        elif token.type == "tr_close" and row is not None:
            if in_head:
                tables[-1][0].extend(row)
            else:
                tables[-1][1].append((row_line, row))
            row = None
    return tables


def find_waiver(waivers: Iterable[Waiver], subject: str, today: date) -> tuple[Waiver | None, bool]:
    """The waiver covering `subject` and whether it has expired.

    A valid waiver (latest deadline first) wins over expired ones; when only expired waivers cover the subject the
    most recently expired one is answered with `expired=True`; `(None, False)` when none covers it.
    """
    matching = sorted((w for w in waivers if w.covers(subject)), key=lambda w: w.deadline, reverse=True)
    if not matching:
        return None, False
    best = matching[0]
    return best, not best.valid_on(today)


def parse_deadline(text: str) -> date:
    """`YYYY-MM-DD` or `DD.MM.YYYY`; raises ValueError otherwise."""
    value = text.strip().strip("*`").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"deadline {value!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)")


def _normalise(header: str) -> str:
    return re.sub(r"\s+", " ", header.replace("*", "").replace("`", "").strip().lower())


def _header(cells: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _normalise(cell)
        for field, aliases in _COLUMNS.items():
            if name in aliases and field not in columns:
                columns[field] = index
    return columns if all(f in columns for f in _REQUIRED) else None


def _ticket(cell: str) -> str | None:
    for match in _TICKET.finditer(cell):
        if match.group(0).split("-")[0] not in _NOT_TICKETS:
            return match.group(0)
    return None


def _row(cells: list[str], raw: str, number: int, columns: dict[str, int], source: str) -> Waiver | None:
    if not any(cells):
        return None  # an all-blank template row
    width = max(columns.values()) + 1
    # markdown-it pads a short row with empty cells; the register refuses one, so count the cells the row has
    written = len(re.split(r"(?<!\\)\|", raw.strip().removeprefix("|").removesuffix("|")))
    if written < width:
        raise WaiverRegisterError(f"{source}:{number}: expected at least {width} cells, found {written}")
    get = {field: cells[index].strip() for field, index in columns.items()}
    subject = get["subject"].replace("`", "").strip()
    if not subject:
        raise WaiverRegisterError(f"{source}:{number}: the Secret/Config cell is empty")
    try:
        deadline = parse_deadline(get["deadline"])
    except ValueError as exc:
        raise WaiverRegisterError(f"{source}:{number} ({subject}): {exc}") from None
    ticket = _ticket(get.get("ticket", "")) or _ticket(get["mitigation"])
    if ticket is None:
        raise WaiverRegisterError(
            f"{source}:{number} ({subject}): no ticket id (a Ticket column, or OPS-123 / SEC-42 / #123 in the "
            "Mitigation cell); a waiver without a ticket is not valid"
        )
    return Waiver(subject, get["risk"], get["owner"], deadline, get["mitigation"], ticket, number)
