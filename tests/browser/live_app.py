"""The collection app served on loopback for browser tests, and the steps tests take in it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from werkzeug.serving import make_server

from survey_app import create_app
from survey_app.admin.services import create_assignment, create_user
from survey_app.core.questionnaire_store import publish
from survey_app.extensions import db
from survey_app.models import Area

TEST_FORM = Path(__file__).resolve().parents[1] / "survey_app" / "data" / "test_household.json"
PASSWORD = "mật khẩu thử 123"
TABLET = {"width": 800, "height": 1280}


def seeded_app(database: Path, secret: str, enumerators: Sequence[str] = ("lan",)) -> Any:
    """An app on a fresh SQLite file: one village of district 178, a supervisor `minh`, and each
    enumerator assigned 20 households of the test form there."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": secret,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "DATA_KEY": Fernet.generate_key().decode("ascii"),
        }
    )
    with app.app_context():
        db.create_all()
        province = Area(code="20", name="Tỉnh Lạng Sơn", level="province")
        district = Area(code="178", name="Thành phố Lạng Sơn", level="district", parent=province)
        commune = Area(code="17801", name="Phường Chi Lăng", level="commune", parent=district)
        village = Area(code="17801001", name="Khối 1", level="village", parent=commune)
        db.session.add_all([province, district, commune, village])
        db.session.flush()
        create_user("minh", "supervisor", PASSWORD, area_code="178")
        for name in enumerators:
            create_user(name, "enumerator", PASSWORD, area_code="17801001")
        publish(json.loads(TEST_FORM.read_text(encoding="utf-8")))
        db.session.flush()
        for name in enumerators:
            create_assignment(name, "17801001", "test_household", 20)
        db.session.commit()
    return app


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve the app on a free loopback port for the duration of the block; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def log_in(tab: Any, base: str, username: str) -> None:
    """Log in through the Vietnamese login page and wait for the page after it."""
    tab.goto(f"{base}/auth/login")
    assert tab.locator("h1").inner_text() == "Đăng nhập"
    tab.get_by_label("Tên đăng nhập").fill(username)
    tab.get_by_label("Mật khẩu").fill(PASSWORD)
    tab.locator("#login-submit").tap()
    tab.wait_for_url(lambda url: "/auth/login" not in url)
    tab.wait_for_load_state()


def field(tab: Any, path: str) -> Any:
    return tab.locator(f".gs-field[data-path='{path}']")


def choose(tab: Any, path: str, code: int) -> None:
    field(tab, path).locator(f".gs-choice[data-code='{code}']").tap()


def section(tab: Any) -> str:
    return tab.locator(".gs-page").get_attribute("data-section")


def fill_members(tab: Any, members: Sequence[tuple[str, int, str]]) -> None:
    """Fill the test form's roster, shown one member per screen: (name, sex code, age) for each,
    tapping Next after each member (the last Next leaves the roster)."""
    for i, (name, sex, age) in enumerate(members):
        assert tab.locator(".gs-page").get_attribute("data-row") == str(i)
        field(tab, f"roster/{i}/M01").locator("input").fill(name)
        choose(tab, f"roster/{i}/M03", sex)
        field(tab, f"roster/{i}/M04").locator("input").fill(age)
        tab.locator(".gs-next").tap()
