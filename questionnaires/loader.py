"""Load questionnaire JSON files, check everything an author can get wrong, build the model.

Structure is checked against ``schema.json`` (JSON Schema 2020-12); meaning (ids, choice lists,
expressions, repeat counts, labels) by the checks below. All problems are collected and raised
together as one QuestionnaireError whose messages read
``forms/kap.json: question A05: choice list 'agree5' is not defined; add it under choice_lists``.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, overload

import jsonschema

from questionnaires.errors import ExpressionSyntaxError, QuestionnaireError
from questionnaires.expressions import Scope, compile_expression, references
from questionnaires.files import parse_json, read_text
from questionnaires.model import (
    MISSING_CODES,
    AnalysisMeta,
    Choice,
    ChoiceList,
    GridRow,
    Handoff,
    Interrupt,
    Label,
    Question,
    Questionnaire,
    RepeatGroup,
    Section,
    Selection,
)
from questionnaires.rounds import SETTING_NAMES, round_setting_names
from questionnaires.selection import kish_grid

__all__ = [
    "BUILTIN_CHOICE_LISTS",
    "bundled_paths",
    "earlier_version_paths",
    "content_hash",
    "load_bundled",
    "load_questionnaire",
    "questionnaire_from_dict",
]

Node = dict[str, Any]

BUILTIN_CHOICE_LISTS: Mapping[str, ChoiceList] = {
    "yesno": ChoiceList(
        "yesno",
        (
            Choice(1, "yes", Label("Có", "Yes")),
            Choice(0, "no", Label("Không", "No")),
        ),
        builtin=True,
    ),
    "likert5": ChoiceList(
        "likert5",
        (
            Choice(1, "strongly_disagree", Label("Hoàn toàn không đồng ý", "Strongly disagree")),
            Choice(2, "disagree", Label("Không đồng ý", "Disagree")),
            Choice(3, "neutral", Label("Bình thường", "Neither agree nor disagree")),
            Choice(4, "agree", Label("Đồng ý", "Agree")),
            Choice(5, "strongly_agree", Label("Hoàn toàn đồng ý", "Strongly agree")),
        ),
        builtin=True,
    ),
}
_CHOICE_TYPES = frozenset({"single", "multi", "grid"})
_BUILTIN_TYPES = {"yesno": "yesno", "likert5": "likert5"}
_NO_MISSING_CODES = frozenset({"text", "date", "note", "calculate"})
_NO_ANSWER = frozenset({"note", "calculate"})
_PLAIN_REF = re.compile(r"^\s*\$\{([A-Za-z_][A-Za-z0-9_]*)\}\s*$")
_LANG_NAMES = {"vi": "Vietnamese (vi)", "en": "English (en)"}
_LANG_NAMES_VI = {"vi": "tiếng Việt (vi)", "en": "tiếng Anh (en)"}


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("questionnaires").joinpath("schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def content_hash(document: Any) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of a questionnaire."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _display(path: Path) -> str:
    """Name a file the way messages do: ``forms/<file>`` for questionnaire files."""
    package = Path(str(resources.files("questionnaires")))
    try:
        return path.resolve().relative_to(package.resolve()).as_posix()
    except ValueError:
        pass
    if path.parent.name == "forms":
        return f"forms/{path.name}"
    return str(path)


# --------------------------------------------------------------------------- schema messages


def _walk_path(doc: Any, path: list[Any]) -> tuple[str | None, str]:
    """Turn a JSON path into (``question A05``-style place, remaining field path)."""
    where: str | None = None
    rest: list[str] = []
    node = doc
    parents: list[Any] = []
    for step in path:
        parents.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if len(parents) == 2 and parents[0] == "choice_lists":
            where, rest = f"choice list '{step}'", []
            continue
        if len(parents) == 3 and parents[0] == "choice_lists" and isinstance(step, int):
            code = node.get("code") if isinstance(node, dict) else None
            name = parents[1]
            where = f"choice list '{name}', choice {step + 1}" + (
                f" (code {code})" if code is not None else ""
            )
            rest = []
            continue
        if (
            isinstance(node, dict)
            and isinstance(step, int)
            and parents[-2:-1] in (["sections"], ["items"])
        ):
            ident = node.get("id")
            kind = (
                "section"
                if parents[-2] == "sections"
                else ("group" if node.get("type") == "repeat" else "question")
            )
            label = ident if isinstance(ident, str) else f"number {step + 1}"
            where, rest = f"{kind} {label}", []
            continue
        if isinstance(step, int):
            if rest:
                rest[-1] = f"{rest[-1]}[{step + 1}]"
            else:
                rest.append(f"item {step + 1}")
        else:
            rest.append(str(step))
    return where, ".".join(rest)


def _schema_problem(error: jsonschema.ValidationError) -> tuple[str, str]:
    """Say what is wrong and how to fix it, in English and Vietnamese, for one schema error.

    The field itself is named by the caller, in front of the text.
    """
    path = list(error.absolute_path)
    field = str(path[-1]) if path else ""
    validator, value = error.validator, error.instance
    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    if validator == "required":
        match = re.search(r"'([^']+)' is a required property", error.message)
        missing = match.group(1) if match else "?"
        if missing in _LANG_NAMES:
            en_name, vi_name = _LANG_NAMES[missing], _LANG_NAMES_VI[missing]
            return (
                f'the {en_name} text is missing; add "{missing}": "…"',
                f'thiếu nội dung {vi_name}; hãy thêm "{missing}": "…"',
            )
        return f"'{missing}' is missing; add it", f"thiếu '{missing}'; hãy thêm vào"
    if validator == "additionalProperties":
        known = error.schema.get("properties", {})
        unknown = ", ".join(repr(key) for key in sorted(set(value) - set(known)))
        allowed = ", ".join(sorted(known))
        return (
            f"unknown key {unknown}; remove it or fix its spelling (allowed: {allowed})",
            f"khóa không hợp lệ {unknown}; hãy xóa hoặc sửa chính tả (được phép: {allowed})",
        )
    if validator == "pattern":
        if field in _LANG_NAMES:
            return (
                f"the {_LANG_NAMES[field]} text is empty; write it",
                f"nội dung {_LANG_NAMES_VI[field]} đang trống; hãy viết vào",
            )
        if field == "version":
            return (
                f"{shown} is not a semantic version; write MAJOR.MINOR.PATCH such as 1.0.0",
                f"{shown} không phải là phiên bản dạng MAJOR.MINOR.PATCH; hãy viết ví dụ 1.0.0",
            )
        if field in ("relevant", "constraint", "choice_filter", "calculation", "count"):
            return (
                "is empty; write an expression or remove the key",
                "đang trống; hãy viết biểu thức hoặc xóa khóa này",
            )
        if field == "id":
            return (
                f"{shown} is not a valid id; use letters, digits and _, starting with a letter",
                f"{shown} không phải là mã hợp lệ; hãy dùng chữ cái, chữ số và _, bắt đầu "
                f"bằng chữ cái",
            )
        return (
            f"{shown} is not a valid name; use lower-case letters, digits and _, starting "
            f"with a letter",
            f"{shown} không phải là tên hợp lệ; hãy dùng chữ thường, chữ số và _, bắt đầu "
            f"bằng chữ cái",
        )
    if validator == "enum":
        options = ", ".join(json.dumps(option) for option in error.validator_value)
        if field == "type":
            return (
                f"{shown} is not a question type; use one of {options}",
                f"{shown} không phải là loại câu hỏi; hãy dùng một trong {options}",
            )
        return (
            f"{shown} is not allowed here; use one of {options}",
            f"{shown} không được phép ở đây; hãy dùng một trong {options}",
        )
    if validator == "const":
        wanted = json.dumps(error.validator_value)
        return f"must be {wanted}, not {shown}", f"phải là {wanted}, không phải {shown}"
    if validator == "type":
        wanted = error.validator_value
        return (
            f"must be of JSON type {wanted}, not {shown}",
            f"phải có kiểu JSON {wanted}, không phải {shown}",
        )
    if validator == "minItems":
        return "is empty; add at least one", "đang trống; hãy thêm ít nhất một mục"
    if validator == "uniqueItems":
        return (
            "lists the same value twice; remove the duplicate",
            "có giá trị lặp lại; hãy xóa giá trị trùng",
        )
    if validator == "contains":
        return 'must list both "vi" and "en"', 'phải có cả "vi" và "en"'
    if validator == "propertyNames":
        return (
            f"choice list name {shown} is not valid; use lower-case letters, digits and _, "
            f"starting with a letter",
            f"tên danh sách lựa chọn {shown} không hợp lệ; hãy dùng chữ thường, chữ số và "
            f"_, bắt đầu bằng chữ cái",
        )
    return error.message, error.message


def _schema_messages(doc: Any) -> list[tuple[str | None, str, str]]:
    out = []
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        where, rest = _walk_path(doc, list(error.absolute_path))
        en, vi = _schema_problem(error)
        out.append((where, f"{rest}: {en}" if rest else en, f"{rest}: {vi}" if rest else vi))
    return out


# --------------------------------------------------------------------------- the builder


class _Builder:
    """Check a schema-valid document and build the Questionnaire, collecting every problem."""

    def __init__(self, doc: Mapping[str, Any], display: str, stem: str | None) -> None:
        self.doc = doc
        self.display = display
        self.stem = stem
        self.problems: list[str] = []
        self.problems_vi: list[str] = []
        self.choice_lists: dict[str, ChoiceList] = dict(BUILTIN_CHOICE_LISTS)
        # id -> raw item, for questions and groups
        self.raw: dict[str, Mapping[str, Any]] = {}
        self.member_of: dict[str, str] = {}  # question or group id -> enclosing group id
        self.parent: dict[str, str | None] = {}  # group id -> parent group id
        self.kind: dict[str, str] = {}  # id -> "section" | "question" | "group" | "grid row"

    def problem(self, where: str | None, text: str, text_vi: str) -> None:
        """Record one problem in English and Vietnamese (``where`` is written in English)."""
        self.problems.append(_message(self.display, where, text))
        self.problems_vi.append(_message(self.display, _where_vi(where), text_vi))

    # ---- pass 1: ids, lists, structure

    def iter_raw(
        self, items: list[Mapping[str, Any]], section: str, group: str | None
    ) -> Iterator[tuple[Mapping[str, Any], str, str | None]]:
        for item in items:
            yield item, section, group
            if item.get("type") == "repeat":
                yield from self.iter_raw(item["items"], section, item["id"])

    def register(self, ident: str, kind: str, where: str) -> None:
        if ident in self.kind:
            kind = self.kind[ident]
            self.problem(
                where,
                f"id '{ident}' is already used by a {kind}; "
                f"give each section, question, group and grid row its own id",
                f"mã '{ident}' đã được dùng cho một {_KIND_VI[kind]}; mỗi phần, câu "
                f"hỏi, nhóm và dòng của bảng cần một mã riêng",
            )
            return
        self.kind[ident] = kind

    def collect(self) -> None:
        for section in self.doc["sections"]:
            self.register(section["id"], "section", f"section {section['id']}")
            for item, _section, group in self.iter_raw(section["items"], section["id"], None):
                ident = item["id"]
                is_group = item.get("type") == "repeat"
                where = f"{'group' if is_group else 'question'} {ident}"
                self.register(ident, "repeat group" if is_group else "question", where)
                self.raw.setdefault(ident, item)
                if group is not None:
                    self.member_of[ident] = group
                if is_group:
                    self.parent[ident] = group
                    if group is not None and self.parent.get(group) is not None:
                        self.problem(
                            where,
                            f"repeat group '{ident}' is nested twice (in "
                            f"'{group}' inside '{self.parent[group]}'); groups "
                            f"may nest only once",
                            f"nhóm lặp '{ident}' lồng hai lần (trong '{group}' nằm "
                            f"trong '{self.parent[group]}'); nhóm chỉ được lồng một "
                            f"lần",
                        )
                for grid_row in item.get("rows", []) if not is_group else []:
                    self.register(f"{ident}_{grid_row['id']}", "grid row", where)

    def build_choice_lists(self) -> None:
        for name, raw_choices in self.doc.get("choice_lists", {}).items():
            where = f"choice list '{name}'"
            if name in BUILTIN_CHOICE_LISTS:
                self.problem(
                    where,
                    f"'{name}' is a built-in list and may not be redefined; "
                    f"remove it or give your list another name",
                    f"'{name}' là danh sách có sẵn, không được định nghĩa lại; hãy "
                    f"xóa nó hoặc đặt tên khác cho danh sách của bạn",
                )
                continue
            codes: set[int] = set()
            names: set[str] = set()
            choices = []
            for raw in raw_choices:
                code, cname = raw["code"], raw["name"]
                if code in MISSING_CODES:
                    self.problem(
                        where,
                        f"code {code} is reserved for "
                        f"'{MISSING_CODES[code]['en']}'; use another code and "
                        f"declare missing_codes [{code}] on the questions instead",
                        f"mã {code} dành riêng cho '{MISSING_CODES[code]['vi']}'; hãy "
                        f"dùng mã khác và khai báo missing_codes [{code}] ở câu hỏi",
                    )
                if code in codes:
                    self.problem(
                        where,
                        f"code {code} is used twice; give each choice its own code",
                        f"mã {code} bị dùng hai lần; mỗi lựa chọn cần một mã riêng",
                    )
                if cname in names:
                    self.problem(
                        where,
                        f"name '{cname}' is used twice; give each choice its own name",
                        f"tên '{cname}' bị dùng hai lần; mỗi lựa chọn cần một tên riêng",
                    )
                codes.add(code)
                names.add(cname)
                extra = {
                    k: v for k, v in raw.items() if k not in ("code", "name", "label", "exclusive")
                }
                choices.append(
                    Choice(
                        code, cname, _label(raw["label"]), bool(raw.get("exclusive", False)), extra
                    )
                )
            self.choice_lists[name] = ChoiceList(name, tuple(choices))

    # ---- pass 2: questions

    def choice_list_of(self, item: Mapping[str, Any], where: str) -> ChoiceList | None:
        qtype = item["type"]
        listed = item.get("choices")
        if qtype in _BUILTIN_TYPES:
            if listed is not None and listed != _BUILTIN_TYPES[qtype]:
                self.problem(
                    where,
                    f"type '{qtype}' always uses the built-in '{qtype}' list; "
                    f'remove "choices": "{listed}"',
                    f"loại '{qtype}' luôn dùng danh sách có sẵn '{qtype}'; hãy xóa "
                    f'"choices": "{listed}"',
                )
            return self.choice_lists[_BUILTIN_TYPES[qtype]]
        if qtype not in _CHOICE_TYPES:
            if listed is not None:
                self.problem(
                    where,
                    f"type '{qtype}' has no choices; remove \"choices\" or "
                    f"change the type to single, multi or grid",
                    f"loại '{qtype}' không có lựa chọn; hãy xóa \"choices\" hoặc đổi "
                    f"loại thành single, multi hoặc grid",
                )
            return None
        if listed is None:
            self.problem(
                where,
                f"type '{qtype}' needs a choice list; add \"choices\": "
                f'"<list name>" naming a list under choice_lists',
                f"loại '{qtype}' cần một danh sách lựa chọn; hãy thêm \"choices\": "
                f'"<tên danh sách>" trỏ tới một danh sách trong choice_lists',
            )
            return None
        if listed not in self.choice_lists:
            close = difflib.get_close_matches(listed, list(self.choice_lists), n=1)
            hint = f" (or did you mean '{close[0]}'?)" if close else ""
            hint_vi = f" (hay ý bạn là '{close[0]}'?)" if close else ""
            self.problem(
                where,
                f"choice list '{listed}' is not defined; add it under choice_lists{hint}",
                f"danh sách lựa chọn '{listed}' chưa được định nghĩa; hãy thêm vào "
                f"choice_lists{hint_vi}",
            )
            return None
        return self.choice_lists[listed]

    def scope(
        self, group: str | None, *, current: str | None = None, attributes: bool = False
    ) -> Scope:
        return Scope(
            repeats=self.member_questions,
            groups=self.parent,
            choice_names=self.names,
            known=self.known,
            group=group,
            current_question=current,
            allow_current=current is not None,
            attributes=attributes,
        )

    def compile(
        self, text: str | None, where: str, field: str, scope: Scope, owner: str | None = None
    ) -> Node | None:
        if text is None:
            return None
        try:
            ast = compile_expression(text, scope)
        except ExpressionSyntaxError as exc:
            reason, reason_vi = exc.reason, exc.reason_vi
            if "is not a question of this questionnaire" in reason:
                name = reason.split("}", 1)[0].lstrip("${")
                close = difflib.get_close_matches(name, sorted(self.known), n=1)
                if close:
                    reason += f"; did you mean ${{{close[0]}}}?"
                    reason_vi += f"; có phải ý bạn là ${{{close[0]}}}?"
                else:
                    reason += "; check the id"
                    reason_vi += "; hãy kiểm tra mã câu hỏi"
            self.problem(
                where,
                f"{field} (column {exc.column}): {reason}",
                f"{field} (cột {exc.column}): {reason_vi}",
            )
            return None
        for name in sorted(references(ast)):
            if self.kind.get(name) == "question" and self.raw[name]["type"] == "note":
                self.problem(
                    where,
                    f"{field} reads ${{{name}}}, a note, which has no answer; "
                    f"refer to a question instead",
                    f"{field} đọc ${{{name}}} là một ghi chú, không có câu trả lời; "
                    f"hãy tham chiếu tới một câu hỏi",
                )
            if owner is not None and name == owner and field != "constraint":
                self.problem(
                    where,
                    f"{field} reads the question's own answer ${{{name}}}; "
                    f"use another question (or '.' in a constraint)",
                    f"{field} đọc chính câu trả lời ${{{name}}} của câu hỏi; hãy dùng "
                    f"câu hỏi khác (hoặc '.' trong constraint)",
                )
        return ast

    def question(self, item: Mapping[str, Any], section: str, group: str | None) -> Question:
        qid, qtype = item["id"], item["type"]
        where = f"question {qid}"
        choice_list = self.choice_list_of(item, where)
        if qtype == "grid" and "rows" not in item:
            self.problem(
                where,
                'type \'grid\' needs rows; add "rows": [{"id": …, "label": {…}}]',
                'loại \'grid\' cần các dòng; hãy thêm "rows": [{"id": …, "label": {…}}]',
            )
        if qtype != "grid" and "rows" in item:
            self.problem(
                where,
                f'only grid questions have rows; remove "rows" or change the '
                f"type '{qtype}' to grid",
                f'chỉ câu hỏi dạng bảng (grid) mới có dòng; hãy xóa "rows" hoặc đổi '
                f"loại '{qtype}' thành grid",
            )
        self.check_round_placeholders(item, where)
        rows = item.get("rows", [])
        seen_rows: set[str] = set()
        for grid_row in rows:
            if grid_row["id"] in seen_rows:
                self.problem(
                    where,
                    f"grid row '{grid_row['id']}' is listed twice; give each row its own id",
                    f"dòng '{grid_row['id']}' có hai lần; mỗi dòng cần một mã riêng",
                )
            seen_rows.add(grid_row["id"])
        has_constraint, has_message = "constraint" in item, "constraint_message" in item
        if has_constraint and not has_message:
            self.problem(
                where,
                "constraint has no constraint_message; add "
                '"constraint_message": {"vi": …, "en": …}',
                "constraint chưa có constraint_message; hãy thêm "
                '"constraint_message": {"vi": …, "en": …}',
            )
        if has_message and not has_constraint:
            self.problem(
                where,
                "constraint_message without a constraint; add the constraint or remove the message",
                "có constraint_message nhưng không có constraint; hãy thêm constraint "
                "hoặc xóa thông báo",
            )
        if qtype == "calculate" and "calculation" not in item:
            self.problem(
                where,
                'type \'calculate\' needs a calculation; add "calculation": "<expression>"',
                'loại \'calculate\' cần calculation; hãy thêm "calculation": "<biểu thức>"',
            )
        if qtype != "calculate" and "calculation" in item:
            self.problem(
                where,
                f"only calculate questions have a calculation; remove it or "
                f"change the type '{qtype}' to calculate",
                f"chỉ câu hỏi loại calculate mới có calculation; hãy xóa nó hoặc đổi "
                f"loại '{qtype}' thành calculate",
            )
        if "choice_filter" in item and choice_list is None:
            self.problem(
                where,
                "choice_filter needs a question with choices; remove it",
                "choice_filter chỉ dùng cho câu hỏi có lựa chọn; hãy xóa nó",
            )
        if "generate" in item and qtype != "text":
            self.problem(
                where,
                f'only text questions can be generated; remove "generate" or change the '
                f"type '{qtype}' to text",
                f'chỉ câu hỏi loại text mới được tạo tự động; hãy xóa "generate" hoặc đổi '
                f"loại '{qtype}' thành text",
            )
        if qtype in _NO_MISSING_CODES and item.get("missing_codes"):
            self.problem(
                where,
                f"type '{qtype}' cannot take missing codes; remove missing_codes",
                f"loại '{qtype}' không dùng mã thiếu; hãy xóa missing_codes",
            )
        if qtype in _NO_ANSWER and item.get("required"):
            self.problem(
                where,
                f'a {qtype} question has no answer to require; remove "required"',
                f'câu hỏi loại {qtype} không có câu trả lời để bắt buộc; hãy xóa "required"',
            )
        relevant = self.compile(item.get("relevant"), where, "relevant", self.scope(group), qid)
        current = qid if qid in self.names else ""
        constraint = self.compile(
            item.get("constraint"), where, "constraint", self.scope(group, current=current), qid
        )
        calculation = self.compile(
            item.get("calculation"), where, "calculation", self.scope(group), qid
        )
        choice_filter = None
        if choice_list is not None:
            choice_filter = self.compile(
                item.get("choice_filter"),
                where,
                "choice_filter",
                self.scope(group, attributes=True),
                qid,
            )
            if choice_filter is not None:
                self.check_attributes(choice_filter, choice_list, where)
        return Question(
            id=qid,
            type=qtype,
            label=_label(item["label"]),
            section=section,
            group=group,
            hint=_label(item.get("hint")),
            variable_label=_label(item.get("variable_label")),
            required=bool(item.get("required", False)),
            missing_codes=tuple(sorted(item.get("missing_codes", []))),
            relevant=item.get("relevant"),
            constraint=item.get("constraint"),
            constraint_message=_label(item.get("constraint_message")),
            choices=choice_list,
            choice_filter=item.get("choice_filter"),
            calculation=item.get("calculation"),
            rows=tuple(GridRow(r["id"], _label(r["label"])) for r in rows),
            identifying=bool(item.get("identifying", False)),
            sensitive=bool(item.get("sensitive", False)),
            generate=item.get("generate"),
            relevant_ast=relevant,
            constraint_ast=constraint,
            choice_filter_ast=choice_filter,
            calculation_ast=calculation,
        )

    def check_round_placeholders(self, item: Mapping[str, Any], where: str) -> None:
        """A ``{round.<name>}`` in a label or hint must name a round setting (FORMAT.md)."""
        for field in ("label", "hint"):
            texts = item.get(field) or {}
            for lang in ("vi", "en"):
                for name in round_setting_names(texts.get(lang, "")):
                    if name in SETTING_NAMES:
                        continue
                    known = ", ".join(f"{{round.{n}}}" for n in SETTING_NAMES)
                    self.problem(
                        where,
                        f"{field} ({lang}) quotes {{round.{name}}}, which is not a round "
                        f"setting; use one of {known}",
                        f"{field} ({lang}) dùng {{round.{name}}}, không phải thiết lập của đợt "
                        f"điều tra; hãy dùng một trong {known}",
                    )

    def check_attributes(self, ast: Node, choice_list: ChoiceList, where: str) -> None:
        allowed = {"code", "name"}
        for choice in choice_list:
            allowed.update(choice.attributes)
        for name in sorted(_attributes(ast) - allowed):
            listed = ", ".join(sorted(allowed))
            self.problem(
                where,
                f"choice_filter reads '{name}', which the choices of "
                f"'{choice_list.name}' do not have; use one of "
                f"{listed} or add '{name}' to the choices",
                f"choice_filter đọc '{name}' nhưng các lựa chọn của "
                f"'{choice_list.name}' không có thuộc tính này; hãy dùng một trong "
                f"{listed} hoặc thêm '{name}' vào các lựa chọn",
            )

    def group(self, item: Mapping[str, Any], section: str, parent: str | None) -> RepeatGroup:
        gid = item["id"]
        where = f"group {gid}"
        count_text = item.get("count")
        count = self.compile(count_text, where, "count", self.scope(parent))
        plain = _PLAIN_REF.match(count_text) if count_text else None
        if plain and count is not None:
            target = plain.group(1)
            inside = self.inside(target, gid)
            if inside:
                self.problem(
                    where,
                    f"count ${{{target}}} is a question of the group itself; "
                    f"count must read an integer question asked before the group",
                    f"count ${{{target}}} là câu hỏi của chính nhóm này; count phải "
                    f"đọc một câu hỏi số nguyên hỏi trước nhóm",
                )
            elif self.kind.get(target) != "question" or self.raw[target]["type"] != "integer":
                kind = self.kind.get(target, "question")
                if kind == "question":
                    what = f"a {self.raw[target]['type']} question"
                    what_vi = f"câu hỏi loại {self.raw[target]['type']}"
                else:
                    what, what_vi = f"a {kind}", _KIND_VI[kind]
                self.problem(
                    where,
                    f"count ${{{target}}} points at {what}, not an integer "
                    f"question; make {target} an integer question or count with "
                    f"another one",
                    f"count ${{{target}}} trỏ tới {what_vi}, không phải câu hỏi số "
                    f"nguyên; hãy đổi {target} thành câu hỏi integer hoặc đếm bằng "
                    f"câu hỏi khác",
                )
        relevant = self.compile(item.get("relevant"), where, "relevant", self.scope(parent))
        items = tuple(self.item(child, section, gid) for child in item["items"])
        return RepeatGroup(
            id=gid,
            unit=item["unit"],
            label=_label(item["label"]),
            section=section,
            items=items,
            parent=parent,
            hint=_label(item.get("hint")),
            count=count_text,
            relevant=item.get("relevant"),
            count_ast=count,
            relevant_ast=relevant,
        )

    def inside(self, ident: str, group: str) -> bool:
        owner = self.member_of.get(ident)
        while owner is not None:
            if owner == group:
                return True
            owner = self.member_of.get(owner)
        return False

    def item(
        self, item: Mapping[str, Any], section: str, group: str | None
    ) -> Question | RepeatGroup:
        if item.get("type") == "repeat":
            return self.group(item, section, group)
        return self.question(item, section, group)

    def check_calculation_cycles(self, questions: Mapping[str, Question]) -> None:
        graph = {
            q.id: sorted(
                n
                for n in references(q.calculation_ast)
                if n in questions and questions[n].type == "calculate"
            )
            for q in questions.values()
            if q.type == "calculate" and q.calculation_ast is not None
        }
        state: dict[str, int] = {}

        def visit(node: str, trail: list[str]) -> None:
            state[node] = 1
            for nxt in graph.get(node, []):
                if state.get(nxt) == 1:
                    cycle = " → ".join([*trail[trail.index(nxt) :], nxt]) if nxt in trail else nxt
                    self.problem(
                        f"question {node}",
                        f"calculations depend on each other in a "
                        f"circle ({cycle}); break the circle",
                        f"các phép tính phụ thuộc lẫn nhau thành vòng ({cycle}); hãy phá vòng này",
                    )
                elif nxt not in state:
                    visit(nxt, [*trail, nxt])
            state[node] = 2

        for node in graph:
            if node not in state:
                visit(node, [node])

    def interrupt(self, sections: list[Section]) -> Interrupt | None:
        """Check the interrupt control: its pages exist and its alternate page records nothing."""
        raw = self.doc.get("interrupt")
        if raw is None:
            return None
        by_id = {section.id: section for section in sections}
        alternate = by_id.get(raw["alternate"])
        if alternate is None:
            self.problem(
                "interrupt",
                f"alternate names '{raw['alternate']}', which is not a section; name the section "
                f"of substitute questions",
                f"alternate trỏ tới '{raw['alternate']}', không phải là một phần; hãy ghi mã phần "
                f"câu hỏi thay thế",
            )
        else:
            if alternate.relevant is not None:
                self.problem(
                    "interrupt",
                    f"section {alternate.id} is the alternate page, shown only when interrupted; "
                    f'remove its "relevant"',
                    f"phần {alternate.id} là trang thay thế, chỉ hiện khi bị gián đoạn; hãy xóa "
                    f'"relevant" của nó',
                )
            for item in alternate.items:
                if isinstance(item, RepeatGroup) or item.type != "note":
                    self.problem(
                        "interrupt",
                        f"{item.id} in the alternate section {alternate.id} is not a note; "
                        f"substitute questions record nothing, so make it a note",
                        f"{item.id} trong phần thay thế {alternate.id} không phải là ghi chú; câu "
                        f"hỏi thay thế không ghi câu trả lời, hãy để loại note",
                    )
        for sid in raw["sections"]:
            if sid not in by_id or sid == raw["alternate"]:
                self.problem(
                    "interrupt",
                    f"sections lists '{sid}', which is not a section other than the alternate; "
                    f"list the pages that show the control",
                    f"sections có '{sid}', không phải là một phần (ngoài phần thay thế); hãy ghi "
                    f"các trang có nút gián đoạn",
                )
        return Interrupt(
            alternate=raw["alternate"],
            sections=tuple(raw["sections"]),
            label=_label(raw["label"]),
            resume_label=_label(raw.get("resume_label")),
            later_label=_label(raw.get("later_label")),
        )

    def selection(
        self, questions: Mapping[str, Question], groups: Mapping[str, RepeatGroup]
    ) -> Selection | None:
        """Check the selection rule: every name it gives is a question of the right kind and
        place, the eligibility compiles on a roster row, and a hand-off to the women's module
        carries the link code and nothing that names or locates the person."""
        raw = self.doc.get("selection")
        if raw is None:
            return None
        roster = raw["roster"]
        group = groups.get(roster)
        if group is None or group.parent is not None:
            self.problem(
                "selection",
                f"roster names '{roster}', which is not a top-level repeat group; name the "
                f"household roster",
                f"roster trỏ tới '{roster}', không phải là nhóm lặp cấp ngoài cùng; hãy ghi mã "
                f"danh sách thành viên hộ",
            )

        def check(key: str, ident: str, types: tuple[str, ...], member: bool) -> None:
            q = questions.get(ident)
            place_en = f"a question of the roster {roster}" if member else "a top-level question"
            place_vi = f"câu hỏi trong nhóm {roster}" if member else "câu hỏi cấp ngoài cùng"
            wanted = " or ".join(types)
            if q is None or q.group != (roster if member else None) or q.type not in types:
                self.problem(
                    "selection",
                    f"{key} names '{ident}', which is not {place_en} of type {wanted}; "
                    f"name such a question",
                    f"{key} trỏ tới '{ident}', không phải là {place_vi} loại {wanted}; hãy ghi "
                    f"mã một câu hỏi như vậy",
                )

        check("question", raw["question"], ("single", "integer"), False)
        check("kish_number", raw["kish_number"], ("integer",), False)
        check("oldest_first", raw["oldest_first"], ("integer",), True)
        if "name" in raw:
            check("name", raw["name"], ("text",), True)
        eligible = self.compile(
            raw["eligible"],
            "selection",
            "eligible",
            self.scope(roster if group is not None else None),
        )
        handoffs = []
        for unit, entry in raw.get("handoff", {}).items():
            where = f"selection, handoff to {unit}"
            sources = set(entry["prefill"].values())
            for target, source in entry["prefill"].items():
                q = questions.get(source)
                if q is None or q.group not in (None, roster) or q.type == "note":
                    self.problem(
                        where,
                        f"prefill of {target} names '{source}', which is not a question of the "
                        f"form or of its roster {roster}; name the question that answers it",
                        f"prefill của {target} trỏ tới '{source}', không phải là câu hỏi của "
                        f"phiếu hay của nhóm {roster}; hãy ghi mã câu hỏi trả lời nó",
                    )
            if unit == "women":
                named = sorted(
                    s
                    for s in sources
                    if s in questions
                    and (questions[s].identifying or s in (raw["kish_number"], raw.get("name")))
                )
                if named or "line" in entry:
                    what = ", ".join(named + (["line"] if "line" in entry else []))
                    self.problem(
                        where,
                        f"the women's module may not carry {what}: it would link her record to "
                        f"a named or numbered person; link it by a random_id question only",
                        f"mô-đun phụ nữ không được mang {what}: nó sẽ nối phiếu của chị với một "
                        f"người có tên hay số thứ tự; chỉ nối bằng một câu hỏi random_id",
                    )
                if not any(
                    s in questions and questions[s].generate == "random_id" for s in sources
                ):
                    self.problem(
                        where,
                        "the women's module must be linked to the household by a question with "
                        'generate "random_id" (the link code); add it to prefill',
                        "mô-đun phụ nữ phải được nối với hộ bằng một câu hỏi có generate "
                        '"random_id" (mã liên kết); hãy thêm nó vào prefill',
                    )
            handoffs.append(Handoff(unit, dict(entry["prefill"]), entry.get("line")))
        try:
            grid = kish_grid()
        except QuestionnaireError as exc:
            self.problems.extend(exc.messages)
            self.problems_vi.extend(exc.messages_vi)
            grid = ()
        return Selection(
            question=raw["question"],
            roster=roster,
            eligible=raw["eligible"],
            oldest_first=raw["oldest_first"],
            kish_number=raw["kish_number"],
            name=raw.get("name"),
            handoff=tuple(handoffs),
            eligible_ast=eligible,
            grid=grid,
        )

    def build(self) -> Questionnaire:
        doc = self.doc
        if self.stem is not None and doc["id"] != self.stem:
            self.problem(
                None,
                f"id '{doc['id']}' does not match the file name "
                f"'{self.stem}.json'; make them the same",
                f"id '{doc['id']}' không khớp với tên tệp '{self.stem}.json'; hãy đặt giống nhau",
            )
        self.collect()
        self.build_choice_lists()
        self.known = frozenset(
            ident for ident, kind in self.kind.items() if kind in ("question", "repeat group")
        )
        self.member_questions = {
            ident: group
            for ident, group in self.member_of.items()
            if self.kind.get(ident) == "question"
        }
        self.names: dict[str, dict[str, int]] = {}
        for ident, raw in self.raw.items():
            qtype = raw.get("type")
            listed = _BUILTIN_TYPES.get(str(qtype)) or (
                raw.get("choices") if qtype in ("single", "multi") else None
            )
            if listed in self.choice_lists:
                self.names[ident] = self.choice_lists[listed].names()
        sections = []
        for raw_section in doc["sections"]:
            sid = raw_section["id"]
            relevant = self.compile(
                raw_section.get("relevant"), f"section {sid}", "relevant", self.scope(None)
            )
            items = tuple(self.item(child, sid, None) for child in raw_section["items"])
            sections.append(
                Section(
                    sid, _label(raw_section["title"]), items, raw_section.get("relevant"), relevant
                )
            )
        questions: dict[str, Question] = {}
        groups: dict[str, RepeatGroup] = {}
        for section in sections:
            _index(section.items, questions, groups)
        self.check_calculation_cycles(questions)
        interrupt = self.interrupt(sections)
        selection = self.selection(questions, groups)
        analysis = doc["analysis"]
        sex = analysis.get("sex")
        if sex is not None and sex not in questions:
            self.problem(
                "analysis",
                f"sex names '{sex}', which is not a question; name the "
                f"question that records the respondent's sex",
                f"sex trỏ tới '{sex}', không phải là câu hỏi; hãy ghi mã câu hỏi "
                f"ghi giới tính người trả lời",
            )
        if self.problems:
            raise QuestionnaireError(self.problems, self.problems_vi)
        return Questionnaire(
            id=doc["id"],
            version=doc["version"],
            title=_label(doc["title"]),
            unit=doc["unit"],
            analysis=AnalysisMeta(
                weight=analysis["weight"],
                stratum=analysis["stratum"],
                psu=analysis["psu"],
                fpc=analysis.get("fpc"),
                sex=sex,
            ),
            sections=tuple(sections),
            choice_lists=dict(self.choice_lists),
            content_hash=content_hash(doc),
            languages=tuple(doc["languages"]),
            default_language=doc["default_language"],
            sensitive=bool(doc.get("sensitive", doc["unit"] == "women")),
            description=_label(doc.get("description")),
            source=self.display,
            interrupt=interrupt,
            selection=selection,
            _questions=questions,
            _groups=groups,
        )


_KIND_VI = {
    "section": "phần",
    "question": "câu hỏi",
    "repeat group": "nhóm lặp",
    "grid row": "dòng của bảng",
}
_WHERE_VI = (
    (re.compile(r"^question "), "câu hỏi "),
    (re.compile(r"^group "), "nhóm "),
    (re.compile(r"^section "), "phần "),
    (re.compile(r"^choice list "), "danh sách lựa chọn "),
    (re.compile(r", choice (\d+)"), r", lựa chọn \1"),
    (re.compile(r"\(code (-?\d+)\)"), r"(mã \1)"),
    (re.compile(r"number (\d+)$"), r"số \1"),
)


def _where_vi(where: str | None) -> str | None:
    """Say ``question A05``-style places in Vietnamese (``câu hỏi A05``)."""
    if where is None:
        return None
    for pattern, replacement in _WHERE_VI:
        where = pattern.sub(replacement, where)
    return where


def _message(display: str, where: str | None, text: str) -> str:
    return f"{display}: {where}: {text}" if where else f"{display}: {text}"


@overload
def _label(raw: Mapping[str, str]) -> Label: ...


@overload
def _label(raw: None) -> None: ...


def _label(raw: Mapping[str, str] | None) -> Label | None:
    return None if raw is None else Label(raw["vi"], raw["en"])


def _attributes(ast: Node) -> set[str]:
    found: set[str] = set()
    stack = [ast]
    while stack:
        node = stack.pop()
        if node["node"] == "attr":
            found.add(node["name"])
        elif node["node"] == "binary":
            stack.extend((node["left"], node["right"]))
        elif node["node"] == "negate":
            stack.append(node["operand"])
        elif node["node"] == "call":
            stack.extend(node["args"])
    return found


def _index(
    items: tuple[Question | RepeatGroup, ...],
    questions: dict[str, Question],
    groups: dict[str, RepeatGroup],
) -> None:
    for item in items:
        if isinstance(item, RepeatGroup):
            groups[item.id] = item
            _index(item.items, questions, groups)
        else:
            questions[item.id] = item


# --------------------------------------------------------------------------- public API


def questionnaire_from_dict(
    document: Any, source: str = "<questionnaire>", file_stem: str | None = None
) -> Questionnaire:
    """Check a questionnaire given as parsed JSON and build it.

    ``source`` names it in messages (e.g. ``forms/kap.json``); when ``file_stem`` is given the
    questionnaire's id must equal it. Raises QuestionnaireError listing every problem.
    """
    problems = _schema_messages(document)
    if problems:
        raise QuestionnaireError(
            [_message(source, where, en) for where, en, _ in problems],
            [_message(source, _where_vi(where), vi) for where, _, vi in problems],
        )
    return _Builder(document, source, file_stem).build()


_CACHE: dict[tuple[str, str], Questionnaire] = {}


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load, check and build one questionnaire file; raise QuestionnaireError on any mistake.

    Loaded questionnaires are frozen, so they are cached by path and content.
    """
    path = Path(path)
    display = _display(path)
    text = read_text(path, display)
    key = (str(path.resolve()), hashlib.sha256(text.encode("utf-8")).hexdigest())
    if key in _CACHE:
        return _CACHE[key]
    document = parse_json(text, display)
    questionnaire = questionnaire_from_dict(document, display, path.stem)
    _CACHE[key] = questionnaire
    return questionnaire


