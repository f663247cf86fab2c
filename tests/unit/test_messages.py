"""Every check's failure cause is a catalogue message, so a Turkish report says it in Turkish: `CheckFailed`, `skip`
and `Reason.of` take a message marked `N_()` (with its values as keywords, one per placeholder) or a `Reason` built
elsewhere, never a sentence composed in place (an f-string, a concatenation, a `.join`, a bare literal). Computed from
the source with `ast`; the records themselves are tested in test_reasons.py."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover_gate.core.reasons import Reason
from cutover_gate.evidence.recording import Skipped, failure_reason, redacted, skip

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "src" / "cutover_gate").rglob("*.py"), *(ROOT / "steps").glob("*.py")])
RAISERS = frozenset({"CheckFailed", "TargetUnreachable", "RateLimited", "RefusedByRule", "skip"})
"""What takes a failure cause: the check's failure and its kinds (target/response.py), and the scenario's skip."""
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def callee(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == "Reason" and func.attr == "of":
            return "Reason.of"
        if isinstance(func.value, ast.Name) and func.value.id == "pytest" and func.attr in ("skip", "fail"):
            return f"pytest.{func.attr}"
        return func.attr if func.attr in RAISERS else ""
    return func.id if isinstance(func, ast.Name) and func.id in RAISERS else ""


def composed(node: ast.expr) -> bool:
    """A sentence put together in place: words that no catalogue holds."""
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
        and node.func.attr in ("join", "format", "strip", "rstrip", "removeprefix")


def marked(node: ast.expr) -> str | None:
    """The msgid of `N_("...")`, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_" and node.args:
        text = node.args[0]
        if isinstance(text, ast.Constant) and isinstance(text.value, str):
            return text.value
    return None


def problems(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
        where = f"{path.relative_to(ROOT)}:{call.lineno}"
        yield from labels(call, where)
        name = callee(call)
        if not name:
            continue
        if name == "pytest.skip":
            yield f"{where}: pytest.skip(...) says its cause in English only: use evidence.recording.skip(N_(...))"
            continue
        if name == "pytest.fail" or not call.args:
            continue
        first = call.args[0]
        msgid = marked(first)
        if msgid is None:
            if composed(first):
                yield f"{where}: {name}(...) with a sentence composed in place: mark it N_(\"...%(value)s...\")"
            continue
        given = {kw.arg for kw in call.keywords if kw.arg is not None}
        if any(kw.arg is None for kw in call.keywords):
            continue  # **values: checked where they are built
        yield from placeholders(msgid, given, f"{where}: {name}")


def labels(call: ast.Call, where: str) -> Iterator[str]:
    """What a message embeds as words: a trigger's evidence (`evidence.trigger(row, ...)`), the label of an answer
    or a poll (`.ok(...)`, `what=...`): a message marked `N_()` (no placeholders: a label with values is a
    `Reason.of`) or a `Reason`, never words put together in place or left unmarked."""
    func = call.func
    said: list[tuple[str, ast.expr]] = []
    if isinstance(func, ast.Attribute) and func.attr == "trigger" and len(call.args) >= 2:
        said.append(("trigger evidence", call.args[1]))
    if isinstance(func, ast.Attribute) and func.attr == "ok" and len(call.args) == 1:
        said.append(("label", call.args[0]))
    said += [("label", kw.value) for kw in call.keywords if kw.arg == "what"]
    for kind, node in said:
        msgid = marked(node)
        if msgid is not None:
            yield from placeholders(msgid, set(), f"{where}: {kind}")
        elif composed(node):
            yield f"{where}: a {kind} composed in place or unmarked: N_(\"...\") or Reason.of(N_(\"...\"), ...)"


def placeholders(msgid: str, given: set[str], where: str) -> Iterator[str]:
    wanted = set(PLACEHOLDER.findall(msgid))
    if wanted != given:
        yield f"{where}(N_({msgid[:60]!r}...)) fills {sorted(given)}, its placeholders are {sorted(wanted)}"
    if wanted:
        try:
            msgid % dict.fromkeys(wanted, "x")
        except (ValueError, TypeError) as exc:
            yield f"{where}: {msgid[:60]!r}...: not a message with %(name)s placeholders ({exc}); a % is %%"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_failure_causes_are_catalogue_messages(path: Path) -> None:
    found = list(problems(path))
    assert not found, "\n".join(found)


def test_the_scan_sees_what_it_refuses(tmp_path: Path) -> None:
    """The scan is not blind: each way of composing a cause in place is reported, a marked message is not."""
    source = tmp_path / "example.py"
    source.write_text('\n'.join([
        'raise CheckFailed(f"answered {status}")',
        'raise CheckFailed("answered " + status)',
        'raise CheckFailed("; ".join(causes))',
        'raise CheckFailed("a bare sentence")',
        'pytest.skip("why")',
        'raise CheckFailed(N_("answered %(status)s"))',
        'raise CheckFailed(N_("answered %(status)s"), status=status)',
        'raise CheckFailed(reason)',
        'evidence.trigger(ROW, f"answered {status}")',
        'resp.ok("wallet balance")',
        'poll(read, what=f"deposit {tx}")',
        'evidence.trigger(ROW, Reason.of(N_("answered %(status)s"), status=status))',
        'resp.ok(N_("wallet balance"))',
        'poll(read, what=Reason.of(N_("deposit %(tx)s"), tx=tx))',
    ]), encoding="utf-8")
    found = list(problems_in(source))
    lines = sorted(int(p.split(":")[1]) for p in found)
    assert lines == [1, 2, 3, 4, 5, 6, 9, 10, 11], found


def problems_in(path: Path) -> Iterator[str]:
    original = ROOT
    try:
        globals()["ROOT"] = path.parent
        yield from problems(path)
    finally:
        globals()["ROOT"] = original


def test_a_check_failed_carries_its_reason() -> None:
    from cutover_gate.core.errors import CheckFailed

    exc = CheckFailed("health answered %(status)s", status=503)
    assert str(exc) == "health answered 503"
    assert failure_reason(exc) == Reason("health answered %(status)s", {"status": "503"})
    assert failure_reason(ValueError("boom")).text() == "ValueError: boom"


def test_a_skip_carries_its_reason_and_stays_a_pytest_skip() -> None:
    with pytest.raises(pytest.skip.Exception) as caught:
        skip("no %(what)s declared", what="probe")
    assert isinstance(caught.value, Skipped)
    assert caught.value.msg == "no probe declared"
    assert failure_reason(caught.value).params == {"what": "probe"}


def test_a_secret_never_stays_in_a_reason() -> None:
    from cutover_gate.core.redact import REDACTOR

    REDACTOR.register("s3cr3t-value-for-the-test")
    kept = redacted(Reason.of("login with %(password)s refused", password="s3cr3t-value-for-the-test"))
    assert "s3cr3t-value-for-the-test" not in kept.text() and "s3cr3t" not in str(kept.to_json())


def test_an_empty_message_stays_empty_in_every_language() -> None:
    """gettext answers "" with the catalogue's header: an empty label or evidence must never show it."""
    assert Reason.label("").text("tr") == "" and Reason("").text("tr") == ""


def test_a_string_given_as_a_label_or_evidence_is_looked_up_in_the_catalogue() -> None:
    assert Reason.label("not run").text("tr") == "koşulmadı"
    assert Reason.label("words no catalogue holds, 100%").text("tr") == "words no catalogue holds, 100%"
