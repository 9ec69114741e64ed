"""Load and check table plans (``questionnaires/tables/<id>.json``) against the questionnaires.

A table plan says which tables a report holds and how each number is computed: indicators as a
population filter plus a numerator (and, for ratios, a denominator) written in the questionnaire
expression language over question ids, background row variables, the KAP and support-needs
scoring items, and the plan-monitoring targets. Like a questionnaire, a plan is checked in two
passes: structure (``tables/schema.json``) and meaning (every form, question, indicator, row
variable and department it names exists; every expression compiles against its source form).
All problems are reported together in one :class:`QuestionnaireError`, each message saying
where, what and how to fix it, in English and Vietnamese::

    tables/langson.json: table D4.3: indicator 'I4.9' is not defined; add it under indicators
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jsonschema

from questionnaires.errors import ExpressionSyntaxError, QuestionnaireError
from questionnaires.expressions import Scope, compile_expression
from questionnaires.files import read_json, schema_where
from questionnaires.loader import load_bundled
from questionnaires.model import Questionnaire
from questionnaires.targets import load_targets

__all__ = [
    "DEFAULT_SETTINGS",
    "HOUSEHOLD_DERIVED",
    "KAP_DERIVED",
    "LATEST_COLUMN",
    "TablePlan",
    "bundled_plan_path",
    "load_plan",
    "plan_from_dict",
    "source_scope",
]

#: Settings a plan may override: suppression and parentheses thresholds (unweighted n), GPI band.
DEFAULT_SETTINGS: dict[str, float] = {
    "suppress_below": 25,
    "parentheses_below": 50,
    "gpi_low": 0.97,
    "gpi_high": 1.03,
    "confidence": 0.95,
}

#: Columns the report derives for each household from its roster (analysis/indicators.py):
#: the head's sex and ethnicity (M02 = head), whether a business owner (D2_02) is a woman, and
#: the commune's ethnic-minority area class and Programme-135 status from the commune form.
HOUSEHOLD_DERIVED = ("head_sex", "head_ethnicity", "owner_female", "COM_AREA", "COM_135")

#: Column the report adds to a source that declares ``latest`` (analysis/indicators.py): 1 on
#: the last row of each person by the ``order`` columns (a mother's most recent birth), else 0.
LATEST_COLUMN = "is_latest"

#: Columns analysis/kap.py adds to the KAP source, usable in indicator expressions.
KAP_DERIVED = (
    "kap_knowledge_score",
    "kap_knowledge_adequate",
    "kap_knowledge_level",
    "kap_attitude_index",
    "kap_attitude_band",
    "kap_wb_any",
    "kap_wb_count",
    "kap_chore_index",
    "kap_decide_all_three",
    "kap_decide_none",
)

_KAP_ITEM_LISTS = ("knowledge", "attitude", "wife_beating")


@dataclass(frozen=True)
class TablePlan:
    """A checked table plan: the JSON document plus the compiled indicator expressions."""

    id: str
    version: str
    source_file: str
    document: dict[str, Any] = field(repr=False)
    asts: dict[str, dict[str, Any]] = field(repr=False)

    @property
    def settings(self) -> dict[str, float]:
        """Thresholds, with the defaults filled in."""
        return {**DEFAULT_SETTINGS, **self.document.get("settings", {})}

    @property
    def title(self) -> dict[str, str]:
        return cast(dict[str, str], self.document["title"])

    @property
    def tables(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self.document["tables"])

    @property
    def indicators(self) -> dict[str, dict[str, Any]]:
        return cast(dict[str, dict[str, Any]], self.document["indicators"])

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        return cast(dict[str, dict[str, Any]], self.document["sources"])

    @property
    def row_variables(self) -> dict[str, dict[str, Any]]:
        return cast(dict[str, dict[str, Any]], self.document["row_variables"])

    @property
    def departments(self) -> dict[str, dict[str, str]]:
        return cast(dict[str, dict[str, str]], self.document["departments"])

    @property
    def design(self) -> dict[str, str]:
        return cast(dict[str, str], self.document["design"])

    @property
    def kap(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.document.get("kap", {}))

    @property
    def support_needs(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.document.get("support_needs", {}))


def bundled_plan_path(plan_id: str = "langson") -> Path:
    """Path of a bundled plan (``questionnaires/tables/<id>.json``)."""
    return Path(str(resources.files("questionnaires"))) / "tables" / f"{plan_id}.json"


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    text = resources.files("questionnaires").joinpath("tables/schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def load_plan(path: str | Path, forms: dict[str, Questionnaire] | None = None) -> TablePlan:
    """Read, check and compile a table plan file; raise QuestionnaireError listing every problem."""
    path = Path(path)
    display = f"tables/{path.name}" if path.parent.name == "tables" else str(path)
    document = read_json(path, display)
    return plan_from_dict(document, display, forms)


def source_scope(
    plan_doc: dict[str, Any], source_id: str, forms: dict[str, Questionnaire]
) -> Scope:
    """The names an expression over one source may use, with the form's choice names.

    A source is flat (one row per household, roster member, respondent…), so repeat-group
    members are plain columns; attached household columns and the derived household columns
    are names too.
    """
    source = plan_doc["sources"][source_id]
    form = forms[source["form"]]
    known: set[str] = set()
    choice_names: dict[str, dict[str, int]] = {}
    for question in form.iter_questions():
        known.add(question.id)
        for row in question.rows:
            known.add(f"{question.id}_{row.id}")
        if question.choices is not None and question.type != "grid":
            choice_names[question.id] = dict(question.choices.names())
    known.update(source.get("attach", ()))
    known.update(plan_doc.get("design", {}).values())
    if source.get("line"):
        known.add(source["line"])
    if source.get("group") is None and form.unit == "household":
        known.update(HOUSEHOLD_DERIVED)
    if plan_doc.get("kap", {}).get("source") == source_id:
        known.update(KAP_DERIVED)
    if source.get("latest"):
        known.add(LATEST_COLUMN)
    household = forms.get("household")
    if household is not None:
        for name in source.get("attach", ()):
            try:
                question = household.question(name)
            except (KeyError, LookupError):
                continue
            if question.choices is not None and question.type in ("single", "multi"):
                choice_names[name] = dict(question.choices.names())
    return Scope(
        choice_names=choice_names, known=frozenset(known), allow_current=False, attributes=False
    )


class _Problems:
    def __init__(self, display: str) -> None:
        self.display = display
        self.en: list[str] = []
        self.vi: list[str] = []

    def add(self, where: str, where_vi: str, en: str, vi: str) -> None:
        self.en.append(f"{self.display}: {where}: {en}")
        self.vi.append(f"{self.display}: {where_vi}: {vi}")


def plan_from_dict(
    document: Any, display: str = "tables/plan.json", forms: dict[str, Questionnaire] | None = None
) -> TablePlan:
    """Check a plan held in memory and compile its expressions (tests build broken plans so)."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        en, vi = [], []
        for error in errors[:20]:
            where = schema_where(list(error.absolute_path), document)
            en.append(f"{display}: {where}: {error.message}; fix it as tables/schema.json says")
            vi.append(f"{display}: {where}: {error.message}; hãy sửa theo tables/schema.json")
        raise QuestionnaireError(en, vi)
    forms = load_bundled() if forms is None else forms
    problems = _Problems(display)
    asts: dict[str, dict[str, Any]] = {}
    _check_settings(document, problems)
    _check_sources(document, forms, problems)
    _check_row_variables(document, forms, problems)
    _check_indicators(document, forms, problems, asts)
    _check_sections(document, forms, problems)
    _check_tables(document, forms, problems, asts)
    if problems.en:
        raise QuestionnaireError(problems.en, problems.vi)
    return TablePlan(document["id"], document["version"], display, document, asts)


