"""Supervisor review: return with comment, resubmit, approve, corrections, audit trail, and who
may see what (districts, department viewers, the women's safety module)."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from survey_app.core.questionnaire_store import publish
from survey_app.extensions import db
from survey_app.models import AuditLog, Submission

from .conftest import load_test_form
from .test_collect import GOOD_ANSWERS, post, stored


def submit_own_draft(client, auth, world, answers=None):
    auth.login("enum178")
    response = post(
        client,
        world.own_draft,
        "submit",
        {"answers": answers or GOOD_ANSWERS, "page": 3, "row_version": 1},
    )
    assert response.status_code == 200, response.get_json()
    auth.logout()


def audit_actions(app, uuid: str) -> list[str]:
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.uuid == uuid))
        return list(
            db.session.scalars(
                select(AuditLog.action)
                .where(AuditLog.submission_id == submission.id)
                .order_by(AuditLog.id)
            )
        )


def test_return_fix_resubmit_approve_is_audited(app, client, auth, world) -> None:
    submit_own_draft(client, auth, world)
    auth.login("sup178")
    queue = client.get("/review/").get_data(as_text=True)
    assert world.own_draft in queue
    detail = client.get(f"/review/{world.own_draft}").get_data(as_text=True)
    assert "Số thành viên trong hộ" in detail and "1 Nam" in detail
    empty = client.post(f"/review/{world.own_draft}/decide", data={"action": "return"})
    assert empty.status_code == 302 and stored(app, world.own_draft).status == "submitted"
    client.post(
        f"/review/{world.own_draft}/decide",
        data={"action": "return", "comment": "Tuổi thành viên 2 sai"},
    )
    assert stored(app, world.own_draft).status == "returned"
    auth.logout()

    auth.login("enum178")
    mine = client.get("/collect/submissions").get_data(as_text=True)
    assert "Tuổi thành viên 2 sai" in mine
    page = client.get(f"/collect/interview/{world.own_draft}")
    assert page.status_code == 200
    fixed = copy.deepcopy(GOOD_ANSWERS)
    fixed["roster"][1]["M04"] = 39
    version = stored(app, world.own_draft).row_version
    assert (
        post(
            client, world.own_draft, "draft", {"answers": fixed, "page": 1, "row_version": version}
        ).status_code
        == 200
    )
    response = post(
        client, world.own_draft, "submit", {"answers": fixed, "page": 3, "row_version": version + 1}
    )
    assert response.status_code == 200
    auth.logout()

    auth.login("sup178")
    client.post(f"/review/{world.own_draft}/decide", data={"action": "approve"})
    assert stored(app, world.own_draft).status == "approved"
    assert audit_actions(app, world.own_draft) == [
        "submission.submit",
        "submission.return",
        "submission.resubmit",
        "submission.approve",
    ]
    history = client.get(f"/review/{world.own_draft}").get_data(as_text=True)
    assert "Tuổi thành viên 2 sai" in history


def test_reject_needs_a_comment(app, client, auth, world) -> None:
    submit_own_draft(client, auth, world)
    auth.login("sup178")
    response = client.post(
        f"/review/{world.own_draft}/decide", data={"action": "reject"}, follow_redirects=True
    )
    assert "Hãy ghi nhận xét" in response.get_data(as_text=True)
    assert stored(app, world.own_draft).status == "submitted"


def test_correction_needs_reason_and_records_old_and_new(app, client, auth, world) -> None:
    submit_own_draft(client, auth, world)
    auth.login("sup178")
    url = f"/review/{world.own_draft}/correct"
    client.post(url, data={"question_id": "M04", "row": "2", "value": "37", "reason": ""})
    assert stored(app, world.own_draft).answers["roster"][1]["M04"] == 38
    client.post(
        url, data={"question_id": "M04", "row": "2", "value": "37", "reason": "Xem giấy khai sinh"}
    )
    assert stored(app, world.own_draft).answers["roster"][1]["M04"] == 37
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "submission.correct"))
        assert (entry.field, entry.old, entry.new, entry.reason) == (
            "M04[1]",
            38,
            37,
            "Xem giấy khai sinh",
        )


def test_invalid_correction_changes_nothing(app, client, auth, world) -> None:
    submit_own_draft(client, auth, world)
    auth.login("sup178")
    response = client.post(
        f"/review/{world.own_draft}/correct",
        data={"question_id": "HH02", "value": "40", "reason": "typo"},
        follow_redirects=True,
    )
    assert "Số thành viên từ 1 đến 20" in response.get_data(as_text=True)
    assert stored(app, world.own_draft).answers == GOOD_ANSWERS
    assert "submission.correct" not in audit_actions(app, world.own_draft)


def test_audit_log_is_append_only(app, client, auth, world) -> None:
    submit_own_draft(client, auth, world)
    from survey_app.models import AuditLogIsAppendOnly

    with app.app_context():
        entry = db.session.scalar(select(AuditLog))
        entry.reason = "rewritten"
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(AuditLog)))
        with pytest.raises(AuditLogIsAppendOnly):
            db.session.flush()
        db.session.rollback()


def test_supervisor_sees_only_their_district(client, auth, world) -> None:
    auth.login("sup180")
    queue = client.get("/review/").get_data(as_text=True)
    assert world.other_submitted in queue and world.own_submitted not in queue
    assert client.get(f"/review/{world.own_submitted}").status_code == 403
    assert (
        client.post(f"/review/{world.own_submitted}/decide", data={"action": "approve"}).status_code
        == 403
    )


def test_queue_filters_by_district_and_status(client, auth, world) -> None:
    auth.login("admin")
    both = client.get("/review/?status=submitted").get_data(as_text=True)
    assert world.own_submitted in both and world.other_submitted in both
    only_180 = client.get("/review/?district=180").get_data(as_text=True)
    assert world.other_submitted in only_180 and world.own_submitted not in only_180
    drafts = client.get("/review/?status=draft").get_data(as_text=True)
    assert world.own_draft in drafts and world.own_submitted not in drafts
    assert client.get("/review/?status=bogus").status_code == 400


def test_department_viewer_sees_counts_but_no_submission(client, auth, world) -> None:
    auth.login("viewer")
    page = client.get("/admin/progress").get_data(as_text=True)
    assert "178 Thành phố Lạng Sơn" in page
    assert "enum178" not in page
    for uuid in (world.own_submitted, world.other_submitted):
        assert uuid not in page
        assert client.get(f"/review/{uuid}").status_code == 403
    assert client.get("/admin/export/test_household.json").status_code == 403


def test_progress_counts_against_targets(client, auth, world) -> None:
    auth.login("admin")
    page = client.get("/admin/progress").get_data(as_text=True)
    assert "<td>enum178</td><td>20</td><td>1</td><td>0</td><td>0</td>" in page


def test_export_counts_only_approved_by_default(app, client, auth, world) -> None:
    submit_own_draft(client, auth, world)
    auth.login("sup178")
    client.post(f"/review/{world.own_draft}/decide", data={"action": "approve"})
    auth.logout()
    auth.login("analyst")
    default = client.get("/admin/export/test_household.json").get_json()
    assert [r["uuid"] for r in default["records"]] == [world.own_draft]
    everything = client.get("/admin/export/test_household.json?status=all").get_json()
    assert len(everything["records"]) == 3


def women_form() -> dict:
    form = load_test_form()
    form["id"] = "test_women"
    form["unit"] = "women"
    form["title"] = {"vi": "Phiếu phụ nữ (thử)", "en": "Women (test)"}
    return form


def test_womens_safety_answers_are_never_shown(app, client, auth, world) -> None:
    from survey_app.admin.services import create_assignment
    from survey_app.core.questionnaire_store import current_version
    from survey_app.submissions import start

    with app.app_context():
        publish(women_form())
        assignment = create_assignment("enum178", "17801001", "test_women", 5)
        submission = start(assignment.enumerator, assignment, current_version("test_women"), None)
        submission.status = "submitted"
        submission.answers = {**GOOD_ANSWERS, "HH01": "SECRET-NAME"}
        db.session.add(submission)
        db.session.commit()
        uuid = submission.uuid
    auth.login("sup178")
    queue = client.get("/review/?status=all")
    assert queue.status_code == 200 and uuid in queue.get_data(as_text=True)
    assert "SECRET-NAME" not in queue.get_data(as_text=True)
    response = client.get(f"/review/{uuid}")
    detail = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SECRET-NAME" not in detail and 'id="sensitive-notice"' in detail
    # Not even which questions were answered is listed, and there is no correction form.
    assert 'data-question="' not in detail and 'id="correction"' not in detail


def test_womens_answers_have_no_correction_path_and_every_attempt_is_audited(
    app, client, auth, world
) -> None:
    from survey_app.admin.services import create_assignment
    from survey_app.core.questionnaire_store import current_version
    from survey_app.submissions import start

    with app.app_context():
        publish(women_form())
        assignment = create_assignment("enum178", "17801001", "test_women", 5)
        submission = start(assignment.enumerator, assignment, current_version("test_women"), None)
        submission.status = "submitted"
        submission.answers = dict(GOOD_ANSWERS)
        db.session.add(submission)
        db.session.commit()
        uuid = submission.uuid
    auth.login("admin")
    messages = set()
    for question_id, value in (("HH01", "SECRET-NEW"), ("B01", "1"), ("NOPE", "2")):
        response = client.post(
            f"/review/{uuid}/correct",
            data={"question_id": question_id, "value": value, "reason": "spelling"},
            follow_redirects=True,
        )
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert question_id not in page.split('id="audit"')[0].split("</h1>", 1)[1]
        messages.add(page.split('class="flash')[1].split("</")[0] if 'class="flash' in page else "")
    # One message whatever was sent: a refusal teaches nothing about the hidden answers.
    assert len(messages) == 1
    with app.app_context():
        from survey_app.submissions import open_answers

        row = db.session.scalar(select(Submission).where(Submission.uuid == uuid))
        assert open_answers(row)["HH01"] == GOOD_ANSWERS["HH01"]
        refused = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "submission.correct_refused")
        ).all()
        assert len(refused) == 3 and all(entry.field is None for entry in refused)
    assert "SECRET-NEW" not in client.get("/admin/audit").get_data(as_text=True)


def test_json_export_withholds_names_and_the_womens_module(app, client, auth, world) -> None:
    from survey_app.admin.services import create_assignment
    from survey_app.core.questionnaire_store import current_version
    from survey_app.submissions import start

    submit_own_draft(client, auth, world)
    auth.login("sup178")
    client.post(f"/review/{world.own_draft}/decide", data={"action": "approve"})
    auth.logout()
    with app.app_context():
        publish(women_form())
        assignment = create_assignment("enum178", "17801001", "test_women", 5)
        submission = start(assignment.enumerator, assignment, current_version("test_women"), None)
        submission.status = "approved"
        submission.answers = dict(GOOD_ANSWERS)
        db.session.add(submission)
        db.session.commit()
    auth.login("analyst")
    export = client.get("/admin/export/test_household.json")
    assert export.status_code == 200
    (record,) = export.get_json()["records"]
    assert "HH01" not in record["answers"]  # the household head's name
    assert all("M01" not in row for row in record["answers"]["roster"])  # members' names
    assert client.get("/admin/export/test_women.json").status_code == 403


def test_progress_keeps_each_questionnaires_targets_apart(app, client, auth, world) -> None:
    """A second questionnaire assigned in the same village is its own line, never added to the
    household target."""
    from survey_app.admin.services import create_assignment

    second = {**load_test_form(), "id": "test_second"}
    with app.app_context():
        publish(second)
        db.session.flush()
        create_assignment("enum178", "17801001", "test_second", 7)
        db.session.commit()
    auth.login("admin")
    page = client.get("/admin/progress").get_data(as_text=True)
    assert "<td>enum178</td><td>20</td>" in page
    assert "<td>enum178</td><td>7</td>" in page
    assert "<td>27</td>" not in page


def test_audit_view_speaks_the_readers_language(app, client, auth, world) -> None:
    """Actions are named in Vietnamese and Vietnamese values are shown as written."""
    submit_own_draft(client, auth, world)
    auth.login("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Nộp phiếu" in page
    assert ">submission.submit<" not in page
    assert "\\u" not in page
    assert "Phiếu phỏng vấn " in page and "<td>submission " not in page  # what it is about
    assert "Người dùng " in page and "<td>user " not in page
