"""Logging in and out, language choice, password hashing and cookie flags."""

from sqlalchemy import select

from survey_app.admin.services import create_user
from survey_app.extensions import db
from survey_app.models import User

from .conftest import TEST_PASSWORD


def make_user(app, name="enum1", role="enumerator", language="vi"):  # noqa: ANN001, ANN201
    with app.app_context():
        create_user(name, role, TEST_PASSWORD, language=language)
        db.session.commit()


def test_login_page_is_vietnamese_by_default(client) -> None:  # noqa: ANN001
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Đăng nhập" in page
    assert 'lang="vi"' in page


def test_login_page_switches_to_english(client) -> None:  # noqa: ANN001
    client.post("/auth/language", data={"language": "en"})
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Log in" in page


def test_login_with_right_password_redirects_home(app, client, auth) -> None:  # noqa: ANN001
    make_user(app)
    response = auth.login("enum1")
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/collect/")


def test_login_with_wrong_password_is_refused_in_vietnamese(app, auth) -> None:  # noqa: ANN001
    make_user(app)
    response = auth.login("enum1", "wrong password")
    assert response.status_code == 200
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(app, auth) -> None:  # noqa: ANN001
    make_user(app)
    with app.app_context():
        db.session.scalar(select(User)).active = False
        db.session.commit()
    assert auth.login("enum1").status_code == 200


def test_user_language_english_is_used_after_login(app, client, auth) -> None:  # noqa: ANN001
    make_user(app, language="en")
    auth.login("enum1")
    assert "My assignments" in client.get("/collect/").get_data(as_text=True)


def test_passwords_are_stored_hashed(app) -> None:  # noqa: ANN001
    make_user(app)
    with app.app_context():
        user = db.session.scalar(select(User))
        assert TEST_PASSWORD not in user.password_hash
        assert user.check_password(TEST_PASSWORD)
        assert not user.check_password("nope")


def test_default_password_hash_is_scrypt(app) -> None:  # noqa: ANN001
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    make_user(app, "slow")
    with app.app_context():
        assert db.session.scalar(select(User)).password_hash.startswith("scrypt:")


def test_session_cookie_is_httponly_and_samesite(app, auth) -> None:  # noqa: ANN001
    make_user(app)
    cookie = auth.login("enum1").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_does_not_redirect_off_site(app, auth, client) -> None:  # noqa: ANN001
    make_user(app)
    response = client.post(
        "/auth/login",
        data={"username": "enum1", "password": TEST_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.headers["Location"].endswith("/")
    assert "evil" not in response.headers["Location"]


def test_logout_needs_post_and_ends_session(app, client, auth) -> None:  # noqa: ANN001
    make_user(app)
    auth.login("enum1")
    assert client.get("/auth/logout").status_code == 405
    auth.logout()
    assert client.get("/collect/").status_code == 302
