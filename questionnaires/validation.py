"""Check one submission's answers against a loaded questionnaire, as the server must.

Every problem is reported (not only the first), each as a :class:`FieldError` naming the
question, the repeat row and a stable code, with a message in Vietnamese or English: unknown
ids, answers to questions that do not apply, types, required answers, constraints, choices (and
choice filters), missing codes, multi-choice duplicates and exclusive options, grid rows, repeat
row counts and calculated values. ``Questionnaire.validate_answers`` calls :func:`validate_answers`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.codes import MISSING_CODES
from questionnaires.errors import ExpressionError
from questionnaires.expressions import evaluate, truthy
from questionnaires.model import Question, Questionnaire, RepeatGroup

__all__ = ["FieldError", "validate_answers"]

#: A ``generate: random_id`` answer: 16 lowercase letters or digits, made by the tablet.
RANDOM_ID = re.compile(r"[0-9a-z]{16}")

Node = dict[str, Any]


@dataclass(frozen=True)
class FieldError:
    """One problem in submitted answers.

    ``row`` is the index of the repeat row (None at top level); ``parent_row`` the index of the
    enclosing row for a nested group. ``code`` is stable for programs, ``message`` is for people
    in the language asked for.
    """

    question_id: str | None
    row: int | None
    code: str
    message: str
    parent_row: int | None = None


_MESSAGES: dict[str, dict[str, str]] = {
    "not_an_object": {
        "vi": "Câu trả lời phải là một đối tượng JSON (khóa là mã câu hỏi)",
        "en": "The answers must be a JSON object keyed by question id",
    },
    "unknown_question": {
        "vi": "{id} không phải là câu hỏi của phiếu này",
        "en": "{id} is not a question of this questionnaire",
    },
    "not_relevant": {
        "vi": "Câu {id} không áp dụng trong trường hợp này nhưng lại có câu trả lời; "
        "hãy xóa câu trả lời",
        "en": "Question {id} does not apply here but has an answer; clear it",
    },
    "note_answered": {
        "vi": "Câu {id} là ghi chú, không có câu trả lời",
        "en": "Question {id} is a note and takes no answer",
    },
    "required": {
        "vi": "Câu {id} bắt buộc phải trả lời",
        "en": "Question {id} must be answered",
    },
    "wrong_type": {
        "vi": "Câu {id}: câu trả lời phải là {expected_vi}",
        "en": "Question {id}: the answer must be {expected_en}",
    },
    "not_in_choices": {
        "vi": "Câu {id}: mã {code} không có trong danh sách lựa chọn",
        "en": "Question {id}: code {code} is not one of the choices",
    },
    "filtered_out": {
        "vi": "Câu {id}: lựa chọn {code} không được phép trong trường hợp này",
        "en": "Question {id}: choice {code} is not offered here",
    },
    "undeclared_missing_code": {
        "vi": "Câu {id}: không được dùng mã {code} ({meaning_vi}) cho câu này",
        "en": "Question {id}: code {code} ({meaning_en}) is not allowed for this question",
    },
    "duplicate_choice": {
        "vi": "Câu {id}: mã {code} được chọn hai lần",
        "en": "Question {id}: code {code} is selected twice",
    },
    "exclusive_choice": {
        "vi": "Câu {id}: lựa chọn “{label_vi}” không được chọn cùng các lựa chọn khác",
        "en": "Question {id}: “{label_en}” cannot be combined with other choices",
    },
    "unknown_grid_row": {
        "vi": "Câu {id}: không có dòng {grid_row}",
        "en": "Question {id}: there is no row {grid_row}",
    },
    "row_count": {
        "vi": "Nhóm {id}: cần {expected} dòng nhưng có {actual}",
        "en": "Group {id}: {expected} rows expected, {actual} given",
    },
    "calculation_mismatch": {
        "vi": "Câu {id}: giá trị tính được {given} khác với giá trị máy chủ tính {expected}",
        "en": "Question {id}: calculated value {given} differs from the server's {expected}",
    },
    "expression_error": {
        "vi": "Câu {id}: không tính được biểu thức {field}: {detail}",
        "en": "Question {id}: the {field} expression could not be evaluated: {detail}",
    },
}

_EXPECTED: dict[str, tuple[str, str]] = {
    "text": ("một đoạn văn bản", "text"),
    "integer": ("một số nguyên", "a whole number"),
    "decimal": ("một số", "a number"),
    "single": ("một mã lựa chọn (số nguyên)", "one choice code (a whole number)"),
    "multi": ("một danh sách mã lựa chọn", "a list of choice codes"),
    "yesno": ("1 (Có) hoặc 0 (Không)", "1 (yes) or 0 (no)"),
    "likert5": ("một số từ 1 đến 5", "a whole number from 1 to 5"),
    "date": ("một ngày dạng YYYY-MM-DD", "a date written YYYY-MM-DD"),
    "grid": ("một bảng {dòng: mã}", "an object {row id: code}"),
    "repeat": ("một danh sách các dòng", "a list of rows"),
}


def _message(error: str, lang: str, **values: Any) -> str:
    template = _MESSAGES[error]
    return template["en" if lang == "en" else "vi"].format(**values)


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _unanswered(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _same_value(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b and (_is_number(a) or _is_number(b) or type(a) is type(b))
    return bool(a == b)


def _valid_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


class _Checker:
    """Walk answers alongside the questionnaire, collecting FieldErrors (one pass)."""

    def __init__(self, questionnaire: Questionnaire, answers: Mapping[str, Any], lang: str):
        self.q = questionnaire
        self.answers = answers
        self.lang = lang
        self.errors: list[FieldError] = []

    def add(
        self, qid: str | None, row: int | None, parent_row: int | None, error: str, **values: Any
    ) -> None:
        values.setdefault("id", qid)
        message = _message(error, self.lang, **values)
        self.errors.append(FieldError(qid, row, error, message, parent_row))

    def holds(
        self,
        ast: Node | None,
        qid: str,
        field_name: str,
        row: Mapping[str, Any] | None,
        index: int | None,
        parent_row: int | None,
    ) -> bool:
        """Evaluate a condition; an erroring one counts as false and is reported."""
        if ast is None:
            return True
        try:
            return truthy(evaluate(ast, self.answers, row))
        except ExpressionError as exc:
            self.add(qid, index, parent_row, "expression_error", field=field_name, detail=exc)
            return False

    def unknown_keys(
        self,
        container: Mapping[str, Any],
        items: tuple[Question | RepeatGroup, ...],
        index: int | None,
        parent_row: int | None,
        extra: frozenset[str],
    ) -> None:
        names = {item.id for item in items}
        for key in container:
            if key not in names and key not in extra:
                self.add(key, index, parent_row, "unknown_question", id=key)

    def run(self) -> list[FieldError]:
        top_items = tuple(item for section in self.q.sections for item in section.items)
        design = self.q.analysis
        extra = frozenset(
            name for name in (design.weight, design.stratum, design.psu, design.fpc) if name
        )
        self.unknown_keys(self.answers, top_items, None, None, extra)
        for section in self.q.sections:
            applies = self.holds(section.relevant_ast, section.id, "relevant", None, None, None)
            for item in section.items:
                self.item(item, self.answers, None, None, None, applies)
        return self.errors

    def item(
        self,
        item: Question | RepeatGroup,
        container: Mapping[str, Any],
        row: Mapping[str, Any] | None,
        index: int | None,
        parent_row: int | None,
        applies: bool,
    ) -> None:
        if isinstance(item, RepeatGroup):
            self.group(item, container, row, index, applies)
        else:
            self.question(item, container.get(item.id), row, index, parent_row, applies)

    def group(
        self,
        group: RepeatGroup,
        container: Mapping[str, Any],
        row: Mapping[str, Any] | None,
        index: int | None,
        applies: bool,
    ) -> None:
        rows = container.get(group.id)
        if applies:
            applies = self.holds(group.relevant_ast, group.id, "relevant", row, index, None)
        if not applies:
            if not _unanswered(rows):
                self.add(group.id, index, None, "not_relevant")
            return
        if rows is None:
            rows = []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            vi, en = _EXPECTED["repeat"]
            self.add(group.id, index, None, "wrong_type", expected_vi=vi, expected_en=en)
            return
        if group.count_ast is not None:
            try:
                expected = evaluate(group.count_ast, self.answers, row)
            except ExpressionError as exc:
                self.add(group.id, index, None, "expression_error", field="count", detail=exc)
                expected = None
            if _is_number(expected) and len(rows) != max(0, int(expected)):
                self.add(
                    group.id,
                    index,
                    None,
                    "row_count",
                    expected=max(0, int(expected)),
                    actual=len(rows),
                )
        for i, member_row in enumerate(rows):
            self.unknown_keys(member_row, group.items, i, index, frozenset())
            for item in group.items:
                self.item(item, member_row, member_row, i, index, True)

    def question(
        self,
        q: Question,
        value: Any,
        row: Mapping[str, Any] | None,
        index: int | None,
        parent_row: int | None,
        applies: bool,
    ) -> None:
        if applies:
            applies = self.holds(q.relevant_ast, q.id, "relevant", row, index, parent_row)
        if q.type == "note":
            if value is not None:
                self.add(q.id, index, parent_row, "note_answered")
            return
        if not applies:
            if not _unanswered(value):
                self.add(q.id, index, parent_row, "not_relevant")
            return
        if q.type == "calculate":
            self.calculated(q, value, row, index, parent_row)
            return
        if _unanswered(value):
            if q.required:
                self.add(q.id, index, parent_row, "required")
            return
        if _is_int(value) and int(value) in q.missing_codes:
            return
        if not self.well_typed(q, value, row, index, parent_row):
            return
        if q.constraint_ast is not None:
            try:
                ok = truthy(evaluate(q.constraint_ast, self.answers, row, value))
            except ExpressionError as exc:
                self.add(
                    q.id, index, parent_row, "expression_error", field="constraint", detail=exc
                )
                return
            if not ok and q.constraint_message is not None:
                self.errors.append(
                    FieldError(
                        q.id, index, "constraint", q.constraint_message[self.lang_key], parent_row
                    )
                )

    @property
    def lang_key(self) -> str:
        return "en" if self.lang == "en" else "vi"

    def calculated(
        self,
        q: Question,
        value: Any,
        row: Mapping[str, Any] | None,
        index: int | None,
        parent_row: int | None,
    ) -> None:
        if q.calculation_ast is None or value is None:
            return
        try:
            expected = evaluate(q.calculation_ast, self.answers, row)
        except ExpressionError as exc:
            self.add(q.id, index, parent_row, "expression_error", field="calculation", detail=exc)
            return
        if not _same_value(value, expected):
            self.add(
                q.id, index, parent_row, "calculation_mismatch", given=value, expected=expected
            )

    def wrong_type(self, q: Question, index: int | None, parent_row: int | None) -> bool:
        vi, en = _EXPECTED[q.type]
        self.add(q.id, index, parent_row, "wrong_type", expected_vi=vi, expected_en=en)
        return False

    def code_ok(
        self,
        q: Question,
        code: Any,
        offered: frozenset[int] | None,
        index: int | None,
        parent_row: int | None,
    ) -> bool:
        """Check one choice code (a single answer, a multi item or a grid cell)."""
        if not _is_int(code):
            return self.wrong_type(q, index, parent_row)
        code = int(code)
        if code in q.missing_codes:
            return True
        assert q.choices is not None
        choice = q.choices.by_code(code)
        if choice is None:
            if code in MISSING_CODES:
                meaning = MISSING_CODES[code]
                self.add(
                    q.id,
                    index,
                    parent_row,
                    "undeclared_missing_code",
                    code=code,
                    meaning_vi=meaning["vi"],
                    meaning_en=meaning["en"],
                )
            else:
                self.add(q.id, index, parent_row, "not_in_choices", code=code)
            return False
        if offered is not None and code not in offered:
            self.add(q.id, index, parent_row, "filtered_out", code=code)
            return False
        return True

    def offered(
        self, q: Question, row: Mapping[str, Any] | None, index: int | None, parent_row: int | None
    ) -> frozenset[int] | None:
        if q.choice_filter_ast is None:
            return None
        try:
            return frozenset(choice.code for choice in q.offered_choices(self.answers, row))
        except ExpressionError as exc:
            self.add(q.id, index, parent_row, "expression_error", field="choice_filter", detail=exc)
            return None

    def well_typed(
        self,
        q: Question,
        value: Any,
        row: Mapping[str, Any] | None,
        index: int | None,
        parent_row: int | None,
    ) -> bool:
        kind = q.type
        if kind == "text":
            if q.generate == "random_id":
                ok = isinstance(value, str) and RANDOM_ID.fullmatch(value) is not None
                return ok or self.wrong_type(q, index, parent_row)
            return isinstance(value, str) or self.wrong_type(q, index, parent_row)
        if kind == "integer":
            return _is_int(value) or self.wrong_type(q, index, parent_row)
        if kind == "decimal":
            return _is_number(value) or self.wrong_type(q, index, parent_row)
        if kind == "date":
            return _valid_date(value) or self.wrong_type(q, index, parent_row)
        if kind in ("single", "yesno", "likert5"):
            offered = self.offered(q, row, index, parent_row)
            return self.code_ok(q, value, offered, index, parent_row)
        if kind == "multi":
            return self.multi(q, value, row, index, parent_row)
        if kind == "grid":
            return self.grid(q, value, index, parent_row)
        return True

    def multi(
        self,
        q: Question,
        value: Any,
        row: Mapping[str, Any] | None,
        index: int | None,
        parent_row: int | None,
    ) -> bool:
        if not isinstance(value, list):
            return self.wrong_type(q, index, parent_row)
        offered = self.offered(q, row, index, parent_row)
        ok = True
        seen: set[int] = set()
        for code in value:
            if not self.code_ok(q, code, offered, index, parent_row):
                ok = False
                continue
            if int(code) in seen:
                self.add(q.id, index, parent_row, "duplicate_choice", code=int(code))
                ok = False
            seen.add(int(code))
        if ok and len(seen) > 1:
            assert q.choices is not None
            for code in value:
                choice = q.choices.by_code(code)
                if choice is not None and choice.exclusive:
                    label_vi, label_en = choice.label.vi, choice.label.en
                elif code in MISSING_CODES:
                    # "don't know" or "refused" together with real choices is contradictory.
                    label_vi, label_en = MISSING_CODES[code]["vi"], MISSING_CODES[code]["en"]
                else:
                    continue
                self.add(
                    q.id,
                    index,
                    parent_row,
                    "exclusive_choice",
                    label_vi=label_vi,
                    label_en=label_en,
                )
                ok = False
        return ok

    def grid(self, q: Question, value: Any, index: int | None, parent_row: int | None) -> bool:
        if not isinstance(value, dict):
            return self.wrong_type(q, index, parent_row)
        ok = True
        row_ids = {grid_row.id for grid_row in q.rows}
        for key, code in value.items():
            if key not in row_ids:
                self.add(q.id, index, parent_row, "unknown_grid_row", grid_row=key)
                ok = False
            elif code is not None and not self.code_ok(q, code, None, index, parent_row):
                ok = False
        if q.required:
            for grid_row in q.rows:
                if value.get(grid_row.id) is None:
                    self.add(
                        f"{q.id}_{grid_row.id}",
                        index,
                        parent_row,
                        "required",
                        id=f"{q.id}_{grid_row.id}",
                    )
                    ok = False
        return ok


def validate_answers(
    questionnaire: Questionnaire, answers: Any, lang: str = "vi"
) -> list[FieldError]:
    """Every problem in one submission's ``answers`` (messages in ``lang``: ``vi`` or ``en``)."""
    if not isinstance(answers, Mapping):
        return [FieldError(None, None, "not_an_object", _message("not_an_object", lang))]
    return _Checker(questionnaire, answers, lang).run()
