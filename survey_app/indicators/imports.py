"""Load a register file (CSV or XLSX, long format of ``questionnaires.register``) into the store.

Each row is checked twice, and every problem of the file is reported at once, each naming its
line and column, in English and Vietnamese:

- by the one register parser (``questionnaires.register``): required cells, year, level, sex
  code, numbers, a value that disagrees with its numerator/denominator, duplicated rows;
- against the catalogue and the database here: the indicator is in the catalogue and entered
  (not a survey estimate), the area exists and is of the row's level, the indicator is kept at
  that level and by sex if the row has a sex, the unit is the catalogue's, the figure passes the
  catalogue's rules (numerator ≤ denominator for a percentage, plausibility range), the source
  is named, and the user may enter it.

A file is loaded all or nothing; loading the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from questionnaires.errors import GesurveyError
from questionnaires.register import (
    REGISTER_COLUMNS,
    RegisterError,
    RegisterRecord,
    parse_register_rows,
    read_register_text,
)
from questionnaires.targets import UNITS

from ..extensions import db
from ..models import Area, User
from .models import FigureStatus, SourceKind
from .services import Figure, catalogue, is_labour, may_edit, put_figure

_LEVEL_VI = {"province": "tỉnh", "district": "huyện", "commune": "xã"}


class ImportProblems(GesurveyError):
    """The file was refused; ``messages`` (English) and ``messages_vi`` name every bad cell."""

    code = "indicator_import"

    def __init__(self, messages: list[str], messages_vi: list[str]) -> None:
        self.messages = messages
        self.messages_vi = messages_vi
        super().__init__("\n".join(messages), "\n".join(messages_vi))


@dataclass
class ImportResult:
    """How many rows the file had and how many figures changed."""

    rows: int
    changed: int


def _rows_of(path: Path) -> tuple[str, list[dict[str, str]]]:
    """The file as CSV text (XLSX: the first sheet) and as rows of text cells."""
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in sheet.iter_rows(values_only=True):
            writer.writerow(["" if v is None else _text(v) for v in row])
        book.close()
        text = buffer.getvalue()
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ImportProblems(
                [f"{path.name}: not UTF-8 text; save it as CSV UTF-8"],
                [f"{path.name}: không phải văn bản UTF-8; hãy lưu dạng CSV UTF-8"],
            ) from None
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [h.strip() for h in (reader.fieldnames or [])]
    return text, list(reader)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_against_store(
    rows: list[dict[str, str]], display: str, user: User
) -> tuple[list[tuple[int, str, str]], dict[int, Area]]:
    """Problems (line, English, Vietnamese) the register parser cannot know, and row areas."""
    cat = catalogue()
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    problems: list[tuple[int, str, str]] = []
    found: dict[int, Area] = {}
    labour = is_labour(user)
    for offset, row in enumerate(rows):
        line = offset + 2
        cells = {k: (row.get(k) or "").strip() for k in REGISTER_COLUMNS}

        def bad(column: str, en: str, vi: str, line: int = line) -> None:
            problems.append(
                (
                    line,
                    f"{display}: line {line}, column {column}: {en}",
                    f"{display}: dòng {line}, cột {column}: {vi}",
                )
            )

        code = cells["indicator"]
        indicator = cat.indicators.get(code)
        if code and indicator is None:
            bad(
                "indicator",
                f"'{code}' is not in the indicator catalogue (tables/indicators.json)",
                f"'{code}' không có trong danh mục chỉ tiêu (tables/indicators.json)",
            )
        elif indicator is not None and not indicator.entered:
            bad(
                "indicator",
                f"'{code}' is a survey estimate; it comes from a published report, not a file",
                f"'{code}' là ước lượng khảo sát; lấy từ báo cáo đã công bố, không nhập từ tệp",
            )
            indicator = None
        area = areas.get(cells["area_code"]) if cells["area_code"] else None
        level = cells["level"].lower()
        if cells["area_code"] and area is None:
            bad(
                "area_code",
                f"no area has the code '{cells['area_code']}'; load it under Areas first",
                f"không có địa bàn mã '{cells['area_code']}'; hãy tải danh sách địa bàn trước",
            )
        elif area is not None and level and area.level != level:
            bad(
                "level",
                f"area {area.code} ({area.name}) is a {area.level}, not a {level}",
                f"địa bàn {area.code} ({area.name}) là cấp {_LEVEL_VI.get(area.level, area.level)}"
                f", không phải cấp {_LEVEL_VI.get(level, level)}",
            )
            area = None
        if not (cells["source_agency"] or cells["source_document"]):
            bad(
                "source_agency",
                "no source: name the agency (source_agency) or the document (source_document)",
                "thiếu nguồn: hãy ghi cơ quan (source_agency) hoặc văn bản (source_document)",
            )
        if indicator is None:
            continue
        if level in ("province", "district", "commune") and level not in indicator.levels:
            bad(
                "level",
                f"{code} is not kept at {level} level (only {', '.join(indicator.levels)})",
                f"{code} không được lưu ở cấp {_LEVEL_VI[level]}",
            )
        if cells["sex"].upper() in ("F", "M") and not indicator.by_sex:
            bad(
                "sex",
                f"{code} is not split by sex; leave sex blank",
                f"{code} không phân tách theo giới; hãy để trống cột sex",
            )
        unit = cells["unit"]
        if unit in UNITS and (UNITS[unit] or 1.0) != indicator.multiplier:
            bad(
                "unit",
                f"'{unit}' is not the unit of {code} ({indicator.unit})",
                f"'{unit}' không phải đơn vị của {code} ({indicator.unit})",
            )
        if area is not None:
            found[offset] = area
            if not (labour or may_edit(user, indicator, area)):
                bad(
                    "indicator",
                    f"user {user.username} may not enter {code} for {area.code}",
                    f"người dùng {user.username} không được nhập {code} cho {area.code}",
                )
        numbers = {}
        for column in ("numerator", "denominator", "value"):
            try:
                numbers[column] = float(cells[column]) if cells[column] else None
            except ValueError:
                numbers[column] = None  # the register parser names it
        if None not in (numbers["numerator"], numbers["denominator"]) or (
            numbers["value"] is not None and not indicator.has_denominator
        ):
            for problem in indicator.check_figure(
                numbers["value"] if not indicator.has_denominator else None,
                numbers["numerator"],
                numbers["denominator"],
            ):
                if problem.field == "value" and indicator.has_denominator:
                    column = "numerator"
                else:
                    column = problem.field
                bad(column, problem.en, problem.vi)
    return problems, found


def import_file(path: str | Path, user: User, status: str = "submitted") -> ImportResult:
    """Check a register file and store its figures (all or none); ImportProblems if refused."""
    path = Path(path)
    display = path.name
    if status not in (FigureStatus.SUBMITTED.value, FigureStatus.APPROVED.value):
        raise ValueError(status)
    text, rows = _rows_of(path)
    en: list[tuple[int, str, str]] = []
    records: list[RegisterRecord] = []
    areas: dict[int, Area] = {}
    try:
        records = read_register_text(text, display) if rows else parse_register_rows([], display)
    except RegisterError as error:
        for message_en, message_vi in zip(error.messages, error.messages_vi, strict=True):
            en.append((_line_of(message_en), message_en, message_vi))
    if not any(m[1].endswith("line 1") or ": line 1:" in m[1] for m in en):
        mine, areas = _check_against_store(rows, display, user)
        en += mine
    if en:
        en.sort(key=lambda m: m[0])
        raise ImportProblems([m[1] for m in en], [m[2] for m in en])
    if status == FigureStatus.APPROVED.value and not is_labour(user):
        raise ImportProblems(
            [f"{display}: only the Labour department or an administrator imports as approved"],
            [f"{display}: chỉ Sở Lao động – TB&XH hoặc quản trị viên được nhập dạng đã duyệt"],
        )
    cat = catalogue()
    changed = 0
    by_key = {(r.indicator, str(r.period), r.area_code, r.sex): r for r in records}
    for offset, row in enumerate(rows):
        area = areas[offset]
        key = (
            row["indicator"].strip(),
            row["period"].strip(),
            row["area_code"].strip(),
            {"F": "F", "M": "M"}.get((row.get("sex") or "").strip().upper(), "total"),
        )
        record = by_key[key]
        indicator = cat[record.indicator]
        source = ": ".join(p for p in (record.source_agency, record.source_document) if p)
        _figure, did = put_figure(
            indicator.code,
            area,
            str(record.period),
            {"F": "F", "M": "M"}.get(record.sex, "T"),
            Figure(
                value=record.value,
                numerator=record.numerator,
                denominator=record.denominator,
                status=status,
                source_kind=SourceKind.IMPORT.value,
                source=f"{display} – {source}"[:200],
                department=indicator.department,
                comment=record.note,
            ),
            user,
            reason=f"import {display}",
        )
        changed += did
    return ImportResult(rows=len(records), changed=changed)


def _line_of(message: str) -> int:
    marker = ": line "
    if marker not in message:
        return 0
    digits = ""
    for char in message.split(marker, 1)[1]:
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else 0
