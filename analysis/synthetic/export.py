"""Write generated answers in the project's export format: one table per unit of observation.

Format (also written as README.md and data_dictionary.csv next to the tables):

- one row per unit (household, member, hh_birth, individual, women, commune, district, province;
  ``birth`` only for an individual form that asks the respondent's own births; ``sample`` holds
  every selected household with its field outcome and selection probabilities), one column per
  question, named by the question id; a grid question gives one column per row,
  ``<grid id>_<row id>``;
- choice, yes/no, Likert and whole-number answers are integer codes; 98 (don't know) and 99
  (refused) are kept as codes where the question declares them (analysis turns them into
  missing); unanswered or not applicable is an empty cell (CSV) or null (Parquet);
- a multi-choice answer is its codes in the questionnaire's order joined by single spaces
  (``"1 3 5"``), or the bare missing code (``"99"``) — the same text in CSV and Parquet, read
  back by ``analysis.variables.parse_multi``;
- dates are ``YYYY-MM-DD`` text; identifying questions (names, phone numbers) are left out;
- design columns ``stratum``, ``psu``, ``weight_base``, ``weight_adjusted``, ``weight_final``
  and the ids ``hh_id`` (``psu × 1000 + household_no``), ``line``, ``birth_no`` link the tables.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from questionnaires.model import MISSING_CODES, Question, Questionnaire, RepeatGroup
from questionnaires.tidy import ID_LABELS, answer_columns, exported
from questionnaires.vectorised import Level, MultiColumn

__all__ = [
    "Column",
    "DESIGN_LABELS",
    "TableWriter",
    "level_arrays",
    "level_frame",
    "question_columns",
    "write_dictionary",
    "write_readme",
]

#: Labels of the columns: the keys and design columns every export shares, then the
#: simulator's own sample columns.
DESIGN_LABELS: dict[str, tuple[str, str]] = {
    **{name: (label.vi, label.en) for name, label in ID_LABELS.items()},
    "district": ("Mã huyện", "District code"),
    "commune": ("Mã xã", "Commune code"),
    "village": ("Mã thôn trong xã", "Village number in the commune"),
    "residence": ("Thành thị (1) / nông thôn (2)", "Urban (1) / rural (2)"),
    "household_no": ("Số thứ tự hộ trong danh sách", "Household number in the listing"),
    "a_h": ("Số thôn chọn trong tầng", "Villages selected in the stratum"),
    "pi1": ("Xác suất chọn thôn", "Village selection probability"),
    "listed": ("Số hộ lập danh sách", "Households listed"),
    "pi2": ("Xác suất chọn hộ trong thôn", "Household selection probability in the village"),
    "form": ("Phiếu cá nhân được giao (1 A nam, 2 B nữ)", "Individual form (1 A man, 2 B woman)"),
    "contact": ("Kết quả tiếp xúc hộ", "Household contact result"),
    "consent": ("Hộ đồng ý (1/0)", "Household consented (1/0)"),
    "responded": ("Hộ trả lời (1/0)", "Household responded (1/0)"),
    "eligible_household": ("Hộ đủ điều kiện (1/0)", "Eligible household (1/0)"),
    "eligible_men": ("Số nam 18–64", "Men 18–64"),
    "eligible_women": ("Số nữ 18–64", "Women 18–64"),
    "selected_line": ("Dòng của người được chọn (0: không có)", "Selected person's line (0: none)"),
    "person_consent": (
        "Người được chọn đồng ý (1/0, -1 không áp dụng)",
        "Selected person consented (1/0, -1 not applicable)",
    ),
    "women_module": ("Được phỏng vấn mô-đun W (1/0)", "Given the women's module (1/0)"),
}


Column = tuple[str, Question, str | None]


def question_columns(items: Iterable[Question | RepeatGroup]) -> list[Column]:
    """Export columns of these items: ``(column, question, grid row id)``; groups are skipped.

    The columns are the web export's (:func:`questionnaires.tidy.answer_columns`, multi-choice
    answers as text), sensitive questions included and identifying ones left out.
    """
    return [
        (column.name, item, column.grid_row)
        for item in items
        if not isinstance(item, RepeatGroup) and exported(item, identifying=False, sensitive=True)
        for column in answer_columns(item, "text")
    ]


def top_items(q: Questionnaire) -> list[Question | RepeatGroup]:
    """The questionnaire's top-level items, in order."""
    return [item for section in q.sections for item in section.items]


