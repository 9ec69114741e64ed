"""Commune figures from the approved commune forms (every commune that sent one).

A district that runs the commune form as a census fills the store for all its communes, not
only the sampled ones. Each catalogue indicator of source ``commune_form`` names the form's
numerator and denominator questions; the period is the form's reference year (``COM_YEAR``), the
area the commune whose code the form gives (else the submission's own commune).
"""

from __future__ import annotations

from sqlalchemy import select

from ..core.questionnaire_store import questionnaire_for
from ..extensions import db
from ..models import Area, AreaLevel, QuestionnaireVersion, Status, Submission, User
from .models import FigureStatus, SourceKind
from .services import Figure, catalogue, put_figure

COMMUNE_FORM = "commune"


def figure_count(value: object, missing: tuple[int, ...]) -> float | None:
    """A form's answer as a count: a number that is not a missing code, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if int(value) == value and int(value) in missing:
        return None
    return float(value)


def load_commune_forms(user: User | None, period: str | None = None) -> int:
    """Store the commune-form indicators of every approved commune form; return changes."""
    indicators = [i for i in catalogue().indicators.values() if i.source == "commune_form"]
    communes = {
        a.code: a
        for a in db.session.scalars(select(Area).where(Area.level == AreaLevel.COMMUNE.value))
    }
    query = (
        select(Submission)
        .join(QuestionnaireVersion)
        .where(
            QuestionnaireVersion.questionnaire_id == COMMUNE_FORM,
            Submission.status == Status.APPROVED.value,
        )
        .order_by(Submission.id)
    )
    changed = 0
    for submission in db.session.scalars(query):
        answers = submission.answers or {}
        year = answers.get("COM_YEAR")
        if not isinstance(year, int) or (period is not None and str(year) != period):
            continue
        area = communes.get(str(answers.get("commune")))
        if area is None and submission.area.level == AreaLevel.COMMUNE.value:
            area = submission.area
        if area is None:
            continue
        form = questionnaire_for(submission.questionnaire_version)
        for indicator in indicators:
            spec = indicator.commune_form or {}
            numerator_q, denominator_q = spec.get("numerator"), spec.get("denominator")
            if numerator_q is None:
                continue  # the catalogue's check gives every commune-form figure a numerator
            numerator = figure_count(
                answers.get(numerator_q), form.question(numerator_q).missing_codes
            )
            denominator = (
                figure_count(answers.get(denominator_q), form.question(denominator_q).missing_codes)
                if denominator_q
                else None
            )
            if numerator is None or (denominator_q and not denominator):
                continue
            if indicator.check_figure(None, numerator, denominator):
                continue  # a form that breaks the catalogue's rules is left to its reviewer
            _figure, did = put_figure(
                indicator.code,
                area,
                str(year),
                "T",
                Figure(
                    value=indicator.value_of(None, numerator, denominator),
                    numerator=numerator,
                    denominator=denominator,
                    status=FigureStatus.APPROVED.value,
                    source_kind=SourceKind.COMMUNE_FORM.value,
                    source=f"commune form {submission.uuid}",
                    department=indicator.department,
                ),
                user,
                reason="approved commune form",
            )
            changed += did
    return changed
