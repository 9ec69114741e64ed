"""The paradata table of an export: one row per interview × question shown.

Written beside the answer tables as ``paradata_<questionnaire>.<format>`` by the same writers
(labels in Stata and SPSS). Each row repeats the interview's start, end, interruptions and app
version, so the table can be analysed on its own (``analysis.paradata``). Positions are
identifying and come only with ``--include-identifying``. Sensitive questionnaires have no
per-question paradata (the server never keeps it), so they get no table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
from sqlalchemy import Text, cast, select

from questionnaires.model import Label
from questionnaires.tidy import Column, UnitTable

from ..extensions import db
from ..models import QuestionnaireVersion, Submission, User
from .columns import arrow_schema
from .round_column import add_round, with_round_column
from .writers import open_writer

__all__ = ["paradata_table", "write_paradata"]

_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("submission_uuid", "str", "Mã phiếu", "Submission id"),
    ("enumerator", "str", "Điều tra viên", "Enumerator"),
    ("started_at", "str", "Bắt đầu", "Started"),
    ("ended_at", "str", "Kết thúc", "Ended"),
    ("interruptions", "int", "Số lần gián đoạn", "Interruptions"),
    ("app_version", "str", "Phiên bản ứng dụng", "App version"),
    ("question_id", "str", "Mã câu hỏi", "Question id"),
    ("seconds", "float", "Thời gian trên câu (giây)", "Time on question (seconds)"),
    ("visits", "int", "Số lần vào câu", "Visits"),
    ("changes", "int", "Số lần sửa câu trả lời", "Answer changes"),
)
_GPS: tuple[tuple[str, str, str, str], ...] = (
    ("gps_lat", "float", "Vĩ độ", "Latitude"),
    ("gps_lon", "float", "Kinh độ", "Longitude"),
    ("gps_accuracy", "float", "Độ chính xác vị trí (m)", "Position accuracy (m)"),
)


def paradata_table(questionnaire_id: str, include_identifying: bool) -> UnitTable:
    """The columns of one questionnaire's paradata table."""
    specs = _COLUMNS + (_GPS if include_identifying else ())
    columns = tuple(Column(name, kind, Label(vi, en)) for name, kind, vi, en in specs)  # type: ignore[arg-type]
    return UnitTable(
        name=f"paradata_{questionnaire_id}",
        unit="paradata",
        questionnaire_id=questionnaire_id,
        groups=(),
        columns=columns,
    )


def _batches(
    questionnaire_id: str, statuses: Sequence[str], size: int, round_id: int | None = None
) -> Iterator[list[tuple[str, str, str]]]:
    query = (
        select(Submission.uuid, User.username, cast(Submission.paradata, Text))
        .join(QuestionnaireVersion, Submission.questionnaire_version_id == QuestionnaireVersion.id)
        .join(User, Submission.enumerator_id == User.id)
        .where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id,
            Submission.paradata.is_not(None),
        )
        .order_by(Submission.id)
    )
    if statuses:
        query = query.where(Submission.status.in_(list(statuses)))
    if round_id is not None:
        query = query.where(Submission.round_id == round_id)
    result = db.session.execute(query.execution_options(yield_per=size))
    for partition in result.partitions():
        yield [(row[0], row[1], row[2]) for row in partition]


def _rows(batch: list[tuple[str, str, str]], table: UnitTable) -> pa.Table:
    names = table.names
    data: dict[str, list[Any]] = {name: [] for name in names}
    gps = "gps_lat" in data
    for uuid, enumerator, text in batch:
        paradata = orjson.loads(text) if text else None
        if not isinstance(paradata, dict):
            continue
        position = paradata.get("gps") or {}
        for question_id, entry in (paradata.get("questions") or {}).items():
            data["submission_uuid"].append(uuid)
            data["enumerator"].append(enumerator)
            data["started_at"].append(paradata.get("started_at"))
            data["ended_at"].append(paradata.get("ended_at"))
            data["interruptions"].append(paradata.get("interruptions"))
            data["app_version"].append(paradata.get("app_version"))
            data["question_id"].append(question_id)
            data["seconds"].append(entry.get("seconds"))
            data["visits"].append(entry.get("visits"))
            data["changes"].append(entry.get("changes"))
            if gps:
                data["gps_lat"].append(position.get("lat"))
                data["gps_lon"].append(position.get("lon"))
                data["gps_accuracy"].append(position.get("accuracy"))
    return pa.table(data, schema=arrow_schema(table))


def write_paradata(
    folder: Path,
    version: QuestionnaireVersion,
    fmt: str,
    statuses: Sequence[str],
    include_identifying: bool,
    lang: str,
    batch: int = 2000,
    survey_round: tuple[int, str] | None = None,
) -> tuple[Path, int] | None:
    """Write the questionnaire's paradata table; return its path and row count (None when the
    questionnaire is sensitive). With ``survey_round`` (id, code) only that round's interviews,
    the code in a first ``round`` column."""
    if version.sensitive:
        return None
    table = paradata_table(version.questionnaire_id, include_identifying)
    written = with_round_column(table) if survey_round else table
    writer = open_writer(fmt, folder / f"{table.name}.{fmt}", written, lang)
    rows = 0
    round_id = survey_round[0] if survey_round else None
    try:
        for chunk in _batches(version.questionnaire_id, statuses, batch, round_id):
            arrow = _rows(chunk, table)
            if survey_round:
                arrow = add_round(arrow, survey_round[1])
            if arrow.num_rows:
                writer.write(arrow)
                rows += arrow.num_rows
    finally:
        writer.close()
    return writer.path, rows
