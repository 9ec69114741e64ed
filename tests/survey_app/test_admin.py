"""Admin screens (users, areas, assignments) and questionnaire versions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Area, Assignment, QuestionnaireVersion, Submission, User
from survey_app.questionnaire_store import PublishError, current_version, publish

from .conftest import load_test_form


@pytest.fixture
def admin(client, auth, world):  # noqa: ANN001, ANN201
    auth.login("admin")
    return world


def count(app, model) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_admin_creates_a_user(app, client, admin) -> None:  # noqa: ANN001
    response = client.post("/admin/users", data={
        "username": "new.enum", "full_name": "Nông Thị Mai", "role": "enumerator",
        "area_code": "17801001", "password": "long enough", "language": "vi"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "new.enum"))
        assert user.area.code == "17801001" and user.check_password("long enough")


def test_admin_user_form_errors_are_shown_and_nothing_saved(app, client, admin) -> None:  # noqa: ANN001
    before = count(app, User)
    page = client.post("/admin/users", data={
        "username": "x", "role": "enumerator", "area_code": "nowhere",
        "password": "long enough", "language": "vi"}).get_data(as_text=True)
    assert "nowhere" in page
    short = client.post("/admin/users", data={
        "username": "y", "role": "enumerator", "password": "short", "language": "vi"})
    assert short.status_code == 200
    assert count(app, User) == before


def test_admin_cannot_deactivate_self_but_can_others(app, client, admin) -> None:  # noqa: ANN001
    with app.app_context():
        me = db.session.scalar(select(User.id).where(User.username == "admin"))
        other = db.session.scalar(select(User.id).where(User.username == "enum180"))
    client.post(f"/admin/users/{me}/toggle")
    client.post(f"/admin/users/{other}/toggle")
    with app.app_context():
        assert db.session.get(User, me).active
        assert not db.session.get(User, other).active


def test_admin_adds_a_village_and_refuses_a_duplicate(app, client, admin) -> None:  # noqa: ANN001
    data = {"code": "17801002", "name": "Khối 2", "level": "village", "parent_code": "17801"}
    client.post("/admin/areas", data=data)
    page = client.post("/admin/areas", data=data).get_data(as_text=True)
    assert "17801002" in page
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(Area).where(Area.code == "17801002")) == 1


def test_admin_creates_assignment_inside_the_enumerators_area(app, client, admin) -> None:  # noqa: ANN001
    client.post("/admin/areas", data={"code": "17801002", "name": "Khối 2", "level": "village",
                                      "parent_code": "17801"})
    before = count(app, Assignment)
    outside = client.post("/admin/assignments", data={
        "enumerator": "enum180", "area_code": "17801002", "questionnaire_id": "test_household",
        "target": "20"}).get_data(as_text=True)
    assert "17801002" in outside
    assert count(app, Assignment) == before
    client.post("/admin/users", data={
        "username": "mobile", "role": "enumerator", "area_code": "178",
        "password": "long enough", "language": "vi"})
    client.post("/admin/assignments", data={
        "enumerator": "mobile", "area_code": "17801002", "questionnaire_id": "test_household",
        "target": "20"})
    assert count(app, Assignment) == before + 1


def test_publishing_the_same_version_twice_changes_nothing(app, world) -> None:  # noqa: ANN001
    with app.app_context():
        assert publish(load_test_form()).outcome == "unchanged"
        assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_published_version_is_immutable(app, world) -> None:  # noqa: ANN001
    changed = load_test_form()
    changed["title"]["vi"] = "Tên khác"
    with app.app_context(), pytest.raises(PublishError, match="raise its version number"):
        publish(changed)


def test_new_version_is_used_for_new_interviews_old_ones_keep_theirs(
    app, client, auth, world  # noqa: ANN001
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
    assert '"version": "1.0.0"' in page or '"version":"1.0.0"' in page


def test_broken_questionnaire_is_not_published(app, world) -> None:  # noqa: ANN001
    broken = load_test_form()
    broken["version"] = "2.0.0"
    broken["sections"][0]["items"][1]["constraint"] = ". >= ${NOPE}"
    with app.app_context(), pytest.raises(PublishError, match="NOPE"):
        publish(broken)


def test_publish_screen_reports_nothing_new(client, admin) -> None:  # noqa: ANN001
    page = client.post("/admin/questionnaires/publish", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "Đã công bố" in text or "Không có phiên bản mới" in text


def test_form_validation_messages_are_vietnamese(client, admin) -> None:  # noqa: ANN001
    page = client.post("/admin/users", data={
        "username": "", "role": "enumerator", "password": "short", "language": "vi",
    }).get_data(as_text=True)
    assert "Mục này bắt buộc." in page
    assert "Phải có ít nhất 8 ký tự." in page
    assert "This field is required." not in page


def test_assignment_to_an_unpublished_questionnaire_is_refused(app, world) -> None:  # noqa: ANN001
    from survey_app.admin.services import AdminError, create_assignment

    with app.app_context(), pytest.raises(AdminError, match="no_such_form"):
        create_assignment("enum178", "17801001", "no_such_form", 5)
