"""Every asset is served by the app: no CDN, no external font, a strict content policy."""

from __future__ import annotations

import re
from pathlib import Path

import survey_app

STATIC = Path(survey_app.__file__).parent / "static"
TEMPLATES = Path(survey_app.__file__).parent / "templates"
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I
)


def test_templates_and_static_files_load_nothing_from_elsewhere() -> None:
    offenders = [
        str(path)
        for folder in (STATIC, TEMPLATES)
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix in {".html", ".css", ".js"}
        and EXTERNAL.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_pages_carry_a_self_only_content_policy(client, auth, world) -> None:
    auth.login("enum178")
    response = client.get(f"/collect/interview/{world.own_draft}")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = response.get_data(as_text=True)
    assert not EXTERNAL.search(page)


def test_form_engine_keeps_no_copy_of_questionnaire_labels() -> None:
    """Likert, yes/no and missing-code labels reach the browser only in the questionnaire JSON."""
    from questionnaires.codes import MISSING_CODES
    from questionnaires.loader import BUILTIN_CHOICE_LISTS

    likert = BUILTIN_CHOICE_LISTS["likert5"]
    labels = {text for choice in likert for text in (choice.label.vi, choice.label.en)}
    labels -= {"Agree", "Đồng ý"}  # ordinary words; the longer labels are distinctive
    labels |= {meaning["vi"] for meaning in MISSING_CODES.values()}
    labels |= {"Rất không đồng ý", "Rất đồng ý"}  # the wording the old browser copy used
    sources = {path.name: path.read_text(encoding="utf-8") for path in STATIC.rglob("*.js")}
    copies = sorted(
        f"{name}: {label}"
        for name, source in sources.items()
        for label in labels
        if label in source
    )
    assert copies == []
