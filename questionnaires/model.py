"""Hold a loaded questionnaire as frozen objects and validate submitted answers against it.

The objects are built only by ``questionnaires.loader`` after every check has passed, so code that
holds a Questionnaire may trust it: every referenced choice list exists, every expression is
compiled (the ASTs are cached on the objects), every label has Vietnamese and English text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from questionnaires.codes import MISSING_CODES
from questionnaires.errors import ExpressionError
from questionnaires.expressions import evaluate, truthy

__all__ = [
    "AnalysisMeta",
    "Choice",
    "ChoiceList",
    "FieldError",
    "GridRow",
    "Label",
    "Question",
    "Questionnaire",
    "RepeatGroup",
    "Section",
    "QUESTION_TYPES",
    "MISSING_CODES",
]

Node = dict[str, Any]

QUESTION_TYPES = (
    "text",
    "integer",
    "decimal",
    "single",
    "multi",
    "yesno",
    "likert5",
    "date",
    "note",
    "calculate",
    "grid",
)
LANGUAGES = ("vi", "en")

#: A ``generate: random_id`` answer: 16 lowercase letters or digits, made by the tablet.
RANDOM_ID = re.compile(r"[0-9a-z]{16}")


@dataclass(frozen=True)
class Label:
    """A text in both languages; ``label["vi"]`` and ``label["en"]`` read it."""

    vi: str
    en: str

    def __getitem__(self, lang: str) -> str:
        if lang == "vi":
            return self.vi
        if lang == "en":
            return self.en
        raise KeyError(f"language {lang!r} is not one of vi, en")

    def get(self, lang: str, default: str | None = None) -> str | None:
        """Return the text in ``lang``, or ``default`` for a language the form does not have."""
        return self[lang] if lang in LANGUAGES else default

    def to_dict(self) -> dict[str, str]:
        """Return ``{"vi": ..., "en": ...}`` as in the JSON file."""
        return {"vi": self.vi, "en": self.en}


@dataclass(frozen=True)
class Choice:
    """One option of a choice list; ``attributes`` holds extra keys (e.g. ``district``)."""

    code: int
    name: str
    label: Label
    exclusive: bool = False
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        # ``attributes`` is a dict, so hash what identifies the choice.
        return hash((self.code, self.name, self.label))

    def context(self) -> dict[str, Any]:
        """Return what a ``choice_filter`` expression reads for this choice."""
        return {**self.attributes, "code": self.code, "name": self.name}

    def to_dict(self) -> dict[str, Any]:
        """Return the choice as it is written in the JSON file."""
        out: dict[str, Any] = {"code": self.code, "name": self.name, "label": self.label.to_dict()}
        if self.exclusive:
            out["exclusive"] = True
        out.update(self.attributes)
        return out


@dataclass(frozen=True)
class ChoiceList:
    """A named, ordered list of choices; iterate it for the choices."""

    name: str
    choices: tuple[Choice, ...]
    builtin: bool = False

    def __hash__(self) -> int:
        return hash((self.name, self.choices))

    def __iter__(self) -> Iterator[Choice]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def by_code(self, code: Any) -> Choice | None:
        """Return the choice with ``code`` (None when there is none)."""
        for choice in self.choices:
            if choice.code == code and not isinstance(code, bool):
                return choice
        return None

    @property
    def codes(self) -> tuple[int, ...]:
        """Codes in list order."""
        return tuple(choice.code for choice in self.choices)

    def names(self) -> dict[str, int]:
        """Return ``{name: code}``, used to compile ``'party'`` to its code."""
        return {choice.name: choice.code for choice in self.choices}


@dataclass(frozen=True)
class GridRow:
    """One row of a grid question; exported as ``<grid id>_<row id>``."""

    id: str
    label: Label


@dataclass(frozen=True)
class Question:
    """One question; ``*_ast`` hold the compiled expressions (None when absent)."""

    id: str
    type: str
    label: Label
    section: str
    group: str | None = None
    hint: Label | None = None
    variable_label: Label | None = None
    required: bool = False
    missing_codes: tuple[int, ...] = ()
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Label | None = None
    choices: ChoiceList | None = None
    choice_filter: str | None = None
    calculation: str | None = None
    rows: tuple[GridRow, ...] = ()
    identifying: bool = False
    sensitive: bool = False
    generate: str | None = None
    relevant_ast: Node | None = field(default=None, repr=False, compare=False)
    constraint_ast: Node | None = field(default=None, repr=False, compare=False)
    choice_filter_ast: Node | None = field(default=None, repr=False, compare=False)
    calculation_ast: Node | None = field(default=None, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.type, self.section, self.group))

    @property
    def export_label(self) -> Label:
        """The variable label for exports: ``variable_label``, else the question's label."""
        return self.variable_label or self.label

    def offered_choices(
        self, answers: Mapping[str, Any], row: Mapping[str, Any] | None = None
    ) -> tuple[Choice, ...]:
        """Return the choices offered for these answers (after ``choice_filter``)."""
        if self.choices is None:
            return ()
        if self.choice_filter_ast is None:
            return self.choices.choices
        return tuple(
            choice
            for choice in self.choices
            if truthy(evaluate(self.choice_filter_ast, answers, row, None, choice.context()))
        )


