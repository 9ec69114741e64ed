"""A whole day in the field, offline, on a tablet (800 px wide).

Log in online; the network goes. Start two households from the assignments (ids prefilled from
the assignment's area, household numbers 1 and 2), fill a ten-member roster one member per
screen with each member's name in the questions about them, reload in the middle of typing
(nothing lost, back on the same member), launch the individual interview of the person the
household selected (ids, line, name, sex and age filled in), press logout and the language
switch while offline (a clear message, nothing lost). Back online everything is sent; the
supervisor returns one household with a comment; the tablet gets it, opens it on the answer the
comment names, the fix is made offline and sent: the server applies it as a new revision of the
same interview (audited), keeps no conflict, and ends with exactly three interviews.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from survey_app.admin.services import create_assignment
from survey_app.api.models import SubmissionConflict, SubmissionReceipt
from survey_app.core.questionnaire_store import publish
from survey_app.extensions import db
from survey_app.models import Assignment, AuditLog, Submission, User
from survey_app.submissions import open_answers, review

from .live_app import TABLET, choose, field, fill_members, log_in, section, seeded_app, served
from .test_offline_sync import items, wait_until

DATA = Path(__file__).resolve().parent / "data"
MEMBERS = [
    ("Hoàng Văn Lâm", 1, "52"),
    ("Nông Thị Hoa", 2, "47"),
    ("Hoàng Văn Minh", 1, "25"),
    ("Hoàng Thị Mai", 2, "22"),
    ("Hoàng Văn Nam", 1, "19"),
    ("Hoàng Thị Lan", 2, "16"),
    ("Hoàng Văn Bình", 1, "12"),
    ("Hoàng Thị Thu", 2, "9"),
    ("Hoàng Văn An", 1, "5"),
    ("Hoàng Thị Hằng", 2, "2"),
]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any]]:  # noqa: ANN001
    app = seeded_app(tmp_path_factory.mktemp("day") / "day.sqlite", "browser-field-day")
    with app.app_context():
        for name in ("day_household", "day_individual", "day_women"):
            publish(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")))
        db.session.flush()
        for name in ("day_household", "day_individual", "day_women"):
            create_assignment("lan", "17801001", name, 20)
        db.session.commit()
    with served(app) as base:
        yield base, app


def assignment_id(app: Any, questionnaire: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Assignment.id).where(Assignment.questionnaire_id == questionnaire)
        )


def chosen(tab: Any, path: str) -> str | None:
    box = field(tab, path).locator("input:checked")
    return box.first.get_attribute("value") if box.count() else None


def value(tab: Any, path: str) -> str:
    return field(tab, path).locator("input").input_value()


def start_household(tab: Any, base: str, assignment: int) -> str:
    tab.goto(f"{base}/collect/offline/")
    tab.locator(f".offline-assignment[data-assignment='{assignment}'] .offline-start").tap()
    tab.wait_for_url(lambda url: "/collect/offline/interview?uuid=" in url)
    tab.wait_for_selector("#gesurvey-form[data-ready='true']")
    assert section(tab) == "ID"
    return tab.url.rsplit("=", 1)[1]


def row(tab: Any) -> str:
    return tab.locator(".gs-page").get_attribute("data-row")


def finish_selection(tab: Any, form_type: int, line: int) -> None:
    """Say which individual form the household has; the app selects the person (Kish grid)."""
    assert section(tab) == "SEL"
    assert chosen(tab, "HH25") is None
    choose(tab, "HH24", form_type)
    assert chosen(tab, "HH25") == str(line)
    tab.locator(".gs-submit").tap()
    tab.wait_for_url(lambda url: url.endswith("/collect/outbox"))


@pytest.mark.slow
def test_a_whole_offline_day(browser: Any, live_app: tuple[str, Any]) -> None:
    base, app = live_app
    households = assignment_id(app, "day_household")
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Online, once: the app, its questionnaires and the assignments are kept on the tablet.
        log_in(tab, base, "lan")
        tab.goto(f"{base}/collect/offline/")
        tab.wait_for_selector(".offline-assignment .offline-start")
        tab.evaluate("navigator.serviceWorker.ready.then(() => true)")
        for form in ("day_household@1.0.0", "day_individual@1.0.0"):
            wait_until(tab, f"() => GESurveyOutbox.get('forms', '{form}').then(Boolean)")
        tab.reload()
        wait_until(tab, "() => navigator.serviceWorker.controller !== null")
        tab.wait_for_load_state("networkidle")
        context.set_offline(True)

        # Household 1: ids from the assignment's area, the first household number.
        first = start_household(tab, base, households)
        assert (chosen(tab, "province"), chosen(tab, "district")) == ("20", "178")
        assert (value(tab, "commune"), value(tab, "village")) == ("17801", "1")
        assert value(tab, "household_no") == "1"
        field(tab, "HH01").locator("input").fill("Hoàng Văn Lâm")
        tab.locator(".gs-next").tap()
        assert section(tab) == "R" and row(tab) == "-1"
        field(tab, "HH06").locator("input").fill(str(len(MEMBERS)))
        tab.locator(".gs-next").tap()

        # Ten members, one per screen, each named in the questions about them.
        progress = tab.locator(".gs-progress-text").inner_text()
        assert int(progress.split("/")[1]) >= 2 + len(MEMBERS) + 1, progress
        for i, (name, sex, age) in enumerate(MEMBERS):
            assert row(tab) == str(i)
            assert tab.locator(".gs-field[data-path^='roster/']").count() == 3
            field(tab, f"roster/{i}/M01").locator("input").fill(name)
            question = field(tab, f"roster/{i}/M03").locator(".gs-label-text").inner_text()
            assert question == f"{name} là nam hay nữ?"
            choose(tab, f"roster/{i}/M03", sex)
            if i == 4:
                # A reload in the middle of typing: the keystrokes are on the tablet.
                field(tab, f"roster/{i}/M04").locator("input").press_sequentially(age)
                tab.reload()
                tab.wait_for_selector("#gesurvey-form[data-ready='true']")
                assert section(tab) == "R" and row(tab) == str(i)
                assert value(tab, f"roster/{i}/M04") == age
                assert value(tab, f"roster/{i}/M01") == name
            else:
                field(tab, f"roster/{i}/M04").locator("input").fill(age)
            tab.locator(".gs-next").tap()
        members = tab.locator(".gs-members")
        assert members.count() == 0  # past the roster
        # Form B: the women 18-64 oldest first are Hoa (line 2) and Mai (line 4); household 1,
        # two eligible: the grid's row 1, column 2 says the first, Hoa.
        finish_selection(tab, 2, 2)
        card = items(tab, "pending").first
        card.wait_for()
        assert card.get_attribute("data-household") == "1"
        assert card.get_attribute("data-name") == "Lâm"

        # The individual interview of the selected person, started from the household.
        card.locator(".offline-handoff[data-questionnaire='day_individual']").tap()
        tab.wait_for_url(lambda url: "/collect/offline/interview?uuid=" in url)
        tab.wait_for_selector("#gesurvey-form[data-ready='true']")
        assert chosen(tab, "form_type") == "2"
        assert (value(tab, "household_no"), value(tab, "resp_line")) == ("1", "2")
        assert value(tab, "commune") == "17801"
        tab.locator(".gs-next").tap()
        assert section(tab) == "RESP"
        assert value(tab, "resp_name") == "Nông Thị Hoa"
        assert (chosen(tab, "resp_sex"), value(tab, "resp_age")) == ("2", "47")
        choose(tab, "D1_01", 1)
        tab.locator(".gs-submit").tap()
        tab.wait_for_url(lambda url: url.endswith("/collect/outbox"))

        # Household 2: the next household number.
        second = start_household(tab, base, households)
        assert value(tab, "household_no") == "2"
        field(tab, "HH01").locator("input").fill("Nông Văn Hải")
        tab.locator(".gs-next").tap()
        field(tab, "HH06").locator("input").fill("1")
        tab.locator(".gs-next").tap()
        field(tab, "roster/0/M01").locator("input").fill("Nông Văn Hải")
        choose(tab, "roster/0/M03", 1)
        field(tab, "roster/0/M04").locator("input").fill("40")
        tab.locator(".gs-next").tap()
        finish_selection(tab, 1, 1)

        # Logout and the language switch while offline: a clear message, nothing lost.
        expect(items(tab, "pending")).to_have_count(3)
        tab.locator("#logout").tap()
        message = tab.locator("#app-message")
        message.wait_for(state="visible")
        assert "Đăng xuất cần có mạng" in message.inner_text()
        tab.locator("#language-form button").tap()
        wait_until(
            tab, "() => document.getElementById('app-message').dataset.shown === 'languageOffline'"
        )
        assert tab.url.endswith("/collect/outbox")
        expect(items(tab, "pending")).to_have_count(3)

        # Online: everything is sent.
        context.set_offline(False)
        wait_until(
            tab,
            "() => GESurveyOutbox.all('outbox').then(all => all.length === 3 && "
            "all.every(i => i.state === 'sent'))",
            seconds=30,
        )
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Submission)) == 3
            stored = db.session.scalar(select(Submission).where(Submission.uuid == first))
            assert open_answers(stored)["household_no"] == 1
            supervisor = db.session.scalar(select(User).where(User.username == "minh"))
            review(stored, supervisor, "return", "M04: tuổi của Hoa cần kiểm tra lại (45)")
            db.session.commit()

        # The returned interview reaches the tablet with the comment; fixed offline.
        tab.goto(f"{base}/collect/offline/")
        draft = tab.locator(f".offline-draft[data-uuid='{first}']")
        draft.wait_for()
        assert "Hoa cần kiểm tra lại" in draft.inner_text()
        context.set_offline(True)
        draft.locator(".offline-continue").tap()
        tab.wait_for_selector("#gesurvey-form[data-ready='true']")
        assert "Hoa cần kiểm tra lại" in tab.locator("#review-comment").inner_text()
        assert section(tab) == "R" and row(tab) == "1"  # on Hoa's screen
        field(tab, "roster/1/M04").locator("input").fill("45")
        while section(tab) != "SEL":
            tab.locator(".gs-next").tap()
        tab.locator(".gs-submit").tap()
        tab.wait_for_url(lambda url: url.endswith("/collect/outbox"))
        context.set_offline(False)
        wait_until(
            tab,
            "id => GESurveyOutbox.get('outbox', id).then(i => i.state === 'sent' && "
            "i.last_status === 200)",
            first,
            seconds=30,
        )

        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Submission)) == 3
            assert db.session.scalar(select(func.count()).select_from(SubmissionConflict)) == 0
            assert db.session.scalar(select(func.count()).select_from(SubmissionReceipt)) == 3
            stored = db.session.scalar(select(Submission).where(Submission.uuid == first))
            assert stored.status == "submitted"
            assert open_answers(stored)["roster"][1]["M04"] == 45
            actions = [
                (entry.action, entry.field)
                for entry in db.session.scalars(
                    select(AuditLog).where(AuditLog.object_id == first).order_by(AuditLog.id)
                )
            ]
            assert actions == [
                ("submission.submit", "status"),
                ("submission.return", "status"),
                ("submission.correct", "roster"),
                ("submission.resubmit", "status"),
            ], actions
            other = db.session.scalar(select(Submission).where(Submission.uuid == second))
            assert other.status == "submitted" and open_answers(other)["household_no"] == 2
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.mark.slow
def test_the_womens_module_starts_from_the_household_with_only_the_link(
    browser: Any, live_app: tuple[str, Any]
) -> None:
    """Offline, the household selects its woman by the form's declared rule (Kish grid) and
    makes the link code; the women's module started from it holds her sex and age and the link
    code only: no name, household number, village or line."""
    base, app = live_app
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    tab = context.new_page()
    try:
        log_in(tab, base, "lan")
        tab.goto(f"{base}/collect/offline/")
        tab.evaluate("navigator.serviceWorker.ready.then(() => true)")
        for form in ("day_household@1.0.0", "day_women@1.0.0"):
            wait_until(tab, f"() => GESurveyOutbox.get('forms', '{form}').then(Boolean)")
        tab.reload()
        wait_until(tab, "() => navigator.serviceWorker.controller !== null")
        tab.wait_for_load_state("networkidle")
        context.set_offline(True)

        start_household(tab, base, assignment_id(app, "day_household"))
        field(tab, "HH01").locator("input").fill("Hoàng Văn Lâm")
        tab.locator(".gs-next").tap()
        field(tab, "HH06").locator("input").fill("3")
        tab.locator(".gs-next").tap()
        fill_members(tab, MEMBERS[:3])
        # The women 18-64: Hoa (line 2) alone; household 1, one eligible: she is selected.
        assert section(tab) == "SEL"
        choose(tab, "HH24", 2)
        assert chosen(tab, "HH25") == "2"
        link = value(tab, "W_LINK")
        assert len(link) == 16
        tab.locator(".gs-submit").tap()
        tab.wait_for_url(lambda url: url.endswith("/collect/outbox"))

        card = items(tab, "pending").first
        card.locator(".offline-handoff[data-questionnaire='day_women']").tap()
        tab.wait_for_url(lambda url: "/collect/offline/interview?uuid=" in url)
        tab.wait_for_selector("#gesurvey-form[data-ready='true']")
        assert value(tab, "hh_link") == link
        assert (chosen(tab, "resp_sex"), value(tab, "resp_age")) == ("2", "47")
        uuid = tab.url.rsplit("=", 1)[1]
        answers = tab.evaluate("id => GESurveyOutbox.get('drafts', id).then(d => d.answers)", uuid)
        assert answers == {
            "province": 20,
            "district": 178,
            "hh_link": link,
            "resp_sex": 2,
            "resp_age": 47,
        }
        page = tab.locator("body").inner_text()
        assert "Hoa" not in page and "Lâm" not in page
    finally:
        context.close()
