"""Admin screens (users, areas, assignments) and questionnaire versions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey_app.core.questionnaire_store import PublishError, current_version, publish
from survey_app.extensions import db
from survey_app.models import Area, Assignment, QuestionnaireVersion, Submission, User

from .conftest import TEST_PASSWORD, load_test_form


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin")
    return world


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_admin_creates_a_user(app, client, admin) -> None:
    response = client.post(
        "/admin/users",
        data={
            "username": "new.enum",
            "full_name": "Nông Thị Mai",
            "role": "enumerator",
            "area_code": "17801001",
            "password": "long enough",
            "language": "vi",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "new.enum"))
        assert user.area.code == "17801001" and user.check_password("long enough")


def test_admin_user_form_errors_are_shown_and_nothing_saved(app, client, admin) -> None:
    before = count(app, User)
    page = client.post(
        "/admin/users",
        data={
            "username": "x",
            "role": "enumerator",
            "area_code": "nowhere",
            "password": "long enough",
            "language": "vi",
        },
    ).get_data(as_text=True)
    assert "nowhere" in page
    short = client.post(
        "/admin/users",
        data={"username": "y", "role": "enumerator", "password": "short", "language": "vi"},
    )
    assert short.status_code == 200
    assert count(app, User) == before


def test_admin_cannot_deactivate_self_but_can_others(app, client, admin) -> None:
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.username == "admin"))
        other = db.session.scalar(select(User.id).where(User.username == "enum180"))
    client.post(f"/admin/users/{me}/toggle")
    client.post(f"/admin/users/{other}/toggle")
    with app.app_context():
        assert db.session.get(User, me).active
        assert not db.session.get(User, other).active


def test_admin_adds_a_village_and_refuses_a_duplicate(app, client, admin) -> None:
    data = {"code": "17801002", "name": "Khối 2", "level": "village", "parent_code": "17801"}
    client.post("/admin/areas", data=data)
    page = client.post("/admin/areas", data=data).get_data(as_text=True)
    assert "17801002" in page
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(Area).where(Area.code == "17801002"))
            == 1
        )


def test_admin_creates_assignment_inside_the_enumerators_area(app, client, admin) -> None:
    client.post(
        "/admin/areas",
        data={"code": "17801002", "name": "Khối 2", "level": "village", "parent_code": "17801"},
    )
    before = count(app, Assignment)
    outside = client.post(
        "/admin/assignments",
        data={
            "enumerator": "enum180",
            "area_code": "17801002",
            "questionnaire_id": "test_household",
            "target": "20",
        },
    ).get_data(as_text=True)
    assert "17801002" in outside
    assert count(app, Assignment) == before
    client.post(
        "/admin/users",
        data={
            "username": "mobile",
            "role": "enumerator",
            "area_code": "178",
            "password": "long enough",
            "language": "vi",
        },
    )
    client.post(
        "/admin/assignments",
        data={
            "enumerator": "mobile",
            "area_code": "17801002",
            "questionnaire_id": "test_household",
            "target": "20",
        },
    )
    assert count(app, Assignment) == before + 1


def test_publishing_the_same_version_twice_changes_nothing(app, world) -> None:
    with app.app_context():
        assert publish(load_test_form()).outcome == "unchanged"
        assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_published_version_is_immutable(app, world) -> None:
    changed = load_test_form()
    changed["title"]["vi"] = "Tên khác"
    with app.app_context(), pytest.raises(PublishError, match="raise its version number"):
        publish(changed)


def test_new_version_is_used_for_new_interviews_old_ones_keep_theirs(
    app, client, auth, world
) -> None:
    newer = load_test_form()
    newer["version"] = "1.1.0"
    newer["title"]["vi"] = "Phiếu hộ (thử nghiệm) 1.1"
    with app.app_context():
        publish(newer)
        db.session.commit()
        assert current_version("test_household").version == "1.1.0"
    auth.login("enum178")
    response = client.post(f"/collect/assignments/{world.assignment_id}/start", data={})
    new_uuid = response.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        versions = {
            s.uuid: s.questionnaire_version.version for s in db.session.scalars(select(Submission))
        }
    assert versions[new_uuid] == "1.1.0"
    assert versions[world.own_draft] == "1.0.0"
    page = client.get(f"/collect/interview/{world.own_draft}").get_data(as_text=True)
    # The form engine fetches the interview's own version, not the current one.
    assert "/api/v1/questionnaires/test_household/versions/1.0.0" in page
    assert "/versions/1.1.0" not in page


def test_broken_questionnaire_is_not_published(app, world) -> None:
    broken = load_test_form()
    broken["version"] = "2.0.0"
    broken["sections"][0]["items"][1]["constraint"] = ". >= ${NOPE}"
    with app.app_context(), pytest.raises(PublishError, match="NOPE"):
        publish(broken)


def test_publish_screen_reports_nothing_new(client, admin) -> None:
    """Publishing twice: the second time every bundled version is already there."""
    client.post("/admin/questionnaires/publish", follow_redirects=True)
    text = client.post("/admin/questionnaires/publish", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Không có phiên bản mới để công bố." in text
    assert "Đã công bố:" not in text


def test_publish_screen_lists_what_it_published(app, client, admin) -> None:
    """On a database without the bundled versions, the screen names each one it published."""
    from questionnaires import load_bundled
    from survey_app.models import QuestionnaireVersion

    with app.app_context():
        bundled = load_bundled()
        for version in db.session.scalars(select(QuestionnaireVersion)):
            if version.questionnaire_id in bundled:
                db.session.delete(version)
        db.session.commit()
    text = client.post("/admin/questionnaires/publish", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Đã công bố:" in text
    for questionnaire_id, questionnaire in bundled.items():
        assert f"{questionnaire_id} {questionnaire.version}" in text


def test_form_validation_messages_are_vietnamese(client, admin) -> None:
    page = client.post(
        "/admin/users",
        data={
            "username": "",
            "role": "enumerator",
            "password": "short",
            "language": "vi",
        },
    ).get_data(as_text=True)
    assert "Mục này bắt buộc." in page
    assert "Phải có ít nhất 8 ký tự." in page
    assert "This field is required." not in page


def test_assignment_to_an_unpublished_questionnaire_is_refused(app, world) -> None:
    from survey_app.admin.services import AdminError, create_assignment

    with app.app_context(), pytest.raises(AdminError, match="no_such_form"):
        create_assignment("enum178", "17801001", "no_such_form", 5)


def user_id(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def edit_data(**changes) -> dict:
    data = {
        "role": "enumerator",
        "area_code": "18001001",
        "language": "vi",
        "active": "y",
        "password_action": "keep",
        "new_password": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_edit_screen_shows_the_account(app, client, admin) -> None:
    page = client.get(f"/admin/users/{user_id(app, 'enum180')}/edit").get_data(as_text=True)
    assert "enum180" in page and 'value="18001001"' in page


def test_admin_changes_role_and_area_and_the_audit_log_has_old_and_new(app, client, admin) -> None:
    from survey_app.models import AuditLog

    target = user_id(app, "enum180")
    response = client.post(
        f"/admin/users/{target}/edit",
        data=edit_data(role="supervisor", area_code="178", language="en"),
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, target)
        assert (user.role, user.area.code, user.language, user.active) == (
            "supervisor",
            "178",
            "en",
            True,
        )
        entries = {
            e.field: (e.action, e.old, e.new, e.user.username if e.user else None)
            for e in db.session.scalars(
                select(AuditLog).where(
                    AuditLog.object_type == "user",
                    AuditLog.object_id == str(target),
                    AuditLog.action != "user.create",
                )
            )
        }
    assert entries == {
        "role": ("user.role", "enumerator", "supervisor", "admin"),
        "area": ("user.area", "18001001", "178", "admin"),
        "language": ("user.language", "vi", "en", "admin"),
    }


def test_admin_deactivates_another_account_from_the_edit_screen(app, client, admin) -> None:
    target = user_id(app, "enum180")
    client.post(f"/admin/users/{target}/edit", data=edit_data(active=None))
    with app.app_context():
        assert not db.session.get(User, target).active


def test_password_reset_lets_the_user_log_in_with_the_new_password(
    app, client, auth, admin
) -> None:
    from survey_app.models import AuditLog

    target = user_id(app, "enum180")
    client.post(
        f"/admin/users/{target}/edit",
        data=edit_data(password_action="typed", new_password="brand new secret"),
    )
    with app.app_context():
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.password_reset"))
        assert entry.object_id == str(target)
        assert "brand new secret" not in repr((entry.old, entry.new, entry.reason))
    auth.logout()
    assert auth.login("enum180", TEST_PASSWORD).status_code == 200
    assert auth.login("enum180", "brand new secret").status_code == 302
    assert client.get("/collect/").status_code == 200


def test_generated_password_is_shown_once_and_works(app, client, auth, admin) -> None:
    import re

    target = user_id(app, "enum180")
    page = client.post(
        f"/admin/users/{target}/edit", data=edit_data(password_action="generate")
    ).get_data(as_text=True)
    match = re.search(r'<code class="generated-password">([^<]+)</code>', page)
    assert match
    generated = match.group(1)
    assert generated not in client.get(f"/admin/users/{target}/edit").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, target).check_password(generated)


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(app, client, admin) -> None:
    me = user_id(app, "admin")
    demote = client.post(
        f"/admin/users/{me}/edit", data=edit_data(role="viewer", area_code="", language="vi")
    )
    assert "Bạn không thể bỏ vai trò quản trị của chính mình." in demote.get_data(as_text=True)
    off = client.post(
        f"/admin/users/{me}/edit", data=edit_data(role="admin", area_code="", active=None)
    )
    assert "Bạn không thể tự khóa tài khoản của mình." in off.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, me)
        assert user.role == "admin" and user.active


def test_bad_area_is_refused_and_nothing_changes(app, client, admin) -> None:
    from survey_app.models import AuditLog

    target = user_id(app, "enum180")
    audit_before = count(app, AuditLog)
    page = client.post(
        f"/admin/users/{target}/edit",
        data=edit_data(
            role="supervisor",
            area_code="nowhere",
            language="en",
            active=None,
            password_action="typed",
            new_password="another secret",
        ),
    ).get_data(as_text=True)
    assert "nowhere" in page
    with app.app_context():
        user = db.session.get(User, target)
        assert (user.role, user.area.code, user.language, user.active) == (
            "enumerator",
            "18001001",
            "vi",
            True,
        )
        assert not user.check_password("another secret")
    assert count(app, AuditLog) == audit_before
