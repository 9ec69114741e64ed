"""Write audit log entries: every change to a submission, user, area or questionnaire."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditLog, Submission, TokenUser, User
from ..security.sealing import seal

# Fields whose values are workflow states, never answers: kept readable for the audit screens.
PLAIN_FIELDS = ("status", "content_hash")


def record(
    action: str,
    *,
    user: User | TokenUser | None,
    object_type: str,
    object_id: str | int,
    submission: Submission | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    reason: str = "",
) -> AuditLog:
    """Add one audit entry to the session (committed with the change it describes).

    The old and new values of a sensitive questionnaire's submission are sealed (encrypted).
    """
    if (
        submission is not None
        and field not in PLAIN_FIELDS
        and submission.questionnaire_version.sensitive
    ):
        old, new = seal(old), seal(new)
    entry = AuditLog(
        action=action,
        user_id=user.id if user is not None else None,
        object_type=object_type,
        object_id=str(object_id),
        submission=submission,
        field=field,
        old=old,
        new=new,
        reason=reason,
    )
    db.session.add(entry)
    return entry


def _action_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "submission.start": _("Interview started"),
        "submission.submit": _("Interview submitted"),
        "submission.resubmit": _("Interview submitted again after correction"),
        "submission.approve": _("Interview approved"),
        "submission.return": _("Interview returned for correction"),
        "submission.reject": _("Interview rejected"),
        "submission.correct": _("Answer corrected"),
        "submission.correct_refused": _("Correction refused"),
        "submission.conflict": _("Different copy of an interview kept as a conflict"),
        "user.create": _("User created"),
        "user.active": _("User enabled or disabled"),
        "user.password_reset": _("Password reset"),
        "user.token": _("API token made"),
        "auth.lockout": _("Login locked after failed attempts"),
        "area.create": _("Area created"),
        "areas.load": _("Areas loaded"),
        "assignment.create": _("Assignment created"),
        "assignment.target": _("Assignment target changed"),
        "assignment.households": _("Assignment's household list changed"),
        "assignments.import": _("Assignments imported"),
        "questionnaire.publish": _("Questionnaire version published"),
        "export.microdata": _("Microdata exported"),
        "results.add": _("Report run added"),
        "results.publish": _("Results published"),
        "results.withdraw": _("Results withdrawn"),
        "results.department": _("Department pack made"),
        "simulation.load": _("Simulated survey loaded"),
        "indicator.create": _("Indicator figure entered"),
        "indicator.update": _("Indicator figure changed"),
        "indicator.revise": _("Approved indicator figure revised"),
        "indicator.submitted": _("Indicator figure submitted for approval"),
        "indicator.approved": _("Indicator figure approved"),
        "round.create": _("Survey round created"),
        "round.update": _("Survey round changed"),
        "round.open": _("Survey round opened"),
        "round.close": _("Survey round closed"),
    }


def _object_labels() -> dict[str, str]:
    from flask_babel import gettext as _

    return {
        "area": _("Area"),
        "assignment": _("Assignment"),
        "export": _("Export"),
        "indicator_value": _("Indicator figure"),
        "questionnaire_version": _("Questionnaire version"),
        "report_run": _("Report run"),
        "simulation": _("Simulation"),
        "submission": _("Interview"),
        "submission_conflict": _("Sync conflict"),
        "survey_round": _("Survey round"),
        "user": _("User"),
    }


def action_label(action: str) -> str:
    """An audit action in the reader's language ("submission.return" -> "Interview returned for
    correction"); an action without a label keeps its code."""
    return _action_labels().get(action, action)


def object_label(object_type: str) -> str:
    """The kind of thing an audit entry is about, in the reader's language ("submission" ->
    "Interview"), so a Vietnamese page shows no English code; an unknown kind keeps its code."""
    return _object_labels().get(object_type, object_type)
