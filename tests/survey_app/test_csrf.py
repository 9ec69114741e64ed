"""CSRF protection stays on: a post without the page's token is refused with a clear message."""

from __future__ import annotations

import re

import pytest

from survey_app import create_app
from survey_app.admin.services import create_user
from survey_app.extensions import db

from .conftest import BASE_CONFIG, TEST_PASSWORD


@pytest.fixture
def csrf_app(app, database_url):  # noqa: ANN001, ANN201
    """The same database as app, with CSRF checks on (as in production)."""
    application = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True}
    )
    with application.app_context():
        create_user("enum1", "enumerator", TEST_PASSWORD)
        db.session.commit()
    yield application
    with application.app_context():
        db.engine.dispose()


def token_from(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_login_post_without_token_is_refused(csrf_app) -> None:  # noqa: ANN001
    client = csrf_app.test_client()
    response = client.post("/auth/login", data={"username": "enum1", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "mã bảo mật" in response.get_data(as_text=True)


def test_login_post_with_token_works(csrf_app) -> None:  # noqa: ANN001
    client = csrf_app.test_client()
    token = token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={"username": "enum1", "password": TEST_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def test_tampered_token_is_refused(csrf_app) -> None:  # noqa: ANN001
    client = csrf_app.test_client()
    token = token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={"username": "enum1", "password": TEST_PASSWORD, "csrf_token": token[:-2] + "xx"},
    )
    assert response.status_code == 400


def test_json_post_without_header_gets_json_error(csrf_app) -> None:  # noqa: ANN001
    client = csrf_app.test_client()
    response = client.post("/collect/interview/x/draft", json={"answers": {}})
    assert response.status_code == 400
    assert "error" in response.get_json()
