"""Turn submissions' answers into tidy tables: one table per unit of observation.

This is the pure part of the microdata export (no database): the web app streams answers
dicts from its database through :class:`TidyLayout`, and the same layout tells every writer
(CSV, Excel, Stata, SPSS, Parquet) the columns, their types, variable labels and value labels.

The tables follow the project's export format (the synthetic survey writes the same):

- one table per unit: the questionnaire's top-level unit (``household``, ``individual``,
  ``women``, ``commune``) and one per repeat group, named after the group's unit (``member``
  for the household roster, ``birth``); a questionnaire whose id is not its unit prefixes its
  tables with its id (``test_household_member``);
- one column per question, named by the question id; a grid gives ``<grid id>_<row id>``;
- codes stay codes (98 don't know, 99 refused are kept where declared; analysis treats them as
  missing); unanswered or not applicable is empty (null);
- a multi-choice answer is either its codes joined by spaces (``"1 3 5"``, or the bare
  missing code, read back by ``analysis.variables.parse_multi``) or, for Stata and SPSS, one
  0/1 column per choice ``<id>_<code>`` (all holding the missing code when it was answered);
- the ids ``submission_uuid``, ``hh_id`` (``psu × 1000 + household_no``), ``line`` (roster line)
  and ``<unit>_no`` (row of other groups) link the tables; the design columns are ``stratum``
  (``district × 10 + residence`` unless the answers carry it), ``psu`` (the answers' value,
  else the village the submission was made in) and the weights ``weight_base``,
  ``weight_adjusted``, ``weight_final`` when the weighting step has added them to the answers.

Identifying questions (names, phone numbers) and sensitive ones (the whole women's module) are
left out unless the layout is built with ``include_identifying`` / ``include_sensitive``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from questionnaires.model import MISSING_CODES, Label, Question, Questionnaire, RepeatGroup

__all__ = [
    "DESIGN_COLUMNS",
    "ID_LABELS",
    "Column",
    "TidyLayout",
    "UnitTable",
    "answer_columns",
    "exported",
    "merged_layout",
    "table_name",
]

Kind = Literal["int", "float", "str"]
MultiStyle = Literal["text", "dummies"]

WEIGHT_COLUMNS = ("weight_base", "weight_adjusted", "weight_final")
DESIGN_COLUMNS = ("stratum", "psu", *WEIGHT_COLUMNS)

#: Labels of the key and design columns every export shares (the simulator's too).
ID_LABELS: dict[str, Label] = {
    "submission_uuid": Label("Mã phiếu (UUID)", "Submission id (UUID)"),
    "questionnaire_version": Label("Phiên bản phiếu hỏi", "Questionnaire version"),
    "hh_id": Label("Mã hộ (psu × 1000 + số thứ tự hộ)", "Household id (psu × 1000 + household_no)"),
    "line": Label("Số dòng trong danh sách hộ", "Roster line number"),
    "birth_no": Label("Thứ tự lần sinh trong phiếu", "Birth row number in the interview"),
    "stratum": Label(
        "Tầng (huyện × 10 + thành thị/nông thôn)", "Stratum (district × 10 + urban/rural)"
    ),
    "psu": Label("Đơn vị mẫu bậc 1 (thôn/tổ dân phố)", "Primary sampling unit (village)"),
    "weight_base": Label("Trọng số cơ bản", "Base weight"),
    "weight_adjusted": Label("Trọng số đã điều chỉnh không trả lời", "Nonresponse-adjusted weight"),
    "weight_final": Label(
        "Trọng số cuối cùng (hiệu chỉnh theo tổng điều tra)",
        "Final weight (calibrated to census totals)",
    ),
}

_YES_NO = {1: Label("Có", "Yes"), 0: Label("Không", "No")}


@dataclass(frozen=True)
class Column:
    """One export column: its name, storage kind, labels and where its value comes from.

    ``source`` says how a row fills it: ``"id"`` (a key or design value computed by the
    layout), ``"answer"`` (the question's answer), ``"grid"`` (one row of a grid answer),
    ``"multi_text"`` or ``"multi_dummy"`` (a multi-choice answer as text or as one 0/1 column).
    """

    name: str
    kind: Kind
    label: Label
    source: str = "id"
    question: Question | None = None
    grid_row: str | None = None
    code: int | None = None
    value_labels: Mapping[int, Label] = field(default_factory=dict)
    missing_codes: tuple[int, ...] = ()

    def __hash__(self) -> int:
        return hash((self.name, self.source))

    @property
    def question_id(self) -> str:
        """The question this column comes from ('' for ids and design columns)."""
        return self.question.id if self.question is not None else ""

    @property
    def small_int(self) -> bool:
        """True when every value is a choice code that fits a 16-bit integer."""
        codes = [*self.value_labels, *self.missing_codes]
        return self.kind == "int" and bool(codes) and all(-32768 <= c <= 32767 for c in codes)


def exported(question: Question, identifying: bool = False, sensitive: bool = False) -> bool:
    """Whether a question has export columns.

    Never a note; identifying and sensitive questions only when ``identifying`` / ``sensitive``.
    """
    if question.type == "note":
        return False
    if question.identifying and not identifying:
        return False
    return not (question.sensitive and not sensitive)


def answer_columns(question: Question, multi: MultiStyle = "text") -> list[Column]:
    """The export columns of one question: one column, one per grid row, or one per choice.

    A multi-choice question gives one text column (``multi="text"``) or one 0/1 column per
    choice (``multi="dummies"``).
    """
    label = question.export_label
    if question.type == "grid":
        labels = _value_labels(question)
        return [
            Column(
                f"{question.id}_{row.id}",
                "int",
                Label(f"{label.vi}: {row.label.vi}", f"{label.en}: {row.label.en}"),
                "grid",
                question,
                grid_row=row.id,
                value_labels=labels,
                missing_codes=question.missing_codes,
            )
            for row in question.rows
        ]
    if question.type == "multi":
        if multi == "text":
            return [Column(question.id, "str", label, "multi_text", question)]
        missing = {
            c: Label(MISSING_CODES[c]["vi"], MISSING_CODES[c]["en"]) for c in question.missing_codes
        }
        assert question.choices is not None  # the loader requires choices on multi
        return [
            Column(
                f"{question.id}_{choice.code}",
                "int",
                Label(f"{label.vi}: {choice.label.vi}", f"{label.en}: {choice.label.en}"),
                "multi_dummy",
                question,
                code=choice.code,
                value_labels={**_YES_NO, **missing},
                missing_codes=question.missing_codes,
            )
            for choice in question.choices
        ]
    kind = _kind(question)
    labels = _value_labels(question) if kind == "int" else {}
    return [
        Column(
            question.id,
            kind,
            label,
            "answer",
            question,
            value_labels=labels,
            missing_codes=question.missing_codes,
        )
    ]


@dataclass(frozen=True)
class UnitTable:
    """The columns of one table (one unit of observation) of one questionnaire."""

    name: str
    unit: str
    questionnaire_id: str
    groups: tuple[str, ...]
    columns: tuple[Column, ...]
    sensitive: bool = False

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]


def table_name(questionnaire: Questionnaire, unit: str) -> str:
    """Name of a unit's table: the unit, prefixed by the questionnaire id unless it equals its
    own unit (the bundled forms give ``household``, ``member``, ``individual``, ``birth``…)."""
    if questionnaire.id == questionnaire.unit:
        return unit
    return f"{questionnaire.id}_{unit}"


def _value_labels(question: Question) -> dict[int, Label]:
    labels: dict[int, Label] = {}
    if question.choices is not None:
        labels.update({c.code: c.label for c in question.choices})
    elif question.type == "yesno":
        labels.update(_YES_NO)
    for code in question.missing_codes:
        meaning = MISSING_CODES[code]
        labels[code] = Label(meaning["vi"], meaning["en"])
    return labels


def _kind(question: Question) -> Kind:
    if question.type in ("text", "date"):
        return "str"
    if question.type in ("decimal", "calculate"):
        return "float"
    return "int"


class TidyLayout:
    """The tables one questionnaire exports to, and the rows one submission adds to them.

    Build it once per questionnaire (and export choice), then call :meth:`rows` per submission.
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        *,
        include_identifying: bool = False,
        include_sensitive: bool = False,
        multi: MultiStyle = "text",
    ) -> None:
        self.questionnaire = questionnaire
        self.include_identifying = include_identifying
        self.include_sensitive = include_sensitive
        self.multi = multi
        self.tables: list[UnitTable] = []
        self._row_keys: dict[str, str] = {}
        if questionnaire.sensitive and not include_sensitive:
            return
        self._build((), questionnaire.unit, self._top_items(), ())

    def _top_items(self) -> list[Question | RepeatGroup]:
        return [item for section in self.questionnaire.sections for item in section.items]

    def _keep(self, question: Question) -> bool:
        return exported(question, self.include_identifying, self.include_sensitive)

    def _question_columns(self, question: Question) -> list[Column]:
        return answer_columns(question, self.multi)

    def _build(
        self,
        groups: tuple[str, ...],
        unit: str,
        items: Iterable[Question | RepeatGroup],
        parent_keys: tuple[Column, ...],
    ) -> None:
        q = self.questionnaire
        keys: list[Column] = list(parent_keys)
        if not groups:
            keys = [
                Column("submission_uuid", "str", ID_LABELS["submission_uuid"]),
                Column("questionnaire_version", "str", ID_LABELS["questionnaire_version"]),
                Column("hh_id", "int", ID_LABELS["hh_id"]),
            ]
        else:
            name = "line" if unit == "member" else f"{unit}_no"
            label = ID_LABELS.get(name, Label(f"Số thứ tự dòng ({unit})", f"Row number ({unit})"))
            keys.append(Column(name, "int", label))
            self._row_keys[table_name(q, unit)] = name
        design = [
            Column(n, "int" if n in ("stratum", "psu") else "float", ID_LABELS[n])
            for n in DESIGN_COLUMNS
        ]
        columns: list[Column] = []
        nested: list[RepeatGroup] = []
        for item in items:
            if isinstance(item, RepeatGroup):
                nested.append(item)
            elif self._keep(item):
                columns.extend(self._question_columns(item))
        taken = {c.name for c in [*keys, *design]}
        unique: list[Column] = []
        for column in columns:
            if column.name in taken:  # a multi dummy clashing with a question id
                column = replace(column, name=f"{column.name}_c")
            taken.add(column.name)
            unique.append(column)
        self.tables.append(
            UnitTable(
                table_name(q, unit),
                unit,
                q.id,
                groups,
                tuple([*keys, *design, *unique]),
                q.sensitive,
            )
        )
        for group in nested:
            self._build((*groups, group.id), group.unit, group.items, tuple(keys))

    # rows ---------------------------------------------------------------------------------

    def design_values(self, answers: Mapping[str, Any], psu: int | None) -> dict[str, Any]:
        """Design and household-key values of one submission (see the module docstring)."""
        meta = self.questionnaire.analysis
        stratum = _number(answers.get(meta.stratum), int)
        if stratum is None:
            district = _number(answers.get("district"), int)
            residence = _number(answers.get("residence"), int)
            if district is not None and residence is not None:
                stratum = district * 10 + residence
        psu_value = _number(answers.get(meta.psu), int)
        if psu_value is None:
            psu_value = psu
        out: dict[str, Any] = {"stratum": stratum, "psu": psu_value}
        weight_names = {
            "weight_base": "weight_base",
            "weight_adjusted": "weight_adjusted",
            "weight_final": meta.weight,
        }
        for column, key in weight_names.items():
            out[column] = _number(answers.get(key), float)
        household_no = _number(answers.get("household_no"), int)
        out["hh_id"] = (
            psu_value * 1000 + household_no
            if psu_value is not None and household_no is not None
            else None
        )
        return out

    def rows(
        self,
        answers: Mapping[str, Any],
        *,
        uuid: str = "",
        version: str = "",
        psu: int | None = None,
    ) -> Iterator[tuple[UnitTable, dict[str, Any]]]:
        """Yield ``(table, row)`` for every row this submission adds to the layout's tables.

        ``psu`` is the submission's cluster (its village code) when the answers do not carry
        one. Values are plain Python (int, float, str, None) of the column's kind.
        """
        if not self.tables:
            return
        if not isinstance(answers, Mapping):
            answers = {}
        base = self.design_values(answers, psu)
        base["submission_uuid"] = uuid
        base["questionnaire_version"] = version
        yield from self._rows(self.tables[0], answers, base)

    def _rows(
        self, table: UnitTable, container: Mapping[str, Any], keys: dict[str, Any]
    ) -> Iterator[tuple[UnitTable, dict[str, Any]]]:
        row = {
            c.name: keys.get(c.name) if c.source == "id" else _cell(c, container)
            for c in table.columns
        }
        yield table, row
        depth = len(table.groups)
        for child in self.tables:
            if len(child.groups) != depth + 1 or child.groups[:depth] != table.groups:
                continue
            records = container.get(child.groups[-1])
            if not isinstance(records, list):
                continue
            key = self._row_keys[child.name]
            for index, record in enumerate(records):
                if isinstance(record, Mapping):
                    yield from self._rows(child, record, {**row, key: index + 1})


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool):
        return kind(int(value))
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        if kind is int:
            return int(value) if float(value).is_integer() else None
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            number = float(value)
        except ValueError:
            return None
        return _number(number, kind)
    return None


