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
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

from questionnaires.codes import MISSING_CODES
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
                raise ExpressionSyntaxError(
                    f"string starting with {ch} is not closed; close it with {ch}",
                    f"chuỗi bắt đầu bằng {ch} chưa được đóng; hãy đóng bằng {ch}",
                    column=col,
                )
            tokens.append(_Token("string", text[i + 1 : end], col))
            i = end + 1
            continue
        if ch == "$":
            ident = _ID_RE.match(text, i + 2) if text.startswith("${", i) else None
            if not ident or not text.startswith("}", ident.end()):
                raise ExpressionSyntaxError(
                    "a reference must look like ${question_id}",
                    "tham chiếu phải có dạng ${mã_câu_hỏi}",
                    column=col,
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
            raise ExpressionSyntaxError(
                "use '=' to compare, not '=='", "dùng '=' để so sánh, không dùng '=='", column=col
            )
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
        raise ExpressionSyntaxError(
            f"unexpected character {ch!r}", f"ký tự không hợp lệ {ch!r}", column=col
        )
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


def _describe(token: _Token, lang: str = "en") -> str:
    if token.kind == "end":
        return "cuối biểu thức" if lang == "vi" else "end of expression"
    if token.kind == "string":
        return f"{'chuỗi' if lang == 'vi' else 'string'} '{token.value}'"
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
            raise ExpressionSyntaxError(
                f"expected {what}, found {_describe(token)}",
                f"cần {what.replace(' or ', ' hoặc ')}, nhưng gặp {_describe(token, 'vi')}",
                column=token.column,
            )
        return self.take()

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionSyntaxError("the expression is empty", "biểu thức trống", column=1)
        node = self.binary(0)
        token = self.peek()
        if token.kind != "end":
            raise ExpressionSyntaxError(
                f"unexpected {_describe(token)}; an operator or the end was expected",
                f"không mong đợi {_describe(token, 'vi')}; cần một toán tử hoặc kết thúc biểu thức",
                column=token.column,
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
            left = {
                "node": "binary",
                "op": token.value,
                "left": left,
                "right": right,
                "_col": token.column,
            }
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
                    f"'{token.value}' is a function: write {token.value}(...)",
                    f"'{token.value}' là một hàm: hãy viết {token.value}(...)",
                    column=col,
                )
            return {"node": "attr", "name": token.value, "_col": col}
        if token.kind == "end":
            raise ExpressionSyntaxError(
                "the expression ends too early", "biểu thức kết thúc quá sớm", column=col
            )
        raise ExpressionSyntaxError(
            f"unexpected {_describe(token)}", f"không mong đợi {_describe(token, 'vi')}", column=col
        )

    def call(self, name_token: _Token) -> Node:
        name = name_token.value
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionSyntaxError(
                f"unknown function '{name}()'; the functions are {known}",
                f"không có hàm '{name}()'; các hàm có sẵn: {known}",
                column=name_token.column,
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
                wanted, wanted_vi = f"at least {low}", f"ít nhất {low}"
            elif low == high:
                wanted = wanted_vi = str(low)
            else:
                wanted, wanted_vi = f"{low} to {high}", f"{low} đến {high}"
            raise ExpressionSyntaxError(
                f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, not {len(args)}",
                f"{name}() nhận {wanted_vi} đối số, không phải {len(args)}",
                column=name_token.column,
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

    def fail(self, node: Node, reason: str, reason_vi: str) -> None:
        raise ExpressionSyntaxError(reason, reason_vi, column=node.get("_col", 1))

    def check_known(self, node: Node) -> None:
        known = self.scope.known
        name = node["name"]
        if known is not None and name not in known and name not in self.groups:
            self.fail(
                node,
                f"${{{name}}} is not a question of this questionnaire",
                f"${{{name}}} không phải là câu hỏi của phiếu này",
            )

    def walk(self, node: Node, group: str | None) -> None:
        kind = node["node"]
        if kind == "ref":
            self.ref(node, group)
        elif kind == "current":
            if not self.scope.allow_current:
                self.fail(
                    node,
                    "'.' (the answer being checked) is only allowed in a constraint",
                    "'.' (câu trả lời đang được kiểm tra) chỉ dùng được trong constraint",
                )
        elif kind == "attr":
            if not self.scope.attributes:
                self.fail(
                    node,
                    f"bare name '{node['name']}' reads a choice attribute and is only allowed "
                    f"in choice_filter; to read a question write ${{{node['name']}}}",
                    f"tên '{node['name']}' đọc thuộc tính của lựa chọn, chỉ dùng được trong "
                    f"choice_filter; để đọc một câu hỏi hãy viết ${{{node['name']}}}",
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
                f"${{{name}}} là một nhóm lặp; hãy dùng count(${{{name}}}) hoặc sum() trên "
                f"một câu hỏi của nhóm",
            )
        owner = self.scope.repeats.get(name)
        if owner is None:
            return
        if owner != group:
            where = "outside it" if group is None else f"from inside group '{group}'"
            where_vi = "bên ngoài nhóm" if group is None else f"từ bên trong nhóm '{group}'"
            self.fail(
                node,
                f"${{{name}}} is a question of repeat group '{owner}' and cannot be read "
                f"{where}; use it inside count(${{{owner}}}, ...) or sum(${{{name}}})",
                f"${{{name}}} là câu hỏi của nhóm lặp '{owner}', không đọc được {where_vi}; "
                f"hãy dùng trong count(${{{owner}}}, ...) hoặc sum(${{{name}}})",
            )
        node["repeat"] = owner

    def group_ref(self, node: Node, group: str | None) -> str:
        """Resolve the group argument of count() and return the group id."""
        if node["node"] != "ref":
            self.fail(
                node,
                "count() needs a repeat group as its first argument, e.g. count(${roster})",
                "đối số đầu tiên của count() phải là một nhóm lặp, ví dụ count(${roster})",
            )
        self.check_known(node)
        name = node["name"]
        if name not in self.groups:
            self.fail(
                node,
                f"count() needs a repeat group as its first argument; "
                f"${{{name}}} is not a repeat group",
                f"đối số đầu tiên của count() phải là một nhóm lặp; ${{{name}}} không "
                f"phải là nhóm lặp",
            )
        parent = self.groups[name]
        if parent is not None:
            if parent != group:
                self.fail(
                    node,
                    f"repeat group '{name}' lives inside '{parent}' and can only "
                    f"be counted from a row of '{parent}'",
                    f"nhóm lặp '{name}' nằm trong '{parent}', chỉ đếm được từ một dòng "
                    f"của '{parent}'",
                )
            node["repeat"] = parent
        return str(name)

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
                self.fail(
                    first,
                    "sum() needs a question of a repeat group as its first "
                    "argument, e.g. sum(${M04})",
                    "đối số đầu tiên của sum() phải là một câu hỏi trong nhóm lặp, ví dụ "
                    "sum(${M04})",
                )
            if owner is not None and self.groups.get(owner) is not None:
                self.fail(
                    first,
                    f"sum() over the nested group '{owner}' is not supported; "
                    f"count rows with count(${{{owner}}}, condition) instead",
                    f"không hỗ trợ sum() trên nhóm lồng '{owner}'; hãy đếm dòng bằng "
                    f"count(${{{owner}}}, điều kiện)",
                )
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
            listed = ", ".join(names) or "-"
            self.fail(
                literal,
                f"'{value}' is not a choice name of {question}; its choices are {listed}",
                f"'{value}' không phải là tên lựa chọn của {question}; các lựa chọn là {listed}",
            )
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
        raise ExpressionSyntaxError(
            "an expression must be a string", "biểu thức phải là một chuỗi", column=1
        )
    tree = _Parser(text).parse()
    if scope is not None:
        _Resolver(scope).walk(tree, scope.group)
    return cast(Node, _strip(tree))


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
    return bool(value != "")


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
    # Fast path for the common cases (plain numbers, two strings); bools take the slow path.
    tl, tr = type(left), type(right)
    if (tl is int or tl is float) and (tr is int or tr is float):
        return bool(left == right)
    if tl is str and tr is str:
        return bool(left == right)
    lk, rk = _kind(left), _kind(right)
    if lk in ("number", "boolean") and rk in ("number", "boolean"):
        return _number(left, "=") == _number(right, "=")
    if lk == "string" and rk == "string":
        return bool(left == right)
    raise ExpressionError(f"cannot compare {lk} {left!r} with {rk} {right!r}")


def _order(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    tl, tr = type(left), type(right)
    if (tl is int or tl is float) and (tr is int or tr is float):
        return _COMPARE[op](left, right)
    lk, rk = _kind(left), _kind(right)
    if lk in ("number", "boolean") and rk in ("number", "boolean"):
        a, b = _number(left, op), _number(right, op)
    elif lk == "string" and rk == "string":
        a, b = left, right
    else:
        raise ExpressionError(f"cannot compare {lk} {left!r} with {rk} {right!r} using {op}")
    return _COMPARE[op](a, b)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _arith(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    tl, tr = type(left), type(right)
    if (tl is int or tl is float) and (tr is int or tr is float):
        a, b = left, right
    else:
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

    def __init__(
        self,
        answers: Mapping[str, Any],
        row: Mapping[str, Any] | None,
        current: Any,
        choice: Mapping[str, Any] | None,
    ) -> None:
        self.answers = answers
        self.row = row
        self.current = current
        self.choice = choice


# The AST is turned once into nested Python closures (one per node), which run several times
# faster than walking the dictionaries on every evaluation. Nothing here calls ``eval``.
Compiled = Callable[[_Context], Any]


def _build(node: Any) -> Compiled:
    try:
        builder = _BUILDERS[node["node"]]
    except (KeyError, TypeError):
        raise ExpressionError(f"not an expression node: {node!r}") from None
    return builder(node)


def _b_literal(node: Node) -> Compiled:
    value = node["value"]
    return lambda ctx: value


def _b_ref(node: Node) -> Compiled:
    name = node["name"]
    if "repeat" not in node:
        return lambda ctx: ctx.answers.get(name)
    group = node["repeat"]

    def member(ctx: _Context) -> Any:
        if ctx.row is None:
            raise ExpressionError(f"${{{name}}} belongs to group '{group}' but no row is given")
        return ctx.row.get(name)

    return member


def _b_current(node: Node) -> Compiled:
    return lambda ctx: ctx.current


def _b_attr(node: Node) -> Compiled:
    name = node["name"]

    def attribute(ctx: _Context) -> Any:
        if ctx.choice is None:
            raise ExpressionError(f"'{name}' reads a choice attribute but no choice is given")
        return ctx.choice.get(name)

    return attribute


def _b_negate(node: Node) -> Compiled:
    operand = _build(node["operand"])

    def negate(ctx: _Context) -> Any:
        value = operand(ctx)
        return None if value is None else -_number(value, "-")

    return negate


def _b_binary(node: Node) -> Compiled:
    op = node.get("op")
    left, right = _build(node["left"]), _build(node["right"])
    if op == "and":
        return lambda ctx: truthy(left(ctx)) and truthy(right(ctx))
    if op == "or":
        return lambda ctx: truthy(left(ctx)) or truthy(right(ctx))
    if op == "=":
        return lambda ctx: _equal(left(ctx), right(ctx))
    if op == "!=":
        return lambda ctx: not _equal(left(ctx), right(ctx))
    if op in _COMPARE:
        return lambda ctx: _order(op, left(ctx), right(ctx))
    if op in ("+", "-", "*", "div", "mod"):
        return lambda ctx: _arith(op, left(ctx), right(ctx))

    def unknown(ctx: _Context) -> Any:
        raise ExpressionError(f"unknown operator {op!r}")

    return unknown


def _rows(value: Any, what: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise ExpressionError(f"{what}: expected the rows of a repeat group, got {_kind(value)}")
    return value


def _f_count(node: Node, args: list[Compiled]) -> Compiled:
    group = args[0]
    condition = args[1] if len(args) > 1 else None

    def count(ctx: _Context) -> Any:
        rows = _rows(group(ctx), "count()")
        if condition is None:
            return len(rows)
        inner = _Context(ctx.answers, None, ctx.current, ctx.choice)
        total = 0
        for row in rows:
            inner.row = row
            if truthy(condition(inner)):
                total += 1
        return total

    return count


def _f_sum(node: Node, args: list[Compiled]) -> Compiled:
    first = node["args"][0]
    condition = args[1] if len(args) > 1 else None
    if first.get("node") != "ref" or "repeat" not in first:

        def needs_member(ctx: _Context) -> Any:
            raise ExpressionError("sum() needs a question of a repeat group as its first argument")

        return needs_member
    name, group = first["name"], first["repeat"]

    def total(ctx: _Context) -> Any:
        rows = _rows(ctx.answers.get(group), "sum()")
        inner = _Context(ctx.answers, None, ctx.current, ctx.choice)
        result: int | float = 0
        for row in rows:
            inner.row = row
            if condition is not None and not truthy(condition(inner)):
                continue
            value = row.get(name)
            if value is not None:
                result += _number(value, "sum()")
        return result

    return total


def _f_if(node: Node, args: list[Compiled]) -> Compiled:
    cond, then, other = args
    return lambda ctx: then(ctx) if truthy(cond(ctx)) else other(ctx)


def _f_not(node: Node, args: list[Compiled]) -> Compiled:
    arg = args[0]
    return lambda ctx: not truthy(arg(ctx))


def _selected(answer: Any, wanted: Any) -> bool:
    if answer is None or wanted is None:
        return False
    if isinstance(answer, list):
        return any(_equal(item, wanted) for item in answer)
    if isinstance(answer, dict):
        raise ExpressionError("selected() needs a choice answer, got object")
    return _equal(answer, wanted)


def _f_selected(node: Node, args: list[Compiled]) -> Compiled:
    answer, wanted = args
    return lambda ctx: _selected(answer(ctx), wanted(ctx))


def _is_missing_code(value: Any) -> bool:
    """A bare 98/99 where a multi answer belongs: don't know / refused, so nothing selected."""
    return not isinstance(value, bool) and isinstance(value, int | float) and value in MISSING_CODES


def _f_count_selected(node: Node, args: list[Compiled]) -> Compiled:
    arg = args[0]

    def count_selected(ctx: _Context) -> Any:
        answer = arg(ctx)
        if answer is None:
            return 0
        if isinstance(answer, list):
            return len(answer)
        if _is_missing_code(answer):
            return 0
        raise ExpressionError(
            f"count-selected() needs a multiple-choice answer, got {_kind(answer)}"
        )

    return count_selected


def _f_string_length(node: Node, args: list[Compiled]) -> Compiled:
    arg = args[0]
    return lambda ctx: len(to_text(arg(ctx)))


def _f_coalesce(node: Node, args: list[Compiled]) -> Compiled:
    def coalesce(ctx: _Context) -> Any:
        for arg in args:
            value = arg(ctx)
            if value is not None and value != "":
                return value
        return None

    return coalesce


def _f_int(node: Node, args: list[Compiled]) -> Compiled:
    arg = args[0]

    def to_int(ctx: _Context) -> Any:
        value = arg(ctx)
        return None if value is None else math.trunc(_number(value, "int()"))

    return to_int


def _round(value: Any, digits: Any) -> Any:
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


def _f_round(node: Node, args: list[Compiled]) -> Compiled:
    value = args[0]
    digits = args[1] if len(args) > 1 else (lambda ctx: 0)
    return lambda ctx: _round(value(ctx), digits(ctx))


def _f_concat(node: Node, args: list[Compiled]) -> Compiled:
    return lambda ctx: "".join(to_text(arg(ctx)) for arg in args)


def _extreme(name: str, args: list[Compiled], pick: Callable[[Iterable[Any]], Any]) -> Compiled:
    def extreme(ctx: _Context) -> Any:
        values = []
        for arg in args:
            value = arg(ctx)
            if value is not None:
                values.append(_number(value, f"{name}()"))
        return pick(values) if values else None

    return extreme


_FUNCTION_BUILDERS: dict[str, Callable[[Node, list[Compiled]], Compiled]] = {
    "if": _f_if,
    "not": _f_not,
    "selected": _f_selected,
    "count-selected": _f_count_selected,
    "string-length": _f_string_length,
    "coalesce": _f_coalesce,
    "count": _f_count,
    "sum": _f_sum,
    "int": _f_int,
    "round": _f_round,
    "concat": _f_concat,
    "min": lambda node, args: _extreme("min", args, min),
    "max": lambda node, args: _extreme("max", args, max),
}


def _b_call(node: Node) -> Compiled:
    name = node.get("name")
    builder = _FUNCTION_BUILDERS.get(name)  # type: ignore[arg-type]
    arity = FUNCTIONS.get(name)  # type: ignore[arg-type]
    args = node.get("args")
    if builder is None or arity is None or not isinstance(args, list):

        def unknown(ctx: _Context) -> Any:
            raise ExpressionError(f"unknown function {name!r}")

        return unknown
    low, high = arity
    if len(args) < low or (high is not None and len(args) > high):

        def wrong_arity(ctx: _Context) -> Any:
            raise ExpressionError(f"{name}() cannot take {len(args)} arguments")

        return wrong_arity
    return builder(node, [_build(arg) for arg in args])


_BUILDERS: dict[str, Callable[[Node], Compiled]] = {
    "number": _b_literal,
    "string": _b_literal,
    "ref": _b_ref,
    "current": _b_current,
    "attr": _b_attr,
    "negate": _b_negate,
    "binary": _b_binary,
    "call": _b_call,
}

# id(ast) -> (ast, compiled); holding the AST keeps its id from being reused while cached.
_COMPILED: dict[int, tuple[Node, Compiled]] = {}
_COMPILED_LIMIT = 50_000


def _compiled(ast: Node) -> Compiled:
    cached = _COMPILED.get(id(ast))
    if cached is not None and cached[0] is ast:
        return cached[1]
    function = _build(ast)
    if len(_COMPILED) >= _COMPILED_LIMIT:
        _COMPILED.clear()
    _COMPILED[id(ast)] = (ast, function)
    return function


def evaluate(
    ast: Node,
    answers: Mapping[str, Any],
    row: Mapping[str, Any] | None = None,
    current: Any = None,
    choice: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate a compiled AST; raise ExpressionError when it cannot be evaluated.

    ``answers`` are the top-level answers, ``row`` the current repeat row, ``current`` the value
    of ``.`` and ``choice`` the candidate choice read by bare attribute names. ASTs are turned
    into closures on first use and cached (treat an AST as immutable once evaluated).
    """
    return _compiled(ast)(_Context(answers, row, current, choice))


# --------------------------------------------------------------------------- shared vectors


def load_vectors() -> list[dict[str, Any]]:
    """Return the shared expression test vectors bundled with the package."""
    text = (
        resources.files("questionnaires")
        .joinpath("vectors/expressions.json")
        .read_text(encoding="utf-8")
    )
    return cast(list[dict[str, Any]], json.loads(text)["vectors"])


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
