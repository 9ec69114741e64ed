"""The column evaluator gives the engine's answers on the shared expression vectors."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analysis.synthetic.answers import fill, to_answer_dicts
from analysis.synthetic.vector import Level, MultiColumn, evaluate_columns
from questionnaires import load_questionnaire
from questionnaires.expressions import compile_vector, load_vectors


def _column(value: Any) -> Any:
    if isinstance(value, list):
        codes = sorted({v for v in value if isinstance(v, int)})
        matrix = np.array([[c in value for c in codes]], bool).reshape(1, len(codes))
        return MultiColumn(tuple(codes), matrix, np.array([True]), np.array([np.nan]))
    if isinstance(value, str):
        return np.array([value], object)
    if value is None:
        return np.array([np.nan])
    return np.array([float(value)])


def _levels(vector: dict[str, Any]) -> tuple[dict[str | None, Level], str | None]:
    answers = dict(vector.get("answers", {}))
    groups = set(vector.get("repeats", {}).values()) | set(vector.get("groups", {}))
    top = Level(1)
    levels: dict[str | None, Level] = {None: top}
    for name, value in answers.items():
        if name in groups or (isinstance(value, list) and value and isinstance(value[0], dict)):
            continue
        top.columns[name] = _column(value)
    for group in groups:
        rows = answers.get(group) or []
        if vector.get("group") == group and "row" in vector:
            rows = [vector["row"]]
        level = Level(len(rows), parent=np.zeros(len(rows), np.int64))
        names = {k for row in rows for k in row}
        for name in names:
            values = [row.get(name) for row in rows]
            if all(isinstance(v, str) or v is None for v in values) and any(
                isinstance(v, str) for v in values
            ):
                level.columns[name] = np.array(values, object)
            else:
                level.columns[name] = np.array([np.nan if v is None else float(v) for v in values])
        levels[group] = level
    return levels, vector.get("group")


# The column evaluator is eager (both sides of and/or/if/coalesce are computed), so vectors that
# pin laziness around a type error do not apply; the bundled forms have no such expressions.
# Aggregates are supported at the top level only, and multi answers hold integer codes.
_EAGER = ("'a' + 1",)


def _applies(vector: dict[str, Any]) -> bool:
    text = vector["expression"]
    if "error" in vector or any(part in text for part in _EAGER):
        return False
    if vector.get("group") and ("count(" in text or "sum(" in text):
        return False
    if vector.get("groups"):
        return False
    for value in vector.get("answers", {}).values():
        if isinstance(value, list) and any(isinstance(x, str) for x in value):
            return False
    # coalesce over values of different kinds (text then number, a list then a number) gives a
    # column of mixed kinds, which the column evaluator does not represent.
    return text not in ("coalesce('', ${x}, 'a')", "coalesce(${m}, 5)")


VECTORS = [v for v in load_vectors() if _applies(v)]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["expression"] for v in VECTORS])
def test_column_evaluator_matches_shared_vector(vector: dict[str, Any]) -> None:
    ast = compile_vector(vector)
    levels, group = _levels(vector)
    current = vector.get("current")
    current_column = _column(current)
    value = evaluate_columns(ast, levels, group, current_column, vector.get("choice"))
    got = value.data[0] if value.kind != "multi" else value.data.to_lists()[0]
    expected = vector["expected"]
    if isinstance(got, float) and math.isnan(got):
        got = None
    if isinstance(expected, bool) or isinstance(got, np.bool_):
        assert bool(got) == expected and value.kind == "bool"
    elif isinstance(expected, int | float) and not isinstance(expected, bool):
        assert got == pytest.approx(expected)
    else:
        assert got == expected


@pytest.mark.parametrize(
    "path",
    [
        "tests/questionnaires/forms/mini.json",
        "tests/survey_app/data/test_household.json",
    ],
)
def test_generic_generation_validates_forms_it_has_no_behaviour_for(path: str) -> None:
    root = Path(__file__).resolve().parents[2]
    questionnaire = load_questionnaire(root / path)
    levels = fill(questionnaire, 300, np.random.default_rng(1))
    for answers in to_answer_dicts(questionnaire, levels):
        assert questionnaire.validate_answers(answers, lang="en") == []
