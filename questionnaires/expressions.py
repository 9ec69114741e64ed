"""Compile questionnaire expressions to a JSON AST and evaluate that AST.

The language is close to XLSForm (``${age} >= 15 and selected(${D1_04}, 'party')``); its
grammar, AST and semantics are specified in ``questionnaires/FORMAT.md`` and pinned by the shared
vectors in ``questionnaires/vectors/expressions.json``, which the browser's evaluator runs too.
Expressions are parsed by a hand-written recursive-descent parser and never passed to ``eval``.

Grammar (lowest precedence first; binary operators are left-associative)::

    or_expr   := and_expr ("or" and_expr)*
    and_expr  := eq_expr ("and" eq_expr)*
    eq_expr   := rel_expr (("=" | "!=") rel_expr)*
    rel_expr  := add_expr (("<" | "<=" | ">" | ">=") add_expr)*
    add_expr  := mul_expr (("+" | "-") mul_expr)*
    mul_expr  := unary (("*" | "div" | "/" | "mod") unary)*
    unary     := "-" unary | primary
    primary   := number | string | "${" id "}" | "." | name "(" args ")" | name | "(" or_expr ")"
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from questionnaires.errors import ExpressionError, ExpressionSyntaxError

__all__ = [
    "FUNCTIONS",
    "Scope",
    "compile_expression",
    "compile_vector",
    "evaluate",
    "load_vectors",
    "references",
    "truthy",
]

Node = dict[str, Any]

# name -> (minimum, maximum or None for "any number") arguments
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "not": (1, 1),
    "selected": (2, 2),
    "count-selected": (1, 1),
    "string-length": (1, 1),
    "coalesce": (2, None),
    "count": (1, 2),
    "sum": (1, 2),
    "int": (1, 1),
    "round": (1, 2),
    "concat": (1, None),
    "min": (1, None),
    "max": (1, None),
}
AGGREGATES = frozenset({"count", "sum"})
_KEYWORD_OPS = {"and": "and", "or": "or", "div": "div", "mod": "mod"}
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*")
_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_TWO_CHAR_OPS = ("<=", ">=", "!=")
_ONE_CHAR_OPS = "=<>+-*/"


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What an expression may refer to, used to check and resolve it while compiling.

    ``repeats`` maps each repeat-group member question to its group; ``groups`` maps each group to
    its parent group (``None`` at top level); ``choice_names`` maps a choice question to
    ``{choice name: code}`` so ``'party'`` compiles to its code; ``known`` is every id that may be
    referenced (``None`` accepts any); ``group`` is the repeat group whose row the expression is
    evaluated in; ``current_question`` is the question ``.`` stands for (``None``: ``.`` is not
    allowed); ``attributes`` allows bare choice-attribute names (``choice_filter`` only).
    """

    repeats: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str | None] = field(default_factory=dict)
    choice_names: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    known: frozenset[str] | None = None
    group: str | None = None
    current_question: str | None = None
    allow_current: bool = True
    attributes: bool = True


# --------------------------------------------------------------------------- tokenizer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, ref, current, name, op, "(", ")", ",", end
    value: Any
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch.isspace():
            i += 1
            continue
        number = _NUMBER_RE.match(text, i)
        if number:
            raw = number.group()
            tokens.append(_Token("number", float(raw) if "." in raw else int(raw), col))
            i = number.end()
            continue
        if ch == ".":
            tokens.append(_Token("current", None, col))
            i += 1
            continue
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise ExpressionSyntaxError(f"string starting with {ch} is not closed", col)
            tokens.append(_Token("string", text[i + 1 : end], col))
            i = end + 1
            continue
        if ch == "$":
            ident = _ID_RE.match(text, i + 2) if text.startswith("${", i) else None
            if not ident or not text.startswith("}", ident.end()):
                raise ExpressionSyntaxError(
                    "a reference must look like ${question_id}", col
                )
            tokens.append(_Token("ref", ident.group(), col))
            i = ident.end() + 1
            continue
        if ch in "(),":
            tokens.append(_Token(ch, ch, col))
            i += 1
            continue
        two = text[i : i + 2]
        if two in _TWO_CHAR_OPS:
            tokens.append(_Token("op", two, col))
            i += 2
            continue
        if two == "==":
            raise ExpressionSyntaxError("use '=' to compare, not '=='", col)
        if ch in _ONE_CHAR_OPS:
            tokens.append(_Token("op", "div" if ch == "/" else ch, col))
            i += 1
            continue
        name = _NAME_RE.match(text, i)
        if name:
            word = name.group()
            if word in _KEYWORD_OPS:
                tokens.append(_Token("op", _KEYWORD_OPS[word], col))
            else:
                tokens.append(_Token("name", word, col))
            i = name.end()
            continue
        raise ExpressionSyntaxError(f"unexpected character {ch!r}", col)
    tokens.append(_Token("end", None, n + 1))
    return tokens


