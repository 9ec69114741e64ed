"""Export submissions from the database as microdata files, one file per unit of observation.

Formats: CSV (UTF-8 with BOM), Excel, Stata ``.dta`` and SPSS ``.sav`` (variable and value
labels from the questionnaire; 98/99 declared user-missing in SPSS) and Parquet. The layout of
the tables is :mod:`questionnaires.tidy`; this module streams the submissions out of the
database in batches (``yield_per``, a server-side cursor on PostgreSQL) and hands each batch to
a chunked writer, so memory does not grow with the number of submissions:

- CSV, Excel (openpyxl's write-only mode) and Parquet (``pyarrow.parquet.ParquetWriter``)
  append each batch to the file;
- Stata: batches are spooled to a Parquet file (noting each column's range and longest text)
  and then written batch by batch by our own ``.dta`` writer (:mod:`survey_app.stata`);
- SPSS: likewise, spooled then written batch by batch by our own ``.sav`` writer
  (:mod:`survey_app.spss`); pyreadstat and pandas can only write a whole DataFrame.

Who may export what: :data:`EXPORT_ROLES` may export; identifying questions need
:data:`IDENTIFYING_ROLES` and the women's module (and any sensitive question) needs
:data:`WOMEN_ROLES`, and both must be asked for explicitly. Every export is written to the
audit log.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from questionnaires.cells import csv_cell, excel_text
from questionnaires.model import Questionnaire
from questionnaires.tidy import Column, TidyLayout, UnitTable, fit_row, merged_tables

from .extensions import db
from .models import Area, QuestionnaireVersion, Role, Status, Submission, User
from .questionnaire_store import questionnaire_for
from .security.sealing import unseal

__all__ = [
    "EXPORT_ROLES",
    "FORMATS",
    "IDENTIFYING_ROLES",
    "WOMEN_ROLES",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "check_permission",
    "export_submissions",
]

FORMATS = ("csv", "xlsx", "dta", "sav", "parquet")
EXPORT_ROLES = frozenset({Role.ADMIN.value, Role.ANALYST.value})
IDENTIFYING_ROLES = frozenset({Role.ADMIN.value})
WOMEN_ROLES = frozenset({Role.ADMIN.value, Role.ANALYST.value})
BATCH = 1000
EXCEL_MAX_ROWS = 1_048_575  # one header row

# Stata variable labels hold 80 characters; SPSS value labels 120 bytes.
_STATA_LABEL = 80
_SPSS_VALUE_LABEL_BYTES = 120


class ExportError(Exception):
    """The export cannot be made as asked; ``message_vi`` says the same in Vietnamese."""

    def __init__(self, message: str, message_vi: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_vi = message_vi

    def in_language(self, lang: str) -> str:
        """The message in lang ('vi' or 'en')."""
        return self.message_vi if lang == "vi" else self.message


@dataclass(frozen=True)
class ExportOptions:
    """What to export: format, statuses, questionnaires, label language and inclusions."""

    format: str = "csv"
    statuses: tuple[str, ...] = (Status.APPROVED.value,)
    questionnaires: tuple[str, ...] = ()
    lang: str = "vi"
    include_identifying: bool = False
    include_women: bool = False


@dataclass
class ExportResult:
    """What was written: rows per table and the files."""

    submissions: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def check_permission(user: User | None, options: ExportOptions) -> None:
    """Refuse an export the user's role does not allow (a named, active user is required)."""
    if user is None or not user.active:
        raise ExportError(
            "a named, active user is required to export microdata",
            "Cần một người dùng đang hoạt động để xuất dữ liệu vi mô",
        )
    if user.role not in EXPORT_ROLES:
        raise ExportError(
            f"user {user.username!r} ({user.role}) may not export microdata; "
            f"only {', '.join(sorted(EXPORT_ROLES))} may",
            f"Người dùng {user.username!r} ({user.role}) không được xuất dữ liệu vi mô; "
            f"chỉ {', '.join(sorted(EXPORT_ROLES))} được phép",
        )
    if options.include_identifying and user.role not in IDENTIFYING_ROLES:
        raise ExportError(
            f"user {user.username!r} ({user.role}) may not export identifying fields "
            f"(names, phone numbers); only {', '.join(sorted(IDENTIFYING_ROLES))} may",
            f"Người dùng {user.username!r} ({user.role}) không được xuất thông tin định danh "
            f"(họ tên, số điện thoại); chỉ {', '.join(sorted(IDENTIFYING_ROLES))} được phép",
        )
    if options.include_women and user.role not in WOMEN_ROLES:
        raise ExportError(
            f"user {user.username!r} ({user.role}) may not export the women's module; "
            f"only {', '.join(sorted(WOMEN_ROLES))} may",
            f"Người dùng {user.username!r} ({user.role}) không được xuất mô-đun phụ nữ; "
            f"chỉ {', '.join(sorted(WOMEN_ROLES))} được phép",
        )


