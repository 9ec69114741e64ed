"""Generate answers for any questionnaire, a batch of interviews at a time, obeying its own rules.

The generator walks the questionnaire in order (sections, questions, repeat groups) and, for a
whole batch of interviews at once:

1. evaluates the section's and the question's ``relevant`` ASTs over the columns answered so far
   (:mod:`questionnaires.vectorised`): rows where the question does not apply stay unanswered;
2. takes a proposed answer from, in this order, a *preset* (values fixed by the design or the
   household roster: district, selected person's age, …), a *behaviour* function (the effect
   model of :mod:`analysis.synthetic.behaviour`), or a generic draw for the question's type;
3. enforces the questionnaire: choice filters and constraints are evaluated per candidate code,
   and a proposal they reject is replaced by a draw among the codes they accept; numbers that
   break a constraint are redrawn; multi answers drop filtered-out and clashing exclusive codes;
   calculated questions get the value of their ``calculation``;
4. adds don't-know / refused codes where the question declares them, and leaves some optional
   questions unanswered (item nonresponse).

So every generated interview passes ``Questionnaire.validate_answers`` by construction, for the
bundled forms and for forms added later, while the behaviour model adds the known effects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from questionnaires.codes import DONT_KNOW, REFUSED
from questionnaires.model import ChoiceList, Question, Questionnaire, RepeatGroup
from questionnaires.vectorised import Level, MultiColumn, evaluate_columns, truth

__all__ = ["Context", "FillSettings", "fill", "to_answer_dicts"]

Behaviour = Callable[["Context"], Any]

GIVEN_NAMES_M = (
    "Văn An",
    "Văn Bình",
    "Đức Cường",
    "Văn Dũng",
    "Minh Hải",
    "Văn Hùng",
    "Quang Long",
    "Văn Nam",
    "Văn Sơn",
    "Văn Thắng",
)
GIVEN_NAMES_F = (
    "Thị Hoa",
    "Thị Lan",
    "Thị Mai",
    "Thị Ngọc",
    "Thị Nhung",
    "Thị Phương",
    "Thị Thu",
    "Thị Vân",
    "Thị Yến",
    "Thị Hằng",
)
FAMILY_NAMES = ("Hoàng", "Nông", "Lương", "Vi", "Lộc", "Hà", "Nguyễn", "Triệu", "Lý", "Đàm")


def _choices(q: Question) -> ChoiceList:
    """The choices of a choice question (the loader requires them on every choice type)."""
    assert q.choices is not None, q.id
    return q.choices


@dataclass
class FillSettings:
    """Rates of don't-know (98), refused (99) and blank optional answers, by default."""

    dont_know: float = 0.01
    refused: float = 0.004
    blank: float = 0.02
    missing_rates: Mapping[str, tuple[float, float]] = field(default_factory=dict)


