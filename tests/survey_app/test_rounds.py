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


def test_admin_creates_edits_opens_and_closes_rounds(app, client, auth, world) -> None:  # noqa: ANN001
    from survey_app.models import AuditLog

    auth.login("admin")
    created = client.post(
        "/admin/rounds",
        data={
            "code": "2018",
            "label_vi": "Giữa kỳ 2018",
            "label_en": "Mid-term 2018",
            "reference_year": "2018",
            "kind": "mid-term",
            "field_start": "2018-09-01",
            "field_end": "2018-11-30",
            "party_term": "2015–2020",
        },
    )
    assert created.status_code == 302
    bad = client.post(
        "/admin/rounds",
        data={
            "code": "2019",
            "label_vi": "x",
            "label_en": "x",
            "reference_year": "2019",
            "kind": "annual",
            "field_start": "2019-09-01",
            "field_end": "2019-01-01",
        },
    )
    assert "field_end" in bad.get_data(as_text=True)  # named, and nothing saved
    assert client.post("/admin/rounds/2018/status", data={"action": "open"}).status_code == 302
    edited = client.post(
        "/admin/rounds/2018/edit",
        data={
            "code": "2018",
            "label_vi": "Giữa kỳ 2018",
            "label_en": "Mid-term review 2018",
            "reference_year": "2018",
            "kind": "mid-term",
            "field_start": "",
            "field_end": "",
            "party_term": "2020–2025",
        },
    )
    assert edited.status_code == 302
    page = client.get("/admin/rounds").get_data(as_text=True)
    assert "Giữa kỳ 2018" in page and "2020–2025" in page
    with app.app_context():
        statuses = dict(db.session.execute(select(SurveyRound.code, SurveyRound.status)).all())
        stored = db.session.scalar(select(SurveyRound).where(SurveyRound.code == "2018"))
        assert stored.label_en == "Mid-term review 2018"
        assert stored.settings == {"party_term": "2020–2025"} and stored.field_start is None
        actions = set(db.session.scalars(select(AuditLog.action)))
    assert statuses["2018"] == "open" and list(statuses.values()).count("open") == 1
    assert "2019" not in statuses
    assert {"round.create", "round.open", "round.close", "round.update"} <= actions
    assert client.post("/admin/rounds/2018/status", data={"action": "close"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(SurveyRound.status).where(SurveyRound.code == "2018")) == (
            "closed"
        )


def test_rounds_command_lists_creates_opens_and_closes(app, runner) -> None:  # noqa: ANN001
    made = runner.invoke(
        [
            "rounds", "create", "2020", "--label-vi", "Cuối kỳ 2020", "--label-en", "Final 2020",
            "--year", "2020", "--kind", "final", "--party-term", "2020–2025", "--open",
        ]
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "Survey round 2020: open."
    listed = runner.invoke(["rounds", "list"]).output.splitlines()
    assert listed == ["2020\topen\t2020\tfinal\t..\tCuối kỳ 2020 / Final 2020\t2020–2025"]
    assert runner.invoke(["rounds", "close", "2020"]).output.strip() == "Survey round 2020: closed."
    unknown = runner.invoke(["rounds", "open", "1999"])
    assert unknown.exit_code != 0 and "1999" in unknown.output
    twice = runner.invoke(
        ["rounds", "create", "2020", "--label-vi", "x", "--label-en", "x", "--year", "2020",
         "--kind", "final"]
    )  # fmt: skip
    assert twice.exit_code != 0 and "2020" in twice.output


def test_the_form_gets_its_rounds_words_for_question_texts(app, client, auth, world, token) -> None:  # noqa: ANN001
    import json as json_module

    from survey_app.admin.rounds import find_round, update_round

    with app.app_context():
        item = db.session.scalar(select(SurveyRound))
        update_round(
            find_round(item.code),
            item.label_vi,
            item.label_en,
            item.reference_year,
            item.kind,
            None,
            None,
            {"party_term": "2020–2025"},
        )
        db.session.commit()
    listed = client.get("/api/v1/assignments", headers=bearer(token)).get_json()
    assert listed["round"]["placeholders"] == {"round.party_term": "2020–2025"}
    auth.login("enum178")
    page = client.get(f"/collect/interview/{world.own_draft}").get_data(as_text=True)
    data = page.split('id="gesurvey-form-data">', 1)[1].split("</script>", 1)[0]
    assert json_module.loads(data)["placeholders"] == {"round.party_term": "2020–2025"}
