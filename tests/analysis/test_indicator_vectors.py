"""Table-plan indicators evaluate the shared expression vectors as the form engine does.

Indicators read data frames (one column per question, multi-choice answers as code lists) and
give floats (1/0 for true/false, NaN for null). Every shared vector a table plan may contain
(numbers, references, multi-choice answers; no text, repeat rows, ``.`` or choice attributes)
is run through that path and must give the vector's value.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.errors import AnalysisError
from analysis.indicators import evaluate_frame
from questionnaires.codes import MISSING_CODES
from questionnaires.expressions import compile_vector, load_vectors


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _applies(vector: dict[str, Any]) -> bool:
    if "error" in vector or vector.get("repeats") or vector.get("group"):
        return False
    if vector.get("current") is not None or vector.get("choice") is not None:
        return False
    if not all(_plain(v) for v in vector.get("answers", {}).values()):
        return False
    return not isinstance(vector["expected"], str | list)


VECTORS = [v for v in load_vectors() if _applies(v)]
IDS = [v["expression"] for v in VECTORS]


# Questions the vectors answer with a list somewhere are multi-choice questions, with the
# reserved missing codes declared as every bundled multi-choice question declares them.
MULTI = {
    name
    for vector in load_vectors()
    for name, value in vector.get("answers", {}).items()
    if isinstance(value, list) and all(isinstance(v, int) for v in value)
}


def _frame(vector: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, tuple[int, ...]]]:
    columns: dict[str, list[Any]] = {}
    missing: dict[str, tuple[int, ...]] = {}
    for name, value in vector.get("answers", {}).items():
        if name in MULTI:
            missing[name] = tuple(MISSING_CODES)
            # JSON keeps an answered question with nothing chosen ("[]") apart from a blank.
            columns[name] = [None if value is None else json.dumps(value)]
        else:
            columns[name] = [np.nan if value is None else float(value)]
    return pd.DataFrame(columns, index=[0]), missing


def test_most_plan_shaped_vectors_are_run() -> None:
    assert len(VECTORS) >= 80


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_indicator_evaluation_matches_shared_vector(vector: dict[str, Any]) -> None:
    frame, missing = _frame(vector)
    if not len(frame.columns):
        frame = pd.DataFrame(index=[0])
    ast = compile_vector(vector)
    try:
        got = evaluate_frame(ast, frame, missing, MULTI)[0]
    except AnalysisError as refused:
        # Only what a table plan may not contain is refused, and the message names it.
        assert any(word in str(refused) for word in ("text value", "function", "node")), refused
        return
    expected = vector["expected"]
    if expected is None:
        assert math.isnan(got)
    else:
        assert got == pytest.approx(float(expected), abs=1e-9)
