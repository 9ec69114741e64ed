"""Field-quality checks from paradata: which enumerators' interviews look made up.

The checks are those survey organisations run on CAPI paradata to find curbstoning (Birnbaum
et al., "Using behavioral data to identify interviewer fabrication", 2012; the World Bank's
Survey Solutions and DHS field-check tables): interviews much shorter than the questionnaire
allows, a high share of "don't know", Likert blocks answered with one value throughout
(straight-lining) and optional questions shown but left blank. Each enumerator's value is set
against the team's with a robust z-score, the modified z of Iglewicz and Hoaglin (1993):
``0.6745 (x - median) / MAD``; an enumerator is flagged where it exceeds ``threshold`` in the
suspicious direction. Median and MAD, unlike mean and SD, are not pulled by the few
fabricators they are meant to find.

Inputs are plain tables so the same code serves the web app's quality page, exports and the
simulator: one row per interview (``interviews``) and one row per interview × question
(``questions``, the paradata table of the exports).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from questionnaires.codes import MISSING_CODES
from questionnaires.model import Question, Questionnaire
from questionnaires.selection import selection_off

__all__ = [
    "CHECKS",
    "QualityCheck",
    "interview_quality",
    "likert_blocks",
    "modified_z",
    "quality_by_enumerator",
]

DONT_KNOW = min(MISSING_CODES)
DEFAULT_SHORT_MINUTES = 10.0


@dataclass(frozen=True)
class QualityCheck:
    """One column of the quality table: its name, labels and which direction is suspicious."""

    column: str
    label_vi: str
    label_en: str
    suspicious: int  # -1: low values are suspicious, +1: high values
    # The smallest distance from the team's median worth a flag: where nearly everyone is at
    # 0% the MAD is tiny and a robust z alone would flag noise.
    min_gap: float


CHECKS: tuple[QualityCheck, ...] = (
    QualityCheck("median_minutes", "Thời lượng trung vị (phút)", "Median duration (min)", -1, 3.0),
    QualityCheck("share_short", "Tỷ lệ phỏng vấn quá ngắn", "Share of short interviews", 1, 0.1),
    QualityCheck("share_dont_know", "Tỷ lệ «Không biết»", "Share of don't know", 1, 0.1),
    QualityCheck(
        "share_straightlined",
        "Tỷ lệ khối Likert trả lời một kiểu",
        "Share of straight-lined blocks",
        1,
        0.1,
    ),
    QualityCheck(
        "share_optional_skipped",
        "Tỷ lệ câu không bắt buộc bị bỏ qua",
        "Share of optional skipped",
        1,
        0.2,
    ),
)


def likert_blocks(questionnaire: Questionnaire) -> list[list[str]]:
    """Likert blocks: each grid on the 5-point scale, and each run of 3+ consecutive likert5
    questions in one section (the batteries respondents may answer with one value)."""
    blocks: list[list[str]] = []
    for section in questionnaire.sections:
        run: list[str] = []
        for item in section.items:
            if isinstance(item, Question) and item.type == "likert5":
                run.append(item.id)
                continue
            if len(run) >= 3:
                blocks.append(run)
            run = []
            if isinstance(item, Question) and item.type == "grid" and item.choices is not None:
                if item.choices.name == "likert5" and len(item.rows) >= 3:
                    blocks.append([f"{item.id}_{row.id}" for row in item.rows])
        if len(run) >= 3:
            blocks.append(run)
    return blocks


def _flat(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level answers with each grid row as ``<grid>_<row>``."""
    flat: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, dict):
            for row, code in value.items():
                flat[f"{key}_{row}"] = code
        elif not isinstance(value, list):
            flat[key] = value
    return flat


