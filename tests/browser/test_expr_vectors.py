"""The browser evaluator (expr.js) passes every shared expression vector in real chromium.

Each vector is compiled to its AST by the Python engine (the browser never parses), then all of
them are evaluated in one page in one go, and each result is checked as its own test case.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from questionnaires.codes import MISSING_CODES
from questionnaires.expressions import compile_vector, load_vectors

VECTORS = [v for v in load_vectors() if v.get("error") != "syntax"]
IDS = [f"{i}:{v['expression']}" for i, v in enumerate(VECTORS)]

RUN_ALL = """(cases) => cases.map((c) => {
  try {
    const value = GESurveyExpr.evaluate(c.ast, c);
    return {ok: true, value: value === undefined ? "<undefined>" : value};
  } catch (err) {
    return {ok: false, name: err && err.name, isExpressionError:
      err instanceof GESurveyExpr.ExpressionError, message: String(err && err.message)};
  }
})"""


def _same(actual: Any, expected: Any) -> bool:
    """Compare as the vector file says: booleans strictly, numbers within 1e-9, strings exactly."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=0, abs_tol=1e-9)
    return actual == expected


@pytest.fixture(scope="module")
def results(browser: Any, static_server: str) -> list[dict[str, Any]]:
    """Evaluate every vector in one chromium page and return the outcomes in vector order."""
    cases = [
        {
            "ast": compile_vector(v),
            "answers": v.get("answers", {}),
            "row": v.get("row"),
            "current": v.get("current"),
            "choice": v.get("choice"),
        }
        for v in VECTORS
    ]
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(f"{static_server}/static/js/expr.js")  # give the page the server's origin
        tab.set_content("<!doctype html><title>expr</title>")
        tab.add_script_tag(url=f"{static_server}/static/js/expr.js")
        tab.evaluate("(codes) => GESurveyExpr.setMissingCodes(codes)", list(MISSING_CODES))
        outcomes = tab.evaluate(RUN_ALL, cases)
    finally:
        context.close()
    assert len(outcomes) == len(VECTORS)
    return outcomes


def test_every_non_syntax_vector_is_run() -> None:
    assert len(VECTORS) >= 100


@pytest.mark.parametrize("index", range(len(VECTORS)), ids=IDS)
def test_vector_in_browser(results: list[dict[str, Any]], index: int) -> None:
    vector, outcome = VECTORS[index], results[index]
    if vector.get("error") == "evaluation":
        assert not outcome["ok"], f"expected an ExpressionError, got {outcome.get('value')!r}"
        assert outcome["isExpressionError"], f"wrong error type: {outcome}"
        return
    assert outcome["ok"], f"raised {outcome.get('name')}: {outcome.get('message')}"
    assert _same(outcome["value"], vector["expected"]), (
        f"got {outcome['value']!r}, expected {vector['expected']!r}"
    )
