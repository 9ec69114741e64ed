"""The interrupt control of a protected module (the women's safety module) in Debian chromium on
a tablet, against the real app: «Gián đoạn» takes the violence questions out of the page at once
and shows the substitute questions; returning brings back the same question; the count of
interruptions is stored beside the answers. Offline, once the server has acknowledged the
module, the tablet's storage (IndexedDB and the page cache) holds none of its answers; at logout
an unsent draft of it is wiped only after an explicit warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.admin.services import create_assignment
from survey_app.core.questionnaire_store import publish
from survey_app.extensions import db
from survey_app.models import Submission
from survey_app.submissions.services import open_answers

from .live_app import TABLET, choose, field, log_in, section, seeded_app, served
from .test_offline_sync import wait_until

TEST_WOMEN = Path(__file__).resolve().parent / "data" / "test_women.json"
TRACE = "DẤU-VẾT-W-123"
VIOLENCE_WORDS = ("tát chị", "nắm đấm", "Bạo lực")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any]]:  # noqa: ANN001
    app = seeded_app(tmp_path_factory.mktemp("interrupt") / "w.sqlite", "browser-interrupt")
    with app.app_context():
        publish(json.loads(TEST_WOMEN.read_text(encoding="utf-8")))
        db.session.flush()
        create_assignment("lan", "17801001", "test_women", 5)
        db.session.commit()
    with served(app) as base:
        yield base, app


def new_tab(browser: Any) -> Any:
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
    return tab


def women_submissions(app: Any) -> list[tuple[Submission, dict]]:
    """The module's stored submissions, each with its answers opened (they are sealed at rest)."""
    with app.app_context():
        rows = db.session.scalars(select(Submission)).all()
        found = [
            (r, open_answers(r))
            for r in rows
            if r.questionnaire_version.questionnaire_id == "test_women"
        ]
        for row, _answers in found:
            db.session.expunge(row)
        return found


def interrupt_and_check(tab: Any) -> None:
    tab.locator(".gs-interrupt").tap()
    assert section(tab) == "ALT"
    html = tab.locator("#gesurvey-form").inner_html()
    assert tab.locator(".gs-field").count() == 0  # removed from the document, not hidden
    for words in VIOLENCE_WORDS:
        assert words not in html
    substitutes = tab.locator(".gs-alternate-item")
    assert substitutes.count() == 2 and "chợ" in substitutes.first.inner_text()
    assert tab.locator(".gs-interrupt").is_hidden()
    assert tab.locator(".gs-next").is_hidden() and tab.locator(".gs-prev").is_hidden()


@pytest.mark.slow
def test_interrupt_hides_the_module_and_resumes_at_the_same_question(
    browser: Any, live_app: tuple[str, Any]
) -> None:
    base, app = live_app
    tab = new_tab(browser)
    log_in(tab, base, "lan")
    card = tab.locator(".assignment", has_text="Phiếu W (thử nghiệm)")
    card.get_by_role("button", name="Bắt đầu phiếu mới").tap()
    tab.wait_for_selector("#gesurvey-form[data-ready='true']")
    assert section(tab) == "P"
    assert tab.locator(".gs-interrupt").is_hidden()  # not a protected page
    choose(tab, "P01", 1)
    tab.locator(".gs-next").tap()
    assert section(tab) == "V1"
    control = tab.locator(".gs-interrupt")
    assert control.is_visible() and control.inner_text() == "Gián đoạn"

    choose(tab, "V1_01", 1)
    field(tab, "V1_03").locator("input").fill("ghi chú")
    interrupt_and_check(tab)
    tab.locator(".gs-resume").tap()
    assert section(tab) == "V1"
    assert tab.locator("#gesurvey-form").get_attribute("data-resumed-at") == "V1_03"
    assert "gs-resume-here" in field(tab, "V1_03").get_attribute("class")
    assert field(tab, "V1_03").locator("input").input_value() == "ghi chú"
    assert (
        "gs-selected"
        in (field(tab, "V1_01").locator(".gs-choice[data-code='1']").get_attribute("class") or "")
        or field(tab, "V1_01").locator(".gs-choice[data-code='1'] input").is_checked()
    )

    interrupt_and_check(tab)  # a second interruption on the same page
    interview = tab.url
    tab.locator(".gs-later").tap()  # continue another day: saved, the interview is left
    tab.wait_for_url(lambda url: url != interview)
    assert "/collect/interview/" not in tab.url
    tab.goto(interview)
    tab.wait_for_selector("#gesurvey-form[data-ready='true']")
    assert section(tab) == "V1"  # back where it was, with its answers
    assert field(tab, "V1_03").locator("input").input_value() == "ghi chú"
    choose(tab, "V1_02", 0)
    tab.locator(".gs-next").tap()
    assert section(tab) == "V2"
    choose(tab, "V2_01", 0)
    tab.locator(".gs-next").tap()
    assert section(tab) == "E"
    assert tab.locator(".gs-interrupt").is_hidden()
    choose(tab, "E01", 1)
    tab.locator(".gs-submit").tap()
    tab.wait_for_url(lambda url: url.rstrip("/").endswith("/collect"))
    [(stored, answers)] = women_submissions(app)
    assert stored.status == "submitted"
    assert stored.paradata["interruptions"] == 2
    assert not stored.paradata.get("questions")  # nothing per question on a sensitive form
    assert "interruptions" not in answers and answers["V1_03"] == "ghi chú"
    drafts = tab.evaluate(
        "Object.keys(localStorage).filter((k) => k.startsWith('gesurvey:draft:'))"
    )
    assert drafts == []
    assert tab.errors == []


