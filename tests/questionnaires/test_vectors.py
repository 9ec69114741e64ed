"""The Python evaluator passes every shared expression vector (the browser runs the same file)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from questionnaires.errors import ExpressionError, ExpressionSyntaxError
from questionnaires.expressions import compile_vector, evaluate, load_vectors

VECTORS = load_vectors()


def _same(actual: Any, expected: Any) -> bool:
    """Compare as the vector file's format says: booleans strictly, numbers within 1e-9."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=0, abs_tol=1e-9)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(map(_same, actual, expected))
    return actual == expected


def test_there_are_enough_vectors_and_they_are_json_clean() -> None:
    assert len(VECTORS) >= 100
    for vector in VECTORS:
        assert ("expected" in vector) != ("error" in vector), vector
        assert vector.get("error") in (None, "syntax", "evaluation"), vector
        json.dumps(vector)


@pytest.mark.parametrize(
    "vector", VECTORS, ids=[f"{i}:{v['expression']}" for i, v in enumerate(VECTORS)]
)
def test_vector(vector: dict[str, Any]) -> None:
    if vector.get("error") == "syntax":
        with pytest.raises(ExpressionSyntaxError) as caught:
            compile_vector(vector)
        assert caught.value.column == vector["column"], caught.value
        return
    ast = compile_vector(vector)
    json.dumps(ast)
    run = {
        "answers": vector.get("answers", {}),
        "row": vector.get("row"),
        "current": vector.get("current"),
        "choice": vector.get("choice"),
    }
    if vector.get("error") == "evaluation":
        with pytest.raises(ExpressionError) as caught:
            evaluate(ast, **run)
        assert not isinstance(caught.value, ExpressionSyntaxError)
        return
    actual = evaluate(ast, **run)
    assert _same(actual, vector["expected"]), f"got {actual!r}"
