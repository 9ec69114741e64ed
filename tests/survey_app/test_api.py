"""The sync API: authentication, exactly-once submissions (201/200/409), validation (422),
size limit (413), CSRF only for session requests, and interviews kept on their version."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from survey_app import create_app
from survey_app.api.models import ApiToken, SubmissionConflict, SubmissionReceipt
from survey_app.extensions import db
from survey_app.models import AuditLog, Submission, User

from .conftest import BASE_CONFIG, TEST_PASSWORD, load_test_form
from .sync_helpers import GOOD_ANSWERS, envelope, reference_hash

URL = "/api/v1/submissions"


def count(app, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def token(app, runner, world) -> str:  # noqa: ANN001
    result = runner.invoke(["users", "token", "enum178"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/assignments"),
        ("get", "/api/v1/questionnaires"),
        ("post", URL),
        ("get", "/api/v1/questionnaires/test_household/versions/1.0.0"),
    ],
)
def test_anonymous_requests_get_401(client, world, method, path) -> None:  # noqa: ANN001
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.get_json()


def test_unknown_or_revoked_token_gets_401(app, client, runner, token) -> None:  # noqa: ANN001
    assert client.get("/api/v1/assignments", headers=bearer("gs_nonsense")).status_code == 401
    newer = runner.invoke(["users", "token", "enum178"]).output.strip()
    assert client.get("/api/v1/assignments", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/assignments", headers=bearer(newer)).status_code == 200


def test_a_token_revoked_or_a_user_deactivated_elsewhere_stops_working_at_once(
    app, client, token
) -> None:  # noqa: ANN001
    """A revocation made by another process (another gunicorn worker, an operator's SQL) is
    not seen by this process's session events, yet the next request is refused."""
    assert client.get("/api/v1/assignments", headers=bearer(token)).status_code == 200
    users, tokens = User.__table__, ApiToken.__table__
    with app.app_context(), db.engine.begin() as elsewhere:
        elsewhere.execute(update(users).where(users.c.username == "enum178").values(active=False))
    assert client.get("/api/v1/assignments", headers=bearer(token)).status_code == 401
    with app.app_context(), db.engine.begin() as elsewhere:
        elsewhere.execute(update(users).where(users.c.username == "enum178").values(active=True))
        elsewhere.execute(update(tokens).values(revoked_at=func.now()))
    assert client.get("/api/v1/assignments", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    "change,status",
    [({"active": False}, 401), ({"revoked": True}, 401), ({"role": "supervisor"}, 403)],
)
def test_a_submission_is_refused_at_once_when_its_token_or_user_changed_elsewhere(
    app, client, token, change, status
) -> None:  # noqa: ANN001
    """The token of POST /submissions is read with the envelope's look-up: refused as on any
    route whatever the body (a new interview, an invalid envelope, broken JSON), nothing kept."""
    assert client.post(URL, json=envelope(), headers=bearer(token)).status_code == 201
    users, tokens = User.__table__, ApiToken.__table__
    with app.app_context(), db.engine.begin() as elsewhere:
        if "revoked" in change:
            elsewhere.execute(update(tokens).values(revoked_at=func.now()))
        else:
            elsewhere.execute(update(users).where(users.c.username == "enum178").values(**change))
    stored = count(app, Submission), count(app, AuditLog)
    for body in (envelope(), {**envelope(), "uuid": "nope"}, "{broken"):
        sent = {"json": body} if isinstance(body, dict) else {"data": body}
        response = client.post(
            URL, **sent, headers={**bearer(token), "Content-Type": "application/json"}
        )
        assert response.status_code == status, (body, response.get_json())
        assert (status == 401) == ("WWW-Authenticate" in response.headers)
    assert (count(app, Submission), count(app, AuditLog)) == stored


def test_token_is_stored_hashed_only(app, token) -> None:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(select(ApiToken)).all()
    assert len(rows) == 1 and token not in rows[0].token_hash
    assert token.startswith("gs_") and len(token) > 40


def test_token_for_unknown_user_is_a_clear_error(runner, world) -> None:  # noqa: ANN001
    result = runner.invoke(["users", "token", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output


def test_openapi_document_describes_the_api(client) -> None:  # noqa: ANN001
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert {"/submissions", "/assignments", "/questionnaires"} <= set(document["paths"])
    responses = document["paths"]["/submissions"]["post"]["responses"]
    assert {"200", "201", "409", "413", "422", "401"} <= set(responses)


def test_assignments_and_questionnaire_with_asts(client, token) -> None:  # noqa: ANN001
    data = client.get("/api/v1/assignments", headers=bearer(token)).get_json()
    assert data["user"] == "enum178"
    [assignment] = data["assignments"]
    assert assignment["area"]["code"] == "17801001"
    assert assignment["current_version"]["version"] == "1.0.0"
    listed = client.get("/api/v1/questionnaires", headers=bearer(token)).get_json()
    url = listed["questionnaires"][0]["url"]
    definition = client.get(url, headers=bearer(token)).get_json()
    assert definition["id"] == "test_household"
    assert '"ast"' in client.get(url, headers=bearer(token)).get_data(as_text=True)


def test_new_then_same_then_different_content(app, client, token) -> None:  # noqa: ANN001
    first = envelope()
    created = client.post(URL, json=first, headers=bearer(token))
    assert created.status_code == 201
    assert created.get_json()["sha256"] == first["sha256"]
    again = client.post(URL, json=first, headers=bearer(token))
    assert again.status_code == 200
    assert again.get_json()["uuid"] == first["uuid"]
    assert again.get_json()["answers"] == GOOD_ANSWERS
    edited = envelope({**GOOD_ANSWERS, "HH01": "Nông Thị B"}, uuid=first["uuid"])
    conflict = client.post(URL, json=edited, headers=bearer(token))
    assert conflict.status_code == 409
    assert conflict.get_json()["stored_sha256"] == first["sha256"]
    assert client.post(URL, json=edited, headers=bearer(token)).status_code == 409
    with app.app_context():
        [stored] = db.session.scalars(
            select(Submission).where(Submission.uuid == first["uuid"])
        ).all()
        assert stored.answers["HH01"] == "Hoàng Văn A"  # never overwritten
        assert stored.status == "submitted"
        [kept] = db.session.scalars(select(SubmissionConflict)).all()
        assert kept.content["answers"]["HH01"] == "Nông Thị B"
        actions = db.session.scalars(
            select(AuditLog.action).where(AuditLog.submission_id == stored.id)
        ).all()
        assert sorted(actions) == ["submission.conflict", "submission.submit"]


def test_hash_is_sha256_of_canonical_json(client, token) -> None:  # noqa: ANN001
    """The server hashes sorted-key, compact, UTF-8 JSON of the content fields.

    The expected value was computed outside Python, with ``printf '%s' TEXT | sha256sum`` on the
    canonical text spelled out below; the hash field itself is not covered.
    """
    from survey_app.submissions.canonical import canonical_json, content_hash, content_of

    body = {
        "uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "started_at": "2026-11-30T08:00:00+07:00",
        "questionnaire_version": "1.0.0",
        "questionnaire_id": "test_household",
        "area": "17801001",
        "answers": {"roster": [{"M03": 1}], "HH02": 2, "HH01": "Hoàng Văn A"},
        "ended_at": "2026-11-30T09:00:00+07:00",
        "sha256": "not part of the content",
    }
    assert canonical_json(content_of(body)) == (
        '{"answers":{"HH01":"Hoàng Văn A","HH02":2,"roster":[{"M03":1}]},"area":"17801001",'
        '"ended_at":"2026-11-30T09:00:00+07:00","questionnaire_id":"test_household",'
        '"questionnaire_version":"1.0.0","started_at":"2026-11-30T08:00:00+07:00",'
        '"uuid":"7c9e6679-7425-40de-944b-e07fc1f90ae7"}'
    )
    assert content_hash(body) == "4908c6b26768047a456f85e06278b15e4c085455750644cc6830bd94a61a7316"
    sent = envelope()
    response = client.post(URL, json=sent, headers=bearer(token))
    assert response.status_code == 201
    assert response.get_json()["sha256"] == content_hash(sent) == sent["sha256"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"sha256": "0" * 64}, "sha256"),
        ({"sha256": "not hex"}, "sha256"),
        ({"uuid": "not-a-uuid"}, "uuid"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-11-30T08:00:00"}, "started_at"),  # no time zone
        ({"ended_at": "2026-11-30T07:00:00+07:00"}, "ended_at"),
        ({"extra": 1}, "extra"),
        ({"answers": []}, "answers"),
        ({"area": "18001001"}, "area"),  # not this enumerator's area
        ({"questionnaire_version": "9.9.9"}, "questionnaire_version"),
    ],
)
def test_invalid_envelopes_get_422_naming_the_field(app, client, token, change, field) -> None:  # noqa: ANN001
    body = envelope()
    body.update(change)
    if field not in ("sha256", "uuid", "extra"):
        content = {k: v for k, v in body.items() if k != "sha256"}
        body["sha256"] = reference_hash(content)
    response = client.post(URL, json=body, headers=bearer(token))
    assert response.status_code == 422, response.get_json()
    assert field in [error["field"] for error in response.get_json()["errors"]]
    assert count(app, SubmissionReceipt) == 0


def test_missing_field_is_named(client, token) -> None:  # noqa: ANN001
    body = envelope()
    del body["answers"]
    response = client.post(URL, json=body, headers=bearer(token))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "answers"


def test_invalid_answers_get_field_level_errors(app, client, token) -> None:  # noqa: ANN001
    response = client.post(
        URL, json=envelope({**GOOD_ANSWERS, "HH02": 25, "ZZ": 1}), headers=bearer(token)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["question_id"] == "ZZ"
    response = client.post(
        URL,
        json=envelope({**GOOD_ANSWERS, "HH02": 25}),
        headers={**bearer(token), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "HH02" in [e["question_id"] for e in response.get_json()["errors"]]
    assert count(app, Submission) == 3  # the world's three, nothing new


def test_not_json_is_422(client, token) -> None:  # noqa: ANN001
    response = client.post(
        URL, data="{broken", headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_oversized_payload_gets_413(app, client, token) -> None:  # noqa: ANN001
    app.config["API_MAX_SUBMISSION_BYTES"] = 10_000
    body = envelope({**GOOD_ANSWERS, "HH01": "x" * 20_000})
    response = client.post(URL, json=body, headers=bearer(token))
    assert response.status_code == 413
    assert "error" in response.get_json()
    assert count(app, SubmissionReceipt) == 0


def test_only_enumerators_send_interviews(app, client, runner, world) -> None:  # noqa: ANN001
    admin_token = runner.invoke(["users", "token", "admin"]).output.strip()
    response = client.post(URL, json=envelope(), headers=bearer(admin_token))
    assert response.status_code == 403


def test_session_auth_works_for_reading(client, auth, world) -> None:  # noqa: ANN001
    auth.login("enum178")
    assert client.get("/api/v1/assignments").status_code == 200
    assert client.post(URL, json=envelope()).status_code == 201


def test_interview_stays_on_the_version_it_started(app, client, token) -> None:  # noqa: ANN001
    from survey_app.core.questionnaire_store import current_version, publish

    with app.app_context():
        newer = load_test_form()
        newer["version"] = "2.0.0"
        publish(newer)
        db.session.commit()
        assert current_version("test_household").version == "2.0.0"
    response = client.post(URL, json=envelope(version="1.0.0"), headers=bearer(token))
    assert response.status_code == 201
    assert response.get_json()["questionnaire_version"] == "1.0.0"


def test_online_draft_finished_offline_is_submitted(app, client, token, world) -> None:  # noqa: ANN001
    response = client.post(URL, json=envelope(uuid=world.own_draft), headers=bearer(token))
    assert response.status_code == 201
    with app.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.uuid == world.own_draft))
        assert stored.status == "submitted" and stored.answers == GOOD_ANSWERS


def test_uuid_of_a_web_submission_is_a_conflict(app, client, token, world) -> None:  # noqa: ANN001
    response = client.post(URL, json=envelope(uuid=world.own_submitted), headers=bearer(token))
    assert response.status_code == 409
    assert count(app, SubmissionConflict) == 1


def test_another_enumerators_uuid_is_a_conflict_without_their_data(client, token, world) -> None:  # noqa: ANN001
    response = client.post(URL, json=envelope(uuid=world.other_submitted), headers=bearer(token))
    assert response.status_code == 409
    assert "answers" not in response.get_json()


def test_get_own_submission(client, token) -> None:  # noqa: ANN001
    body = envelope()
    client.post(URL, json=body, headers=bearer(token))
    assert client.get(f"{URL}/{body['uuid']}", headers=bearer(token)).status_code == 200
    assert (
        client.get(f"{URL}/00000000-0000-0000-0000-000000000000", headers=bearer(token)).status_code
        == 404
    )


@pytest.fixture
def csrf_app(app, database_url, world):  # noqa: ANN001, ANN201
    application = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True}
    )
    yield application
    with application.app_context():
        db.engine.dispose()


def test_csrf_applies_to_session_requests_but_not_tokens(csrf_app, token) -> None:  # noqa: ANN001
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/auth/login", data={"username": "enum178", "password": TEST_PASSWORD, "csrf_token": csrf}
    )
    assert client.post(URL, json=envelope()).status_code == 400
    assert client.post(URL, json=envelope(), headers={"X-CSRFToken": csrf}).status_code == 201
    anonymous = csrf_app.test_client()
    assert anonymous.post(URL, json=envelope(), headers=bearer(token)).status_code == 201