def _check_settings(doc: dict[str, Any], problems: _Problems) -> None:
    settings = {**DEFAULT_SETTINGS, **doc.get("settings", {})}
    if settings["parentheses_below"] < settings["suppress_below"]:
        problems.add(
            "settings",
            "settings",
            "parentheses_below is smaller than suppress_below; make it at least as large",
            "parentheses_below nhỏ hơn suppress_below; hãy đặt lớn hơn hoặc bằng",
        )
    if settings["gpi_low"] >= settings["gpi_high"]:
        problems.add(
            "settings",
            "settings",
            "gpi_low must be below gpi_high; swap them",
            "gpi_low phải nhỏ hơn gpi_high; hãy đổi chỗ",
        )


def _question_ids(form: Questionnaire) -> set[str]:
    ids = set()
    for question in form.iter_questions():
        ids.add(question.id)
        ids.update(f"{question.id}_{row.id}" for row in question.rows)
    return ids


def _check_sources(
    doc: dict[str, Any], forms: dict[str, Questionnaire], problems: _Problems
) -> None:
    for sid, source in doc["sources"].items():
        where, where_vi = f"source {sid}", f"nguồn {sid}"
        form = forms.get(source["form"])
        if form is None:
            known = ", ".join(sorted(forms))
            problems.add(
                where,
                where_vi,
                f"form '{source['form']}' is not a bundled questionnaire; use one of {known}",
                f"phiếu '{source['form']}' không có; hãy dùng một trong {known}",
            )
            continue
        group = source.get("group")
        if group is not None and group not in {g.id for g in form.groups}:
            problems.add(
                where,
                where_vi,
                f"form '{form.id}' has no repeat group '{group}'; name one of its groups",
                f"phiếu '{form.id}' không có nhóm lặp '{group}'; hãy ghi đúng tên nhóm",
            )
        sex = source.get("sex")
        if sex is not None and sex not in _question_ids(form):
            problems.add(
                where,
                where_vi,
                f"sex column '{sex}' is not a question of form '{form.id}'; name the "
                f"question that records sex",
                f"cột giới tính '{sex}' không phải câu hỏi của phiếu '{form.id}'; hãy "
                f"ghi câu hỏi ghi giới tính",
            )
        latest = source.get("latest") or {}
        for name in [*latest.get("within", ()), *latest.get("order", ())]:
            if name not in _question_ids(form):
                problems.add(
                    where,
                    where_vi,
                    f"latest: '{name}' is not a question of form '{form.id}'; name the "
                    f"questions that identify the person (within) and date the row (order)",
                    f"latest: '{name}' không phải câu hỏi của phiếu '{form.id}'; hãy ghi "
                    f"câu hỏi xác định người (within) và thời điểm (order)",
                )


