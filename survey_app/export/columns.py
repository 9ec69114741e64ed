"""Turn a batch of submissions into one Arrow table per unit of observation, column by column.

:class:`questionnaires.tidy.TidyLayout` defines the tables, their columns and what each cell
holds (``_cell``); this module applies that definition to a whole batch at once instead of
building one dict per row. Each column's raw values are picked from the answer dicts with one
list comprehension; when they are already of the column's kind (ints for an integer column,
numbers for a decimal one, text for a text one, or missing) pyarrow converts the list in C.
Anything else (a number typed as text, a boolean, a multi-choice answer) goes through the
layout's own ``_cell`` for every row of that column, so both routes give the same values.

Roster tables (repeat groups) are built from the flattened records of their parent's rows;
their key and design columns are the parent's, taken by row index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from questionnaires.errors import GesurveyError
from questionnaires.tidy import Column, TidyLayout, UnitTable, _cell, _number

__all__ = ["Submission", "ValueTooLarge", "arrow_schema", "batch_tables"]

#: One submission as the export reads it: uuid, questionnaire version, answers, village PSU.
Submission = tuple[str, str, Any, "int | None"]

_NONE = type(None)
_INT_ONLY = frozenset({int})
_FAST_TYPES: dict[str, frozenset[type]] = {
    "int": frozenset({int, _NONE}),
    "float": frozenset({int, float, _NONE}),
    "str": frozenset({str, _NONE}),
}


class ValueTooLarge(GesurveyError, ValueError):
    """An answer in an integer column does not fit 64 bits (the column and the value)."""

    code = "value_too_large"

    def __init__(self, column: str, value: int) -> None:
        super().__init__(
            f"column {column!r} holds {value:g}, too large for a 64-bit integer",
            f"cột {column!r} có giá trị {value:g}, quá lớn cho số nguyên 64 bit",
            where=f"column {column}",
        )
        self.column = column
        self.value = value


def _arrow_type(column: Column) -> pa.DataType:
    if column.kind == "str":
        return pa.string()
    if column.kind == "float":
        return pa.float64()
    # int64 even for choice codes: an out-of-range code must reach the file, not stop the export.
    return pa.int64()


def arrow_schema(table: UnitTable) -> pa.Schema:
    """The Arrow schema of a unit table: text, float64 and int64 columns."""
    return pa.schema([pa.field(c.name, _arrow_type(c)) for c in table.columns])


def _typed(kind: str, values: list[Any], arrow_type: pa.DataType) -> pa.Array | None:
    """``values`` as an Arrow array when they already are of the column's kind, else None.

    Exactly what ``_cell`` gives for such values: text keeps its value with "" as missing,
    decimals turn NaN into missing, integers stay integers.
    """
    if kind == "str":
        try:  # pyarrow refuses anything but text and None
            array = pa.array(values, type=pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return None
        return pc.if_else(pc.equal(array, ""), None, array)
    if not set(map(type, values)) <= _FAST_TYPES[kind]:
        return None
    if kind == "float":
        return pa.array(values, type=pa.float64(), from_pandas=True)
    return pa.array(values, type=arrow_type)


def _multi_answers(
    column: Column, containers: Sequence[Mapping[str, Any]]
) -> list[tuple[set[Any], int | None] | None]:
    """Per row, the codes chosen in a multi-choice answer and the missing code among them
    (None for no answer): what ``_cell`` works out for each of the question's 0/1 columns."""
    question = column.question
    assert question is not None
    out: list[tuple[set[Any], int | None] | None] = []
    missing_codes = column.missing_codes
    missing_set = frozenset(missing_codes)
    for value in map(dict.get, containers, repeat(question.id, len(containers))):  # type: ignore[arg-type]
        if value is None or value == "":
            out.append(None)
            continue
        chosen = value if isinstance(value, list) else [value]
        if _INT_ONLY.issuperset(map(type, chosen)):
            codes = set(chosen)
        else:
            codes = {_number(code, int) for code in chosen}
        missing = None
        if not missing_set.isdisjoint(codes):
            missing = next(c for c in missing_codes if c in codes)
        out.append((codes, missing))
    return out


