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
from collections.abc import Iterable, Mapping
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
    "PARADATA_FORMS",
    "ParadataMaker",
    "fabricate",
    "interview_day",
    "optional_leaves",
    "paradata_tables",
    "simulated_records",
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


PARADATA_FORMS = ("household", "individual")


def interview_day(answers: Mapping[str, Any]) -> dt.date:
    """The interview's fieldwork day from its answers (a date, or day, month and year)."""
    if "interview_date" in answers:
        return dt.date.fromisoformat(str(answers["interview_date"]))
    return dt.date(
        int(answers["interview_year"]),
        int(answers["interview_month"]),
        int(answers["interview_day"]),
    )


class ParadataMaker:
    """Paradata for simulated interviews, in the shape the form engine sends.

    An enumerator's interviews of one day follow each other from 7:30; honest ones spend a
    log-normal 12 s (median) per question shown and correct about one answer in seventeen.
    """

    def __init__(self, forms: Mapping[str, Questionnaire], seed: int) -> None:
        self.forms = forms
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
        self.order: dict[tuple[int, dt.date], int] = {}
        self.leaves: dict[str, list[str]] = {}

    def make(self, form_id: str, answers: dict[str, Any]) -> dict[str, Any] | None:
        """The interview's paradata, or None for forms without simulated paradata."""
        if form_id not in PARADATA_FORMS or "interviewer_id" not in answers:
            return None
        questionnaire = self.forms[form_id]
        if form_id not in self.leaves:
            self.leaves[form_id] = optional_leaves(questionnaire)
        enumerator, day = int(answers["interviewer_id"]), interview_day(answers)
        slot = self.order.get((enumerator, day), 0)
        self.order[(enumerator, day)] = slot + 1
        fake = enumerator in FABRICATORS
        shown = list(_shown(answers))
        # An optional question that applies is shown even when left blank.
        shown += [
            leaf
            for leaf in self.leaves[form_id]
            if leaf not in answers and _applies(questionnaire, leaf, answers)
        ]
        seconds = self.rng.lognormal(np.log(12.0), 0.6, len(shown)) * (0.25 if fake else 1.0)
        changes = np.zeros(len(shown), int) if fake else self.rng.poisson(0.06, len(shown))
        start = dt.datetime.combine(day, dt.time(7, 30), tzinfo=dt.UTC) + dt.timedelta(
            minutes=75 * slot + float(self.rng.uniform(0, 20))
        )
        total = float(seconds.sum()) + float(self.rng.uniform(60, 180))
        return {
            "version": 1,
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(seconds=total)).isoformat(),
            "app_version": APP_VERSION,
            "interruptions": 0,
            "gps": None,
            "questions": {
                q: {"seconds": round(float(s), 1), "visits": 1, "changes": int(c)}
                for q, s, c in zip(shown, seconds, changes, strict=True)
            },
        }


def paradata_tables(
    records: Iterable[tuple[str, str, str, dict[str, Any]]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(submission uuid, questionnaire id, enumerator, paradata)`` records as the interview
    table and the interview × question table (the shapes ``analysis.paradata`` reads)."""
    heads: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for uuid_text, questionnaire_id, enumerator, paradata in records:
        heads.append(
            {
                "submission_uuid": uuid_text,
                "questionnaire_id": questionnaire_id,
                "enumerator": enumerator,
                **{key: paradata[key] for key in ("started_at", "ended_at", "interruptions")},
                "app_version": paradata["app_version"],
            }
        )
        rows.extend(
            {"submission_uuid": uuid_text, "question_id": question, **entry}
            for question, entry in paradata["questions"].items()
        )
    return pd.DataFrame(heads), pd.DataFrame(rows)


def simulated_records(simulator: Any) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The paradata records of a ``Simulator``'s household and individual interviews."""
    maker = ParadataMaker(simulator.forms, simulator.seed)
    records = []
    for form_id, answers, design in simulator.iter_answer_dicts():
        paradata = maker.make(form_id, answers)
        if paradata is not None:
            key = f"{form_id}:{design['hh_id']}"
            records.append(
                (str(uuid.uuid5(NAMESPACE, key)), form_id, str(answers["interviewer_id"]), paradata)
            )
    return records


def write_paradata(simulator: Any, directory: Path) -> dict[str, int]:
    """Write ``paradata_interviews.csv`` and ``paradata_questions.csv`` for the household and
    individual interviews of ``simulator`` (a ``Simulator``); return the row counts."""
    interviews, questions = paradata_tables(simulated_records(simulator))
    interviews.to_csv(directory / "paradata_interviews.csv", index=False)
    questions.to_csv(directory / "paradata_questions.csv", index=False)
    return {"paradata_interviews": len(interviews), "paradata_questions": len(questions)}
