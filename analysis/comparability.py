"""Warn in a report when its data mix questionnaire versions whose definitions differ.

An export holds the version each interview was collected on (``questionnaire_version``). When a
source table holds more than one version, or an earlier one than the current forms, every table
whose indicator reads a question that changed meaning between those versions gets a note naming
the versions and the questions (:func:`questionnaires.versions.plan_comparability`), so nobody
reads a trend across two definitions as a change on the ground.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from questionnaires.loader import earlier_version_paths, load_questionnaire
from questionnaires.model import Questionnaire
from questionnaires.plans import TablePlan
from questionnaires.versions import plan_comparability

__all__ = ["collected_forms", "version_notes"]

VERSION_COLUMN = "questionnaire_version"


def _versions_in(folder: Path, table: str) -> set[str]:
    """The questionnaire versions found in a data table (empty when it has no version column)."""
    parquet, csv = folder / f"{table}.parquet", folder / f"{table}.csv"
    try:
        if parquet.exists():
            frame = pd.read_parquet(parquet, columns=[VERSION_COLUMN])
        elif csv.exists():
            frame = pd.read_csv(csv, usecols=[VERSION_COLUMN], dtype=str, encoding="utf-8-sig")
        else:
            return set()
    except (KeyError, ValueError):
        return set()
    return {str(v) for v in frame[VERSION_COLUMN].dropna().unique()}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("."))


def collected_forms(
    data_dir: str | Path, plan: TablePlan, forms: dict[str, Questionnaire]
) -> dict[str, Questionnaire]:
    """The earlier questionnaire versions a data folder's tables were (partly) collected on.

    One per form whose source tables hold an earlier bundled version than the current one
    (the oldest such version); forms collected only on the current version are not listed.
    """
    folder = Path(data_dir)
    earlier = {(p.parent.name, p.stem): p for p in earlier_version_paths()}
    old_forms: dict[str, Questionnaire] = {}
    for source in plan.sources.values():
        form_id = source["form"]
        current = forms.get(form_id)
        if current is None or form_id in old_forms:
            continue
        present = _versions_in(folder, source["table"]) - {current.version}
        known = sorted((v for v in present if (v, form_id) in earlier), key=_version_key)
        if known:
            old_forms[form_id] = load_questionnaire(earlier[(known[0], form_id)])
    return old_forms


def version_notes(
    data_dir: str | Path, plan: TablePlan, forms: dict[str, Questionnaire], lang: str
) -> dict[str, str]:
    """A note per table that is not comparable across the versions present in the data."""
    old_forms = collected_forms(data_dir, plan, forms)
    if not old_forms:
        return {}
    notes: dict[str, str] = {}
    for verdict in plan_comparability(plan, old_forms, forms):
        if verdict.kind != "table" or verdict.comparable:
            continue
        questions = ", ".join(sorted(verdict.questions))
        versions = "; ".join(
            f"{f.id} {f.version} → {forms[f.id].version}" for f in old_forms.values()
        )
        notes[verdict.id] = (
            f"Không so sánh được giữa các phiên bản phiếu ({versions}): định nghĩa của "
            f"{questions} đã thay đổi."
            if lang == "vi"
            else f"Not comparable across questionnaire versions ({versions}): the definition of "
            f"{questions} changed."
        )
    return notes
