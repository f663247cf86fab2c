"""The gate's message catalogues (`locale/`): the English text is the msgid, the Turkish (runbook.tr.md's, the
original) is in `locale/tr/LC_MESSAGES/messages.po`, compiled in memory when a language is first spoken.

The templates' sentences and the wording kept in Python (checklist line and rollback row titles, the go-live
completion criteria, the scribe's marks, the runbook commands' words) all read from here; Python marks its messages
with `N_()` so `pybabel extract` (see babel.cfg) finds them, and translates them where they are shown.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Marks `message` for extraction into the catalogue (`N_` is one of Babel's default keywords) and returns it
    unchanged: translate it where it is shown, with `translate`."""
    return message


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """`lang`'s catalogue, compiled from its checked-in .po in memory (fuzzy entries left out: they read as English);
    English is the msgids themselves. A language without its .po fails here, never silently reports in English."""
    if lang == "en":
        return gettext.NullTranslations()
    with po_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


@cache
def _spoken(lang: str) -> str:
    return lang if lang == "en" or po_path(lang).is_file() else "en"


def translate(lang: str, message: str) -> str:
    """`message` (an English msgid) in `lang`, or in English for a language without a catalogue (as the titles of a
    record in another language always read); the reports refuse such a language before they get here."""
    return translations(_spoken(lang)).gettext(message)
