"""The review screen labels answers from the questionnaire's own definitions."""

from __future__ import annotations

from types import SimpleNamespace

from survey_app.review.display import format_answer

QUESTIONNAIRE = SimpleNamespace(choice_lists={}, unit="household", sensitive=False)


def test_missing_codes_take_their_labels_from_the_shared_code_list() -> None:
    question = SimpleNamespace(type="single", choices=[{"code": 1, "label": {"vi": "A"}}])
    assert format_answer(QUESTIONNAIRE, question, 98, "vi") == "98 Không biết"
    assert format_answer(QUESTIONNAIRE, question, 99, "en") == "99 Refused"


def test_yes_no_without_its_own_list_uses_the_built_in_one() -> None:
    question = SimpleNamespace(type="yesno", choices=None)
    assert format_answer(QUESTIONNAIRE, question, 1, "vi") == "1 Có"
    assert format_answer(QUESTIONNAIRE, question, 0, "en") == "0 No"


def test_roster_questions_name_the_member(app) -> None:
    """ "[TÊN]" in a roster question is the member's name on the supervisor's screen too."""
    from pathlib import Path

    from questionnaires import load_questionnaire
    from survey_app.review.display import answer_rows

    household = Path(__file__).resolve().parents[2] / "questionnaires" / "forms" / "household.json"
    questionnaire = load_questionnaire(household)
    answers = {"HH05": 1, "HH06": 1, "roster": [{"M01": "Nông Thị Hoa", "M03": 2}]}
    with app.test_request_context():
        blocks = answer_rows(questionnaire, answers, "vi")
    roster = next(item for b in blocks for item in b.items if getattr(item, "rows", None))
    labels = [row.label for row in roster.rows[0]]
    assert "Nông Thị Hoa là nam hay nữ?" in labels