@dataclass(frozen=True)
class RepeatGroup:
    """A repeat group (roster): its questions are answered once per row."""

    id: str
    unit: str
    label: Label
    section: str
    items: tuple[Question | RepeatGroup, ...]
    parent: str | None = None
    hint: Label | None = None
    count: str | None = None
    relevant: str | None = None
    count_ast: Node | None = field(default=None, repr=False, compare=False)
    relevant_ast: Node | None = field(default=None, repr=False, compare=False)

    type = "repeat"

    def __hash__(self) -> int:
        return hash((self.id, self.section, self.parent))

    def iter_questions(self) -> Iterator[Question]:
        """Every question of the group in order, nested groups included."""
        for item in self.items:
            if isinstance(item, RepeatGroup):
                yield from item.iter_questions()
            else:
                yield item


@dataclass(frozen=True)
class Section:
    """One page of the web form."""

    id: str
    title: Label
    items: tuple[Question | RepeatGroup, ...]
    relevant: str | None = None
    relevant_ast: Node | None = field(default=None, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.title))


@dataclass(frozen=True)
class Interrupt:
    """The form's interrupt control: the pages that show it and the page it switches to.

    When someone comes near during a protected page, the interviewer presses the control; the
    form shows the ``alternate`` section (notes only, nothing recorded) instead, and returns to
    the same question when privacy is back. Interruptions are counted as paradata.
    """

    alternate: str
    sections: tuple[str, ...]
    label: Label
    resume_label: Label | None = None
    later_label: Label | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON for the browser (labels as ``{"vi", "en"}`` objects)."""
        out: dict[str, Any] = {
            "alternate": self.alternate,
            "sections": list(self.sections),
            "label": self.label.to_dict(),
        }
        if self.resume_label is not None:
            out["resume_label"] = self.resume_label.to_dict()
        if self.later_label is not None:
            out["later_label"] = self.later_label.to_dict()
        return out


@dataclass(frozen=True)
class AnalysisMeta:
    """Names of the design fields (weight, stratum, PSU, fpc) and the respondent's sex."""

    weight: str
    stratum: str
    psu: str
    fpc: str | None = None
    sex: str | None = None


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
    return a == b


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


