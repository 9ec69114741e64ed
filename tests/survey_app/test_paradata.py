"""Paradata: kept beside the answers (never in them or the hash), checked, trimmed when
sensitive, and sent by every path that carries an interview."""

from __future__ import annotations

import pytest

from survey_app.submissions.paradata import ParadataRejected, clean_paradata

from .sync_helpers import envelope
from .test_collect import enumerator, post, stored  # noqa: F401  (fixture)

PARADATA = {
    "version": 1,
    "started_at": "2026-11-30T08:00:00.000Z",
    "ended_at": "2026-11-30T08:31:10.000Z",
    "app_version": "form-2",
    "interruptions": 1,
    "gps": {"lat": 21.853708, "lon": 106.761519, "accuracy": 12},
    "questions": {"HH01": {"seconds": 14.5, "visits": 2, "changes": 1}},
}


def test_draft_save_keeps_paradata_beside_the_answers(app, client, enumerator) -> None:  # noqa: F811
    body = {"answers": {"HH01": "X"}, "page": 0, "row_version": 1, "paradata": PARADATA}
    assert post(client, enumerator.own_draft, "draft", body).status_code == 200
    submission = stored(app, enumerator.own_draft)
    assert submission.answers == {"HH01": "X"}
    assert submission.paradata == PARADATA


@pytest.mark.parametrize(
    "paradata,names",
    [
        ({**PARADATA, "version": 7}, "version"),
        ({**PARADATA, "extra": 1}, "extra"),
        ({**PARADATA, "questions": {"HH01": {"seconds": -3}}}, "HH01"),
        ({**PARADATA, "questions": {"a b": {"seconds": 3}}}, "a b"),
        ({**PARADATA, "gps": {"lat": 200, "lon": 0}}, "gps"),
        ({**PARADATA, "started_at": "yesterday"}, "started_at"),
        ({**PARADATA, "interruptions": True}, "interruptions"),
    ],
)
def test_malformed_paradata_is_refused_by_name_and_changes_nothing(
    app,
    client,
    enumerator,  # noqa: F811
    paradata,
    names,
) -> None:
    post(
        client,
        enumerator.own_draft,
        "draft",
        {"answers": {"HH01": "kept"}, "page": 0, "row_version": 1},
    )
    body = {"answers": {"HH01": "lost"}, "page": 0, "row_version": 2, "paradata": paradata}
    response = post(client, enumerator.own_draft, "draft", body)
    assert response.status_code == 422
    assert names in response.get_json()["errors"][0]["message"] or names in str(response.get_json())
    submission = stored(app, enumerator.own_draft)
    assert submission.answers == {"HH01": "kept"} and submission.paradata is None


def test_sensitive_forms_keep_no_question_timings_and_no_position(app) -> None:
    with app.test_request_context():
        kept = clean_paradata(PARADATA, sensitive=True)
    assert kept == {
        "version": 1,
        "started_at": PARADATA["started_at"],
        "ended_at": PARADATA["ended_at"],
        "app_version": "form-2",
        "interruptions": 1,
        "gps": None,
        "questions": {},
    }
    with app.test_request_context(), pytest.raises(ParadataRejected):
        clean_paradata([], sensitive=True)


def test_envelope_carries_paradata_outside_its_hash(app, client, auth, world) -> None:
    from survey_app.models import Submission

    auth.login("enum178")
    body = {**envelope(), "paradata": PARADATA}
    response = client.post("/api/v1/submissions", json=body)
    assert response.status_code == 201, response.get_json()
    # The same content without paradata is the same interview (200), not a conflict.
    plain = {key: value for key, value in body.items() if key != "paradata"}
    assert client.post("/api/v1/submissions", json=plain).status_code == 200
    with app.app_context():
        from survey_app.extensions import db

        submission = db.session.get(Submission, stored(app, body["uuid"]).id)
        assert submission.paradata == PARADATA
        assert "paradata" not in submission.answers
    bad = {**envelope(), "paradata": {"version": 1, "questions": "x"}}
    response = client.post("/api/v1/submissions", json=bad)
    assert response.status_code == 422
    assert any(error.get("field") == "paradata" for error in response.get_json()["errors"])
