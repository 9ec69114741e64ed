"""The household roster on a tablet: one member per screen, a list to jump between members,
the member's name in place of "[TÊN]" in every question about them, and the progress counting
the roster's screens (the household form never opens as "Phần 1/1" with Submit in view)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from questionnaires import load_questionnaire

from .test_form_engine import Server, field, form_page_html, html_route, section

HOUSEHOLD = Path(__file__).resolve().parents[2] / "questionnaires" / "forms" / "household.json"
NAMES = ["Hoàng Văn Lâm", "Nông Thị Hoa", "Hoàng Minh", "Hoàng Thị Mai"]


def test_household_roster_one_member_per_screen(page: Any, static_server: str) -> None:
    client = load_questionnaire(HOUSEHOLD).to_client_dict()
    answers = {
        "HH04": 1,
        "HH05": 1,
        "HH06": len(NAMES),
        "roster": [{"M01": name} for name in NAMES],
    }
    data = {
        "questionnaire": client,
        "answers": answers,
        "page": 0,
        "submission": {"uuid": "roster-screens", "status": "draft", "row_version": 1},
        "errors": [],
    }
    server = Server()
    page.route(f"{static_server}/collect/draft", server.draft)
    page.route(f"{static_server}/interview/roster", html_route(form_page_html(static_server, data)))
    page.goto(f"{static_server}/interview/roster")
    page.wait_for_selector("#gesurvey-form[data-ready='true']")

    progress = page.locator(".gs-progress-text").inner_text()
    total = int(progress.split("/")[1])
    sections = len(client["sections"])
    assert total >= sections - 2 + len(NAMES), progress  # members count as screens
    assert page.locator(".gs-submit").is_hidden()

    # Before consent the later sections are undecided: still counted, Submit not offered.
    app = "document.getElementById('gesurvey-form').gesurveyForm"
    page.evaluate(f"{app}.raw.HH05 = null; {app}.refresh()")
    assert page.locator(".gs-progress-text").inner_text() != "Phần 1/1"
    assert page.locator(".gs-submit").is_hidden() and page.locator(".gs-next").is_visible()
    page.evaluate(f"{app}.raw.HH05 = 1; {app}.refresh()")

    page.evaluate(f"{app}.goTo(1)")
    assert section(page) == "R"
    assert page.locator(".gs-page").get_attribute("data-row") == "-1"  # HH06 first
    members = page.locator(".gs-members .gs-member")
    assert members.count() == len(NAMES) + 2  # before, each member, after
    page.locator(".gs-next").click()

    # Member 1 alone on the screen, named in its questions.
    assert page.locator(".gs-page").get_attribute("data-row") == "0"
    assert page.locator(".gs-member-title").inner_text() == "Thành viên 1/4 · Hoàng Văn Lâm"
    label = field(page, "roster/0/M03").locator(".gs-label-text").inner_text()
    assert label == "Hoàng Văn Lâm là nam hay nữ?"
    assert page.locator(".gs-field[data-path^='roster/1/']").count() == 0
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 12000, height

    # Jump to member 3 from the list; typing a name renames its questions at once.
    page.locator(".gs-members .gs-member[data-row='2']").click()
    assert page.locator(".gs-members .gs-member[data-row='2']").get_attribute("aria-current")
    field(page, "roster/2/M01").locator("input").fill("Hoàng Văn Minh")
    assert (
        field(page, "roster/2/M04").locator(".gs-label-text").inner_text()
        == "Hoàng Văn Minh bao nhiêu tuổi tròn theo dương lịch?"
    )
    assert "3 · Hoàng Văn Minh" in page.locator(".gs-members").inner_text()

    # In English the marker is [NAME].
    page.locator(".gs-lang").click()
    assert (
        field(page, "roster/2/M03")
        .locator(".gs-label-text")
        .inner_text()
        .startswith("Is Hoàng Văn Minh")
    )
