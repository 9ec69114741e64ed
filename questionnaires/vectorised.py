"""Evaluate the questionnaire's compiled expression ASTs over whole columns of interviews at once.

The scalar evaluator (``questionnaires.expressions.evaluate``) runs one interview at a time;
generating a million persons or evaluating a table plan's indicators that way costs hours. This
module runs the *same* JSON ASTs
(FORMAT.md, "The JSON AST") over numpy columns, one column per question, with the same
semantics:

- a missing answer is ``null`` (NaN in numeric columns, ``None`` in text columns);
- arithmetic with ``null`` gives ``null``; ``=`` is true when both sides are ``null`` or equal;
  ordering comparisons with a ``null`` side are false; ``and``/``or``/``not``/``if`` treat
  ``null``, ``false``, ``0`` and ``''`` as false;
- ``div`` is real division and ``mod`` keeps the dividend's sign; both give ``null`` for a zero
  divisor; ``int`` truncates and ``round`` rounds half away from zero;
- ``and``/``or``/``if``/``coalesce`` are lazy as in the scalar evaluator: an operand that cannot
  be evaluated (text in arithmetic) is an error only on the rows that need it;
- ``count``/``sum`` aggregate the rows of a repeat group per row of its parent level (or, from
  inside a row of a top-level group, per interview).

Multi-choice answers are held as a 0/1 matrix over the question's choice codes (plus the bare
missing code, if any), so ``selected`` and ``count-selected`` are column operations. Every
shared vector of ``questionnaires/vectors/expressions.json`` is run through this evaluator as
through the scalar and the browser ones (tests/questionnaires/test_vectorised.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from questionnaires.codes import MISSING
from questionnaires.errors import ExpressionError

__all__ = ["MultiColumn", "Level", "VectorError", "evaluate_columns", "truth"]


class VectorError(ExpressionError):
    """An expression the column evaluator cannot run (a type error in the form itself)."""


@dataclass
class MultiColumn:
    """Multi-choice answers for ``n`` interviews: ``matrix[i, j]`` is code ``codes[j]`` chosen.

    ``answered`` is false for unanswered rows; ``missing`` holds a bare missing code (98/99) or
    NaN. A row with a missing code has an all-zero matrix row.
    """

    codes: tuple[Any, ...]
    matrix: np.ndarray
    answered: np.ndarray
    missing: np.ndarray

    @classmethod
    def empty(cls, codes: Sequence[Any], n: int) -> MultiColumn:
        """An all-unanswered column of ``n`` rows."""
        return cls(
            tuple(codes), np.zeros((n, len(codes)), bool), np.zeros(n, bool), np.full(n, np.nan)
        )

    def take(self, index: np.ndarray) -> MultiColumn:
        """The rows at ``index`` (used to read a top-level answer from a repeat row)."""
        return MultiColumn(
            self.codes, self.matrix[index], self.answered[index], self.missing[index]
        )

    def to_lists(self) -> list[Any]:
        """Answers as the engine stores them: a list of codes, a bare missing code, or None."""
        out: list[Any] = []
        codes = self.codes
        for i in range(len(self.answered)):
            if not self.answered[i]:
                out.append(None)
            elif not np.isnan(self.missing[i]):
                out.append(int(self.missing[i]))
            else:
                out.append([codes[j] for j in np.flatnonzero(self.matrix[i])])
        return out


@dataclass
class Level:
    """The answers of one level: the top level (``parent`` None) or one repeat group.

    ``columns`` maps question ids to numeric arrays (float, NaN = null), object arrays of
    text (None = null), :class:`MultiColumn` or grid dicts ``{row id: float array}``. ``parent``
    gives, for each repeat row, the index of its row in the parent level: the top level, or the
    repeat group ``parent_group`` for a nested group. ``scratch`` holds values a generator shares
    between questions that are not answers.
    """

    n: int
    columns: dict[str, Any] = field(default_factory=dict)
    parent: np.ndarray | None = None
    scratch: dict[str, Any] = field(default_factory=dict)
    parent_group: str | None = None


@dataclass
class _Value:
    kind: str  # num | bool | str | multi
    data: Any


def truth(value: _Value) -> np.ndarray:
    """Truth as ``and``/``or``/``not``/``if`` see it: null, false, 0 and '' are false."""
    if value.kind == "bool":
        return np.asarray(value.data)
    if value.kind == "num":
        data = value.data
        return np.asarray(~np.isnan(data) & (data != 0))
    if value.kind == "str":
        return np.array([v is not None and v != "" for v in value.data], bool)
    # A list (even empty) is true; a bare missing code is a number, also true.
    return np.asarray(value.data.answered.copy())


def _num(value: _Value, where: str) -> np.ndarray:
    if value.kind == "num":
        return np.asarray(value.data)
    if value.kind == "bool":
        return np.asarray(value.data.astype(float))
    if value.kind == "str" and all(v is None for v in value.data):
        return np.full(len(value.data), np.nan)
    raise VectorError(f"{where}: expected a number, got {value.kind}")


def _null(value: _Value) -> np.ndarray:
    if value.kind == "num":
        return np.asarray(np.isnan(value.data))
    if value.kind == "bool":
        return np.zeros(len(value.data), bool)
    if value.kind == "str":
        return np.array([v is None for v in value.data], bool)
    return np.asarray(~value.data.answered)


def _text(value: _Value) -> np.ndarray:
    """Render as ``concat`` does: null is '', whole numbers without '.0'."""
    if value.kind == "str":
        return np.array(["" if v is None else v for v in value.data], object)
    if value.kind == "bool":
        return np.array(["true" if v else "false" for v in value.data], object)
    if value.kind == "num":
        out = []
        for v in value.data:
            if np.isnan(v):
                out.append("")
            elif float(v).is_integer() and abs(v) < 1e15:
                out.append(str(int(v)))
            else:
                out.append(repr(float(v)))
        return np.array(out, object)
    raise VectorError("cannot turn a multi-choice answer into text")


class _Env:
    """Where an expression is evaluated: the top level or a repeat group's rows."""

    def __init__(
        self,
        levels: Mapping[str | None, Level],
        group: str | None,
        current: _Value | None,
        choice: Mapping[str, Any] | None,
    ) -> None:
        self.levels = levels
        self.group = group
        self.level = levels[group]
        self.n = self.level.n
        self.current = current
        self.choice = choice

    def ancestor_index(self, group: str | None) -> np.ndarray | None:
        """For each row here, its row in the level ``group`` (an ancestor); None if not one."""
        index: np.ndarray | None = None
        here = self.group
        while here != group:
            if here is None:
                return None
            level = self.levels[here]
            assert level.parent is not None
            index = level.parent if index is None else level.parent[index]
            here = level.parent_group
        return np.arange(self.n) if index is None else index

    def column(self, name: str, repeat: str | None) -> _Value:
        if repeat is not None and repeat not in self.levels:
            raise VectorError(f"${{{name}}} of unknown group {repeat}")
        index = self.ancestor_index(repeat)
        if index is None:
            raise VectorError(f"${{{name}}} of group {repeat} read outside its rows")
        source = self.levels[repeat]
        value = _wrap(source.columns.get(name), source.n)
        if repeat == self.group:
            return value
        return _take(value, index)

    def restrict(self, rows: np.ndarray) -> _Env:
        """The same place narrowed to ``rows`` (indices into this level's rows)."""
        levels = dict(self.levels)
        here = self.level
        levels[self.group] = Level(
            len(rows),
            {name: _take_raw(raw, rows) for name, raw in here.columns.items()},
            None if here.parent is None else here.parent[rows],
            here.scratch,
            here.parent_group,
        )
        # Groups below this level follow their parent rows (renumbered); others are unchanged.
        position = np.full(self.n, -1, np.int64)
        position[rows] = np.arange(len(rows))
        for group, level in self.levels.items():
            if group is None or level.parent is None or level.parent_group != self.group:
                continue
            keep = np.flatnonzero(position[level.parent] >= 0)
            levels[group] = Level(
                len(keep),
                {name: _take_raw(raw, keep) for name, raw in level.columns.items()},
                position[level.parent[keep]],
                level.scratch,
                level.parent_group,
            )
        current = None if self.current is None else _take(self.current, rows)
        return _Env(levels, self.group, current, self.choice)


