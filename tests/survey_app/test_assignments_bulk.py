"""Assignments in bulk: `gesurvey assignments import/export` and the upload on the admin page."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.admin.services import create_user
from survey_app.extensions import db
from survey_app.models import Assignment, AuditLog

from .conftest import BASE_CONFIG, TEST_PASSWORD, build_world

HEADER = "enumerator,questionnaire,area_code,target\n"


def assignments(app) -> set[tuple[str, str, str, int]]:
    """Every assignment as (enumerator, questionnaire, area code, target)."""
    with app.app_context():
        return {
            (a.enumerator.username, a.questionnaire_id, a.area.code, a.target)
            for a in db.session.scalars(select(Assignment))
        }


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditLog.action)
                .where(AuditLog.object_type == "assignment")
                .order_by(AuditLog.id)
            )
        )


@pytest.fixture
def district_enumerator(app, world):
    """A second enumerator whose area is the whole district 178 (so a commune can be assigned)."""
    with app.app_context():
        create_user("mobile178", "enumerator", TEST_PASSWORD, area_code="178")
        db.session.commit()
    return world


GOOD = (
    HEADER
    + "mobile178,test_household,17801001,12\n"
    + "mobile178,test_household,17801,30\n"
    + "enum178,test_household,17801001,25\n"
)


def test_import_creates_updates_and_a_second_import_changes_nothing(
    app, runner, district_enumerator, tmp_path
) -> None:
    before_audit = len(audit_actions(app))
    path = tmp_path / "assignments.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = runner.invoke(["assignments", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created, 1 updated, 0 unchanged" in result.output
    assert assignments(app) == {
        ("mobile178", "test_household", "17801001", 12),
        ("mobile178", "test_household", "17801", 30),
        ("enum178", "test_household", "17801001", 25),
        ("enum180", "test_household", "18001001", 15),
    }
    assert audit_actions(app)[before_audit:] == [
        "assignment.create",
        "assignment.create",
        "assignment.target",
        "assignments.import",
    ]
    with app.app_context():
        change = db.session.scalar(select(AuditLog).where(AuditLog.action == "assignment.target"))
        assert (change.old, change.new) == (20, 25)

    again = runner.invoke(["assignments", "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 3 unchanged" in again.output
    assert len(assignments(app)) == 4


BAD_ROWS = (
    HEADER
    + "nobody,test_household,17801001,5\n"  # row 2: unknown user
    + "sup178,test_household,17801001,5\n"  # row 3: not an enumerator
    + "enum178,no_such_form,17801001,5\n"  # row 4: unknown questionnaire
    + "enum178,test_household,99999,5\n"  # row 5: unknown area
    + "enum178,test_household,18001001,5\n"  # row 6: outside the enumerator's area
    + "enum178,test_household,17801001,0\n"  # row 7: target not positive
    + "enum178,test_household,17801001,2.5\n"  # row 8: target not whole
    + "mobile178,test_household,17801,7\n"  # row 9: fine
    + "mobile178,test_household,17801,8\n"  # row 10: repeats row 9
    + "enum178,test_household,178,5\n"  # row 11: a district, not a village or commune
)


def test_bad_rows_are_all_reported_in_english_and_nothing_is_saved(
    app, runner, district_enumerator, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("GESURVEY_LANG", "en")
    before, before_audit = assignments(app), audit_actions(app)
    path = tmp_path / "bad.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    result = runner.invoke(["assignments", "import", str(path)])
    assert result.exit_code != 0
    out = result.output
    assert "bad.csv: nothing imported." in out
    assert "Row 2, column enumerator: No user nobody." in out
    assert "Row 3, column enumerator: sup178 is not an enumerator." in out
    assert "Row 4, column questionnaire: Questionnaire no_such_form is not published" in out
    assert "Row 5, column area_code: No area has code 99999." in out
    assert "Row 6, column area_code: 18001001 lies outside the enumerator's area." in out
    assert "Row 7, column target: target '0' is not a whole number from 1 to 10000." in out
    assert "Row 8, column target: target '2.5' is not a whole number" in out
    assert "Row 9," not in out
    assert (
        "Row 10, column enumerator, questionnaire, area_code: the same assignment as row 9." in out
    )
    assert "Row 11, column area_code: Assign a village or commune, not 178." in out
    assert assignments(app) == before
    assert audit_actions(app) == before_audit


def test_errors_are_in_vietnamese_when_asked(app, runner, world, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GESURVEY_LANG", "vi")
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "sup178,test_household,17801001,x\n", encoding="utf-8")
    result = runner.invoke(["assignments", "import", str(path)])
    assert result.exit_code != 0
    assert "bad.csv: chưa nhập dòng nào." in result.output
    assert "Dòng 2, cột enumerator: sup178 không phải là điều tra viên." in result.output
    assert "Dòng 2, cột target: chỉ tiêu 'x' không phải là số nguyên từ 1 đến 10000." in (
        result.output
    )


def test_missing_columns_are_named(app, runner, world, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GESURVEY_LANG", "en")
    path = tmp_path / "cols.csv"
    path.write_text("enumerator,area_code\nenum178,17801001\n", encoding="utf-8")
    result = runner.invoke(["assignments", "import", str(path)])
    assert result.exit_code != 0
    assert "Row 1, column questionnaire, target: missing columns" in result.output


def test_export_writes_the_import_format_and_reimports_unchanged(
    app, runner, world, tmp_path
) -> None:
    path = tmp_path / "out.csv"
    result = runner.invoke(["assignments", "export", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == (
        HEADER.replace("\n", ",households\n")
        + "enum178,test_household,17801001,20,\nenum180,test_household,18001001,15,\n"
    )
    again = runner.invoke(["assignments", "import", str(path)])
    assert "0 created, 0 updated, 2 unchanged" in again.output


@pytest.fixture
def admin(client, auth, district_enumerator):
    auth.login("admin")
    return district_enumerator


def upload(client, text: str, name: str = "assignments.csv"):
    return client.post(
        "/admin/assignments/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


def test_admin_uploads_assignments_and_downloads_them(app, client, admin) -> None:
    page = client.get("/admin/assignments").get_data(as_text=True)
    assert 'action="/admin/assignments/import"' in page and "multipart/form-data" in page
    response = upload(client, GOOD)
    assert response.status_code == 302
    shown = client.get("/admin/assignments").get_data(as_text=True)
    assert "tạo mới 2, cập nhật 1, giữ nguyên 0" in shown
    assert ("enum178", "test_household", "17801001", 25) in assignments(app)
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "assignments.import"))
        assert entry.user.username == "admin" and entry.object_id == "assignments.csv"
    download = client.get("/admin/assignments.csv")
    assert download.mimetype == "text/csv"
    assert "mobile178,test_household,17801,30" in download.get_data(as_text=True)


def test_admin_upload_with_bad_rows_lists_them_in_vietnamese_and_saves_nothing(
    app, client, admin
) -> None:
    before = assignments(app)
    response = upload(client, BAD_ROWS, "bad.csv")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "bad.csv: chưa nhập dòng nào." in page
    assert "Dòng 2, cột enumerator: Không có người dùng nobody." in page
    assert "Dòng 10, cột enumerator, questionnaire, area_code: trùng phân công với dòng 9." in page
    assert assignments(app) == before
    assert upload(client, "", "empty.csv").status_code == 400
    assert client.post("/admin/assignments/import", data={}).status_code == 400
    assert assignments(app) == before


def test_upload_without_the_csrf_token_is_refused(app, database_url) -> None:
    csrf_app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True}
    )
    build_world(csrf_app)
    client = csrf_app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post(
        "/auth/login", data={"username": "admin", "password": TEST_PASSWORD, "csrf_token": token}
    )
    before = assignments(csrf_app)
    refused = upload(client, HEADER + "enum178,test_household,17801001,99\n")
    assert refused.status_code == 400
    page = client.get("/admin/assignments").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/admin/assignments/import",
        data={
            "file": (io.BytesIO(b"enumerator,questionnaire,area_code,target\n"), "a.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 302
    assert assignments(csrf_app) == before
    with csrf_app.app_context():
        db.engine.dispose()


def test_a_household_list_is_imported_exported_and_numbers_new_interviews(
    app, client, auth, runner, world, tmp_path
) -> None:
    """The sample's household numbers ride with the assignment: new interviews take them in
    order (then the smallest unused number); a bad number is named with its row."""
    from survey_app.collect.services import next_household_no

    path = tmp_path / "a.csv"
    path.write_text(
        "enumerator,questionnaire,area_code,target,households\n"
        "enum178,test_household,17801001,3,7 3; 12\n",
        encoding="utf-8",
    )
    result = runner.invoke(["assignments", "import", str(path)])
    assert "0 created, 1 updated, 0 unchanged" in result.output, result.output
    assert audit_actions(app)[-3:-1] == ["assignment.target", "assignment.households"]
    with app.app_context():
        stored = db.session.scalar(select(Assignment).where(Assignment.id == world.assignment_id))
        assert stored.households == "7 3 12"
        assert next_household_no([], stored.households) == 7
    out = tmp_path / "out.csv"
    runner.invoke(["assignments", "export", str(out)])
    assert "enum178,test_household,17801001,3,7 3 12\n" in out.read_text(encoding="utf-8")
    auth.login("enum178")
    assert client.get("/api/v1/assignments").get_json()["assignments"][0]["households"] == [
        7,
        3,
        12,
    ]
    path.write_text(
        "enumerator,questionnaire,area_code,target,households\n"
        "enum178,test_household,17801001,3,7 x\n",
        encoding="utf-8",
    )
    bad = runner.invoke(["assignments", "import", str(path)])
    assert "Row 2, column households" in bad.output and "'x'" in bad.output