def _multi_text(column: MultiColumn, rows: np.ndarray) -> pa.Array:
    """Multi answers as text: codes joined by spaces, a bare missing code, or null.

    Rows are grouped by their pattern of chosen codes (few distinct patterns): the texts are
    built for the patterns, one choice at a time, and Arrow's ``take`` spreads them over the rows
    (no Python work per row or per pattern).
    """
    matrix = column.matrix[rows]
    answered = column.answered[rows]
    missing = column.missing[rows]
    if len(rows) == 0:
        return pa.array([], pa.string())
    packed = np.packbits(matrix, axis=1) if matrix.shape[1] else np.zeros((len(rows), 1), np.uint8)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    patterns = matrix[first].astype(bool)
    texts = np.full(len(first), "", dtype=object)
    for j, code in enumerate(column.codes):
        chosen = patterns[:, j]
        texts[chosen] = texts[chosen] + f" {code}"
    labels = [text[1:] for text in texts]
    index = inverse.ravel().astype(np.int64)
    has_missing = ~np.isnan(missing)
    if has_missing.any():
        codes, which = np.unique(missing[has_missing].astype(np.int64), return_inverse=True)
        index[has_missing] = len(labels) + which.ravel()
        labels += [str(code) for code in codes]
    return pa.array(labels, pa.string()).take(pa.array(index, mask=~answered))


def _int_array(values: np.ndarray) -> pa.Array:
    nan = np.isnan(values)
    return pa.array(np.where(nan, 0, np.round(values)).astype(np.int64), pa.int64(), mask=nan)


def level_arrays(
    level: Level, columns: Sequence[Column], rows: np.ndarray | None = None
) -> dict[str, pa.Array]:
    """The answers of ``level`` (rows ``rows``, default all) as typed Arrow export columns."""
    rows = np.arange(level.n) if rows is None else rows
    data: dict[str, pa.Array] = {}
    for name, question, grid_row in columns:
        raw = level.columns.get(question.id)
        if raw is None:
            raw = (
                np.full(level.n, None, object)
                if question.type in ("text", "date")
                else np.full(level.n, np.nan)
            )
        if grid_row is not None:
            data[name] = _int_array(raw[grid_row][rows])
        elif isinstance(raw, MultiColumn):
            data[name] = _multi_text(raw, rows)
        elif question.type in ("text", "date") or raw.dtype == object:
            data[name] = pa.array(raw[rows], pa.string())
        elif question.type == "decimal":
            values = raw[rows]
            data[name] = pa.array(values, pa.float64(), mask=np.isnan(values))
        else:
            data[name] = _int_array(raw[rows])
    return data


def level_frame(
    level: Level, columns: Sequence[Column], rows: np.ndarray | None = None
) -> pd.DataFrame:
    """:func:`level_arrays` as a pandas DataFrame (nullable integer columns)."""
    table = pa.table(level_arrays(level, columns, rows))
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


@dataclass
class _Open:
    csv: pacsv.CSVWriter
    parquet: pq.ParquetWriter
    schema: pa.Schema


#: Table writes that may wait in the writer threads before ``TableWriter.write`` waits for the
#: oldest (about one batch's tables: memory stays flat).
_QUEUED_WRITES = 16


