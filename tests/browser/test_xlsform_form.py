"""An XLSForm written the ODK way is imported, published and filled in the tablet form; the
interview arrives with its paradata (time per question, visits, corrections)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from questionnaires.xlsform import read_xlsform
from survey_app.admin.services import create_assignment, create_user
from survey_app.core.questionnaire_store import publish
from survey_app.extensions import db
from survey_app.models import Submission

from ..questionnaires.test_xlsform import odk_style_workbook
from .live_app import PASSWORD, TABLET, choose, field, log_in, section, seeded_app, served


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any]]:
    folder: Path = tmp_path_factory.mktemp("odk")
    app = seeded_app(folder / "odk.sqlite", "browser-odk", enumerators=())
    with app.app_context():
        publish(read_xlsform(odk_style_workbook(folder / "odk.xlsx")))
        create_user("hoa", "enumerator", PASSWORD, area_code="17801001")
        create_assignment("hoa", "17801001", "odk_ho", 5)
        db.session.commit()
    with served(app) as base:
        yield base, app


def test_imported_odk_form_runs_and_sends_paradata(browser: Any, live_app: tuple[str, Any]) -> None:
    base, app = live_app
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(tab, base, "hoa")
    tab.get_by_role("button", name="Bắt đầu phiếu mới").tap()
    tab.wait_for_selector("#gesurvey-form[data-ready='true']")
    assert section(tab) == "gioi_thieu"

    # The choice filter from the XLSForm: only Tràng Định's commune is offered.
    choose(tab, "huyen", 180)
    codes = (
        field(tab, "xa")
        .locator(".gs-choice")
        .evaluate_all("items => items.map(i => i.dataset.code)")
    )
    assert codes == ["6103"]
    choose(tab, "xa", 6103)
    field(tab, "so_nguoi").locator("input").fill("2")
    tab.locator(".gs-next").tap()
    assert section(tab) == "thanh_vien"

    field(tab, "nguoi/0/ten").locator("input").fill("Lan")
    choose(tab, "nguoi/0/gioi_tinh", 2)
    field(tab, "nguoi/0/tuoi").locator("input").fill("34")
    field(tab, "nguoi/1/ten").locator("input").fill("Minh")
    choose(tab, "nguoi/1/gioi_tinh", 1)
    assert field(tab, "nguoi/1/di_hoc").is_hidden()
    field(tab, "nguoi/1/tuoi").locator("input").fill("9")
    # The flattened "tre" group's condition now sits on its question.
    choose(tab, "nguoi/1/di_hoc", 1)
    # A correction: the first age is replaced.
    field(tab, "nguoi/0/tuoi").locator("input").fill("35")
    field(tab, "nguoi/0/ten").locator("input").focus()
    tab.wait_for_selector(".gs-status.gs-status-ok")
    tab.locator(".gs-submit").tap()
    tab.wait_for_url(f"{base}/collect/")
    assert not errors, errors

    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert submission.status == "submitted"
        assert submission.answers["nguoi"] == [
            {"ten": "Lan", "gioi_tinh": 2, "tuoi": 35},
            {"ten": "Minh", "gioi_tinh": 1, "tuoi": 9, "di_hoc": 1},
        ]
        assert submission.answers["so_nu"] == 1
        paradata = submission.paradata
    assert paradata["started_at"] and paradata["ended_at"] >= paradata["started_at"]
    assert paradata["app_version"]
    questions = paradata["questions"]
    assert {"huyen", "xa", "so_nguoi", "ten", "tuoi"} <= set(questions)
    assert questions["tuoi"]["changes"] >= 1 and questions["tuoi"]["visits"] >= 2
    assert questions["ten"]["seconds"] > 0
    context.close()
