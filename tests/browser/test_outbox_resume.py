"""The outbox sends as soon as the network returns or the app opens, not after the backoff.

While the tablet is offline every send fails and the wait before the next try doubles. Back
online (the browser's `online` event) or when the app is opened again, that wait is forgotten:
the interview goes at once, and if the server still fails the backoff starts again from its
first, short step.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Submission

from .live_app import TABLET, log_in, seeded_app, served
from .test_offline_sync import fill_interview, items, wait_until

# Five failures in a row: the next try waits 2 s * 2**4 * (0.75 to 1.25), at least 24 s. Each
# wait below is far shorter, so only an immediate send can meet it.
FAILURES = 5
BUILT_UP_MS = 20_000
SOON_SECONDS = 10


class RefusingMiddleware:
    """Answers 503 to interviews sent while `refusing` is set (a server still coming back)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.refusing = threading.Event()
        self.refused = 0

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if (
            self.refusing.is_set()
            and environ["REQUEST_METHOD"] == "POST"
            and environ["PATH_INFO"] == "/api/v1/submissions"
        ):
            self.refused += 1
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [b'{"error": "busy"}']
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any, RefusingMiddleware]]:  # noqa: ANN001
    app = seeded_app(tmp_path_factory.mktemp("resume") / "resume.sqlite", "browser-resume")
    gate = RefusingMiddleware(app.wsgi_app)
    app.wsgi_app = gate
    with served(app) as base:
        yield base, app, gate


def item(tab: Any, uuid: str) -> dict:
    return tab.evaluate("id => GESurveyOutbox.get('outbox', id)", uuid)


def finalise_offline(tab: Any, base: str, head: str) -> str:
    """Start and finalise an interview with the network off; its uuid."""
    tab.goto(f"{base}/collect/offline/")
    tab.locator(".offline-start").first.tap()
    tab.wait_for_url(lambda url: "/collect/offline/interview?uuid=" in url)
    uuid = tab.url.rsplit("=", 1)[1]
    fill_interview(tab, head)
    items(tab, "pending").first.wait_for()
    return uuid


def fail_offline(tab: Any, uuid: str) -> None:
    """Let sends fail until the backoff is long (the tablet is offline)."""
    for _ in range(FAILURES):
        tab.evaluate("() => GESurveyOutbox.sync(true)")
    assert item(tab, uuid)["failures"] >= FAILURES
    waiting = tab.evaluate(
        "id => GESurveyOutbox.get('outbox', id).then(i => i.next_attempt - Date.now())", uuid
    )
    assert waiting > BUILT_UP_MS
    assert item(tab, uuid)["state"] == "pending"


def stored(app: Any) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Submission.uuid)))


@pytest.mark.slow
def test_outbox_sends_at_once_when_online_and_when_the_app_opens(
    browser: Any, live_app: tuple[str, Any, RefusingMiddleware]
) -> None:
    base, app, gate = live_app
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
        tab.wait_for_load_state("networkidle")

        # Offline: finalise, let sends fail until the next try is far away.
        context.set_offline(True)
        first = finalise_offline(tab, base, "Hoàng Văn Lâm")
        fail_offline(tab, first)
        attempts = item(tab, first)["attempts"]

        # Online while the server still fails: a try at once, and the backoff starts over. The
        # browser may fire `online` a moment before its network works, so the first try can
        # still fail without reaching the server (status 0); what counts is that the server is
        # reached long before the built-up wait, with the backoff back at its first steps.
        gate.refusing.set()
        context.set_offline(False)
        wait_until(
            tab,
            "([id, n]) => GESurveyOutbox.get('outbox', id)"
            ".then(i => i.attempts > n && i.last_status === 503)",
            [first, attempts],
            seconds=SOON_SECONDS,
        )
        after = item(tab, first)
        assert after["state"] == "pending"
        assert after["failures"] <= 2
        assert gate.refused >= 1
        # The server recovers: the short first backoff step brings the interview in.
        gate.refusing.clear()
        items(tab, "sent").first.wait_for(timeout=SOON_SECONDS * 1000)
        assert item(tab, first)["failures"] == 0
        assert stored(app) == {first}

        # Offline again; the app is closed with a long backoff and opened once the network is
        # back: opening it sends at once.
        context.set_offline(True)
        second = finalise_offline(tab, base, "Nông Thị Hoa")
        fail_offline(tab, second)
        tab.close()
        context.set_offline(False)
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.goto(f"{base}/collect/outbox")
        wait_until(
            tab,
            "id => GESurveyOutbox.get('outbox', id).then(i => i.state === 'sent')",
            second,
            seconds=SOON_SECONDS,
        )
        assert stored(app) == {first, second}
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
