"""The browser form engine (js/form/, ES modules) in Debian chromium on a tablet viewport.

A small inline questionnaire, built by the real loader and sent as ``to_client_dict()``, covers
skip logic, constraints, rosters, choice filters, calculations, missing codes and the draft and
submit round trips with the server (answered here by Playwright routes).
"""

from __future__ import annotations

import copy
import html
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from questionnaires import questionnaire_from_dict

HERE = Path(__file__).resolve().parent
UUID = "3f1c9d2e-7a4b-4c1d-9e8f-0a1b2c3d4e5f"
PORTRAIT = {"width": 800, "height": 1280}
LANDSCAPE = {"width": 1280, "height": 800}


def L(vi: str, en: str) -> dict[str, str]:  # noqa: N802 - reads like the JSON it builds
    return {"vi": vi, "en": en}


FORM: dict[str, Any] = {
    "id": "browser_test",
    "version": "1.0.0",
    "languages": ["vi", "en"],
    "default_language": "vi",
    "title": L("Phiếu thử trình duyệt", "Browser test form"),
    "unit": "household",
    "analysis": {"weight": "weight_final", "stratum": "stratum", "psu": "psu", "sex": "M03"},
    "choice_lists": {
        "district": [
            {"code": 1, "name": "trang_dinh", "label": L("Tràng Định", "Trang Dinh")},
            {"code": 2, "name": "cao_loc", "label": L("Cao Lộc", "Cao Loc")},
        ],
        "commune": [
            {"code": 11, "name": "that_khe", "label": L("Thất Khê", "That Khe"), "district": 1},
            {"code": 12, "name": "chi_lang", "label": L("Chi Lăng", "Chi Lang"), "district": 1},
            {"code": 21, "name": "dong_dang", "label": L("Đồng Đăng", "Dong Dang"), "district": 2},
        ],
        "sex": [
            {"code": 1, "name": "male", "label": L("Nam", "Male")},
            {"code": 2, "name": "female", "label": L("Nữ", "Female")},
        ],
        "org": [
            {"code": 1, "name": "party", "label": L("Đảng", "Party")},
            {"code": 2, "name": "womens_union", "label": L("Hội Phụ nữ", "Women's Union")},
            {"code": 7, "name": "none", "label": L("Không", "None"), "exclusive": True},
        ],
    },
    "sections": [
        {
            "id": "H",
            "title": L("Thông tin hộ", "Household"),
            "items": [
                {
                    "id": "HH01",
                    "type": "text",
                    "required": True,
                    "label": L("Tên chủ hộ", "Head of household"),
                },
                {
                    "id": "HH02",
                    "type": "integer",
                    "required": True,
                    "label": L("Số thành viên", "Household members"),
                    "constraint": ". >= 1 and . <= 30",
                    "constraint_message": L("Số thành viên từ 1 đến 30", "Members must be 1 to 30"),
                },
                {
                    "id": "HH03",
                    "type": "single",
                    "choices": "district",
                    "label": L("Huyện", "District"),
                },
                {
                    "id": "HH04",
                    "type": "single",
                    "choices": "commune",
                    "choice_filter": "district = ${HH03}",
                    "label": L("Xã", "Commune"),
                },
                {"id": "HH05", "type": "yesno", "label": L("Hộ có kinh doanh?", "Business?")},
                {
                    "id": "HH06",
                    "type": "text",
                    "relevant": "${HH05} = 'yes'",
                    "label": L("Tên cơ sở", "Business name"),
                },
                {
                    "id": "HH07",
                    "type": "calculate",
                    "calculation": "${HH02} * 10",
                    "label": L("Mười lần số thành viên", "Ten times the members"),
                },
                {
                    "id": "HH08",
                    "type": "decimal",
                    "missing_codes": [98, 99],
                    "label": L("Diện tích đất (ha)", "Land (ha)"),
                },
            ],
        },
        {
            "id": "R",
            "title": L("Thành viên", "Members"),
            "items": [
                {
                    "id": "roster",
                    "type": "repeat",
                    "unit": "member",
                    "label": L("Danh sách thành viên", "Roster"),
                    "items": [
                        {"id": "M01", "type": "text", "label": L("Tên", "Name")},
                        {
                            "id": "M03",
                            "type": "single",
                            "choices": "sex",
                            "label": L("Giới tính", "Sex"),
                        },
                        {
                            "id": "M04",
                            "type": "integer",
                            "missing_codes": [98],
                            "label": L("Tuổi", "Age"),
                            "constraint": ". <= 120",
                            "constraint_message": L("Tuổi tối đa 120", "Age at most 120"),
                        },
                        {
                            "id": "M05",
                            "type": "yesno",
                            "relevant": "${M04} >= 15",
                            "label": L("Đã kết hôn?", "Ever married?"),
                        },
                    ],
                },
                {
                    "id": "NW",
                    "type": "calculate",
                    "calculation": "count(${roster}, ${M03} = 2)",
                    "label": L("Số nữ", "Women"),
                },
            ],
        },
        {
            "id": "V",
            "title": L("Lần thăm", "Visits"),
            "relevant": "${HH02} <= 5",
            "items": [
                {
                    "id": "visits",
                    "type": "repeat",
                    "unit": "visit",
                    "count": "${HH02}",
                    "label": L("Mỗi thành viên một dòng", "One row per member"),
                    "items": [{"id": "V01", "type": "date", "label": L("Ngày", "Date")}],
                },
            ],
        },
        {
            "id": "D",
            "title": L("Tham gia", "Participation"),
            "items": [
                {
                    "id": "D1_04",
                    "type": "multi",
                    "choices": "org",
                    "missing_codes": [98],
                    "label": L("Tổ chức", "Organisations"),
                },
                {"id": "A01", "type": "likert5", "label": L("Nam nữ bình đẳng", "Equality")},
                {
                    "id": "P01",
                    "type": "grid",
                    "choices": "sex",
                    "missing_codes": [98],
                    "label": L("Ai làm việc nhà", "Who does housework"),
                    "rows": [
                        {"id": "cook", "label": L("Nấu ăn", "Cooking")},
                        {"id": "clean", "label": L("Dọn dẹp", "Cleaning")},
                    ],
                },
                {"id": "N1", "type": "note", "label": L("Cảm ơn", "Thank you")},
            ],
        },
    ],
}