def _check_row_variables(
    doc: dict[str, Any], forms: dict[str, Questionnaire], problems: _Problems
) -> None:
    for rid, variable in doc["row_variables"].items():
        where, where_vi = f"row variable {rid}", f"biến dòng {rid}"
        if "column" not in variable and "derived" not in variable:
            problems.add(
                where,
                where_vi,
                "needs 'column' or 'derived'; add one",
                "cần 'column' hoặc 'derived'; hãy thêm một trong hai",
            )
        column = variable.get("column")
        if isinstance(column, dict):
            for sid in column:
                if sid not in doc["sources"]:
                    problems.add(
                        where,
                        where_vi,
                        f"column given for unknown source '{sid}'; use a source id",
                        f"cột ghi cho nguồn không có '{sid}'; hãy dùng mã nguồn",
                    )
        choices = variable.get("choices")
        if choices is not None:
            form = forms.get(choices["form"])
            if form is None or choices["question"] not in _question_ids(form):
                problems.add(
                    where,
                    where_vi,
                    f"choices come from question '{choices['question']}' of form "
                    f"'{choices['form']}', which does not exist; fix the names",
                    f"nhãn lấy từ câu '{choices['question']}' của phiếu "
                    f"'{choices['form']}' không tồn tại; hãy sửa tên",
                )
        bins = variable.get("bins")
        # One list for every source, or one per source (individuals 18–64, members 15+).
        for edges in (bins.values() if isinstance(bins, dict) else [bins]) if bins else []:
            if sorted(edges) != list(edges):
                problems.add(
                    where,
                    where_vi,
                    "bins must increase; sort them",
                    "bins phải tăng dần; hãy sắp xếp lại",
                )


def _compile(
    text: str, scope: Scope, where: str, where_vi: str, what: str, problems: _Problems
) -> dict[str, Any] | None:
    try:
        return compile_expression(text, scope)
    except ExpressionSyntaxError as exc:
        problems.add(
            where,
            where_vi,
            f"{what} '{text}': column {exc.column}: {exc.reason}; fix the expression",
            f"{what} '{text}': cột {exc.column}: {exc.reason_vi}; hãy sửa biểu thức",
        )
        return None


