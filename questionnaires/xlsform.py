"""Translate questionnaires to and from XLSForm, the spreadsheet format of ODK and KoboToolbox.

An exported workbook is a working XLSForm: pyxform converts it to an XForm that ODK Collect
runs with the same skip logic, constraints and choice filters. Choices are written with the
stored code as their XLSForm ``name``, so expressions compare the values ODK stores; what
XLSForm has no column for (grids, yes/no and Likert types, missing codes, units, design fields)
travels in extra ``gesurvey_*`` columns and a ``gesurvey`` sheet that pyxform ignores, so a
workbook read back gives the same questionnaire.

An XLSForm written by hand in the ODK style imports too: groups become sections (nested groups
are flattened, their conditions joined with ``and``), ``begin repeat`` becomes a roster, and
choices get integer codes (their own names when those are whole numbers, else 1, 2, … in sheet
order). Whatever the questionnaire format cannot express is refused with the sheet, row and
column it stands in (``XLSFormError``), never silently dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from questionnaires.codes import MISSING_CODES
from questionnaires.errors import ExpressionSyntaxError, QuestionnaireError
from questionnaires.expressions import compile_expression
from questionnaires.rounds import SETTING_NAMES

__all__ = [
    "XLSFormError",
    "expression_from_xlsform",
    "expression_to_xlsform",
    "read_xlsform",
    "to_workbook",
    "write_xlsform",
]

Node = dict[str, Any]

LANGUAGE_NAMES = {"vi": "Vietnamese (vi)", "en": "English (en)"}
_LANG_RE = re.compile(r"^(?P<column>[a-z_]+)::(?:[^()]*\()?(?P<code>[A-Za-z-]+)\)?$")

# Our question types and the XLSForm type each is written as; the `gesurvey_type` column
# keeps ours where XLSForm's is ambiguous.
_TYPE_OUT = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "calculate": "calculate",
}
_TYPE_IN = {
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "calculate": "calculate",
}
_UNSUPPORTED_TYPES = {
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "range",
    "rank",
    "time",
    "datetime",
    "acknowledge",
    "background-audio",
    "begin loop",
    "select_one_from_file",
    "select_multiple_from_file",
    "select_one_external",
    "trigger",
    "hidden",
    "xml-external",
    "csv-external",
}
# Metadata types ODK fills in by itself: there is nothing to ask, so they are left out.
_METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "phonenumber",
    "simserial",
    "subscriberid",
    "username",
    "email",
    "audit",
    "start-geopoint",
}
_MISSING_NAMES = {98: "dont_know", 99: "refused"}
# Top-level keys XLSForm has no place for, carried on the `gesurvey` sheet as JSON.
META_KEYS = (
    "title",
    "description",
    "unit",
    "analysis",
    "sensitive",
    "quality",
    "interrupt",
    "selection",
)


def _builtin_list(name: str) -> list[dict[str, Any]]:
    """A built-in list (``yesno``, ``likert5``) as JSON choices, from the loader's one copy."""
    from questionnaires.loader import BUILTIN_CHOICE_LISTS

    return [
        {"code": c.code, "name": c.name, "label": {"vi": c.label.vi, "en": c.label.en}}
        for c in BUILTIN_CHOICE_LISTS[name]
    ]


class XLSFormError(QuestionnaireError):
    """An XLSForm cannot be turned into a questionnaire; every message names sheet, row, column."""


# --------------------------------------------------------------------------- expressions out


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"' if "'" in value else f"'{value}'"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class _Out:
    """Write our expression AST as XLSForm text.

    ``choice_codes`` maps a choice question to its {name: code}: a compared choice name is
    written as its code, which is what the exported choice lists use as XLSForm ``name``.
    ``members`` maps a repeat group to its question ids; inside a ``count``/``sum``
    condition these are written as names relative to the row (an XPath predicate).
    """

    choice_codes: Mapping[str, Mapping[str, int]]
    members: Mapping[str, set[str]]
    member_of: Mapping[str, str]
    current_question: str | None = None
    relative: set[str] = field(default_factory=set)
    xlsform: bool = True

    def text(self, source: str) -> str:
        return self.emit(compile_expression(source), 0)

    def emit(self, node: Node, parent: int) -> str:
        kind = node["node"]
        if kind in ("number", "string"):
            return _literal(node["value"])
        if kind == "ref":
            name = node["name"]
            return name if name in self.relative else f"${{{name}}}"
        if kind == "current":
            return "."
        if kind == "attr":
            if not self.xlsform:
                return str(node["name"])
            # The candidate choice's code is its XLSForm `name`; our name is `choice_name`.
            name = str(node["name"])
            return {"code": "name", "name": "choice_name"}.get(name, name)
        if kind == "negate":
            return f"-{self.emit(node['operand'], 7)}"
        if kind == "binary":
            return self.binary(node, parent)
        return self.call(node)

    def binary(self, node: Node, parent: int) -> str:
        op = "div" if node["op"] == "/" else node["op"]
        level = _PRECEDENCE[op]
        left, right = node["left"], node["right"]
        if op in ("=", "!="):
            right = self.coded(left, right)
            left = self.coded(right, left)
        text = f"{self.emit(left, level)} {op} {self.emit(right, level + 1)}"
        return f"({text})" if level < parent else text

    def coded(self, subject: Node, literal: Node) -> Node:
        """A choice name compared with a choice question, replaced by its code."""
        if literal["node"] != "string":
            return literal
        if subject["node"] == "ref":
            question: str | None = subject["name"]
        elif subject["node"] == "current":
            question = self.current_question
        else:
            return literal
        codes = self.choice_codes.get(question or "")
        if codes is None or literal["value"] not in codes:
            return literal
        return {"node": "string", "value": str(codes[literal["value"]])}

    def call(self, node: Node) -> str:
        name, args = node["name"], node["args"]
        if not self.xlsform:
            return f"{name}({', '.join(self.emit(arg, 0) for arg in args)})"
        if name == "count":
            group = args[0]["name"]
            if len(args) == 1:
                return f"count(${{{group}}})"
            return f"count(${{{group}}}[{self.predicate(group, args[1])}])"
        if name == "sum":
            question = args[0]["name"]
            group = self.member_of.get(question, "")
            if len(args) == 1:
                return f"sum(${{{question}}})"
            return f"sum(${{{group}}}[{self.predicate(group, args[1])}]/{question})"
        if name == "selected":
            args = [args[0], self.coded(args[0], args[1])]
        if name == "coalesce" and len(args) > 2:
            # ODK's coalesce takes two arguments: nest the rest.
            rest = {"node": "call", "name": "coalesce", "args": args[1:]}
            return f"coalesce({self.emit(args[0], 0)}, {self.call(rest)})"
        return f"{name}({', '.join(self.emit(arg, 0) for arg in args)})"

    def predicate(self, group: str, condition: Node) -> str:
        saved = self.relative
        self.relative = set(self.members.get(group, set()))
        try:
            return self.emit(condition, 0)
        finally:
            self.relative = saved


