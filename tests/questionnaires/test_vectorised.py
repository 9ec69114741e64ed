"""The vectorised evaluator passes every shared expression vector, like the scalar and browser ones.

Each vector's answers become one interview (and its repeat rows) in the column layout of
``questionnaires.vectorised``; the expression runs over those columns and the value at the
vector's row must be the vector's ``expected``, or an ``ExpressionError`` when the vector says
evaluation fails. Syntax vectors never reach an evaluator (the shared compiler rejects them).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from questionnaires.errors import ExpressionError
from questionnaires.expressions import compile_vector, load_vectors
from questionnaires.vectorised import Level, MultiColumn, evaluate_columns

VECTORS = [v for v in load_vectors() if v.get("error") != "syntax"]
IDS = [f"{i}:{v['expression']}" for i, v in enumerate(VECTORS)]


def column(values: list[Any]) -> Any:
    """One column in the evaluator's layout from answers as the scalar evaluator takes them."""
    if any(isinstance(v, dict) for v in values):
        keys = {k for v in values if isinstance(v, dict) for k in v}
        return {
            k: np.array([float(v[k]) if v and v.get(k) is not None else np.nan for v in values])
            for k in keys
        }
    if any(isinstance(v, list) for v in values):
        codes = sorted({c for v in values if isinstance(v, list) for c in v}, key=repr)
        matrix = np.array([[isinstance(v, list) and c in v for c in codes] for v in values], bool)
        return MultiColumn(
            tuple(codes),
            matrix.reshape(len(values), len(codes)),
            np.array([v is not None for v in values], bool),
            np.array([float(v) if isinstance(v, int | float) else np.nan for v in values]),
        )
    if any(isinstance(v, str) for v in values):
        return np.array(values, object)
    if values and all(isinstance(v, bool) for v in values):
        return np.array(values, bool)
    return np.array([np.nan if v is None else float(v) for v in values])


def build_levels(vector: dict[str, Any]) -> tuple[dict[str | None, Level], int]:
    """The vector's interview as levels, and the index of the row the expression runs in."""
    answers = dict(vector.get("answers", {}))
    parents: dict[str, str | None] = {g: None for g in vector.get("repeats", {}).values()}
    parents.update(vector.get("groups", {}))
    group = vector.get("group")
    here = 0
    top = Level(1)
    levels: dict[str | None, Level] = {None: top}
    for name, value in answers.items():
        if name in parents and not isinstance(value, list | None):
            # Not a list of rows: an answer, so the group has no level to aggregate over.
            del parents[name]
        if name not in parents:
            top.columns[name] = column([value])
    rows_of: dict[str | None, list[dict[str, Any]]] = {None: [answers]}
    pending = list(parents)
    while pending:
        name = pending.pop(0)
        parent = parents[name]
        if parent not in rows_of:
            pending.append(name)
            continue
        rows: list[dict[str, Any]] = []
        owner: list[int] = []
        for index, parent_row in enumerate(rows_of[parent]):
            for row in parent_row.get(name) or []:
                rows.append(row)
                owner.append(index)
        if name == group and vector.get("row") is not None:
            row = vector["row"]
            if row in rows:
                here = rows.index(row)
            else:
                # The current row stands alone (its group's other rows are not in the vector).
                here = len(rows)
                rows.append(row)
                owner.append(0)
        rows_of[name] = rows
        level = Level(len(rows), parent=np.array(owner, np.int64), parent_group=parent)
        for key in {k for row in rows for k in row if k not in parents}:
            level.columns[key] = column([row.get(key) for row in rows])
        levels[name] = level
    return levels, here


def value_at(value: Any, index: int) -> Any:
    if value.kind == "multi":
        return value.data.to_lists()[index]
    got = value.data[index]
    if isinstance(got, np.generic):
        got = got.item()
    if isinstance(got, float) and math.isnan(got):
        return None
    return got


def test_every_non_syntax_vector_is_run() -> None:
    assert len(VECTORS) >= 100


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vectorised_evaluator_matches_shared_vector(vector: dict[str, Any]) -> None:
    ast = compile_vector(vector)
    levels, here = build_levels(vector)
    group = vector.get("group")
    current = vector.get("current")
    current_column = column([current] * levels[group].n)

    def run() -> Any:
        return evaluate_columns(ast, levels, group, current_column, vector.get("choice"))

    if vector.get("error") == "evaluation":
        if group is not None and vector.get("row") is None and levels[group].n == 0:
            # A member read without a row: in columns there is no row, so no value at all.
            assert len(run().data) == 0
            return
        with pytest.raises(ExpressionError):
            run()
        return
    value = run()
    got, expected = value_at(value, here), vector["expected"]
    if isinstance(expected, bool):
        assert value.kind == "bool" and got is expected, got
    elif isinstance(expected, int | float):
        assert value.kind == "num" and got == pytest.approx(expected, abs=1e-9), got
    else:
        assert got == expected