# --------------------------------------------------------------------------- parser

_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"or"}),
    frozenset({"and"}),
    frozenset({"=", "!="}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "div", "mod"}),
)


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "string":
        return f"string '{token.value}'"
    if token.kind == "ref":
        return f"${{{token.value}}}"
    if token.kind == "current":
        return "'.'"
    return f"'{token.value}'"


class _Parser:
    """Recursive-descent parser producing AST nodes that carry a private ``_col`` key."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str, what: str) -> _Token:
        token = self.peek()
        if token.kind != kind:
            raise ExpressionSyntaxError(f"expected {what}, found {_describe(token)}", token.column)
        return self.take()

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionSyntaxError("the expression is empty", 1)
        node = self.binary(0)
        token = self.peek()
        if token.kind != "end":
            raise ExpressionSyntaxError(
                f"unexpected {_describe(token)}; an operator or the end was expected",
                token.column,
            )
        return node

    def binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        ops = _LEVELS[level]
        left = self.binary(level + 1)
        while self.peek().kind == "op" and self.peek().value in ops:
            token = self.take()
            right = self.binary(level + 1)
            left = {"node": "binary", "op": token.value, "left": left, "right": right,
                    "_col": token.column}
        return left

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.value == "-":
            self.take()
            return {"node": "negate", "operand": self.unary(), "_col": token.column}
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        col = token.column
        if token.kind == "number":
            return {"node": "number", "value": token.value, "_col": col}
        if token.kind == "string":
            return {"node": "string", "value": token.value, "_col": col}
        if token.kind == "ref":
            return {"node": "ref", "name": token.value, "_col": col}
        if token.kind == "current":
            return {"node": "current", "_col": col}
        if token.kind == "(":
            node = self.binary(0)
            self.expect(")", "')'")
            return node
        if token.kind == "name":
            if self.peek().kind == "(":
                return self.call(token)
            if token.value in FUNCTIONS:
                raise ExpressionSyntaxError(
                    f"'{token.value}' is a function: write {token.value}(...)", col
                )
            return {"node": "attr", "name": token.value, "_col": col}
        if token.kind == "end":
            raise ExpressionSyntaxError("the expression ends too early", col)
        raise ExpressionSyntaxError(f"unexpected {_describe(token)}", col)

    def call(self, name_token: _Token) -> Node:
        name = name_token.value
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionSyntaxError(
                f"unknown function '{name}()'; the functions are {known}", name_token.column
            )
        self.expect("(", "'('")
        args: list[Node] = []
        if self.peek().kind != ")":
            args.append(self.binary(0))
            while self.peek().kind == ",":
                self.take()
                args.append(self.binary(0))
        self.expect(")", "',' or ')'")
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            if high is None:
                wanted = f"at least {low}"
            elif low == high:
                wanted = str(low)
            else:
                wanted = f"{low} to {high}"
            raise ExpressionSyntaxError(
                f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, "
                f"not {len(args)}",
                name_token.column,
            )
        return {"node": "call", "name": name, "args": args, "_col": name_token.column}


# --------------------------------------------------------------------------- resolution


class _Resolver:
    """Check a parsed tree against a Scope and fill in ``repeat`` and choice codes."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        groups = dict(scope.groups)
        for group in scope.repeats.values():
            groups.setdefault(group, None)
        self.groups = groups

    def fail(self, node: Node, reason: str) -> None:
        raise ExpressionSyntaxError(reason, node.get("_col", 1))

    def check_known(self, node: Node) -> None:
        known = self.scope.known
        name = node["name"]
        if known is not None and name not in known and name not in self.groups:
            self.fail(node, f"${{{name}}} is not a question of this questionnaire")

    def walk(self, node: Node, group: str | None) -> None:
        kind = node["node"]
        if kind == "ref":
            self.ref(node, group)
        elif kind == "current":
            if not self.scope.allow_current:
                self.fail(node, "'.' (the answer being checked) is only allowed in a constraint")
        elif kind == "attr":
            if not self.scope.attributes:
                self.fail(
                    node,
                    f"bare name '{node['name']}' reads a choice attribute and is only allowed "
                    f"in choice_filter; to read a question write ${{{node['name']}}}",
                )
        elif kind == "negate":
            self.walk(node["operand"], group)
        elif kind == "binary":
            self.walk(node["left"], group)
            self.walk(node["right"], group)
            if node["op"] in ("=", "!="):
                self.choice_name(node["left"], node["right"])
                self.choice_name(node["right"], node["left"])
        elif kind == "call":
            self.call(node, group)

    def ref(self, node: Node, group: str | None) -> None:
        self.check_known(node)
        name = node["name"]
        if name in self.groups:
            self.fail(
                node,
                f"${{{name}}} is a repeat group; use it as count(${{{name}}}) "
                f"or sum over one of its questions",
            )
        owner = self.scope.repeats.get(name)
        if owner is None:
            return
        if owner != group:
            where = "outside it" if group is None else f"from inside group '{group}'"
            self.fail(
                node,
                f"${{{name}}} is a question of repeat group '{owner}' and cannot be read "
                f"{where}; use it inside count(${{{owner}}}, ...) or sum(${{{name}}})",
            )
        node["repeat"] = owner

    def group_ref(self, node: Node, group: str | None) -> str:
        """Resolve the group argument of count() and return the group id."""
        if node["node"] != "ref":
            self.fail(
                node, "count() needs a repeat group as its first argument, e.g. count(${roster})"
            )
        self.check_known(node)
        name = node["name"]
        if name not in self.groups:
            self.fail(node, f"count() needs a repeat group as its first argument; "
                            f"${{{name}}} is not a repeat group")
        parent = self.groups[name]
        if parent is not None:
            if parent != group:
                self.fail(node, f"repeat group '{name}' lives inside '{parent}' and can only "
                                f"be counted from a row of '{parent}'")
            node["repeat"] = parent
        return name

    def call(self, node: Node, group: str | None) -> None:
        name, args = node["name"], node["args"]
        if name == "count":
            inner = self.group_ref(args[0], group)
            if len(args) > 1:
                self.walk(args[1], inner)
            return
        if name == "sum":
            first = args[0]
            is_ref = first["node"] == "ref"
            owner = self.scope.repeats.get(first["name"]) if is_ref else None
            if owner is None:
                if is_ref:
                    self.check_known(first)
                self.fail(first, "sum() needs a question of a repeat group as its first "
                                 "argument, e.g. sum(${M04})")
            if self.groups.get(owner) is not None:
                self.fail(first, f"sum() over the nested group '{owner}' is not supported; "
                                 f"count rows with count(${{{owner}}}, condition) instead")
            first["repeat"] = owner
            if len(args) > 1:
                self.walk(args[1], owner)
            return
        for arg in args:
            self.walk(arg, group)
        if name == "selected":
            self.choice_name(args[0], args[1])

    def choice_name(self, subject: Node, literal: Node) -> None:
        """Replace a choice name compared with a choice question by the choice's code."""
        if literal["node"] != "string":
            return
        if subject["node"] == "ref":
            question = subject["name"]
        elif subject["node"] == "current":
            question = self.scope.current_question
        else:
            return
        names = self.scope.choice_names.get(question) if question else None
        if names is None:
            return
        value = literal["value"]
        if value not in names:
            listed = ", ".join(names) or "(none)"
            self.fail(literal, f"'{value}' is not a choice name of {question}; "
                               f"its choices are {listed}")
        literal["node"] = "number"
        literal["value"] = names[value]


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _strip(value) for key, value in node.items() if key != "_col"}
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def compile_expression(text: str, scope: Scope | None = None) -> Node:
    """Parse ``text`` into the JSON AST of FORMAT.md, checked and resolved against ``scope``.

    Without a scope nothing is checked: references carry no ``repeat`` and choice names stay
    strings. Raises ExpressionSyntaxError (with a 1-based column) for any mistake.
    """
    if not isinstance(text, str):
        raise ExpressionSyntaxError("an expression must be a string", 1)
    tree = _Parser(text).parse()
    if scope is not None:
        _Resolver(scope).walk(tree, scope.group)
    return _strip(tree)


