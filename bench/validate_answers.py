"""Time Questionnaire.validate_answers on random but plausible submissions.

Usage: python bench/validate_answers.py [FORM.json ...] [--n 2000] [--seed 1]

For each form it generates N submissions by walking the questionnaire in order (skip logic,
choice filters, constraints and roster counts respected where a few random tries allow), then
prints submissions per second, the mean microseconds per submission, the error codes found
(cross-question rules a random walk cannot satisfy show up here) and peak memory.
"""

from __future__ import annotations

import argparse
import collections
import random
import time
import tracemalloc
from pathlib import Path
from typing import Any

from questionnaires import ExpressionError, Question, Questionnaire, RepeatGroup
from questionnaires.expressions import evaluate, truthy
from questionnaires.loader import bundled_paths, load_questionnaire


def _holds(
    ast: dict[str, Any] | None,
    answers: dict[str, Any],
    row: dict[str, Any] | None,
    current: Any = None,
) -> bool:
    if ast is None:
        return True
    try:
        return truthy(evaluate(ast, answers, row, current))
    except ExpressionError:
        return False


def _numbers(ast: dict[str, Any] | None) -> list[float]:
    """Number literals in a constraint, used as plausible bounds for random integers."""
    if ast is None:
        return []
    if ast.get("node") == "number":
        return [ast["value"]]
    found: list[float] = []
    for key in ("left", "right", "operand"):
        if key in ast:
            found.extend(_numbers(ast[key]))
    return found


def _value(
    q: Question, answers: dict[str, Any], row: dict[str, Any] | None, rng: random.Random
) -> Any:
    kind = q.type
    if kind == "calculate":
        try:
            return evaluate(q.calculation_ast, answers, row)
        except ExpressionError:
            return None
    offered = list(q.offered_choices(answers, row)) if q.choices is not None else []
    for _ in range(30):
        if kind == "text":
            value: Any = rng.choice(["Nguyễn Thị Hoa", "Hoàng Văn Nam", "abc"])
        elif kind == "integer":
            bounds = _numbers(q.constraint_ast)
            if len(bounds) >= 2 and rng.random() < 0.7:
                value = rng.randint(int(min(bounds)), int(max(bounds)))
            else:
                value = rng.choice([rng.randint(0, 10), rng.randint(0, 100), rng.randint(1, 5)])
        elif kind == "text" and q.constraint_ast is not None:
            value = "0" * rng.randint(1, 12)
        elif kind == "decimal":
            value = round(rng.uniform(0, 50), 2)
        elif kind == "date":
            value = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif kind in ("single", "yesno", "likert5"):
            if not offered:
                return None
            value = rng.choice(offered).code
        elif kind == "multi":
            if not offered:
                return None
            plain = [c for c in offered if not c.exclusive]
            if not plain or rng.random() < 0.1:
                value = [rng.choice(offered).code]
            else:
                value = sorted(c.code for c in rng.sample(plain, rng.randint(1, len(plain))))
        elif kind == "grid":
            value = {r.id: rng.choice(offered).code for r in q.rows} if offered else None
        else:
            return None
        if rng.random() < 0.05 and q.missing_codes:
            return rng.choice(q.missing_codes)
        if _holds(q.constraint_ast, answers, row, value):
            return value
    return value


def _fill(
    items: tuple[Question | RepeatGroup, ...],
    answers: dict[str, Any],
    target: dict[str, Any],
    row: dict[str, Any] | None,
    rng: random.Random,
) -> None:
    for item in items:
        if not _holds(item.relevant_ast, answers, row):
            continue
        if isinstance(item, RepeatGroup):
            try:
                count = evaluate(item.count_ast, answers, row) if item.count_ast else None
            except ExpressionError:
                count = None
            n = int(count) if isinstance(count, int | float) else rng.randint(0, 3)
            rows: list[dict[str, Any]] = []
            target[item.id] = rows
            for _ in range(max(0, n)):
                new_row: dict[str, Any] = {}
                rows.append(new_row)
                _fill(item.items, answers, new_row, new_row, rng)
            continue
        if item.type == "note":
            continue
        if not item.required and rng.random() < 0.05:
            continue
        value = _value(item, answers, row, rng)
        if value is not None:
            target[item.id] = value


def generate(q: Questionnaire, rng: random.Random) -> dict[str, Any]:
    """Return one random submission for ``q``."""
    answers: dict[str, Any] = {}
    for section in q.sections:
        if _holds(section.relevant_ast, answers, None):
            _fill(section.items, answers, answers, None, rng)
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forms", nargs="*", type=Path)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for path in args.forms or bundled_paths():
        q = load_questionnaire(path)
        submissions = [generate(q, rng) for _ in range(args.n)]
        start, cpu_start = time.perf_counter(), time.process_time()
        found: collections.Counter[str] = collections.Counter()
        for answers in submissions:
            for error in q.validate_answers(answers):
                found[error.code] += 1
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        # Memory is measured on a second pass: tracing slows Python down several times.
        tracemalloc.start()
        for answers in submissions[:200]:
            q.validate_answers(answers)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{q.id}: {args.n / elapsed:,.0f} submissions/s wall "
            f"({elapsed / args.n * 1e6:,.0f} µs each; CPU {cpu / args.n * 1e6:,.0f} µs), "
            f"peak {peak / 1e6:.2f} MB; errors {dict(found) or 'none'}"
        )


if __name__ == "__main__":
    main()
