"""Survey rounds in the app: new interviews go into the open round, none while all are closed,
and an interview keeps its round when it is sent again or corrected."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import Submission, SurveyRound

from .sync_helpers import envelope

URL = "/api/v1/submissions"


@pytest.fixture
def token(app, runner, world) -> str:  # noqa: ANN001
    result = runner.invoke(["users", "token", "enum178"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def round_of(app, uuid: str) -> str:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(
            select(SurveyRound.code)
            .join(Submission, Submission.round_id == SurveyRound.id)
            .where(Submission.uuid == uuid)
        )


def test_existing_rows_and_new_interviews_are_in_the_open_round(app, client, token) -> None:  # noqa: ANN001
    from survey_app.admin.rounds import create_round, open_round_code

    first = envelope()
    assert client.post(URL, json=first, headers=bearer(token)).status_code == 201
    with app.app_context():
        [default] = db.session.scalars(select(SurveyRound)).all()
        assert default.is_open and default.kind == "baseline"
        stamped = set(db.session.scalars(select(Submission.round_id)))
        assert stamped == {default.id}  # the world's interviews and the new one
        default_code = default.code
        create_round("2018", "Giữa kỳ 2018", "Mid-term 2018", 2018, "mid-term")
        open_round_code("2018")
        db.session.commit()
    assert round_of(app, first["uuid"]) == default_code
    # The world's assignment belongs to the closed default round: a new interview finds none.
    refused = client.post(URL, json=envelope(), headers=bearer(token))
    assert refused.status_code == 422
    assert client.post(URL, json=first, headers=bearer(token)).status_code == 200


def test_no_open_round_refuses_new_interviews_but_not_a_resend(app, client, token, auth) -> None:  # noqa: ANN001
    from survey_app.admin.rounds import close_round_code

    sent = envelope()
    assert client.post(URL, json=sent, headers=bearer(token)).status_code == 201
    with app.app_context():
        code = db.session.scalar(select(SurveyRound.code))
        close_round_code(code)
        db.session.commit()
    refused = client.post(URL, json=envelope(), headers=bearer(token))
    assert refused.status_code == 403
    assert "Chưa có đợt điều tra nào đang mở" in refused.get_json()["error"]
    assert client.post(URL, json=sent, headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/assignments", headers=bearer(token)).get_json()["assignments"] == []
    auth.login("enum178")
    with app.app_context():
        before = db.session.query(Submission).count()
        assignment_id = db.session.scalar(select(Submission.assignment_id))
    page = client.get("/collect/").get_data(as_text=True)
    assert "Chưa có đợt điều tra nào đang mở" in page
    response = client.post(f"/collect/assignments/{assignment_id}/start", data={})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(Submission).count() == before


def test_the_database_keeps_a_second_round_from_opening(app) -> None:  # noqa: ANN001
    from survey_app.core.rounds import open_round

    with app.app_context():
        assert open_round() is not None  # a fresh database gets its default round
        db.session.add(
            SurveyRound(
                code="2018",
                label_vi="Giữa kỳ",
                label_en="Mid-term",
                reference_year=2018,
                kind="mid-term",
                status="open",
                settings={},
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