@dataclass(frozen=True)
class Questionnaire:
    """A loaded, checked questionnaire (see FORMAT.md); build it with ``load_questionnaire``."""

    id: str
    version: str
    title: Label
    unit: str
    analysis: AnalysisMeta
    sections: tuple[Section, ...]
    choice_lists: Mapping[str, ChoiceList]
    content_hash: str
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "vi"
    sensitive: bool = False
    description: Label | None = None
    source: str = ""
    interrupt: Interrupt | None = None
    _questions: Mapping[str, Question] = field(default_factory=dict, repr=False, compare=False)
    _groups: Mapping[str, RepeatGroup] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.content_hash))

    def question(self, question_id: str) -> Question:
        """Return the question with this id; KeyError names the questionnaire when absent."""
        try:
            return self._questions[question_id]
        except KeyError:
            raise KeyError(f"questionnaire {self.id!r} has no question {question_id!r}") from None

    def group(self, group_id: str) -> RepeatGroup:
        """Return the repeat group with this id."""
        try:
            return self._groups[group_id]
        except KeyError:
            raise KeyError(f"questionnaire {self.id!r} has no repeat group {group_id!r}") from None

    @property
    def groups(self) -> tuple[RepeatGroup, ...]:
        """Every repeat group in order, nested ones included."""
        return tuple(self._groups.values())

    def iter_questions(self) -> Iterator[Question]:
        """Every question in order, those inside repeat groups included."""
        for section in self.sections:
            for item in section.items:
                if isinstance(item, RepeatGroup):
                    yield from item.iter_questions()
                else:
                    yield item

    def validate_answers(self, answers: Any, lang: str = "vi") -> list[FieldError]:
        """Check one submission's answers as the server must; return every problem found.

        Checks unknown ids, answers to questions that do not apply, types, required answers,
        constraints (message in ``lang``), choices (and choice filters), missing codes, multi
        duplicates and exclusive options, grid rows, repeat row counts and calculated values.
        """
        if not isinstance(answers, Mapping):
            return [FieldError(None, None, "not_an_object", _message("not_an_object", lang))]
        return _Checker(self, answers, lang).run()

    def to_client_dict(self) -> dict[str, Any]:
        """Return the definition as JSON for the browser, with every expression's AST.

        Each item with expressions carries ``"ast": {"relevant": …, "constraint": …}``; choice
        lists include the built-in ``yesno`` and ``likert5``; defaults are spelled out.
        """
        return {
            "id": self.id,
            "version": self.version,
            "content_hash": self.content_hash,
            "languages": list(self.languages),
            "default_language": self.default_language,
            "title": self.title.to_dict(),
            **({"description": self.description.to_dict()} if self.description else {}),
            "unit": self.unit,
            "sensitive": self.sensitive,
            **({"interrupt": self.interrupt.to_dict()} if self.interrupt else {}),
            "analysis": {k: v for k, v in vars(self.analysis).items() if v is not None},
            "choice_lists": {
                name: [choice.to_dict() for choice in choice_list]
                for name, choice_list in self.choice_lists.items()
            },
            "missing_codes": {str(code): dict(meaning) for code, meaning in MISSING_CODES.items()},
            "sections": [
                {
                    "id": section.id,
                    "title": section.title.to_dict(),
                    **_expressions({"relevant": (section.relevant, section.relevant_ast)}),
                    "items": [_client_item(item) for item in section.items],
                }
                for section in self.sections
            ],
        }


def _expressions(pairs: Mapping[str, tuple[str | None, Node | None]]) -> dict[str, Any]:
    texts = {name: text for name, (text, _) in pairs.items() if text is not None}
    asts = {name: ast for name, (_, ast) in pairs.items() if ast is not None}
    return {**texts, "ast": asts} if asts else texts


def _client_item(item: Question | RepeatGroup) -> dict[str, Any]:
    if isinstance(item, RepeatGroup):
        out: dict[str, Any] = {
            "id": item.id,
            "type": "repeat",
            "unit": item.unit,
            "label": item.label.to_dict(),
        }
        if item.hint is not None:
            out["hint"] = item.hint.to_dict()
        out.update(
            _expressions(
                {
                    "count": (item.count, item.count_ast),
                    "relevant": (item.relevant, item.relevant_ast),
                }
            )
        )
        out["items"] = [_client_item(child) for child in item.items]
        return out
    out = {
        "id": item.id,
        "type": item.type,
        "label": item.label.to_dict(),
        "variable_label": item.export_label.to_dict(),
        "required": item.required,
        "missing_codes": list(item.missing_codes),
        "identifying": item.identifying,
        "sensitive": item.sensitive,
    }
    if item.group is not None:
        out["group"] = item.group
    if item.generate is not None:
        out["generate"] = item.generate
    if item.hint is not None:
        out["hint"] = item.hint.to_dict()
    if item.choices is not None:
        out["choices"] = item.choices.name
    if item.rows:
        out["rows"] = [{"id": r.id, "label": r.label.to_dict()} for r in item.rows]
    if item.constraint_message is not None:
        out["constraint_message"] = item.constraint_message.to_dict()
    out.update(
        _expressions(
            {
                "relevant": (item.relevant, item.relevant_ast),
                "constraint": (item.constraint, item.constraint_ast),
                "choice_filter": (item.choice_filter, item.choice_filter_ast),
                "calculation": (item.calculation, item.calculation_ast),
            }
        )
    )
    return out
