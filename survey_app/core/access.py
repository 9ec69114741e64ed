"""Access rules: who may open which screen and see which submission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select

from ..models import Area, Role, Submission, User


def role_required(*roles: str) -> Callable:
    """Let in logged-in users whose role is in roles; others get 403, anonymous users login."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_see_submission(user: User, submission: Submission) -> bool:
    """Enumerators see their own; supervisors their area; admins all; others none."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.ENUMERATOR:
        return submission.enumerator_id == user.id
    if user.role == Role.SUPERVISOR:
        return user.covers(submission.area)
    return False


def visible_submissions(user: User, query: Select) -> Select:
    """Restrict a Submission query to what user may see (same rules as can_see_submission)."""
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.ENUMERATOR:
        return query.where(Submission.enumerator_id == user.id)
    if user.role == Role.SUPERVISOR:
        ids = area_ids_within(user.area)
        if ids is None:
            return query
        return query.where(Submission.area_id.in_(ids))
    return query.where(Submission.id.is_(None))


def area_ids_within(area: Area | None) -> set[int] | None:
    """Ids of area and everything below it; None means no limit (a user without an area)."""
    if area is None:
        return None
    ids: set[int] = set()
    stack = [area]
    while stack:
        node = stack.pop()
        ids.add(node.id)
        stack.extend(node.children)
    return ids
