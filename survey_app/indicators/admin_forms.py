"""District and province figures from the approved district and province forms.

Party committees, People's Councils and departments, training of officials, media products and
radio/TV stations exist only at those levels, so the forms are run in every district and once
for the province (a census). Each catalogue indicator with ``admin_forms`` names, per level,
the form's numerator and denominator questions; the period is the form's reference year
(``REF_YEAR``), the area the district whose code the district form gives (the province for the
province form). District figures are kept as figures from the district (``district``), province
figures as a provincial department's (``department``); ``source`` names the form and submission.
"""

from __future__ import annotations

from sqlalchemy import select

from ..core.questionnaire_store import questionnaire_for
from ..extensions import db
from ..models import Area, AreaLevel, QuestionnaireVersion, Status, Submission, User
from .commune import figure_count
from .models import FigureStatus, SourceKind
from .services import Figure, catalogue, province, put_figure

#: The form of each level and the kind of source its figures are stored as.
LEVEL_FORMS = {
    "district": ("district", SourceKind.DISTRICT),
    "province": ("province", SourceKind.DEPARTMENT),
}


def _area(level: str, answers: dict[str, object], districts: dict[str, Area]) -> Area | None:
    if level == "province":
        return province()
    return districts.get(str(answers.get("district")))


def load_admin_forms(user: User | None, period: str | None = None) -> int:
    """Store the district- and province-form indicators of every approved form; return changes."""
    indicators = [i for i in catalogue().indicators.values() if i.admin_forms]
    districts = {
        a.code: a
        for a in db.session.scalars(select(Area).where(Area.level == AreaLevel.DISTRICT.value))
    }
    changed = 0
    for level, (form_id, kind) in LEVEL_FORMS.items():
        query = (
            select(Submission)
            .join(QuestionnaireVersion)
            .where(
                QuestionnaireVersion.questionnaire_id == form_id,
                Submission.status == Status.APPROVED.value,
            )
            .order_by(Submission.id)
        )
        for submission in db.session.scalars(query):
            answers = submission.answers or {}
            year = answers.get("REF_YEAR")
            if not isinstance(year, int) or (period is not None and str(year) != period):
                continue
            area = _area(level, answers, districts)
            if area is None:
                continue
            form = questionnaire_for(submission.questionnaire_version)
            for indicator in indicators:
                spec = (indicator.admin_forms or {}).get(level)
                if spec is None or level not in indicator.levels:
                    continue
                numerator_q, denominator_q = spec["numerator"], spec.get("denominator")
                numerator = figure_count(
                    answers.get(numerator_q), form.question(numerator_q).missing_codes
                )
                denominator = (
                    figure_count(
                        answers.get(denominator_q), form.question(denominator_q).missing_codes
                    )
                    if denominator_q
                    else None
                )
                if numerator is None or (denominator_q and not denominator):
                    continue  # not answered, or nothing to divide by (no station at all)
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
                        source_kind=kind.value,
                        source=f"{form_id} form {submission.uuid}",
                        department=indicator.department,
                    ),
                    user,
                    reason=f"approved {form_id} form",
                )
                changed += did
    return changed
