"""Login checks: backoff and lockout per account and per address, constant-cost password check.

Every failed login counts against the account name and against the client's address. After
``LOGIN_MAX_FAILURES_ACCOUNT`` failures (default 5) the account is locked for
``LOGIN_LOCK_SECONDS`` (default 60), and each further failure while counting doubles the lock
(capped at one hour); the address gets the same with ``LOGIN_MAX_FAILURES_ADDRESS`` (default
20). A lock refuses even the right password; a success clears the account's count. Locks are
kept in the database, so every worker process sees them, and each new lock is audited.

Unknown names cost the same as known ones: the password is checked against a dummy hash made
with the same method, so response time does not reveal which names exist.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import overload

from flask import current_app, request
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.audit import record
from ..extensions import db
from ..models import User, utcnow
from .models import LoginThrottle

MAX_LOCK_SECONDS = 3600


@overload
def _aware(moment: datetime) -> datetime: ...
@overload
def _aware(moment: None) -> None: ...
def _aware(moment: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; every stored time is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def client_address() -> str:
    """The client's address as the server sees it (a proxy must set it: see SECURITY.md)."""
    return (request.remote_addr or "unknown")[:100]


def account_key(username: str) -> str:
    """The throttle key of a user name: a hash, since people type passwords into the name
    field by mistake and the table must not keep them."""
    digest = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
    return f"user:{digest[:40]}"


def _keys(username: str) -> list[tuple[str, str]]:
    return [
        (account_key(username), "LOGIN_MAX_FAILURES_ACCOUNT"),
        (f"addr:{client_address()}", "LOGIN_MAX_FAILURES_ADDRESS"),
    ]


def _rows(username: str) -> dict[str, LoginThrottle]:
    keys = [key for key, _setting in _keys(username)]
    return {
        row.key: row
        for row in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    }


def locked_for(username: str) -> int:
    """Seconds until this name may try again from this address (0 when not locked)."""
    now = utcnow()
    waits = [
        (_aware(row.locked_until) - now).total_seconds()
        for row in _rows(username).values()
        if row.locked_until is not None and _aware(row.locked_until) > now
    ]
    return int(max(waits, default=0)) + (1 if waits else 0)


def note_failure(username: str) -> None:
    """Count a failed login; lock the account or the address when its limit is reached."""
    rows = _rows(username)
    now = utcnow()
    base = int(current_app.config.get("LOGIN_LOCK_SECONDS", 60))
    for key, setting in _keys(username):
        limit = int(current_app.config.get(setting, 5 if key.startswith("user:") else 20))
        row = rows.get(key)
        if row is None:
            row = LoginThrottle(key=key, failures=0)
            db.session.add(row)
        row.failures = (row.failures or 0) + 1
        if row.failures >= limit:
            seconds = min(base * 2 ** (row.failures - limit), MAX_LOCK_SECONDS)
            row.locked_until = now + timedelta(seconds=seconds)
            account = db.session.scalar(select(User.id).where(User.username == username.strip()))
            record(
                "auth.lockout",
                user=None,
                object_type="user" if key.startswith("user:") else "address",
                object_id=(account or "unknown name") if key.startswith("user:") else key[5:],
                field="locked_seconds",
                new=seconds,
                reason=f"{row.failures} failed logins",
            )


def note_success(username: str) -> None:
    """Clear the account's count after a successful login (the address keeps its own)."""
    clear_account_lock(username)


def clear_account_lock(username: str) -> None:
    """Lift the lockout and the failure count of an account (an administrator's reset does)."""
    key = account_key(username)
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
    if row is not None:
        db.session.delete(row)


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not a password of anyone", method=method)


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, or None; costs the same for unknown names."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        check_password_hash(_dummy_hash(method), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user
