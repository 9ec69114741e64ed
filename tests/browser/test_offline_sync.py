"""Offline collection in Debian chromium on a tablet: after one online visit the network goes
away; the enumerator reloads the app, fills and finalises two interviews, sees them in the
outbox; back online both arrive once; a forced resend leaves one record; an edited resend
under the same UUID gives a 409 that the outbox shows. Meanwhile a new questionnaire version is
published: the interviews started on the old version are stored on it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from survey_app.api.models import SubmissionConflict
from survey_app.core.questionnaire_store import publish
from survey_app.extensions import db
from survey_app.models import Submission
from survey_app.submissions.canonical import canonical_json

from .live_app import (
    TABLET,
    TEST_FORM,
    choose,
    field,
    fill_members,
    log_in,
    section,
    seeded_app,
    served,
)


class CountingMiddleware:
    """Counts the requests that reach the app (none may arrive while the tablet is offline)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []
        self.lock = threading.Lock()

    @property
    def count(self) -> int:
        return len(self.paths)

    def __call__(self, environ: dict, start_response: Any) -> Any:
        with self.lock:
            self.paths.append(environ["REQUEST_METHOD"] + " " + environ["PATH_INFO"])
        return self.app(environ, start_response)

    def settle(self, quiet_seconds: float = 1.0) -> int:
        """Wait until no request has arrived for quiet_seconds (background refreshes done)."""
        last = -1
        while last != self.count:
            last = self.count
            time.sleep(quiet_seconds)
        return last


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any, CountingMiddleware]]:  # noqa: ANN001
    app = seeded_app(
        tmp_path_factory.mktemp("offline") / "offline.sqlite",
        "browser-offline",
        enumerators=("lan", "mai"),
    )
    counter = CountingMiddleware(app.wsgi_app)
    app.wsgi_app = counter
    with served(app) as base:
        yield base, app, counter


def fill_interview(tab: Any, head: str) -> None:
    """Fill the test household form from its first page and finalise it."""
    tab.wait_for_selector("#gesurvey-form[data-ready='true']")
    field(tab, "HH01").locator("input").fill(head)
    field(tab, "HH02").locator("input").fill("2")
    choose(tab, "HH03", 0)
    tab.locator(".gs-next").tap()
    assert section(tab) == "R"
    fill_members(tab, [("Lâm", 1, "45"), ("Hoa", 2, "14")])
    assert section(tab) == "E"
    choose(tab, "E01", 1)
    tab.locator(".gs-submit").tap()
    tab.wait_for_url(lambda url: url.endswith("/collect/outbox"))


def wait_until(tab: Any, function: str, arg: Any = None, seconds: float = 30) -> None:
    """Poll a JS function until it is truthy. (page.wait_for_function compiles its predicate
    with eval, which the app's content security policy rightly forbids.)"""
    deadline = time.monotonic() + seconds
    while not tab.evaluate(function, arg):
        assert time.monotonic() < deadline, f"timed out waiting for {function}"
        time.sleep(0.2)


def items(tab: Any, state: str) -> Any:
    return tab.locator(f"#outbox-list .outbox-item[data-state='{state}']")


# Every state of the outbox list the page could show, as [cards, pending cards], recorded by a
# mutation observer (its callbacks run before any later task, so a list drawn card by card across
# awaits shows up here empty, half drawn or with duplicated cards).
WATCH_OUTBOX = """
new MutationObserver(() => {
  const list = document.getElementById("outbox-list");
  if (!list) return;
  const seen = (window.gesurveyOutboxDrawn = window.gesurveyOutboxDrawn || []);
  seen.push([list.querySelectorAll(".outbox-item").length,
    list.querySelectorAll(".outbox-item[data-state='pending']").length]);
}).observe(document, { childList: true, subtree: true });
"""


def drawn_states(tab: Any) -> set[tuple[int, int]]:
    """The outbox list's states shown on this page since it first drew an interview."""
    drawn = tab.evaluate("window.gesurveyOutboxDrawn || []")
    first = next((i for i, (cards, _) in enumerate(drawn) if cards), len(drawn))
    return {(cards, pending) for cards, pending in drawn[first:]}


