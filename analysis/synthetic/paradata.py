"""Simulated paradata, with a few enumerators who make interviews up.

Honest enumerators spend a few seconds to a minute on each question shown, correct an answer
now and then and answer Likert batteries item by item. The fabricating enumerators in
``FABRICATORS`` behave as field checks expect of curbstoners: about a quarter of the time per
question, no corrections, every Likert block answered with one value, and optional questions
that nothing else depends on left blank. Their answers are changed in the simulated data itself
(still valid for the questionnaire), so answers and paradata agree; a quality check run on the
simulated survey must flag exactly these enumerators.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.paradata import likert_blocks
from questionnaires.errors import ExpressionError
from questionnaires.expressions import evaluate, references, truthy
from questionnaires.model import Questionnaire

__all__ = [
    "FABRICATORS",
    "fabricate",
    "interview_paradata",
    "optional_leaves",
    "paradata_tables",
    "write_paradata",
]

# Interviewer ids are (district − 177) × 10 + team: team 2 of the city (178) and of 182.
FABRICATORS: frozenset[int] = frozenset({12, 52})
APP_VERSION = "gesurvey-sim"
# Submission ids of simulated interviews: uuid5 of "<form>:<hh_id>" in this namespace.
NAMESPACE = uuid.UUID("6f1c2b9e-5d1a-4c1e-9a57-4c616e67536f")
STRAIGHT_VALUE = 4.0  # "agree"


def optional_leaves(questionnaire: Questionnaire) -> list[str]:
    """Top-level optional questions no expression reads: leaving one blank changes nothing else."""
    read: set[str] = set()
    for question in questionnaire.iter_questions():
        for ast in (
            question.relevant_ast,
            question.constraint_ast,
            question.choice_filter_ast,
            question.calculation_ast,
        ):
            if ast is not None:
                read |= references(ast)
    for section in questionnaire.sections:
        if section.relevant_ast is not None:
            read |= references(section.relevant_ast)
    for group in questionnaire.groups:
        for ast in (group.relevant_ast, group.count_ast):
            if ast is not None:
                read |= references(ast)
    return [
        q.id
        for q in questionnaire.iter_questions()
        if q.group is None
        and not q.required
        and q.id not in read
        and q.type not in ("note", "calculate", "grid")
    ]


def fabricate(questionnaire: Questionnaire, columns: dict[str, Any], fake: np.ndarray) -> None:
    """Make the rows ``fake`` look made up, in place: one value per Likert block, optional
    leaves blank. ``columns`` are a level's answer columns (float arrays, NaN = null)."""
    if not fake.any():
        return
    for block in likert_blocks(questionnaire):
        for item in block:
            grid, _, row = item.rpartition("_")
            column = columns.get(item)
            if column is None and grid in columns and isinstance(columns[grid], dict):
                column = columns[grid].get(row)
            if column is None:
                continue
            answered = fake & (column >= 1) & (column <= 5)
            column[answered] = STRAIGHT_VALUE
    for question_id in optional_leaves(questionnaire):
        column = columns.get(question_id)
        if isinstance(column, np.ndarray):
            column[fake] = np.nan if column.dtype.kind == "f" else None


def _applies(questionnaire: Questionnaire, question_id: str, answers: dict[str, Any]) -> bool:
    """Whether the question's section and its own condition hold for these answers."""
    for section in questionnaire.sections:
        if any(getattr(item, "id", None) == question_id for item in section.items):
            if section.relevant_ast is not None and not truthy(
                _safe(section.relevant_ast, answers)
            ):
                return False
            break
    ast = questionnaire.question(question_id).relevant_ast
    return ast is None or truthy(_safe(ast, answers))


def _safe(ast: Any, answers: dict[str, Any]) -> Any:
    try:
        return evaluate(ast, answers)
    except ExpressionError:
        return False


def _shown(answers: dict[str, Any]) -> Iterable[str]:
    for key, value in answers.items():
        if isinstance(value, dict):
            yield from (f"{key}_{row}" for row in value)
        elif not isinstance(value, list):
            yield key