def client_dict(form: dict[str, Any] = FORM) -> dict[str, Any]:
    """Load the inline form with the real loader and return what the server embeds."""
    return questionnaire_from_dict(copy.deepcopy(form), source="tests/browser").to_client_dict()


def form_page_html(
    static_base: str,
    data: dict[str, Any],
    *,
    lang: str = "vi",
    draft_url: str = "/collect/draft",
    submit_url: str = "/collect/submit",
    csrf_token: str = "test-token",
) -> str:
    """Return an interview page laid out as the server's template does (the mount contract)."""
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{static_base}/static/css/form.css"></head>
<body>
<div id="gesurvey-form" data-lang="{lang}" data-draft-url="{html.escape(draft_url)}"
     data-submit-url="{html.escape(submit_url)}" data-csrf-token="{html.escape(csrf_token)}"></div>
<script type="application/json" id="gesurvey-form-data">{payload}</script>
<script type="module" src="{static_base}/static/js/form/index.js"></script>
</body></html>"""


def html_route(body: str) -> Any:
    """A route handler that answers with the given HTML page."""

    def handler(route: Any) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    return handler


class Server:
    """Answers the form's draft and submit POSTs and records what it was sent."""

    def __init__(self) -> None:
        self.drafts: list[dict[str, Any]] = []
        self.submits: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.row_version = 3
        self.draft_reply: tuple[int, dict[str, Any]] | None = None
        self.submit_reply: tuple[int, dict[str, Any]] = (200, {"redirect": "/done"})
        self.external: list[str] = []
        self.offline = False

    def draft(self, route: Any) -> None:
        if self.offline:  # Playwright routes answer even offline: fail as the network would
            route.abort("internetdisconnected")
            return
        self.drafts.append(json.loads(route.request.post_data))
        self.headers.append(route.request.headers)
        if self.draft_reply is not None:
            status, body = self.draft_reply
        else:
            self.row_version += 1
            status, body = 200, {"row_version": self.row_version}
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def submit(self, route: Any) -> None:
        self.submits.append(json.loads(route.request.post_data))
        status, body = self.submit_reply
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))


def open_form(
    page: Any,
    static_server: str,
    *,
    answers: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    page_index: int = 0,
    lang: str = "vi",
    form: dict[str, Any] = FORM,
    server: Server | None = None,
) -> Server:
    """Open an interview page laid out as the server's template and wait for the form."""
    server = server or Server()
    data = {
        "questionnaire": client_dict(form),
        "answers": answers or {},
        "page": page_index,
        "submission": {"uuid": UUID, "status": "draft", "row_version": server.row_version},
        "errors": errors or [],
    }
    page_html = form_page_html(static_server, data, lang=lang)
    origin = urlparse(static_server).netloc

    def watch(request: Any) -> None:
        if urlparse(request.url).netloc != origin:
            server.external.append(request.url)

    page.on("request", watch)
    page.route(
        f"{static_server}/interview",
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=page_html
        ),
    )
    page.route(f"{static_server}/collect/draft", server.draft)
    page.route(f"{static_server}/collect/submit", server.submit)
    page.goto(f"{static_server}/interview")
    page.wait_for_selector("#gesurvey-form[data-ready='true']")
    return server


def field(page: Any, path: str) -> Any:
    return page.locator(f".gs-field[data-path='{path}']")


def choose(page: Any, path: str, code: int) -> None:
    field(page, path).locator(f".gs-choice[data-code='{code}']").click()


def fill_first_page(page: Any, members: int = 2) -> None:
    field(page, "HH01").locator("input").fill("Hoàng Văn A")
    field(page, "HH02").locator("input").fill(str(members))


def next_page(page: Any) -> None:
    page.locator(".gs-next").click()


def section(page: Any) -> str:
    return page.locator(".gs-page").get_attribute("data-section")


# ----------------------------------------------------------------------------- behaviour


def test_skip_logic_shows_and_hides_and_clears_the_answer(page: Any, static_server: str) -> None:
    server = open_form(page, static_server)
    business_name = field(page, "HH06")
    assert business_name.is_hidden()
    choose(page, "HH05", 1)
    assert business_name.is_visible()
    business_name.locator("input").fill("Quán phở")
    choose(page, "HH05", 0)
    assert business_name.is_hidden()
    fill_first_page(page)
    next_page(page)
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    saved = server.drafts[-1]["answers"]
    assert saved["HH05"] == 0
    assert "HH06" not in saved, "an irrelevant answer must be removed before saving"


