"""The whole collection round trip in Debian chromium on a tablet, against the real app.

An enumerator logs in in Vietnamese, fills a household interview (roster, a skipped section, a
constraint message), leaves and resumes the draft, submits; the supervisor returns it with a
comment; the enumerator fixes and resubmits; the supervisor approves; the audit trail shows every
step. The app runs on 127.0.0.1 with its own SQLite database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Submission

from .live_app import TABLET, choose, field, fill_members, log_in, section, seeded_app, served


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any]]:
    """The app on a fresh SQLite database with a district, a village, users and the test form."""
    app = seeded_app(tmp_path_factory.mktemp("flow") / "flow.sqlite", "browser-flow")
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


def wait_form(tab: Any) -> None:
    tab.wait_for_selector("#gesurvey-form[data-ready='true']")


def wait_saved(tab: Any) -> None:
    tab.wait_for_selector(".gs-status.gs-status-ok")


def stored(app: Any) -> Submission:
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        db.session.expunge(submission)
        return submission


@pytest.mark.slow
def test_interview_round_trip(browser: Any, live_app: tuple[str, Any]) -> None:
    base, app = live_app
    enumerator = new_tab(browser)
    log_in(enumerator, base, "lan")
    assert enumerator.locator("h1").inner_text() == "Việc được giao"
    enumerator.get_by_role("button", name="Bắt đầu phiếu mới").tap()
    wait_form(enumerator)
    assert section(enumerator) == "H"

    # Household page: a constraint message appears live, then the answer is fixed.
    field(enumerator, "HH01").locator("input").fill("Hoàng Văn Lâm")
    field(enumerator, "HH02").locator("input").fill("25")
    message = field(enumerator, "HH02").locator(".gs-message")
    assert message.inner_text() == "Số thành viên từ 1 đến 20"
    field(enumerator, "HH02").locator("input").fill("2")
    assert message.is_hidden()
    choose(enumerator, "HH03", 0)  # no business: section B must be skipped
    enumerator.locator(".gs-next").tap()
    assert section(enumerator) == "R"
    wait_saved(enumerator)

    # Roster: one row per member (count comes from HH02).
    fill_members(enumerator, [("Lâm", 1, "45"), ("Hoa", 2, "14")])
    assert section(enumerator) == "E", "the business section does not apply"
    wait_saved(enumerator)
    saved = stored(app)
    assert saved.page == 3 and saved.answers["roster"][1]["M01"] == "Hoa"
    assert "B01" not in saved.answers

    # Leave the interview and come back to it from the list.
    enumerator.goto(f"{base}/collect/submissions")
    enumerator.get_by_role("link", name="Tiếp tục").tap()
    wait_form(enumerator)
    assert section(enumerator) == "E"
    enumerator.locator(".gs-prev").tap()
    assert field(enumerator, "roster/1/M01").locator("input").input_value() == "Hoa"
    enumerator.locator(".gs-next").tap()
    choose(enumerator, "E01", 1)
    # form.js sends submit with the row_version it holds; let the page-change saves land first.
    wait_saved(enumerator)
    enumerator.locator(".gs-submit").tap()
    enumerator.wait_for_url(f"{base}/collect/")
    assert "Đã gửi phiếu" in enumerator.locator("main").inner_text()
    assert stored(app).status == "submitted"

    # The supervisor returns it with a comment.
    supervisor = new_tab(browser)
    log_in(supervisor, base, "minh")
    supervisor.get_by_role("link", name="Mở").tap()
    supervisor.wait_for_url(lambda url: "/review/" in url and not url.endswith("/review/"))
    assert "Hoàng Văn Lâm" in supervisor.locator("main").inner_text()
    supervisor.get_by_label("Nhận xét cho điều tra viên").fill("Tuổi của Hoa cần kiểm tra lại")
    supervisor.locator("#return").tap()
    supervisor.wait_for_url(f"{base}/review/")
    assert stored(app).status == "returned"

    # The enumerator sees the comment, fixes the age and resubmits.
    enumerator.goto(f"{base}/collect/submissions")
    assert "Tuổi của Hoa cần kiểm tra lại" in enumerator.locator("main").inner_text()
    enumerator.get_by_role("link", name="Sửa").tap()
    wait_form(enumerator)
    assert "Tuổi của Hoa cần kiểm tra lại" in enumerator.locator("#review-comment").inner_text()
    enumerator.locator(".gs-prev").tap()
    assert section(enumerator) == "R"
    field(enumerator, "roster/1/M04").locator("input").fill("15")
    enumerator.locator(".gs-next").tap()
    wait_saved(enumerator)
    enumerator.locator(".gs-submit").tap()
    enumerator.wait_for_url(f"{base}/collect/")
    resubmitted = stored(app)
    assert resubmitted.status == "submitted"
    assert resubmitted.answers["roster"][1]["M04"] == 15

    # The supervisor approves; the history shows every step.
    supervisor.goto(f"{base}/review/{resubmitted.uuid}")
    supervisor.locator("#approve").tap()
    supervisor.wait_for_url(f"{base}/review/")
    assert stored(app).status == "approved"
    supervisor.goto(f"{base}/review/{resubmitted.uuid}")
    actions = supervisor.locator("#audit .audit-entry").evaluate_all(
        "rows => rows.map(r => r.dataset.action)"
    )
    assert actions == [
        "submission.start",
        "submission.submit",
        "submission.return",
        "submission.resubmit",
        "submission.approve",
    ]
    history = supervisor.locator("#audit").inner_text()
    assert "Tuổi của Hoa cần kiểm tra lại" in history
    assert "Trả lại phiếu để sửa" in history and "submission.return" not in history
    assert enumerator.errors == [] and supervisor.errors == []


TOUCH_TARGETS = """els => els.filter(e => e.offsetParent !== null)
    .map(e => [e.textContent.trim() || e.name || e.tagName, e.getBoundingClientRect().height])
    .filter(([, height]) => height < 44)"""


@pytest.mark.parametrize(
    "viewport", [TABLET, {"width": 1280, "height": 800}], ids=["portrait", "landscape"]
)
def test_app_pages_fit_the_tablet_with_large_touch_targets(
    browser: Any, live_app: tuple[str, Any], viewport: dict[str, int]
) -> None:
    base, _app = live_app
    for username, paths in (
        ("lan", ["/collect/", "/collect/submissions"]),
        ("minh", ["/review/?status=all", "/admin/progress"]),
    ):
        context = browser.new_context(viewport=viewport, has_touch=True, locale="vi-VN")
        tab = context.new_page()
        tab.goto(f"{base}/auth/login")
        assert tab.locator("button, input, select, a.button").evaluate_all(TOUCH_TARGETS) == []
        log_in(tab, base, username)
        for path in paths:
            tab.goto(base + path)
            small = tab.locator(
                "main button, main input:not([type=hidden]), main select, main a.button, nav a"
            ).evaluate_all(TOUCH_TARGETS)
            assert small == [], f"{path}: touch targets under 44 px: {small}"
            overflow = tab.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
        context.close()
