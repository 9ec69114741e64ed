"""A year's figures through the gender-equality database in chromium, Vietnamese, 800 px wide.

A new district official and a department user each enter their figures for 2020 and submit
them; the Labour department approves them; both appear on the browse page, in the API and in
the CSV download.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from survey_app.admin.services import create_user
from survey_app.extensions import db
from survey_app.models import Area
from survey_app.results.services import set_department

from .live_app import PASSWORD, TABLET, log_in, seeded_app, served


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any]]:
    """The app with a second district, a district official and two department users."""
    app = seeded_app(tmp_path_factory.mktemp("indicators") / "ind.sqlite", "browser-indicators")
    with app.app_context():
        province = db.session.query(Area).filter_by(code="20").one()
        db.session.add(Area(code="180", name="Huyện Tràng Định", level="district", parent=province))
        db.session.flush()
        create_user("huyen178", "viewer", PASSWORD, area_code="178")
        for name, department in (("sokhdt", "khdt"), ("soldtbxh", "ldtbxh")):
            user = create_user(name, "viewer", PASSWORD)
            db.session.flush()
            set_department(user, department, None)
        db.session.commit()
    with served(app) as base:
        yield base, app


def new_tab(browser: Any) -> Any:
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # A blocked asset or inline code shows up as a console error naming the policy.
    tab.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    tab.errors = errors
    return tab


PHONE = {"width": 375, "height": 740}


def fits_the_width(tab: Any, width_limit: int = TABLET["width"]) -> None:
    width = tab.evaluate("document.documentElement.scrollWidth")
    widest = tab.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > innerWidth).map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"
    )
    assert width <= width_limit, f"the page is {width} px wide: {widest}"


def enter(tab: Any, base: str, code: str, numerator: str, denominator: str) -> None:
    tab.goto(f"{base}/indicators/")
    tab.get_by_role("link", name="Nhập số liệu").tap()
    tab.locator("#entry-code").select_option(code)
    tab.locator("#entry-period").fill("2020")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Mở").tap()
    tab.locator("#T-numerator").fill(numerator)
    tab.locator("#T-denominator").fill(denominator)
    fits_the_width(tab)
    tab.get_by_role("button", name="Gửi duyệt").tap()
    tab.get_by_text("Đã gửi số liệu để Sở Lao động").wait_for()


def test_district_and_department_figures_are_approved_and_published(browser, live_app) -> None:
    base, _app = live_app
    district = new_tab(browser)
    log_in(district, base, "huyen178")
    enter(district, base, "MT1-CT2", "4", "10")
    department = new_tab(browser)
    log_in(department, base, "sokhdt")
    enter(department, base, "MT2-CT2", "36", "90")
    # Nothing is published before the Labour department approves.
    body = department.request.get(f"{base}/api/v1/indicators?period=2020").json()
    assert [i["code"] for i in body["items"]] == ["MT2-CT2"]  # only its own draft

    labour = new_tab(browser)
    log_in(labour, base, "soldtbxh")
    labour.goto(f"{base}/indicators/")
    with labour.expect_navigation():
        labour.get_by_role("link", name="Duyệt số liệu").tap()
    assert labour.locator("#pending input[type=checkbox]").count() == 2
    fits_the_width(labour)
    labour.get_by_role("button", name="Duyệt các số liệu đã đánh dấu").tap()
    labour.get_by_text("Đã duyệt 2 số liệu.").wait_for()
    labour.get_by_text("Không có số liệu nào chờ duyệt.").wait_for()

    # The district official sees both on the browse page, in the API and in the download.
    district.goto(f"{base}/indicators/?code=MT1-CT2&level=district&area=178")
    assert district.locator("h1").inner_text() == "Chỉ tiêu bình đẳng giới"
    table = district.locator("#over-time").inner_text()
    assert "2020" in table and "40.0" in table
    assert district.locator("svg.indicator-chart circle").count() >= 1
    fits_the_width(district)
    district.goto(f"{base}/indicators/?code=MT2-CT2&level=province&area=20")
    assert "40.0" in district.locator("#over-time").inner_text()
    items = district.request.get(f"{base}/api/v1/indicators?period=2020").json()["items"]
    assert {(i["code"], i["area"], i["value"], i["status"]) for i in items} == {
        ("MT1-CT2", "178", 40.0, "approved"),
        ("MT2-CT2", "20", 40.0, "approved"),
    }
    with district.expect_download() as download:
        district.locator("#download-csv").tap()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "MT2-CT2" in text and "2020" in text and ",40.0," in text
    phone = browser.new_context(viewport=PHONE, has_touch=True, locale="vi-VN").new_page()
    log_in(phone, base, "huyen178")
    phone.goto(f"{base}/indicators/?code=MT1-CT2&level=district&area=178")
    assert "40.0" in phone.locator("#over-time").inner_text()
    fits_the_width(phone, PHONE["width"])
    phone.context.close()
    for tab in (district, department, labour):
        assert tab.errors == []
        tab.context.close()
