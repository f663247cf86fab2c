"""The reports' words come from message catalogues (src/cutover_gate/locale): the catalogue template is current with
the templates and the Python that marks its wording with `N_()`, every message has its Turkish, and the two languages'
features carry the same tags."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from pytest_bdd.parser import FeatureParser

from cutover_gate.core import i18n
from cutover_gate.core.catalogue import LANGS, LINES, TRIGGERS
from cutover_gate.decide.completion import CRITERIA
from cutover_gate.reports import render
from cutover_gate.reports.scribe import SCRIBE_TEXT
from cutover_gate.runbook_commands import COMMANDS, REFUSED, WORDS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cutover_gate"
SOURCES = (PACKAGE, ROOT / "steps")
"""Where the catalogue's messages are written: the package, and the steps (their checks' failure causes)."""
POT = i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot"
FEATURES = ROOT / "features"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TRANSLATED = [lang for lang in LANGS if lang != "en"]

MessageKey = tuple[str | None, str]


def keys(catalog: Catalog) -> set[MessageKey]:
    return {(m.context, str(m.id)) for m in catalog if m.id}


def read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def extracted() -> set[MessageKey]:
    """What `pybabel extract -F babel.cfg ... src/cutover_gate steps` finds today."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[MessageKey] = set()
    for source in SOURCES:
        for _filename, _lineno, message, _comments, context in extract_from_dir(source, method_map, options_map):
            found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_the_catalogue_template_is_current_with_the_templates() -> None:
    pot, now = keys(read(POT)), extracted()
    assert now, "no message extracted from the templates: is babel.cfg's mapping right?"
    assert not now - pot, f"messages missing from {POT.name} (run pybabel extract, see babel.cfg): {sorted(now - pot)}"
    assert not pot - now, f"messages in {POT.name} no template uses any more: {sorted(pot - now)}"


def test_the_wording_kept_in_python_is_in_the_catalogue() -> None:
    """Titles, criteria and marks shown from Python are messages (marked `N_()`), so each has its Turkish."""
    wording = [line.title_en for line in LINES] + [row.title_en for row in TRIGGERS] + list(CRITERIA.values()) \
        + list(SCRIBE_TEXT.values()) + [c.title_en for c in COMMANDS.values()] + list(WORDS.values()) + [REFUSED]
    missing = [text for text in wording if (None, text) not in keys(read(POT))]
    assert not missing, f"not in {POT.name} (mark them with N_() and run pybabel extract, see babel.cfg): {missing}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_translation(lang: str) -> None:
    po = read(i18n.po_path(lang), lang)
    assert not keys(read(POT)) - keys(po), f"{lang}: messages not in the catalogue (run pybabel update, see babel.cfg)"
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"{lang}: messages without a (non-fuzzy) translation: {untranslated}"
    obsolete = [m.id for m in po.obsolete.values()]
    assert not obsolete, f"{lang}: obsolete messages left in the catalogue: {obsolete}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_translation_keeps_its_messages_placeholders(lang: str) -> None:
    for message in read(i18n.po_path(lang), lang):
        if message.id and message.string:
            ours = sorted(PLACEHOLDER.findall(str(message.id)))
            theirs = sorted(PLACEHOLDER.findall(str(message.string)))
            assert ours == theirs, f"{lang}: {message.id!r} -> {message.string!r}: placeholders differ"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_reports_speak_the_catalogues_language(lang: str) -> None:
    assert render.word("NOT_RUN", lang) == render.translations(lang).gettext("NOT RUN") != "NOT RUN"
    assert render.word("NOT_RUN", "en") == "NOT RUN"
    phrases: Any = render.environment(lang).get_template("comms_phrases.j2").module
    english: Any = render.environment("en").get_template("comms_phrases.j2").module
    assert str(phrases.go_live()) != str(english.go_live()) == "GO decision made. System is live. Hypercare started."


def tags(lang: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """A feature's tags, then each scenario's and each of its examples', in order."""
    feature = FeatureParser(str(FEATURES), str((FEATURES / lang / path.name).relative_to(FEATURES))).parse()
    yield "feature", sorted(feature.tags)
    for n, scenario in enumerate(feature.scenarios.values(), 1):
        yield f"scenario {n}", sorted(scenario.tags)
        for e, examples in enumerate(scenario.examples, 1):
            yield f"scenario {n} examples {e}", sorted(getattr(examples, "tags", ()))


FEATURE_FILES = sorted((FEATURES / "en").glob("*.feature"))


def test_each_english_feature_has_its_turkish_twin() -> None:
    assert FEATURE_FILES
    assert {p.name for p in FEATURE_FILES} == {p.name for p in (FEATURES / "tr").glob("*.feature")}


@pytest.mark.parametrize("path", FEATURE_FILES, ids=lambda p: p.name)
def test_the_two_languages_features_carry_the_same_tags(path: Path) -> None:
    assert list(tags("en", path)) == list(tags("tr", path))