class Context:
    """What a behaviour function sees: the batch's answers and covariates in the current scope.

    ``get(qid)`` returns the answers so far (top-level answers broadcast to repeat rows),
    ``cov(name)`` a covariate (sex, age, remote, …) given for the level or the top level,
    ``n`` the rows, ``rng`` the batch's generator, ``question`` the question being generated.
    """

    def __init__(
        self,
        levels: Mapping[str | None, Level],
        group: str | None,
        covariates: Mapping[str | None, Mapping[str, np.ndarray]],
        rng: np.random.Generator,
        question: Question,
    ) -> None:
        self.levels = levels
        self.group = group
        self.level = levels[group]
        self.n = self.level.n
        self.covariates = covariates
        self.rng = rng
        self.question = question

    def _broadcast(self, values: Any) -> Any:
        if self.group is None:
            return values
        index = self.level.parent
        assert index is not None  # a repeat level knows its parent rows
        if isinstance(values, MultiColumn):
            return values.take(index)
        return values[index]

    def get(self, qid: str) -> Any:
        """Answers to ``qid`` for the rows of this scope (NaN/None when unanswered)."""
        if qid in self.level.columns:
            return self.level.columns[qid]
        top = self.levels[None].columns
        if qid not in top:
            return np.full(self.n, np.nan)
        return self._broadcast(top[qid])

    def cov(self, name: str) -> np.ndarray:
        """A covariate for the rows of this scope."""
        own = self.covariates.get(self.group, {})
        if name in own:
            return own[name]
        return np.asarray(self._broadcast(self.covariates[None][name]))

    def row_number(self) -> np.ndarray:
        """0-based position of each repeat row inside its interview."""
        parent = self.level.parent
        if parent is None:
            return np.zeros(self.n, np.int64)
        starts = np.r_[0, np.flatnonzero(np.diff(parent)) + 1]
        lengths = np.diff(np.r_[starts, len(parent)])
        return np.asarray(np.arange(len(parent)) - np.repeat(starts, lengths))

    def bernoulli(self, p: Any) -> np.ndarray:
        """1/0 draws with probability ``p`` (as floats, the yes/no codes)."""
        return np.asarray((self.rng.random(self.n) < p).astype(float))

    def categorical(self, codes: Any, weights: np.ndarray | Sequence[float]) -> np.ndarray:
        """One code per row drawn with the row's weights (``weights``: n × len(codes))."""
        weights = np.broadcast_to(np.asarray(weights, float), (self.n, len(codes)))
        cum = np.cumsum(weights, axis=1)
        u = self.rng.random(self.n) * cum[:, -1]
        pick = (cum < u[:, None]).sum(axis=1)
        return np.asarray(np.asarray(codes, float)[np.minimum(pick, len(codes) - 1)])


