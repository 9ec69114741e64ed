"""WCAG 2.1 AA checks and screenshots of the form, list, review and results pages, and of the
administration and indicator pages at phone width.

axe-core comes from its npm package (tests/browser/package.json, installed with
`npm ci --prefix tests/browser`) and is served to the page from the test's own origin. Each
page, in Vietnamese, at phone (390 px) and tablet (800 px) width: no serious or critical axe
violation, no horizontal overflow, and a screenshot in the artefact folder
(GESURVEY_ARTEFACTS, else a temporary folder) for people to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from survey_app.admin.services import create_user
from survey_app.core.questionnaire_store import current_version
from survey_app.extensions import db
from survey_app.indicators.services import Figure, put_figure
from survey_app.models import Assignment, User
from survey_app.submissions import review, start
from survey_app.submissions.services import mark_submitted

from .live_app import PASSWORD, log_in, seeded_app, served

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 800, "height": 1280}}
AXE_PATH = "/__tests__/axe.min.js"
ANSWERS = {
    "HH02": 2,
    "HH03": 0,
    "roster": [{"M01": "Lâm", "M03": 1, "M04": 45}, {"M01": "Hoa", "M03": 2, "M04": 40}],
    "E01": 1,
}


def _require_axe() -> None:
    if AXE.exists():
        return
    message = f"{AXE} is missing: run `npm ci --prefix tests/browser`"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI never skips these checks)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:  # noqa: ANN001
    root = os.environ.get("GESURVEY_ARTEFACTS")
    folder = Path(root) / "screens" if root else tmp_path_factory.mktemp("screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[tuple[str, Any, str, str]]:  # noqa: ANN001
    """The app with two submitted interviews (one returned with a comment) and a draft, made
    through the intake services, so every page has content."""
    _require_axe()
    app = seeded_app(tmp_path_factory.mktemp("a11y") / "a11y.sqlite", "browser-a11y")
    with app.app_context():
        lan = db.session.scalar(select(User).where(User.username == "lan"))
        supervisor = db.session.scalar(select(User).where(User.username == "minh"))
        assignment = db.session.scalar(select(Assignment))
        version = current_version("test_household")
        made = []
        for head in ("Hoàng Văn Lâm", "Nông Thị Hoa", None):
            submission = start(lan, assignment, version, None)
            db.session.add(submission)
            db.session.flush()
            if head:
                mark_submitted(submission, {**ANSWERS, "HH01": head}, lan)
            made.append(submission)
        db.session.flush()
        review(made[0], supervisor, "return", "Tuổi của Hoa cần kiểm tra lại")
        admin = create_user("an", "admin", PASSWORD)
        province = assignment.area.parent.parent.parent
        for sex, value in (("F", 41.5), ("M", 58.5)):
            put_figure("I4.1", province, "2025", sex, Figure(value=value), admin)
        db.session.commit()
        reviewed, draft = made[1].uuid, made[2].uuid
    with served(app) as base:
        yield base, app, draft, reviewed


def problems(tab: Any, name: str, width: str, artefacts: Path) -> list[str]:
    """axe-core's serious and critical violations on the page and a sideways overflow, if any;
    a screenshot for people to look at."""
    tab.wait_for_load_state("networkidle")
    assert tab.locator("html").get_attribute("lang") == "vi"
    tab.add_script_tag(url=AXE_PATH)
    result = tab.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', "
        "'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    sizes = tab.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if sizes[0] > sizes[1]:
        bad.append(f"overflows sideways: {sizes}")
    tab.screenshot(path=str(artefacts / f"{name}-{width}.png"), full_page=True)
    return [f"{name} at {width}: {problem}" for problem in bad]


def check(tab: Any, name: str, width: str, artefacts: Path) -> None:
    """No serious or critical axe violation and no sideways overflow on the page."""
    found = problems(tab, name, width, artefacts)
    assert not found, " | ".join(found)


@pytest.mark.slow
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_pages_meet_wcag_aa_and_fit_the_screen(
    browser: Any, live_app: tuple[str, Any, str, str], artefacts: Path, width: str
) -> None:
    base, _app, draft, reviewed = live_app
    context = browser.new_context(viewport=WIDTHS[width], locale="vi-VN", has_touch=True)
    context.route(
        f"{base}{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE), content_type="application/javascript"),
    )
    tab = context.new_page()
    try:
        log_in(tab, base, "lan")
        tab.goto(f"{base}/collect/interview/{draft}")
        tab.wait_for_selector("#gesurvey-form[data-ready='true']")
        check(tab, "form", width, artefacts)
        tab.goto(f"{base}/collect/submissions")
        check(tab, "list", width, artefacts)
        tab.goto(f"{base}/collect/offline/")
        tab.wait_for_selector(".offline-assignment")
        check(tab, "offline-list", width, artefacts)
        tab.locator("#logout").tap()
        tab.wait_for_url(lambda url: "/auth/login" in url)
        log_in(tab, base, "minh")
        tab.goto(f"{base}/review/")
        check(tab, "review-queue", width, artefacts)
        tab.goto(f"{base}/review/{reviewed}")
        check(tab, "review", width, artefacts)
        tab.goto(f"{base}/results/")
        check(tab, "results", width, artefacts)
    finally:
        context.close()


ADMIN_PAGES = {
    "admin-users": "/admin/users",
    "admin-areas": "/admin/areas",
    "admin-rounds": "/admin/rounds",
    "admin-assignments": "/admin/assignments",
    "admin-questionnaires": "/admin/questionnaires",
    "admin-progress": "/admin/progress",
    "admin-audit": "/admin/audit",
    "admin-import-outbox": "/admin/import-outbox",
    "indicators": "/indicators/?code=I4.1",
    "indicators-entry": "/indicators/entry",
    "indicators-approvals": "/indicators/approvals",
}


@pytest.mark.slow
def test_admin_and_indicator_pages_meet_wcag_aa_on_a_phone(
    browser: Any, live_app: tuple[str, Any, str, str], artefacts: Path
) -> None:
    """The administrator's pages and the indicator pages at 390 px: every problem listed."""
    base = live_app[0]
    context = browser.new_context(viewport=WIDTHS["phone"], locale="vi-VN", has_touch=True)
    context.route(
        f"{base}{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE), content_type="application/javascript"),
    )
    tab = context.new_page()
    found: list[str] = []
    try:
        log_in(tab, base, "an")
        for name, path in ADMIN_PAGES.items():
            tab.goto(f"{base}{path}")
            found += problems(tab, name, "phone", artefacts)
    finally:
        context.close()
    assert not found, "\n".join(found)
