"""The waiver register: parsing, ticket ids, dates, malformed rows, lookup by key and deadline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cutover_gate.checks.preflight.waivers import Waiver, WaiverRegisterError, find_waiver, load_waivers, parse_waivers

REGISTERS = Path(__file__).resolve().parents[2] / "fixtures" / "waivers"
HEADER = "| Secret/Config | Risk Level | Owner | Deadline | Mitigation |\n|---|---|---|---|---|\n"


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "prod_env_waiver_register.md"
    path.write_text("# Waivers\n\n" + header + body, encoding="utf-8")
    return path


def test_fixture_registers() -> None:
    (valid,) = load_waivers(REGISTERS / "register.valid.md")
    assert valid == Waiver("ADYEN_HMAC_KEY", "High", "Payments Owner", date(2099, 12, 31), valid.mitigation, "SEC-42",
                           valid.line)
    (expired,) = load_waivers(REGISTERS / "register.expired.md")
    assert (expired.keys, expired.deadline, expired.ticket) == (("STRIPE_WEBHOOK_SECRET",), date(2025, 12, 27),
                                                                 "OPS-123")
    assert load_waivers(REGISTERS / "register.empty.md") == []


@pytest.mark.parametrize(
    ("mitigation", "ticket"),
    [("Rotate now (OPS-123).", "OPS-123"), ("See SEC-42, then rotate", "SEC-42"), ("tracked in #123", "#123"),
     ("Hash with SHA-256; JIRA PAY-9", "PAY-9")],
)
def test_ticket_found_in_the_mitigation_cell(tmp_path: Path, mitigation: str, ticket: str) -> None:
    (waiver,) = load_waivers(write(tmp_path, f"| JWT_SECRET | High | DevOps | 2030-01-31 | {mitigation} |\n"))
    assert waiver.ticket == ticket


def test_ticket_column_wins(tmp_path: Path) -> None:
    header = "| Secret/Config | Risk Level | Owner | Deadline | Mitigation | Ticket |\n|---|---|---|---|---|---|\n"
    row = "| JWT_SECRET | High | DevOps | 2030-01-31 | see OPS-1 | SEC-9 |\n"
    (waiver,) = load_waivers(write(tmp_path, row, header))
    assert waiver.ticket == "SEC-9"


@pytest.mark.parametrize("mitigation", ["Rotate to the live key.", "Hash with SHA-256 first", "ISO-8601 dates"])
def test_row_without_ticket_is_an_error_naming_file_and_line(tmp_path: Path, mitigation: str) -> None:
    path = write(tmp_path, f"| ADYEN_API_KEY | High | DevOps | 2030-01-31 | {mitigation} |\n")
    with pytest.raises(WaiverRegisterError) as info:
        load_waivers(path)
    assert f"{path}:5" in str(info.value) and "ADYEN_API_KEY" in str(info.value) and "ticket" in str(info.value)


@pytest.mark.parametrize("deadline", ["T+24h", "-", "2030-13-01", "31/12/2030", ""])
def test_bad_deadline_is_an_error_naming_the_row(tmp_path: Path, deadline: str) -> None:
    path = write(tmp_path, "| JWT_SECRET | Low | DevOps | 2030-01-31 | OPS-1 |\n"
                           f"| ADYEN_API_KEY | High | DevOps | {deadline} | OPS-2 |\n")
    with pytest.raises(WaiverRegisterError) as info:
        load_waivers(path)
    assert f"{path}:6 (ADYEN_API_KEY)" in str(info.value) and "not a date" in str(info.value)


def test_turkish_date_and_headers(tmp_path: Path) -> None:
    header = "| Secret/Config | Risk Seviyesi | Sorumlu | Son Tarih | Azaltım |\n| :--- | :--- | :--- | :--- | :--- |\n"
    (waiver,) = load_waivers(write(tmp_path, "| `ADYEN_API_KEY` | Yüksek | DevOps | 05.01.2027 | SEC-7 |\n", header))
    assert (waiver.deadline, waiver.risk, waiver.owner) == (date(2027, 1, 5), "Yüksek", "DevOps")


def test_short_row_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WaiverRegisterError, match=r":5: expected at least 5 cells, found 3"):
        load_waivers(write(tmp_path, "| JWT_SECRET | High | DevOps |\n"))


def test_missing_or_tableless_register_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WaiverRegisterError, match="cannot be read"):
        load_waivers(tmp_path / "absent.md")
    other = tmp_path / "other.md"
    other.write_text("# Actions\n\n| Action | Owner | Deadline |\n|---|---|---|\n| Rotate | DevOps | 2030-01-01 |\n")
    with pytest.raises(WaiverRegisterError, match="no waiver table found"):
        load_waivers(other)


def test_other_tables_blank_rows_and_escaped_pipes(tmp_path: Path) -> None:
    text = ("| Action | Owner | Deadline |\n|---|---|---|\n| Rotate | DevOps | soon |\n\n" + HEADER
            + "| | | | | |\n| `ADYEN_API_KEY`, `ADYEN_HMAC_KEY` | High | Pay \\| Ops | 2030-01-31 | OPS-5 |\n")
    (waiver,) = parse_waivers(text)
    assert waiver.keys == ("ADYEN_API_KEY", "ADYEN_HMAC_KEY") and waiver.owner == "Pay | Ops"
    assert waiver.covers("ADYEN_HMAC_KEY") and not waiver.covers("JWT_SECRET")


def test_find_waiver_deadline_inclusive_and_expiry() -> None:
    waiver = Waiver("JWT_SECRET", "High", "DevOps", date(2026, 11, 27), "rotate", "OPS-1")
    assert find_waiver([waiver], "JWT_SECRET", date(2026, 11, 27)) == (waiver, False)
    assert find_waiver([waiver], "jwt_secret", date(2026, 11, 26)) == (waiver, False)
    assert find_waiver([waiver], "JWT_SECRET", date(2026, 11, 28)) == (waiver, True)
    assert find_waiver([waiver], "WEBHOOK_SECRET", date(2026, 11, 1)) == (None, False)


def test_find_waiver_prefers_a_valid_row_over_expired_ones() -> None:
    old = Waiver("JWT_SECRET (old)", "High", "DevOps", date(2025, 1, 1), "rotate", "OPS-1")
    new = Waiver("JWT_SECRET", "High", "DevOps", date(2027, 1, 1), "rotate", "OPS-2")
    older = Waiver("JWT_SECRET", "High", "DevOps", date(2024, 1, 1), "rotate", "OPS-0")
    assert find_waiver([old, new], "JWT_SECRET", date(2026, 6, 1)) == (new, False)
    assert find_waiver([older, old], "JWT_SECRET", date(2026, 6, 1)) == (old, True)


def test_table_without_outer_pipes_and_short_separators() -> None:
    text = "Secret/Config | Risk Level | Owner | Deadline | Mitigation\n-|-|-|-|-\n"
    text += "JWT_SECRET | Low | Ops | 2030-01-31 | #77\n\nprose | with a pipe after the blank line\n"
    (waiver,) = parse_waivers(text)
    assert (waiver.subject, waiver.ticket, waiver.line) == ("JWT_SECRET", "#77", 3)
