"""Fuzz the sync API from its OpenAPI document with hypothesis-generated requests.

Properties: no request gets a 5xx; a request whose body breaks the document's SubmissionIn
schema (or that the server refuses) stores nothing; every stored record came from a request that
fits the schema. Examples are bounded so CI stays short (GESURVEY_FUZZ_EXAMPLES raises it).
"""

from __future__ import annotations

import copy
import json
import os

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey_app.api.models import SubmissionConflict, SubmissionReceipt
from survey_app.extensions import db
from survey_app.models import AuditLog, Submission
from survey_app.submissions.canonical import content_hash

from .sync_helpers import envelope

EXAMPLES = int(os.environ.get("GESURVEY_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
QUESTION_IDS = ["HH01", "HH02", "HH03", "roster", "M01", "M03", "M04", "E01", "B01", "x"]
FIELDS = [
    "uuid",
    "questionnaire_id",
    "questionnaire_version",
    "area",
    "answers",
    "started_at",
    "ended_at",
    "sha256",
]


@st.composite
def submission_bodies(draw):  # noqa: ANN001, ANN201
    """Arbitrary JSON, or a valid envelope with fields or answers changed; often re-hashed so
    the request reaches the deeper checks."""
    kind = draw(st.sampled_from(["any", "field", "answers", "drop", "valid"]))
    if kind == "any":
        return draw(json_values)
    body = envelope()
    if kind == "field":
        body[draw(st.sampled_from([*FIELDS, "extra"]))] = draw(json_values)
    elif kind == "answers":
        answers = copy.deepcopy(body["answers"])
        for _ in range(draw(st.integers(1, 3))):
            answers[draw(st.sampled_from(QUESTION_IDS))] = draw(json_values)
        body["answers"] = answers
    elif kind == "drop":
        del body[draw(st.sampled_from(FIELDS))]
    if kind != "valid" and draw(st.booleans()):
        try:
            body["sha256"] = content_hash(body)
        except (TypeError, ValueError):
            pass
    return body


def counts(app) -> tuple[int, int, int, int]:  # noqa: ANN001
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Submission, SubmissionReceipt, SubmissionConflict, AuditLog)
        )


@pytest.fixture
def fuzz_setup(app, client, runner, world):  # noqa: ANN001, ANN201
    token = runner.invoke(["users", "token", "enum178"]).output.strip()
    document = client.get("/api/v1/openapi.json").get_json()
    schema = {
        **document["components"]["schemas"]["SubmissionIn"],
        "$defs": document["components"]["schemas"],
    }
    return client, {"Authorization": f"Bearer {token}"}, schema, document


def test_fuzzed_submissions_never_5xx_and_invalid_ones_store_nothing(app, fuzz_setup) -> None:  # noqa: ANN001
    client, headers, schema, _document = fuzz_setup
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )

    @FUZZ
    @given(body=submission_bodies(), raw=st.booleans())
    def check(body, raw) -> None:  # noqa: ANN001
        before = counts(app)
        if raw:
            data = json.dumps(body, allow_nan=False)
            response = client.post(
                "/api/v1/submissions",
                data=data,
                headers={**headers, "Content-Type": "application/json"},
            )
        else:
            response = client.post("/api/v1/submissions", json=body, headers=headers)
        assert response.status_code < 500, response.get_data(as_text=True)
        assert response.is_json
        after = counts(app)
        fits = validator.is_valid(body)
        if response.status_code in (200, 201, 409):
            assert fits, f"accepted a body outside the schema: {body!r}"
        else:
            assert after == before, f"{response.status_code} stored something for {body!r}"
        if not fits:
            assert after == before

    check()


def test_fuzzed_reads_and_headers_never_5xx(app, fuzz_setup) -> None:  # noqa: ANN001
    client, headers, _schema, document = fuzz_setup
    paths = [path for path, item in document["paths"].items() if "get" in item]
    text = st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"),
        min_size=1,
        max_size=20,
    )

    @FUZZ
    @given(
        path=st.sampled_from(paths),
        values=st.lists(text, min_size=3, max_size=3),
        auth=st.sampled_from(["token", "none", "junk"]),
        # A header value with a line break cannot be sent at all (the test client refuses it).
        junk=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
    )
    def check(path, values, auth, junk) -> None:  # noqa: ANN001
        url = "/api/v1" + path
        for name, value in zip(["{questionnaire_id}", "{version}", "{uuid}"], values, strict=True):
            url = url.replace(name, value)
        chosen = {
            "token": headers,
            "none": {},
            "junk": {"Authorization": "Bearer " + junk.encode("ascii", "ignore").decode()},
        }[auth]
        before = counts(app)
        response = client.get(url, headers=chosen)
        assert response.status_code < 500
        # 403: the enumerator's token may not read the gender database's figures.
        expected = (200, 401, 403, 404) if path.startswith("/indicators") else (200, 401, 404)
        assert response.status_code in expected
        if auth != "token":
            assert response.status_code == 401
        assert counts(app) == before

    check()