def bundled_paths() -> list[Path]:
    """Paths of the bundled questionnaire files (``questionnaires/forms/*.json``), sorted."""
    forms = Path(str(resources.files("questionnaires"))) / "forms"
    return sorted(forms.glob("*.json")) if forms.is_dir() else []


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("."))


def earlier_version_paths() -> list[Path]:
    """Paths of the earlier published versions kept beside the current forms, oldest first.

    A form's current version is ``forms/<id>.json``; each earlier version it replaced stays,
    unchanged, as ``forms/versions/<version>/<id>.json``, so interviews collected on it keep the
    definition they were asked with and a new installation can publish it too.
    """
    root = Path(str(resources.files("questionnaires"))) / "forms" / "versions"
    if not root.is_dir():
        return []
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: _version_key(p.name))
    return [path for folder in folders for path in sorted(folder.glob("*.json"))]


def load_bundled() -> dict[str, Questionnaire]:
    """Load every bundled questionnaire as ``{id: Questionnaire}``.

    Raises one QuestionnaireError with the messages of every broken form.
    """
    forms: dict[str, Questionnaire] = {}
    problems: list[str] = []
    problems_vi: list[str] = []
    for path in bundled_paths():
        try:
            questionnaire = load_questionnaire(path)
        except QuestionnaireError as exc:
            problems.extend(exc.messages)
            problems_vi.extend(exc.messages_vi)
            continue
        forms[questionnaire.id] = questionnaire
    if problems:
        raise QuestionnaireError(problems, problems_vi)
    return forms
