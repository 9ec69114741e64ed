"""Paradata sent with an interview: checked, trimmed for sensitive forms, kept beside answers.

The form engine (static/js/form/paradata.js) sends, per interview, ``{"version": 1,
"started_at", "ended_at", "app_version", "interruptions", "gps": {"lat", "lon", "accuracy"},
"questions": {question id: {"seconds", "visits", "changes"}}}`` with draft saves, submissions
and outbox envelopes. It never enters ``answers`` or the content hash. For a sensitive
questionnaire the server keeps only the times, the interruption count and the app version:
which questions were shown would reveal the answers that opened them, and a position would
point at the woman.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from questionnaires.errors import GesurveyError

__all__ = ["PARADATA_VERSION", "ParadataRejected", "clean_paradata"]

PARADATA_VERSION = 1
MAX_QUESTIONS = 2000
MAX_SECONDS = 86_400.0
MAX_COUNT = 100_000
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_TOP = {"version", "started_at", "ended_at", "app_version", "interruptions", "gps", "questions"}
_ENTRY = {"seconds", "visits", "changes"}


class ParadataRejected(GesurveyError, ValueError):
    """The paradata cannot be kept; ``message`` says which part, in the user's language."""

    code = "paradata_rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _number(value: Any, low: float, high: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def _time(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= 40:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return value
        except ValueError:
            pass
    raise ParadataRejected(_("paradata: '%(name)s' must be an ISO 8601 time.", name=name))


def clean_paradata(value: Any, sensitive: bool) -> dict[str, Any] | None:
    """The paradata to store, or None when none was sent; raise ParadataRejected if malformed."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("version") != PARADATA_VERSION:
        raise ParadataRejected(
            _("paradata must be an object with version %(v)s.", v=PARADATA_VERSION)
        )
    unknown = sorted(set(value) - _TOP)
    if unknown:
        raise ParadataRejected(_("paradata: unknown field '%(name)s'.", name=str(unknown[0])[:64]))
    app_version = value.get("app_version")
    if app_version is not None and not (isinstance(app_version, str) and len(app_version) <= 64):
        raise ParadataRejected(_("paradata: 'app_version' must be a short text."))
    interruptions = value.get("interruptions", 0)
    if not _count(interruptions):
        raise ParadataRejected(_("paradata: 'interruptions' must be a whole number."))
    clean: dict[str, Any] = {
        "version": PARADATA_VERSION,
        "started_at": _time(value.get("started_at"), "started_at"),
        "ended_at": _time(value.get("ended_at"), "ended_at"),
        "app_version": app_version,
        "interruptions": interruptions,
        "gps": None,
        "questions": {},
    }
    if sensitive:
        return clean
    gps = value.get("gps")
    if gps is not None:
        if not (
            isinstance(gps, dict)
            and set(gps) <= {"lat", "lon", "accuracy"}
            and _number(gps.get("lat"), -90, 90)
            and _number(gps.get("lon"), -180, 180)
            and (gps.get("accuracy") is None or _number(gps.get("accuracy"), 0, 1e7))
        ):
            raise ParadataRejected(
                _("paradata: 'gps' must hold 'lat', 'lon' and 'accuracy' in range.")
            )
        clean["gps"] = {key: gps.get(key) for key in ("lat", "lon", "accuracy")}
    questions = value.get("questions", {})
    if not isinstance(questions, dict) or len(questions) > MAX_QUESTIONS:
        raise ParadataRejected(
            _(
                "paradata: 'questions' must be an object of at most %(n)s questions.",
                n=MAX_QUESTIONS,
            )
        )
    for question_id, entry in questions.items():
        if not _ID.match(str(question_id)):
            raise ParadataRejected(
                _("paradata: '%(id)s' is not a question id.", id=str(question_id)[:64])
            )
        if (
            not isinstance(entry, dict)
            or not set(entry) <= _ENTRY
            or not _number(entry.get("seconds", 0), 0, MAX_SECONDS)
            or not _count(entry.get("visits", 0))
            or not _count(entry.get("changes", 0))
        ):
            raise ParadataRejected(
                _(
                    "paradata: question %(id)s needs seconds (0–86400), visits and changes "
                    "(whole numbers).",
                    id=question_id,
                )
            )
        clean["questions"][question_id] = {
            "seconds": float(entry.get("seconds", 0)),
            "visits": entry.get("visits", 0),
            "changes": entry.get("changes", 0),
        }
    return clean