def _check_indicators(
    doc: dict[str, Any],
    forms: dict[str, Questionnaire],
    problems: _Problems,
    asts: dict[str, dict[str, Any]],
) -> None:
    for iid, indicator in doc["indicators"].items():
        where, where_vi = f"indicator {iid}", f"chỉ số {iid}"
        sid = indicator["source"]
        if sid not in doc["sources"] or doc["sources"][sid]["form"] not in forms:
            problems.add(
                where,
                where_vi,
                f"source '{sid}' is not defined; add it under sources",
                f"nguồn '{sid}' chưa khai báo; hãy thêm vào sources",
            )
            continue
        scope = source_scope(doc, sid, forms)
        compiled: dict[str, Any] = {}
        for key in ("population", "numerator", "denominator"):
            if key in indicator:
                ast = _compile(indicator[key], scope, where, where_vi, key, problems)
                if ast is not None:
                    compiled[key] = ast
        if indicator["type"] == "ratio" and "denominator" not in indicator:
            problems.add(
                where,
                where_vi,
                "a ratio needs a denominator; add one",
                "tỷ số cần mẫu số (denominator); hãy thêm",
            )
        for qid in indicator.get("answered", ()):
            if scope.known is not None and qid not in scope.known:
                problems.add(
                    where,
                    where_vi,
                    f"answered lists '{qid}', which is not a question of source '{sid}'",
                    f"answered có '{qid}', không phải câu hỏi của nguồn '{sid}'",
                )
        asts[iid] = compiled


def _check_sections(
    doc: dict[str, Any], forms: dict[str, Questionnaire], problems: _Problems
) -> None:
    """KAP and support-needs items must be questions of their source's form."""
    for section in ("kap", "support_needs"):
        spec = doc.get(section)
        if not spec:
            continue
        sid = spec.get("source")
        if sid not in doc["sources"] or doc["sources"][sid]["form"] not in forms:
            problems.add(
                section,
                section,
                f"source '{sid}' is not defined; add it under sources",
                f"nguồn '{sid}' chưa khai báo; hãy thêm vào sources",
            )
            continue
        ids = _question_ids(forms[doc["sources"][sid]["form"]])
        names: list[str] = []
        if section == "kap":
            for key in _KAP_ITEM_LISTS:
                names.extend(spec.get(key, {}).get("items", ()))
            names.extend(spec.get("attitude", {}).get("reverse", ()))
            for key in ("decisions", "chores"):
                if key in spec:
                    names.append(spec[key]["grid"])
        else:
            names.extend([spec.get("need", ""), spec.get("barriers", "")])
            names.extend(spec.get("priorities", ()))
        for name in names:
            if name and name not in ids:
                problems.add(
                    section,
                    section,
                    f"item '{name}' is not a question of form "
                    f"'{doc['sources'][sid]['form']}'; fix the id",
                    f"mục '{name}' không phải câu hỏi của phiếu "
                    f"'{doc['sources'][sid]['form']}'; hãy sửa mã",
                )


def _check_tables(
    doc: dict[str, Any],
    forms: dict[str, Questionnaire],
    problems: _Problems,
    asts: dict[str, dict[str, Any]],
) -> None:
    seen: set[str] = set()
    departments = doc["departments"]
    for table in doc["tables"]:
        tid = table["id"]
        where, where_vi = f"table {tid}", f"bảng {tid}"
        if tid in seen:
            problems.add(
                where,
                where_vi,
                "the id is used twice; give each table its own id",
                "mã bảng bị trùng; mỗi bảng cần một mã riêng",
            )
        seen.add(tid)
        for dep in table["departments"]:
            if dep not in departments:
                problems.add(
                    where,
                    where_vi,
                    f"department '{dep}' is not defined; add it under departments",
                    f"sở/ngành '{dep}' chưa khai báo; hãy thêm vào departments",
                )
        for rid in table.get("rows", ()):
            if rid not in doc["row_variables"]:
                problems.add(
                    where,
                    where_vi,
                    f"row variable '{rid}' is not defined; add it under row_variables",
                    f"biến dòng '{rid}' chưa khai báo; hãy thêm vào row_variables",
                )
        kind = table["kind"]
        if kind in ("indicator", "median") and table.get("indicator") not in doc["indicators"]:
            problems.add(
                where,
                where_vi,
                f"indicator '{table.get('indicator')}' is not defined; add it under indicators",
                f"chỉ số '{table.get('indicator')}' chưa khai báo; hãy thêm vào indicators",
            )
        elif kind == "median" and doc["indicators"][table["indicator"]]["type"] != "mean":
            problems.add(
                where,
                where_vi,
                f"a median table needs a mean indicator (its values are the numbers whose median "
                f"is shown), but '{table['indicator']}' is a "
                f"{doc['indicators'][table['indicator']]['type']}; name a mean indicator",
                f"bảng trung vị cần một chỉ số loại mean (trung vị được tính trên các giá trị "
                f"của nó), nhưng '{table['indicator']}' là "
                f"{doc['indicators'][table['indicator']]['type']}; hãy chọn một chỉ số mean",
            )
        if "q" in table and kind != "median":
            problems.add(
                where,
                where_vi,
                "q (the quantile) is for median tables only; remove it or set kind to median",
                "q (phân vị) chỉ dùng cho bảng trung vị; hãy bỏ q hoặc đặt kind là median",
            )
        if kind in ("knowledge", "attitude", "wife_beating", "decisions", "chores") and not doc.get(
            "kap"
        ):
            problems.add(
                where,
                where_vi,
                "a KAP table needs the 'kap' section; add it",
                "bảng KAP cần mục 'kap'; hãy thêm",
            )
        if kind in ("support_needs", "barriers") and not doc.get("support_needs"):
            problems.add(
                where,
                where_vi,
                "needs the 'support_needs' section; add it",
                "cần mục 'support_needs'; hãy thêm",
            )
        if kind == "commune":
            _check_commune_items(doc, forms, table, where, where_vi, problems, asts)
        if kind == "monitoring":
            _check_targets(doc, forms, table, where, where_vi, problems, asts)


