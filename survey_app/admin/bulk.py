"""Assignments in bulk: import a CSV of hundreds of assignments at once, export the current ones.

The file has one row per assignment with the columns of ``ASSIGNMENT_COLUMNS``: the enumerator's
user name, the questionnaire id, the code of a village (or commune) and the target number of
households, and optionally ``households``: the numbers of the sampled households in the village,
separated by spaces (new interviews take them in order). An import is all or nothing: every row
is checked first and, when any row is wrong, nothing is written and every problem is reported
with its row and column. Importing the same file again changes nothing; a row for an existing
assignment updates its target and household list instead of adding a second one. Exporting
writes the same columns, so an export can be edited and imported back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select

from ..core.audit import record
from ..extensions import db
from ..models import Area, Assignment, User
from .services import (
    AdminError,
    assignment_round_id,
    check_assignable_area,
    check_coverage,
    check_enumerator,
    check_published,
    published_questionnaire_ids,
    record_assignment_created,
)

ASSIGNMENT_COLUMNS = ("enumerator", "questionnaire", "area_code", "target")
OPTIONAL_COLUMNS = ("households",)
MAX_TARGET = 10000


@dataclass(frozen=True)
class RowError:
    """One problem of an imported file: the row (the header is row 1), the column, what."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _(
            "Row %(row)d, column %(column)s: %(message)s",
            row=self.row,
            column=self.column,
            message=self.message,
        )


class AssignmentImportError(AdminError):
    """An import refused as a whole; errors lists every problem found, row by row."""

    def __init__(self, source: str, errors: list[RowError]) -> None:
        self.source = source
        self.errors = errors
        lines = [_("%(file)s: nothing imported.", file=source)] + [str(e) for e in errors]
        super().__init__("\n".join(lines))