def interview_quality(
    questionnaire: Questionnaire,
    interviews: pd.DataFrame,
    answers: Iterable[Mapping[str, Any]],
    questions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per interview with its duration and the shares the checks use.

    ``interviews`` has ``submission_uuid``, ``enumerator``, ``started_at``, ``ended_at``;
    ``answers`` gives each interview's answers in the same order; ``questions`` (the paradata
    table: ``submission_uuid``, ``question_id``, ``visits``) tells which questions were shown,
    for the share of optional questions skipped (NaN without it). ``selection_off`` is 1 where
    a household's recorded selection is not the Kish grid's (a person picked by hand, or an
    override whose reason the supervisor should hear), 0 where it is, NaN where it cannot be
    told (no selection rule, unanswered, no one eligible).
    """
    rule = questionnaire.selection
    blocks = likert_blocks(questionnaire)
    dont_know_questions = {
        q.id for q in questionnaire.iter_questions() if DONT_KNOW in (q.missing_codes or ())
    }
    optional = {
        q.id
        for q in questionnaire.iter_questions()
        if not q.required and q.group is None and q.type not in ("note", "calculate", "grid")
    }
    shown: dict[str, set[str]] = {}
    if questions is not None and len(questions):
        visited = questions[questions["visits"].fillna(0) > 0]
        for uuid, ids in visited.groupby("submission_uuid")["question_id"]:
            shown[str(uuid)] = set(ids)
    records = []
    for uuid, answer in zip(interviews["submission_uuid"], answers, strict=True):
        flat = _flat(answer)
        given = [flat[q] for q in dont_know_questions if flat.get(q) is not None]
        straight = [
            len({flat[item] for item in block}) == 1
            for block in blocks
            if all(flat.get(item) is not None for item in block)
        ]
        off = selection_off(rule, answer)
        seen = shown.get(str(uuid))
        seen_optional = (seen & optional) if seen is not None else set()
        records.append(
            {
                "dont_know": sum(value == DONT_KNOW for value in given) / len(given)
                if given
                else np.nan,
                "straightlined": float(np.mean(straight)) if straight else np.nan,
                "optional_skipped": sum(flat.get(q) in (None, "") for q in seen_optional)
                / len(seen_optional)
                if seen_optional
                else np.nan,
                "selection_off": np.nan if off is None else float(off),
            }
        )
    table = pd.DataFrame(records, index=interviews.index)
    started = pd.to_datetime(interviews["started_at"], utc=True)
    ended = pd.to_datetime(interviews["ended_at"], utc=True)
    table.insert(0, "minutes", (ended - started).dt.total_seconds() / 60.0)
    table.insert(0, "day", started.dt.strftime("%Y-%m-%d"))
    table.insert(0, "enumerator", interviews["enumerator"].astype(str).to_numpy())
    table.insert(0, "submission_uuid", interviews["submission_uuid"].astype(str).to_numpy())
    return table


def modified_z(values: Sequence[float] | pd.Series) -> np.ndarray:
    """Iglewicz–Hoaglin modified z-scores: 0.6745 (x − median) / MAD.

    When more than half the values are equal the MAD is 0; the mean absolute deviation scaled
    by 0.7979 (its ratio to the SD under normality) takes its place, as Iglewicz and Hoaglin
    suggest; if that is 0 too, every value equals the median and every score is 0.
    """
    x = np.asarray(values, dtype=float)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return np.full(x.shape, np.nan)
    median = float(np.median(finite))
    mad = float(np.median(np.abs(finite - median)))
    if mad > 0:
        return 0.6745 * (x - median) / mad
    mean_ad = float(np.mean(np.abs(finite - median)))
    if mean_ad > 0:
        return (x - median) / (1.253314 * mean_ad)
    return np.where(np.isfinite(x), 0.0, np.nan)


def quality_by_enumerator(
    per_interview: pd.DataFrame,
    short_minutes: float = DEFAULT_SHORT_MINUTES,
    threshold: float = 3.5,
    by_day: bool = False,
) -> pd.DataFrame:
    """The quality table: per enumerator (and day), interviews, the checks, z-scores, flags.

    z-scores always compare enumerators over the whole period given, so a short day does not
    flag a sound enumerator; ``flagged`` lists the checks whose z passes ``threshold`` in the
    suspicious direction.
    """
    data = per_interview.assign(short=(per_interview["minutes"] < short_minutes).astype(float))
    if "selection_off" not in data:  # a table made before households were checked for it
        data = data.assign(selection_off=np.nan)
    keys = ["enumerator", "day"] if by_day else ["enumerator"]
    grouped = data.groupby(keys, sort=True)
    table = pd.DataFrame(
        {
            "interviews": grouped.size(),
            "median_minutes": grouped["minutes"].median(),
            "share_short": grouped["short"].mean(),
            "share_dont_know": grouped["dont_know"].mean(),
            "share_straightlined": grouped["straightlined"].mean(),
            "share_optional_skipped": grouped["optional_skipped"].mean(),
            "share_selection_off": grouped["selection_off"].mean(),
        }
    ).reset_index()
    overall = quality_by_enumerator(per_interview, short_minutes, threshold) if by_day else None
    reference = overall if overall is not None else table
    flags: list[list[str]] = [[] for _ in range(len(table))]
    for check in CHECKS:
        values = reference[check.column].to_numpy(float)
        score = modified_z(values)
        finite = values[np.isfinite(values)]
        median = float(np.median(finite)) if finite.size else np.nan
        far = np.abs(values - median) >= check.min_gap
        if overall is not None:
            names = overall["enumerator"]
            score = table["enumerator"].map(dict(zip(names, score, strict=True))).to_numpy(float)
            far = table["enumerator"].map(dict(zip(names, far, strict=True))).to_numpy(bool)
        table[f"z_{check.column}"] = score
        for index, z in enumerate(score):
            if np.isfinite(z) and z * check.suspicious > threshold and far[index]:
                flags[index].append(check.column)
    table["flagged"] = [" ".join(found) for found in flags]
    return table
