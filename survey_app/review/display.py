"""Turn stored answers into labelled rows for the supervisor's screen.

Sensitive questions (and every answer of the women's safety questionnaire) are replaced by a
"hidden" marker: the app never shows them after submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from questionnaires.codes import MISSING_CODES
from questionnaires.loader import BUILTIN_CHOICE_LISTS
from questionnaires.placeholders import MEMBER_NAME, fill_placeholders


@dataclass
class AnswerRow:
    """One question and its answer as shown."""

    question_id: str
    label: str
    value: str
    hidden: bool = False


@dataclass
class RosterBlock:
    """A repeat group: one list of AnswerRow per roster row."""

    group_id: str
    label: str
    rows: list[list[AnswerRow]] = field(default_factory=list)


@dataclass
class SectionBlock:
    """A section's title and its items (AnswerRow or RosterBlock)."""

    section_id: str
    title: str
    items: list[Any] = field(default_factory=list)


def _text(labels: Any, lang: str) -> str:
    """A label in lang from a {"vi", "en"} dict or the engine's Label."""
    if labels is None:
        return ""
    if hasattr(labels, "get"):
        return str(labels.get(lang) or labels.get("vi") or "")
    return str(labels)


def is_group(item: Any) -> bool:
    """True for a repeat group (it holds items), False for a question."""
    return hasattr(item, "items") and not isinstance(item, dict)


def _choices(questionnaire: Any, question: Any) -> list:
    choices = getattr(question, "choices", None)
    if choices is None:
        return list(BUILTIN_CHOICE_LISTS.get(getattr(question, "type", ""), []))
    if isinstance(choices, str):
        lists = getattr(questionnaire, "choice_lists", {}) or {}
        return list(lists.get(choices, []))
    return list(choices)


def _choice_label(choices: list, code: Any, lang: str) -> str:
    for choice in choices:
        choice_code = choice.get("code") if isinstance(choice, dict) else choice.code
        if choice_code == code:
            label = choice.get("label") if isinstance(choice, dict) else choice.label
            if label is not None and hasattr(label, "to_dict"):
                label = label.to_dict()
            return f"{code} {_text(label, lang)}"
    if code in MISSING_CODES:
        label = _text(MISSING_CODES[code], lang)
        return f"{code} {label[:1].upper()}{label[1:]}"
    return str(code)


def format_answer(questionnaire: Any, question: Any, value: Any, lang: str) -> str:
    """An answer as text: choice codes with their labels, lists joined, likert as number."""
    if value is None:
        return ""
    qtype = getattr(question, "type", "")
    if qtype in ("single", "yesno"):
        return _choice_label(_choices(questionnaire, question), value, lang)
    if qtype == "multi" and isinstance(value, list):
        choices = _choices(questionnaire, question)
        return "; ".join(_choice_label(choices, code, lang) for code in value)
    if qtype == "grid" and isinstance(value, dict):
        choices = _choices(questionnaire, question)
        return "; ".join(
            f"{row}: {_choice_label(choices, code, lang)}" for row, code in value.items()
        )
    return str(value)


def _is_sensitive(questionnaire: Any, question: Any) -> bool:
    if getattr(questionnaire, "unit", "") == "women" or getattr(questionnaire, "sensitive", False):
        return True
    return bool(getattr(question, "sensitive", False))


def _row(
    questionnaire: Any, question: Any, answers: dict, lang: str, values: dict | None = None
) -> AnswerRow | None:
    if getattr(question, "type", "") == "note" or question.id not in answers:
        return None
    label = fill_placeholders(_text(getattr(question, "label", None), lang), values or {})
    if _is_sensitive(questionnaire, question):
        return AnswerRow(question.id, label, _("(hidden: sensitive)"), hidden=True)
    value = format_answer(questionnaire, question, answers[question.id], lang)
    return AnswerRow(question.id, label, value)


def _member_name(questionnaire: Any, group: Any, row_answers: dict) -> dict[str, str]:
    """The placeholder values of a roster row: the member's name ("[TÊN]"), from the row's
    first text question (never in a sensitive questionnaire)."""
    if getattr(group, "unit", "") != "member" or _is_sensitive(questionnaire, group):
        return {}
    first = next((q for q in group.items if getattr(q, "type", "") == "text"), None)
    name = row_answers.get(first.id) if first is not None else None
    return {MEMBER_NAME: str(name)} if isinstance(name, str) and name.strip() else {}


def _items(
    questionnaire: Any, items: Any, answers: dict, lang: str, values: dict | None = None
) -> list[Any]:
    shown: list[Any] = []
    for item in items:
        if is_group(item):
            block = RosterBlock(item.id, _text(getattr(item, "label", None), lang))
            for row_answers in answers.get(item.id) or []:
                if isinstance(row_answers, dict):
                    row_values = {
                        **(values or {}),
                        **_member_name(questionnaire, item, row_answers),
                    }
                    block.rows.append(
                        list(_items(questionnaire, item.items, row_answers, lang, row_values))
                    )
            shown.append(block)
        else:
            row = _row(questionnaire, item, answers, lang, values)
            if row is not None:
                shown.append(row)
    return shown


def answer_rows(
    questionnaire: Any, answers: dict, lang: str, values: dict | None = None
) -> list[SectionBlock]:
    """Every answered question by section, labelled in lang, sensitive answers hidden;
    ``values`` fill the texts' placeholders (the interview's round settings)."""
    return [
        SectionBlock(
            section.id,
            _text(getattr(section, "title", None), lang),
            _items(questionnaire, section.items, answers, lang, values),
        )
        for section in questionnaire.sections
    ]
