"""The plan's targets as data: one list, read by the report (table M1), the trends and the
gender database.

``questionnaires/tables/targets.json`` holds every target of Lạng Sơn's gender-equality plan
2017–2020 (section II.2 of the plan, responsible agencies from section VI): its code, objective,
text in Vietnamese and English, comparator, value, unit, population, responsible departments,
where its figures come from (survey, commune form, district form, register), baseline and target
year, and whether it applies every year. A target with two thresholds over two populations (the
awareness target of objective 7: 100% of officials, 90% of pupils) lists them as ``parts``.

Comparators: ``>=``, ``>``, ``<=``, ``<``, ``=`` and ``parity``. ``parity`` reads "at least
``value``% for each sex" (the new-jobs target), which can only hold at 50/50: it is met when
neither sex's share is below ``value``, i.e. a two-sided reading of the women's share.

The file is checked like a table plan, structure (``tables/targets.schema.json``) then meaning
(unique codes, known departments and survey indicators, baseline before target year), and every
problem is reported at once in a :class:`QuestionnaireError` in English and Vietnamese.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from questionnaires.errors import QuestionnaireError
from questionnaires.files import read_json, schema_where

__all__ = [
    "COMPARATORS",
    "SOURCE_KINDS",
    "UNITS",
    "PlanTargets",
    "Target",
    "TargetPart",
    "bundled_targets_path",
    "load_targets",
    "targets_from_dict",
]

#: Comparators a target may use; ``parity`` is "at least value% for each sex".
COMPARATORS = (">=", ">", "<=", "<", "=", "parity")

#: Where a target's figures come from.
SOURCE_KINDS = ("survey", "commune_form", "district_form", "register")

#: Units and the multiplier turning numerator / denominator into the value (``count``: none).
UNITS: dict[str, float | None] = {
    "percent": 100.0,
    "per_100": 100.0,
    "per_1000": 1000.0,
    "per_100000": 100000.0,
    "per_unit": 1.0,
    "count": None,
}


@dataclass(frozen=True)
class TargetPart:
    """One threshold of a target that sets two (e.g. 100% of officials, 90% of pupils)."""

    code: str
    text: dict[str, str]
    comparator: str
    value: float


@dataclass(frozen=True)
class Target:
    """One target of the plan, as the plan states it."""

    code: str
    objective: int
    text: dict[str, str]
    comparator: str
    value: float
    unit: str
    population: dict[str, str]
    departments: tuple[str, ...]
    sources: tuple[str, ...]
    baseline_year: int
    target_year: int
    annual: bool
    indicator: str | None = None
    parts: tuple[TargetPart, ...] = ()
    note: dict[str, str] | None = None

    @property
    def lead(self) -> str:
        """The department the plan names first for this target."""
        return self.departments[0]


@dataclass(frozen=True)
class PlanTargets:
    """The checked target list with the objectives' titles."""

    id: str
    version: str
    title: dict[str, str]
    objectives: dict[int, dict[str, str]]
    targets: tuple[Target, ...]
    document: dict[str, Any] = field(repr=False)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def get(self, code: str) -> Target:
        """The target with this code; ``KeyError`` naming it otherwise."""
        for target in self.targets:
            if target.code == code:
                return target
        raise KeyError(code)

    def for_department(self, department: str) -> list[Target]:
        """The targets a department answers for (lead or co-responsible)."""
        return [t for t in self.targets if department in t.departments]


def bundled_targets_path() -> Path:
    """Path of the bundled target list (``questionnaires/tables/targets.json``)."""
    return Path(str(resources.files("questionnaires"))) / "tables" / "targets.json"


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    text = (
        resources.files("questionnaires").joinpath("tables/targets.schema.json").read_text("utf-8")
    )
    return jsonschema.Draft202012Validator(json.loads(text))


def load_targets(
    path: str | Path | None = None,
    departments: dict[str, Any] | None = None,
    indicators: dict[str, Any] | None = None,
) -> PlanTargets:
    """Read and check a target list (the bundled one by default).

    ``departments`` and ``indicators`` (a table plan's) let the check confirm every department
    and survey indicator a target names exists; without them those names are not checked.
    """
    path = Path(path) if path is not None else bundled_targets_path()
    display = f"tables/{path.name}" if path.parent.name == "tables" else str(path)
    document = read_json(path, display)
    return targets_from_dict(document, display, departments, indicators)