# writers ------------------------------------------------------------------------------------


class TableWriter(Protocol):
    """Append batches of rows of one table to one file."""

    path: Path

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows."""

    def close(self) -> None:
        """Finish the file."""


def _arrow_schema(table: UnitTable):  # noqa: ANN202
    import pyarrow as pa

    def arrow_type(column: Column):  # noqa: ANN202
        if column.kind == "str":
            return pa.string()
        if column.kind == "float":
            return pa.float64()
        return pa.int16() if column.small_int else pa.int64()

    return pa.schema([pa.field(c.name, arrow_type(c)) for c in table.columns])


def _arrow_batch(table: UnitTable, schema, rows: Sequence[dict[str, Any]]):  # noqa: ANN001, ANN202
    import pyarrow as pa

    arrays = [
        pa.array([row[c.name] for row in rows], type=schema.field(c.name).type)
        for c in table.columns
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


class CsvWriter:
    """CSV, UTF-8 with a byte-order mark so Excel shows Vietnamese; empty cell = missing."""

    def __init__(self, path: Path, table: UnitTable, lang: str) -> None:
        self.path = path
        self.names = table.names
        self._handle = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._handle, lineterminator="\n")
        self._csv.writerow(self.names)

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows."""
        names = self.names
        self._csv.writerows([["" if r[n] is None else csv_cell(r[n]) for n in names] for r in rows])

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