@dataclass
class ImportResult:
    """How many assignments an import created, updated (new target) and left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0


@dataclass(frozen=True)
class _Row:
    line: int
    enumerator: User
    area: Area
    questionnaire_id: str
    target: int
    households: str


def parse_households(text: str) -> str:
    """The household list as canonical text ("3 7 12": distinct whole numbers from 1, in the
    order given); AdminError otherwise."""
    numbers: list[int] = []
    for word in text.replace(",", " ").replace(";", " ").split():
        if not word.isdigit() or not 1 <= int(word) <= MAX_TARGET:
            raise AdminError(
                _(
                    "households: %(value)s is not a household number from 1 to %(max)d; "
                    "separate the numbers with spaces.",
                    value=repr(word),
                    max=MAX_TARGET,
                )
            )
        if int(word) not in numbers:
            numbers.append(int(word))
    return " ".join(str(n) for n in numbers)


def parse_target(text: str) -> int:
    """The target as a whole number from 1 to MAX_TARGET; AdminError otherwise."""
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_TARGET:
        raise AdminError(
            _(
                "target %(value)s is not a whole number from 1 to %(max)d.",
                value=repr(value),
                max=MAX_TARGET,
            )
        )
    return int(value)


def _read_rows(handle: IO[str], source: str) -> list[tuple[int, dict[str, str]]]:
    try:
        reader = csv.DictReader(handle)
        fieldnames = [name.strip() for name in reader.fieldnames or []]
        missing = [c for c in ASSIGNMENT_COLUMNS if c not in fieldnames]
        if missing:
            raise AssignmentImportError(
                source,
                [
                    RowError(
                        1,
                        ", ".join(missing),
                        _(
                            "missing columns; the header must be %(need)s.",
                            need=",".join(ASSIGNMENT_COLUMNS),
                        ),
                    )
                ],
            )
        reader.fieldnames = fieldnames
        return [
            (reader.line_num, {k: (v or "") for k, v in row.items() if k is not None})
            for row in reader
            if any((value or "").strip() for value in row.values() if isinstance(value, str))
        ]
    except (UnicodeDecodeError, csv.Error) as error:
        raise AssignmentImportError(
            source,
            [RowError(1, "-", _("not a UTF-8 CSV file (%(error)s).", error=error))],
        ) from None


def import_assignments(handle: IO[str], source: str, by: User | None = None) -> ImportResult:
    """Create or update the assignments listed in the CSV read from handle.

    source names the file in messages and in the audit log. Nothing is written unless every row
    is valid (AssignmentImportError lists every problem); the caller commits. Each created
    assignment and each changed target gets its own audit entry, and the import one more with
    its counts.
    """
    rows = _read_rows(handle, source)
    users = {u.username: u for u in db.session.scalars(select(User))}
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    published = published_questionnaire_ids()
    errors: list[RowError] = []
    valid: list[_Row] = []
    first_line: dict[tuple[int, int, str], int] = {}
    for line, row in rows:
        name = row["enumerator"].strip()
        questionnaire_id = row["questionnaire"].strip()
        code = row["area_code"].strip()
        enumerator = area = target = households = None
        try:
            enumerator = check_enumerator(users.get(name), name)
        except AdminError as error:
            errors.append(RowError(line, "enumerator", str(error)))
        try:
            check_published(questionnaire_id, published)
        except AdminError as error:
            errors.append(RowError(line, "questionnaire", str(error)))
            questionnaire_id = ""
        try:
            area = check_assignable_area(areas.get(code), code)
            if enumerator is not None:
                check_coverage(enumerator, area)
        except AdminError as error:
            errors.append(RowError(line, "area_code", str(error)))
            area = None
        try:
            target = parse_target(row["target"])
        except AdminError as error:
            errors.append(RowError(line, "target", str(error)))
        try:
            households = parse_households(row.get("households", ""))
        except AdminError as error:
            errors.append(RowError(line, "households", str(error)))
        if (
            enumerator is None
            or area is None
            or not questionnaire_id
            or target is None
            or households is None
        ):
            continue
        key = (enumerator.id, area.id, questionnaire_id)
        if key in first_line:
            errors.append(
                RowError(
                    line,
                    "enumerator, questionnaire, area_code",
                    _("the same assignment as row %(row)d.", row=first_line[key]),
                )
            )
            continue
        first_line[key] = line
        valid.append(_Row(line, enumerator, area, questionnaire_id, target, households))
    if errors:
        raise AssignmentImportError(source, errors)
    round_id = assignment_round_id()
    existing = {
        (a.enumerator_id, a.area_id, a.questionnaire_id): a
        for a in db.session.scalars(select(Assignment).where(Assignment.round_id == round_id))
    }
    result = ImportResult(rows=len(valid))
    for item in valid:
        assignment = existing.get((item.enumerator.id, item.area.id, item.questionnaire_id))
        if assignment is None:
            assignment = Assignment(
                enumerator=item.enumerator,
                area=item.area,
                questionnaire_id=item.questionnaire_id,
                target=item.target,
                households=item.households,
                round_id=round_id,
            )
            db.session.add(assignment)
            db.session.flush()
            record_assignment_created(assignment, by)
            result.created += 1
            continue
        changed = False
        for name in ("target", "households"):
            old, new = getattr(assignment, name), getattr(item, name)
            if old == new:
                continue
            record(
                f"assignment.{name}",
                user=by,
                object_type="assignment",
                object_id=assignment.id,
                field=name,
                old=old,
                new=new,
            )
            setattr(assignment, name, new)
            changed = True
        if changed:
            result.updated += 1
        else:
            result.unchanged += 1
    record(
        "assignments.import",
        user=by,
        object_type="assignment",
        object_id=source,
        new={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    db.session.flush()
    return result


def assignment_rows() -> Iterable[list[str]]:
    """The current assignments as CSV rows (header first), ordered for reading and diffing."""
    yield [*ASSIGNMENT_COLUMNS, *OPTIONAL_COLUMNS]
    query = (
        select(
            User.username,
            Assignment.questionnaire_id,
            Area.code,
            Assignment.target,
            Assignment.households,
        )
        .join(User, Assignment.enumerator_id == User.id)
        .join(Area, Assignment.area_id == Area.id)
        .order_by(User.username, Assignment.questionnaire_id, Area.code)
    )
    for username, questionnaire_id, code, target, households in db.session.execute(query):
        yield [username, questionnaire_id, code, str(target), households]


def export_assignments(handle: IO[str]) -> int:
    """Write the current assignments as CSV to handle; returns how many were written."""
    writer = csv.writer(handle, lineterminator="\n")
    count = -1
    for row in assignment_rows():
        writer.writerow(row)
        count += 1
    return count


def export_assignments_text() -> str:
    """The current assignments as CSV text (for a download)."""
    buffer = io.StringIO()
    export_assignments(buffer)
    return buffer.getvalue()