def _take_raw(raw: Any, index: np.ndarray) -> Any:
    if isinstance(raw, MultiColumn):
        return raw.take(index)
    if isinstance(raw, dict):
        return {key: values[index] for key, values in raw.items()}
    return raw[index]


def _take(value: _Value, index: np.ndarray) -> _Value:
    if value.kind == "multi":
        return _Value("multi", value.data.take(index))
    return _Value(value.kind, value.data[index])


def _scatter(part: _Value, rows: np.ndarray, n: int) -> _Value:
    """A value over ``n`` rows holding ``part`` at ``rows``; other rows hold null (never read)."""
    if part.kind == "multi":
        column: MultiColumn = part.data
        out = MultiColumn.empty(column.codes, n)
        out.matrix[rows] = column.matrix
        out.answered[rows] = column.answered
        out.missing[rows] = column.missing
        return _Value("multi", out)
    if part.kind == "num":
        data = np.full(n, np.nan)
    elif part.kind == "bool":
        data = np.zeros(n, bool)
    else:
        data = np.full(n, None, object)
    data[rows] = part.data
    return _Value(part.kind, data)


def _lazy(node: Mapping[str, Any], env: _Env, needed: np.ndarray) -> _Value:
    """Evaluate ``node`` where ``needed``: its errors count only on the rows that need it.

    Every row is tried at once first (the common case); only when that fails is the operand
    evaluated again on the needed rows alone, as the scalar evaluator would.
    """
    try:
        return _eval(node, env)
    except VectorError:
        rows = np.flatnonzero(needed)
        if len(rows) == env.n:
            raise
        return _scatter(_eval(node, env.restrict(rows)), rows, env.n)