def interview_paradata(
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    enumerator: int,
    day: dt.date,
    order: int,
    rng: np.random.Generator,
    leaves: Iterable[str] = (),
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One interview's paradata: the interview row and its rows per question shown.

    ``leaves`` are the questionnaire's ``optional_leaves``: shown whenever they apply.
    """
    fake = enumerator in FABRICATORS
    shown = list(_shown(answers))
    # An optional question that applies is shown even when left blank.
    shown += [
        leaf for leaf in leaves if leaf not in answers and _applies(questionnaire, leaf, answers)
    ]
    scale = 0.25 if fake else 1.0
    seconds = rng.lognormal(np.log(12.0), 0.6, len(shown)) * scale
    changes = np.zeros(len(shown), int) if fake else rng.poisson(0.06, len(shown))
    start = dt.datetime.combine(day, dt.time(7, 30), tzinfo=dt.UTC) + dt.timedelta(
        minutes=75 * order + float(rng.uniform(0, 20))
    )
    total = float(seconds.sum()) + float(rng.uniform(60, 180))
    interview = {
        "enumerator": str(enumerator),
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(seconds=total)).isoformat(),
        "interruptions": 0,
        "app_version": APP_VERSION,
    }
    rows = [
        {"question_id": q, "seconds": round(float(s), 1), "visits": 1, "changes": int(c)}
        for q, s, c in zip(shown, seconds, changes, strict=True)
    ]
    return interview, rows


def paradata_tables(
    questionnaire: Questionnaire,
    interviews: Iterable[tuple[str, dict[str, Any], int, dt.date]],
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The paradata of ``(submission uuid, answers, enumerator, day)`` interviews as the
    interview table and the interview × question table."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    order: dict[tuple[int, dt.date], int] = {}
    leaves = optional_leaves(questionnaire)
    heads: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for submission, answers, enumerator, day in interviews:
        slot = order.get((enumerator, day), 0)
        order[(enumerator, day)] = slot + 1
        head, questions = interview_paradata(
            questionnaire, answers, enumerator, day, slot, rng, leaves
        )
        heads.append({"submission_uuid": submission, "questionnaire_id": questionnaire.id, **head})
        rows.extend({"submission_uuid": submission, **row} for row in questions)
    return pd.DataFrame(heads), pd.DataFrame(rows)


PARADATA_FORMS = ("household", "individual")


def _day(answers: dict[str, Any]) -> dt.date:
    if "interview_date" in answers:
        return dt.date.fromisoformat(str(answers["interview_date"]))
    return dt.date(
        int(answers["interview_year"]),
        int(answers["interview_month"]),
        int(answers["interview_day"]),
    )


def write_paradata(simulator: Any, directory: Path) -> dict[str, int]:
    """Write ``paradata_interviews.csv`` and ``paradata_questions.csv`` for the household and
    individual interviews of ``simulator`` (a ``Simulator``); return the row counts."""
    selected: dict[str, list[tuple[str, dict[str, Any], int, dt.date]]] = {
        form: [] for form in PARADATA_FORMS
    }
    for form_id, answers, design in simulator.iter_answer_dicts():
        if form_id not in selected or "interviewer_id" not in answers:
            continue
        key = f"{form_id}:{design['hh_id']}"
        selected[form_id].append(
            (
                str(uuid.uuid5(NAMESPACE, key)),
                answers,
                int(answers["interviewer_id"]),
                _day(answers),
            )
        )
    heads, rows = [], []
    for form_id, interviews in selected.items():
        head, questions = paradata_tables(simulator.forms[form_id], interviews, simulator.seed)
        heads.append(head)
        rows.append(questions.assign(questionnaire_id=form_id))
    interviews_table = pd.concat(heads, ignore_index=True)
    questions_table = pd.concat(rows, ignore_index=True)
    interviews_table.to_csv(directory / "paradata_interviews.csv", index=False)
    questions_table.to_csv(directory / "paradata_questions.csv", index=False)
    return {
        "paradata_interviews": len(interviews_table),
        "paradata_questions": len(questions_table),
    }
