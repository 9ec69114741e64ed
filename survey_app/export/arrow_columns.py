"""Fill a batch's export tables from newline-delimited JSON with pyarrow's C++ JSON reader.

A faster way to fill the same layout as :mod:`.columns` (one definition of every column:
:class:`questionnaires.tidy.TidyLayout`): the answers are parsed straight into Arrow arrays
(an explicit schema derived from the layout: int64, float64 and text answers, a grid as a
struct, a multi-choice answer as a list of codes, a roster as a list of structs), so no Python
object is made per value. Only answers already of their column's JSON type go this way; any
other value (a number typed as text, a float in an integer column, a scalar multi-choice
answer, a code in a list that is null, answers that are not an object) makes the reader or
:func:`arrow_batch_tables` refuse the batch, and the caller builds that batch through
:mod:`.columns`, which knows every such case. So values are never lost or altered.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from questionnaires.errors import GesurveyError
from questionnaires.tidy import Column, TidyLayout, UnitTable

from ..security.sealing import SEALED
from .columns import _arrow_type

__all__ = ["answers_schema", "arrow_batch_tables"]

_INT = pa.int64()
_FLOAT = pa.float64()
_REFUSED = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


class _Conflict(GesurveyError):
    """Two uses of one JSON key need different Arrow types (never reaches a user: the batch
    then goes the general route)."""

    code = "arrow_schema_conflict"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"the answers' key {name!r} needs two different column types",
            f"khóa {name!r} của câu trả lời cần hai kiểu cột khác nhau",
            where=name,
        )


def _put(fields: dict[str, Any], name: str, value: Any) -> None:
    old = fields.setdefault(name, value)
    if old is value:
        return
    if isinstance(old, dict) and isinstance(value, dict):
        for key, item in value.items():
            _put(old, key, item)
        return
    if old != value:
        raise _Conflict(name)


def _column_json_type(column: Column) -> Any:
    if column.source == "grid":
        assert column.grid_row is not None
        return {column.grid_row: _INT}
    if column.source in ("multi_text", "multi_dummy"):
        return pa.list_(_INT)
    return _arrow_type(column)


def _to_arrow(fields: dict[str, Any]) -> pa.StructType:
    out = []
    for name, value in fields.items():
        if isinstance(value, tuple):  # a roster: list of records
            out.append(pa.field(name, pa.list_(_to_arrow(value[0]))))
        elif isinstance(value, dict):
            out.append(pa.field(name, _to_arrow(value)))
        else:
            out.append(pa.field(name, value))
    return pa.struct(out)


def answers_schema(layout: TidyLayout) -> pa.Schema | None:
    """The JSON reader's schema for one line ``{"u": uuid, "v": version, "p": area code,
    "a": answers}`` of this layout, or None when one answer key would need two types."""
    meta = layout.questionnaire.analysis
    top: dict[str, Any] = {}
    containers: dict[tuple[str, ...], dict[str, Any]] = {(): top}
    try:
        for name in (meta.stratum, "district", "residence", meta.psu, "household_no"):
            if name:
                _put(top, name, _INT)
        for name in ("weight_base", "weight_adjusted", meta.weight):
            if name:
                _put(top, name, _FLOAT)
        _put(top, SEALED, pa.string())  # a sealed submission goes the general route
        for table in layout.tables:
            groups = table.groups
            fields = containers.get(groups)
            if fields is None:
                parent = containers.get(groups[:-1])
                if parent is None:
                    return None
                record: dict[str, Any] = {}
                _put(parent, groups[-1], (record,))
                fields = containers[groups] = parent[groups[-1]][0]
            for column in table.columns:
                if column.source != "id":
                    _put(fields, column.question_id, _column_json_type(column))
    except _Conflict:
        return None
    return pa.schema(
        [("u", pa.string()), ("v", pa.string()), ("p", pa.string()), ("a", _to_arrow(top))]
    )


def _psu_codes(codes: pa.Array) -> pa.Array:
    """The area code's PSU (its number when it is all digits), as ``service._psu`` gives."""
    unique = pc.unique(codes)
    numbers = [int(code) if code and code.isdigit() else None for code in unique.to_pylist()]
    return pa.array(numbers, type=_INT).take(pc.index_in(codes, unique))


def _design(layout: TidyLayout, answers: dict[str, pa.Array], area: pa.Array) -> dict[str, Any]:
    """Design and household-key columns, as :meth:`TidyLayout.design_values` works them out."""
    meta = layout.questionnaire.analysis
    n = len(area)

    def get(name: str | None, kind: pa.DataType) -> pa.Array:
        return answers[name] if name else pa.nulls(n, kind)

    stratum = get(meta.stratum, _INT)
    computed = pc.add_checked(
        pc.multiply_checked(get("district", _INT), 10), get("residence", _INT)
    )
    stratum = pc.coalesce(stratum, computed)
    psu = pc.coalesce(get(meta.psu, _INT), _psu_codes(area))
    out: dict[str, Any] = {"stratum": stratum, "psu": psu}
    out["weight_base"] = get("weight_base", _FLOAT)
    out["weight_adjusted"] = get("weight_adjusted", _FLOAT)
    out["weight_final"] = get(meta.weight, _FLOAT)
    out["hh_id"] = pc.add_checked(pc.multiply_checked(psu, 1000), get("household_no", _INT))
    return out


