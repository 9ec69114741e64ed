"""The household roster on a tablet: one member per screen, a list to jump between members,
the member's name in place of "[TÊN]" in every question about them, and the progress counting
the roster's screens (the household form never opens as "Phần 1/1" with Submit in view)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from questionnaires import load_questionnaire
from questionnaires.selection import kish_line

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


def test_the_kish_grid_selects_the_person(page: Any, static_server: str) -> None:
    """Eligible by the household form's declared rule: the assigned form's sex, aged 18-64,
    oldest first; the household number's last digit and their number pick the position
    (checked against the grid by hand)."""
    rule = load_questionnaire(HOUSEHOLD).to_client_dict()["selection"]
    page.goto(f"{static_server}/static/css/app.css")
    women = [
        {"M03": 2, "M04": 30},  # line 1
        {"M03": 1, "M04": 50},  # line 2: a man
        {"M03": 2, "M04": 64},  # line 3
        {"M03": 2, "M04": 17},  # line 4: too young
        {"M03": 2, "M04": 41},  # line 5
    ]
    cases = [
        # The eligible women oldest first: line 3 (64), line 5 (41), line 1 (30).
        ({"HH24": 2, "household_no": 10, "roster": women}, 5, "row 0, 3 eligible: the 2nd"),
        ({"HH24": 2, "household_no": 14, "roster": women}, 1, "row 4, 3 eligible: the 3rd"),
        ({"HH24": 2, "household_no": 25, "roster": women}, 3, "row 5, 3 eligible: the 1st"),
        ({"HH24": 1, "household_no": 7, "roster": women}, 2, "one man"),
        ({"HH24": 1, "household_no": 7, "roster": women[:1]}, None, "no eligible man"),
    ]
    for answers, line, why in cases:
        got = page.evaluate(
            "async ([url, answers, rule]) => (await import(url)).kishLine(answers, rule)",
            [f"{static_server}/static/js/form/selection.js", answers, rule],
        )
        assert got == line, why


def test_the_app_and_the_server_select_the_same_person(page: Any, static_server: str) -> None:
    """The tablet (selection.js, with the grid the form hands it) and the server
    (questionnaires.selection.kish_line) pick the same line for every household of a set that
    covers each last digit, 0 to 9+ eligible members, ties, both sexes and unknown ages."""
    form = load_questionnaire(HOUSEHOLD)
    rule = form.to_client_dict()["selection"]
    page.goto(f"{static_server}/static/css/app.css")
    households = []
    for number in range(40):
        size = number % 12
        roster = [
            {
                "M03": 1 + (number + line) % 2,
                "M04": None if line == 5 else 16 + (number * 7 + line * 13) % 52,
            }
            for line in range(size)
        ]
        for sex in (1, 2):
            households.append({"HH24": sex, "household_no": number * 3 + 1, "roster": roster})
    got = page.evaluate(
        "async ([url, all, rule]) => { const m = await import(url);"
        " return all.map((answers) => m.kishLine(answers, rule)); }",
        [f"{static_server}/static/js/form/selection.js", households, rule],
    )
    expected = [kish_line(form.selection, answers) for answers in households]
    assert got == expected
    assert len({line for line in expected if line is not None}) >= 5
