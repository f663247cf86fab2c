"""What the gate says and why, as records: a catalogue message and the values it embeds, put into words in the
language a report speaks. A check's failure cause (`CheckFailed`, `skip`), a line's result message and the
decision's reasons are all `Reason`s.

A `Reason` is a msgid (English, marked with `N_()` where it is written, so `pybabel extract` finds it) and its
`params`, filled into the message's `%(name)s` placeholders (newstyle gettext, as in the templates; a literal % is %%).
A value is a string shown as given (a line id, a status, a path, an answer quoted: never translated here), another
reason (words of the catalogue, as a trigger's title or a check's cause) or a tuple of reasons (read one after the
other, separated by "; "); `Reason.of` turns any other value into its string. `text(lang)` is the sentence in `lang`;
`text("en")` is what the English fields (decision.json's `reasons`, a line's `message`) say, and `to_json` /
`from_json` keep the record itself beside them (`reason_messages`, a line's `reason`), from which a record read back
speaks any language again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

from cutover_gate.core.i18n import translate

SEPARATOR = "; "
"""Between the reasons of a tuple value, in every language."""


class Kind(StrEnum):
    """What a reason is about: a report shows a failing line, a trigger or the lines not yet PASS by their own
    section and lists the other reasons as they are."""

    LINE = "line"
    """A checklist line FAILed."""
    TRIGGER = "trigger"
    """An IMMEDIATE_ROLLBACK trigger was observed."""
    NOT_YET_PASS = "not_yet_pass"
    """Mandatory lines not yet PASS."""
    UNPINNED = "unpinned"
    """No release SHA: the results are tied to no release."""
    ERROR = "error"
    """The gate itself failed."""
    TARGET = "target"
    """A target of a fleet that is not GO."""
    TEXT = "text"
    """Words of another reason, or of a detail (a trigger's title, a verdict, a completion criterion's detail)."""
    VERBATIM = "verbatim"
    """A text shown as given, never looked up: an exception's own words (a crash, not a check), or a reason a
    decision.json states without its record."""
    JOINED = "joined"
    """Several reasons read one after the other (its `all` param), as a line's causes gathered from its scenarios."""


Param: TypeAlias = "str | Reason | tuple[Reason, ...]"


@dataclass(frozen=True)
class Reason:
    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict, hash=False)
    kind: Kind = Kind.TEXT

    @classmethod
    def verbatim(cls, text: str) -> Reason:
        return cls(text, kind=Kind.VERBATIM)

    @classmethod
    def of(cls, msgid: str | Reason, /, **params: object) -> Reason:
        """The message `msgid` (marked `N_()` where it is written) with `params`: a reason or a tuple of reasons is
        kept as it is, any other value becomes its string (a number, a status, a path: shown as given). A `Reason`
        given for `msgid` (with no params) is that reason."""
        if isinstance(msgid, Reason):
            if params:
                raise TypeError("a Reason takes no further values")
            return msgid
        return cls(msgid, {name: _value(value) for name, value in params.items()})

    @classmethod
    def label(cls, what: str | Reason) -> Reason:
        """A label a message embeds ("admin login", "deposit %(tx)s"...): a `Reason` as it is, a string as a catalogue
        message looked up where it is said (marked `N_()` where it is written; one the catalogue lacks reads as
        given)."""
        return what if isinstance(what, Reason) else cls(what)

    @classmethod
    def joined(cls, reasons: Iterable[Reason]) -> Reason:
        """`reasons` one after the other (the same English said once): the one itself when it is alone."""
        unique = list({reason.text(): reason for reason in reasons}.values())
        if len(unique) == 1:
            return unique[0]
        return cls("", {"all": tuple(unique)}, Kind.JOINED)

    def scrubbed(self, scrub: Callable[[str], str]) -> Reason:
        """The reason with `scrub` applied to every value shown as given (and to a verbatim text): the redaction a
        report needs, the catalogue's own words left alone."""
        if self.kind is Kind.VERBATIM:
            return Reason.verbatim(scrub(self.msgid))
        return Reason(self.msgid, {name: _scrubbed(value, scrub) for name, value in self.params.items()}, self.kind)

    def text(self, lang: str = "en") -> str:
        """The sentence in `lang` (English for a language without a catalogue), its values filled in."""
        if self.kind is Kind.VERBATIM:
            return self.msgid
        if self.kind is Kind.JOINED:
            return _spoken(self.params.get("all", ()), lang)
        if not self.msgid:  # gettext's "" is the catalogue's header, never a message
            return ""
        message = translate(lang, self.msgid)
        if not self.params:
            return message
        values = {name: _spoken(value, lang) for name, value in self.params.items()}
        try:
            return message % values
        except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder: the English, never a crash
            return self.msgid % values

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "msgid": self.msgid}
        if self.params:
            data["params"] = {name: _param_json(value) for name, value in self.params.items()}
        return data

    @classmethod
    def from_json(cls, data: Any) -> Reason:
        """A record as `to_json` writes it; a plain string is a reason stated without its record (shown as given).
        Raises ValueError (or TypeError, KeyError) when it is neither."""
        if isinstance(data, str):
            return cls.verbatim(data)
        params = data.get("params") or {}
        if not isinstance(params, Mapping):
            raise ValueError(f"a reason's params are not a mapping: {params!r}")
        return cls(str(data["msgid"]), {str(name): _param(value) for name, value in params.items()},
                   Kind(data.get("kind", Kind.TEXT.value)))


def read(data: Any) -> Reason | None:
    """A record's `reason` as it was written (`to_json`), or None when it has none or it cannot be read: the record's
    English is then shown as given."""
    if not data:
        return None
    try:
        return Reason.from_json(data)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def as_recorded(data: Any, english: str) -> Reason:
    """The record `data` of a text kept in English beside it: the record when it reads and says exactly `english`
    (a text cut short, or a record from elsewhere, does not), else `english` shown as given."""
    reason = read(data)
    return reason if reason is not None and reason.text() == english else Reason.verbatim(english)


def texts(reasons: Iterable[Reason], lang: str = "en") -> list[str]:
    """Each reason of `reasons` in `lang`."""
    return [reason.text(lang) for reason in reasons]


def _value(value: object) -> Param:
    if isinstance(value, Reason):
        return value
    if isinstance(value, tuple) and all(isinstance(part, Reason) for part in value):
        return value
    return str(value)


def _scrubbed(value: Param, scrub: Callable[[str], str]) -> Param:
    if isinstance(value, Reason):
        return value.scrubbed(scrub)
    if isinstance(value, tuple):
        return tuple(part.scrubbed(scrub) for part in value)
    return scrub(value)


def _spoken(value: Param, lang: str) -> str:
    if isinstance(value, Reason):
        return value.text(lang)
    if isinstance(value, tuple):
        return SEPARATOR.join(part.text(lang) for part in value)
    return str(value)


def _param_json(value: Param) -> Any:
    if isinstance(value, Reason):
        return value.to_json()
    if isinstance(value, tuple):
        return [part.to_json() for part in value]
    return str(value)


def _param(data: Any) -> Param:
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        return tuple(Reason.from_json(part) for part in data)
    if isinstance(data, Mapping):
        return Reason.from_json(data)
    raise ValueError(f"not a reason's value: {data!r}")