def test_constraint_message_appears_live_and_blocks_next(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    members = field(page, "HH02")
    members.locator("input").fill("45")
    message = members.locator(".gs-message")
    assert message.is_visible()
    assert message.inner_text() == "Số thành viên từ 1 đến 30"
    field(page, "HH01").locator("input").fill("Hoàng Văn A")
    next_page(page)
    assert section(page) == "H"
    members.locator("input").fill("4")
    assert message.is_hidden()
    next_page(page)
    assert section(page) == "R"


def test_required_message_shows_only_after_trying_next(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    head = field(page, "HH01")
    assert head.locator(".gs-message").is_hidden()
    next_page(page)
    assert section(page) == "H"
    assert head.locator(".gs-message").inner_text() == "Câu này bắt buộc trả lời"
    assert page.locator(".gs-banner").is_visible()


def test_not_a_number_gets_a_format_message(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    members = field(page, "HH02")
    members.locator("input").fill("ba")
    assert members.locator(".gs-message").inner_text() == "Nhập một số nguyên"
    field(page, "HH08").locator("input").fill("1,5")
    assert field(page, "HH08").locator(".gs-message").is_hidden()
    values = page.evaluate("document.getElementById('gesurvey-form').gesurveyForm.body().answers")
    assert values["HH08"] == 1.5
    assert "HH02" not in values


def test_choice_filter_offers_only_matching_choices(page: Any, static_server: str) -> None:
    server = open_form(page, static_server)
    commune = field(page, "HH04")
    choose(page, "HH03", 1)
    assert commune.locator(".gs-choice").evaluate_all("els => els.map(e => e.dataset.code)") == [
        "11",
        "12",
    ]
    choose(page, "HH04", 12)
    choose(page, "HH03", 2)
    assert commune.locator(".gs-choice").evaluate_all("els => els.map(e => e.dataset.code)") == [
        "21"
    ]
    assert not commune.locator("input").first.is_checked()
    fill_first_page(page)
    next_page(page)
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    assert "HH04" not in server.drafts[-1]["answers"], "a filtered-out code must not be saved"


def test_calculation_updates_live(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    output = field(page, "HH07").locator("output")
    assert output.inner_text() == "—"
    field(page, "HH02").locator("input").fill("4")
    assert output.inner_text() == "40"
    field(page, "HH02").locator("input").fill("7")
    assert output.inner_text() == "70"


def test_roster_rows_are_added_and_removed(page: Any, static_server: str) -> None:
    server = open_form(
        page, static_server, page_index=1, answers={"HH01": "Hoàng Văn A", "HH02": 3}
    )
    assert section(page) == "R"
    rows = page.locator(".gs-repeat[data-group='roster'] .gs-row")
    assert rows.count() == 0
    add = page.locator(".gs-repeat[data-group='roster'] .gs-add-row")
    for name, sex, age in (("An", 1, "40"), ("Bình", 2, "12"), ("Chi", 2, "35")):
        add.click()
        i = rows.count() - 1
        field(page, f"roster/{i}/M01").locator("input").fill(name)
        choose(page, f"roster/{i}/M03", sex)
        field(page, f"roster/{i}/M04").locator("input").fill(age)
    assert rows.count() == 3
    assert rows.nth(1).locator(".gs-row-title").inner_text() == "Dòng 2 · Bình"
    assert field(page, "roster/1/M05").is_hidden(), "under 15: not asked"
    assert field(page, "roster/2/M05").is_visible()
    assert field(page, "NW").locator("output").inner_text() == "2"
    remove = rows.nth(1).locator(".gs-remove-row")
    remove.click()
    assert rows.count() == 3, "the first tap only asks for confirmation"
    remove.click()
    assert rows.count() == 2
    assert field(page, "roster/1/M01").locator("input").input_value() == "Chi"
    assert field(page, "NW").locator("output").inner_text() == "1"
    next_page(page)
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    saved = server.drafts[-1]["answers"]
    assert [r["M01"] for r in saved["roster"]] == ["An", "Chi"]
    assert saved["roster"][0] == {"M01": "An", "M03": 1, "M04": 40, "M05": None} or saved["roster"][
        0
    ] == {"M01": "An", "M03": 1, "M04": 40}
    assert saved["NW"] == 1


def test_count_driven_rows_follow_the_count(page: Any, static_server: str) -> None:
    open_form(page, static_server, page_index=2, answers={"HH01": "A", "HH02": 2})
    assert section(page) == "V"
    rows = page.locator(".gs-repeat[data-group='visits'] .gs-row")
    assert rows.count() == 2
    assert page.locator(".gs-repeat[data-group='visits'] .gs-add-row").is_hidden()
    assert rows.locator(".gs-remove-row").count() == 0


def test_skipped_section_is_not_visited(page: Any, static_server: str) -> None:
    server = open_form(
        page,
        static_server,
        page_index=1,
        answers={"HH01": "A", "HH02": 9, "visits": [{"V01": "2024-01-02"}]},
    )
    next_page(page)
    assert section(page) == "D", "section V applies only to households of 5 or fewer"
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    assert "visits" not in server.drafts[-1]["answers"]
    page.locator(".gs-prev").click()
    assert section(page) == "R"


def test_page_change_saves_the_draft_to_the_server(page: Any, static_server: str) -> None:
    server = open_form(page, static_server)
    fill_first_page(page, members=4)
    next_page(page)
    assert section(page) == "R"
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    assert len(server.drafts) == 1
    body = server.drafts[0]
    assert body["answers"] == {
        "HH01": "Hoàng Văn A",
        "HH02": 4,
        "HH07": 40,
        "NW": 0,
        "visits": [{}, {}, {}, {}],  # count-driven: as many rows as ${HH02}, so far empty
    }
    assert body["page"] == 1
    assert body["row_version"] == 3
    assert server.headers[0]["x-csrftoken"] == "test-token"
    page.locator(".gs-prev").click()
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    assert len(server.drafts) == 2
    assert server.drafts[1]["row_version"] == 4, "the next save sends the row_version returned"
    assert server.drafts[1]["page"] == 0
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('gesurvey:draft:{UUID}'))")
    assert stored["answers"]["HH02"] == 4
    assert stored["synced"] is True


def test_every_change_is_kept_on_the_device(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    field(page, "HH01").locator("input").fill("Lò Thị B")
    page.wait_for_function(
        f"(localStorage.getItem('gesurvey:draft:{UUID}') || '').includes('Lò Thị B')"
    )
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('gesurvey:draft:{UUID}'))")
    assert stored["synced"] is False
    assert stored["row_version"] == 3


def test_an_answer_typed_just_before_a_reload_is_there_after_it(
    page: Any, static_server: str
) -> None:
    open_form(page, static_server)
    field(page, "HH01").locator("input").press_sequentially("Lò Thị C")
    page.reload()
    page.wait_for_selector("#gesurvey-form[data-ready='true']")
    assert field(page, "HH01").locator("input").input_value() == "Lò Thị C"
    assert page.locator(".gs-banner").inner_text().startswith("Đã khôi phục")


def test_each_keystroke_is_on_the_device_before_the_next_event(
    page: Any, static_server: str
) -> None:
    open_form(page, static_server)
    # Within one task: no timer or later event can have run between the input and the read.
    stored = page.evaluate(
        """uuid => {
        const input = document.querySelector(".gs-field[data-path='HH01'] input");
        input.value = "Lò Thị D";
        input.dispatchEvent(new Event("input", { bubbles: true }));
        return JSON.parse(localStorage.getItem("gesurvey:draft:" + uuid));
    }""",
        UUID,
    )
    assert stored["answers"]["HH01"] == "Lò Thị D"
    assert stored["synced"] is False


def test_leaving_a_field_writes_the_draft(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    field(page, "HH01").locator("input").fill("Lò Thị E")
    page.evaluate(f"localStorage.removeItem('gesurvey:draft:{UUID}')")
    field(page, "HH02").locator("input").focus()
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('gesurvey:draft:{UUID}'))")
    assert stored["answers"]["HH01"] == "Lò Thị E"


def test_unsent_local_draft_is_restored(page: Any, static_server: str) -> None:
    record = {
        "uuid": UUID,
        "answers": {"HH01": "Trên máy", "HH02": 2},
        "page": 1,
        "row_version": 3,
        "saved_at": "2026-01-01T00:00:00Z",
        "synced": False,
    }
    page.add_init_script(
        f"localStorage.setItem('gesurvey:draft:{UUID}', {json.dumps(json.dumps(record))});"
    )
    server = open_form(page, static_server, answers={"HH01": "Trên máy chủ"})
    assert section(page) == "R"
    assert page.locator(".gs-banner").inner_text().startswith("Đã khôi phục")
    answers = page.evaluate("document.getElementById('gesurvey-form').gesurveyForm.body().answers")
    assert answers["HH01"] == "Trên máy"
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    assert server.drafts[0]["answers"]["HH01"] == "Trên máy", "sent to the server at once"


def test_older_local_draft_yields_to_the_server(page: Any, static_server: str) -> None:
    record = {
        "uuid": UUID,
        "answers": {"HH01": "Cũ"},
        "page": 0,
        "row_version": 1,
        "saved_at": "2026-01-01T00:00:00Z",
        "synced": False,
    }
    page.add_init_script(
        f"localStorage.setItem('gesurvey:draft:{UUID}', {json.dumps(json.dumps(record))});"
    )
    open_form(page, static_server, answers={"HH01": "Mới"})
    assert field(page, "HH01").locator("input").input_value() == "Mới"


def test_stale_draft_asks_to_reload_and_keeps_the_answers(page: Any, static_server: str) -> None:
    server = Server()
    server.draft_reply = (409, {"error": "stale", "row_version": 9})
    open_form(page, static_server, server=server)
    fill_first_page(page)
    next_page(page)
    page.wait_for_selector(".gs-banner-error")
    assert "Tải lại" in page.locator(".gs-banner").inner_text()
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('gesurvey:draft:{UUID}'))")
    assert stored["answers"]["HH01"] == "Hoàng Văn A"


def test_missing_code_buttons_store_bare_codes(page: Any, static_server: str) -> None:
    open_form(page, static_server, page_index=3, answers={"HH01": "A", "HH02": 9})
    assert section(page) == "D"
    orgs = field(page, "D1_04")
    orgs.locator(".gs-missing-btn[data-code='98']").click()
    assert orgs.locator(".gs-missing-btn[data-code='98']").get_attribute("aria-pressed") == "true"
    answers = page.evaluate("document.getElementById('gesurvey-form').gesurveyForm.body().answers")
    assert answers["D1_04"] == 98
    choose(page, "D1_04", 1)
    choose(page, "D1_04", 2)
    answers = page.evaluate("document.getElementById('gesurvey-form').gesurveyForm.body().answers")
    assert answers["D1_04"] == [1, 2]
    choose(page, "D1_04", 7)
    answers = page.evaluate("document.getElementById('gesurvey-form').gesurveyForm.body().answers")
    assert answers["D1_04"] == [7], "an exclusive option clears the others"
    grid = field(page, "P01")
    grid.locator("[data-grid-row='cook'] .gs-choice[data-code='2']").click()
    grid.locator("[data-grid-row='clean'] .gs-choice[data-code='98']").click()
    choose(page, "A01", 4)
    answers = page.evaluate("document.getElementById('gesurvey-form').gesurveyForm.body().answers")
    assert answers["P01"] == {"cook": 2, "clean": 98}
    assert answers["A01"] == 4
    assert "N1" not in answers


def test_missing_code_on_a_number_question(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    land = field(page, "HH08")
    land.locator(".gs-missing-btn[data-code='99']").click()
    assert land.locator("input").is_disabled()
    answers = page.evaluate("document.getElementById('gesurvey-form').gesurveyForm.body().answers")
    assert answers["HH08"] == 99
    land.locator(".gs-missing-btn[data-code='99']").click()
    assert land.locator("input").is_enabled()


def test_server_errors_are_shown_next_to_fields(page: Any, static_server: str) -> None:
    errors = [
        {"question_id": "M04", "row": 1, "message": "Tuổi không hợp lệ"},
        {"question_id": None, "row": None, "message": "Phiếu đã hết hạn"},
    ]
    answers = {"HH01": "A", "HH02": 2, "roster": [{"M04": 30}, {"M04": 40}]}
    open_form(page, static_server, answers=answers, errors=errors, page_index=1)
    assert field(page, "roster/1/M04").locator(".gs-message").inner_text() == "Tuổi không hợp lệ"
    assert field(page, "roster/0/M04").locator(".gs-message").is_hidden()
    assert "Phiếu đã hết hạn" in page.locator(".gs-general-errors").inner_text()
    field(page, "roster/1/M04").locator("input").fill("41")
    assert field(page, "roster/1/M04").locator(".gs-message").is_hidden()


def test_submit_sends_cleaned_answers_and_follows_the_redirect(
    page: Any, static_server: str
) -> None:
    answers = {"HH01": "A", "HH02": 9, "HH05": 0, "HH06": "stale", "visits": [{}]}
    server = open_form(page, static_server, answers=answers, page_index=3)
    assert page.locator(".gs-next").is_hidden()
    page.route(
        f"{static_server}/done",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<p id='done'>ok</p>"
        ),
    )
    page.locator(".gs-submit").click()
    page.wait_for_selector("#done")
    assert len(server.submits) == 1
    body = server.submits[0]
    assert body["answers"] == {"HH01": "A", "HH02": 9, "HH05": 0, "HH07": 90, "NW": 0}
    assert body["row_version"] == 3
    assert page.evaluate(f"localStorage.getItem('gesurvey:draft:{UUID}')") is None


def test_submit_422_jumps_to_the_first_error(page: Any, static_server: str) -> None:
    server = Server()
    server.submit_reply = (
        422,
        {"errors": [{"question_id": "HH01", "row": None, "message": "Tên không được để trống"}]},
    )
    open_form(page, static_server, answers={"HH01": "A", "HH02": 9}, page_index=3, server=server)
    page.locator(".gs-submit").click()
    page.wait_for_function("document.querySelector('.gs-page').dataset.section === 'H'")
    assert field(page, "HH01").locator(".gs-message").inner_text() == "Tên không được để trống"


def test_submit_with_client_errors_does_not_post(page: Any, static_server: str) -> None:
    server = open_form(page, static_server, answers={"HH02": 9}, page_index=3)
    page.locator(".gs-submit").click()
    assert section(page) == "H"
    assert field(page, "HH01").locator(".gs-message").is_visible()
    assert server.submits == []


def test_english_interface_and_switch(page: Any, static_server: str) -> None:
    open_form(page, static_server, lang="en")
    assert page.locator(".gs-next").inner_text() == "Next ›"
    assert "Head of household" in field(page, "HH01").inner_text()
    page.locator(".gs-lang").click()
    assert page.locator(".gs-next").inner_text() == "Tiếp ›"
    assert "Tên chủ hộ" in field(page, "HH01").inner_text()


@pytest.mark.parametrize("size", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_tablet_touch_targets_and_no_external_requests(
    browser: Any, static_server: str, size: dict[str, int]
) -> None:
    context = browser.new_context(viewport=size, has_touch=True)
    answers = {
        "HH01": "A",
        "HH02": 3,
        "HH05": 1,
        "HH03": 1,
        "roster": [{"M01": "An", "M03": 1, "M04": 40}],
    }
    try:
        tab = context.new_page()
        server = open_form(tab, static_server, page_index=0, answers=answers)
        app = "document.getElementById('gesurvey-form').gesurveyForm"
        for index in range(4):
            tab.evaluate(f"{app}.page = {index}; {app}.renderPage()")
            sizes = tab.locator(".gs-choice, .gs-btn, .gs-lang, .gs-input").evaluate_all(
                """els => els.filter(e => e.offsetParent !== null).map(e => {
                     const r = e.getBoundingClientRect();
                     return [e.className, r.width, r.height];
                   })"""
            )
            assert sizes
            small = [s for s in sizes if s[1] < 48 or s[2] < 48]
            assert not small, f"page {index}: touch targets under 48px: {small}"
            width = tab.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], f"page {index}: nothing may overflow sideways"
        tab.evaluate(f"{app}.page = 3; {app}.renderPage()")
        tab.locator(".gs-choice[data-code='1']").first.tap()
        assert tab.locator(".gs-choice[data-code='1'] input").first.is_checked()
        assert server.external == []
    finally:
        context.close()


def test_every_type_of_the_engine_fixture_renders(page: Any, static_server: str) -> None:
    """The engine's own fixture form (every question type) renders page by page without errors."""
    fixture = Path(__file__).resolve().parents[1] / "questionnaires" / "forms" / "mini.json"
    if not fixture.exists():
        pytest.skip("the engine's fixture form is not on this branch")
    form = json.loads(fixture.read_text(encoding="utf-8"))
    open_form(page, static_server, form=form, answers={"HH02": 2})
    sections = [s["id"] for s in form["sections"]]
    seen = [section(page)]
    for _ in range(len(sections)):
        if page.locator(".gs-next").is_hidden():
            break
        page.evaluate(
            "document.getElementById('gesurvey-form').gesurveyForm.goTo("
            "document.getElementById('gesurvey-form').gesurveyForm.page + 1)"
        )
        seen.append(section(page))
    assert seen == sections
    assert page.locator("#gesurvey-form").get_attribute("data-expression-errors") == "0"


def test_answers_from_the_browser_pass_the_server_engine(page: Any, static_server: str) -> None:
    """What the form saves after a full interview is valid for the Python engine too."""
    server = open_form(page, static_server)
    fill_first_page(page, members=2)
    choose(page, "HH03", 1)
    choose(page, "HH04", 11)
    choose(page, "HH05", 1)
    field(page, "HH06").locator("input").fill("Tạp hóa")
    field(page, "HH08").locator("input").fill("0,75")
    next_page(page)
    add = page.locator(".gs-repeat[data-group='roster'] .gs-add-row")
    for i, (sex, age) in enumerate(((2, "38"), (1, "9"))):
        add.click()
        field(page, f"roster/{i}/M01").locator("input").fill(f"Người {i + 1}")
        choose(page, f"roster/{i}/M03", sex)
        field(page, f"roster/{i}/M04").locator("input").fill(age)
    choose(page, "roster/0/M05", 1)
    next_page(page)
    assert section(page) == "V"
    page.locator(".gs-field[data-path='visits/0/V01'] input").fill("2026-11-02")
    next_page(page)
    field(page, "D1_04").locator(".gs-missing-btn[data-code='98']").click()
    choose(page, "A01", 5)
    field(page, "P01").locator("[data-grid-row='cook'] .gs-choice[data-code='1']").click()
    field(page, "P01").locator("[data-grid-row='clean'] .gs-choice[data-code='98']").click()
    page.route(
        f"{static_server}/done",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<p id='done'>ok</p>"
        ),
    )
    page.locator(".gs-submit").click()
    page.wait_for_selector("#done")
    answers = server.submits[0]["answers"]
    assert answers["roster"][0]["M05"] == 1
    assert answers["visits"] == [{"V01": "2026-11-02"}, {}]
    questionnaire = questionnaire_from_dict(copy.deepcopy(FORM), source="tests/browser")
    assert questionnaire.validate_answers(answers, lang="vi") == []


def test_unsent_changes_are_saved_every_30_seconds(page: Any, static_server: str) -> None:
    page.clock.install()
    server = open_form(page, static_server)
    field(page, "HH01").locator("input").fill("Lò Thị B")
    page.clock.run_for(31_000)
    page.wait_for_function("document.querySelector('.gs-status').textContent.includes(':')")
    assert len(server.drafts) == 1
    assert server.drafts[0]["answers"]["HH01"] == "Lò Thị B"
    page.clock.run_for(31_000)
    assert len(server.drafts) == 1, "nothing changed since: no new save"


NESTED: dict[str, Any] = {
    "id": "nested_test",
    "version": "1.0.0",
    "languages": ["vi", "en"],
    "default_language": "vi",
    "title": L("Phiếu lồng nhau", "Nested form"),
    "unit": "individual",
    "analysis": {"weight": "w", "stratum": "s", "psu": "p", "sex": "M03"},
    "choice_lists": {"sex": FORM["choice_lists"]["sex"]},
    "sections": [
        {
            "id": "I",
            "title": L("Thành viên", "Members"),
            "items": [
                {
                    "id": "roster",
                    "type": "repeat",
                    "unit": "member",
                    "label": L("Thành viên", "Members"),
                    "items": [
                        {
                            "id": "M03",
                            "type": "single",
                            "choices": "sex",
                            "label": L("Giới tính", "Sex"),
                        },
                        {
                            "id": "births",
                            "type": "repeat",
                            "unit": "birth",
                            "relevant": "${M03} = 2",
                            "label": L("Các lần sinh", "Births"),
                            "items": [
                                {
                                    "id": "B01",
                                    "type": "single",
                                    "choices": "sex",
                                    "label": L("Giới tính con", "Child's sex"),
                                }
                            ],
                        },
                        {
                            "id": "NB",
                            "type": "calculate",
                            "calculation": "count(${births}, ${B01} = 2)",
                            "label": L("Số con gái", "Daughters"),
                        },
                    ],
                }
            ],
        }
    ],
}


def test_nested_repeat_groups(page: Any, static_server: str) -> None:
    server = open_form(page, static_server, form=NESTED)
    page.locator(".gs-repeat[data-group='roster'] > .gs-add-row").click()
    births = page.locator(".gs-repeat[data-path='roster/0/births']")
    assert births.is_hidden(), "births are asked of women only"
    choose(page, "roster/0/M03", 2)
    assert births.is_visible()
    for sex in (2, 1, 2):
        births.locator(".gs-add-row").click()
        i = births.locator(".gs-row").count() - 1
        choose(page, f"roster/0/births/{i}/B01", sex)
    assert field(page, "roster/0/NB").locator("output").inner_text() == "2"
    page.route(
        f"{static_server}/done",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<p id='done'>ok</p>"
        ),
    )
    page.locator(".gs-submit").click()
    page.wait_for_selector("#done")
    answers = server.submits[0]["answers"]
    assert answers == {
        "roster": [{"M03": 2, "NB": 2, "births": [{"B01": 2}, {"B01": 1}, {"B01": 2}]}]
    }
    questionnaire = questionnaire_from_dict(copy.deepcopy(NESTED), source="tests/browser")
    assert questionnaire.validate_answers(answers) == []


