"""Draft saves, submission with server validation, and bad input that must change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditLog, Submission

GOOD_ANSWERS = {
    "HH01": "Hoàng Văn A",
    "HH02": 2,
    "HH03": 0,
    "roster": [{"M01": "A", "M03": 1, "M04": 40}, {"M01": "B", "M03": 2, "M04": 38}],
    "E01": 1,
}


def stored(app, uuid: str) -> Submission:
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.uuid == uuid))
        db.session.expunge(submission)
        return submission


@pytest.fixture
def enumerator(client, auth, world):
    auth.login("enum178")
    return world


def post(client, uuid: str, what: str, body):
    return client.post(f"/collect/interview/{uuid}/{what}", json=body)


def test_assignment_list_shows_progress(client, enumerator) -> None:
    page = client.get("/collect/").get_data(as_text=True)
    assert "Phiếu hộ (thử nghiệm)" in page
    assert "Đã hoàn thành 1 / 20" in page


def test_start_interview_uses_the_tablet_uuid(app, client, enumerator) -> None:
    uuid = "0b7d7f0e-9a51-4c1e-8a56-1f2e3d4c5b6a"
    response = client.post(
        f"/collect/assignments/{enumerator.assignment_id}/start", data={"client_uuid": uuid}
    )
    assert response.headers["Location"].endswith(f"/collect/interview/{uuid}")
    again = client.post(
        f"/collect/assignments/{enumerator.assignment_id}/start", data={"client_uuid": uuid}
    )
    assert again.headers["Location"].endswith(f"/collect/interview/{uuid}")
    with app.app_context():
        assert len(db.session.scalars(select(Submission).where(Submission.uuid == uuid)).all()) == 1


def test_interview_page_embeds_the_form_contract(client, enumerator) -> None:
    page = client.get(f"/collect/interview/{enumerator.own_draft}").get_data(as_text=True)
    assert 'id="gesurvey-form"' in page
    assert 'data-draft-url="/collect/interview/' in page
    assert 'id="gesurvey-form-data"' in page
    assert '"row_version": 1' in page or '"row_version":1' in page
    assert re.search(r'type="module" src="/static/js/form/index\.js\?v=[0-9a-f]{12}"', page)


def test_draft_save_bumps_row_version(app, client, enumerator) -> None:
    response = post(
        client,
        enumerator.own_draft,
        "draft",
        {"answers": {"HH01": "X"}, "page": 1, "row_version": 1},
    )
    assert response.status_code == 200
    assert response.get_json() == {"row_version": 2}
    submission = stored(app, enumerator.own_draft)
    assert submission.answers == {"HH01": "X"} and submission.page == 1


def test_stale_draft_is_refused_and_keeps_the_newer_one(app, client, enumerator) -> None:
    post(
        client,
        enumerator.own_draft,
        "draft",
        {"answers": {"HH01": "new"}, "page": 1, "row_version": 1},
    )
    response = post(
        client,
        enumerator.own_draft,
        "draft",
        {"answers": {"HH01": "old"}, "page": 0, "row_version": 1},
    )
    assert response.status_code == 409
    assert response.get_json()["row_version"] == 2
    assert stored(app, enumerator.own_draft).answers == {"HH01": "new"}


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"answers": [], "page": 0, "row_version": 1},
        {"answers": {}, "page": "two", "row_version": 1},
        {"answers": {}, "page": 0},
        {"answers": {"NOPE": 1}, "page": 0, "row_version": 1},
    ],
)
def test_malformed_draft_gets_422_and_changes_nothing(app, client, enumerator, body) -> None:
    post(
        client,
        enumerator.own_draft,
        "draft",
        {"answers": {"HH01": "kept"}, "page": 0, "row_version": 1},
    )
    response = post(client, enumerator.own_draft, "draft", body)
    assert response.status_code == 422
    assert response.get_json()["errors"]
    submission = stored(app, enumerator.own_draft)
    assert submission.answers == {"HH01": "kept"} and submission.row_version == 2


def test_submit_valid_answers(app, client, enumerator) -> None:
    response = post(
        client,
        enumerator.own_draft,
        "submit",
        {"answers": GOOD_ANSWERS, "page": 3, "row_version": 1},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["redirect"] == "/collect/"
    submission = stored(app, enumerator.own_draft)
    assert submission.status == "submitted" and submission.answers == GOOD_ANSWERS
    with app.app_context():
        actions = db.session.scalars(select(AuditLog.action)).all()
    assert "submission.submit" in actions


@pytest.mark.parametrize(
    ("change", "question_id", "words"),
    [
        ({"B01": 3}, "B01", "không áp dụng"),  # answer to a question that is not relevant
        ({"HH02": "hai"}, "HH02", "số nguyên"),  # wrong type
        ({"HH01": None}, "HH01", "bắt buộc"),  # missing required answer
        ({"HH02": 25}, "HH02", "Số thành viên từ 1 đến 20"),  # constraint message
    ],
)
def test_invalid_submission_gets_field_errors_and_keeps_the_draft(
    app, client, enumerator, change, question_id, words
) -> None:
    post(
        client,
        enumerator.own_draft,
        "draft",
        {"answers": {"HH01": "kept"}, "page": 0, "row_version": 1},
    )
    answers = {**GOOD_ANSWERS, **change}
    response = post(
        client, enumerator.own_draft, "submit", {"answers": answers, "page": 3, "row_version": 2}
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    mine = [e for e in errors if e["question_id"] == question_id]
    assert mine and words in mine[0]["message"], errors
    assert set(mine[0]) == {"question_id", "row", "message"}
    submission = stored(app, enumerator.own_draft)
    assert submission.status == "draft"
    assert submission.answers == {"HH01": "kept"} and submission.row_version == 2


def test_field_errors_follow_the_users_language(app, client, enumerator) -> None:
    client.post("/auth/language", data={"language": "en"})
    response = post(
        client,
        enumerator.own_draft,
        "submit",
        {"answers": {**GOOD_ANSWERS, "HH02": 25}, "page": 0, "row_version": 1},
    )
    messages = [e["message"] for e in response.get_json()["errors"]]
    assert "Members must be 1 to 20" in messages


def test_roster_row_error_names_the_row(client, enumerator) -> None:
    roster = [{"M01": "A", "M03": 1, "M04": 40}, {"M01": "B", "M03": 2, "M04": 300}]
    response = post(
        client,
        enumerator.own_draft,
        "submit",
        {"answers": {**GOOD_ANSWERS, "roster": roster}, "page": 0, "row_version": 1},
    )
    errors = response.get_json()["errors"]
    assert {"question_id": "M04", "row": 1, "message": "Tuổi từ 0 đến 120"} in errors


def test_unknown_questionnaire_version_is_refused(app, client, enumerator) -> None:
    response = post(
        client,
        enumerator.own_draft,
        "submit",
        {
            "answers": GOOD_ANSWERS,
            "page": 0,
            "row_version": 1,
            "questionnaire": {"id": "test_household", "version": "9.9.9"},
        },
    )
    assert response.status_code == 422
    assert "9.9.9" not in response.get_json()["error"]
    assert "1.0.0" in response.get_json()["error"]
    assert stored(app, enumerator.own_draft).status == "draft"


def test_submitted_interview_cannot_be_changed_by_the_enumerator(app, client, enumerator) -> None:
    response = post(
        client,
        enumerator.own_submitted,
        "draft",
        {"answers": {"HH01": "late"}, "page": 0, "row_version": 1},
    )
    assert response.status_code == 409
    assert stored(app, enumerator.own_submitted).answers == {}


def test_enumerator_cannot_touch_another_enumerators_interview(app, client, enumerator) -> None:
    for what in ("draft", "submit"):
        response = post(
            client, enumerator.other_submitted, what, {"answers": {}, "page": 0, "row_version": 1}
        )
        assert response.status_code == 403
    assert client.get(f"/collect/interview/{enumerator.other_submitted}").status_code == 403


def test_enumerator_sees_only_own_interviews(client, enumerator) -> None:
    page = client.get("/collect/submissions").get_data(as_text=True)
    assert enumerator.own_draft in page and enumerator.own_submitted in page
    assert enumerator.other_submitted not in page


def test_unknown_interview_is_404(client, enumerator) -> None:
    assert client.get("/collect/interview/not-a-uuid").status_code == 404
    assert client.get("/collect/interview/0b7d7f0e-9a51-4c1e-8a56-1f2e3d4c5b6a").status_code == 404


def test_tampered_start_for_someone_elses_assignment_is_refused(app, client, enumerator) -> None:
    with app.app_context():
        before = db.session.scalars(select(Submission.uuid)).all()
    response = client.post(
        f"/collect/assignments/{enumerator.other_assignment_id}/start",
        data={"client_uuid": "0b7d7f0e-9a51-4c1e-8a56-1f2e3d4c5b6a"},
    )
    assert response.status_code == 404
    bad_uuid = client.post(
        f"/collect/assignments/{enumerator.assignment_id}/start",
        data={"client_uuid": "not-a-uuid"},
        follow_redirects=True,
    )
    assert "không hợp lệ" in bad_uuid.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Submission.uuid)).all() == before


def test_reused_uuid_of_another_enumerator_is_refused(app, client, enumerator) -> None:
    response = client.post(
        f"/collect/assignments/{enumerator.assignment_id}/start",
        data={"client_uuid": enumerator.other_submitted},
    )
    assert response.status_code == 409
    assert stored(app, enumerator.other_submitted).status == "submitted"


def test_assignment_list_links_to_open_drafts(client, enumerator) -> None:
    page = client.get("/collect/").get_data(as_text=True)
    assert f"/collect/interview/{enumerator.own_draft}" in page
    assert f"/collect/interview/{enumerator.own_submitted}" not in page


def test_concurrent_writers_cannot_both_win(app, world) -> None:
    """Two requests that read the same row_version: the second write fails (optimistic lock)."""
    from sqlalchemy import text
    from sqlalchemy.orm.exc import StaleDataError

    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.uuid == world.own_draft))
        assert submission.row_version == 1
        with db.engine.begin() as other:  # another request commits first
            other.execute(
                text(
                    "UPDATE submission SET row_version = 2, answers = :answers WHERE uuid = :uuid"
                ),
                {"uuid": world.own_draft, "answers": '{"HH01": "B"}'},
            )
        submission.answers = {"HH01": "A"}
        with pytest.raises(StaleDataError):
            db.session.commit()
        db.session.rollback()
    assert stored(app, world.own_draft).answers == {"HH01": "B"}


def test_embedded_form_data_parses_and_escapes_html(app, client, enumerator) -> None:
    import json
    import re

    post(
        client,
        enumerator.own_draft,
        "draft",
        {"answers": {"HH01": "</script><b>x</b>"}, "page": 0, "row_version": 1},
    )
    page = client.get(f"/collect/interview/{enumerator.own_draft}").get_data(as_text=True)
    raw = re.search(r'id="gesurvey-form-data">(.*?)</script>', page, re.S).group(1)
    assert "</script><b>" not in raw
    data = json.loads(raw)
    assert "questionnaire" not in data  # fetched once from its versioned address, then cached
    definition = client.get(data["questionnaire_url"])
    assert definition.status_code == 200 and definition.json["id"] == "test_household"
    assert "immutable" in definition.headers["Cache-Control"]
    assert data["answers"] == {"HH01": "</script><b>x</b>"}
    assert data["submission"] == {"uuid": enumerator.own_draft, "status": "draft", "row_version": 2}
    assert data["page"] == 0 and data["errors"] == []


def test_interview_list_tells_interviews_apart(app, client, enumerator) -> None:
    """Household number, village, the head's given name, status and last change, with the
    keys the browser searches and sorts by; a sensitive form shows nothing from its answers."""
    with app.app_context():
        submission = db.session.scalar(
            select(Submission).where(Submission.uuid == enumerator.own_draft)
        )
        submission.answers = {**GOOD_ANSWERS, "household_no": 7}
        db.session.commit()
    page = client.get("/collect/submissions").get_data(as_text=True)
    row = re.search(rf'<tr[^>]*data-uuid="{enumerator.own_draft}"[^>]*>(.*?)</tr>', page, re.S)
    assert row is not None
    opening = row.group(0)
    assert 'data-household="7"' in opening and 'data-name="A"' in opening
    assert 'data-village="Khối 1"' in opening and 'data-status="Bản nháp"' in opening
    assert "data-changed=" in opening
    assert "Số thứ tự hộ" in page and "Sắp xếp theo" in page and 'class="list-search"' in page


def test_list_summary_never_reads_a_sensitive_form(app, enumerator) -> None:
    from survey_app.collect.services import area_prefill, given_name, interview_summary
    from survey_app.models import Area

    with app.app_context():
        submission = db.session.scalar(
            select(Submission).where(Submission.uuid == enumerator.own_draft)
        )
        submission.answers = {**GOOD_ANSWERS, "household_no": 3}
        line = interview_summary(submission)
        assert (line.household_no, line.village, line.name) == ("3", "Khối 1", "A")
        submission.questionnaire_version.unit = "women"
        hidden = interview_summary(submission)
        assert (hidden.household_no, hidden.name) == ("", "")
        db.session.rollback()
        village = db.session.scalar(select(Area).where(Area.code == "17801001"))
        assert area_prefill(village) == {
            "province": 20,
            "district": 178,
            "commune": 17801,
            "village": 1,
        }
    assert given_name("Hoàng Văn Lâm") == "Lâm" and given_name("") == ""


def test_new_interviews_start_with_the_ids_of_their_area() -> None:
    """Province, district, commune and village come from the assignment's area, the household
    number is the next unused one; values the form has no question (or choice) for are left."""
    from pathlib import Path

    from questionnaires import load_questionnaire
    from survey_app.collect.services import usable_prefill

    forms = Path(__file__).resolve().parents[2] / "questionnaires" / "forms"
    household = load_questionnaire(forms / "household.json")
    values = {"province": 20, "district": 178, "commune": 17801, "village": 1, "household_no": 4}
    assert usable_prefill(household, values) == values
    assert "district" not in usable_prefill(household, {**values, "district": 999})
    women = load_questionnaire(forms / "women.json")
    assert usable_prefill(women, values) == {"province": 20, "district": 178}


def test_a_household_hands_off_to_the_selected_person_online(app, client, enumerator) -> None:
    """Online too, a household interview whose person is selected starts the individual
    interview and the women's module for her, filled in as the form's selection rule says:
    the women's module gets the link code, her sex and age, and nothing naming her."""
    import json
    from pathlib import Path

    from survey_app.admin.services import create_assignment
    from survey_app.core.questionnaire_store import current_version, publish
    from survey_app.models import Assignment, User
    from survey_app.submissions import open_answers, put_answers, start

    data = Path(__file__).resolve().parents[1] / "browser" / "data"
    link = "k3f9a0b1c2d3e4f5"
    with app.app_context():
        for name in ("day_household", "day_individual", "day_women"):
            publish(json.loads((data / f"{name}.json").read_text(encoding="utf-8")))
            create_assignment("enum178", "17801001", name, 5)
        db.session.flush()
        enum = db.session.scalar(select(User).where(User.username == "enum178"))
        ids = {
            a.questionnaire_id: a.id
            for a in db.session.scalars(
                select(Assignment).where(Assignment.enumerator_id == enum.id)
            )
        }
        household = start(
            enum,
            db.session.get(Assignment, ids["day_household"]),
            current_version("day_household"),
            None,
        )
        answers = {
            "province": 20,
            "district": 178,
            "commune": 17801,
            "village": 1,
            "household_no": 3,
            "HH01": "Hoàng Văn Lâm",
            "HH06": 2,
            "roster": [
                {"M01": "Hoàng Văn Lâm", "M03": 1, "M04": 52},
                {"M01": "Nông Thị Hoa", "M03": 2, "M04": 47},
            ],
            "HH24": 2,
            "HH25": 2,
            "W_LINK": link,
        }
        put_answers(household, answers)
        db.session.add(household)
        db.session.commit()
        uuid = household.uuid
    page = client.get("/collect/submissions").get_data(as_text=True)
    assert "Hoa (dòng 2)" in page
    started = {}
    for name in ("day_individual", "day_women"):
        response = client.post(f"/collect/interview/{uuid}/handoff/{ids[name]}", data={})
        assert response.status_code == 302, response.get_data(as_text=True)
        new = response.headers["Location"].rsplit("/", 1)[1]
        with app.app_context():
            stored = db.session.scalar(select(Submission).where(Submission.uuid == new))
            started[name] = open_answers(stored)
    assert started["day_women"] == {
        "province": 20,
        "district": 178,
        "hh_link": link,
        "resp_sex": 2,
        "resp_age": 47,
    }
    assert started["day_individual"] == {
        "province": 20,
        "district": 178,
        "commune": 17801,
        "village": 1,
        "household_no": 3,
        "resp_line": 2,
        "form_type": 2,
        "resp_name": "Nông Thị Hoa",
        "resp_sex": 2,
        "resp_age": 47,
    }
