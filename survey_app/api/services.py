"""Personal API tokens of the sync API (submissions go through ``survey_app.submissions``)."""

from __future__ import annotations

import hashlib
import secrets
import time
from functools import lru_cache
from typing import Any, cast

from flask import current_app, has_app_context
from sqlalchemy import Select, Table, bindparam, event, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from ..core.audit import record
from ..core.driver_sql import DriverStatement
from ..extensions import db
from ..models import TokenUser, User, utcnow
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


# Token look-ups may be kept this long per process (``TOKEN_CACHE_SECONDS``). Off by default: a
# token revoked, or a user deactivated or given another role, must stop working at once in every
# gunicorn worker, and a cached look-up is honoured in another process until it expires (in the
# process that made the change it is forgotten at once, below). An operator who accepts that
# delay for throughput may set a few seconds.
DEFAULT_TOKEN_CACHE_SECONDS = 0.0
TOKEN_CACHE_KEY = "gesurvey.api_tokens"
_MAX_CACHED_TOKENS = 10_000
_CHANGED = "gesurvey.tokens_changed"


@lru_cache(maxsize=1)
def _token_statement() -> Select[Any]:
    """The token's state and its user's columns in one Core query, built once per process: it
    runs on every API request whose token is not in the cache (no ORM objects are built)."""
    tokens, users = (cast(Table, model.__table__) for model in (ApiToken, User))
    return (
        select(
            tokens.c.revoked_at,
            users.c.active,
            users.c.id,
            users.c.username,
            users.c.role,
            users.c.language,
        )
        .select_from(tokens.join(users, users.c.id == tokens.c.user_id))
        .where(tokens.c.token_hash == bindparam("token_hash"))
    )


@lru_cache(maxsize=4)
def _compiled_token_statement(dialect: Dialect) -> DriverStatement:
    return DriverStatement.compile(_token_statement(), dialect)


def user_for_token(token: str) -> TokenUser | None:
    """The active user a token belongs to, or None for an unknown, revoked or inactive one.

    With ``TOKEN_CACHE_SECONDS`` above 0 (default 0: every request looks its token up, so a
    revocation works at once everywhere) a found user is kept that long in this process;
    unknown tokens are never kept (a token just issued elsewhere works at once).
    """
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    cache: dict[str, tuple[float, TokenUser]] = current_app.extensions.setdefault(
        TOKEN_CACHE_KEY, {}
    )
    now = time.monotonic()
    hit = cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    connection = db.session.connection()
    row = _compiled_token_statement(connection.dialect).first(connection, {"token_hash": digest})
    if row is None:
        return None
    revoked_at, active, user_id, username, role, language = row
    if revoked_at is not None or not active:
        cache.pop(digest, None)
        return None
    user = TokenUser(user_id, username, role, language)
    seconds = float(current_app.config.get("TOKEN_CACHE_SECONDS", DEFAULT_TOKEN_CACHE_SECONDS))
    if seconds <= 0:
        return user
    if len(cache) >= _MAX_CACHED_TOKENS:
        cache.clear()
    cache[digest] = (now + seconds, user)
    return user


def forget_tokens() -> None:
    """Drop this process's cached token look-ups (a token or user changed)."""
    if has_app_context():
        current_app.extensions.pop(TOKEN_CACHE_KEY, None)


@event.listens_for(Session, "after_flush")
def _tokens_changed(session: Session, _context: Any) -> None:
    """A flush that writes a user or a token forgets the cached look-ups, and again at commit
    (a request that read the old row between the flush and the commit cached it again)."""
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, User | ApiToken):
            session.info[_CHANGED] = True
            forget_tokens()
            return


@event.listens_for(Session, "after_commit")
def _tokens_committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_tokens()