def test_nested_server_error_lands_on_the_right_row(page: Any, static_server: str) -> None:
    answers = {"roster": [{"M03": 1}, {"M03": 2, "births": [{"B01": 1}, {"B01": 2}]}]}
    errors = [{"question_id": "B01", "row": 1, "parent_row": 1, "message": "Sai"}]
    open_form(page, static_server, form=NESTED, answers=answers, errors=errors)
    assert field(page, "roster/1/births/1/B01").locator(".gs-message").inner_text() == "Sai"
    assert field(page, "roster/1/births/0/B01").locator(".gs-message").is_hidden()


BUNDLED = sorted((Path(__file__).resolve().parents[2] / "questionnaires" / "forms").glob("*.json"))


def test_bundled_questionnaires_render_every_section(page: Any, static_server: str) -> None:
    """Each bundled questionnaire opens and every section draws with no expression error."""
    from questionnaires import load_questionnaire

    server = Server()
    page.route(f"{static_server}/collect/draft", server.draft)
    app = "document.getElementById('gesurvey-form').gesurveyForm"
    for path in BUNDLED:
        client = load_questionnaire(path).to_client_dict()
        data = {
            "questionnaire": client,
            "answers": {},
            "page": 0,
            "submission": {"uuid": path.stem, "status": "draft", "row_version": 1},
            "errors": [],
        }
        page_html = form_page_html(static_server, data)
        page.route(f"{static_server}/interview/{path.stem}", html_route(page_html))
        page.goto(f"{static_server}/interview/{path.stem}")
        page.wait_for_selector("#gesurvey-form[data-ready='true']")
        for index, section_def in enumerate(client["sections"]):
            page.evaluate(f"{app}.page = {index}; {app}.renderPage()")
            assert section(page) == section_def["id"], path.name
            problems = page.locator("#gesurvey-form").get_attribute("data-expression-errors")
            assert problems == "0", f"{path.name} section {section_def['id']}"


