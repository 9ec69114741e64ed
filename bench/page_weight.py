"""Weigh the first and the second load of an interview page, as a browser fetches them.

Usage: python bench/page_weight.py [--form household] [--n 1]

Builds a throwaway SQLite app with the bundled questionnaires, an enumerator and an assignment,
starts an interview, then loads its page the way a browser does (``Accept-Encoding: gzip, br``):
the HTML, every stylesheet, script and preload it links, every ES module those import (followed
through ``import … from "./x.js"``), the questionnaire JSON the form engine fetches, and sums the
bytes of the bodies as sent. A second interview page is then loaded with the first one's cache:
responses marked ``immutable`` or with a ``max-age`` are not asked for again, the others are
revalidated with their ETag (a 304 has no body). The anchor, measured in the same run, is what
the page cost before: every body uncompressed and the questionnaire embedded in the HTML.
Prints figure, anchor, ratio and the process's peak memory.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import tempfile
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_KB = 120
PASSWORD = "bench-password-1"
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}
LINKS = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', re.I)
IMPORTS = re.compile(r'(?:\bfrom\s*|\bimport\s*)"(\.{1,2}/[^"]+)"')
QUESTIONNAIRE = re.compile(r'"questionnaire_url":\s*"([^"]+)"')


def build(url: str, form: str) -> tuple[object, list[str]]:
    """An app with an enumerator who has started two interviews; their page addresses."""
    from survey_app import create_app
    from survey_app.admin.services import create_assignment, create_user
    from survey_app.extensions import db
    from survey_app.models import Area
    from survey_app.questionnaire_store import publish_bundled

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    with app.app_context():
        db.create_all()
        district = Area(code="178", name="TP Lạng Sơn", level="district")
        commune = Area(code="17801", name="Chi Lăng", level="commune", parent=district)
        village = Area(code="17801001", name="Khối 1", level="village", parent=commune)
        db.session.add_all([district, commune, village])
        publish_bundled()
        create_user("enum", "enumerator", PASSWORD, area_code=village.code)
        assignment = create_assignment("enum", village.code, form, 10)
        db.session.commit()
        assignment_id = assignment.id
    client = app.test_client()
    client.post("/auth/login", data={"username": "enum", "password": PASSWORD})
    pages = []
    for _ in range(2):
        response = client.post(f"/collect/assignments/{assignment_id}/start")
        pages.append(urlsplit(response.headers["Location"]).path)
    return client, pages


def load(client: object, page: str, cache: dict[str, dict[str, str]]) -> dict[str, list[int]]:
    """Load a page and what it needs; bytes sent (compressed) and plain, by kind of resource.

    ``cache`` maps URLs to the headers of the copy the browser keeps; it is updated.
    """
    sizes: dict[str, list[int]] = {}
    seen: set[str] = set()
    queue = [page]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        kept = cache.get(url)
        control = (kept or {}).get("Cache-Control", "")
        if kept and ("immutable" in control or "max-age=" in control):
            sent, plain, body = 0, 0, kept["body"]
        else:
            headers = dict(BROWSER)
            if kept and kept.get("ETag"):
                headers["If-None-Match"] = kept["ETag"]
            response = client.get(url, headers=headers)  # type: ignore[attr-defined]
            if response.status_code == 304:
                sent, plain, body = 0, 0, kept["body"]  # type: ignore[index]
            else:
                assert response.status_code == 200, (url, response.status_code)
                raw = response.get_data()
                sent = len(raw)
                if response.headers.get("Content-Encoding") == "gzip":
                    import gzip

                    raw = gzip.decompress(raw)
                plain = len(raw)
                body = raw.decode("utf-8", errors="replace")
                cache[url] = {
                    "Cache-Control": response.headers.get("Cache-Control", ""),
                    "ETag": response.headers.get("ETag", ""),
                    "body": body,
                }
        kind = _kind(url, page)
        total = sizes.setdefault(kind, [0, 0])
        total[0] += sent
        total[1] += plain
        base = url.split("?")[0]
        if url == page:
            queue += [link for link in LINKS.findall(body) if link.startswith("/")]
            queue += [match.replace("\\/", "/") for match in QUESTIONNAIRE.findall(body)]
        elif base.endswith(".js"):
            queue += [urljoin(base, target) for target in IMPORTS.findall(body)]
    return sizes


def _kind(url: str, page: str) -> str:
    if url == page:
        return "HTML"
    path = url.split("?")[0]
    if path.startswith("/api/"):
        return "questionnaire JSON"
    return {".js": "JavaScript", ".css": "CSS"}.get(Path(path).suffix, "other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--form", default="household", help="bundled questionnaire to open")
    parser.add_argument("--n", type=int, default=1, help="runs (the page weight is the same)")
    args = parser.parse_args()
    os.environ.setdefault("GESURVEY_SECRET_KEY", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        client, pages = build("sqlite:///" + os.path.join(tmp, "bench.sqlite"), args.form)
        for _ in range(args.n):
            cache: dict[str, dict[str, str]] = {}
            first = load(client, pages[0], cache)
            second = load(client, pages[1], cache)
    first_sent = sum(s for s, _ in first.values())
    second_sent = sum(s for s, _ in second.values())
    # Anchor: every body as it is, the questionnaire inside the HTML (how pages used to come).
    anchor = sum(p for _, p in first.values())
    print(f"interview page of '{args.form}': bytes over the wire (KB = 1000 bytes)")
    print(f"{'':22s} {'first load':>12s} {'plain':>10s} {'second page':>12s}")
    for kind in first:
        print(
            f"{kind:22s} {first[kind][0] / 1000:12.1f} {first[kind][1] / 1000:10.1f} "
            f"{second.get(kind, [0, 0])[0] / 1000:12.1f}"
        )
    print(
        f"{'total':22s} {first_sent / 1000:12.1f} {anchor / 1000:10.1f} {second_sent / 1000:12.1f}"
    )
    print(
        f"figure: first load {first_sent / 1000:.1f} KB compressed (goal < {GOAL_KB} KB); "
        f"a second interview page {second_sent / 1000:.1f} KB"
    )
    print(
        f"anchor (same run): {anchor / 1000:.1f} KB uncompressed with the questionnaire embedded; "
        f"ratio {first_sent / anchor:.2f}"
    )
    print(
        f"peak resident memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
