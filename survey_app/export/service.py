"""Export submissions from the database as microdata files, one file per unit of observation.

Formats: CSV (UTF-8 with BOM), Excel, Stata ``.dta`` and SPSS ``.sav`` (variable and value
labels from the questionnaire; 98/99 declared user-missing in SPSS) and Parquet. The layout of
the tables is :mod:`questionnaires.tidy`; this module streams the submissions out of the
database in batches and hands each batch, turned into one Arrow table per unit
(:mod:`.columns`), to the writers (:mod:`.writers`), so memory does not grow with the number of
submissions. On PostgreSQL the rows come through ``COPY … TO STDOUT`` (one streamed result, no
per-row protocol overhead); elsewhere through ``yield_per``. The answers are read as JSON text
and decoded with orjson, several times faster than the ORM's ``json.loads``.

Who may export what: :data:`EXPORT_ROLES` may export; identifying questions need
:data:`IDENTIFYING_ROLES` and the women's module (and any sensitive question) needs
:data:`WOMEN_ROLES`, and both must be asked for explicitly. Every export is written to the
audit log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Text, cast, func, select

from questionnaires.errors import GesurveyError
from questionnaires.model import Questionnaire
from questionnaires.rounds import write_round
from questionnaires.tidy import TidyLayout, merged_layout

from ..core.questionnaire_store import questionnaire_for
from ..core.rounds import ensure_default_round
from ..extensions import db
from ..models import Area, QuestionnaireVersion, Role, Status, Submission, SurveyRound, User
from ..security.sealing import unseal
from .arrow_columns import answers_schema, arrow_batch_tables, read_lines
from .columns import ValueTooLarge, arrow_schema, batch_tables
from .paradata import write_paradata
from .read_ahead import read_ahead
from .round_column import add_round, with_round_column
from .writers import FORMATS, TableWriter, open_writer

__all__ = [
    "EXPORT_ROLES",
    "FORMATS",
    "IDENTIFYING_ROLES",
    "WOMEN_ROLES",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "check_permission",
    "choose_round",
    "export_submissions",
]

EXPORT_ROLES = frozenset({Role.ADMIN.value, Role.ANALYST.value})
IDENTIFYING_ROLES = frozenset({Role.ADMIN.value})
WOMEN_ROLES = frozenset({Role.ADMIN.value, Role.ANALYST.value})
BATCH = 2000


class ExportError(GesurveyError):
    """The export cannot be made as asked; ``message_vi`` says the same in Vietnamese."""

    code = "export_refused"

    def __init__(self, message: str, message_vi: str) -> None:
        super().__init__(message, message_vi)
        self.message = message

    def in_language(self, lang: str) -> str:
        """The message in lang ('vi' or 'en'); the same as :meth:`message_in`."""
        return self.message_in(lang)


@dataclass(frozen=True)
class ExportOptions:
    """What to export: format, statuses, questionnaires, label language and inclusions."""

    format: str = "csv"
    statuses: tuple[str, ...] = (Status.APPROVED.value,)
    questionnaires: tuple[str, ...] = ()
    lang: str = "vi"
    include_identifying: bool = False
    include_women: bool = False
    round: str | None = None  # a survey round's code; None: the open round, else the newest


@dataclass
class ExportResult:
    """What was written: rows per table and the files."""

    submissions: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    round: str = ""
    round_file: Path | None = None


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


def choose_round(code: str | None) -> SurveyRound:
    """The round an export is of: ``code``, else the open round, else the newest one (a
    database without rounds gets its default round).

    ExportError naming the code, and the codes there are, when no round has it.
    """
    rounds = list(
        db.session.scalars(
            select(SurveyRound).order_by(
                (SurveyRound.status == "open").desc(),
                SurveyRound.reference_year.desc(),
                SurveyRound.id.desc(),
            )
        )
    )
    if code is None:
        # A database without any round gets its default one, as on first collection.
        return rounds[0] if rounds else ensure_default_round()
    for item in rounds:
        if item.code == code:
            return item
    known = ", ".join(sorted(r.code for r in rounds)) or "-"
    raise ExportError(
        f"no survey round {code!r}; rounds: {known}",
        f"Không có đợt điều tra {code!r}; các đợt: {known}",
    )


def _psu(code: str | None) -> int | None:
    return int(code) if code and code.isdigit() else None


def _answers_query(
    questionnaire_id: str, statuses: Sequence[str], round_id: int | None = None
) -> Any:
    query = (
        select(
            Submission.uuid,
            QuestionnaireVersion.version,
            cast(Submission.answers, Text),
            Area.code,
        )
        .join(QuestionnaireVersion, Submission.questionnaire_version_id == QuestionnaireVersion.id)
        .join(Area, Submission.area_id == Area.id)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(Submission.id)
    )
    if statuses:
        query = query.where(Submission.status.in_(list(statuses)))
    if round_id is not None:
        query = query.where(Submission.round_id == round_id)
    return query


def _copy_rows(query: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a SELECT through PostgreSQL's ``COPY (…) TO STDOUT`` on the session's
    connection (same transaction); values are text, ``None`` for NULL."""
    connection = db.session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection always has its driver's
    with driver.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
        yield from copy.rows()