def references(ast: Node) -> set[str]:
    """Return every question or group id the expression reads (``${...}``)."""
    found: set[str] = set()
    stack = [ast]
    while stack:
        node = stack.pop()
        kind = node.get("node")
        if kind == "ref":
            found.add(node["name"])
        elif kind == "binary":
            stack.extend((node["left"], node["right"]))
        elif kind == "negate":
            stack.append(node["operand"])
        elif kind == "call":
            stack.extend(node["args"])
    return found


# --------------------------------------------------------------------------- evaluation


def truthy(value: Any) -> bool:
    """Truth as ``and``/``or``/``not``/``if`` see it: null, false, 0 and '' are false."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and value == 0:
        return False
    return value != ""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _number(value: Any, where: str) -> int | float:
    """Return ``value`` as a number for arithmetic; booleans count as 1 and 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    raise ExpressionError(f"{where}: expected a number, got {_kind(value)} {value!r}")


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    lk, rk = _kind(left), _kind(right)
    if lk in ("number", "boolean") and rk in ("number", "boolean"):
        return _number(left, "=") == _number(right, "=")
    if lk == "string" and rk == "string":
        return left == right
    raise ExpressionError(f"cannot compare {lk} {left!r} with {rk} {right!r}")


def _order(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    lk, rk = _kind(left), _kind(right)
    if lk in ("number", "boolean") and rk in ("number", "boolean"):
        a, b = _number(left, op), _number(right, op)
    elif lk == "string" and rk == "string":
        a, b = left, right
    else:
        raise ExpressionError(f"cannot compare {lk} {left!r} with {rk} {right!r} using {op}")
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def _arith(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    a, b = _number(left, op), _number(right, op)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None
    if op == "div":
        return a / b
    result = math.fmod(a, b)
    return int(result) if isinstance(a, int) and isinstance(b, int) else result


def to_text(value: Any) -> str:
    """Render a value as ``concat`` does: null is '', whole numbers have no '.0'."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, str):
        return value
    raise ExpressionError(f"cannot turn {_kind(value)} {value!r} into text")


class _Context:
    __slots__ = ("answers", "row", "current", "choice")

    def __init__(self, answers: Mapping[str, Any], row: Mapping[str, Any] | None,
                 current: Any, choice: Mapping[str, Any] | None) -> None:
        self.answers = answers
        self.row = row
        self.current = current
        self.choice = choice


def _ev(node: Node, ctx: _Context) -> Any:
    try:
        handler = _HANDLERS[node["node"]]
    except (KeyError, TypeError):
        raise ExpressionError(f"not an expression node: {node!r}") from None
    return handler(node, ctx)


def _ev_ref(node: Node, ctx: _Context) -> Any:
    if "repeat" in node:
        if ctx.row is None:
            raise ExpressionError(
                f"${{{node['name']}}} belongs to group '{node['repeat']}' but no row is given"
            )
        return ctx.row.get(node["name"])
    return ctx.answers.get(node["name"])


def _ev_attr(node: Node, ctx: _Context) -> Any:
    if ctx.choice is None:
        raise ExpressionError(f"'{node['name']}' reads a choice attribute but no choice is given")
    return ctx.choice.get(node["name"])


def _ev_negate(node: Node, ctx: _Context) -> Any:
    value = _ev(node["operand"], ctx)
    if value is None:
        return None
    return -_number(value, "-")


def _ev_binary(node: Node, ctx: _Context) -> Any:
    op = node["op"]
    if op == "and":
        return truthy(_ev(node["left"], ctx)) and truthy(_ev(node["right"], ctx))
    if op == "or":
        return truthy(_ev(node["left"], ctx)) or truthy(_ev(node["right"], ctx))
    left = _ev(node["left"], ctx)
    right = _ev(node["right"], ctx)
    if op == "=":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if op in ("<", "<=", ">", ">="):
        return _order(op, left, right)
    if op in ("+", "-", "*", "div", "mod"):
        return _arith(op, left, right)
    raise ExpressionError(f"unknown operator {op!r}")


def _rows(value: Any, what: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise ExpressionError(f"{what}: expected the rows of a repeat group, got {_kind(value)}")
    return value


def _fn_count(node: Node, ctx: _Context) -> Any:
    args = node["args"]
    rows = _rows(_ev(args[0], ctx), "count()")
    if len(args) == 1:
        return len(rows)
    condition = args[1]
    inner = _Context(ctx.answers, None, ctx.current, ctx.choice)
    total = 0
    for row in rows:
        inner.row = row
        if truthy(_ev(condition, inner)):
            total += 1
    return total


def _fn_sum(node: Node, ctx: _Context) -> Any:
    args = node["args"]
    first = args[0]
    if first.get("node") != "ref" or "repeat" not in first:
        raise ExpressionError("sum() needs a question of a repeat group as its first argument")
    rows = _rows(ctx.answers.get(first["repeat"]), "sum()")
    condition = args[1] if len(args) > 1 else None
    inner = _Context(ctx.answers, None, ctx.current, ctx.choice)
    total: int | float = 0
    for row in rows:
        inner.row = row
        if condition is not None and not truthy(_ev(condition, inner)):
            continue
        value = row.get(first["name"])
        if value is not None:
            total += _number(value, "sum()")
    return total


def _fn_if(node: Node, ctx: _Context) -> Any:
    cond, then, other = node["args"]
    return _ev(then, ctx) if truthy(_ev(cond, ctx)) else _ev(other, ctx)


def _fn_not(node: Node, ctx: _Context) -> Any:
    return not truthy(_ev(node["args"][0], ctx))


def _fn_selected(node: Node, ctx: _Context) -> Any:
    answer = _ev(node["args"][0], ctx)
    wanted = _ev(node["args"][1], ctx)
    if answer is None or wanted is None:
        return False
    if isinstance(answer, list):
        return any(_equal(item, wanted) for item in answer)
    if isinstance(answer, dict):
        raise ExpressionError("selected() needs a choice answer, got object")
    return _equal(answer, wanted)


def _fn_count_selected(node: Node, ctx: _Context) -> Any:
    answer = _ev(node["args"][0], ctx)
    if answer is None:
        return 0
    if isinstance(answer, list):
        return len(answer)
    raise ExpressionError(f"count-selected() needs a multiple-choice answer, got {_kind(answer)}")


def _fn_string_length(node: Node, ctx: _Context) -> Any:
    return len(to_text(_ev(node["args"][0], ctx)))


def _fn_coalesce(node: Node, ctx: _Context) -> Any:
    for arg in node["args"]:
        value = _ev(arg, ctx)
        if value is not None and value != "":
            return value
    return None


def _fn_int(node: Node, ctx: _Context) -> Any:
    value = _ev(node["args"][0], ctx)
    if value is None:
        return None
    return math.trunc(_number(value, "int()"))


def _fn_round(node: Node, ctx: _Context) -> Any:
    args = node["args"]
    value = _ev(args[0], ctx)
    digits = _ev(args[1], ctx) if len(args) > 1 else 0
    if value is None or digits is None:
        return None
    x = _number(value, "round()")
    d = _number(digits, "round() digits")
    if d != math.trunc(d):
        raise ExpressionError(f"round() digits must be a whole number, got {digits!r}")
    scale = 10.0 ** int(d)
    # Half away from zero, computed the same way in JavaScript so both agree bit for bit.
    magnitude = math.floor(abs(x) * scale + 0.5) / scale
    return -magnitude if x < 0 else magnitude


def _fn_concat(node: Node, ctx: _Context) -> Any:
    return "".join(to_text(_ev(arg, ctx)) for arg in node["args"])


def _extreme(node: Node, ctx: _Context, pick: Callable[[Iterable[Any]], Any]) -> Any:
    values = []
    for arg in node["args"]:
        value = _ev(arg, ctx)
        if value is not None:
            values.append(_number(value, f"{node['name']}()"))
    return pick(values) if values else None


def _fn_min(node: Node, ctx: _Context) -> Any:
    return _extreme(node, ctx, min)


def _fn_max(node: Node, ctx: _Context) -> Any:
    return _extreme(node, ctx, max)


_CALLS: dict[str, Callable[[Node, _Context], Any]] = {
    "if": _fn_if,
    "not": _fn_not,
    "selected": _fn_selected,
    "count-selected": _fn_count_selected,
    "string-length": _fn_string_length,
    "coalesce": _fn_coalesce,
    "count": _fn_count,
    "sum": _fn_sum,
    "int": _fn_int,
    "round": _fn_round,
    "concat": _fn_concat,
    "min": _fn_min,
    "max": _fn_max,
}


def _ev_call(node: Node, ctx: _Context) -> Any:
    function = _CALLS.get(node.get("name"))
    if function is None:
        raise ExpressionError(f"unknown function {node.get('name')!r}")
    return function(node, ctx)


_HANDLERS: dict[str, Callable[[Node, _Context], Any]] = {
    "number": lambda node, ctx: node["value"],
    "string": lambda node, ctx: node["value"],
    "ref": _ev_ref,
    "current": lambda node, ctx: ctx.current,
    "attr": _ev_attr,
    "negate": _ev_negate,
    "binary": _ev_binary,
    "call": _ev_call,
}


def evaluate(
    ast: Node,
    answers: Mapping[str, Any],
    row: Mapping[str, Any] | None = None,
    current: Any = None,
    choice: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate a compiled AST; raise ExpressionError when it cannot be evaluated.

    ``answers`` are the top-level answers, ``row`` the current repeat row, ``current`` the value
    of ``.`` and ``choice`` the candidate choice read by bare attribute names.
    """
    return _ev(ast, _Context(answers, row, current, choice))


# --------------------------------------------------------------------------- shared vectors


def load_vectors() -> list[dict[str, Any]]:
    """Return the shared expression test vectors bundled with the package."""
    text = resources.files("questionnaires").joinpath("vectors/expressions.json").read_text(
        encoding="utf-8"
    )
    return json.loads(text)["vectors"]


def vector_scope(vector: Mapping[str, Any]) -> Scope:
    """Build the Scope a shared vector describes (``repeats``, ``choice_names``, ``group``)."""
    repeats = dict(vector.get("repeats", {}))
    return Scope(
        repeats=repeats,
        groups=dict(vector.get("groups", {})),
        choice_names=dict(vector.get("choice_names", {})),
        group=vector.get("group"),
        current_question=vector.get("current_question"),
    )


def compile_vector(vector: Mapping[str, Any]) -> Node:
    """Compile one shared vector's expression to the AST both evaluators run."""
    return compile_expression(vector["expression"], vector_scope(vector))
