"""Write Arrow batches of one unit table to one file: CSV, Parquet, Excel, Stata or SPSS.

Every writer takes the table's layout (:class:`questionnaires.tidy.UnitTable`) and appends
``pyarrow.Table`` batches, so memory stays flat whatever the number of submissions:

- CSV (UTF-8 with a byte-order mark so Excel shows Vietnamese; empty cell = missing) and Parquet
  (zstd, one row group per batch) are written by pyarrow from the Arrow columns;
- Excel by xlsxwriter in ``constant_memory`` mode (each row goes to disk as it is written), a
  new data sheet every 1,048,575 rows (Excel's limit with the header), then a sheet of labels;
- Stata ``.dta`` and SPSS ``.sav`` with variable labels, value labels and, in SPSS, the
  declared missing codes (98/99) as user-missing values. Their headers need the row count and
  each text column's width first, so batches are spooled to an Arrow file beside the output
  and written at close, batch by batch, by our own fixed-width writers (:mod:`.dta`,
  :mod:`.sav`: no library streams these formats); text too wide for them goes through
  pyreadstat (ReadStat, which pandas and R's haven build on), which takes the whole table.

Text cells follow the one spreadsheet rule of :mod:`questionnaires.cells`: in CSV a text a
spreadsheet would read as a formula gets a leading apostrophe (:func:`text_cells` applies
``csv_cell``); Excel keeps the text exactly, always in a text cell (xlsxwriter never turns a
string into a formula, URL or number here).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from questionnaires.cells import FORMULA_STARTS, csv_cell
from questionnaires.tidy import Column, UnitTable

from . import dta, sav
from .columns import arrow_schema

__all__ = [
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "TableWriter",
    "open_writer",
    "text_cells",
]

FORMATS = ("csv", "xlsx", "dta", "sav", "parquet")
EXCEL_MAX_ROWS = 1_048_575  # one header row

# Stata variable labels hold 80 characters; SPSS value labels 120 bytes.
_STATA_LABEL = 80
_SPSS_VALUE_LABEL_BYTES = 120


class TableWriter(Protocol):
    """Append batches of rows of one table to one file."""

    path: Path

    def write(self, batch: pa.Table) -> None:
        """Append the rows of an Arrow table with the writer's schema."""

    def close(self) -> None:
        """Finish the file."""


# Every text that may be formula-like starts with one of these; csv_cell decides the rest.
_FORMULA_START = "^[" + "".join(re.escape(c) for c in FORMULA_STARTS) + "]"