def stream_answers(
    questionnaire_id: str,
    statuses: Sequence[str],
    batch: int = BATCH,
    round_id: int | None = None,
) -> Iterator[list[tuple[str, str, Any, int | None]]]:
    """Yield batches of ``(uuid, version, answers, psu)`` of one questionnaire's submissions.

    Plain columns, never ORM objects: nothing accumulates in the session. PostgreSQL streams
    them with ``COPY``; other databases with ``yield_per`` (a server-side cursor where the
    driver has one).
    """
    query = _answers_query(questionnaire_id, statuses, round_id)
    if db.session.get_bind().dialect.name == "postgresql":
        rows: Iterator[Any] = _copy_rows(query)
    else:
        result = db.session.execute(query.execution_options(yield_per=batch))
        rows = (row for partition in result.partitions() for row in partition)
    loads = orjson.loads
    chunk: list[tuple[str, str, Any, int | None]] = []
    for uuid, version, answers, code in rows:
        # Sealed answers (the women's module) open only here: the layout of an export without
        # --include-women has no table for them, so they are never read for it.
        chunk.append((uuid, version, unseal(loads(answers)) if answers else {}, _psu(code)))
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def stream_lines(
    questionnaire_id: str,
    statuses: Sequence[str],
    batch: int = BATCH,
    round_id: int | None = None,
) -> Generator[bytes, None, None]:
    """Yield batches of whole rows of PostgreSQL ``COPY`` output, one JSON object per row
    ``{"u": uuid, "v": version, "p": area code, "a": answers}``.

    CSV format with control characters as quote and delimiter, which JSON text never holds
    raw, so the answers' JSON passes unchanged and each row is one line; only a row whose JSON
    has a line break between its tokens comes quoted (:func:`_json_rows` reads it). A thread
    reads the next batches while the caller parses this one (:func:`.read_ahead.read_ahead`):
    the session's connection is the thread's until the returned iterator is exhausted or
    closed, so close it before any other use of the session.
    """
    plain = _answers_query(questionnaire_id, statuses, round_id)
    row = cast(
        func.json_build_object(
            "u",
            plain.selected_columns[0],
            "v",
            plain.selected_columns[1],
            "p",
            plain.selected_columns[3],
            "a",
            Submission.answers,
        ),
        Text,
    )
    query = plain.with_only_columns(row, maintain_column_froms=True)
    connection = db.session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection always has its driver's
    copy_sql = f"COPY ({sql}) TO STDOUT (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
    return read_ahead(_copy_batches(driver, copy_sql, batch))


def _copy_batches(driver: Any, copy_sql: str, batch: int) -> Iterator[bytes]:
    """The output of copy_sql on the psycopg connection driver, cut after about batch rows.

    Uses only the driver connection (no session, no app context), so it runs in a thread.
    """
    pending = bytearray()
    lines = quotes = 0
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for block in copy:
            start = len(pending)
            pending += block
            lines += pending.count(b"\n", start)
            quotes += pending.count(b"\x01", start)
            # Cut only between rows: after a line end, outside a quoted value.
            if lines >= batch and not quotes % 2 and pending.endswith(b"\n"):
                yield bytes(pending)
                pending.clear()
                lines = quotes = 0
    if pending:
        yield bytes(pending)


def _json_rows(data: bytes) -> list[bytes]:
    """The JSON text of each row of a :func:`stream_lines` batch."""
    if b"\x01" not in data:
        return data.split(b"\n")[:-1]
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter="\x02", quotechar="\x01")
    return [fields[0].encode("utf-8") for fields in reader]


def _general_batch(data: bytes) -> list[tuple[str, str, Any, int | None]]:
    """The rows of a :func:`stream_lines` batch as :func:`stream_answers` gives them."""
    out = []
    for text in _json_rows(data):
        row = orjson.loads(text)
        answers = row["a"]
        out.append((row["u"], row["v"], unseal(answers) if answers else {}, _psu(row["p"])))
    return out


