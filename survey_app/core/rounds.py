"""The open survey round, looked up once per few seconds per process, and the default round.

Enumerators collect only into the open round (at most one is open). The intake asks for it on
every new interview, so the answer is kept in the app for ``ROUND_CACHE_SECONDS`` (default 10):
the sync API's happy path costs no extra statement. Opening, closing or editing a round through
:mod:`survey_app.admin.rounds` forgets the cached answer at once in this process; other processes
see the change within the cache's lifetime.

A database without any round (a fresh install before ``gesurvey setup``, tests) gets the default
round, open, on first use — the same round the migration makes for data collected before rounds
existed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Connection

from questionnaires.errors import GesurveyError

from ..extensions import db
from ..models import SurveyRound

CACHE_KEY = "gesurvey.open_round"
DEFAULT_CACHE_SECONDS = 10.0


class NoOpenRound(GesurveyError):
    """New interviews are refused: no survey round is open."""

    code = "no_open_round"


NO_OPEN_ROUND_EN = (
    "No survey round is open, so new interviews cannot be started; ask the administrator to "
    "open a round."
)
NO_OPEN_ROUND_VI = (
    "Chưa có đợt điều tra nào đang mở nên không thể bắt đầu phỏng vấn mới; đề nghị quản trị "
    "viên mở một đợt."
)


@dataclass(frozen=True)
class OpenRound:
    """What the intake and the form need of the open round, detached from any session."""

    id: int
    code: str
    label_vi: str
    label_en: str
    settings: dict[str, Any] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        """The label in lang (Vietnamese unless lang is 'en')."""
        return self.label_en if lang == "en" else self.label_vi


def _from_row(row: Any) -> OpenRound:
    return OpenRound(row.id, row.code, row.label_vi, row.label_en, dict(row.settings or {}))


def _columns() -> tuple[Any, ...]:
    table = SurveyRound.__table__
    return (table.c.id, table.c.code, table.c.label_vi, table.c.label_en, table.c.settings)


def _cached() -> tuple[bool, OpenRound | None]:
    entry = current_app.extensions.get(CACHE_KEY)
    if entry is not None and entry[0] > time.monotonic():
        return True, entry[1]
    return False, None


def _remember(found: OpenRound | None) -> None:
    seconds = float(current_app.config.get("ROUND_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    current_app.extensions[CACHE_KEY] = (time.monotonic() + seconds, found)


def forget_open_round() -> None:
    """Drop the cached open round (after a round is opened, closed or edited)."""
    current_app.extensions.pop(CACHE_KEY, None)


def open_round() -> OpenRound | None:
    """The open round, or None when every round is closed (a fresh database gets its default)."""
    hit, found = _cached()
    if hit:
        return found
    row = db.session.execute(select(*_columns()).where(SurveyRound.status == "open")).first()
    if row is None and db.session.scalar(select(func.count()).select_from(SurveyRound)) == 0:
        created = ensure_default_round()
        return _from_row(created)
    found = _from_row(row) if row is not None else None
    _remember(found)
    return found


def default_round_values(year: int) -> dict[str, Any]:
    """The default round's columns: the first round a database has, open, for ``year``."""
    return {
        "code": str(year),
        "label_vi": f"Đợt điều tra {year}",
        "label_en": f"Survey round {year}",
        "reference_year": year,
        "kind": "baseline",
        "status": "open",
        "settings": {},
    }


def ensure_default_round() -> SurveyRound:
    """The default round when the database has none yet (setup, first use); else the open or
    newest round. Not cached here: the caller's transaction may still roll back."""
    existing = db.session.scalar(
        select(SurveyRound).order_by((SurveyRound.status == "open").desc(), SurveyRound.id.desc())
    )
    if existing is not None:
        return existing
    created = SurveyRound(**default_round_values(datetime.now(UTC).year))
    db.session.add(created)
    db.session.flush()
    return created


def round_for_new_rows(connection: Connection) -> int:
    """The round id for a row made without one, inside a flush (no session use allowed).

    The open round; the default round (made here) when the database has no round at all;
    :class:`NoOpenRound` when rounds exist and all are closed.
    """
    hit, found = _cached()
    if hit and found is not None:
        return found.id
    table = SurveyRound.__table__
    assert isinstance(table, Table)
    row = connection.execute(select(*_columns()).where(table.c.status == "open")).first()
    if row is not None:
        return int(row.id)
    if connection.execute(select(func.count()).select_from(table)).scalar_one() == 0:
        values = {**default_round_values(datetime.now(UTC).year), "created_at": datetime.now(UTC)}
        key = connection.execute(insert(table).values(**values)).inserted_primary_key
        assert key is not None
        return int(key[0])
    raise NoOpenRound(NO_OPEN_ROUND_EN, NO_OPEN_ROUND_VI)