def text_cells(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The CSV cell text of each answer of a text column (``questionnaires.cells.csv_cell``).

    Only the few values that start like a formula go through ``csv_cell`` in Python.
    """
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    suspect = pc.fill_null(pc.match_substring_regex(values, _FORMULA_START), False)
    if not pc.any(suspect).as_py():
        return values
    texts = values.to_pylist()
    for index in pc.indices_nonzero(suspect).to_pylist():
        texts[index] = csv_cell(texts[index])
    return pa.array(texts, type=values.type)


def _with_text_cells(batch: pa.Table) -> pa.Table:
    for index, field in enumerate(batch.schema):
        if pa.types.is_string(field.type):
            batch = batch.set_column(index, field, text_cells(batch.column(index)))
    return batch


class CsvWriter:
    """CSV, UTF-8 with a byte-order mark so Excel shows Vietnamese; empty cell = missing."""

    def __init__(self, path: Path, table: UnitTable, lang: str) -> None:
        from pyarrow import csv

        self.path = path
        self._handle = path.open("wb")
        self._handle.write("\ufeff".encode())
        self._writer = csv.CSVWriter(self._handle, arrow_schema(table))

    def write(self, batch: pa.Table) -> None:
        """Append rows."""
        if batch.num_rows:
            self._writer.write_table(_with_text_cells(batch))

    def close(self) -> None:
        """Close the file."""
        self._writer.close()
        self._handle.close()


class ParquetTableWriter:
    """Parquet, one row group per batch, with a fixed schema from the layout."""

    def __init__(self, path: Path, table: UnitTable, lang: str) -> None:
        import pyarrow.parquet as pq

        self.path = path
        self._writer = pq.ParquetWriter(path, arrow_schema(table), compression="zstd")

    def write(self, batch: pa.Table) -> None:
        """Append rows as a row group."""
        if batch.num_rows:
            self._writer.write_table(batch)

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()


class ExcelWriter:
    """Excel through xlsxwriter's constant-memory mode: data sheets, then a sheet of labels.

    Text is always written as text: a formula, a URL or a number typed in an answer stays the
    characters the enumerator typed.
    """

    def __init__(self, path: Path, table: UnitTable, lang: str) -> None:
        import xlsxwriter

        self.path = path
        self.table = table
        self.lang = lang
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": True,
            },
        )
        self._sheets = 0
        self._sheet: Any = None
        self._row = EXCEL_MAX_ROWS  # start a sheet at the first row

    def _new_sheet(self) -> None:
        self._sheets += 1
        name = self.table.name[:31]
        if self._sheets > 1:
            suffix = f" ({self._sheets})"
            name = self.table.name[: 31 - len(suffix)] + suffix
        self._sheet = self._book.add_worksheet(name)
        self._sheet.freeze_panes(1, 0)
        self._sheet.write_row(0, 0, self.table.names)
        self._row = 0

    def write(self, batch: pa.Table) -> None:
        """Append rows (numbers stay numbers), starting a new sheet at Excel's row limit."""
        if self._sheet is None:
            self._new_sheet()
        columns = [column.to_pylist() for column in batch.columns]
        for values in zip(*columns, strict=True):
            if self._row == EXCEL_MAX_ROWS:
                self._new_sheet()
            self._row += 1
            self._sheet.write_row(self._row, 0, values)

    def close(self) -> None:
        """Write the labels sheet and save the workbook."""
        if self._sheet is None:
            self._new_sheet()
        lang = self.lang
        labels = self._book.add_worksheet("labels" if lang == "en" else "nhan")
        labels.write_row(
            0,
            0,
            ["column", "question_id", "label", "values"]
            if lang == "en"
            else ["cột", "mã câu hỏi", "nhãn", "giá trị"],
        )
        for row, column in enumerate(self.table.columns, start=1):
            values = "; ".join(
                f"{code}={label[lang]}" for code, label in column.value_labels.items()
            )
            labels.write_row(row, 0, [column.name, column.question_id, column.label[lang], values])
        self._book.close()


def _truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


class _Spool:
    """Batches kept in an uncompressed Arrow IPC file in a hidden folder beside the output (so
    sensitive answers never go anywhere the export itself does not), with the row count and
    the widest text of each string column in bytes, which the file's header needs first."""

    def __init__(self, folder: Path, schema: pa.Schema) -> None:
        self.path = folder / "spool.arrow"
        self.rows = 0
        self.widths = {f.name: 0 for f in schema if pa.types.is_string(f.type)}
        # The largest absolute value of each integer column (None while all are missing).
        self.largest: dict[str, int | None] = {
            f.name: None for f in schema if pa.types.is_integer(f.type)
        }
        self._sink = pa.OSFile(str(self.path), "wb")
        self._writer = pa.ipc.new_file(self._sink, schema)

    def write(self, batch: pa.Table) -> None:
        """Keep rows and widen the string columns' widths."""
        if not batch.num_rows:
            return
        for name, width in self.widths.items():
            longest = pc.max(pc.binary_length(batch.column(name))).as_py()
            if longest is not None and longest > width:
                self.widths[name] = longest
        for name, largest in self.largest.items():
            low, high = pc.min_max(batch.column(name)).values()
            if low.is_valid:
                value = max(abs(low.as_py()), abs(high.as_py()))
                self.largest[name] = value if largest is None else max(largest, value)
        self._writer.write_table(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the spool file."""
        self._writer.close()
        self._sink.close()

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The kept batches in order, one in memory at a time (read, not memory-mapped)."""
        with pa.OSFile(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            for index in range(reader.num_record_batches):
                yield reader.get_batch(index)

    def table(self) -> pa.Table:
        """All kept rows at once."""
        with pa.OSFile(str(self.path)) as source:
            return pa.ipc.open_file(source).read_all()


class LabelledWriter:
    """Stata or SPSS, with variable and value labels (and SPSS user-missing).

    Batches are spooled (:class:`_Spool`) and written at close by our streaming writers
    (:mod:`.dta`, :mod:`.sav`) one batch at a time; text wider than they take (Stata's
    ``strL`` past 2045 bytes, SPSS's segmented strings past 255) through pyreadstat (ReadStat,
    which pandas and R's haven build on), which takes the whole table at once.
    """

    def __init__(self, path: Path, table: UnitTable, lang: str, kind: str) -> None:
        self.path = path
        self.table = table
        self.lang = lang
        self.kind = kind
        self._spool_dir = Path(tempfile.mkdtemp(prefix=".gesurvey-spool-", dir=path.parent))
        self._spool = _Spool(self._spool_dir, arrow_schema(table))

    def write(self, batch: pa.Table) -> None:
        """Spool rows."""
        self._spool.write(batch)

    def close(self) -> None:
        """Write the labelled file from the spool."""
        self._spool.close()
        try:
            widest = max(self._spool.widths.values(), default=0)
            if self.kind == "dta" and widest <= dta.MAX_STR:
                self._write_dta_streaming()
                return
            if (
                self.kind == "sav"
                and widest <= sav.MAX_STR
                and all(len(c.missing_codes) <= sav.MAX_MISSING for c in self.table.columns)
            ):
                self._write_sav_streaming()
                return
            table = self._spool.table()
            if self.kind == "dta":
                # Stata text has no missing value (empty is missing), and ReadStat fails on a
                # null in a strL column ("a registered string reference was never inserted").
                for index, field in enumerate(table.schema):
                    if pa.types.is_string(field.type):
                        table = table.set_column(index, field, pc.fill_null(table[index], ""))
            # Arrow buffers are released column by column as pandas takes them over.
            frame = table.to_pandas(split_blocks=True, self_destruct=True)
            if self.kind == "dta":
                self._write_dta(frame)
            else:
                self._write_sav(frame)
        finally:
            shutil.rmtree(self._spool_dir, ignore_errors=True)

    def _write_dta_streaming(self) -> None:
        labels = self._value_labels()
        variables = [
            dta.DtaVariable(
                name=c.name,
                label=c.label[self.lang],
                value_labels={int(code): text for code, text in labels.get(c.name, {}).items()},
                width=self._width(c),
            )
            for c in self.table.columns
        ]
        dta.write_dta(
            self.path, variables, self._spool.rows, self._spool.batches(), self.table.name
        )

    def _width(self, column: Column) -> int | None:
        return max(self._spool.widths[column.name], 1) if column.kind == "str" else None

    def _write_sav_streaming(self) -> None:
        labels = self._value_labels()
        variables = [
            sav.SavVariable(
                name=c.name,
                label=c.label[self.lang],
                value_labels=labels.get(c.name, {}),
                missing=[float(code) for code in c.missing_codes],
                format=(
                    _spss_integer_format_of(self._spool.largest[c.name])
                    if c.kind == "int"
                    else "F8.2"
                ),
                width=self._width(c),
            )
            for c in self.table.columns
        ]
        sav.write_sav(
            self.path, variables, self._spool.rows, self._spool.batches(), self.table.name
        )

    def _value_labels(self) -> dict[str, dict[int | float, str]]:
        return {
            c.name: {
                code: _truncate_bytes(label[self.lang], _SPSS_VALUE_LABEL_BYTES)
                for code, label in c.value_labels.items()
            }
            for c in self.table.columns
            if c.value_labels and c.kind == "int"
        }

    def _write_dta(self, frame: Any) -> None:
        import pyreadstat

        pyreadstat.write_dta(
            frame,
            str(self.path),
            file_label=self.table.name,
            column_labels={c.name: c.label[self.lang][:_STATA_LABEL] for c in self.table.columns},
            variable_value_labels=self._value_labels(),
        )

    def _write_sav(self, frame: Any) -> None:
        import pyreadstat

        pyreadstat.write_sav(
            frame,
            str(self.path),
            file_label=self.table.name,
            column_labels={c.name: c.label[self.lang] for c in self.table.columns},
            variable_value_labels=self._value_labels(),
            missing_ranges={
                c.name: list(c.missing_codes) for c in self.table.columns if c.missing_codes
            },
            variable_format={
                c.name: _spss_integer_format(c, frame[c.name])
                for c in self.table.columns
                if c.kind == "int"
            },
        )


def _spss_integer_format(column: Column, values: Any) -> str:
    """An F format wide enough for the column's largest integer, without decimals."""
    largest = values.abs().max() if len(values) else 0
    return _spss_integer_format_of(int(largest) if largest == largest else None)  # NaN: none


def _spss_integer_format_of(largest: int | None) -> str:
    """An F format for integers up to largest in absolute value (None: all missing)."""
    digits = len(str(largest)) if largest is not None else 1
    return f"F{max(digits, 1) + 1}.0"


def open_writer(fmt: str, path: Path, table: UnitTable, lang: str) -> TableWriter:
    """A writer for one table in format fmt (one of :data:`FORMATS`)."""
    if fmt == "csv":
        return CsvWriter(path, table, lang)
    if fmt == "parquet":
        return ParquetTableWriter(path, table, lang)
    if fmt == "xlsx":
        return ExcelWriter(path, table, lang)
    if fmt in ("dta", "sav"):
        return LabelledWriter(path, table, lang, fmt)
    raise ValueError(f"unknown format {fmt!r}")