class ParquetTableWriter:
    """Parquet, one row group per batch, with a fixed schema from the layout."""

    def __init__(self, path: Path, table: UnitTable, lang: str) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self.table = table
        self.schema = _arrow_schema(table)
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows as a row group."""
        if rows:
            self._writer.write_table(_arrow_batch(self.table, self.schema, rows))

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()


class ExcelWriter:
    """Excel in openpyxl's write-only mode: a data sheet and a sheet of labels."""

    def __init__(self, path: Path, table: UnitTable, lang: str) -> None:
        from openpyxl import Workbook

        self.path = path
        self.table = table
        self.rows = 0
        self._book = Workbook(write_only=True)
        self._data = self._book.create_sheet(table.name[:31])
        self._data.freeze_panes = "A2"
        self._data.append(table.names)
        labels = self._book.create_sheet("labels" if lang == "en" else "nhan")
        labels.append(
            ["column", "question_id", "label", "values"]
            if lang == "en"
            else ["cột", "mã câu hỏi", "nhãn", "giá trị"]
        )
        for column in table.columns:
            values = "; ".join(
                f"{code}={label[lang]}" for code, label in column.value_labels.items()
            )
            labels.append([column.name, column.question_id, column.label[lang], values])

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows (numbers stay numbers)."""
        self.rows += len(rows)
        if self.rows > EXCEL_MAX_ROWS:
            raise ExportError(
                f"table {self.table.name} has more than {EXCEL_MAX_ROWS:,} rows, Excel's limit; "
                f"export it as csv, parquet, dta or sav",
                f"Bảng {self.table.name} có hơn {EXCEL_MAX_ROWS:,} dòng, giới hạn của Excel; "
                f"hãy xuất dạng csv, parquet, dta hoặc sav",
            )
        names = self.table.names
        for row in rows:
            self._data.append([self._cell(row[n]) for n in names])

    def _cell(self, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        return excel_text(WriteOnlyCell(self._data, value)) if isinstance(value, str) else value

    def close(self) -> None:
        """Save the workbook."""
        self._book.save(self.path)


def _truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


class LabelledWriter:
    """Stata or SPSS: batches spooled to Parquet, then written with labels at close, batch by
    batch from the spool, with each column's range and longest text collected while spooling."""

    def __init__(self, path: Path, table: UnitTable, lang: str, kind: str) -> None:
        self.path = path
        self.table = table
        self.lang = lang
        self.kind = kind
        self._spool_dir = Path(tempfile.mkdtemp(prefix="gesurvey-export-"))
        self._spool = ParquetTableWriter(self._spool_dir / "spool.parquet", table, lang)
        self._low: dict[str, int] = {}
        self._high: dict[str, int] = {}
        self._width: dict[str, int] = {}
        self._rows = 0

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Spool rows, noting integer ranges and string lengths."""
        self._spool.write(rows)
        self._rows += len(rows)
        for column in self.table.columns:
            values = [r[column.name] for r in rows if r[column.name] is not None]
            if not values:
                continue
            name = column.name
            if column.kind == "str":
                longest = max(len(str(v).encode("utf-8")) for v in values)
                self._width[name] = max(self._width.get(name, 1), longest)
            elif column.kind == "int":
                self._low[name] = min(self._low.get(name, 0), min(values))
                self._high[name] = max(self._high.get(name, 0), max(values))

    def close(self) -> None:
        """Write the labelled file from the spool."""
        self._spool.close()
        try:
            if self.kind == "dta":
                self._write_dta()
            else:
                self._write_sav()
        finally:
            shutil.rmtree(self._spool_dir, ignore_errors=True)

    def _value_labels(self, column: Column) -> dict[int, str]:
        return {
            code: _truncate_bytes(label[self.lang], _SPSS_VALUE_LABEL_BYTES)
            for code, label in column.value_labels.items()
        }

    def _write_dta(self) -> None:
        import pyarrow.parquet as pq

        from .stata import StataColumn, write_dta

        columns = [
            StataColumn(
                c.name,
                c.label[self.lang][:_STATA_LABEL],
                c.kind,
                low=self._low.get(c.name),
                high=self._high.get(c.name),
                width=self._width.get(c.name, 1),
                value_labels=self._value_labels(c) if c.value_labels else None,
            )
            for c in self.table.columns
        ]
        spool = pq.ParquetFile(self._spool.path)
        batches = (batch.to_pydict() for batch in spool.iter_batches(batch_size=BATCH))
        write_dta(self.path, columns, self._rows, batches, file_label=self.table.name)

    def _write_sav(self) -> None:
        import pyarrow.parquet as pq

        from .spss import SpssColumn, write_sav

        columns = [
            SpssColumn(
                c.name,
                c.label[self.lang],
                c.kind,
                width=self._width.get(c.name, 1),
                value_labels=self._value_labels(c) if c.value_labels else None,
                missing_codes=c.missing_codes,
            )
            for c in self.table.columns
        ]
        spool = pq.ParquetFile(self._spool.path)
        batches = (batch.to_pydict() for batch in spool.iter_batches(batch_size=BATCH))
        write_sav(self.path, columns, self._rows, batches, file_label=self.table.name)


def open_writer(fmt: str, path: Path, table: UnitTable, lang: str) -> TableWriter:
    """A writer for one table in format fmt."""
    if fmt == "csv":
        return CsvWriter(path, table, lang)
    if fmt == "parquet":
        return ParquetTableWriter(path, table, lang)
    if fmt == "xlsx":
        return ExcelWriter(path, table, lang)
    if fmt in ("dta", "sav"):
        return LabelledWriter(path, table, lang, fmt)
    raise ExportError(
        f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}",
        f"Định dạng {fmt!r} không hợp lệ; dùng một trong {', '.join(FORMATS)}",
    )


# streaming --------------------------------------------------------------------------------


def latest_versions(questionnaire_ids: Sequence[str]) -> list[QuestionnaireVersion]:
    """The newest published version of each questionnaire (all when ids is empty)."""
    versions = db.session.scalars(
        select(QuestionnaireVersion).order_by(
            QuestionnaireVersion.questionnaire_id, QuestionnaireVersion.id
        )
    ).all()
    latest: dict[str, QuestionnaireVersion] = {}
    for version in versions:
        latest[version.questionnaire_id] = version
    unknown = [q for q in questionnaire_ids if q not in latest]
    if unknown:
        raise ExportError(
            f"no published questionnaire {', '.join(unknown)}; published: "
            f"{', '.join(sorted(latest)) or 'none'}",
            f"Không có phiếu hỏi đã công bố {', '.join(unknown)}; đã công bố: "
            f"{', '.join(sorted(latest)) or 'không có'}",
        )
    return [latest[q] for q in (questionnaire_ids or sorted(latest))]


def _psu(code: str | None) -> int | None:
    return int(code) if code and code.isdigit() else None


def stream_answers(
    questionnaire_id: str, statuses: Sequence[str], batch: int = BATCH
) -> Iterator[list[tuple[str, str, dict[str, Any], int | None]]]:
    """Yield batches of ``(uuid, version, answers, psu)`` of one questionnaire's submissions.

    Plain columns (not ORM objects) with ``yield_per``: nothing accumulates in the session's
    identity map, and PostgreSQL sends the rows through a server-side cursor.
    """
    query = (
        select(Submission.uuid, QuestionnaireVersion.version, Submission.answers, Area.code)
        .join(QuestionnaireVersion, Submission.questionnaire_version_id == QuestionnaireVersion.id)
        .join(Area, Submission.area_id == Area.id)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(Submission.id)
        .execution_options(yield_per=batch)
    )
    if statuses:
        query = query.where(Submission.status.in_(list(statuses)))
    result = db.session.execute(query)
    for partition in result.partitions():
        yield [
            (
                uuid,
                version,
                # Sealed answers (the women's module) open only here: the layout of an export
                # without --include-women has no table for them, so this is never reached.
                unseal(answers if isinstance(answers, dict) else json.loads(answers)),
                _psu(code),
            )
            for uuid, version, answers, code in partition
        ]


def count_submissions(questionnaire_ids: Sequence[str], statuses: Sequence[str]) -> int:
    """How many submissions an export will read (for the progress bar)."""
    from sqlalchemy import func

    query = (
        select(func.count(Submission.id))
        .join(QuestionnaireVersion, Submission.questionnaire_version_id == QuestionnaireVersion.id)
        .where(QuestionnaireVersion.questionnaire_id.in_(list(questionnaire_ids)))
    )
    if statuses:
        query = query.where(Submission.status.in_(list(statuses)))
    return int(db.session.scalar(query) or 0)


def _layout(questionnaire: Questionnaire, options: ExportOptions) -> TidyLayout:
    return TidyLayout(
        questionnaire,
        include_identifying=options.include_identifying,
        include_sensitive=options.include_women,
        multi="dummies" if options.format in ("dta", "sav") else "text",
    )


def version_layouts(questionnaire_id: str, options: ExportOptions) -> dict[str, TidyLayout]:
    """The export layout of every published version of a questionnaire, by version number.

    Each submission is laid out by the version it was collected on, so a question an older
    version asked and a newer one dropped keeps its column and its answers.
    """
    versions = db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(QuestionnaireVersion.id)
    ).all()
    return {v.version: _layout(questionnaire_for(v), options) for v in versions}


def export_submissions(
    out: str | Path,
    options: ExportOptions,
    user: User | None,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write one file per unit of observation into folder out; return what was written.

    The user's role is checked first (:func:`check_permission`); progress is called with the
    number of submissions of each batch.
    """
    from .audit import record

    if options.format not in FORMATS:
        raise ExportError(
            f"unknown format {options.format!r}; use one of {', '.join(FORMATS)}",
            f"Định dạng {options.format!r} không hợp lệ; dùng một trong {', '.join(FORMATS)}",
        )
    bad = [s for s in options.statuses if s not in {status.value for status in Status}]
    if bad:
        raise ExportError(
            f"unknown status {', '.join(bad)}; use {', '.join(s.value for s in Status)} or all",
            f"Trạng thái {', '.join(bad)} không hợp lệ; dùng "
            f"{', '.join(s.value for s in Status)} hoặc all",
        )
    check_permission(user, options)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result = ExportResult()
    for version in latest_versions(options.questionnaires):
        questionnaire = questionnaire_for(version)
        layouts = version_layouts(questionnaire.id, options)
        layout = layouts[version.version]
        if not layout.tables:
            result.left_out.append(questionnaire.id)
            continue
        tables = {t.name: t for t in merged_tables([layout, *layouts.values()])}
        writers: dict[str, TableWriter] = {}
        try:
            for table in tables.values():
                path = folder / f"{table.name}.{options.format}"
                writers[table.name] = open_writer(options.format, path, table, options.lang)
                result.rows[table.name] = 0
            for batch in stream_answers(questionnaire.id, options.statuses):
                buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
                for uuid, number, answers, psu in batch:
                    rows = layouts.get(number, layout).rows(
                        answers, uuid=uuid, version=number, psu=psu
                    )
                    for table, row in rows:
                        buffers[table.name].append(fit_row(tables[table.name], row))
                for name, rows in buffers.items():
                    writers[name].write(rows)
                    result.rows[name] += len(rows)
                result.submissions += len(batch)
                if progress is not None:
                    progress(len(batch))
        finally:
            for writer in writers.values():
                writer.close()
        result.files.extend(w.path for w in writers.values())
    record(
        "export.microdata",
        user=user,
        object_type="export",
        object_id=options.format,
        new={
            "format": options.format,
            "statuses": list(options.statuses),
            "questionnaires": list(options.questionnaires),
            "include_identifying": options.include_identifying,
            "include_women": options.include_women,
            "rows": result.rows,
        },
    )
    db.session.commit()
    return result
