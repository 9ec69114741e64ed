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
from ..core.rounds import open_round
from ..extensions import db
from ..models import TokenUser, User, utcnow
from ..submissions.services import (
    Intake,
    begin_single_statement,
    intake_of,
    intake_parameters,
    intake_select,
)
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
# delay for throughput may set a few seconds. A new interview (POST /submissions) never uses the
# cache: its token is read with the envelope's look-up, in the same statement
# (:func:`user_and_intake_for_token`), so it costs no round trip of its own.
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


def _token_user(
    revoked_at: Any, active: Any, user_id: int, username: str, role: str, language: str
) -> TokenUser | None:
    """The token's user from the look-up's columns; None when revoked or inactive."""
    if revoked_at is not None or not active:
        return None
    return TokenUser(user_id, username, role, language)


def _usable(token: str) -> bool:
    return bool(token) and len(token) <= 200


def user_for_token(token: str) -> TokenUser | None:
    """The active user a token belongs to, or None for an unknown, revoked or inactive one.

    With ``TOKEN_CACHE_SECONDS`` above 0 (default 0: every request looks its token up, so a
    revocation works at once everywhere) a found user is kept that long in this process;
    unknown tokens are never kept (a token just issued elsewhere works at once).
    """
    if not _usable(token):
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
    user = _token_user(*row)
    if user is None:
        cache.pop(digest, None)
        return None
    seconds = float(current_app.config.get("TOKEN_CACHE_SECONDS", DEFAULT_TOKEN_CACHE_SECONDS))
    if seconds <= 0:
        return user
    if len(cache) >= _MAX_CACHED_TOKENS:
        cache.clear()
    cache[digest] = (now + seconds, user)
    return user


@lru_cache(maxsize=1)
def _token_intake_statement() -> Select[Any]:
    """The token's state and user, then the intake's look-up for that user, in one statement
    (bind parameters token_hash and the intake's; see ``intake_select``)."""
    token = _token_statement()
    tokens, users = (cast(Table, model.__table__) for model in (ApiToken, User))
    return intake_select(
        users.c.id,
        start=tokens.join(users, users.c.id == tokens.c.user_id),
        leading=tuple(token.selected_columns),
    ).where(tokens.c.token_hash == bindparam("token_hash"))


@lru_cache(maxsize=4)
def _compiled_token_intake_statement(dialect: Dialect) -> DriverStatement:
    return DriverStatement.compile(_token_intake_statement(), dialect)


def user_and_intake_for_token(token: str, body: Any) -> tuple[TokenUser | None, Intake | None]:
    """The token's active user (None as :func:`user_for_token` gives it) and, when body is an
    envelope the intake will look up, that look-up made in the same statement.

    A new interview through the sync API then costs two statements in all, this one and the
    insert, and the token is read from the database on every request (no cache: a revoked
    token or a deactivated user is refused at once). The session begins in autocommit mode
    first when the insert will commit by itself (see ``begin_single_statement``). Any other
    body gets :func:`user_for_token` and no intake: the envelope will be refused before its
    look-up, or looked up after it as on any other path.
    """
    if not _usable(token):
        return None, None
    current = open_round()  # read (when not cached) before autocommit mode may begin
    parameters = intake_parameters(body, current.id if current else None)
    if parameters is None:
        return user_for_token(token), None
    begin_single_statement()
    digest = hash_token(token)
    connection = db.session.connection()
    row = _compiled_token_intake_statement(connection.dialect).first(
        connection, {"token_hash": digest, **parameters}
    )
    if row is None:
        return None, None
    user = _token_user(*row[:6])
    if user is None:
        # Other routes may hold it in the optional cache: they refuse it from now on too.
        current_app.extensions.get(TOKEN_CACHE_KEY, {}).pop(digest, None)
        return None, None
    return user, intake_of(row[6:], parameters, user.id)


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
