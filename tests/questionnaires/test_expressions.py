"""The expression compiler's AST, scope checks and evaluator API (semantics: test_vectors.py)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import questionnaires.expressions as expressions_module
from questionnaires.errors import ExpressionError, ExpressionSyntaxError
from questionnaires.expressions import (
    FUNCTIONS,
    Scope,
    compile_expression,
    compile_vector,
    evaluate,
    load_vectors,
    references,
)

ROSTER_SCOPE = Scope(
    repeats={"M03": "roster", "M04": "roster"},
    known=frozenset({"M03", "M04", "roster", "HH02", "D1_04"}),
    choice_names={"D1_04": {"party": 1, "none": 7}, "M03": {"male": 1, "female": 2}},
)


def test_ast_shapes_follow_format_md() -> None:
    ast = compile_expression("-${a} + 3.5 * . div 'x' mod code != count-selected(${b})")
    assert ast == {
        "node": "binary",
        "op": "!=",
        "left": {
            "node": "binary",
            "op": "+",
            "left": {"node": "negate", "operand": {"node": "ref", "name": "a"}},
            "right": {
                "node": "binary",
                "op": "mod",
                "left": {
                    "node": "binary",
                    "op": "div",
                    "left": {
                        "node": "binary",
                        "op": "*",
                        "left": {"node": "number", "value": 3.5},
                        "right": {"node": "current"},
                    },
                    "right": {"node": "string", "value": "x"},
                },
                "right": {"node": "attr", "name": "code"},
            },
        },
        "right": {"node": "call", "name": "count-selected", "args": [{"node": "ref", "name": "b"}]},
    }


def test_slash_is_div_and_numbers_keep_int_or_float() -> None:
    assert compile_expression("6 / 3")["op"] == "div"
    assert compile_expression("12") == {"node": "number", "value": 12}
    assert isinstance(compile_expression("12")["value"], int)
    assert compile_expression("12.0") == {"node": "number", "value": 12.0}


def test_ast_is_plain_json() -> None:
    ast = compile_expression("count(${roster}, ${M03} = 'female') > 0", ROSTER_SCOPE)
    assert json.loads(json.dumps(ast)) == ast
    assert ast["left"]["args"][1]["left"] == {"node": "ref", "name": "M03", "repeat": "roster"}
    assert ast["left"]["args"][1]["right"] == {"node": "number", "value": 2}


def test_references_lists_every_question_read() -> None:
    ast = compile_expression("if(${a} > 1, sum(${M04}, ${M03} = 1), -coalesce(${b}, ${a}))")
    assert references(ast) == {"a", "b", "M04", "M03"}
    assert references(compile_expression("1 + 2")) == set()


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("${age} >= 15 and", 17, "ends too early"),
        ("${age} >= 15 )", 14, "unexpected ')'"),
        ("selected(${a}, 'x'", 19, "expected ',' or ')'"),
        ("${a} ** 2", 7, "unexpected '*'"),
        ("${a} === 1", 6, "use '=' to compare"),
        ("${ a}", 1, "${question_id}"),
        ("'open", 1, "is not closed"),
        ("lenght(${a})", 1, "unknown function 'lenght()'"),
        ("count", 1, "'count' is a function"),
        ("   ", 1, "empty"),
        ("1 + 2 3", 7, "an operator or the end"),
    ],
)
def test_syntax_errors_carry_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_expression(text)
    assert caught.value.column == column
    assert fragment in caught.value.reason
    assert str(caught.value).startswith(f"column {column}: ")
    assert isinstance(caught.value, ExpressionError)


@pytest.mark.parametrize(
    ("text", "scope", "column", "fragment"),
    [
        ("${nope} = 1", ROSTER_SCOPE, 1, "is not a question"),
        ("${M04} > 1", ROSTER_SCOPE, 1, "cannot be read outside it"),
        ("count(${roster}, ${M04} > ${M03})", ROSTER_SCOPE, None, None),
        ("sum(${M04}, ${M03} = 'female')", ROSTER_SCOPE, None, None),
        ("selected(${D1_04}, 'partyy')", ROSTER_SCOPE, 20, "not a choice name of D1_04"),
        (". > 1", Scope(allow_current=False), 1, "only allowed in a constraint"),
        ("code = 1", Scope(attributes=False), 1, "only allowed in choice_filter"),
        ("${roster}", ROSTER_SCOPE, 1, "is a repeat group"),
        ("count(1)", ROSTER_SCOPE, 7, "needs a repeat group"),
    ],
)
def test_scope_checks(text: str, scope: Scope, column: int | None, fragment: str | None) -> None:
    if column is None:
        compile_expression(text, scope)
        return
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_expression(text, scope)
    assert caught.value.column == column and fragment in caught.value.reason


def test_member_refs_are_fine_inside_their_own_group() -> None:
    scope = Scope(repeats={"M04": "roster"}, group="roster")
    ast = compile_expression("${M04} >= 15 and ${HH02} > 1", scope)
    assert ast["left"]["left"] == {"node": "ref", "name": "M04", "repeat": "roster"}
    assert ast["right"]["left"] == {"node": "ref", "name": "HH02"}
    assert evaluate(ast, {"HH02": 3}, row={"M04": 20}) is True


def test_choice_names_in_a_constraint_use_the_current_question() -> None:
    scope = Scope(choice_names={"D1_04": {"none": 7}}, current_question="D1_04")
    ast = compile_expression("not(selected(., 'none')) or count-selected(.) = 1", scope)
    assert evaluate(ast, {}, current=[7]) is True
    assert evaluate(ast, {}, current=[1, 7]) is False


def test_every_function_is_implemented_and_in_the_vectors() -> None:
    vectors = " ".join(v["expression"] for v in load_vectors())
    for name in FUNCTIONS:
        assert f"{name}(" in vectors, name


def test_aggregates_over_a_roster() -> None:
    rows = [{"M03": 2, "M04": 30}, {"M03": 2, "M04": 12}, {"M03": 1, "M04": 40}, {"M03": 2}]
    answers = {"roster": rows}
    count_women = compile_expression(
        "count(${roster}, ${M03} = 'female' and ${M04} >= 15)", ROSTER_SCOPE
    )
    assert evaluate(count_women, answers) == 1
    assert evaluate(compile_expression("sum(${M04})", ROSTER_SCOPE), answers) == 82
    assert evaluate(compile_expression("count(${roster})", ROSTER_SCOPE), {}) == 0


def test_evaluation_errors_are_expression_errors_not_crashes() -> None:
    for bad in (
        {"node": "nope"},
        {"node": "call", "name": "eval", "args": []},
        [],
        None,
        {
            "node": "binary",
            "op": "**",
            "left": {"node": "number", "value": 1},
            "right": {"node": "number", "value": 2},
        },
    ):
        with pytest.raises(ExpressionError):
            evaluate(bad, {})  # type: ignore[arg-type]


def test_compile_vector_builds_the_scope_from_the_vector() -> None:
    vector = {"expression": "count(${roster}, ${M04} > 1)", "repeats": {"M04": "roster"}}
    ast = compile_vector(vector)
    assert ast["args"][1]["left"]["repeat"] == "roster"


def test_the_same_ast_evaluates_the_same_every_time() -> None:
    ast = compile_expression("${a} * 2")
    assert [evaluate(ast, {"a": n}) for n in (1, 2, None)] == [2, 4, None]


def test_the_engine_never_calls_eval_or_exec() -> None:
    tree = ast.parse(Path(expressions_module.__file__).read_text(encoding="utf-8"))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__"}