class _Irregular(GesurveyError):
    """A value the Arrow route does not handle: build the batch with :mod:`.columns` (never
    reaches a user)."""

    code = "arrow_irregular"

    def __init__(self) -> None:
        super().__init__(
            "a value the Arrow route does not handle",
            "một giá trị mà đường Arrow không xử lý được",
        )


def _fields(container: pa.StructArray) -> dict[str, pa.Array]:
    names = [container.type.field(i).name for i in range(container.type.num_fields)]
    return dict(zip(names, container.flatten(), strict=True))


def _multi(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: whether answered, and the chosen codes with their row numbers."""
    flat = pc.list_flatten(values)
    if flat.null_count:
        raise _Irregular()
    parents = pc.list_parent_indices(values).to_numpy()
    return values.is_valid().to_numpy(zero_copy_only=False), flat.to_numpy(), parents


def _has(n: int, answers: tuple[np.ndarray, np.ndarray, np.ndarray], code: int) -> np.ndarray:
    _, flat, parents = answers
    out = np.zeros(n, dtype=bool)
    out[parents[flat == code]] = True
    return out


def _column(column: Column, fields: dict[str, pa.Array], multi: dict[str, Any], n: int) -> pa.Array:
    values = fields[column.question_id]
    if column.source == "grid":
        return _fields(values)[column.grid_row]  # type: ignore[index]
    if column.source == "multi_text":
        if pc.list_flatten(values).null_count:
            raise _Irregular()
        return pc.binary_join(values.cast(pa.list_(pa.string())), " ")
    if column.source == "multi_dummy":
        answers = multi.get(column.question_id)
        if answers is None:
            answers = multi[column.question_id] = _multi(values)
        valid = answers[0]
        missing = np.zeros(n, dtype=np.int64)
        has_missing = np.zeros(n, dtype=bool)
        for code in column.missing_codes:
            found = _has(n, answers, code) & ~has_missing
            missing[found] = code
            has_missing |= found
        assert column.code is not None
        result = np.where(has_missing, missing, _has(n, answers, column.code).astype(np.int64))
        return pa.array(result, type=_INT, mask=~valid)
    if column.kind == "str":
        return pc.if_else(pc.equal(values, ""), None, values)
    return values


def _build(
    layout: TidyLayout,
    table: UnitTable,
    container: pa.StructArray,
    ids: dict[str, pa.Array],
    schemas: dict[str, pa.Schema],
    out: dict[str, pa.Table],
) -> None:
    schema = schemas[table.name]
    n = len(container)
    fields = _fields(container)
    arrays: dict[str, pa.Array] = {}
    multi: dict[str, Any] = {}
    for column in table.columns:
        arrow_type = schema.field(column.name).type
        if column.source == "id":
            value = ids.get(column.name)
            arrays[column.name] = (
                pa.nulls(n, arrow_type) if value is None else value.cast(arrow_type)
            )
        else:
            arrays[column.name] = _column(column, fields, multi, n).cast(arrow_type)
    out[table.name] = pa.Table.from_arrays([arrays[n] for n in schema.names], schema=schema)
    depth = len(table.groups)
    for child in layout.tables:
        if len(child.groups) != depth + 1 or child.groups[:depth] != table.groups:
            continue
        lists = fields[child.groups[-1]]
        records = pc.list_flatten(lists)
        parents = pc.list_parent_indices(lists).to_numpy()
        # A record's number is its place in its list, counting entries that are not records.
        starts = np.r_[0, np.flatnonzero(np.diff(parents)) + 1]
        first = np.repeat(starts, np.diff(np.r_[starts, len(parents)]))
        numbers = np.arange(len(parents), dtype=np.int64) - first + 1
        keep = records.is_valid()
        take = pa.array(parents, type=_INT).filter(keep)
        key = layout._row_keys[child.name]
        child_ids = {
            c.name: arrays[c.name].take(take)
            for c in child.columns
            if c.source == "id" and c.name != key
        }
        child_ids[key] = pa.array(numbers, type=_INT).filter(keep)
        _build(layout, child, records.filter(keep), child_ids, schemas, out)


def read_lines(data: bytes, schema: pa.Schema) -> pa.Table | None:
    """Parse newline-delimited JSON lines with the schema; None when a value does not fit."""
    try:
        return pj.read_json(
            pa.py_buffer(data),
            read_options=pj.ReadOptions(use_threads=False, block_size=max(len(data), 1 << 20)),
            parse_options=pj.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="ignore"
            ),
        )
    except _REFUSED:
        return None


def arrow_batch_tables(
    layout: TidyLayout, schemas: dict[str, pa.Schema], lines: pa.Table
) -> dict[str, pa.Table] | None:
    """The rows the parsed lines add to each table (as :func:`.columns.batch_tables` gives
    them), or None when a value needs the general route."""
    out: dict[str, pa.Table] = {}
    if not layout.tables:
        return out
    answers = lines.column("a").combine_chunks()
    if answers.null_count or lines.column("u").null_count:
        return None
    try:
        fields = _fields(answers)
        if fields[SEALED].null_count < len(answers):
            return None
        ids = _design(layout, fields, lines.column("p").combine_chunks())
        ids["submission_uuid"] = lines.column("u").combine_chunks()
        ids["questionnaire_version"] = lines.column("v").combine_chunks()
        _build(layout, layout.tables[0], answers, ids, schemas, out)
    except (_Irregular, *_REFUSED):
        return None
    return out