MONKEY = (HERE / "monkey.js").read_text(encoding="utf-8")


def random_interview(
    page: Any, static_server: str, client: dict[str, Any], seed: int
) -> dict[str, Any]:
    """Fill a whole interview at random in the browser; return the monkey's result."""
    data = {
        "questionnaire": client,
        "answers": {},
        "page": 0,
        "submission": {
            "uuid": f"monkey-{client['id']}-{seed}",
            "status": "draft",
            "row_version": 1,
        },
        "errors": [],
    }
    server = Server()
    page.route(f"{static_server}/collect/draft", server.draft)
    page.route(f"{static_server}/monkey/{seed}", html_route(form_page_html(static_server, data)))
    page.goto(f"{static_server}/monkey/{seed}")
    page.wait_for_selector("#gesurvey-form[data-ready='true']")
    return page.evaluate(MONKEY, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 7, 42])
def test_random_interviews_are_accepted_by_the_engine(
    page: Any, static_server: str, seed: int
) -> None:
    """Whatever path a random enumerator takes, the engine accepts what the form submits."""
    result = random_interview(page, static_server, client_dict(), seed)
    assert result["done"], result
    questionnaire = questionnaire_from_dict(copy.deepcopy(FORM), source="tests/browser")
    assert questionnaire.validate_answers(result["answers"]) == []


