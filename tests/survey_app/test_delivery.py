"""Static files and JSON go out gzip-compressed; versioned static files are cached for good."""

from __future__ import annotations

import gzip
import re

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_pages_link_static_files_by_content_version(client, auth, world) -> None:
    auth.login("enum178")
    page = client.get(f"/collect/interview/{world.own_draft}").get_data(as_text=True)
    (url,) = re.findall(r'src="(/static/js/form/index\.js\?v=[0-9a-f]{12})"', page)
    response = client.get(url, headers=GZIP)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    plain = client.get(url.split("?")[0])
    assert gzip.decompress(response.get_data()) == plain.get_data()
    assert "immutable" not in plain.headers.get("Cache-Control", "")


def test_an_old_version_is_not_cached_for_good(client) -> None:
    response = client.get("/static/js/form/index.js?v=000000000000", headers=GZIP)
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_nothing_is_compressed_for_a_browser_that_does_not_ask(client) -> None:
    response = client.get("/static/js/form/app.js")
    assert "Content-Encoding" not in response.headers
    assert b"FormApp" in response.get_data()


def test_questionnaire_json_is_compressed_and_html_is_not(client, auth, world) -> None:
    auth.login("enum178")
    page = client.get(f"/collect/interview/{world.own_draft}", headers=GZIP)
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
    (url,) = re.findall(r'"questionnaire_url": "([^"]+)"', page.get_data(as_text=True))
    definition = client.get(url, headers=GZIP)
    assert definition.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(definition.get_data()).startswith(b"{")


def test_a_kept_compressed_copy_is_revalidated_without_a_body(client) -> None:
    first = client.get("/static/js/form/app.js", headers=GZIP)
    etag = first.headers["ETag"]
    assert etag.endswith('-gzip"')
    again = client.get("/static/js/form/app.js", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