def _logistic(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


# ------------------------------------------------------------------------------------------------
# generic draws


def _literal_bounds(ast: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
    """Bounds ``. >= a`` / ``. <= b`` found in the ``and``-chain of a constraint (None if none)."""
    low: float | None = None
    high: float | None = None
    stack = [ast] if ast else []
    while stack:
        node = stack.pop()
        if node.get("node") != "binary":
            continue
        op = node["op"]
        if op == "and":
            stack += [node["left"], node["right"]]
            continue
        left, right = node["left"], node["right"]
        if left.get("node") == "current" and right.get("node") == "number":
            value = float(right["value"])
            if op == ">=":
                low = value
            elif op == ">":
                low = value + 1
            elif op == "<=":
                high = value
            elif op == "<":
                high = value - 1
    return low, high


def _default_number(q: Question, n: int, rng: np.random.Generator) -> np.ndarray:
    low, high = _literal_bounds(q.constraint_ast)
    low = 0.0 if low is None else low
    high = low + 10 if high is None else min(high, low + 10)
    if q.type == "decimal":
        return np.round(rng.uniform(low, high, n), 1)
    return rng.integers(int(low), int(high) + 1, n).astype(float)


def _default_text(q: Question, n: int, rng: np.random.Generator) -> np.ndarray:
    if q.identifying:
        if "phone" in q.id.lower() or q.id in ("HH03", "COM_R3"):
            digits = rng.integers(10_000_000, 99_999_999, n)
            return np.asarray(np.char.add("09", digits.astype(str)).astype(object))
        family = rng.integers(0, len(FAMILY_NAMES), n)
        given = rng.integers(0, len(GIVEN_NAMES_F), n)
        female = rng.random(n) < 0.5
        names_f = np.asarray(GIVEN_NAMES_F, object)[given]
        names_m = np.asarray(GIVEN_NAMES_M, object)[given]
        surname = np.asarray(FAMILY_NAMES, object)[family]
        return np.asarray(surname + " " + np.where(female, names_f, names_m))
    return np.full(n, "Khác", object)


def _code_positions(codes: tuple[int, ...], values: np.ndarray) -> np.ndarray:
    """Position of each value in ``codes`` (-1 when it is not one of them)."""
    order = np.argsort(codes)
    ordered = np.asarray(codes, float)[order]
    where = np.clip(np.searchsorted(ordered, values), 0, len(codes) - 1)
    return np.where(ordered[where] == values, order[where], -1)


def _choice_weights(codes: tuple[int, ...]) -> np.ndarray:
    # "other" (96) is rare in real data.
    return np.array([0.1 if c == 96 else 1.0 for c in codes])


# ------------------------------------------------------------------------------------------------
# the walk


class _Filler:
    def __init__(
        self,
        questionnaire: Questionnaire,
        levels: dict[str | None, Level],
        presets: Mapping[str | None, Mapping[str, Any]],
        behaviour: Mapping[str, Behaviour],
        covariates: Mapping[str | None, Mapping[str, np.ndarray]],
        rng: np.random.Generator,
        settings: FillSettings,
    ) -> None:
        self.q = questionnaire
        self.levels = levels
        self.presets = presets
        self.behaviour = behaviour
        self.covariates = covariates
        self.rng = rng
        self.settings = settings

    def mask(self, ast: Mapping[str, Any] | None, group: str | None) -> np.ndarray:
        n = self.levels[group].n
        if ast is None:
            return np.ones(n, bool)
        return truth(evaluate_columns(ast, self.levels, group))

    def run(self) -> None:
        for section in self.q.sections:
            applies = self.mask(section.relevant_ast, None)
            for item in section.items:
                self.item(item, None, applies)

    def item(self, item: Question | RepeatGroup, group: str | None, applies: np.ndarray) -> None:
        if isinstance(item, RepeatGroup):
            self.group(item, applies)
        else:
            self.question(item, group, applies)

    def group(self, group: RepeatGroup, applies: np.ndarray) -> None:
        if group.parent is not None:
            raise NotImplementedError(
                f"{self.q.id}: nested repeat group {group.id} is not supported by the generator"
            )
        top = self.levels[None]
        applies = applies & self.mask(group.relevant_ast, None)
        if group.count_ast is not None:
            counts = evaluate_columns(group.count_ast, self.levels).data.astype(float)
            counts = np.where(np.isnan(counts), 0, np.maximum(counts, 0))
        else:
            counts = np.asarray(self.presets.get(None, {})[f"{group.id}__count"], float)
        counts = np.where(applies, counts, 0).astype(np.int64)
        parent = np.repeat(np.arange(top.n), counts)
        self.levels[group.id] = Level(len(parent), parent=parent)
        row_applies = np.ones(len(parent), bool)
        for item in group.items:
            self.item(item, group.id, row_applies)

    # -- one question --------------------------------------------------------------------------

    def question(self, q: Question, group: str | None, applies: np.ndarray) -> None:
        level = self.levels[group]
        if q.type == "note":
            return
        relevant = applies & self.mask(q.relevant_ast, group)
        if q.type == "calculate":
            assert q.calculation_ast is not None  # the loader requires it
            value = evaluate_columns(q.calculation_ast, self.levels, group)
            data = value.data.astype(float) if value.kind in ("num", "bool") else value.data
            if value.kind in ("num", "bool"):
                data = np.where(relevant, data, np.nan)
            else:
                data = np.where(relevant, data, None)
            level.columns[q.id] = data
            return
        ctx = Context(self.levels, group, self.covariates, self.rng, q)
        preset = self.presets.get(group, {}).get(q.id)
        if preset is not None:
            proposal = preset
        elif q.id in self.behaviour:
            proposal = self.behaviour[q.id](ctx)
        else:
            proposal = None
        kind = q.type
        column: Any
        if kind in ("single", "yesno", "likert5"):
            column = self.single(q, group, relevant, proposal)
        elif kind in ("integer", "decimal"):
            column = self.number(q, group, relevant, proposal)
        elif kind == "multi":
            column = self.multi(q, group, relevant, proposal)
        elif kind == "grid":
            column = self.grid(q, relevant, proposal, level.n)
        elif kind in ("text", "date"):
            column = self.text(q, group, relevant, proposal, level.n)
        else:
            raise NotImplementedError(f"{self.q.id}: question type {kind} of {q.id}")
        if preset is None and kind != "grid":
            column = self.nonresponse(q, relevant, column)
        level.columns[q.id] = column

    def allowed_codes(
        self, q: Question, group: str | None, codes: tuple[int, ...], n: int
    ) -> np.ndarray | None:
        """n × k mask of the codes the filter and the constraint accept (None: all)."""
        if q.choice_filter_ast is None and q.constraint_ast is None:
            return None
        allowed = np.ones((n, len(codes)), bool)
        for j, choice in enumerate(_choices(q)):
            if q.choice_filter_ast is not None:
                allowed[:, j] &= truth(
                    evaluate_columns(
                        q.choice_filter_ast, self.levels, group, None, choice.context()
                    )
                )
            if q.constraint_ast is not None:
                candidate = np.full(n, float(choice.code))
                allowed[:, j] &= truth(
                    evaluate_columns(q.constraint_ast, self.levels, group, candidate)
                )
        return allowed

    def single(
        self, q: Question, group: str | None, relevant: np.ndarray, proposal: Any
    ) -> np.ndarray:
        n = len(relevant)
        codes = _choices(q).codes
        allowed = self.allowed_codes(q, group, codes, n)
        weights = np.broadcast_to(_choice_weights(codes), (n, len(codes))).copy()
        if allowed is not None:
            weights = weights * allowed
        values = np.full(n, np.nan)
        if proposal is not None:
            values = np.asarray(proposal, float).copy()
        ok = np.zeros(n, bool)
        valid_rows = ~np.isnan(values)
        if valid_rows.any():
            idx = _code_positions(codes, values[valid_rows])
            good = idx >= 0
            if allowed is not None:
                rows = np.flatnonzero(valid_rows)[good]
                good[good] = allowed[rows, idx[good]]
            ok[valid_rows] = good
        if q.missing_codes:
            # A declared don't-know / refused code proposed by the behaviour model is kept.
            ok |= np.isin(values, q.missing_codes)
        redraw = relevant & ~ok
        if redraw.any():
            w = weights[redraw]
            total = w.sum(axis=1)
            cum = np.cumsum(w, axis=1)
            u = self.rng.random(int(redraw.sum())) * total
            pick = np.minimum((cum < u[:, None]).sum(axis=1), len(codes) - 1)
            drawn = np.asarray(codes, float)[pick]
            drawn[total <= 0] = np.nan
            values[redraw] = drawn
        values[~relevant] = np.nan
        return values

    def number(
        self, q: Question, group: str | None, relevant: np.ndarray, proposal: Any
    ) -> np.ndarray:
        n = len(relevant)
        if proposal is None:
            values = _default_number(q, n, self.rng)
        else:
            values = np.asarray(proposal, float).copy()
        if q.type == "integer":
            values = np.round(values)
        low, high = _literal_bounds(q.constraint_ast)
        for attempt in range(12):
            bad = relevant & ~self.number_ok(q, group, values)
            if not bad.any():
                break
            if attempt < 8:
                values[bad] = _default_number(q, int(bad.sum()), self.rng)
            else:
                # Fall back to the smallest values the literal bounds allow.
                values[bad] = (low or 0) + (attempt - 8)
        values[~relevant] = np.nan
        return values

    def number_ok(self, q: Question, group: str | None, values: np.ndarray) -> np.ndarray:
        ok = ~np.isnan(values)
        if q.constraint_ast is not None:
            ok &= truth(evaluate_columns(q.constraint_ast, self.levels, group, values))
        if q.missing_codes:
            ok |= np.isin(values, q.missing_codes)
        return np.asarray(ok)

    def multi(
        self, q: Question, group: str | None, relevant: np.ndarray, proposal: Any
    ) -> MultiColumn:
        n = len(relevant)
        codes = _choices(q).codes
        exclusive = np.array([c.exclusive for c in _choices(q)], dtype=np.bool_)
        if proposal is None:
            matrix = self.rng.random((n, len(codes))) < 0.25
            matrix[:, exclusive] = self.rng.random((n, int(exclusive.sum()))) < 0.1
        else:
            matrix = np.asarray(proposal, bool).copy()
        allowed = np.ones((n, len(codes)), bool)
        if q.choice_filter_ast is not None:
            for j, choice in enumerate(_choices(q)):
                allowed[:, j] = truth(
                    evaluate_columns(
                        q.choice_filter_ast, self.levels, group, None, choice.context()
                    )
                )
            matrix &= allowed
        if exclusive.any():
            others = np.asarray((matrix & ~exclusive).any(axis=1))
            matrix[others[:, None] & exclusive[None, :]] = False
            # Keep at most one exclusive code.
            several = (matrix & exclusive).sum(axis=1) > 1
            if several.any():
                first = np.argmax(matrix & exclusive, axis=1)
                matrix[several] &= ~exclusive
                matrix[several, first[several]] = True
        empty = relevant & ~matrix.any(axis=1)
        if empty.any():
            fallback = allowed & exclusive if exclusive.any() else allowed
            usable = np.asarray(fallback[empty].any(axis=1))
            use = np.where(usable[:, None], fallback[empty], allowed[empty])
            w = use.astype(float)
            cum = np.cumsum(w, axis=1)
            u = self.rng.random(int(empty.sum())) * cum[:, -1]
            pick = np.minimum((cum < u[:, None]).sum(axis=1), len(codes) - 1)
            rows = np.flatnonzero(empty)
            has = cum[:, -1] > 0
            matrix[rows[has], pick[has]] = True
        matrix[~relevant] = False
        answered = relevant & matrix.any(axis=1)
        return MultiColumn(tuple(codes), matrix, answered, np.full(n, np.nan))

    def grid(self, q: Question, relevant: np.ndarray, proposal: Any, n: int) -> dict[str, Any]:
        codes = _choices(q).codes
        out: dict[str, np.ndarray] = {}
        dk, refused = self.rates(q)
        for row in q.rows:
            given = None if proposal is None else proposal.get(row.id)
            if given is None:
                pick = self.rng.integers(0, len(codes), n)
                values = np.asarray(codes, float)[pick]
            else:
                values = np.asarray(given, float).copy()
            values = self.missing_codes(q, values, relevant, dk, refused)
            values[~relevant] = np.nan
            out[row.id] = values
        return out

    def text(
        self, q: Question, group: str | None, relevant: np.ndarray, proposal: Any, n: int
    ) -> np.ndarray:
        if proposal is None:
            values = (
                np.full(n, "2025-10-15", object)
                if q.type == "date"
                else _default_text(q, n, self.rng)
            )
        else:
            values = np.asarray(proposal, object).copy()
        for attempt in range(5):
            if q.constraint_ast is None:
                break
            bad = relevant & ~truth(evaluate_columns(q.constraint_ast, self.levels, group, values))
            if not bad.any():
                break
            if q.required and attempt < 4:
                values[bad] = _default_text(q, int(bad.sum()), self.rng)
            else:
                values[bad] = None
        values[~relevant] = None
        return values

    # -- missing codes and blanks --------------------------------------------------------------

    def rates(self, q: Question) -> tuple[float, float]:
        if q.id in self.settings.missing_rates:
            return self.settings.missing_rates[q.id]
        return self.settings.dont_know, self.settings.refused

    def missing_codes(
        self, q: Question, values: np.ndarray, relevant: np.ndarray, dk: float, refused: float
    ) -> np.ndarray:
        if not q.missing_codes:
            return values
        u = self.rng.random(len(values))
        if DONT_KNOW in q.missing_codes and REFUSED in q.missing_codes:
            values[relevant & (u < dk)] = DONT_KNOW
            values[relevant & (u >= dk) & (u < dk + refused)] = REFUSED
        elif DONT_KNOW in q.missing_codes:
            values[relevant & (u < dk)] = DONT_KNOW
        else:
            values[relevant & (u < refused)] = REFUSED
        return values

    def nonresponse(self, q: Question, relevant: np.ndarray, column: Any) -> Any:
        dk, refused = self.rates(q)
        n = len(relevant)
        if isinstance(column, MultiColumn):
            if q.missing_codes:
                missing = self.missing_codes(
                    q, np.full(n, np.nan), relevant & column.answered, dk, refused
                )
                hit = ~np.isnan(missing)
                column.missing = missing
                column.matrix[hit] = False
            if not q.required:
                blank = relevant & (self.rng.random(n) < self.settings.blank)
                column.answered = column.answered & ~blank
                column.matrix[blank] = False
                column.missing[blank] = np.nan
            return column
        if column.dtype != object:
            answered = relevant & ~np.isnan(column)
            column = self.missing_codes(q, column, answered, dk, refused)
            if not q.required:
                column[relevant & (self.rng.random(n) < self.settings.blank)] = np.nan
        elif not q.required:
            column[relevant & (self.rng.random(n) < self.settings.blank)] = None
        return column


def fill(
    questionnaire: Questionnaire,
    n: int,
    rng: np.random.Generator,
    presets: Mapping[str | None, Mapping[str, Any]] | None = None,
    behaviour: Mapping[str, Behaviour] | None = None,
    covariates: Mapping[str | None, Mapping[str, np.ndarray]] | None = None,
    settings: FillSettings | None = None,
) -> dict[str | None, Level]:
    """Generate ``n`` interviews of ``questionnaire``; return the answers by level.

    ``presets[None][qid]`` fixes a top-level question's values, ``presets[group][qid]`` a repeat
    question's (rows in interview order); ``presets[None]["<group>__count"]`` gives row counts of
    a group without a ``count`` expression. ``behaviour[qid](ctx)`` proposes values (numbers for
    choice and numeric questions, an n × k 0/1 matrix for multi in the choice list's order, a
    ``{row id: codes}`` dict for grids, strings for text). Proposals the form rejects are
    redrawn, so the result always validates.
    """
    levels: dict[str | None, Level] = {None: Level(n)}
    filler = _Filler(
        questionnaire,
        levels,
        presets or {},
        behaviour or {},
        covariates or {None: {}},
        rng,
        settings or FillSettings(),
    )
    filler.run()
    return levels


def _plain(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return None
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def to_answer_dicts(
    questionnaire: Questionnaire, levels: Mapping[str | None, Level], rows: range | None = None
) -> list[dict[str, Any]]:
    """The answers of each interview as the engine stores them (``validate_answers`` input)."""
    top = levels[None]
    rows = rows if rows is not None else range(top.n)
    group_rows: dict[str, list[np.ndarray]] = {}
    for gid, level in levels.items():
        if gid is None:
            continue
        assert level.parent is not None
        starts = np.searchsorted(level.parent, np.arange(top.n + 1))
        group_rows[gid] = [np.arange(starts[i], starts[i + 1]) for i in range(top.n)]
    decimal = {q.id for q in questionnaire.iter_questions() if q.type == "decimal"}

    def cell(level: Level, qid: str, i: int) -> Any:
        column = level.columns[qid]
        if isinstance(column, MultiColumn):
            if not column.answered[i]:
                return None
            if not np.isnan(column.missing[i]):
                return int(column.missing[i])
            return [column.codes[j] for j in np.flatnonzero(column.matrix[i])]
        if isinstance(column, dict):
            out = {row: _plain(values[i]) for row, values in column.items()}
            return {k: v for k, v in out.items() if v is not None} or None
        value = _plain(column[i])
        if qid in decimal and isinstance(value, int):
            return float(value)
        return value

    result = []
    for i in rows:
        answers: dict[str, Any] = {}
        for qid in top.columns:
            value = cell(top, qid, i)
            if value is not None:
                answers[qid] = value
        for gid, index in group_rows.items():
            if len(index[i]) == 0:
                continue
            level = levels[gid]
            answers[gid] = [
                {qid: v for qid in level.columns if (v := cell(level, qid, int(r))) is not None}
                for r in index[i]
            ]
        result.append(answers)
    return result
