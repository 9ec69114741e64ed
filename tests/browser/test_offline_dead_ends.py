"""Offline, every link and button an enumerator can reach leads somewhere that works.

After one online visit the network goes away. Logging out and switching the language say, in
Vietnamese, that they need the network and that nothing is lost (the enumerator stays logged in,
the page cache and the interviews stay); "start a new interview" on the online assignments page
starts it on the tablet instead; a page that needs the network shows the kept "no network" page,
never the browser's error page and never raw JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from .live_app import TABLET, field, log_in, seeded_app, served
from .test_offline_sync import wait_until


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any]]:  # noqa: ANN001
    app = seeded_app(tmp_path_factory.mktemp("deadends") / "deadends.sqlite", "browser-deadends")
    with served(app) as base:
        yield base, app


def cache_size(tab: Any) -> int:
    return tab.evaluate(
        "() => caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k)"
        ".then(c => c.keys())))).then(lists => lists.flat().length)"
    )


def no_raw_error(tab: Any) -> None:
    body = tab.locator("body").inner_text()
    assert '"error"' not in body and "offline}" not in body


@pytest.mark.slow
def test_offline_links_and_buttons_never_dead_end(browser: Any, live_app: tuple[str, Any]) -> None:
    base, _app = live_app
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(tab, base, "lan")
        tab.goto(f"{base}/collect/offline/")
        tab.wait_for_selector(".offline-assignment .offline-start")
        tab.evaluate("navigator.serviceWorker.ready.then(() => true)")
        wait_until(tab, "() => GESurveyOutbox.get('forms', 'test_household@1.0.0').then(Boolean)")
        tab.reload()
        wait_until(tab, "() => navigator.serviceWorker.controller !== null")
        tab.goto(f"{base}/collect/")
        tab.wait_for_load_state("networkidle")
        kept = cache_size(tab)
        assert kept > 0

        context.set_offline(True)
        tab.goto(f"{base}/collect/offline/")
        tab.wait_for_selector(".offline-assignment .offline-start")

        # Logout: a clear message, still logged in, nothing wiped.
        tab.locator("#logout").tap()
        message = tab.locator("#app-message")
        message.wait_for(state="visible")
        assert "Đăng xuất cần có mạng" in message.inner_text()
        assert "Không mất dữ liệu gì" in message.inner_text()
        assert tab.url.endswith("/collect/offline/")
        assert cache_size(tab) == kept
        assert tab.locator("#logout").count() == 1

        # Language switch: the same.
        tab.locator("#language-form button").tap()
        wait_until(
            tab, "() => document.getElementById('app-message').dataset.shown === 'languageOffline'"
        )
        assert "Đổi ngôn ngữ" in message.inner_text()
        assert tab.locator("html").get_attribute("lang") == "vi"
        assert cache_size(tab) == kept

        # The online assignments page (kept): "start" starts the interview on the tablet.
        tab.goto(f"{base}/collect/")
        tab.locator(".assignment .start-form button").first.tap()
        tab.wait_for_url(lambda url: "/collect/offline/interview?uuid=" in url)
        tab.wait_for_selector("#gesurvey-form[data-ready='true']")
        uuid = tab.url.rsplit("=", 1)[1]
        assert tab.evaluate("id => GESurveyOutbox.get('drafts', id).then(Boolean)", uuid)

        # The offline list shows it with its village and status; search filters it out and in.
        field(tab, "HH01").locator("input").fill("Hoàng Văn Lâm")
        wait_until(
            tab,
            "id => GESurveyOutbox.get('drafts', id).then(d => d.answers.HH01 === 'Hoàng Văn Lâm')",
            uuid,
        )
        tab.goto(f"{base}/collect/offline/")
        card = tab.locator(f".offline-draft[data-uuid='{uuid}']")
        card.wait_for()
        assert card.get_attribute("data-village") == "Khối 1"
        assert card.get_attribute("data-name") == "Lâm"
        assert "Đang làm" in card.inner_text()
        search = tab.locator(".list-tools[data-list='offline-drafts'] .list-search")
        search.fill("khong co")
        expect(card).to_be_hidden()
        search.fill("lam")
        expect(card).to_be_visible()

        # Pages that need the network: the "no network" page, in Vietnamese.
        for path in ("/collect/submissions", f"/collect/interview/{uuid}", "/review/"):
            response = tab.goto(f"{base}{path}")
            assert response is not None
            assert tab.locator("h1").inner_text() == "Không có mạng", path
            no_raw_error(tab)
            assert tab.locator("a[href='/collect/offline/']").count() >= 1
        assert cache_size(tab) == kept

        # Back online, logout works (and then forgets the cached pages).
        context.set_offline(False)
        tab.goto(f"{base}/collect/offline/")
        tab.locator("#logout").tap()
        tab.wait_for_url(lambda url: "/auth/login" in url)
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
