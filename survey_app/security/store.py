"""Find and re-encrypt every sealed or sensitive value in the database.

Used by ``gesurvey keys rotate`` and by the migration that seals rows stored in clear before
encryption existed. Rows are changed with Core statements, so the append-only guard of the
audit log (an ORM event) does not refuse this one sanctioned rewrite, and a submission's
row_version is left as it was (the content did not change).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select, update

from ..extensions import db
from ..models import AuditLog, QuestionnaireVersion, Submission
from ..submissions.models import SubmissionConflict
from .sealing import is_sealed, reseal

PLAIN_AUDIT_FIELDS = ("status", "content_hash")


def sensitive_version_ids() -> set[int]:
    """Ids of the published versions of sensitive questionnaires."""
    return {
        version.id
        for version in db.session.scalars(select(QuestionnaireVersion))
        if version.sensitive
    }


def _needs(value: Any, sensitive: bool) -> bool:
    return is_sealed(value) or (sensitive and value not in (None, {}, []))


def reseal_everything() -> dict[str, int]:
    """Seal under the newest key every sealed value, and every clear value that should be
    sealed (answers of sensitive submissions, their conflicts and audit values); return counts.
    """
    sensitive_versions = sensitive_version_ids()
    counts = {"submission": 0, "submission_conflict": 0, "audit_log": 0}
    table = cast(Table, Submission.__table__)  # mapped classes' tables are Tables
    sensitive_ids: set[int] = set()
    for row_id, version_id, answers in db.session.execute(
        select(table.c.id, table.c.questionnaire_version_id, table.c.answers)
    ):
        sensitive = version_id in sensitive_versions
        if sensitive:
            sensitive_ids.add(row_id)
        if _needs(answers, sensitive):
            db.session.execute(
                update(table).where(table.c.id == row_id).values(answers=reseal(answers))
            )
            counts["submission"] += 1
    table = cast(Table, SubmissionConflict.__table__)  # mapped classes' tables are Tables
    for row_id, submission_id, content in db.session.execute(
        select(table.c.id, table.c.submission_id, table.c.content)
    ):
        if not isinstance(content, dict):
            continue
        answers = content.get("answers")
        if _needs(answers, submission_id in sensitive_ids):
            db.session.execute(
                update(table)
                .where(table.c.id == row_id)
                .values(content={**content, "answers": reseal(answers)})
            )
            counts["submission_conflict"] += 1
    table = cast(Table, AuditLog.__table__)  # mapped classes' tables are Tables
    for row_id, submission_id, field, old, new in db.session.execute(
        select(table.c.id, table.c.submission_id, table.c.field, table.c.old, table.c.new)
    ):
        sensitive = submission_id in sensitive_ids and field not in PLAIN_AUDIT_FIELDS
        values = {}
        if _needs(old, sensitive) and old is not None:
            values["old"] = reseal(old)
        if _needs(new, sensitive) and new is not None:
            values["new"] = reseal(new)
        if values:
            db.session.execute(update(table).where(table.c.id == row_id).values(**values))
            counts["audit_log"] += 1
    return counts