@pytest.mark.slow
def test_random_interviews_of_bundled_forms_are_accepted(page: Any, static_server: str) -> None:
    """Walks each bundled form at random; a completed walk must pass the engine's checks."""
    from questionnaires import load_questionnaire

    for path in BUNDLED:
        questionnaire = load_questionnaire(path)
        for seed in (3, 11):
            result = random_interview(page, static_server, questionnaire.to_client_dict(), seed)
            if not result["done"]:
                continue  # the monkey could not satisfy a cross-question check: nothing to judge
            problems = questionnaire.validate_answers(result["answers"])
            assert problems == [], f"{path.name} seed {seed}: {problems[:5]}"


def test_a_page_script_can_swap_storage_and_transport(page: Any, static_server: str) -> None:
    """The hook the offline work builds on: GESurveyFormOptions replaces store and transport."""
    page.add_init_script("""
      window.sent = [];
      window.kept = {};
      window.GESurveyFormOptions = {
        store: {get: async () => null, put: async (id, r) => { window.kept[id] = r; },
                remove: async (id) => { delete window.kept[id]; }},
        transport: {send: async (kind, body) => { window.sent.push([kind, body]);
                                                  return {status: 200, body: {row_version: 9}}; }},
      };""")
    server = open_form(page, static_server)
    fill_first_page(page)
    next_page(page)
    page.wait_for_function("window.sent.length === 1")
    kind, body = page.evaluate("window.sent[0]")
    assert kind == "draft" and body["answers"]["HH02"] == 2
    assert page.evaluate(f"window.kept['{UUID}'].row_version") == 9
    assert server.drafts == [], "the page's transport replaced fetch"


