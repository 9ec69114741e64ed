"""Personal API tokens of the sync API (submissions go through ``survey_app.submissions``)."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from ..core.audit import record
from ..extensions import db
from ..models import User, utcnow
from .models import ApiToken

TOKEN_PREFIX = "gs_"


def revoke_tokens(user: User) -> int:
    """Revoke every active token of user (a password reset does this); return how many."""
    now = utcnow()
    count = 0
    for old in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        old.revoked_at = now
        count += 1
    return count


# ----------------------------------------------------------------------------- tokens


def hash_token(token: str) -> str:
    """SHA-256 of a token (tokens are long and random, so a fast hash is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """Make a new personal token for user, revoking the previous ones; return it (shown once)."""
    revoke_tokens(user)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    record(
        "user.token",
        user=None,
        object_type="user",
        object_id=user.id,
        field="api_token",
        new="issued",
    )
    return token


@lru_cache(maxsize=1)
def _token_statement() -> Select[ApiToken]:
    """Token and user in one query, built once per process: it runs on every API request."""
    return (
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


def user_for_token(token: str) -> User | None:
    """The active user a token belongs to, or None for an unknown, revoked or inactive one."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(_token_statement(), {"token_hash": hash_token(token)})
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    return row.user
