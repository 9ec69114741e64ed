"""Every indicator route against every role, with the exact status each must get.

Department users are department viewers; the Labour department (ldtbxh) approves; a district
official is a viewer whose area is a district. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from .conftest import TEST_PASSWORD
from .indicator_world import build_indicator_world

READERS = {"admin", "sup178", "analyst", "viewer", "dept_khdt", "labour", "district178"}
ENTERERS = {"admin", "dept_khdt", "labour", "district178"}
APPROVERS = {"admin", "labour"}
USERS = sorted(READERS | {"enum178"})


def expected(user: str | None, route: str) -> int:
    """The status a user must get (None: anonymous)."""
    if route == "api":
        if user is None:
            return 401
        return 200 if user in READERS else 403
    if user is None:
        return 302
    allowed = {
        "browse": READERS,
        "download_csv": READERS,
        "download_xlsx": READERS,
        "figure": READERS,
        "entry_get": ENTERERS,
        "entry_post": ENTERERS,
        "approvals_get": APPROVERS,
        "approvals_post": APPROVERS,
        "report": APPROVERS,
        "report_pdf": APPROVERS,
    }[route]
    if user not in allowed:
        return 403
    return {"entry_post": 422, "approvals_post": 302}.get(route, 200)


def call(client, route: str, world):  # noqa: ANN001, ANN201
    base = "/indicators"
    if route == "browse":
        return client.get(f"{base}/?code=I4.1&level=province&area=20")
    if route == "download_csv":
        return client.get(f"{base}/download.csv?code=I4.1&level=province&area=20")
    if route == "download_xlsx":
        return client.get(f"{base}/download.xlsx?code=I4.1&level=province&area=20")
    if route == "figure":
        return client.get(f"{base}/figures/{world.approved_id}")
    if route == "entry_get":
        return client.get(f"{base}/entry")
    if route == "entry_post":
        return client.post(f"{base}/entry?period=2019", data={"save_draft": "1"})
    if route == "approvals_get":
        return client.get(f"{base}/approvals")
    if route == "approvals_post":
        return client.post(f"{base}/approvals", data={"approve": "1"})
    if route == "report":
        return client.get(f"{base}/report.xlsx?year=2019")
    if route == "report_pdf":
        return client.get(f"{base}/report.pdf?year=2019")
    if route == "api":
        return client.get("/api/v1/indicators?code=I4.1")
    raise AssertionError(route)


ROUTES = [
    "browse",
    "download_csv",
    "download_xlsx",
    "figure",
    "entry_get",
    "entry_post",
    "approvals_get",
    "approvals_post",
    "report",
    "report_pdf",
    "api",
]


def test_every_indicator_route_is_covered(app) -> None:
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if "indicator" in r.endpoint}
    assert endpoints == {
        "indicators.browse",
        "indicators.download",
        "indicators.figure",
        "indicators.entry",
        "indicators.approvals",
        "indicators.yearly_report",
        "indicators.yearly_report_pdf",
        "api.indicators",
    }


@pytest.mark.parametrize("user", [None, *USERS])
def test_role_gets_exactly_the_expected_status(app, client, user) -> None:
    world = build_indicator_world(app)
    if user is not None:
        response = client.post("/auth/login", data={"username": user, "password": TEST_PASSWORD})
        assert response.status_code == 302
    wrong = []
    for route in ROUTES:
        response = call(client, route, world)
        want = expected(user, route)
        if response.status_code != want:
            wrong.append((route, want, response.status_code))
        if want == 302 and route != "approvals_post":
            assert "/auth/login" in response.headers["Location"]
    assert wrong == []


def test_figure_pages_follow_the_figure_rules(app, client) -> None:
    world = build_indicator_world(app)
    expectations = {
        # user: (khdt draft, district draft)
        "dept_khdt": (200, 404),
        "district178": (404, 200),
        "labour": (200, 200),
        "sup178": (404, 404),
    }
    for user, (khdt, district) in expectations.items():
        client.post("/auth/login", data={"username": user, "password": TEST_PASSWORD})
        assert client.get(f"/indicators/figures/{world.khdt_draft_id}").status_code == khdt, user
        assert (
            client.get(f"/indicators/figures/{world.district_draft_id}").status_code == district
        ), user
        client.post("/auth/logout")