class TableWriter:
    """Append batches of one table to ``<name>.csv`` and ``<name>.parquet`` (flat memory).

    CSV: UTF-8, comma-separated, a header line, text in double quotes, numbers bare, missing
    values empty.

    Encoding and compressing are a quarter of the simulator's time and Arrow's writers release
    the GIL, so each format has its own writer thread: the next batch is generated while this one
    is written. One thread per format keeps every file's batches in order; at most
    ``_QUEUED_WRITES`` writes wait, and ``close`` (or the next ``write``) raises a writer's
    error.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.open: dict[str, _Open] = {}
        self.rows: dict[str, int] = {}
        self._threads = (
            ThreadPoolExecutor(1, thread_name_prefix="csv-writer"),
            ThreadPoolExecutor(1, thread_name_prefix="parquet-writer"),
        )
        self._pending: deque[Future[None]] = deque()

    def write(self, name: str, columns: dict[str, pa.Array]) -> None:
        """Append a batch (the same columns, in the same order, every time) to table ``name``."""
        table = pa.table(columns)
        if name not in self.open:
            schema = table.schema
            csv_writer = pacsv.CSVWriter(
                str(self.directory / f"{name}.csv"),
                schema,
                write_options=pacsv.WriteOptions(quoting_style="needed"),
            )
            parquet = pq.ParquetWriter(
                self.directory / f"{name}.parquet", schema, compression="zstd"
            )
            self.open[name] = _Open(csv_writer, parquet, schema)
            self.rows[name] = 0
        handle = self.open[name]
        table = table.cast(handle.schema)
        self._wait(_QUEUED_WRITES - 2)
        csv_thread, parquet_thread = self._threads
        self._pending.append(csv_thread.submit(handle.csv.write_table, table))
        self._pending.append(parquet_thread.submit(handle.parquet.write_table, table))
        self.rows[name] += table.num_rows

    def _wait(self, keep: int) -> None:
        """Wait until at most ``keep`` writes are pending (re-raising a failed write's error)."""
        while len(self._pending) > keep:
            self._pending.popleft().result()

    def close(self) -> None:
        """Finish every write and every file."""
        try:
            self._wait(0)
        finally:
            for thread in self._threads:
                thread.shutdown(wait=True, cancel_futures=True)
            for handle in self.open.values():
                handle.csv.close()
                handle.parquet.close()


def _values_text(question: Question) -> tuple[str, str]:
    if question.choices is None:
        return "", ""
    vi = "; ".join(f"{c.code}={c.label.vi}" for c in question.choices)
    en = "; ".join(f"{c.code}={c.label.en}" for c in question.choices)
    return vi, en


def write_dictionary(
    path: Path, tables: Sequence[tuple[str, Sequence[str], Sequence[Column]]]
) -> None:
    """Write data_dictionary.csv: every column of every table with labels in vi and en.

    ``tables``: ``(table name, design/id column names, question columns)``.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(
            [
                "table",
                "column",
                "question_id",
                "type",
                "label_vi",
                "label_en",
                "values_vi",
                "values_en",
                "missing_codes",
            ]
        )
        for table, design, questions in tables:
            for name in design:
                vi, en = DESIGN_LABELS.get(name, (name, name))
                kind = (
                    "decimal" if name.startswith("weight") or name.startswith("pi") else "integer"
                )
                out.writerow([table, name, "", kind, vi, en, "", "", ""])
            for name, question, grid_row in questions:
                label = question.export_label
                vi, en = label.vi, label.en
                if grid_row is not None:
                    row = next(r for r in question.rows if r.id == grid_row)
                    vi, en = f"{vi}: {row.label.vi}", f"{en}: {row.label.en}"
                values_vi, values_en = _values_text(question)
                missing = " ".join(f"{c}={MISSING_CODES[c]['en']}" for c in question.missing_codes)
                out.writerow(
                    [table, name, question.id, question.type, vi, en, values_vi, values_en, missing]
                )


README = """# Synthetic Lạng Sơn survey / Điều tra mô phỏng Lạng Sơn

Generated by `gesurvey simulate --households {households} --seed {seed}`. Synthetic data: no
real person is in these files. / Dữ liệu mô phỏng: không có người thật nào trong các tệp này.

## Tables / Các bảng

| table | unit / đơn vị | rows | weight |
|---|---|---|---|
{rows}

Every table is written twice with the same content: `<table>.csv` (UTF-8, comma-separated,
text in double quotes, numbers bare) and `<table>.parquet`. Labels of every column, in
Vietnamese and English, with the value codes, are in `data_dictionary.csv`.

## Format / Định dạng

- One row per unit, one column per question (the question id); a grid question has one column
  per row, `<grid id>_<row id>`.
- Choice, yes/no (1/0), Likert and number answers are integer codes. 98 = don't know / không
  biết, 99 = refused / từ chối, kept where the question declares them: treat them as missing.
- Empty cell = not asked (skip logic) or not answered.
- Multi-choice: the chosen codes joined by spaces (`1 3 5`), or the bare missing code (`99`).
- Dates: `YYYY-MM-DD`. Names and phone numbers (identifying questions) are not exported.

## Design / Thiết kế mẫu

- `stratum` = district × 10 + residence (1 urban, 2 rural); `psu` = village (the cluster).
- Villages drawn by systematic PPS on households in each stratum, 20 households per village by
  systematic sampling from a fresh listing; one man (form A) or one woman (form B) aged 18–64
  per household; the women's module (W) for form-B women who have ever had a partner.
- `weight_base` = 1/(π1 π2) (× eligible × 2 for persons); `weight_adjusted` adds household
  nonresponse (stratum) and individual nonresponse (stratum × sex); `weight_final` is raked to
  projected census totals by district × sex × age group, trimmed at 3.5 × median and re-raked.
  Households and members: `weight_final` is the adjusted weight calibrated to the frame's
  households by district × residence, trimmed at 3.5 × median and calibrated again.
  Women's module and births: the respondent's weights.
  Communes: 1 / probability that the commune holds a sampled village.
- Analyse with `SurveyDesign(data, weight="weight_final", strata="stratum", psu="psu")` or
  `gesurvey analyze … --weight weight_final --strata stratum --psu psu`; in R,
  `svydesign(ids=~psu, strata=~stratum, weights=~weight_final, data=…)`.
- `sample` lists every selected household, respondents or not, with the selection
  probabilities and field outcomes (weights: base weight of the household only).
"""


def write_readme(
    path: Path, households: int, seed: int, tables: Sequence[tuple[str, str, int, str]]
) -> None:
    """Write the output folder's README.md (``tables``: name, unit, rows, weight note)."""
    rows = "\n".join(
        f"| `{name}` | {unit} | {count} | {weight} |" for name, unit, count, weight in tables
    )
    path.write_text(README.format(households=households, seed=seed, rows=rows), encoding="utf-8")
