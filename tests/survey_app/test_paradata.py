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


def _seed_quality(app, world) -> None:  # noqa: ANN001
    """Seven enumerators in district 178 with three interviews each; 'fast' takes 4 minutes."""
    from survey_app.admin.services import create_assignment, create_user
    from survey_app.core.questionnaire_store import current_version
    from survey_app.extensions import db
    from survey_app.models import Status
    from survey_app.submissions import start

    with app.app_context():
        version = current_version("test_household")
        for k, name in enumerate(["e1", "e2", "e3", "e4", "e5", "e6", "fast"]):
            create_user(name, "enumerator", "pw-" + "x" * 12, area_code="17801001")
            assignment = create_assignment(name, "17801001", "test_household", 5)
            for i in range(3):
                submission = start(assignment.enumerator, assignment, version, None)
                minutes = 4 + i * 0.5 if name == "fast" else 28 + k + i
                submission.status = Status.SUBMITTED.value
                submission.answers = {"HH01": f"Hộ {name} {i}"}
                submission.paradata = {
                    "version": 1,
                    "started_at": f"2026-11-2{i}T08:00:00+00:00",
                    "ended_at": f"2026-11-2{i}T08:{minutes:02.0f}:00+00:00",
                    "app_version": "t",
                    "interruptions": 0,
                    "gps": None,
                    "questions": {"HH01": {"seconds": 20.0, "visits": 1, "changes": 0}},
                }
                db.session.add(submission)
        db.session.commit()


def test_quality_page_flags_the_enumerator_far_from_the_team(app, client, auth, world) -> None:
    _seed_quality(app, world)
    auth.login("sup178")
    response = client.get("/review/quality")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-enumerator="fast" data-flagged="median_minutes share_short"' in page
    for name in ["e1", "e2", "e3", "e4", "e5", "e6"]:
        assert f'data-enumerator="{name}" data-flagged=""' in page
    by_day = client.get("/review/quality?by=day&since=2026-11-21&until=2026-11-22")
    assert by_day.status_code == 200
    assert by_day.get_data(as_text=True).count('data-enumerator="fast"') == 2
    assert client.get("/review/quality?since=not-a-date").status_code == 400


def test_quality_page_shows_only_the_supervisors_district(app, client, auth, world) -> None:
    _seed_quality(app, world)
    auth.login("sup180")
    page = client.get("/review/quality").get_data(as_text=True)
    assert 'data-enumerator="fast"' not in page
    auth.logout()
    auth.login("enum178")
    assert client.get("/review/quality").status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "dta"])
def test_export_writes_one_paradata_row_per_interview_and_question(
    app, world, tmp_path, fmt
) -> None:  # noqa: ANN001
    import pandas as pd
    import pyreadstat
    from sqlalchemy import select

    from survey_app.export import ExportOptions, export_submissions
    from survey_app.extensions import db
    from survey_app.models import User

    _seed_quality(app, world)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        options = ExportOptions(format=fmt, statuses=("submitted",))
        result = export_submissions(tmp_path / "plain", options, admin)
        assert result.rows["paradata_test_household"] == 21
        identifying = ExportOptions(format=fmt, statuses=("submitted",), include_identifying=True)
        export_submissions(tmp_path / "full", identifying, admin)
    path = tmp_path / "plain" / f"paradata_test_household.{fmt}"
    if fmt == "csv":
        table = pd.read_csv(path, encoding="utf-8-sig")
    else:
        table, meta = pyreadstat.read_dta(str(path))
        assert meta.column_names_to_labels["seconds"] == "Thời gian trên câu (giây)"
    assert len(table) == 21
    assert set(table["question_id"]) == {"HH01"} and (table["seconds"] == 20.0).all()
    fast = table[table["enumerator"] == "fast"]
    assert len(fast) == 3 and list(fast["visits"]) == [1, 1, 1]
    assert "gps_lat" not in table.columns
    full = tmp_path / "full" / f"paradata_test_household.{fmt}"
    columns = (
        pd.read_csv(full, encoding="utf-8-sig").columns
        if fmt == "csv"
        else pyreadstat.read_dta(str(full))[0].columns
    )
    assert {"gps_lat", "gps_lon", "gps_accuracy"} <= set(columns)
