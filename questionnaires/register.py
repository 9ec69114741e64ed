"""Administrative register figures in long format: one parser and validator for everyone.

A register file (``register.csv`` in a data folder, or rows typed into the gender database)
holds one figure per row, with its context:

=================  ============================================================================
column             meaning
=================  ============================================================================
``indicator``      indicator or plan-target code (``MT4-CT1``, a gender-database code …)
``period``         the year the figure is for (``2018``)
``level``          ``province``, ``district`` or ``commune``
``area_code``      the GSO code of that province, district or commune (``20``, ``178`` …)
``sex``            ``F`` or ``M`` where the indicator is split by sex; blank or ``total``
``numerator``      count in the numerator (blank when only the value is known)
``denominator``    count in the denominator (blank for a count)
``value``          the figure; blank to have it computed from numerator and denominator
``unit``           ``percent``, ``per_100``, ``per_1000``, ``per_100000``, ``per_unit``, ``count``
``source_agency``  the agency that produced the figure
``source_document`` the report or document it comes from
``note``           free text
=================  ============================================================================

Ratios are recomputed from numerator and denominator (``value = numerator / denominator ×
multiplier of the unit``). A written value that disagrees with them by more than the rounding
of its own last written digit is refused, with a message naming the file, the line and the
column; so is every other malformed cell, and the same indicator × period × level × area × sex
given twice. All problems are reported together, in English and Vietnamese, in one
:class:`RegisterError`. Nothing is written anywhere: the caller keeps what it had.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from questionnaires.errors import QuestionnaireError
from questionnaires.targets import UNITS

__all__ = [
    "LEVELS",
    "REGISTER_COLUMNS",
    "RegisterError",
    "RegisterRecord",
    "find_record",
    "parse_register_rows",
    "read_register",
    "read_register_text",
]

#: The columns of a register file, in order.
REGISTER_COLUMNS = (
    "indicator",
    "period",
    "level",
    "area_code",
    "sex",
    "numerator",
    "denominator",
    "value",
    "unit",
    "source_agency",
    "source_document",
    "note",
)

#: Administrative levels a figure may be for.
LEVELS = ("province", "district", "commune")

_REQUIRED = ("indicator", "period", "level", "area_code", "unit")
_SEXES = {"": "total", "total": "total", "f": "F", "m": "M"}
_LEVELS_VI = {"province": "tỉnh", "district": "huyện", "commune": "xã"}


class RegisterError(QuestionnaireError):
    """A register file or entry has bad rows; ``messages``/``messages_vi`` name each one."""


@dataclass(frozen=True)
class RegisterRecord:
    """One checked register figure; ``value`` is recomputed from the counts where given."""

    indicator: str
    period: int
    level: str
    area_code: str
    sex: str
    numerator: float | None
    denominator: float | None
    value: float
    unit: str
    source_agency: str
    source_document: str
    note: str

    @property
    def key(self) -> tuple[str, int, str, str, str]:
        """What identifies a figure: indicator, period, level, area, sex."""
        return (self.indicator, self.period, self.level, self.area_code, self.sex)


def _number(text: str) -> float | None:
    text = text.strip().replace(" ", "")
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(text) from None
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _tolerance(text: str) -> float:
    """Half a unit of the last digit written: "33.3" may stand for anything in [33.25, 33.35]."""
    text = text.strip().lower()
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    shift = int(exponent) if exponent else 0
    return 0.5 * 10.0 ** (shift - decimals)


def _check_row(
    row: Mapping[str, str | None], where: str, where_vi: str, en: list[str], vi: list[str]
) -> RegisterRecord | None:
    cells = {k: ("" if row.get(k) is None else str(row.get(k)).strip()) for k in REGISTER_COLUMNS}
    start = len(en)

    def bad(column: str, what: str, what_vi: str) -> None:
        en.append(f"{where}, column {column}: {what}")
        vi.append(f"{where_vi}, cột {column}: {what_vi}")

    for column in _REQUIRED:
        if cells[column] == "":
            bad(column, "is empty; fill it in", "đang trống; hãy điền")
    period = 0
    if cells["period"]:
        if cells["period"].isdigit() and 1900 <= int(cells["period"]) <= 2100:
            period = int(cells["period"])
        else:
            bad(
                "period",
                f"'{cells['period']}' is not a year; write the year, e.g. 2018",
                f"'{cells['period']}' không phải năm; hãy ghi năm, ví dụ 2018",
            )
    level = cells["level"].lower()
    if level and level not in LEVELS:
        bad(
            "level",
            f"'{cells['level']}' is not province, district or commune",
            f"'{cells['level']}' không phải province (tỉnh), district (huyện) hay commune (xã)",
        )
    if cells["area_code"] and not cells["area_code"].isdigit():
        bad(
            "area_code",
            f"'{cells['area_code']}' is not a GSO area code (digits only)",
            f"'{cells['area_code']}' không phải mã đơn vị hành chính (chỉ gồm chữ số)",
        )
    sex = _SEXES.get(cells["sex"].lower())
    if sex is None:
        bad(
            "sex",
            f"'{cells['sex']}' is not F, M or blank (both sexes)",
            f"'{cells['sex']}' không phải F (nữ), M (nam) hoặc để trống (chung)",
        )
    unit = cells["unit"]
    if unit and unit not in UNITS:
        bad(
            "unit",
            f"'{unit}' is not one of {', '.join(UNITS)}",
            f"'{unit}' không thuộc {', '.join(UNITS)}",
        )
    numbers: dict[str, float | None] = {}
    for column in ("numerator", "denominator", "value"):
        try:
            numbers[column] = _number(cells[column])
        except ValueError:
            numbers[column] = None
            bad(
                column,
                f"'{cells[column]}' is not a number; write digits with a decimal point",
                f"'{cells[column]}' không phải số; hãy ghi chữ số, dấu chấm thập phân",
            )
    num, den, value = numbers["numerator"], numbers["denominator"], numbers["value"]
    for column, number in (("numerator", num), ("denominator", den)):
        if number is not None and number < 0:
            bad(column, "is negative; counts cannot be", "là số âm; số đếm không thể âm")
    if len(en) > start:
        return None
    multiplier = UNITS[unit]
    computed: float | None = None
    if multiplier is None:
        if den is not None:
            bad(
                "denominator",
                "a count has no denominator; leave it blank or choose a ratio unit",
                "số đếm không có mẫu số; hãy để trống hoặc chọn đơn vị tỷ lệ",
            )
        computed = num
    elif num is not None and den is not None:
        if den == 0:
            bad(
                "denominator",
                "is 0; a ratio needs a denominator above 0",
                "bằng 0; mẫu số phải > 0",
            )
        else:
            computed = num / den * multiplier
    elif den is not None and num is None:
        bad(
            "numerator",
            "is empty but the denominator is given; give both or neither",
            "trống nhưng có mẫu số; hãy ghi cả hai hoặc không ghi",
        )
    elif num is not None and den is None:
        bad(
            "denominator",
            "is empty but the numerator is given; give both or neither",
            "trống nhưng có tử số; hãy ghi cả hai hoặc không ghi",
        )
    if len(en) > start:
        return None
    if computed is not None and value is not None:
        allowed = _tolerance(cells["value"]) + 1e-9 * max(1.0, abs(computed))
        if abs(value - computed) > allowed:
            shown = f"{computed:.6g}"
            bad(
                "value",
                f"{cells['value']} disagrees with numerator / denominator "
                f"({cells['numerator']} / {cells['denominator'] or '1'} gives {shown}); "
                f"correct the value or the counts, or leave the value blank",
                f"{cells['value']} không khớp với tử số / mẫu số ({cells['numerator']} / "
                f"{cells['denominator'] or '1'} cho {shown}); hãy sửa giá trị hoặc số đếm, "
                f"hoặc để trống giá trị",
            )
            return None
    final = computed if computed is not None else value
    if final is None:
        bad(
            "value",
            "is empty and there are no counts to compute it from; give the value or the counts",
            "trống và không có số đếm để tính; hãy ghi giá trị hoặc tử số và mẫu số",
        )
        return None
    return RegisterRecord(
        indicator=cells["indicator"],
        period=period,
        level=level,
        area_code=cells["area_code"],
        sex=sex or "total",
        numerator=num,
        denominator=den,
        value=final,
        unit=unit,
        source_agency=cells["source_agency"],
        source_document=cells["source_document"],
        note=cells["note"],
    )


def parse_register_rows(
    rows: Iterable[Mapping[str, str | None]], display: str = "register", first_line: int = 2
) -> list[RegisterRecord]:
    """Check rows (column name → text) and return the records; raise RegisterError otherwise.

    ``first_line`` is the line number of the first row in its file (2 under a header), so
    messages point at the line a person sees in a spreadsheet; the web entry passes 1 and its
    own row numbers.
    """
    en: list[str] = []
    vi: list[str] = []
    records: list[RegisterRecord] = []
    seen: dict[tuple[str, int, str, str, str], int] = {}
    for offset, row in enumerate(rows):
        line = first_line + offset
        where, where_vi = f"{display}: line {line}", f"{display}: dòng {line}"
        record = _check_row(row, where, where_vi, en, vi)
        if record is None:
            continue
        if record.key in seen:
            level_vi = _LEVELS_VI[record.level]
            en.append(
                f"{where}: {record.indicator} {record.period} {record.level} {record.area_code} "
                f"sex {record.sex} is already on line {seen[record.key]}; keep one of them"
            )
            vi.append(
                f"{where_vi}: {record.indicator} {record.period} {level_vi} {record.area_code} "
                f"giới {record.sex} đã có ở dòng {seen[record.key]}; hãy giữ một dòng"
            )
            continue
        seen[record.key] = line
        records.append(record)
    if en:
        raise RegisterError(en, vi)
    return records


def read_register_text(text: str, display: str = "register.csv") -> list[RegisterRecord]:
    """Parse the text of a register CSV file (UTF-8, header row first)."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REGISTER_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REGISTER_COLUMNS]
    if missing or unknown:
        en, vi = [], []
        if missing:
            en.append(
                f"{display}: line 1: missing columns {', '.join(missing)}; the header must be "
                f"{','.join(REGISTER_COLUMNS)}"
            )
            vi.append(
                f"{display}: dòng 1: thiếu cột {', '.join(missing)}; dòng tiêu đề phải là "
                f"{','.join(REGISTER_COLUMNS)}"
            )
        if unknown:
            en.append(f"{display}: line 1: unknown columns {', '.join(unknown)}; remove them")
            vi.append(f"{display}: dòng 1: cột không xác định {', '.join(unknown)}; hãy bỏ")
        raise RegisterError(en, vi)
    reader.fieldnames = header
    return parse_register_rows(reader, display)


def read_register(path: str | Path) -> list[RegisterRecord]:
    """Read and check a register CSV file; raise RegisterError naming every bad row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegisterError(
            f"{path}: file not found; check the path",
            f"{path}: không tìm thấy tệp; hãy kiểm tra đường dẫn",
        ) from None
    except UnicodeDecodeError:
        raise RegisterError(
            f"{path}: not UTF-8 text; save it as CSV UTF-8",
            f"{path}: không phải văn bản UTF-8; hãy lưu dạng CSV UTF-8",
        ) from None
    return read_register_text(text, str(path))


def find_record(
    records: Iterable[RegisterRecord],
    indicator: str,
    period: int | None = None,
    level: str = "province",
    area_code: str | None = None,
    sex: str = "total",
) -> RegisterRecord | None:
    """The figure for one indicator at one level and sex: the given period, else the latest."""
    matches = [
        r
        for r in records
        if r.indicator == indicator
        and r.level == level
        and r.sex == sex
        and (area_code is None or r.area_code == area_code)
        and (period is None or r.period == period)
    ]
    return max(matches, key=lambda r: r.period) if matches else None