DUMP = """async () => {
  const out = { drafts: [], outbox: [] };
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (names.includes("gesurvey")) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open("gesurvey");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const name of ["drafts", "outbox"]) {
      out[name] = await new Promise((resolve, reject) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    db.close();
  }
  out.cache = [];
  for (const key of await caches.keys()) {
    const cache = await caches.open(key);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      out.cache.push(request.url + " " + (await response.text()));
    }
  }
  out.local = Object.keys(localStorage).map((k) => k + " " + localStorage.getItem(k));
  return JSON.stringify(out);
}"""


def start_offline_women(tab: Any, base: str) -> None:
    tab.goto(f"{base}/collect/offline/")
    card = tab.locator(".offline-assignment", has_text="Phiếu W (thử nghiệm)")
    card.locator(".offline-start").tap()
    tab.wait_for_url(lambda url: "/collect/offline/interview?uuid=" in url)
    tab.wait_for_selector("#gesurvey-form[data-ready='true']")


@pytest.mark.slow
def test_tablet_keeps_nothing_of_the_module_once_the_server_has_it(
    browser: Any, live_app: tuple[str, Any]
) -> None:
    base, app = live_app
    tab = new_tab(browser)
    log_in(tab, base, "lan")
    tab.goto(f"{base}/collect/offline/")
    tab.evaluate("navigator.serviceWorker.ready.then(() => true)")
    start_offline_women(tab, base)
    choose(tab, "P01", 1)
    tab.locator(".gs-next").tap()
    choose(tab, "V1_01", 1)
    choose(tab, "V1_02", 1)
    field(tab, "V1_03").locator("input").fill(TRACE)
    tab.locator(".gs-next").tap()
    choose(tab, "V2_01", 1)
    tab.locator(".gs-next").tap()
    choose(tab, "E01", 1)
    tab.locator(".gs-submit").tap()
    tab.wait_for_url(lambda url: url.endswith("/collect/outbox"))
    tab.locator("#outbox-list .outbox-item[data-state='sent']").wait_for(timeout=30_000)
    stored = [s for s, answers in women_submissions(app) if answers.get("V1_03") == TRACE]
    assert len(stored) == 1  # the server has it ...
    dump = tab.evaluate(DUMP)
    assert TRACE not in dump  # ... and the tablet keeps none of its answers
    outbox = json.loads(dump)["outbox"]
    [sent] = [item for item in outbox if item["uuid"] == stored[0].uuid]
    assert "answers" not in sent["envelope"] and sent["envelope"]["sha256"]
    assert tab.errors == []


@pytest.mark.slow
def test_logout_wipes_an_unsent_module_only_after_a_warning(
    browser: Any, live_app: tuple[str, Any]
) -> None:
    base, _app = live_app
    tab = new_tab(browser)
    log_in(tab, base, "lan")
    tab.goto(f"{base}/collect/offline/")
    start_offline_women(tab, base)
    choose(tab, "P01", 1)
    tab.locator(".gs-next").tap()
    field(tab, "V1_03").locator("input").fill(TRACE)
    kept = "() => GESurveyOutbox.all('drafts').then((d) => JSON.stringify(d).includes(TRACE))"
    wait_until(tab, kept.replace("TRACE", json.dumps(TRACE)))
    tab.goto(f"{base}/collect/offline/")
    messages: list[str] = []

    def dismiss(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    tab.once("dialog", dismiss)
    tab.locator("#logout").tap()
    for _ in range(100):
        if messages:
            break
        tab.wait_for_timeout(100)
    assert messages and "chưa gửi" in messages[0] and "xóa vĩnh viễn" in messages[0]
    assert TRACE in tab.evaluate(DUMP)  # cancelled: nothing wiped, still logged in
    assert tab.locator("#logout").count() == 1

    tab.once("dialog", lambda dialog: dialog.accept())
    tab.locator("#logout").tap()
    tab.wait_for_url(lambda url: "/auth/login" in url or url.rstrip("/") == base)
    assert TRACE not in tab.evaluate(DUMP)
