"""Fuzz every route that accepts a form or JSON with deep, huge, NaN, NUL and surrogate input.

Properties: no request gets a 5xx, and nothing already saved changes (submissions, users,
assignments, areas, questionnaire versions, runs). Routes that act without any input (log out,
toggle an account, publish the bundled questionnaires, publish or withdraw a run) are left out:
any request to them is a legitimate action. Examples are bounded so CI stays short.
"""

from __future__ import annotations

import io
import json
import os
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Area, Assignment, QuestionnaireVersion, Submission, User

EXAMPLES = int(os.environ.get("GESURVEY_FUZZ_EXAMPLES", "40"))
ACTIONS_WITHOUT_INPUT = {
    "auth.logout",
    "admin.toggle_user",
    "admin.publish",
    "results.publish_run",
    "results.withdraw_run",
}
NASTY_TEXT = [
    "[" * 3000,
    "x" * 300_000,
    "NaN",
    "-Infinity",
    "a\x00b",
    "\ud800",
    "=HYPERLINK(1)",
    "../../etc/passwd",
    "1e999",
]
NASTY_JSON = [
    "[" * 5000 + "]" * 5000,
    '{"answers": {"HH02": NaN}, "page": 0, "row_version": 1}',
    '{"answers": {"HH01": "\\u0000"}, "page": 0, "row_version": 1}',
    '{"answers": {"HH01": "\\udc00"}, "page": 0, "row_version": 1}',
    '{"answers": ' + '{"a":' * 40 + "1" + "}" * 40 + ', "page": 0, "row_version": 1}',
    '{"answers": {"HH01": "' + "y" * 1_500_000 + '"}, "page": 0, "row_version": 1}',
]
FIELDS = [
    "username",
    "password",
    "language",
    "next",
    "comment",
    "action",
    "question_id",
    "row",
    "value",
    "reason",
    "role",
    "area",
    "area_code",
    "full_name",
    "enumerator",
    "questionnaire_id",
    "target",
    "title",
    "lang",
    "department",
    "client_uuid",
    "active",
]
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def form_routes(app) -> list:  # noqa: ANN001
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in rule.methods),
        key=lambda rule: rule.rule,
    )


def url_for_rule(rule, world) -> str:  # noqa: ANN001
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        if name == "uuid":
            values[name] = world.own_draft
        elif converter == "IntegerConverter":
            values[name] = world.assignment_id
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def snapshot(app) -> dict:  # noqa: ANN001
    """Every saved row of the tables that hold what users entered, by table and id."""
    with app.app_context():
        rows = {}
        for model in (Submission, User, Assignment, Area, QuestionnaireVersion):
            for row in db.session.scalars(select(model).order_by(model.id)):
                rows[(model.__tablename__, row.id)] = {
                    column.name: repr(getattr(row, column.key, None))
                    for column in model.__table__.columns
                    if column.name not in ("updated_at",)
                }
        db.session.remove()
        return rows


@pytest.mark.parametrize("user", ["enum178", "sup178", "admin"])
def test_fuzzed_forms_never_5xx_and_change_nothing(app, client, auth, world, user) -> None:  # noqa: ANN001
    app.config["RESULTS_DIR"] = str(app.instance_path) + "/fuzz-results"
    rules = [r for r in form_routes(app) if r.endpoint not in ACTIONS_WITHOUT_INPUT]
    assert {"collect.draft", "api.submissions", "admin.import_outbox", "results.upload"} <= {
        r.endpoint for r in rules
    }
    before = snapshot(app)

    @SETTINGS
    @given(
        rule=st.sampled_from(rules),
        kind=st.sampled_from(["form", "json", "file"]),
        fields=st.dictionaries(
            st.sampled_from(FIELDS), st.sampled_from(NASTY_TEXT) | st.text(max_size=20)
        ),
        body=st.sampled_from(NASTY_JSON),
    )
    def check(rule, kind, fields, body) -> None:  # noqa: ANN001
        auth.login(user)
        url = url_for_rule(rule, world)
        if kind == "json":
            response = client.post(url, data=body, content_type="application/json")
        elif kind == "file":
            data = {
                k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                for k, v in fields.items()
            }
            data["file"] = (io.BytesIO(body.encode("utf-8", "surrogatepass")), "f.json")
            data["archive"] = (io.BytesIO(body.encode("utf-8", "surrogatepass")), "r.zip")
            response = client.post(url, data=data, content_type="multipart/form-data")
        else:
            # Raw bytes: a lone surrogate arrives as the invalid UTF-8 a client could send.
            encoded = urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()})
            response = client.post(
                url, data=encoded, content_type="application/x-www-form-urlencoded"
            )
        assert response.status_code < 500, (rule.rule, kind, response.status_code)

    check()
    after = snapshot(app)
    # New drafts may be started (that route needs no input); nothing saved before changed.
    assert {key: after.get(key) for key in before} == before


def test_fuzz_inputs_reach_the_one_input_check(app, client, auth, world) -> None:  # noqa: ANN001
    """The draft route answers each nasty JSON body with a 422 naming the problem."""
    auth.login("enum178")
    for body in NASTY_JSON:
        response = client.post(
            f"/collect/interview/{world.own_draft}/draft",
            data=body,
            content_type="application/json",
        )
        assert response.status_code in (413, 422), response.status_code
        if response.status_code == 422:
            assert json.loads(response.data)["error"]
