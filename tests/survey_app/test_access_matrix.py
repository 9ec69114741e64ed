"""Every route against every role: allowed, redirected to login, or 403 Forbidden."""

from __future__ import annotations

from datetime import UTC, datetime

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
    "collect.handoff": {"enumerator"},
    "review.queue": {"supervisor", "admin"},
    "review.detail": {"supervisor", "admin"},
    "review.decide": {"supervisor", "admin"},
    "review.correct_answer": {"supervisor", "admin"},
    "admin.users": {"admin"},
    "admin.toggle_user": {"admin"},
    "admin.edit_user": {"admin"},
    "admin.areas": {"admin"},
    "admin.rounds": {"admin"},
    "admin.edit_round": {"admin"},
    "admin.round_status": {"admin"},
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
    # indicators: plain role users; department, Labour and district users in
    # test_indicators_access.py
    "indicators.browse": {"admin", "analyst", "supervisor", "viewer"},
    "indicators.download": {"admin", "analyst", "supervisor", "viewer"},
    "indicators.figure": {"admin", "analyst", "supervisor", "viewer"},
    "indicators.entry": {"admin"},
    "indicators.approvals": {"admin"},
    "indicators.yearly_report": {"admin"},
    "indicators.yearly_report_pdf": {"admin"},
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
        "offline.unavailable": {"enumerator"},
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
    "api.returned": ALL,
    "api.submissions": {"enumerator"},
    "api.submission": ALL,
    "api.indicators": {"admin", "analyst", "supervisor", "viewer"},
}


# The exact answer each allowed role gets from each route with the requests made below (empty
# forms, the world's rows), so "allowed" never hides a 404, 400 or 422 that means something else.
# A number holds for every allowed role; a dict gives it per role.
EXPECTED: dict[str, int | dict[str, int]] = {
    "admin.areas GET": 200,
    "admin.areas POST": 200,
    "admin.assignments GET": 200,
    "admin.assignments POST": 200,
    "admin.audit GET": 200,
    "admin.rounds GET": 200,
    "admin.rounds POST": 200,  # an empty form is shown again, naming the missing fields
    "admin.edit_round GET": 200,
    "admin.edit_round POST": 302,  # fields not sent keep their stored values: saved, back to list
    "admin.round_status POST": 400,  # no open/close action is a bad request
    "admin.edit_user GET": 200,
    "admin.edit_user POST": 200,
    "admin.export GET": 200,
    "admin.export_assignments GET": 200,
    "admin.import_assignments POST": 400,  # an upload without a file is refused, naming it
    "admin.import_outbox GET": 200,
    "admin.import_outbox POST": 200,
    "admin.progress GET": 200,
    "admin.publish POST": 302,  # redirects back to the versions list
    "admin.questionnaires GET": 200,
    "admin.toggle_user POST": 302,  # redirects back to the user list
    "admin.users GET": 200,
    "admin.users POST": 200,
    "api.assignments GET": 200,
    "api.returned GET": 200,
    "api.questionnaire_version GET": 200,
    "api.questionnaires GET": 200,
    "api.submission GET": {
        "admin": 404,
        "analyst": 404,
        "enumerator": 200,
        "supervisor": 404,
        "viewer": 404,
    },  # the API shows a submission only to the enumerator who sent it; others get not found
    "api.submissions POST": 422,  # past the access check, an empty envelope is invalid
    "api.indicators GET": 200,
    "collect.assignments GET": 200,
    "collect.draft POST": 200,
    "collect.handoff POST": 302,  # the test form selects no one: back to the list
    "collect.interview GET": 200,
    "collect.start_interview POST": 302,  # redirects to the new interview
    "collect.submissions GET": 200,
    "collect.submit_interview POST": 422,  # empty answers fail the questionnaire's checks
    "indicators.approvals GET": 200,
    "indicators.approvals POST": 302,  # an empty approval form redirects back with a message
    "indicators.browse GET": 200,
    "indicators.download GET": 200,
    "indicators.entry GET": 200,
    "indicators.entry POST": 422,  # an empty entry form names the missing fields
    "indicators.figure GET": 404,  # figure 1 does not exist in the test world
    "indicators.yearly_report GET": 200,
    "indicators.yearly_report_pdf GET": 200,
    "main.index GET": 302,  # sends each role to its own start page
    "offline.home GET": 200,
    "offline.interview GET": 200,
    "offline.outbox GET": 200,
    "offline.unavailable GET": 200,
    "results.departments GET": 200,
    "results.departments POST": 302,  # redirects back to the list
    "results.download GET": 404,  # past the access check: run 1 does not exist
    "results.index GET": 200,
    "results.pack GET": 404,  # run 1 does not exist
    "results.publish_run POST": 404,  # run 1 does not exist
    "results.run GET": 404,  # run 1 does not exist
    "results.run_report POST": 302,  # an empty form redirects back with a message
    "results.upload POST": 302,  # an empty form redirects back with a message
    "results.withdraw_run POST": 404,  # run 1 does not exist
    "review.conflicts GET": 200,
    "review.correct_answer POST": 302,  # an empty correction redirects back with a message
    "review.decide POST": 400,  # an empty decision form is a bad request
    "review.detail GET": 200,
    "review.quality GET": 200,
    "review.queue GET": 200,
}


def expected_status(endpoint: str, method: str, role: str) -> int:
    """The status the allowed role must get."""
    expected = EXPECTED[f"{endpoint} {method}"]
    return expected[role] if isinstance(expected, dict) else expected


def url_args(endpoint: str, world: World) -> dict:
    """Arguments that make each URL point at a row the allowed roles may see."""
    if endpoint == "collect.handoff":
        return {"uuid": world.own_draft, "assignment_id": world.assignment_id}
    if endpoint.startswith("collect.") and "uuid" in ENDPOINT_ARGS.get(endpoint, ()):
        return {"uuid": world.own_draft}
    if endpoint.startswith("review.") and endpoint != "review.queue":
        return {"uuid": world.own_submitted}
    return {
        "collect.start_interview": {"assignment_id": world.assignment_id},
        "admin.toggle_user": {"user_id": 1},
        "admin.edit_user": {"user_id": 1},
        # the world's default round is named after this year
        "admin.edit_round": {"code": str(datetime.now(UTC).year)},
        "admin.round_status": {"code": str(datetime.now(UTC).year)},
        "admin.export": {"questionnaire_id": "test_household"},
        "results.run": {"run_id": 1},
        "results.download": {"run_id": 1, "filename": "report_vi.pdf"},
        "results.pack": {"run_id": 1, "department": "yte"},
        "results.publish_run": {"run_id": 1},
        "results.withdraw_run": {"run_id": 1},
        "indicators.download": {"fmt": "csv"},
        "indicators.figure": {"figure_id": 1},
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
    checked = {
        f"{endpoint} {method}"
        for endpoint, method in routes(app)
        if endpoint not in PUBLIC and endpoint != "auth.logout"
    }
    assert checked == set(EXPECTED)


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
        if allowed and "/auth/login" in location:
            wrong.append((endpoint, method, "sent to login", response.status_code))
        elif allowed and response.status_code != expected_status(endpoint, method, role):
            wrong.append(
                (endpoint, method, expected_status(endpoint, method, role), response.status_code)
            )
        if not allowed and response.status_code != 403:
            wrong.append((endpoint, method, "expected 403", response.status_code))
    assert wrong == []


def test_public_pages_answer_anonymous_users(client) -> None:
    assert client.get("/auth/login").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
