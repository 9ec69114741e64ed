"""Survey rounds: create, edit, open and close them (the admin screen and ``gesurvey rounds``).

At most one round is open; opening one closes the one that was open, in the same transaction
(and the database's partial unique index refuses a second open round from two admins at once).
Every change is audited and forgets the cached open round (:mod:`survey_app.core.rounds`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from questionnaires.rounds import KINDS, SETTING_NAMES, RoundError, RoundInfo

from ..core.audit import record
from ..core.rounds import forget_open_round
from ..extensions import db
from ..models import SurveyRound, User
from .services import AdminError


def list_rounds() -> list[SurveyRound]:
    """Every round, newest reference year first."""
    return list(
        db.session.scalars(
            select(SurveyRound).order_by(SurveyRound.reference_year.desc(), SurveyRound.id.desc())
        )
    )


def find_round(code: str) -> SurveyRound:
    """The round with this code; AdminError naming the code when there is none."""
    found = db.session.scalar(select(SurveyRound).where(SurveyRound.code == code.strip()))
    if found is None:
        raise AdminError(_("No survey round has code %(code)s.", code=code))
    return found


def _checked(
    code: str,
    label_vi: str,
    label_en: str,
    reference_year: int,
    kind: str,
    field_start: date | None,
    field_end: date | None,
    settings: dict[str, Any],
) -> RoundInfo:
    """The round's fields checked by the one round model; AdminError in the reader's language."""
    try:
        return RoundInfo(
            code=code.strip(),
            label_vi=label_vi.strip(),
            label_en=label_en.strip(),
            reference_year=reference_year,
            kind=kind,
            field_start=field_start,
            field_end=field_end,
            settings={k: v.strip() for k, v in settings.items() if v and v.strip()},
        )
    except RoundError as error:
        from ..core.i18n import current_language

        raise AdminError(error.message_in(current_language())) from None


def _audit(action: str, item: SurveyRound, by: User | None, old: Any = None) -> None:
    record(
        action,
        user=by,
        object_type="survey_round",
        object_id=item.code,
        old=old,
        new=item.info().to_dict() | {"status": item.status},
    )


def create_round(
    code: str,
    label_vi: str,
    label_en: str,
    reference_year: int,
    kind: str,
    field_start: date | None = None,
    field_end: date | None = None,
    settings: dict[str, Any] | None = None,
    by: User | None = None,
) -> SurveyRound:
    """A new round, closed until an admin opens it."""
    info = _checked(
        code, label_vi, label_en, reference_year, kind, field_start, field_end, settings or {}
    )
    if db.session.scalar(select(SurveyRound.id).where(SurveyRound.code == info.code)):
        raise AdminError(_("Survey round %(code)s exists already.", code=info.code))
    item = SurveyRound(
        code=info.code,
        label_vi=info.label_vi,
        label_en=info.label_en,
        reference_year=info.reference_year,
        kind=info.kind,
        field_start=info.field_start,
        field_end=info.field_end,
        settings=dict(info.settings),
        status="closed",
    )
    db.session.add(item)
    db.session.flush()
    _audit("round.create", item, by)
    return item


def update_round(
    item: SurveyRound,
    label_vi: str,
    label_en: str,
    reference_year: int,
    kind: str,
    field_start: date | None,
    field_end: date | None,
    settings: dict[str, Any],
    by: User | None = None,
) -> SurveyRound:
    """Change a round's label, year, kind, field dates and settings (its code stays)."""
    info = _checked(
        item.code, label_vi, label_en, reference_year, kind, field_start, field_end, settings
    )
    old = item.info().to_dict()
    item.label_vi, item.label_en = info.label_vi, info.label_en
    item.reference_year, item.kind = info.reference_year, info.kind
    item.field_start, item.field_end = info.field_start, info.field_end
    item.settings = dict(info.settings)
    db.session.flush()
    _audit("round.update", item, by, old)
    forget_open_round()
    return item


def open_round_code(code: str, by: User | None = None) -> SurveyRound:
    """Open the round (closing the one that was open): new interviews go into it from now."""
    item = find_round(code)
    if item.is_open:
        return item
    for other in db.session.scalars(select(SurveyRound).where(SurveyRound.status == "open")):
        other.status = "closed"
        db.session.flush()
        _audit("round.close", other, by)
    item.status = "open"
    db.session.flush()
    _audit("round.open", item, by)
    forget_open_round()
    return item


def close_round_code(code: str, by: User | None = None) -> SurveyRound:
    """Close the round: no new interviews until a round is opened; corrections go on."""
    item = find_round(code)
    if not item.is_open:
        return item
    item.status = "closed"
    db.session.flush()
    _audit("round.close", item, by)
    forget_open_round()
    return item


__all__ = [
    "KINDS",
    "SETTING_NAMES",
    "close_round_code",
    "create_round",
    "find_round",
    "list_rounds",
    "open_round_code",
    "update_round",
]
