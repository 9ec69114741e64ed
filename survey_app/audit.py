"""Write audit log entries: every change to a submission, user, area or questionnaire."""

from __future__ import annotations

from typing import Any

from .extensions import db
from .models import AuditLog, Submission, User


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
    """Add one audit entry to the session (committed with the change it describes)."""
    entry = AuditLog(
        action=action,
        user_id=user.id if user is not None else None,
        object_type=object_type,
        object_id=str(object_id),
        submission_id=submission.id if submission is not None else None,
        field=field,
        old=old,
        new=new,
        reason=reason,
    )
    db.session.add(entry)
    return entry