@pytest.mark.parametrize(
    "language,message",
    [("vi", "Một số trường không hợp lệ."), ("en", "Some fields are not valid.")],
)
def test_token_requests_answer_in_the_owners_language(
    app, client, token, language, message
) -> None:  # noqa: ANN001
    from survey_app.models import User

    with app.app_context():
        db.session.scalar(select(User).where(User.username == "enum178")).language = language
        db.session.commit()
    # A bad UUID is refused before any look-up; an unknown question after the token's and
    # the envelope's look-up, made in one statement.
    for body in ({**envelope(), "uuid": "nope"}, envelope({**GOOD_ANSWERS, "NOPE": 1})):
        response = client.post(URL, json=body, headers=bearer(token))
        assert response.status_code == 422
        assert response.get_json()["error"] == message
        assert "Set-Cookie" not in response.headers


def test_returned_interview_comes_back_and_its_correction_is_a_new_revision(
    app, client, token, world
) -> None:  # noqa: ANN001
    """A returned interview is listed with the supervisor's comment and its answers; different
    content sent under its UUID is applied (200, every changed answer audited, resubmitted), a
    resend of the correction is a duplicate, and no conflict is kept. Once resubmitted, other
    content under the UUID is a conflict again."""
    from survey_app.submissions import review

    first = envelope()
    assert client.post(URL, json=first, headers=bearer(token)).status_code == 201
    assert client.get("/api/v1/returned", headers=bearer(token)).get_json()["returned"] == []
    with app.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.uuid == first["uuid"]))
        supervisor = db.session.scalar(select(User).where(User.username == "sup178"))
        review(stored, supervisor, "return", "M04: tuổi của B cần kiểm tra")
        db.session.commit()
        revision = stored.row_version
    listed = client.get("/api/v1/returned", headers=bearer(token))
    assert listed.headers["Cache-Control"] == "no-store"
    [item] = listed.get_json()["returned"]
    assert item["uuid"] == first["uuid"] and item["status"] == "returned"
    assert item["review_comment"] == "M04: tuổi của B cần kiểm tra"
    assert item["answers"] == GOOD_ANSWERS and item["started_at"]

    fixed_answers = {**GOOD_ANSWERS, "roster": [dict(r) for r in GOOD_ANSWERS["roster"]]}
    fixed_answers["roster"][1]["M04"] = 39
    fixed = envelope(fixed_answers, uuid=first["uuid"])
    corrected = client.post(URL, json=fixed, headers=bearer(token))
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["status"] == "submitted"
    assert corrected.get_json()["sha256"] == fixed["sha256"]
    assert client.post(URL, json=fixed, headers=bearer(token)).status_code == 200
    assert count(app, SubmissionConflict) == 0
    with app.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.uuid == first["uuid"]))
        assert stored.status == "submitted" and stored.answers["roster"][1]["M04"] == 39
        assert stored.row_version > revision
        actions = [
            (a.action, a.field)
            for a in db.session.scalars(
                select(AuditLog).where(AuditLog.object_id == first["uuid"]).order_by(AuditLog.id)
            )
        ]
    assert ("submission.correct", "roster") in actions
    assert actions[-1] == ("submission.resubmit", "status")
    assert client.get("/api/v1/returned", headers=bearer(token)).get_json()["returned"] == []
    other = envelope({**GOOD_ANSWERS, "HH01": "Nông Thị C"}, uuid=first["uuid"])
    assert client.post(URL, json=other, headers=bearer(token)).status_code == 409
