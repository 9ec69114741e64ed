"""Every interface string has a Vietnamese translation, and the compiled catalogue is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import survey_app

APP_DIR = Path(survey_app.__file__).parent
PO = APP_DIR / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def extracted_ids() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {
        "_": None,
        "gettext": None,
        "_l": None,
        "lazy_gettext": None,
        "_nl": (1, 2),
        "lazy_ngettext": (1, 2),
    }
    return {
        message if isinstance(message, str) else message[0]
        for _filename, _line, message, _comments, _context in extract_from_dir(
            str(APP_DIR), method_map, keywords=keywords
        )
    }


def test_every_string_has_a_vietnamese_translation() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(extracted_ids() - translated)
    assert missing == [], "run pybabel extract/update and translate: " + "; ".join(missing)


def _normal(value):
    return value if isinstance(value, str) else tuple(value)


def test_compiled_catalogue_matches_po() -> None:
    with PO.open("rb") as handle:
        po = {_normal(m.id): _normal(m.string) for m in read_po(handle, locale="vi") if m.id}
    with MO.open("rb") as handle:
        mo = {_normal(m.id): _normal(m.string) for m in read_mo(handle) if m.id}
    assert po == mo, "recompile: pybabel compile -d survey_app/translations"