def stored_count(app: Any, model: Any = Submission) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.slow
def test_offline_interviews_reach_the_server_exactly_once(
    browser: Any, live_app: tuple[str, Any, CountingMiddleware]
) -> None:
    base, app, counter = live_app
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    context.add_init_script(WATCH_OUTBOX)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # One online visit: the service worker installs, the form version is kept on the tablet.
        log_in(tab, base, "lan")
        tab.goto(f"{base}/collect/offline/")
        tab.wait_for_selector(".offline-assignment .offline-start")
        tab.evaluate("navigator.serviceWorker.ready.then(() => true)")
        wait_until(tab, "() => GESurveyOutbox.get('forms', 'test_household@1.0.0').then(Boolean)")
        tab.reload()
        wait_until(tab, "() => navigator.serviceWorker.controller !== null")
        tab.goto(f"{base}/collect/outbox")
        state = tab.evaluate("document.documentElement.dataset.persistentStorage")
        assert state in ("granted", "refused")
        assert tab.locator("#persist-warning").is_hidden() == (state == "granted")

        # The canonical JSON the tablet hashes is the server's, character for character.
        samples = [
            {"b": 1.5, "a": [True, None, 0.1, -0.0, 1e21, 1e-7, 123456789012]},
            {"s": 'Hoàng\n"x"\u0001', "n": 2.5e-5, "m": 3e100},
        ]
        for sample in samples:
            assert tab.evaluate("v => GESurveyOutbox.canonicalJson(v)", sample) == canonical_json(
                sample
            )

        # Offline: a new version is published meanwhile on the server.
        tab.wait_for_load_state("networkidle")
        counter.settle()
        context.set_offline(True)
        with app.app_context():
            newer = json.loads(TEST_FORM.read_text(encoding="utf-8"))
            newer["version"] = "2.0.0"
            publish(newer)
            db.session.commit()
        before = counter.count
        tab.goto(f"{base}/collect/offline/")
        tab.reload()
        tab.locator("#net-status").wait_for(state="visible")
        tab.locator(".offline-assignment .offline-start").wait_for()
        uuids = []
        for head in ("Hoàng Văn Lâm", "Nông Thị Hoa"):
            tab.goto(f"{base}/collect/offline/")
            tab.locator(".offline-start").first.tap()
            tab.wait_for_url(lambda url: "/collect/offline/interview?uuid=" in url)
            uuids.append(tab.url.rsplit("=", 1)[1])
            fill_interview(tab, head)
        # The outbox redraws on every failed attempt: wait for the drawn end state.
        expect(items(tab, "pending")).to_have_count(2)
        expect(tab.locator("#outbox-summary")).to_have_attribute("data-pending", "2")
        # Each redraw swaps the whole list at once: never empty, half drawn or doubled meanwhile.
        assert drawn_states(tab) == {(2, 2)}
        # The browser's own update check of the service worker script (made by chromium's
        # browser process on navigation) is outside the page's emulated network: not ours.
        leaked = [path for path in counter.paths[before:] if path != "GET /sw.js"]
        assert leaked == [], f"requests reached the server while offline: {leaked}"
        assert stored_count(app) == 0

        # Back online: both arrive, once, on the version they were started on.
        context.set_offline(False)
        expect(items(tab, "sent")).to_have_count(2, timeout=30_000)
        expect(tab.locator("#outbox-list .outbox-item")).to_have_count(2)
        with app.app_context():
            rows = db.session.scalars(select(Submission)).all()
            assert sorted(r.uuid for r in rows) == sorted(uuids)
            assert {r.questionnaire_version.version for r in rows} == {"1.0.0"}
            assert {r.status for r in rows} == {"submitted"}

        # A forced resend of the same interview leaves one record.
        attempts = tab.evaluate(
            "id => GESurveyOutbox.get('outbox', id).then(i => i.attempts)", uuids[0]
        )
        first = tab.locator(f".outbox-item[data-uuid='{uuids[0]}']")
        first.locator(".outbox-resend").tap()
        wait_until(
            tab,
            "([id, n]) => GESurveyOutbox.get('outbox', id).then(i => "
            "i.attempts === n + 1 && i.last_status === 200)",
            [uuids[0], attempts],
        )
        assert stored_count(app) == 2

        # An edited resend under the same UUID: 409, shown in the outbox, stored copy kept.
        tab.locator(f".outbox-item[data-uuid='{uuids[0]}'] .outbox-edit").tap()
        tab.wait_for_selector("#gesurvey-form[data-ready='true']")
        tab.locator(".gs-prev").first.wait_for()
        while section(tab) != "H":
            tab.locator(".gs-prev").tap()
        field(tab, "HH01").locator("input").fill("Hoàng Văn Lâm (sửa)")
        while tab.locator(".gs-submit").count() == 0 or not tab.locator(".gs-submit").is_visible():
            tab.locator(".gs-next").tap()
        tab.locator(".gs-submit").tap()
        tab.wait_for_url(lambda url: url.endswith("/collect/outbox"))
        conflict = tab.locator(f".outbox-item[data-uuid='{uuids[0]}'][data-state='conflict']")
        conflict.wait_for(timeout=30_000)
        assert "xung đột" in conflict.inner_text().lower()
        assert stored_count(app) == 2
        assert stored_count(app, SubmissionConflict) == 1
        with app.app_context():
            kept = db.session.scalar(select(Submission).where(Submission.uuid == uuids[0]))
            assert kept.answers["HH01"] == "Hoàng Văn Lâm"

        # The outbox exports what the server has not taken, for an admin to import.
        with tab.expect_download() as download:
            tab.locator("#outbox-export").tap()
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert exported["format"] == "gesurvey-outbox" and exported["username"] == "lan"
        assert [item["uuid"] for item in exported["submissions"]] == [uuids[0]]
        assert exported["submissions"][0]["answers"]["HH01"] == "Hoàng Văn Lâm (sửa)"

        # Another enumerator on the same tablet neither sees nor sends Lan's interviews.
        tab.locator("#logout").tap()
        tab.wait_for_url(lambda url: "/auth/login" in url)
        log_in(tab, base, "mai")
        tab.goto(f"{base}/collect/outbox")
        tab.wait_for_selector("#outbox-list li")
        expect(tab.locator("#outbox-list .outbox-item")).to_have_count(0)
        tab.evaluate(
            """async (id) => {
            const item = await GESurveyOutbox.get('outbox', id);
            item.state = 'pending';
            item.next_attempt = 0;
            await GESurveyOutbox.put('outbox', item.uuid, item);
            await GESurveyOutbox.sync(true);
        }""",
            uuids[1],
        )
        assert (
            tab.evaluate("id => GESurveyOutbox.get('outbox', id).then(i => i.state)", uuids[1])
            == "pending"
        )
        assert stored_count(app) == 2
        with app.app_context():
            assert {s.enumerator.username for s in db.session.scalars(select(Submission))} == {
                "lan"
            }
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