def _commune_scope(doc: dict[str, Any], forms: dict[str, Questionnaire]) -> Scope | None:
    for sid, source in doc["sources"].items():
        if source["form"] == "commune" and "commune" in forms:
            return source_scope(doc, sid, forms)
    return None


def _check_commune_items(
    doc: dict[str, Any],
    forms: dict[str, Questionnaire],
    table: dict[str, Any],
    where: str,
    where_vi: str,
    problems: _Problems,
    asts: dict[str, dict[str, Any]],
) -> None:
    sid = table.get("source")
    if sid is not None:
        if sid not in doc["sources"] or doc["sources"][sid]["form"] not in forms:
            problems.add(
                where,
                where_vi,
                f"source '{sid}' is not one of the plan's sources; name one (e.g. district)",
                f"nguồn '{sid}' không có trong kế hoạch; hãy ghi một nguồn (vd. district)",
            )
            return
        scope: Scope | None = source_scope(doc, sid, forms)
    else:
        scope = _commune_scope(doc, forms)
    if scope is None:
        problems.add(
            where,
            where_vi,
            "needs a source on the commune form; add one",
            "cần một nguồn là phiếu xã; hãy thêm",
        )
        return
    for number, item in enumerate(table.get("items", ()), start=1):
        for key in ("numerator", "denominator"):
            if key in item:
                ast = _compile(item[key], scope, where, where_vi, f"item {number} {key}", problems)
                if ast is not None:
                    asts[f"{table['id']}#{number}.{key}"] = ast


def _check_targets(
    doc: dict[str, Any],
    forms: dict[str, Questionnaire],
    table: dict[str, Any],
    where: str,
    where_vi: str,
    problems: _Problems,
    asts: dict[str, dict[str, Any]],
) -> None:
    known = {t.code for t in load_targets()}
    known |= {p.code for t in load_targets() for p in t.parts}
    scope = _commune_scope(doc, forms)
    for target in table.get("targets", ()):
        code = target["code"]
        t_where, t_where_vi = f"{where}, target {code}", f"{where_vi}, chỉ tiêu {code}"
        if code not in known:
            problems.add(
                t_where,
                t_where_vi,
                f"'{code}' is not a target of tables/targets.json; use a target's code",
                f"'{code}' không phải mã chỉ tiêu trong tables/targets.json; hãy dùng mã chỉ tiêu",
            )
        source = target["source"]
        if source == "survey":
            iid = target.get("indicator")
            if iid not in doc["indicators"]:
                problems.add(
                    t_where,
                    t_where_vi,
                    f"indicator '{iid}' is not defined; name a survey indicator",
                    f"chỉ số '{iid}' chưa khai báo; hãy ghi một chỉ số",
                )
            elif "within" in target:
                sid = doc["indicators"][iid]["source"]
                ast = _compile(
                    target["within"],
                    source_scope(doc, sid, forms),
                    t_where,
                    t_where_vi,
                    "within",
                    problems,
                )
                if ast is not None:
                    asts[f"{table['id']}#{code}.within"] = ast
        if source == "commune":
            if "numerator" not in target or "denominator" not in target or scope is None:
                problems.add(
                    t_where,
                    t_where_vi,
                    "a commune-form target needs numerator and denominator over the "
                    "commune form; add both",
                    "chỉ tiêu từ phiếu xã cần numerator và denominator; hãy thêm",
                )
                continue
            for key in ("numerator", "denominator"):
                ast = _compile(target[key], scope, t_where, t_where_vi, key, problems)
                if ast is not None:
                    asts[f"{table['id']}#{code}.{key}"] = ast