def _wrap(raw: Any, n: int) -> _Value:
    if raw is None:
        return _Value("num", np.full(n, np.nan))
    if isinstance(raw, MultiColumn):
        return _Value("multi", raw)
    if isinstance(raw, dict):
        raise VectorError("a grid answer cannot be used in an expression")
    if raw.dtype == object:
        return _Value("str", raw)
    if raw.dtype == bool:
        return _Value("bool", raw)
    return _Value("num", raw.astype(float, copy=False))


def _scalar(value: Any, n: int) -> _Value:
    if value is None:
        return _Value("num", np.full(n, np.nan))
    if isinstance(value, bool):
        return _Value("bool", np.full(n, value))
    if isinstance(value, int | float):
        return _Value("num", np.full(n, float(value)))
    if isinstance(value, str):
        return _Value("str", np.full(n, value, dtype=object))
    raise VectorError(f"unsupported literal {value!r}")


def _equal(left: _Value, right: _Value) -> np.ndarray:
    kinds = {left.kind, right.kind}
    if "multi" in kinds:
        raise VectorError("a multi-choice answer cannot be compared")
    if kinds <= {"num", "bool"}:
        a, b = _num(left, "="), _num(right, "=")
        return np.asarray((a == b) | (np.isnan(a) & np.isnan(b)))
    if kinds == {"str"}:
        return np.array([x == y for x, y in zip(left.data, right.data, strict=True)], bool)
    # string against number: only nulls may meet (null = null is true, else false).
    ln, rn = _null(left), _null(right)
    if (~ln & ~rn).any():
        raise VectorError("cannot compare text with a number")
    return np.asarray(ln & rn)