def _cell(column: Column, container: Mapping[str, Any]) -> Any:
    question = column.question
    assert question is not None
    value = container.get(question.id)
    if value is None or value == "":
        return None
    if column.source == "grid":
        if not isinstance(value, Mapping):
            return None
        return _number(value.get(column.grid_row), int)
    if column.source == "multi_text":
        if isinstance(value, list):
            codes = [_number(v, int) for v in value]
            return " ".join(str(c) for c in codes if c is not None)
        code = _number(value, int)
        return str(code) if code is not None else None
    if column.source == "multi_dummy":
        chosen = value if isinstance(value, list) else [value]
        chosen_codes = {_number(v, int) for v in chosen}
        missing = [c for c in column.missing_codes if c in chosen_codes]
        if missing:
            return missing[0]
        return 1 if column.code in chosen_codes else 0
    if column.kind == "str":
        return str(value)
    if column.kind == "int":
        return _number(value, int)
    return _number(value, float)


def merged_layout(layouts: Sequence[TidyLayout]) -> TidyLayout:
    """One layout for several versions of a questionnaire, so rows of every version fit.

    The first layout (the newest version) gives the tables and column order; a column only an
    older version has (a question the newer version dropped) is appended, with the older
    version's labels, so interviews collected on it lose nothing; a table only an older version
    has is kept too. Every column reads its answer by question id, so each submission fills the
    columns its own version asked and leaves the others empty.
    """
    merged: dict[str, UnitTable] = {}
    row_keys: dict[str, str] = {}
    for layout in layouts:
        row_keys = {**layout._row_keys, **row_keys}
        for table in layout.tables:
            known = merged.get(table.name)
            if known is None:
                merged[table.name] = table
                continue
            names = set(known.names)
            extra = tuple(c for c in table.columns if c.name not in names)
            if extra:
                merged[table.name] = replace(known, columns=known.columns + extra)
    combined = copy.copy(layouts[0])
    combined.tables = list(merged.values())
    combined._row_keys = row_keys
    return combined