def targets_from_dict(
    document: dict[str, Any],
    display: str = "targets",
    departments: dict[str, Any] | None = None,
    indicators: dict[str, Any] | None = None,
) -> PlanTargets:
    """Check a target-list document and build :class:`PlanTargets`."""
    en: list[str] = []
    vi: list[str] = []
    for error in sorted(_validator().iter_errors(document), key=lambda e: list(e.path)):
        where = schema_where(list(error.path), document)
        en.append(f"{display}: {where}: {error.message}; fix it to match targets.schema.json")
        vi.append(f"{display}: {where}: {error.message}; hãy sửa cho đúng targets.schema.json")
    if en:
        raise QuestionnaireError(en, vi)
    seen: set[str] = set()
    targets: list[Target] = []
    for raw in document["targets"]:
        code = raw["code"]
        where = f"{display}: target {code}"
        where_vi = f"{display}: chỉ tiêu {code}"
        if code in seen:
            en.append(f"{where}: the code is used twice; give each target its own code")
            vi.append(f"{where_vi}: mã bị dùng hai lần; mỗi chỉ tiêu cần một mã riêng")
        seen.add(code)
        if not code.startswith(f"MT{raw['objective']}-"):
            en.append(f"{where}: the code does not start with MT{raw['objective']}-, its objective")
            vi.append(f"{where_vi}: mã không bắt đầu bằng MT{raw['objective']}-, mục tiêu của nó")
        if str(raw["objective"]) not in document["objectives"]:
            en.append(f"{where}: objective {raw['objective']} is not listed under objectives")
            vi.append(f"{where_vi}: mục tiêu {raw['objective']} chưa có trong objectives")
        if raw["baseline_year"] > raw["target_year"]:
            en.append(f"{where}: baseline_year is after target_year; swap them")
            vi.append(f"{where_vi}: baseline_year sau target_year; hãy đổi lại")
        if ("survey" in raw["sources"]) != ("indicator" in raw):
            en.append(f"{where}: a survey source and an 'indicator' go together; give both or none")
            vi.append(f"{where_vi}: nguồn 'survey' và 'indicator' phải đi cùng nhau")
        if indicators is not None and raw.get("indicator", None) not in (None, *indicators):
            en.append(f"{where}: indicator '{raw['indicator']}' is not in the table plan")
            vi.append(f"{where_vi}: chỉ số '{raw['indicator']}' không có trong kế hoạch bảng")
        if raw["comparator"] == "parity" and raw["unit"] != "percent":
            en.append(f"{where}: a parity target is a share; its unit must be percent")
            vi.append(f"{where_vi}: chỉ tiêu cân bằng là tỷ lệ; đơn vị phải là percent")
        for dep in raw["departments"]:
            if departments is not None and dep not in departments:
                en.append(f"{where}: department '{dep}' is not defined in the table plan")
                vi.append(f"{where_vi}: sở/ngành '{dep}' chưa khai báo trong kế hoạch bảng")
        parts = tuple(
            TargetPart(p["code"], p["text"], p["comparator"], float(p["value"]))
            for p in raw.get("parts", ())
        )
        for part in parts:
            if not part.code.startswith(code + "."):
                en.append(f"{where}: part {part.code} must be numbered {code}.1, {code}.2, …")
                vi.append(f"{where_vi}: phần {part.code} phải đánh số {code}.1, {code}.2, …")
        targets.append(
            Target(
                code=code,
                objective=raw["objective"],
                text=raw["text"],
                comparator=raw["comparator"],
                value=float(raw["value"]),
                unit=raw["unit"],
                population=raw["population"],
                departments=tuple(raw["departments"]),
                sources=tuple(raw["sources"]),
                baseline_year=raw["baseline_year"],
                target_year=raw["target_year"],
                annual=raw["annual"],
                indicator=raw.get("indicator"),
                parts=parts,
                note=raw.get("note"),
            )
        )
    if en:
        raise QuestionnaireError(en, vi)
    return PlanTargets(
        id=document["id"],
        version=document["version"],
        title=document["title"],
        objectives={int(k): v for k, v in document["objectives"].items()},
        targets=tuple(targets),
        document=document,
    )
