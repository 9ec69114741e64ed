"""Every route against every role: allowed, redirected to login, or 403 Forbidden."""

from __future__ import annotations

import pytest

from .conftest import ROLES_USERS, World

ALL = {"admin", "supervisor", "enumerator", "analyst", "viewer"}

# endpoint -> roles allowed. Anonymous users are redirected to the login page everywhere
# except the endpoints in PUBLIC.
ALLOWED: dict[str, set[str]] = {
    "main.index": ALL,
    "auth.logout": ALL,
    "collect.assignments": {"enumerator"},
    "collect.start_interview": {"enumerator"},
    "collect.submissions": {"enumerator"},
    "collect.interview": {"enumerator"},
    "collect.draft": {"enumerator"},
    "collect.submit_interview": {"enumerator"},
    "review.queue": {"supervisor", "admin"},
    "review.detail": {"supervisor", "admin"},
    "review.decide": {"supervisor", "admin"},
    "review.correct_answer": {"supervisor", "admin"},
    "admin.users": {"admin"},
    "admin.toggle_user": {"admin"},
    "admin.edit_user": {"admin"},
    "admin.areas": {"admin"},
    "admin.assignments": {"admin"},
    "admin.import_assignments": {"admin"},
    "admin.export_assignments": {"admin"},
    "admin.questionnaires": {"admin"},
    "admin.publish": {"admin"},
    "admin.audit": {"admin"},
    "admin.progress": {"admin", "supervisor", "analyst", "viewer"},
    "admin.export": {"admin", "analyst"},
    "results.index": {"admin", "analyst", "supervisor", "viewer"},
    "results.run": {"admin", "analyst", "supervisor", "viewer"},
    "results.download": {"admin", "analyst", "supervisor", "viewer"},
    "results.pack": {"admin", "analyst", "supervisor", "viewer"},
    "results.upload": {"admin", "analyst"},
    "results.run_report": {"admin", "analyst"},
    "results.publish_run": {"admin", "analyst"},
    "results.withdraw_run": {"admin", "analyst"},
    "results.departments": {"admin"},
}
PUBLIC = {
    "auth.login",
    "auth.language",
    "static",
    "offline.service_worker",
    "offline.manifest",
    "api.openapi",
}
ALLOWED.update(
    {
        "offline.home": {"enumerator"},
        "offline.interview": {"enumerator"},
        "offline.outbox": {"enumerator"},
        "review.conflicts": {"supervisor", "admin"},
        "review.quality": {"supervisor", "admin"},
        "admin.import_outbox": {"admin"},
    }
)
# The JSON API answers anonymous requests with 401 (no login redirect); test_api.py has details.
API_ALLOWED: dict[str, set[str]] = {
    "api.questionnaires": ALL,
    "api.questionnaire_version": ALL,
    "api.assignments": ALL,
    "api.submissions": {"enumerator"},
    "api.submission": ALL,
}


def url_args(endpoint: str, world: World) -> dict:
    """Arguments that make each URL point at a row the allowed roles may see."""
    if endpoint.startswith("collect.") and "uuid" in ENDPOINT_ARGS.get(endpoint, ()):
        return {"uuid": world.own_draft}
    if endpoint.startswith("review.") and endpoint != "review.queue":
        return {"uuid": world.own_submitted}
    return {
        "collect.start_interview": {"assignment_id": world.assignment_id},
        "admin.toggle_user": {"user_id": 1},
        "admin.edit_user": {"user_id": 1},
        "admin.export": {"questionnaire_id": "test_household"},
        "results.run": {"run_id": 1},
        "results.download": {"run_id": 1, "filename": "report_vi.pdf"},
        "results.pack": {"run_id": 1, "department": "yte"},
        "results.publish_run": {"run_id": 1},
        "results.withdraw_run": {"run_id": 1},
        "static": {"filename": "css/app.css"},
        "api.questionnaire_version": {"questionnaire_id": "test_household", "version": "1.0.0"},
        "api.submission": {"uuid": world.own_draft},
    }.get(endpoint, {})


ENDPOINT_ARGS: dict[str, tuple] = {}


def routes(app):
    """(endpoint, method) for every rule, HEAD and OPTIONS aside."""
    found = []
    for rule in app.url_map.iter_rules():
        ENDPOINT_ARGS[rule.endpoint] = tuple(rule.arguments)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method))
    return sorted(found)


def request(client, app, world: World, endpoint: str, method: str):
    from flask import url_for

    with app.test_request_context():
        routes(app)
        url = url_for(endpoint, **url_args(endpoint, world))
    if method == "GET":
        return client.get(url)
    if endpoint in ("collect.draft", "collect.submit_interview"):
        return client.post(url, json={"answers": {}, "page": 0, "row_version": 1})
    return client.post(url, data={})


def test_every_route_is_in_the_matrix(app) -> None:
    endpoints = {endpoint for endpoint, _ in routes(app)}
    assert endpoints == set(ALLOWED) | PUBLIC | set(API_ALLOWED)


def test_anonymous_users_are_sent_to_login(app, client, world) -> None:
    wrong = []
    for endpoint, method in routes(app):
        if endpoint in PUBLIC:
            continue
        response = request(client, app, world, endpoint, method)
        location = response.headers.get("Location", "")
        if endpoint in API_ALLOWED:
            if response.status_code != 401:
                wrong.append((endpoint, method, response.status_code, location))
            continue
        if response.status_code != 302 or "/auth/login" not in location:
            wrong.append((endpoint, method, response.status_code, location))
    assert wrong == []


@pytest.mark.parametrize("role", sorted(ROLES_USERS))
def test_role_gets_allowed_or_forbidden(app, client, auth, world, role) -> None:
    auth.login(ROLES_USERS[role][0])
    wrong = []
    for endpoint, method in routes(app):
        if endpoint in PUBLIC or endpoint == "auth.logout":
            continue
        response = request(client, app, world, endpoint, method)
        location = response.headers.get("Location", "")
        allowed = role in (ALLOWED.get(endpoint) or API_ALLOWED[endpoint])
        if allowed and (response.status_code == 403 or "/auth/login" in location):
            wrong.append((endpoint, method, "expected allowed", response.status_code))
        if allowed and response.status_code >= 500:
            wrong.append((endpoint, method, "server error", response.status_code))
        if not allowed and response.status_code != 403:
            wrong.append((endpoint, method, "expected 403", response.status_code))
    assert wrong == []


def test_public_pages_answer_anonymous_users(client) -> None:
    assert client.get("/auth/login").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
