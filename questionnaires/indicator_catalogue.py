"""Load and check the indicator catalogue of the gender-equality database.

The catalogue (``questionnaires/tables/indicators.json``, structure in
``tables/indicators.schema.json``) holds one row per indicator, as Vietnam's statistical
indicator systems keep them: code, group and name, unit, definition (numerator and
denominator), the levels it is kept at (province, district, commune), its disaggregations
(sex, ethnicity, residence, area), publication period (year or survey round), the responsible
department, where its figures come from (the survey, the commune form, a district form or an
administrative register), the plan targets it serves and the code at the higher level.

Like a table plan it is checked in two passes, structure then meaning (departments, survey
indicators, commune-form questions and target codes must exist; a sensitive indicator is never
kept below district), and every problem is reported together in one
:class:`~questionnaires.errors.QuestionnaireError`, in English and Vietnamese::

    tables/indicators.json: indicator I9.9: survey indicator 'I9.9' is not in plan langson;
    add it to the plan's indicators or fix survey_indicator

The same rules check a figure before it is stored (:meth:`Indicator.check_figure`).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from questionnaires.errors import QuestionnaireError
from questionnaires.files import schema_where
from questionnaires.targets import UNITS, load_targets

__all__ = [
    "LEVELS",
    "SEXES",
    "Catalogue",
    "FigureProblem",
    "Indicator",
    "bundled_catalogue_path",
    "catalogue_from_dict",
    "load_bundled_catalogue",
    "load_catalogue",
]

#: Area levels an indicator may be kept at, from the top.
LEVELS = ("province", "district", "commune")
#: Sex cells of a figure: T all persons, F women, M men.
SEXES = ("T", "F", "M")

#: The catalogue's units: the register format's (``questionnaires.targets.UNITS``, which also
#: give each ratio its multiplier) plus ``mean`` for survey means and scores.
CATALOGUE_UNITS = (*UNITS, "mean")

_DEFAULT_MAX_CHANGE = {unit: 20.0 for unit in CATALOGUE_UNITS} | {"count": 1000.0}


@dataclass(frozen=True)
class FigureProblem:
    """One rule a figure breaks: which field, and the message in English and Vietnamese."""

    field: str
    en: str
    vi: str

    def message(self, lang: str) -> str:
        """The message in ``lang`` (``vi`` or ``en``)."""
        return self.vi if lang == "vi" else self.en


@dataclass(frozen=True)
class Indicator:
    """One catalogue row (the JSON object, with defaults filled in)."""

    code: str
    group: str
    name: dict[str, str]
    unit: str
    definition: dict[str, dict[str, str]]
    levels: tuple[str, ...]
    disaggregations: tuple[str, ...]
    period: str
    department: str
    source: str
    targets: tuple[str, ...]
    survey_indicator: str | None = None
    commune_form: dict[str, str] | None = None
    #: ``{"district": {"numerator": id, "denominator": id}, "province": {...}}``: the questions
    #: of the district and province forms whose approved answers give the figure at that level
    admin_forms: dict[str, dict[str, str]] | None = None
    higher_code: str | None = None
    multiplier: float = 1.0
    range: tuple[float, float] = (-math.inf, math.inf)
    max_change: float = 20.0
    sensitive: bool = False

    @property
    def by_sex(self) -> bool:
        """True when figures are kept for women and men as well as in total."""
        return "sex" in self.disaggregations

    @property
    def has_denominator(self) -> bool:
        """True when the figure is a ratio of two counts (counts and means have none)."""
        return "denominator" in self.definition

    @property
    def entered(self) -> bool:
        """True for figures people type in (not computed from the survey)."""
        return self.source != "survey"

    def label(self, lang: str) -> str:
        """The name in ``lang``."""
        return self.name["vi" if lang == "vi" else "en"]

    def compute(self, numerator: float, denominator: float) -> float:
        """The figure from its numerator and denominator (× 100 for a percentage)."""
        return numerator * self.multiplier / denominator

    def check_figure(
        self,
        value: float | None,
        numerator: float | None,
        denominator: float | None,
        previous: float | None = None,
        comment: str = "",
    ) -> list[FigureProblem]:
        """The catalogue's rules a figure breaks (empty when it may be stored).

        A ratio needs both counts; a numerator above its denominator is refused for a share;
        the value must lie in the plausibility range; a change from last period's figure beyond
        ``max_change`` needs a comment. ``value`` may be given with the counts: it must then
        equal the ratio they make (to 0.05 in the figure's unit, the rounding of a printed
        table).
        """
        problems: list[FigureProblem] = []
        for name, number in (("numerator", numerator), ("denominator", denominator)):
            if number is not None and number < 0:
                problems.append(
                    FigureProblem(
                        name, f"{name} must not be negative", f"{_VI[name]} không được âm"
                    )
                )
        if self.has_denominator:
            if numerator is None or denominator is None:
                if value is None:
                    problems.append(
                        FigureProblem(
                            "numerator",
                            "give the numerator and the denominator",
                            "hãy nhập tử số và mẫu số",
                        )
                    )
                    return problems
            else:
                if denominator == 0:
                    problems.append(
                        FigureProblem(
                            "denominator",
                            "the denominator is 0; a ratio needs a positive denominator",
                            "mẫu số bằng 0; tỷ lệ cần mẫu số dương",
                        )
                    )
                    return problems
                if self.unit == "percent" and numerator > denominator:
                    problems.append(
                        FigureProblem(
                            "numerator",
                            f"numerator {_show(numerator)} is larger than denominator "
                            f"{_show(denominator)}",
                            f"tử số {_show(numerator)} lớn hơn mẫu số {_show(denominator)}",
                        )
                    )
                    return problems
                computed = self.compute(numerator, denominator)
                if value is not None and abs(value - computed) > 0.05:
                    problems.append(
                        FigureProblem(
                            "value",
                            f"value {_show(value)} disagrees with numerator/denominator "
                            f"({_show(round(computed, 2))})",
                            f"giá trị {_show(value)} không khớp tử số/mẫu số "
                            f"({_show(round(computed, 2))})",
                        )
                    )
                    return problems
                value = computed
        elif value is None:
            value = numerator
            if value is None:
                problems.append(FigureProblem("value", "give the value", "hãy nhập giá trị"))
                return problems
        low, high = self.range
        if not low <= value <= high:
            problems.append(
                FigureProblem(
                    "value",
                    f"value {_show(value)} is outside the plausible range "
                    f"{_show(low)}–{_show(high)}",
                    f"giá trị {_show(value)} nằm ngoài khoảng hợp lý {_show(low)}–{_show(high)}",
                )
            )
        if previous is not None and abs(value - previous) > self.max_change and not comment:
            problems.append(
                FigureProblem(
                    "comment",
                    f"the change from last period ({_show(previous)} → {_show(value)}) is more "
                    f"than {_show(self.max_change)}; explain it in a comment",
                    f"thay đổi so với kỳ trước ({_show(previous)} → {_show(value)}) lớn hơn "
                    f"{_show(self.max_change)}; hãy giải thích trong phần ghi chú",
                )
            )
        return problems

    def value_of(
        self, value: float | None, numerator: float | None, denominator: float | None
    ) -> float | None:
        """The figure to store: the ratio of the counts when both are given, else ``value``."""
        if self.has_denominator and numerator is not None and denominator:
            return self.compute(numerator, denominator)
        if value is None and not self.has_denominator:
            return numerator
        return value


_VI = {"numerator": "tử số", "denominator": "mẫu số"}


def _show(number: float) -> str:
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    return f"{number:g}"


@dataclass(frozen=True)
class Catalogue:
    """A checked catalogue: indicators by code, in file order."""

    id: str
    version: str
    source_file: str
    title: dict[str, str]
    plan: str
    indicators: dict[str, Indicator] = field(repr=False)

    def __contains__(self, code: object) -> bool:
        return code in self.indicators

    def __getitem__(self, code: str) -> Indicator:
        return self.indicators[code]

    def for_department(self, department: str) -> list[Indicator]:
        """The indicators a department answers for."""
        return [i for i in self.indicators.values() if i.department == department]

    def for_target(self, target: str) -> list[Indicator]:
        """The indicators that serve a plan target."""
        return [i for i in self.indicators.values() if target in i.targets]


def bundled_catalogue_path() -> Path:
    """Path of the bundled catalogue (``questionnaires/tables/indicators.json``)."""
    return Path(str(resources.files("questionnaires"))) / "tables" / "indicators.json"


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    text = (
        resources.files("questionnaires")
        .joinpath("tables/indicators.schema.json")
        .read_text("utf-8")
    )
    return jsonschema.Draft202012Validator(json.loads(text))


def load_catalogue(
    path: str | Path,
    plan_doc: dict[str, Any] | None = None,
    target_codes: dict[str, set[str]] | None = None,
) -> Catalogue:
    """Read and check a catalogue file; raise QuestionnaireError listing every problem."""
    path = Path(path)
    display = f"tables/{path.name}" if path.parent.name == "tables" else str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuestionnaireError(
            f"{display}: file not found; check the path",
            f"{display}: không tìm thấy tệp; hãy kiểm tra đường dẫn",
        ) from None
    except json.JSONDecodeError as exc:
        raise QuestionnaireError(
            f"{display}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); "
            f"fix the JSON syntax",
            f"{display}: dòng {exc.lineno}, cột {exc.colno}: JSON không hợp lệ ({exc.msg}); "
            f"hãy sửa cú pháp JSON",
        ) from None
    return catalogue_from_dict(document, display, plan_doc, target_codes)


@functools.cache
def load_bundled_catalogue() -> Catalogue:
    """The bundled catalogue, checked against the bundled plan and its targets (cached)."""
    return load_catalogue(bundled_catalogue_path())


def _bundled_plan(plan_id: str) -> dict[str, Any] | None:
    path = Path(str(resources.files("questionnaires"))) / "tables" / f"{plan_id}.json"
    if not path.is_file():
        return None
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _plan_targets() -> dict[str, set[str]]:
    """The plan's target codes (``tables/targets.json``), each with its parts' codes."""
    return {t.code: {p.code for p in t.parts} for t in load_targets()}


def _commune_questions() -> set[str]:
    from questionnaires.loader import load_bundled

    form = load_bundled().get("commune")
    return {q.id for q in form.iter_questions()} if form is not None else set()


#: The administrative forms above the commune, by the level whose figures they give.
ADMIN_FORMS = ("district", "province")


def _admin_questions() -> dict[str, set[str]]:
    from questionnaires.loader import load_bundled

    forms = load_bundled()
    return {
        level: {q.id for q in forms[level].iter_questions()} if level in forms else set()
        for level in ADMIN_FORMS
    }


def _check_admin_forms(entry: dict[str, Any], problems: _Problems) -> None:
    """Each level's numerator and denominator are questions of that level's form."""
    code = entry["code"]
    questions = _admin_questions()
    for level, spec in (entry.get("admin_forms") or {}).items():
        if level not in entry["levels"]:
            problems.add(
                code,
                f"admin_forms gives {level} figures but the indicator is not kept at that "
                f"level; add '{level}' to levels or remove admin_forms.{level}",
                f"admin_forms cho số liệu cấp {level} nhưng chỉ tiêu không lưu ở cấp đó; "
                f"hãy thêm '{level}' vào levels hoặc bỏ admin_forms.{level}",
            )
        for part in ("numerator", "denominator"):
            question = spec.get(part)
            if question is not None and question not in questions[level]:
                problems.add(
                    code,
                    f"admin_forms.{level} {part}: question '{question}' is not in the {level} "
                    f"form; use one of its question ids",
                    f"admin_forms.{level} {_VI[part]}: câu hỏi '{question}' không có trong "
                    f"phiếu cấp {level}",
                )
        if "denominator" in entry["definition"] and "denominator" not in spec:
            problems.add(
                code,
                f"admin_forms.{level} needs a denominator question, as the indicator has one",
                f"admin_forms.{level} cần câu hỏi mẫu số, vì chỉ tiêu có mẫu số",
            )


class _Problems:
    def __init__(self, display: str) -> None:
        self.display = display
        self.en: list[str] = []
        self.vi: list[str] = []

    def add(self, code: str, en: str, vi: str) -> None:
        self.en.append(f"{self.display}: indicator {code}: {en}")
        self.vi.append(f"{self.display}: chỉ tiêu {code}: {vi}")


def catalogue_from_dict(
    document: Any,
    display: str = "tables/indicators.json",
    plan_doc: dict[str, Any] | None = None,
    target_codes: dict[str, set[str]] | None = None,
) -> Catalogue:
    """Check a catalogue held in memory (tests build broken ones so) and return it.

    ``plan_doc`` is the table plan it refers to (default: the bundled plan its ``plan`` names);
    ``target_codes`` the plan's target codes, each with the codes of its parts (default: the
    bundled ``tables/targets.json``). An indicator may serve a target or one of its parts; every
    target must be served, directly or through all of its parts.
    """
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        en, vi = [], []
        for error in errors[:20]:
            where = schema_where(list(error.absolute_path), document)
            en.append(
                f"{display}: {where}: {error.message}; fix it as tables/indicators.schema.json says"
            )
            vi.append(
                f"{display}: {where}: {error.message}; hãy sửa theo tables/indicators.schema.json"
            )
        raise QuestionnaireError(en, vi)
    if plan_doc is None:
        plan_doc = _bundled_plan(document["plan"])
        if plan_doc is None:
            raise QuestionnaireError(
                f"{display}: plan '{document['plan']}' is not a bundled table plan; "
                f"name one of questionnaires/tables/*.json",
                f"{display}: kế hoạch bảng '{document['plan']}' không có sẵn; "
                f"hãy ghi tên một tệp trong questionnaires/tables/",
            )
    if target_codes is None:
        target_codes = _plan_targets()
    known_targets = set(target_codes) | {p for parts in target_codes.values() for p in parts}
    problems = _Problems(display)
    defaults = {**_DEFAULT_MAX_CHANGE, **document.get("defaults", {}).get("max_change", {})}
    departments = set(plan_doc.get("departments", {}))
    plan_indicators = set(plan_doc.get("indicators", {}))
    commune_questions = _commune_questions()
    indicators: dict[str, Indicator] = {}
    for entry in document["indicators"]:
        code = entry["code"]
        if code in indicators:
            problems.add(
                code,
                "the code is used twice; give each indicator its own code",
                "mã bị dùng hai lần; mỗi chỉ tiêu cần một mã riêng",
            )
            continue
        _check_entry(entry, problems, departments, plan_indicators, commune_questions)
        _check_admin_forms(entry, problems)
        for target in entry["targets"]:
            if target not in known_targets:
                problems.add(
                    code,
                    f"target '{target}' is not one of the plan's targets; use a code of "
                    f"tables/targets.json",
                    f"mục tiêu '{target}' không có trong danh sách mục tiêu của kế hoạch "
                    f"(tables/targets.json)",
                )
        unit = entry["unit"]
        default_range = (0.0, 100.0) if unit == "percent" else (0.0, math.inf)
        multiplier = UNITS.get(unit) or 1.0
        low, high = entry.get("range", default_range)
        indicators[code] = Indicator(
            code=code,
            group=entry["group"],
            name=dict(entry["name"]),
            unit=unit,
            definition={k: dict(v) for k, v in entry["definition"].items()},
            levels=tuple(entry["levels"]),
            disaggregations=tuple(entry["disaggregations"]),
            period=entry["period"],
            department=entry["department"],
            source=entry["source"],
            targets=tuple(entry["targets"]),
            survey_indicator=entry.get("survey_indicator"),
            commune_form=entry.get("commune_form"),
            admin_forms=entry.get("admin_forms"),
            higher_code=entry.get("higher_code"),
            multiplier=float(multiplier),
            range=(float(low), float(high)),
            max_change=float(entry.get("max_change", defaults[unit])),
            sensitive=bool(entry.get("sensitive", False)),
        )
    covered = {i.survey_indicator for i in indicators.values() if i.survey_indicator}
    for missing in sorted(plan_indicators - covered):
        problems.add(
            missing,
            f"plan {plan_doc.get('id', '')} defines it but the catalogue has no row with "
            f"survey_indicator '{missing}'; add one",
            f"kế hoạch {plan_doc.get('id', '')} có chỉ tiêu này nhưng danh mục chưa có; "
            f"hãy thêm một dòng với survey_indicator '{missing}'",
        )
    served = {t for i in indicators.values() for t in i.targets}
    for target, parts in sorted(target_codes.items()):
        if target in served or (parts and parts <= served):
            continue
        problems.en.append(
            f"{display}: target {target}: no indicator serves it; add the target's code to "
            f"the targets of the indicator that measures it"
        )
        problems.vi.append(
            f"{display}: mục tiêu {target}: chưa có chỉ tiêu nào đo; hãy thêm mã mục tiêu "
            f"vào targets của chỉ tiêu đo nó"
        )
    if problems.en:
        raise QuestionnaireError(problems.en, problems.vi)
    return Catalogue(
        id=document["id"],
        version=document["version"],
        source_file=display,
        title=dict(document["title"]),
        plan=document["plan"],
        indicators=indicators,
    )


def _check_entry(
    entry: dict[str, Any],
    problems: _Problems,
    departments: set[str],
    plan_indicators: set[str],
    commune_questions: set[str],
) -> None:
    code = entry["code"]
    if entry["department"] not in departments:
        problems.add(
            code,
            f"department '{entry['department']}' is not among the plan's departments; "
            f"use one of {', '.join(sorted(departments))}",
            f"sở/ngành '{entry['department']}' không có trong kế hoạch; "
            f"hãy dùng một trong {', '.join(sorted(departments))}",
        )
    survey = entry.get("survey_indicator")
    if entry["source"] == "survey":
        if survey is None:
            problems.add(
                code,
                "a survey indicator needs survey_indicator (the plan's indicator id)",
                "chỉ tiêu khảo sát cần survey_indicator (mã chỉ tiêu trong kế hoạch)",
            )
        elif survey not in plan_indicators:
            problems.add(
                code,
                f"survey indicator '{survey}' is not in the plan; add it to the plan's "
                f"indicators or fix survey_indicator",
                f"chỉ tiêu khảo sát '{survey}' không có trong kế hoạch; hãy thêm vào kế hoạch "
                f"hoặc sửa survey_indicator",
            )
    elif survey is not None:
        problems.add(
            code,
            f"survey_indicator is only for source 'survey', not '{entry['source']}'; remove it",
            "survey_indicator chỉ dùng cho nguồn 'survey'; hãy bỏ đi",
        )
    form = entry.get("commune_form")
    if entry["source"] == "commune_form":
        if form is None:
            problems.add(
                code,
                "a commune-form indicator needs commune_form (numerator and denominator "
                "question ids)",
                "chỉ tiêu từ phiếu xã cần commune_form (mã câu hỏi tử số và mẫu số)",
            )
        else:
            for part in ("numerator", "denominator"):
                question = form.get(part)
                if question is not None and question not in commune_questions:
                    problems.add(
                        code,
                        f"commune_form {part}: question '{question}' is not in the commune "
                        f"form; use one of its question ids",
                        f"commune_form {_VI[part]}: câu hỏi '{question}' không có trong phiếu xã",
                    )
        if "commune" not in entry["levels"]:
            problems.add(
                code,
                "a commune-form indicator is kept at commune level; add 'commune' to levels",
                "chỉ tiêu từ phiếu xã được lưu ở cấp xã; hãy thêm 'commune' vào levels",
            )
    elif form is not None:
        problems.add(
            code,
            f"commune_form is only for source 'commune_form', not '{entry['source']}'; remove it",
            "commune_form chỉ dùng cho nguồn 'commune_form'; hãy bỏ đi",
        )
    if entry.get("sensitive") and "commune" in entry["levels"]:
        problems.add(
            code,
            "a sensitive indicator is never kept below district; remove 'commune' from levels",
            "chỉ tiêu nhạy cảm không được lưu dưới cấp huyện; hãy bỏ 'commune' khỏi levels",
        )
    unit = entry["unit"]
    has_den = "denominator" in entry["definition"]
    if unit not in ("count", "mean") and not has_den:
        problems.add(
            code,
            f"a {unit} needs definition.denominator",
            f"chỉ tiêu dạng {unit} cần definition.denominator",
        )
    if unit == "count" and has_den:
        problems.add(
            code,
            "a count has no denominator; remove definition.denominator",
            "chỉ tiêu dạng số đếm không có mẫu số; hãy bỏ definition.denominator",
        )
    if "range" in entry:
        low, high = entry["range"]
        if low >= high:
            problems.add(
                code,
                f"range {low}–{high} is empty; give the lower bound first",
                f"khoảng {low}–{high} rỗng; hãy ghi cận dưới trước",
            )
        if unit == "percent" and (low < 0 or high > 100):
            problems.add(
                code,
                f"a percentage's range must lie within 0–100, not {low}–{high}",
                f"khoảng của tỷ lệ phần trăm phải nằm trong 0–100, không phải {low}–{high}",
            )
