"""The offline app's pages: who may open them, the service worker and manifest, the supervisor's
conflict list, and the admin's import of an exported outbox file (exactly-once rules)."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from survey_app.api.models import SubmissionConflict
from survey_app.extensions import db
from survey_app.models import Submission

from .sync_helpers import GOOD_ANSWERS, envelope

PAGES = [
    "/collect/offline/",
    "/collect/offline/interview",
    "/collect/outbox",
    "/review/conflicts",
    "/admin/import-outbox",
]
ALLOWED = {
    "enumerator": {"/collect/offline/", "/collect/offline/interview", "/collect/outbox"},
    "supervisor": {"/review/conflicts"},
    "admin": {"/review/conflicts", "/admin/import-outbox"},
    "analyst": set(),
    "viewer": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_who_may_open_the_offline_pages(client, auth, world, role) -> None:  # noqa: ANN001
    auth.login(world.users[role])
    for page in PAGES:
        status = client.get(page).status_code
        assert status == (200 if page in ALLOWED[role] else 403), (role, page, status)


def test_anonymous_users_are_sent_to_login(client, world) -> None:  # noqa: ANN001
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_service_worker_may_control_the_whole_app(client) -> None:  # noqa: ANN001
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.mimetype == "application/javascript"
    assert "/collect/offline/" in response.get_data(as_text=True)


def test_manifest_opens_the_offline_start_page(client) -> None:  # noqa: ANN001
    manifest = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))
    assert manifest["start_url"] == "/collect/offline/"
    assert manifest["display"] == "standalone" and manifest["icons"]


def test_enumerator_pages_link_manifest_and_outbox_scripts(client, auth, world) -> None:  # noqa: ANN001
    auth.login("enum178")
    page = client.get("/collect/").get_data(as_text=True)
    assert 'rel="manifest"' in page and "js/pwa.js" in page and "js/outbox.js" in page
    assert "Hộp thư đi" in page


def send_conflict(client, auth) -> dict:  # noqa: ANN001
    auth.login("enum178")
    first = envelope()
    assert client.post("/api/v1/submissions", json=first).status_code == 201
    edited = envelope({**GOOD_ANSWERS, "HH01": "Nông Thị B"}, uuid=first["uuid"])
    assert client.post("/api/v1/submissions", json=edited).status_code == 409
    auth.logout()
    return first


@pytest.mark.parametrize("user,sees", [("sup178", True), ("sup180", False), ("admin", True)])
def test_conflicts_shown_to_the_supervisor_of_the_area(client, auth, world, user, sees) -> None:  # noqa: ANN001
    first = send_conflict(client, auth)
    auth.login(user)
    page = client.get("/review/conflicts").get_data(as_text=True)
    assert (first["uuid"] in page) == sees
    if sees:
        # The changed question is listed, its identifying values (names) are not.
        assert "HH01" in page and "(ẩn: thông tin định danh)" in page
        assert "Nông Thị B" not in page and "Hoàng Văn A" not in page


def outbox_file(items: list, username: str = "enum178") -> tuple[io.BytesIO, str]:
    data = {
        "format": "gesurvey-outbox",
        "version": 1,
        "username": username,
        "exported_at": "2026-11-30T10:00:00Z",
        "submissions": items,
    }
    return io.BytesIO(json.dumps(data, ensure_ascii=False).encode("utf-8")), "outbox.json"


def test_admin_imports_an_outbox_file_exactly_once(app, client, auth, world) -> None:  # noqa: ANN001
    one, two = envelope(), envelope()
    bad = envelope({**GOOD_ANSWERS, "HH02": 25})
    edited = envelope({**GOOD_ANSWERS, "HH01": "Khác"}, uuid=one["uuid"])
    auth.login("admin")
    response = client.post("/admin/import-outbox", data={"file": outbox_file([one, two, bad, one])})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Mới: 2" in page and "Đã có sẵn: 1" in page and "Bị từ chối: 1" in page
    assert "mục 3" in page and "HH02" in page  # which item, which question
    again = client.post("/admin/import-outbox", data={"file": outbox_file([one, two, edited])})
    text = again.get_data(as_text=True)
    assert "Mới: 0" in text and "Đã có sẵn: 2" in text and "Xung đột: 1" in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 5
        assert db.session.scalar(select(func.count()).select_from(SubmissionConflict)) == 1
        stored = db.session.scalar(select(Submission).where(Submission.uuid == one["uuid"]))
        assert stored.enumerator.username == "enum178"


@pytest.mark.parametrize(
    "content,message",
    [
        (b"not json", "không phải tệp JSON"),
        (b'{"format": "other"}', "gesurvey-outbox"),
        (
            json.dumps(
                {"format": "gesurvey-outbox", "username": "ghost", "submissions": []}
            ).encode(),
            "ghost",
        ),
    ],
)
def test_import_of_a_wrong_file_says_what_is_wrong(client, auth, world, content, message) -> None:  # noqa: ANN001
    auth.login("admin")
    response = client.post(
        "/admin/import-outbox", data={"file": (io.BytesIO(content), "tablet.json")}
    )
    page = response.get_data(as_text=True)
    assert "tablet.json" in page and message in page