def test_clearing_a_required_answer_says_so_at_once(page: Any, static_server: str) -> None:
    open_form(page, static_server)
    head = field(page, "HH01")
    head.locator("input").fill("A")
    head.locator("input").fill("")
    assert head.locator(".gs-message").inner_text() == "Câu này bắt buộc trả lời"
    assert head.locator("input").get_attribute("aria-invalid") == "true"


def test_draft_422_shows_errors_without_losing_answers(page: Any, static_server: str) -> None:
    server = Server()
    server.draft_reply = (
        422,
        {
            "errors": [
                {"question_id": "HH02", "row": None, "message": "Số không hợp lệ"},
                {"question_id": None, "row": None, "message": "Phiếu đã khóa"},
            ]
        },
    )
    open_form(page, static_server, server=server)
    fill_first_page(page)
    next_page(page)
    page.wait_for_selector(".gs-general-errors li")
    assert page.locator(".gs-general-errors").inner_text() == "Phiếu đã khóa"
    page.locator(".gs-prev").click()
    assert field(page, "HH02").locator(".gs-message").inner_text() == "Số không hợp lệ"
    assert field(page, "HH01").locator("input").input_value() == "Hoàng Văn A"


def test_malformed_saved_answers_do_not_break_the_form(page: Any, static_server: str) -> None:
    """Answers of the wrong shape (an old or tampered draft) are shown as best it can, no crash."""
    answers = {
        "HH01": 5,
        "HH02": "many",
        "HH03": "abc",
        "HH04": None,
        "roster": "x",
        "visits": {"a": 1},
        "D1_04": 5,
        "P01": [1],
        "A01": {"x": 1},
        "NW": "z",
    }
    open_form(page, static_server, answers=answers)
    for index in range(4):
        page.evaluate(
            "(i) => { const app = document.getElementById('gesurvey-form')"
            ".gesurveyForm; app.page = i; app.renderPage(); }",
            index,
        )
    assert page.errors == []