_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}


def _members(repeats: Mapping[str, str]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for question, group in repeats.items():
        members.setdefault(group, set()).add(question)
    return members


def expression_to_xlsform(
    text: str,
    repeats: Mapping[str, str] | None = None,
    choice_codes: Mapping[str, Mapping[str, int]] | None = None,
    current_question: str | None = None,
) -> str:
    """Write one expression as XLSForm.

    ``repeats`` maps a repeat member to its group; ``choice_codes`` a choice question to its
    {choice name: code} (compared names are written as codes, the values ODK stores).
    """
    repeats = repeats or {}
    out = _Out(choice_codes or {}, _members(repeats), repeats, current_question)
    return out.text(text)


def expression_from_xlsform(
    text: str,
    repeats: Mapping[str, str] | None = None,
    choice_names: Mapping[str, Mapping[str, str]] | None = None,
    current_question: str | None = None,
    choice_filter: bool = False,
) -> str:
    """Read one XLSForm expression into the questionnaire language.

    ``choice_names`` maps a choice question to its {XLSForm choice name: our choice name}.
    In a ``choice_filter`` the candidate's XLSForm ``name`` is read as its code and
    ``choice_name`` as its name, as in the workbooks ``to_workbook`` writes.
    Raises ExpressionSyntaxError naming what has no equivalent.
    """
    attributes = {"name": "code", "choice_name": "name"}
    translator = _In(_members(repeats or {}), choice_names or {}, attributes)
    return translator.translate(text, current=current_question, choice_filter=choice_filter)


# --------------------------------------------------------------------------- export


def _walk(
    items: list[dict[str, Any]], group: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    for item in items:
        yield item, group
        if item["type"] == "repeat":
            yield from _walk(item["items"], item["id"])


#: A round placeholder ``{round.<name>}`` is, in XLSForm, a reference to a ``calculate`` field
#: ``round_<name>`` that holds the round's setting (FORMAT.md, *Round placeholders*).
_ROUND_FIELDS = {f"round_{name}": name for name in SETTING_NAMES}
_ROUND_IN_JSON = re.compile(r"\{round\.([A-Za-z0-9_]+)\}")
_ROUND_IN_XLSFORM = re.compile(r"\$\{round_([A-Za-z0-9_]+)\}")


def _to_xlsform_text(text: str) -> str:
    return _ROUND_IN_JSON.sub(lambda m: f"${{round_{m.group(1)}}}", text)


def _from_xlsform_text(text: str) -> str:
    return _ROUND_IN_XLSFORM.sub(
        lambda m: f"{{round.{m.group(1)}}}" if m.group(1) in SETTING_NAMES else m.group(0), text
    )


def _label_cells(value: Mapping[str, str] | None) -> list[str]:
    value = value or {}
    return [_to_xlsform_text(value.get("vi", "")), _to_xlsform_text(value.get("en", ""))]


_SURVEY_HEADER = [
    "type",
    "name",
    "label::Vietnamese (vi)",
    "label::English (en)",
    "hint::Vietnamese (vi)",
    "hint::English (en)",
    "required",
    "relevant",
    "constraint",
    "constraint_message::Vietnamese (vi)",
    "constraint_message::English (en)",
    "choice_filter",
    "calculation",
    "repeat_count",
    "appearance",
    "gesurvey_type",
    "gesurvey_missing_codes",
    "gesurvey_unit",
    "gesurvey_identifying",
    "gesurvey_sensitive",
    "gesurvey_generate",
    "gesurvey_variable_label_vi",
    "gesurvey_variable_label_en",
    "gesurvey_constraint",
]


def to_workbook(
    document: Mapping[str, Any], round_settings: Mapping[str, str] | None = None
) -> Any:
    """Build an openpyxl workbook holding ``document`` (a questionnaire's JSON) as XLSForm.

    Each round setting the texts quote (``{round.party_term}``) becomes a ``calculate`` field
    ``round_party_term`` first in the form, holding ``round_settings[name]`` (empty when not
    given), and the texts refer to it as ``${round_party_term}``.
    """
    from openpyxl import Workbook

    lists: dict[str, list[dict[str, Any]]] = dict(document.get("choice_lists", {}))
    for builtin in ("yesno", "likert5"):
        lists.setdefault(builtin, _builtin_list(builtin))
    members: dict[str, set[str]] = {}
    member_of: dict[str, str] = {}
    choice_codes: dict[str, dict[str, int]] = {}
    list_of: dict[str, str] = {}
    for section in document["sections"]:
        for item, group in _walk(section["items"]):
            if group is not None:
                members.setdefault(group, set()).add(item["id"])
                member_of[item["id"]] = group
            chosen = item.get("choices") or {"yesno": "yesno", "likert5": "likert5"}.get(
                item["type"]
            )
            if chosen:
                list_of[item["id"]] = chosen
                choice_codes[item["id"]] = {c["name"]: c["code"] for c in lists[chosen]}
    out = _Out(choice_codes, members, member_of)
    survey_rows: list[list[Any]] = []
    derived_lists: dict[str, list[dict[str, Any]]] = {}

    def row(**cells: Any) -> None:
        survey_rows.append([cells.get(_key(column), "") for column in _SURVEY_HEADER])

    quoted = sorted(set(_ROUND_IN_JSON.findall(json.dumps(document, ensure_ascii=False))))
    for name in quoted:
        value = str((round_settings or {}).get(name, ""))
        row(type="calculate", name=f"round_{name}", calculation=_literal(value))

    def expression(text: str | None, current: str | None = None) -> str:
        if not text:
            return ""
        out.current_question = current
        return out.text(text)

    def question(item: dict[str, Any]) -> None:
        kind = item["type"]
        if kind == "repeat":
            row(
                type="begin repeat",
                name=item["id"],
                label_vi=_label_cells(item.get("label"))[0],
                label_en=_label_cells(item.get("label"))[1],
                relevant=expression(item.get("relevant")),
                repeat_count=expression(item.get("count")),
                gesurvey_unit=item.get("unit", ""),
            )
            for child in item["items"]:
                question(child)
            row(type="end repeat", name=item["id"])
            return
        if kind == "grid":
            row(
                type="begin group",
                name=item["id"],
                label_vi=_label_cells(item.get("label"))[0],
                label_en=_label_cells(item.get("label"))[1],
                relevant=expression(item.get("relevant")),
                hint_vi=_label_cells(item.get("hint"))[0] if item.get("hint") else "",
                hint_en=_label_cells(item.get("hint"))[1] if item.get("hint") else "",
                appearance="table-list",
                gesurvey_type="grid",
                required="yes" if item.get("required") else "",
                gesurvey_missing_codes=_codes_text(item.get("missing_codes")),
                gesurvey_identifying="yes" if item.get("identifying") else "",
                gesurvey_sensitive="yes" if item.get("sensitive") else "",
                gesurvey_variable_label_vi=_label_cells(item.get("variable_label"))[0],
                gesurvey_variable_label_en=_label_cells(item.get("variable_label"))[1],
            )
            list_name = _list_with_missing(
                item["choices"], item.get("missing_codes"), lists, derived_lists
            )
            for grid_row in item["rows"]:
                row(
                    type=f"select_one {list_name}",
                    name=f"{item['id']}_{grid_row['id']}",
                    label_vi=_label_cells(grid_row.get("label"))[0],
                    label_en=_label_cells(grid_row.get("label"))[1],
                    required="yes" if item.get("required") else "",
                    gesurvey_type="grid_row",
                )
            row(type="end group", name=item["id"])
            return
        missing = item.get("missing_codes")
        constraint = expression(item.get("constraint"), item["id"])
        if kind in ("single", "multi", "yesno", "likert5"):
            base = list_of[item["id"]]
            list_name = _list_with_missing(base, missing, lists, derived_lists)
            xls_type = f"{'select_multiple' if kind == 'multi' else 'select_one'} {list_name}"
        else:
            xls_type = _TYPE_OUT[kind]
        # A declared missing code is always accepted and skips the constraint.
        odk_constraint = constraint
        if constraint and missing:
            accepted = " or ".join(f". = {code}" for code in missing)
            odk_constraint = f"{accepted} or ({constraint})"
        row(
            type=xls_type,
            name=item["id"],
            label_vi=_label_cells(item.get("label"))[0],
            label_en=_label_cells(item.get("label"))[1],
            hint_vi=_label_cells(item.get("hint"))[0] if item.get("hint") else "",
            hint_en=_label_cells(item.get("hint"))[1] if item.get("hint") else "",
            required="yes" if item.get("required") else "",
            relevant=expression(item.get("relevant")),
            constraint=odk_constraint,
            constraint_message_vi=_label_cells(item.get("constraint_message"))[0]
            if item.get("constraint_message")
            else "",
            constraint_message_en=_label_cells(item.get("constraint_message"))[1]
            if item.get("constraint_message")
            else "",
            choice_filter=expression(item.get("choice_filter")),
            calculation=expression(item.get("calculation")),
            gesurvey_type=kind if kind in ("yesno", "likert5") else "",
            gesurvey_missing_codes=_codes_text(missing),
            gesurvey_identifying="yes" if item.get("identifying") else "",
            gesurvey_sensitive="yes" if item.get("sensitive") else "",
            gesurvey_generate=item.get("generate", ""),
            gesurvey_variable_label_vi=_label_cells(item.get("variable_label"))[0],
            gesurvey_variable_label_en=_label_cells(item.get("variable_label"))[1],
            gesurvey_constraint=constraint if odk_constraint != constraint else "",
        )

    for section in document["sections"]:
        row(
            type="begin group",
            name=section["id"],
            label_vi=_label_cells(section.get("title"))[0],
            label_en=_label_cells(section.get("title"))[1],
            relevant=expression(section.get("relevant")),
            appearance="field-list",
        )
        for item in section["items"]:
            question(item)
        row(type="end group", name=section["id"])

    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(_SURVEY_HEADER)
    for cells in survey_rows:
        survey.append(cells)

    extra_keys = sorted(
        {
            key
            for choices in lists.values()
            for choice in choices
            for key in choice
            if key not in ("code", "name", "label", "exclusive")
        }
    )
    choices_sheet = workbook.create_sheet("choices")
    choices_sheet.append(
        ["list_name", "name", "label::Vietnamese (vi)", "label::English (en)", "choice_name"]
        + ["gesurvey_exclusive"]
        + extra_keys
    )
    for list_name, choices in {**lists, **derived_lists}.items():
        for choice in choices:
            choices_sheet.append(
                [list_name, str(choice["code"]), *_label_cells(choice["label"]), choice["name"]]
                + ["yes" if choice.get("exclusive") else ""]
                + [_cell(choice.get(key)) for key in extra_keys]
            )

    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append(
        [document["title"]["vi"], document["id"], document["version"], LANGUAGE_NAMES["vi"]]
    )
    meta = workbook.create_sheet("gesurvey")
    meta.append(["key", "value"])
    for key in META_KEYS:
        if key in document:
            meta.append([key, json.dumps(document[key], ensure_ascii=False)])
    return workbook


def write_xlsform(
    document: Mapping[str, Any],
    path: str | Path,
    round_settings: Mapping[str, str] | None = None,
) -> Path:
    """Write ``document`` as an XLSForm workbook at ``path`` and return the path
    (``round_settings`` fill the round placeholders, see :func:`to_workbook`)."""
    path = Path(path)
    to_workbook(document, round_settings).save(path)
    return path


def _key(column: str) -> str:
    return (
        column.replace("::Vietnamese (vi)", "_vi")
        .replace("::English (en)", "_en")
        .replace("-", "_")
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _codes_text(codes: list[int] | None) -> str:
    return " ".join(str(code) for code in codes or [])


def _list_with_missing(
    base: str,
    missing: list[int] | None,
    lists: Mapping[str, list[dict[str, Any]]],
    derived: dict[str, list[dict[str, Any]]],
) -> str:
    """The list to offer: ``base`` plus the question's declared missing codes, if any."""
    if not missing:
        return base
    name = f"{base}__m{'_'.join(str(code) for code in missing)}"
    if name not in derived:
        derived[name] = list(lists[base]) + [
            {
                "code": code,
                "name": _MISSING_NAMES[code],
                "label": {"vi": MISSING_CODES[code]["vi"], "en": MISSING_CODES[code]["en"]},
            }
            for code in missing
        ]
    return name


# --------------------------------------------------------------------------- import


@dataclass
class _Sheet:
    """One sheet as a list of (Excel row number, {column: value}) with its header mapping."""

    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]

    def column_letter(self, column: str) -> str:
        from openpyxl.utils import get_column_letter

        for index, name in enumerate(self.header, start=1):
            if name == column:
                return str(get_column_letter(index))
        return "?"


def _read_sheet(workbook: Any, name: str) -> _Sheet | None:
    if name not in workbook.sheetnames:
        return None
    sheet = workbook[name]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [str(cell).strip() if cell is not None else "" for cell in next(rows)]
    except StopIteration:
        return _Sheet(name, [], [])
    body: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(rows, start=2):
        record = {
            column: (value.strip() if isinstance(value, str) else value)
            for column, value in zip(header, values, strict=False)
            if column and value not in (None, "")
        }
        if record:
            body.append((number, record))
    return _Sheet(name, header, body)


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.en: list[str] = []
        self.vi: list[str] = []

    def add(
        self, sheet: _Sheet | None, row: int | None, column: str | None, en: str, vi: str
    ) -> None:
        where_en, where_vi = [self.source], [self.source]
        if sheet is not None:
            where_en.append(f"sheet '{sheet.name}'")
            where_vi.append(f"trang '{sheet.name}'")
        if row is not None:
            where_en.append(f"row {row}")
            where_vi.append(f"dòng {row}")
        if column is not None and sheet is not None:
            letter = sheet.column_letter(column)
            where_en.append(f"column {letter} ({column})")
            where_vi.append(f"cột {letter} ({column})")
        self.en.append(f"{', '.join(where_en)}: {en}")
        self.vi.append(f"{', '.join(where_vi)}: {vi}")


def _labels(record: Mapping[str, Any], column: str) -> dict[str, str]:
    """The {vi, en} label from ``column::Language (xx)`` cells (or a bare ``column``)."""
    found: dict[str, str] = {}
    for key, value in record.items():
        match = _LANG_RE.match(key)
        if match and match.group("column") == column:
            code = match.group("code").lower()
            if code in ("vi", "vietnamese", "tiếng việt"):
                found["vi"] = _from_xlsform_text(str(value))
            elif code in ("en", "english"):
                found["en"] = _from_xlsform_text(str(value))
    if column in record:
        found.setdefault("vi", _from_xlsform_text(str(record[column])))
        found.setdefault("en", _from_xlsform_text(str(record[column])))
    if found and len(found) == 1:
        only = next(iter(found.values()))
        found = {"vi": only, "en": only}
    return found


_SNAKE_RE = re.compile(r"[^a-z0-9_]+")


def _snake(text: str) -> str:
    name = _SNAKE_RE.sub("_", str(text).strip().lower()).strip("_")
    if not name or not name[0].isalpha():
        name = f"c_{name}" if name else "c"
    return name


_BRACKET_RE = re.compile(r"\$\{(?P<group>[A-Za-z_][A-Za-z0-9_]*)\}\[")


class _In:
    """Translate XLSForm expressions into the questionnaire language.

    The two languages share their syntax; what differs is rewritten: a repeat predicate
    (``count(${g}[cond])``, ``sum(${g}[cond]/q)``) becomes ``count(${g}, cond)`` and
    ``sum(${q}, cond)``, and a choice's XLSForm name compared with a question becomes the
    question's choice name (which the loader compiles to its code).
    """

    def __init__(
        self,
        members: Mapping[str, set[str]],
        choice_names: Mapping[str, Mapping[str, str]],
        filter_attributes: Mapping[str, str],
    ) -> None:
        self.members = members
        self.choice_names = choice_names
        self.filter_attributes = filter_attributes

    def translate(self, text: str, current: str | None = None, choice_filter: bool = False) -> str:
        text = self.predicates(str(text))
        tree = compile_expression(text)
        tree = self.rename(tree, current, choice_filter)
        return _Out({}, {}, {}, xlsform=False).emit(tree, 0)

    def predicates(self, text: str) -> str:
        while True:
            match = _BRACKET_RE.search(text)
            if match is None:
                return text
            group = match.group("group")
            start, depth, end = match.end(), 1, match.end()
            while end < len(text) and depth:
                depth += {"[": 1, "]": -1}.get(text[end], 0)
                end += 1
            if depth:
                raise ExpressionSyntaxError(
                    "'[' is never closed", "'[' không được đóng", column=start
                )
            condition = text[start : end - 1]
            for member in sorted(self.members.get(group, set()), key=len, reverse=True):
                condition = re.sub(
                    rf"(?<![\w${{/.]){re.escape(member)}(?![\w}}(])", f"${{{member}}}", condition
                )
            call_start = text.rfind("(", 0, match.start())
            function = text[:call_start].rstrip()
            tail = text[end:]
            if function.endswith("count") and tail.startswith(")"):
                text = f"{text[:call_start]}(${{{group}}}, {condition}{tail}"
                continue
            step = re.match(r"/(?P<q>[A-Za-z_][A-Za-z0-9_]*)\)", tail)
            if function.endswith("sum") and step:
                question = step.group("q")
                text = f"{text[:call_start]}(${{{question}}}, {condition}){tail[step.end() :]}"
                continue
            raise ExpressionSyntaxError(
                "a [...] predicate is only understood as count(${group}[condition]) or "
                "sum(${group}[condition]/question)",
                "biểu thức [...] chỉ được hiểu ở dạng count(${nhóm}[điều kiện]) hoặc "
                "sum(${nhóm}[điều kiện]/câu_hỏi)",
                column=match.start() + 1,
            )

    def rename(self, node: Node, current: str | None, choice_filter: bool) -> Node:
        kind = node["node"]
        if kind == "attr" and choice_filter:
            return {"node": "attr", "name": self.filter_attributes.get(node["name"], node["name"])}
        if kind == "negate":
            return {**node, "operand": self.rename(node["operand"], current, choice_filter)}
        if kind == "binary":
            left = self.rename(node["left"], current, choice_filter)
            right = self.rename(node["right"], current, choice_filter)
            if node["op"] in ("=", "!="):
                right = self.named(left, right, current)
                left = self.named(right, left, current)
            return {**node, "left": left, "right": right}
        if kind == "call":
            args = [self.rename(arg, current, choice_filter) for arg in node["args"]]
            if node["name"] == "selected":
                args[1] = self.named(args[0], args[1], current)
            return {**node, "args": args}
        return node

    def named(self, subject: Node, literal: Node, current: str | None) -> Node:
        if literal["node"] != "string":
            return literal
        if subject["node"] == "ref":
            question: str | None = subject["name"]
        elif subject["node"] == "current":
            question = current
        else:
            return literal
        names = self.choice_names.get(question or "")
        value = literal["value"]
        key = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        if names is None or key not in names:
            return literal
        return {"node": "string", "value": names[key]}


def read_xlsform(path: str | Path, form_id: str | None = None) -> dict[str, Any]:
    """Read an XLSForm workbook and return the questionnaire's JSON (checked by the loader).

    Raises XLSFormError listing every problem with its sheet, row and column.
    """
    from openpyxl import load_workbook

    from questionnaires.loader import questionnaire_from_dict

    path = Path(path)
    source = path.name
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise XLSFormError(
            f"{source}: cannot be read as an .xlsx workbook ({type(exc).__name__}); "
            "save the XLSForm as Excel .xlsx",
            f"{source}: không đọc được như một tệp .xlsx ({type(exc).__name__}); "
            "hãy lưu XLSForm dạng Excel .xlsx",
        ) from None
    problems = _Problems(source)
    survey = _read_sheet(workbook, "survey")
    choices = _read_sheet(workbook, "choices")
    settings = _read_sheet(workbook, "settings")
    meta = _read_sheet(workbook, "gesurvey")
    if survey is None:
        problems.add(None, None, None, "no 'survey' sheet; add one", "không có trang 'survey'")
        raise XLSFormError(problems.en, problems.vi)
    document = _Importer(survey, choices, settings, meta, problems, form_id or _snake(path.stem))
    result = document.build()
    if problems.en:
        raise XLSFormError(problems.en, problems.vi)
    try:
        questionnaire_from_dict(result, source)
    except QuestionnaireError as error:
        raise XLSFormError(
            [document.locate(message) for message in error.messages],
            [document.locate(message) for message in error.messages_vi],
        ) from None
    return result


class _Importer:
    """Turn the sheets of one XLSForm into the questionnaire JSON, collecting problems."""

    def __init__(
        self,
        survey: _Sheet,
        choices: _Sheet | None,
        settings: _Sheet | None,
        meta: _Sheet | None,
        problems: _Problems,
        default_id: str,
    ) -> None:
        self.survey, self.choices, self.settings, self.meta = survey, choices, settings, meta
        self.problems = problems
        self.default_id = default_id
        self.rows_of: dict[str, int] = {}
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.xls_names: dict[str, dict[str, str]] = {}  # list -> {XLSForm name: our name}
        self.filter_attributes: dict[str, str] = {}
        self.exported = False

    def locate(self, message: str) -> str:
        """Add the survey row to a loader message that names a question or group."""
        match = re.search(
            r"(?:question|group|câu hỏi|nhóm) (?P<id>[A-Za-z_][A-Za-z0-9_]*)", message
        )
        if match and match.group("id") in self.rows_of:
            return f"{message} (sheet 'survey', row {self.rows_of[match.group('id')]})"
        return message

    # -- choices

    def read_choices(self) -> None:
        if self.choices is None:
            return
        sheet = self.choices
        self.exported = "choice_name" in sheet.header
        reserved = {"list_name", "list name", "name", "choice_name", "gesurvey_exclusive"}
        raw: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for number, record in sheet.rows:
            list_name = record.get("list_name", record.get("list name"))
            if not list_name:
                self.problems.add(sheet, number, "list_name", "no list_name", "thiếu list_name")
                continue
            if "name" not in record:
                self.problems.add(
                    sheet, number, "name", "the choice has no name", "lựa chọn thiếu name"
                )
                continue
            raw.setdefault(str(list_name), []).append((number, record))
        for list_name, entries in raw.items():
            whole = all(_is_int(record["name"]) for _, record in entries)
            items: list[dict[str, Any]] = []
            names: dict[str, str] = {}
            used_names: set[str] = set()
            for position, (number, record) in enumerate(entries, start=1):
                xls_name = _text(record["name"])
                code = int(float(xls_name)) if whole else position
                if (
                    code in MISSING_CODES
                    and self.exported
                    and list_name.split("__m")[0] != list_name
                ):
                    continue
                ours = str(record.get("choice_name") or "") or (
                    _snake(xls_name) if not whole else f"c{code}"
                )
                if ours in used_names:
                    self.problems.add(
                        sheet,
                        number,
                        "name",
                        f"choice name '{xls_name}' repeats in list '{list_name}'",
                        f"tên lựa chọn '{xls_name}' bị lặp trong danh sách '{list_name}'",
                    )
                    continue
                used_names.add(ours)
                label = _labels(record, "label")
                if not label:
                    self.problems.add(
                        sheet, number, "label", "the choice has no label", "lựa chọn thiếu nhãn"
                    )
                    continue
                choice: dict[str, Any] = {"code": code, "name": ours, "label": label}
                if str(record.get("gesurvey_exclusive", "")).lower() in ("yes", "true", "1"):
                    choice["exclusive"] = True
                for key, value in record.items():
                    if key in reserved or "::" in key or key == "label":
                        continue
                    attribute = _snake(key)
                    choice[attribute] = int(value) if _is_int(value) else value
                    self.filter_attributes.setdefault(key, attribute)
                items.append(choice)
                names[xls_name] = ours
            self.lists[list_name] = items
            self.xls_names[list_name] = names
        # In a choice filter the XLSForm `name` column is the candidate's name.
        self.filter_attributes["name"] = "code" if self.exported else "name"
        self.filter_attributes["choice_name"] = "name"

    # -- survey

    def build(self) -> dict[str, Any]:
        self.read_choices()
        settings = dict(self.settings.rows[0][1]) if self.settings and self.settings.rows else {}
        meta: dict[str, Any] = {}
        if self.meta is not None:
            for number, record in self.meta.rows:
                try:
                    meta[str(record.get("key"))] = json.loads(str(record.get("value")))
                except json.JSONDecodeError:
                    self.problems.add(
                        self.meta, number, "value", "not valid JSON", "không phải JSON hợp lệ"
                    )
        title = (
            meta.get("title")
            or _labels(settings, "form_title")
            or {
                "vi": self.default_id,
                "en": self.default_id,
            }
        )
        document: dict[str, Any] = {
            "id": _snake(str(settings.get("form_id") or self.default_id)),
            "version": str(settings.get("version") or "1.0.0"),
            "languages": ["vi", "en"],
            "default_language": "vi",
            "title": title,
        }
        if "description" in meta:
            document["description"] = meta["description"]
        document["unit"] = meta.get("unit", "individual")
        document["analysis"] = meta.get(
            "analysis", {"weight": "weight", "stratum": "stratum", "psu": "psu"}
        )
        for key in ("sensitive", "quality", "interrupt", "selection"):
            if key in meta:
                document[key] = meta[key]
        self.scan_members()
        sections = self.sections()
        used = {
            name
            for section in sections
            for item, _ in _walk(section["items"])
            for name in [item.get("choices")]
            if name
        }
        document["choice_lists"] = {
            name: items
            for name, items in self.lists.items()
            if name in used and name not in ("yesno", "likert5")
        }
        document["sections"] = sections
        return document

    def scan_members(self) -> None:
        """Which questions belong to which repeat, and each choice question's list."""
        self.members: dict[str, set[str]] = {}
        self.list_of: dict[str, str] = {}
        stack: list[str] = []
        for _number, record in self.survey.rows:
            kind = str(record.get("type", "")).strip()
            name = str(record.get("name", ""))
            if kind in ("begin repeat", "begin_repeat"):
                stack.append(name)
                self.members.setdefault(name, set())
            elif kind in ("end repeat", "end_repeat") and stack:
                stack.pop()
            elif stack and name:
                self.members[stack[-1]].add(name)
            parts = kind.split()
            if len(parts) == 2 and parts[0] in ("select_one", "select_multiple"):
                self.list_of[name] = parts[1]
        names_by_question = {
            question: self.xls_names.get(list_name, {})
            for question, list_name in self.list_of.items()
        }
        self.translator = _In(self.members, names_by_question, self.filter_attributes)

    def expression(
        self, record: Mapping[str, Any], column: str, number: int, current: str | None = None
    ) -> str | None:
        text = record.get(column)
        if text in (None, ""):
            return None
        try:
            return self.translator.translate(
                str(text), current=current, choice_filter=column == "choice_filter"
            )
        except ExpressionSyntaxError as error:
            self.problems.add(
                self.survey,
                number,
                column,
                f"'{text}' cannot be translated: {error.reason}",
                f"không chuyển được '{text}': {error.reason_vi}",
            )
            return None

    def sections(self) -> list[dict[str, Any]]:
        sections: list[dict[str, Any]] = []
        loose: list[dict[str, Any]] | None = None
        # Stack of open containers: ("section" | "group" | "repeat" | "grid", item, relevant)
        stack: list[tuple[str, dict[str, Any], str | None]] = []

        def target() -> list[dict[str, Any]]:
            nonlocal loose
            for kind, item, _ in reversed(stack):
                if kind in ("section", "repeat"):
                    items: list[dict[str, Any]] = item["items"]
                    return items
            if loose is None:
                loose = []
                sections.append(
                    {
                        "id": f"S{len(sections) + 1}",
                        "title": {
                            "vi": f"Phần {len(sections) + 1}",
                            "en": f"Part {len(sections) + 1}",
                        },
                        "items": loose,
                    }
                )
            return loose

        def inherited() -> str | None:
            """The conditions of the open flattened groups, joined with `and`."""
            parts = [relevant for kind, _, relevant in stack if kind == "group" and relevant]
            return " and ".join(f"({part})" for part in parts) if parts else None

        for number, record in self.survey.rows:
            kind = str(record.get("type", "")).strip()
            name = str(record.get("name", "")).strip()
            if kind == "calculate" and name in _ROUND_FIELDS:
                continue  # a round setting: the texts quote it as {round.<name>} again
            words = kind.replace("_", " ").split()
            head = " ".join(words[:2]) if words[:1] in (["begin"], ["end"]) else kind
            if head == "begin group":
                relevant = self.expression(record, "relevant", number)
                if record.get("gesurvey_type") == "grid":
                    grid = self.grid_start(record, number, relevant)
                    stack.append(("grid", grid, None))
                    continue
                if not any(level in ("section", "repeat") for level, _, _ in stack):
                    loose = None
                    section: dict[str, Any] = {
                        "id": name or f"S{len(sections) + 1}",
                        "title": _labels(record, "label") or {"vi": name, "en": name},
                        "items": [],
                    }
                    if relevant:
                        section["relevant"] = relevant
                    self.rows_of[section["id"]] = number
                    sections.append(section)
                    stack.append(("section", section, None))
                else:
                    stack.append(("group", {}, relevant))
                continue
            if head == "end group":
                if not stack or stack[-1][0] not in ("section", "group", "grid"):
                    self.problems.add(
                        self.survey,
                        number,
                        "type",
                        "'end group' without 'begin group'",
                        "'end group' không có 'begin group'",
                    )
                    continue
                closed = stack.pop()
                if closed[0] == "grid":
                    target().append(closed[1])
                if closed[0] == "section":
                    loose = None
                continue
            if head == "begin repeat":
                repeat: dict[str, Any] = {
                    "id": name,
                    "type": "repeat",
                    "unit": str(record.get("gesurvey_unit") or _snake(name)),
                    "label": _labels(record, "label") or {"vi": name, "en": name},
                    "items": [],
                }
                count = self.expression(record, "repeat_count", number)
                if count:
                    repeat["count"] = count
                relevant = self.joined(inherited(), self.expression(record, "relevant", number))
                if relevant:
                    repeat["relevant"] = relevant
                self.rows_of[name] = number
                target().append(repeat)
                stack.append(("repeat", repeat, None))
                continue
            if head == "end repeat":
                if not stack or stack[-1][0] != "repeat":
                    self.problems.add(
                        self.survey,
                        number,
                        "type",
                        "'end repeat' without 'begin repeat'",
                        "'end repeat' không có 'begin repeat'",
                    )
                    continue
                stack.pop()
                continue
            if stack and stack[-1][0] == "grid":
                self.grid_row(stack[-1][1], record, number)
                continue
            item = self.question(record, number, kind, name)
            if item is None:
                continue
            relevant = self.joined(inherited(), item.get("relevant"))
            if relevant:
                item["relevant"] = relevant
            target().append(item)
        for kind, item, _ in stack:
            self.problems.add(
                self.survey,
                None,
                None,
                f"a '{kind}' ({item.get('id', '')}) is never closed",
                f"một '{kind}' ({item.get('id', '')}) không được đóng",
            )
        return sections

    @staticmethod
    def joined(outer: str | None, inner: str | None) -> str | None:
        if outer and inner:
            return f"{outer} and ({inner})"
        return outer or inner

    def grid_start(
        self, record: Mapping[str, Any], number: int, relevant: str | None
    ) -> dict[str, Any]:
        grid: dict[str, Any] = {
            "id": str(record["name"]),
            "type": "grid",
            "label": _labels(record, "label"),
            "rows": [],
        }
        hint = _labels(record, "hint")
        if hint:
            grid["hint"] = hint
        self.rows_of[grid["id"]] = number
        self.flags(grid, record)
        if relevant:
            grid["relevant"] = relevant
        return grid

    def grid_row(self, grid: dict[str, Any], record: Mapping[str, Any], number: int) -> None:
        parts = str(record.get("type", "")).split()
        prefix = f"{grid['id']}_"
        name = str(record.get("name", ""))
        if len(parts) != 2 or parts[0] != "select_one" or not name.startswith(prefix):
            self.problems.add(
                self.survey,
                number,
                "type",
                f"a row of grid {grid['id']} must be 'select_one <list>' named {prefix}<row>",
                f"một dòng của lưới {grid['id']} phải là 'select_one <danh sách>' "
                f"tên {prefix}<dòng>",
            )
            return
        grid["choices"] = parts[1].split("__m")[0]
        grid["rows"].append({"id": name[len(prefix) :], "label": _labels(record, "label")})

    def flags(self, item: dict[str, Any], record: Mapping[str, Any]) -> None:
        if _yes(record.get("required")):
            item["required"] = True
        missing = str(record.get("gesurvey_missing_codes") or "").split()
        if missing:
            item["missing_codes"] = [int(code) for code in missing]
        if _yes(record.get("gesurvey_identifying")):
            item["identifying"] = True
        if _yes(record.get("gesurvey_sensitive")):
            item["sensitive"] = True
        if record.get("gesurvey_generate"):
            item["generate"] = str(record["gesurvey_generate"])
        variable = {
            lang: str(record[f"gesurvey_variable_label_{lang}"])
            for lang in ("vi", "en")
            if record.get(f"gesurvey_variable_label_{lang}")
        }
        if len(variable) == 2:
            item["variable_label"] = variable

    def question(
        self, record: Mapping[str, Any], number: int, kind: str, name: str
    ) -> dict[str, Any] | None:
        if not kind:
            self.problems.add(self.survey, number, "type", "no type", "thiếu type")
            return None
        parts = kind.split()
        base = parts[0]
        if kind in _METADATA_TYPES or base in _METADATA_TYPES:
            return None
        if base in _UNSUPPORTED_TYPES or kind in _UNSUPPORTED_TYPES:
            self.problems.add(
                self.survey,
                number,
                "type",
                f"type '{kind}' has no equivalent in the questionnaire format "
                "(text, integer, decimal, date, note, calculate, select_one, select_multiple, "
                "groups and repeats are supported)",
                f"kiểu '{kind}' không có tương đương trong định dạng phiếu",
            )
            return None
        if not name:
            self.problems.add(
                self.survey, number, "name", "the question has no name", "câu hỏi thiếu name"
            )
            return None
        item: dict[str, Any] = {"id": name}
        ours = str(record.get("gesurvey_type") or "")
        if base in ("select_one", "select_multiple"):
            if len(parts) != 2:
                self.problems.add(
                    self.survey,
                    number,
                    "type",
                    f"'{kind}' must name one choice list",
                    f"'{kind}' phải nêu đúng một danh sách lựa chọn",
                )
                return None
            list_name = parts[1].split("__m")[0] if self.exported else parts[1]
            if parts[1] not in self.lists and list_name not in self.lists:
                self.problems.add(
                    self.survey,
                    number,
                    "type",
                    f"choice list '{parts[1]}' is not on the choices sheet",
                    f"danh sách lựa chọn '{parts[1]}' không có trong trang choices",
                )
                return None
            if ours in ("yesno", "likert5"):
                item["type"] = ours
            else:
                item["type"] = "multi" if base == "select_multiple" else "single"
                if list_name in ("yesno", "likert5"):
                    # A hand-made list may not take a built-in list's name.
                    self.lists[f"{list_name}_list"] = self.lists.pop(list_name)
                    self.xls_names[f"{list_name}_list"] = self.xls_names.pop(list_name, {})
                    list_name = f"{list_name}_list"
                item["choices"] = list_name
        elif base in _TYPE_IN and len(parts) == 1:
            item["type"] = _TYPE_IN[base]
        else:
            self.problems.add(
                self.survey, number, "type", f"unknown type '{kind}'", f"kiểu '{kind}' không rõ"
            )
            return None
        self.rows_of[name] = number
        label = _labels(record, "label")
        if label:
            item["label"] = label
        elif item["type"] != "calculate":
            self.problems.add(
                self.survey, number, "label", "the question has no label", "câu hỏi thiếu nhãn"
            )
            return None
        else:
            item["label"] = {"vi": name, "en": name}
        hint = _labels(record, "hint")
        if hint:
            item["hint"] = hint
        self.flags(item, record)
        relevant = self.expression(record, "relevant", number)
        if relevant:
            item["relevant"] = relevant
        constraint_column = (
            "gesurvey_constraint" if record.get("gesurvey_constraint") else "constraint"
        )
        constraint = self.expression(record, constraint_column, number, current=name)
        if constraint:
            item["constraint"] = constraint
            message = _labels(record, "constraint_message") or {
                "vi": "Câu trả lời không hợp lệ",
                "en": "The answer is not valid",
            }
            item["constraint_message"] = message
        choice_filter = self.expression(record, "choice_filter", number)
        if choice_filter:
            item["choice_filter"] = choice_filter
        calculation = self.expression(record, "calculation", number)
        if calculation:
            if item["type"] != "calculate":
                self.problems.add(
                    self.survey,
                    number,
                    "calculation",
                    "a calculation belongs on a 'calculate' row",
                    "calculation chỉ dùng cho kiểu 'calculate'",
                )
            item["calculation"] = calculation
        return item


def _yes(value: Any) -> bool:
    return str(value).strip().lower() in ("yes", "true", "true()", "1")


def _is_int(value: Any) -> bool:
    try:
        return float(str(value)).is_integer()
    except ValueError:
        return False


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
