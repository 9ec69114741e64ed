"""Write audit log entries: every change to a submission, user, area or questionnaire."""

from __future__ import annotations

from typing import Any

from .extensions import db
from .models import AuditLog, Submission, User
from .security.sealing import seal

# Fields whose values are workflow states, never answers: kept readable for the audit screens.
PLAIN_FIELDS = ("status", "content_hash")


def record(
    action: str,
    *,
    user: User | None,
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
