"""The sync API's happy path: a new interview costs at most two SQL statements on PostgreSQL
(the token with the version, assignment and area, then one insert of the submission with its
receipt and audit entry), and the rows it writes are the full record."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from survey_app.api.models import SubmissionReceipt
from survey_app.extensions import db
from survey_app.models import Area, AuditLog, Submission

from .sync_helpers import GOOD_ANSWERS, envelope

URL = "/api/v1/submissions"


@pytest.fixture
def headers(runner, world) -> dict[str, str]:  # noqa: ANN001
    result = runner.invoke(["users", "token", "enum178"])
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip()}"}


def _watch(engine):  # noqa: ANN001, ANN202
    """Record every statement and transaction end the engine sees; returns (log, stop)."""
    log: list[str] = []

    def on_statement(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        log.append(statement)

    def on_commit(conn) -> None:  # noqa: ANN001
        log.append("COMMIT")

    def on_rollback(conn) -> None:  # noqa: ANN001
        log.append("ROLLBACK")

    listeners = (
        ("before_cursor_execute", on_statement),
        ("commit", on_commit),
        ("rollback", on_rollback),
    )
    for name, function in listeners:
        event.listen(engine, name, function)

    def stop() -> None:
        for name, function in listeners:
            event.remove(engine, name, function)

    return log, stop


# The token is read with the envelope's look-up. PostgreSQL writes the three rows in one
# statement; SQLite, without data-modifying WITH, takes the ORM path: a look-up of the UUID and
# three inserts.
MOST_STATEMENTS = {"postgresql": 2, "sqlite": 5}


def test_new_interview_costs_two_statements_in_one_transaction(app, client, headers) -> None:  # noqa: ANN001
    with app.app_context():
        engine = db.engine
    # Warm-up: the first request of a process parses the questionnaire and fills caches.
    assert client.post(URL, json=envelope(), headers=headers).status_code == 201
    log, stop = _watch(engine)
    try:
        response = client.post(URL, json=envelope(), headers=headers)
    finally:
        stop()
    assert response.status_code == 201, response.get_json()
    statements = [entry for entry in log if entry not in ("COMMIT", "ROLLBACK")]
    assert len(statements) <= MOST_STATEMENTS[engine.dialect.name], "\n\n".join(statements)
    # One transaction: everything is written before the single commit, nothing read after it.
    assert log.count("COMMIT") == 1 and log[-1] == "COMMIT", log
    assert "ROLLBACK" not in log


def test_new_interview_stores_submission_receipt_and_audit_together(app, client, headers) -> None:  # noqa: ANN001
    sent = envelope()
    created = client.post(URL, json=sent, headers=headers)
    assert created.status_code == 201
    # The answer built before the commit is the stored record, as a later read gives it.
    fetched = client.get(f"{URL}/{sent['uuid']}", headers=headers)
    assert fetched.status_code == 200 and created.get_json() == fetched.get_json()
    body = created.get_json()
    assert body["status"] == "submitted" and body["answers"] == GOOD_ANSWERS
    assert body["sha256"] == sent["sha256"] and body["area"] == "17801001"
    with app.app_context():
        row = db.session.scalar(select(Submission).where(Submission.uuid == sent["uuid"]))
        district = db.session.scalar(select(Area).where(Area.code == "178"))
        assert row.status == "submitted" and row.row_version == 1 and row.page == 0
        assert row.district_id == district.id and row.area.code == "17801001"
        assert row.assignment.area_id == row.area_id and row.enumerator.username == "enum178"
        assert row.answers == GOOD_ANSWERS and row.submitted_at is not None
        receipt = db.session.scalar(
            select(SubmissionReceipt).where(SubmissionReceipt.submission_id == row.id)
        )
        assert receipt.uuid == sent["uuid"] and receipt.content_hash == sent["sha256"]
        assert receipt.channel == "api"
        entries = db.session.scalars(select(AuditLog).where(AuditLog.submission_id == row.id)).all()
        assert [(e.action, e.field, e.old, e.new, e.reason) for e in entries] == [
            ("submission.submit", "status", "draft", "submitted", "sync:api")
        ]
        assert entries[0].user_id == row.enumerator_id and entries[0].object_id == sent["uuid"]