def _multi_texts(column: Column, containers: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """Per row, a multi-choice answer as its codes joined by spaces: what ``_cell`` gives,
    without a call per row when the answer is a list of whole numbers."""
    question = column.question
    assert question is not None
    out: list[str | None] = []
    for container, value in zip(
        containers,
        map(dict.get, containers, repeat(question.id, len(containers))),  # type: ignore[arg-type]
        strict=True,
    ):
        if value is None or value == "":
            out.append(None)
        elif type(value) is list and _INT_ONLY.issuperset(map(type, value)):
            out.append(" ".join(map(str, value)))
        else:
            out.append(_cell(column, container))
    return out


def _column_values(
    column: Column, containers: Sequence[Mapping[str, Any]], multi: dict[str, Any]
) -> pa.Array:
    arrow_type = _arrow_type(column)
    question = column.question
    assert question is not None
    if column.source == "multi_dummy":
        # Each choice's column reads the same answer: parse it once per question and row.
        answers = multi.get(question.id)
        if answers is None:
            answers = multi[question.id] = _multi_answers(column, containers)
        code = column.code
        return pa.array(
            [
                None
                if answer is None
                else answer[1]
                if answer[1] is not None
                else int(code in answer[0])
                for answer in answers
            ],
            type=arrow_type,
        )
    if column.source == "multi_text":
        return pa.array(_multi_texts(column, containers), type=arrow_type)
    if column.source in ("answer", "grid"):
        raw = list(map(dict.get, containers, repeat(question.id, len(containers))))  # type: ignore[arg-type]
        if column.source == "grid":
            row = column.grid_row
            raw = [value.get(row) if isinstance(value, Mapping) else None for value in raw]
        array = _typed(column.kind, raw, arrow_type)
        if array is not None:
            return array
    values = [_cell(column, container) for container in containers]
    try:
        return pa.array(values, type=arrow_type)
    except OverflowError:
        huge = next(v for v in values if isinstance(v, int) and not -(2**63) <= v < 2**63)
        raise ValueTooLarge(column.name, huge) from None


def _id_array(name: str, values: list[Any], column: Column) -> pa.Array:
    """An id column (household number, PSU, …), with the clear error for a number past 64 bits
    (such as '1E100' typed as a household number) instead of pyarrow's OverflowError."""
    try:
        return pa.array(values, type=_arrow_type(column))
    except OverflowError:
        huge = next(v for v in values if isinstance(v, int) and not -(2**63) <= v < 2**63)
        raise ValueTooLarge(name, huge) from None


def _children(layout: TidyLayout, table: UnitTable) -> list[UnitTable]:
    depth = len(table.groups)
    return [
        child
        for child in layout.tables
        if len(child.groups) == depth + 1 and child.groups[:depth] == table.groups
    ]


def _build(
    layout: TidyLayout,
    table: UnitTable,
    containers: Sequence[Mapping[str, Any]],
    ids: dict[str, pa.Array],
    schemas: dict[str, pa.Schema],
    out: dict[str, pa.Table],
) -> None:
    schema = schemas[table.name]
    arrays = {}
    multi: dict[str, Any] = {}
    for column in table.columns:
        if column.source == "id":
            arrays[column.name] = ids[column.name].cast(schema.field(column.name).type)
        else:
            arrays[column.name] = _column_values(column, containers, multi)
    out[table.name] = pa.Table.from_arrays([arrays[n] for n in schema.names], schema=schema)
    for child in _children(layout, table):
        group = child.groups[-1]
        parents: list[int] = []
        records: list[Mapping[str, Any]] = []
        numbers: list[int] = []
        for index, container in enumerate(containers):
            values = container.get(group)
            if not isinstance(values, list):
                continue
            for number, record in enumerate(values, start=1):
                if isinstance(record, Mapping):
                    parents.append(index)
                    records.append(record if type(record) is dict else dict(record))
                    numbers.append(number)
        take = pa.array(parents, type=pa.int64())
        key = layout._row_keys[child.name]
        child_ids = {
            c.name: arrays[c.name].take(take)
            for c in child.columns
            if c.source == "id" and c.name != key
        }
        child_ids[key] = pa.array(numbers, type=pa.int64())
        _build(layout, child, records, child_ids, schemas, out)


def batch_tables(
    layout: TidyLayout, schemas: dict[str, pa.Schema], batch: Sequence[Submission]
) -> dict[str, pa.Table]:
    """The rows a batch of submissions adds to each of the layout's tables, as Arrow tables.

    The same rows, in the same order, as :meth:`TidyLayout.rows` gives submission by
    submission; ``schemas`` maps table names to :func:`arrow_schema`.
    """
    out: dict[str, pa.Table] = {}
    if not layout.tables:
        return out
    # Plain dicts (what JSON decodes to), so columns can be picked with dict.get directly.
    containers = [
        answers if type(answers) is dict else dict(answers) if isinstance(answers, Mapping) else {}
        for _, _, answers, _ in batch
    ]
    keys = [
        {
            **layout.design_values(container, psu),
            "submission_uuid": uuid,
            "questionnaire_version": version,
        }
        for (uuid, version, _, psu), container in zip(batch, containers, strict=True)
    ]
    top = layout.tables[0]
    ids = {
        column.name: _id_array(column.name, [key.get(column.name) for key in keys], column)
        for column in top.columns
        if column.source == "id"
    }
    _build(layout, top, containers, ids, schemas, out)
    return out
