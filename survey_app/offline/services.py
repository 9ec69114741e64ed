"""Import an exported outbox file on the server with the sync API's exactly-once rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from questionnaires.errors import GesurveyError

from ..extensions import db
from ..models import User
from ..submissions import InputRejected, SubmissionProblem, load_json, receive

FILE_FORMAT = "gesurvey-outbox"


class ImportFileError(GesurveyError, ValueError):
    """The file is not an outbox export (nothing was imported)."""

    code = "outbox_file_invalid"


@dataclass
class ImportReport:
    """What importing a file did, with one line per item that was not stored as new."""

    created: int = 0
    duplicate: int = 0
    conflict: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)


def parse_outbox_file(data: bytes, filename: str) -> tuple[str, list[Any]]:
    """Return the enumerator's user name and the submissions of an outbox export."""
    try:
        document = load_json(data, filename, max_nodes=None)
    except InputRejected as rejected:
        raise ImportFileError(
            _("%(file)s is not a JSON file exported from the outbox.", file=filename)
            + " "
            + rejected.message
        ) from None
    if (
        not isinstance(document, dict)
        or document.get("format") != FILE_FORMAT
        or not isinstance(document.get("submissions"), list)
        or not isinstance(document.get("username"), str)
    ):
        raise ImportFileError(
            _(
                '%(file)s is not an outbox export: it needs "format": "gesurvey-outbox", a '
                '"username" and a "submissions" list.',
                file=filename,
            )
        )
    return document["username"], document["submissions"]


def import_outbox_file(data: bytes, filename: str, admin: User, lang: str) -> ImportReport:
    """Store every submission of the file for the enumerator named in it; resends are counted
    as duplicates and different content under a stored UUID as conflicts (kept, not applied).
    """
    username, items = parse_outbox_file(data, filename)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ImportFileError(
            _("%(file)s: no user named %(name)s on this server.", file=filename, name=username)
        )
    report = ImportReport()
    for number, item in enumerate(items, start=1):
        label = item.get("uuid") if isinstance(item, dict) else None
        try:
            result = receive(user, item, lang=lang, channel="import", actor=admin)
        except SubmissionProblem as invalid:
            db.session.rollback()
            report.invalid += 1
            details = (
                "; ".join(
                    (f"{p.field} {p.question_id or ''}".strip() + ": " + p.message)
                    for p in (invalid.problems or [])[:5]
                )
                or invalid.message
            )
            report.problems.append(
                _(
                    "%(file)s item %(n)s (%(uuid)s): %(details)s",
                    file=filename,
                    n=number,
                    uuid=label or "?",
                    details=details,
                )
            )
            continue
        setattr(report, result.outcome, getattr(report, result.outcome) + 1)
        if result.outcome == "conflict":
            report.problems.append(
                _(
                    "%(file)s item %(n)s (%(uuid)s): a different interview with this id is already "
                    "stored; kept as a conflict for a supervisor.",
                    file=filename,
                    n=number,
                    uuid=label,
                )
            )
    return report
