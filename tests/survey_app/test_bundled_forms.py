"""Every bundled questionnaire opens as an interview and shows on the supervisor's screen."""

from __future__ import annotations

import json
from typing import Any

import pytest

from questionnaires import RepeatGroup, load_bundled
from survey_app.admin.services import create_assignment
from survey_app.core.questionnaire_store import current_version, publish_bundled
from survey_app.extensions import db
from survey_app.submissions import start

BUNDLED = sorted(load_bundled())


def sample_value(question: Any) -> Any:
    """Some answer of the question's type (not necessarily valid: the screen must cope)."""
    codes = [choice.code for choice in question.choices] if question.choices else [1]
    return {
        "text": "ZZ-SECRET-ZZ",
        "integer": 3,
        "decimal": 1.5,
        "single": codes[0],
        "multi": codes[:2],
        "yesno": 1,
        "likert5": 4,
        "date": "2026-11-30",
        "calculate": 2,
        "grid": {row.id: codes[0] for row in question.rows},
    }.get(question.type)


def sample_answers(items: Any) -> dict:
    answers: dict = {}
    for item in items:
        if isinstance(item, RepeatGroup):
            answers[item.id] = [sample_answers(item.items)]
        elif item.type != "note":
            answers[item.id] = sample_value(item)
    return answers


@pytest.mark.parametrize("questionnaire_id", BUNDLED)
def test_bundled_form_opens_and_reviews(app, client, auth, world, questionnaire_id) -> None:
    forms = load_bundled()
    with app.app_context():
        publish_bundled()
        assignment = create_assignment("enum178", "17801001", questionnaire_id, 5)
        version = current_version(questionnaire_id)
        draft = start(assignment.enumerator, assignment, version, None)
        submitted = start(assignment.enumerator, assignment, version, None)
        submitted.status = "submitted"
        submitted.answers = {
            key: value
            for section in forms[questionnaire_id].sections
            for key, value in sample_answers(section.items).items()
        }
        db.session.add_all([draft, submitted])
        db.session.commit()
        draft_uuid, submitted_uuid = draft.uuid, submitted.uuid
        version_number = version.version
    auth.login("enum178")
    page = client.get(f"/collect/interview/{draft_uuid}")
    assert page.status_code == 200
    url = f"/api/v1/questionnaires/{questionnaire_id}/versions/{version_number}"
    assert url in page.get_data(as_text=True)
    definition = client.get(url)
    assert definition.status_code == 200
    # Parsed as the browser does: the app's own JSON reader limits nesting for input only.
    assert json.loads(definition.get_data(as_text=True))["id"] == questionnaire_id
    auth.logout()
    auth.login("sup178")
    review = client.get(f"/review/{submitted_uuid}")
    assert review.status_code == 200
    text = review.get_data(as_text=True)
    if forms[questionnaire_id].sensitive or forms[questionnaire_id].unit == "women":
        assert "ZZ-SECRET-ZZ" not in text