def test_submit_waits_for_a_draft_save_in_flight(page: Any, static_server: str) -> None:
    """Submitting while a draft save is on its way sends the row_version that save returns."""
    page.add_init_script("""
      window.sent = [];
      window.GESurveyFormOptions = {transport: {send: async (kind, body) => {
        window.sent.push([kind, body.row_version]);
        if (kind === 'draft') {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return {status: 200, body: {row_version: body.row_version + 1}};
        }
        return {status: 200, body: {}};
      }}};""")
    open_form(page, static_server, answers={"HH01": "A", "HH02": 9}, page_index=3)
    page.evaluate("""async () => {
      const app = document.getElementById('gesurvey-form').gesurveyForm;
      app.saveDraft();
      await app.submit();
    }""")
    assert page.evaluate("window.sent") == [["draft", 3], ["submit", 4]]


def test_offline_page_change_keeps_the_draft_and_sends_it_when_back_online(
    page: Any, static_server: str
) -> None:
    server = open_form(page, static_server)
    fill_first_page(page)
    page.context.set_offline(True)
    server.offline = True
    next_page(page)
    assert section(page) == "R", "moving on never waits for the network"
    page.wait_for_function(
        "document.querySelector('.gs-status').classList.contains('gs-status-warn')"
    )
    assert server.drafts == []
    stored = page.evaluate(f"JSON.parse(localStorage.getItem('gesurvey:draft:{UUID}'))")
    assert stored["answers"]["HH01"] == "Hoàng Văn A" and stored["synced"] is False
    server.offline = False
    page.context.set_offline(False)  # fires the page's 'online' event
    page.wait_for_function(
        "document.querySelector('.gs-status').classList.contains('gs-status-ok')"
    )
    assert server.drafts[-1]["answers"]["HH01"] == "Hoàng Văn A"
    assert server.drafts[-1]["page"] == 1