def _order(op: str, left: _Value, right: _Value) -> np.ndarray:
    if left.kind == "str" and right.kind == "str":
        out = np.zeros(len(left.data), bool)
        for i, (x, y) in enumerate(zip(left.data, right.data, strict=True)):
            if x is not None and y is not None:
                out[i] = {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
        return out
    a, b = _num(left, op), _num(right, op)
    with np.errstate(invalid="ignore"):
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b


def _arith(op: str, left: _Value, right: _Value) -> np.ndarray:
    # null is checked first: arithmetic with a null side is null even against text.
    for one, other in ((left, right), (right, left)):
        if one.kind in ("str", "multi") and _null(other).all():
            return np.full(len(_null(other)), np.nan)
    a, b = _num(left, op), _num(right, op)
    with np.errstate(invalid="ignore", divide="ignore"):
        if op == "+":
            return np.asarray(a + b)
        if op == "-":
            return np.asarray(a - b)
        if op == "*":
            return np.asarray(a * b)
        zero = b == 0
        if op == "div":
            out = a / np.where(zero, 1.0, b)
        else:
            out = np.fmod(a, np.where(zero, 1.0, b))
        out[zero] = np.nan
        return out


def _eval(node: Mapping[str, Any], env: _Env) -> _Value:
    kind = node["node"]
    n = env.n
    if kind in ("number", "string"):
        return _scalar(node["value"], n)
    if kind == "ref":
        return env.column(node["name"], node.get("repeat"))
    if kind == "current":
        # Without a current answer '.' is null, as in the scalar evaluator.
        return env.current if env.current is not None else _scalar(None, n)
    if kind == "attr":
        if env.choice is None:
            raise VectorError("a choice attribute outside a choice filter")
        return _scalar(env.choice.get(node["name"]), n)
    if kind == "negate":
        return _Value("num", -_num(_eval(node["operand"], env), "-"))
    if kind == "binary":
        op = node["op"]
        left = _eval(node["left"], env)
        if op in ("and", "or"):
            first = truth(left)
            needed = first if op == "and" else ~first
            second = truth(_lazy(node["right"], env, needed))
            return _Value("bool", first & second if op == "and" else first | second)
        right = _eval(node["right"], env)
        if op == "=":
            return _Value("bool", _equal(left, right))
        if op == "!=":
            return _Value("bool", ~_equal(left, right))
        if op in ("<", "<=", ">", ">="):
            return _Value("bool", _order(op, left, right))
        return _Value("num", _arith(op, left, right))
    if kind == "call":
        return _call(node, env)
    raise VectorError(f"not an expression node: {node!r}")


def _selected(answer: _Value, wanted: _Value) -> np.ndarray:
    if answer.kind == "multi":
        column: MultiColumn = answer.data
        if wanted.kind == "str":
            want = wanted.data
            present = np.array([v is not None for v in want], bool)
        else:
            want = _num(wanted, "selected()")
            present = ~np.isnan(want)
        # Comparing a text code with a number code is a type error, as in the scalar evaluator.
        text = wanted.kind == "str"
        other = [j for j, code in enumerate(column.codes) if isinstance(code, str) != text]
        asked = present & column.answered
        clash = column.matrix[:, other].any(axis=1) if other else np.zeros(len(want), bool)
        if text:
            clash |= ~np.isnan(column.missing)
        if (asked & clash).any():
            raise VectorError("selected() compares text with a number")
        out = np.zeros(len(want), bool)
        for value in set(want[present].tolist()):
            rows = present & (want == value)
            for j, code in enumerate(column.codes):
                if code == value:
                    out[rows] = column.matrix[rows, j]
            if not isinstance(value, str):
                out[rows] |= column.missing[rows] == value
        return np.asarray(out & column.answered)
    return np.asarray(_equal(answer, wanted) & ~_null(answer) & ~_null(wanted))


def _call(node: Mapping[str, Any], env: _Env) -> _Value:
    name = node["name"]
    args = node["args"]
    n = env.n
    if name == "if":
        cond = truth(_eval(args[0], env))
        then, other = _lazy(args[1], env, cond), _lazy(args[2], env, ~cond)
        if then.kind == other.kind == "bool":
            return _Value("bool", np.where(cond, then.data, other.data))
        if {then.kind, other.kind} <= {"num", "bool"}:
            return _Value("num", np.where(cond, _num(then, "if"), _num(other, "if")))
        if then.kind == other.kind == "str":
            return _Value("str", np.where(cond, then.data, other.data))
        raise VectorError("if() with branches of different kinds")
    if name == "not":
        return _Value("bool", ~truth(_eval(args[0], env)))
    if name == "selected":
        return _Value("bool", _selected(_eval(args[0], env), _eval(args[1], env)))
    if name == "count-selected":
        value = _eval(args[0], env)
        if value.kind == "multi":
            # A bare don't-know / refused code selects nothing.
            col = value.data
            counts = col.matrix.sum(axis=1)
            return _Value("num", np.where(col.answered, counts, 0).astype(float))
        present = ~_null(value)
        if value.kind == "num" and np.isin(value.data[present], MISSING).all():
            return _Value("num", np.zeros(n))
        if present.any():
            raise VectorError("count-selected() needs a multiple-choice answer")
        return _Value("num", np.zeros(n))
    if name == "string-length":
        text = _text(_eval(args[0], env))
        return _Value("num", np.array([len(t) for t in text], float))
    if name == "coalesce":
        return _coalesce(args, env)
    if name in ("count", "sum"):
        return _aggregate(name, args, env)
    if name == "int":
        return _Value("num", np.trunc(_num(_eval(args[0], env), "int()")))
    if name == "round":
        x = _num(_eval(args[0], env), "round()")
        digits = _num(_eval(args[1], env), "round()") if len(args) > 1 else np.zeros(n)
        if (~np.isnan(digits) & (digits != np.trunc(digits))).any():
            raise VectorError("round() digits must be a whole number")
        scale = 10.0 ** np.nan_to_num(digits)
        magnitude = np.floor(np.abs(x) * scale + 0.5) / scale
        out = np.where(x < 0, -magnitude, magnitude)
        out[np.isnan(digits)] = np.nan
        return _Value("num", out)
    if name == "concat":
        parts = [_text(_eval(arg, env)) for arg in args]
        return _Value(
            "str",
            np.array(["".join(p) for p in zip(*parts, strict=True)], object)
            if parts
            else np.full(n, "", object),
        )
    if name in ("min", "max"):
        stacked = np.vstack([_num(_eval(arg, env), name) for arg in args])
        everything_null = np.isnan(stacked).all(axis=0)
        filler = np.inf if name == "min" else -np.inf
        filled = np.where(np.isnan(stacked), filler, stacked)
        out = filled.min(axis=0) if name == "min" else filled.max(axis=0)
        out[everything_null] = np.nan
        return _Value("num", out)
    raise VectorError(f"unknown function {name}()")


def _blank(value: _Value) -> np.ndarray:
    """Rows ``coalesce`` skips: null, and the empty text."""
    if value.kind == "str":
        return np.array([v is None or v == "" for v in value.data], bool)
    return _null(value)


def _coalesce(args: Sequence[Mapping[str, Any]], env: _Env) -> _Value:
    n = env.n
    pending = np.ones(n, bool)
    used: list[tuple[_Value, np.ndarray]] = []
    first: _Value | None = None
    for arg in args:
        value = _eval(arg, env) if first is None else _lazy(arg, env, pending)
        first = first or value
        blank = _blank(value)
        # Only a value that gives some needed row its result decides the kind of the result.
        if (pending & ~blank).any():
            used.append((value, pending & ~blank))
        pending = pending & blank
    assert first is not None
    if not used:
        return _Value("str", np.full(n, None, object)) if first.kind == "str" else _scalar(None, n)
    if len(used) == 1 and used[0][0].kind == "multi":
        return used[0][0]
    kinds = {value.kind for value, _ in used}
    if kinds <= {"num", "bool"}:
        out = np.full(n, np.nan)
        for value, rows in used:
            out[rows] = _num(value, "coalesce")[rows]
        return _Value("num", out)
    if kinds == {"str"}:
        result = np.full(n, None, object)
        for value, rows in used:
            result[rows] = value.data[rows]
        return _Value("str", result)
    raise VectorError("coalesce() over values of different kinds")


def _aggregate(name: str, args: Sequence[Mapping[str, Any]], env: _Env) -> _Value:
    first = args[0]
    # count(${group}) names the group itself; sum(${member}) names a question of the group.
    group = first.get("repeat") if name == "sum" else first["name"]
    if group not in env.levels or group is None:
        raise VectorError(f"{name}() over unknown group {group}")
    level = env.levels[group]
    inner = _Env(env.levels, group, env.current, env.choice)
    keep = np.ones(level.n, bool)
    if len(args) > 1:
        keep = truth(_eval(args[1], inner))
    assert level.parent is not None
    if name == "count":
        weights = keep.astype(float)
    else:
        values = _num(inner.column(first["name"], group), "sum()")
        weights = np.where(keep & ~np.isnan(values), values, 0.0)
    # Totals per row of the group's parent level, then read from each row evaluated here.
    owner = env.levels[level.parent_group]
    index = env.ancestor_index(level.parent_group)
    if index is None:
        raise VectorError(f"{name}() over group {group} read outside its rows")
    totals = np.bincount(level.parent, weights=weights, minlength=owner.n)[: owner.n]
    return _Value("num", totals[index].astype(float))


def evaluate_columns(
    ast: Mapping[str, Any],
    levels: Mapping[str | None, Level],
    group: str | None = None,
    current: Any = None,
    choice: Mapping[str, Any] | None = None,
) -> _Value:
    """Evaluate ``ast`` for every row of ``levels[group]`` (the top level when ``group`` is None).

    ``current`` is the column for ``.`` (a numpy array or :class:`MultiColumn`); ``choice`` the
    candidate choice's attributes for a ``choice_filter``. Returns a value with ``kind`` (num,
    bool, str, multi) and ``data``; :func:`truth` turns it into a boolean mask.
    """
    n = levels[group].n
    current_value = None if current is None else _wrap(current, n)
    return _eval(ast, _Env(levels, group, current_value, choice))
