"""Drive Debian's chromium through Playwright against the app's static files.

The static folder is served by a tiny HTTP server on 127.0.0.1 so the browser loads the very files
the app ships (no CDN, no bundler). Chromium is Debian's (`apt-get install chromium`); Playwright's
own browser download is never used. Without chromium the tests are skipped locally but fail in CI
(env CI set), so CI can never pass by not running them.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("GESURVEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STATIC_DIR = Path(__file__).resolve().parents[2] / "survey_app" / "static"
PORTRAIT = {"width": 800, "height": 1280}
LANDSCAPE = {"width": 1280, "height": 800}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser` so `-m "not browser"` can leave them out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _require_chromium() -> None:
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        return
    message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI never skips browser tests)", pytrace=False)
    pytest.skip(message)


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serve files without logging every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


@pytest.fixture(scope="session")
def static_server() -> Iterator[str]:
    """Serve survey_app/static at http://127.0.0.1:PORT/static/ and yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(STATIC_DIR.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian chromium for the whole session."""
    _require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(params=["portrait", "landscape"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    """The two tablet viewports the form must work in."""
    return PORTRAIT if request.param == "portrait" else LANDSCAPE


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tablet-sized (portrait) touch page; console errors fail the test."""
    context = browser.new_context(viewport=PORTRAIT, has_touch=True, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