def _tables(
    layout: TidyLayout,
    schemas: dict[str, Any],
    options: ExportOptions,
    questionnaire_id: str,
    round_id: int,
) -> Generator[tuple[dict[str, Any], int], None, None]:
    """Each batch's tables and its number of submissions.

    On PostgreSQL the answers are parsed into Arrow by pyarrow's JSON reader
    (:mod:`.arrow_columns`); a batch with a value that route does not take or a row on several
    lines, the women's module (decrypted in Python), and other databases go through
    :mod:`.columns`.
    """
    schema = answers_schema(layout) if not options.include_women else None
    if schema is None or db.session.get_bind().dialect.name != "postgresql":
        for batch in stream_answers(questionnaire_id, options.statuses, round_id=round_id):
            yield batch_tables(layout, schemas, batch), len(batch)
        return
    # Closed here whatever happens, so the reader thread is gone before the session is used.
    with closing(stream_lines(questionnaire_id, options.statuses, round_id=round_id)) as blocks:
        for data in blocks:
            lines = None if b"\x01" in data else read_lines(data, schema)
            tables = None if lines is None else arrow_batch_tables(layout, schemas, lines)
            if tables is not None and lines is not None:
                yield tables, lines.num_rows
                continue
            batch = _general_batch(data)
            yield batch_tables(layout, schemas, batch), len(batch)


def count_submissions(
    questionnaire_ids: Sequence[str], statuses: Sequence[str], round_id: int | None = None
) -> int:
    """How many submissions an export will read (for the progress bar)."""
    from sqlalchemy import func

    query = (
        select(func.count(Submission.id))
        .join(QuestionnaireVersion, Submission.questionnaire_version_id == QuestionnaireVersion.id)
        .where(QuestionnaireVersion.questionnaire_id.in_(list(questionnaire_ids)))
    )
    if statuses:
        query = query.where(Submission.status.in_(list(statuses)))
    if round_id is not None:
        query = query.where(Submission.round_id == round_id)
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

    Merged (:func:`questionnaires.tidy.merged_layout`), they let a question an older version
    asked and a newer one dropped keep its column and its answers.
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
    number of submissions of each batch. Only the round's interviews are exported
    (:func:`choose_round`); every table starts with its ``round`` column and the folder gets
    the round's ``round.json``.
    """
    from ..core.audit import record

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
    survey_round = choose_round(options.round)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result = ExportResult(round=survey_round.code)
    for version in latest_versions(options.questionnaires):
        questionnaire = questionnaire_for(version)
        layouts = version_layouts(questionnaire.id, options)
        layout = merged_layout([layouts[version.version], *layouts.values()])
        if not layout.tables:
            result.left_out.append(questionnaire.id)
            continue
        writers: dict[str, TableWriter] = {}
        schemas = {table.name: arrow_schema(table) for table in layout.tables}
        batches = _tables(layout, schemas, options, questionnaire.id, survey_round.id)
        try:
            for table in layout.tables:
                path = folder / f"{table.name}.{options.format}"
                writers[table.name] = open_writer(
                    options.format, path, with_round_column(table), options.lang
                )
                result.rows[table.name] = 0
            while True:
                try:
                    tables, count = next(batches)
                except StopIteration:
                    break
                except ValueTooLarge as error:
                    raise ExportError(
                        f"questionnaire {questionnaire.id}, column {error.column}: an answer "
                        f"({error.value:g}) is too large for a whole number; correct it in the "
                        f"submission and export again",
                        f"Phiếu {questionnaire.id}, cột {error.column}: có câu trả lời "
                        f"({error.value:g}) quá lớn cho một số nguyên; hãy sửa phiếu rồi xuất lại",
                    ) from None
                for name, rows in tables.items():
                    writers[name].write(add_round(rows, survey_round.code))
                    result.rows[name] += rows.num_rows
                result.submissions += count
                if progress is not None:
                    progress(count)
        finally:
            batches.close()  # stops the reading (and its thread) when a writer failed
            for writer in writers.values():
                writer.close()
        result.files.extend(w.path for w in writers.values())
        written = write_paradata(
            folder,
            version,
            options.format,
            options.statuses,
            options.include_identifying,
            options.lang,
            survey_round=(survey_round.id, survey_round.code),
        )
        if written is not None:
            result.files.append(written[0])
            result.rows[f"paradata_{questionnaire.id}"] = written[1]
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
            "round": survey_round.code,
            "rows": result.rows,
        },
    )
    result.round_file = write_round(folder, survey_round.info())
    db.session.commit()
    return result
