"""What tells an enumerator's interviews apart in lists, and what a new interview starts with.

Both follow rules of the questionnaire format (questionnaires/FORMAT.md, "How the app uses a
form"): an interview is named by the given name in its first top-level identifying text question
(the household head in the household form, the respondent in the individual form), never for a
sensitive form; the top-level questions named after area levels (`province`, `district`,
`commune`, `village`) are filled from the assignment's area; an interview started for the
person a household selected is filled as the household form's `selection` block says
("Selection and hand-off"). The offline app (offline.js) applies the same rules in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from questionnaires.model import Handoff, Questionnaire

from ..core.questionnaire_store import questionnaire_for
from ..models import Area, QuestionnaireVersion, Submission
from ..submissions import open_answers

AREA_LEVELS = ("province", "district", "commune", "village")


def name_question(questionnaire: Questionnaire) -> str | None:
    """The id of the question that names an interview in lists, or None (sensitive forms)."""
    if questionnaire.sensitive or questionnaire.unit == "women":
        return None
    for question in questionnaire.iter_questions():
        if (
            question.group is None
            and question.type == "text"
            and question.identifying
            and not question.sensitive
        ):
            return question.id
    return None


def given_name(full_name: Any) -> str:
    """The given name of a Vietnamese full name: its last word ("Hoàng Văn Lâm" -> "Lâm")."""
    words = str(full_name or "").split()
    return words[-1] if words else ""


@dataclass(frozen=True)
class InterviewSummary:
    """One line of a list of interviews: what the enumerator recognises it by."""

    household_no: str
    village: str
    name: str
    status: str
    changed: datetime | None


def interview_summary(submission: Submission) -> InterviewSummary:
    """The list line of a submission; nothing from the answers of a sensitive form."""
    version = submission.questionnaire_version
    questionnaire = questionnaire_for(version)
    household_no = name = ""
    if not version.sensitive:
        answers = open_answers(submission)
        number = answers.get("household_no")
        household_no = "" if number is None else str(number)
        question = name_question(questionnaire)
        name = given_name(answers.get(question)) if question else ""
    return InterviewSummary(
        household_no=household_no,
        village=submission.area.name if submission.area else "",
        name=name,
        status=submission.status,
        changed=submission.updated_at,
    )


def area_prefill(area: Area) -> dict[str, int]:
    """Answers for the area questions, from a village (or commune) and the areas above it:
    province and district codes, the commune code, and the village's number in its commune
    (the last three digits of its code)."""
    prefill: dict[str, int] = {}
    node: Area | None = area
    while node is not None:
        if node.level in AREA_LEVELS and node.code.isdigit():
            code = node.code
            prefill[node.level] = int(code[-3:] if node.level == "village" else code)
        node = node.parent
    return prefill


def usable_prefill(questionnaire: Questionnaire, values: dict[str, Any]) -> dict[str, Any]:
    """The values that answer a top-level question of the form and are valid choices."""
    usable: dict[str, Any] = {}
    top = {q.id: q for q in questionnaire.iter_questions() if q.group is None}
    for question_id, value in values.items():
        question = top.get(question_id)
        if question is None or question.type in ("calculate", "note"):
            continue
        if question.choices is not None and question.choices.by_code(value) is None:
            continue
        usable[question_id] = value
    return usable


def next_household_no(submissions: list[Submission], listed: str = "") -> int:
    """The first household of the assignment's list (``listed``, "3 7 12") not used yet by
    these interviews, else the smallest number not used (from 1)."""
    used = set()
    for submission in submissions:
        if submission.questionnaire_version.sensitive:
            continue
        number = open_answers(submission).get("household_no")
        if isinstance(number, int):
            used.add(number)
    for word in listed.split():
        if int(word) not in used:
            return int(word)
    number = 1
    while number in used:
        number += 1
    return number


def initial_answers(
    version: QuestionnaireVersion, area: Area, others: list[Submission], listed: str = ""
) -> dict:
    """What a new interview starts with: the area's ids and the next household number (the
    next of the assignment's household list, when it has one)."""
    questionnaire = questionnaire_for(version)
    values: dict[str, Any] = dict(area_prefill(area))
    values["household_no"] = next_household_no(others, listed)
    return usable_prefill(questionnaire, values)


@dataclass(frozen=True)
class SelectedPerson:
    """The roster member a household interview selected: line (from 1), row, given name."""

    line: int
    member: dict[str, Any]
    name: str


def selected_person(questionnaire: Questionnaire, answers: dict[str, Any]) -> SelectedPerson | None:
    """The member whose line answers the form's selection question, or None (no rule, not
    answered yet, or no such row)."""
    rule = questionnaire.selection
    if rule is None:
        return None
    line = answers.get(rule.question)
    rows = answers.get(rule.roster)
    if not isinstance(line, int) or not isinstance(rows, list) or not 1 <= line <= len(rows):
        return None
    member = rows[line - 1] if isinstance(rows[line - 1], dict) else {}
    name = given_name(member.get(rule.name)) if rule.name else ""
    return SelectedPerson(line, member, name)


def handoff_for(questionnaire: Questionnaire, unit: str) -> Handoff | None:
    """The form's hand-off to interviews of that unit, if it declares one."""
    rule = questionnaire.selection
    if rule is None:
        return None
    return next((h for h in rule.handoff if h.unit == unit), None)


def handoff_values(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    person: SelectedPerson,
    handoff: Handoff,
) -> dict[str, Any] | None:
    """What the interview of the selected person starts with: each prefilled question from the
    household's answer or the member's (a roster question), and the line where asked. None
    while a link code it carries (a generated question) is not made yet."""
    values: dict[str, Any] = {}
    for target, source in handoff.prefill.items():
        question = questionnaire.question(source)
        value = person.member.get(source) if question.group else answers.get(source)
        if question.generate and not value:
            return None
        values[target] = value
    if handoff.line is not None:
        values[handoff.line] = person.line
    return {key: value for key, value in values.items() if value not in (None, "")}
